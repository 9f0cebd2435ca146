"""append_batch(): every request in one go, or each alone when one of them is refused.

Called directly, as the group commit's leader calls it, so the test chooses the
batch. ``pg_stat_xact_user_functions`` tells which way the batch was made.
"""

from __future__ import annotations

import uuid

import pytest

from shared.group_commit import AppendArgs, BatchRow, call_batch
from shared.registry import NewEvent
from shared.store import ANY_VERSION, NO_STREAM
from shared.verify import verify
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration


def deposit(amount: int, event_id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent("Deposited", {"amount_fen": amount}, event_id=event_id or uuid.uuid4())


def batch(
    log: LogFixture, requests: list[tuple[str, int, list[NewEvent]]]
) -> tuple[list[BatchRow], int]:
    """The batch's rows, and how many times it fell back to one request at a time."""
    args: list[AppendArgs] = [
        log.store._encode(stream, events, expected, META) for stream, expected, events in requests
    ]
    with log.admin() as conn:
        conn.execute("SET track_functions = 'pl'")
        with conn.transaction():
            rows = call_batch(conn, args)
            each = conn.execute(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions"
                " WHERE funcname = 'append_batch_each'"
            ).fetchone()
    assert each is not None
    return rows, int(each[0])


def outcome(row: BatchRow) -> tuple[object, ...]:
    """(positions, versions, replayed, sqlstate) of one request's row."""
    _, positions, versions, _, _, replayed, sqlstate, *_ = row
    return positions, versions, replayed, sqlstate


def test_a_batch_with_nothing_refused_is_recorded_in_one_go(log: LogFixture) -> None:
    first = deposit(1)
    log.store.append("Account-1", [first], NO_STREAM, META)
    rows, each = batch(
        log,
        [
            ("Account-2", NO_STREAM, [deposit(2)]),
            ("Account-3", NO_STREAM, [deposit(3), deposit(4)]),
            ("Account-1", ANY_VERSION, [first]),  # a retry: replayed, nothing written
            ("Account-2", 1, [deposit(5)]),  # sees the first request's event
        ],
    )
    assert each == 0
    assert [outcome(r) for r in rows] == [
        ([2], [1], False, None),
        ([3, 4], [1, 2], False, None),
        ([1], [1], True, None),
        ([5], [2], False, None),
    ]
    recorded = {e.position: e for e in log.store.read_all()}
    assert [r[4] for r in rows] == [[recorded[p].hash for p in r[1]] for r in rows]
    assert rows[1][3] == recorded[3].recorded_at == recorded[4].recorded_at
    with log.service() as conn:
        assert verify(conn).ok


def test_one_refused_request_makes_the_batch_again_each_alone(log: LogFixture) -> None:
    taken = deposit(1)
    log.store.append("Account-1", [taken], NO_STREAM, META)
    rows, each = batch(
        log,
        [
            ("Account-2", NO_STREAM, [deposit(2)]),
            ("Account-1", NO_STREAM, [deposit(3)]),  # stale: the stream is at 1
            ("Account-3", NO_STREAM, [deposit(4, taken.event_id)]),  # a recorded id, other data
            ("Account-4", NO_STREAM, [deposit(5), deposit(6)]),
        ],
    )
    assert each == 1
    assert [outcome(r) for r in rows] == [
        ([2], [1], False, None),
        (None, None, None, "UE001"),
        (None, None, None, "UE002"),
        ([3, 4], [1, 2], False, None),
    ]
    assert rows[1][8] == "1"  # the stream's actual version, for ConcurrencyConflict
    assert log.count() == 4  # no hole where the refused ones were
    with log.service() as conn:
        assert verify(conn).ok


def test_a_refused_batch_made_again_leaves_the_first_try_unrecorded(log: LogFixture) -> None:
    """The first try's rows are rolled back before the second reads the head."""
    rows, each = batch(
        log,
        [
            ("Account-1", NO_STREAM, [deposit(1), deposit(2)]),
            ("Account-2", NO_STREAM, [deposit(3)]),
            ("Account-1", 5, [deposit(4)]),  # refused after two requests were made
        ],
    )
    assert each == 1
    assert [outcome(r)[:2] for r in rows] == [([1, 2], [1, 2]), ([3], [1]), (None, None)]
    with log.admin() as conn:
        positions = [p for (p,) in conn.execute("SELECT position FROM events ORDER BY 1")]
    assert positions == [1, 2, 3]
