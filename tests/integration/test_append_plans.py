"""append_events() and append_event() must stay index-only however their session began."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from shared.canonical import canonical_json
from shared.store import ANY_VERSION
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration

SEVERAL = (
    "SELECT * FROM append_events(%s, %s, %s::uuid[], %s::text[], %s::int[], %s::text[], %s::text[])"
)
ONE = "SELECT * FROM append_event(%s, %s, %s, %s, %s, %s, %s)"


def _append(conn: psycopg.Connection, stream: str, one: bool) -> None:
    args = (stream, ANY_VERSION, uuid.uuid4(), "Noted", 1, '{"text":"x"}', canonical_json(META))
    if one:
        conn.execute(ONE, args)
    else:
        conn.execute(SEVERAL, (*args[:2], *([a] for a in args[2:])))


@pytest.mark.parametrize("one", [False, True], ids=["append_events", "append_event"])
def test_plans_made_on_an_empty_log_never_scan_the_whole_log(log: LogFixture, one: bool) -> None:
    """A pooled session keeps the plans it made when the log was nearly empty.

    Before the fix, the event-id check kept a sequential scan planned for an
    empty table, so each append read the entire log. Statistics gathered on a
    log of a few rows (autovacuum's first ANALYZE) lead there too.
    """
    with log.admin() as conn:
        for i in range(3):
            _append(conn, f"Account-{i}", one)
        conn.execute("ANALYZE events")
        for _ in range(6):  # past PL/pgSQL's switch to cached generic plans
            _append(conn, "Account-1", one)
        with log.admin() as other:
            for i in range(3000):
                _append(other, f"Account-{i % 7}", one)
        plans: list[str] = []
        conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        conn.execute(
            "SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;"
            " SET auto_explain.log_level = notice; SET client_min_messages = notice"
        )
        _append(conn, "Account-1", one)
    text = "\n".join(plans)
    assert "INSERT INTO events" in text  # the nested statements were seen
    assert "Seq Scan on events" not in text, text
