"""The log refuses changes, and the hash chain exposes a superuser who forces one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from shared.registry import NewEvent
from shared.store import ANY_VERSION
from shared.verify import verify
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration


@pytest.fixture
def ten(log: LogFixture) -> LogFixture:
    for i in range(10):
        log.store.append(
            f"Account-{i % 3}", [NewEvent("Deposited", {"amount_fen": i})], ANY_VERSION, META
        )
    return log


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET data = '{}'", "DELETE FROM events WHERE position = 3", "TRUNCATE events"],
)
def test_the_service_role_cannot_change_or_remove_events(ten: LogFixture, statement: str) -> None:
    with ten.service() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)
    assert ten.count() == 10


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{}' WHERE position = 2",
        "DELETE FROM events WHERE position = 3",
        "TRUNCATE events",
    ],
)
def test_even_the_owner_is_stopped_by_the_trigger(ten: LogFixture, statement: str) -> None:
    with (
        ten.admin() as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute(statement)
    assert ten.count() == 10


def tamper(log: LogFixture, *statements: str) -> None:
    """As a superuser who disables the triggers first."""
    with log.admin() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for s in statements:
            conn.execute(s)


def check(log: LogFixture, from_position: int = 1) -> tuple[bool, int | None, str | None]:
    with log.service() as conn:
        r = verify(conn, from_position, batch_size=4)
    return r.ok, r.first_bad_position, r.problem


def test_an_untouched_log_verifies(ten: LogFixture) -> None:
    assert check(ten) == (True, None, None)
    assert check(ten, from_position=6) == (True, None, None)


def test_the_session_time_zone_and_date_style_do_not_matter(ten: LogFixture) -> None:
    with ten.service() as conn:
        conn.execute("SET TimeZone = 'Asia/Shanghai'")
        conn.execute("SET DateStyle = 'SQL, DMY'")
        assert verify(conn).ok


@pytest.mark.parametrize(
    "moment", ["recorded_at - interval '4052 years'", "'infinity'", "'-infinity'"]
)
def test_a_time_no_append_writes_is_caught(ten: LogFixture, moment: str) -> None:
    tamper(ten, f"UPDATE events SET recorded_at = {moment} WHERE position = 5")
    assert check(ten) == (False, 5, "changed")


def test_a_microsecond_moved_is_caught(ten: LogFixture) -> None:
    tamper(
        ten,
        "UPDATE events SET recorded_at = recorded_at + interval '1 microsecond' WHERE position = 3",
    )
    assert check(ten) == (False, 3, "changed")


def test_a_changed_row_is_named_exactly(ten: LogFixture) -> None:
    tamper(ten, """UPDATE events SET data = '{"amount_fen": 999999}' WHERE position = 6""")
    assert check(ten) == (False, 6, "changed")


@pytest.mark.parametrize(
    "change",
    [
        'metadata = \'{"actor": "someone-else"}\'',
        "recorded_at = recorded_at + interval '1 day'",
        "event_type = 'Withdrawn'",
        "hash = repeat('a', 64)",
    ],
)
def test_any_field_change_is_caught(ten: LogFixture, change: str) -> None:
    tamper(ten, f"UPDATE events SET {change} WHERE position = 4")
    assert check(ten) == (False, 4, "changed")


def test_a_deleted_row_is_a_hole(ten: LogFixture) -> None:
    tamper(ten, "DELETE FROM events WHERE position = 5")
    ok, position, problem = check(ten)
    assert (ok, position, problem) == (False, 5, "missing")


def test_a_renumbered_deletion_breaks_the_link(ten: LogFixture) -> None:
    tamper(
        ten,
        "DELETE FROM events WHERE position = 5",
        "UPDATE events SET position = position - 1 WHERE position > 5",
    )
    ok, position, problem = check(ten)
    assert not ok
    assert position == 5
    assert problem in {"reordered", "broken-link"}


def test_two_swapped_rows_are_reported_as_reordered(ten: LogFixture) -> None:
    tamper(
        ten,
        "UPDATE events SET position = 1000007 WHERE position = 7",
        "UPDATE events SET position = 7 WHERE position = 8",
        "UPDATE events SET position = 8 WHERE position = 1000007",
    )
    assert check(ten) == (False, 7, "reordered")


def test_a_rewritten_prev_hash_breaks_the_link(ten: LogFixture) -> None:
    tamper(ten, "UPDATE events SET prev_hash = repeat('b', 64) WHERE position = 9")
    assert check(ten) == (False, 9, "broken-link")


def export_lines(log: LogFixture) -> str:
    with log.admin() as conn:
        conn.execute("SET TIME ZONE 'Asia/Shanghai'")  # any zone: the canonical form is UTC
        rows = conn.execute(
            "SELECT row_to_json(e)::text FROM (SELECT * FROM events ORDER BY position) e"
        ).fetchall()
    return "\n".join(r[0] for r in rows) + "\n"


def standalone_verifier(lines: str) -> tuple[int, str]:
    script = Path(__file__).resolve().parents[2] / "docs" / "verify_chain.py"
    out = subprocess.run(
        [sys.executable, "-I", str(script)],
        check=False,
        input=lines,
        text=True,
        capture_output=True,
        timeout=60,
    )
    return out.returncode, out.stdout.strip()


def test_the_standard_library_verifier_agrees(ten: LogFixture) -> None:
    """docs/verify_chain.py, written from docs/audit.md alone, accepts our log."""
    rc, out = standalone_verifier(export_lines(ten))
    head = ten.store.head()
    assert (rc, out) == (0, f"OK 10 events, head 10 {head.hash}")
    tamper(ten, """UPDATE events SET data = '{"amount_fen": 1}' WHERE position = 3""")
    rc, out = standalone_verifier(export_lines(ten))
    assert rc == 1
    assert out.startswith("position 3: changed")


def test_a_hole_at_the_end_of_a_batch_is_found(ten: LogFixture) -> None:
    """check() reads 4 rows a batch: positions 5..8 gone leaves batch two empty."""
    tamper(ten, "DELETE FROM events WHERE position BETWEEN 5 AND 8")
    assert check(ten) == (False, 5, "missing")
    assert [e.position for e in ten.store.read_all(batch_size=4)] == [1, 2, 3, 4, 9, 10]
