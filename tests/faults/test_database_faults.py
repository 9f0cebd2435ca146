"""A service whose database connections are cut (as a PostgreSQL restart cuts them) goes on."""

from __future__ import annotations

import psycopg
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.relay import lag_of
from tests.mq import World, wait_for

pytestmark = pytest.mark.integration

ACTOR = {"actor": "finance-1", "role": "finance_officer"}


def allocation(when: str) -> dict[str, object]:
    return {
        "appropriation_id": f"2026-{when}",
        "fiscal_year": 2026,
        "line": "golden_autumn",
        "name": "金秋助学",
        "source": "union_funds",
        "amount_fen": 100_000,
        "basis": when,
    }


def server_processes(mq: World, service: str) -> list[int]:
    cfg = mq.db(service)
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = %s",
            (cfg.role,),
        ).fetchall()
    return [r[0] for r in rows]


def relay_process(mq: World, service: str) -> int | None:
    """The server process of the relay: the one holding the relay's advisory lock."""
    with psycopg.connect(mq.db(service).admin_dsn, autocommit=True) as admin:
        row = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    return None if row is None else int(row[0])


def terminate_all(mq: World, service: str) -> list[int]:
    """End every server process of the service, and wait until each is gone."""
    pids = server_processes(mq, service)
    with psycopg.connect(mq.db(service).admin_dsn, autocommit=True) as admin:
        for pid in pids:
            row = admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()
            assert row == (True,), pid
    return pids


def test_the_first_command_after_its_connections_are_cut_succeeds(mq: World) -> None:
    mq.start_service("funds")
    with ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=ACTOR) as rpc:
        rpc.funds.allocate(allocation("before"))
        wait_for("the relay to lead", lambda: relay_process(mq, "funds") is not None)
        relay = relay_process(mq, "funds")
        cut = terminate_all(mq, "funds")
        assert relay in cut and len(cut) >= 3  # the relay's and the pool's (at least two)

        rpc.funds.allocate(allocation("after"))  # no error: dead connections are replaced

    assert not set(cut) & set(server_processes(mq, "funds"))
    with psycopg.connect(mq.db("funds").admin_dsn) as conn:
        allocated = conn.execute(
            "SELECT data->>'basis' FROM events"
            " WHERE event_type = 'BudgetLineAllocated' ORDER BY position"
        ).fetchall()
    assert [r[0] for r in allocated] == ["before", "after"]

    def published_all() -> bool:
        with psycopg.connect(mq.db("funds").admin_dsn) as conn:
            head, published = lag_of(conn)
        return published == head

    wait_for("the relay to reconnect and publish the rest", published_all, timeout=60)
