"""Replay: every read model rebuilt from a copy of the log equals the live one."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from shared.readmodels import replay
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EventStore
from tests.kit import LogFixture

pytestmark = pytest.mark.integration


def balances(store: EventStore) -> dict[str, int]:
    """A read model of the log alone: each account's balance."""
    out: dict[str, int] = {}
    for e in store.read_all(0):
        sign = 1 if e.event_type == "Deposited" else -1
        out[e.stream_id] = out.get(e.stream_id, 0) + sign * int(e.data["amount_fen"])
    return out


def published(store: EventStore) -> dict[str, Any]:
    """Not a read model of the log: the relay's cursor lives beside it."""
    with store.pool.connection() as conn:
        row = conn.execute("SELECT position FROM relay_cursor").fetchone()
    return {"published": row[0] if row else None}


def fill(log: LogFixture) -> None:
    for account, amounts in (("Account-1", (500, 250)), ("Account-2", (90,))):
        events = [NewEvent("Deposited", {"amount_fen": a}) for a in amounts]
        log.store.append(account, events, ANY_VERSION, {"actor": "teller-1"})
    withdrawn = [NewEvent("Withdrawn", {"amount_fen": 40})]
    log.store.append("Account-1", withdrawn, ANY_VERSION, {"actor": "teller-1"})


def scratch_databases(log: LogFixture) -> list[str]:
    with psycopg.connect(log.cfg.maintenance_dsn) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{log.cfg.name}_replay_%",)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_read_model_of_the_log_alone_replays_equal_and_the_copy_is_dropped(
    log: LogFixture,
) -> None:
    fill(log)
    report = replay(log.cfg, log.store.registry, {"balances": balances})
    assert report.ok, report.differences
    assert (report.events, report.read_models) == (4, ("balances",))
    assert scratch_databases(log) == []


def test_state_kept_beside_the_log_shows_as_a_difference_naming_the_read_model(
    log: LogFixture,
) -> None:
    fill(log)
    with log.admin() as conn:
        conn.execute("UPDATE relay_cursor SET position = 3")
    report = replay(log.cfg, log.store.registry, {"balances": balances, "relay": published})
    assert not report.ok
    (difference,) = report.differences
    assert (difference.read_model, difference.path) == ("relay", ".published")
    assert (difference.live, difference.replayed) == (3, 0)
    assert scratch_databases(log) == []
