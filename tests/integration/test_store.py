"""The event store against a real PostgreSQL: append, read, idempotency, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.errors import (
    ConcurrencyConflict,
    DuplicateEventId,
    InvalidEvent,
    PayloadTooLarge,
    UnknownEventType,
)
from shared.registry import NewEvent
from shared.store import ANY_VERSION, MAX_DATA_BYTES, NO_STREAM
from shared.verify import verify
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration


def deposit(amount: int = 100, event_id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent("Deposited", {"amount_fen": amount}, event_id or uuid.uuid4())


def test_append_several_events_is_atomic_and_numbered(log: LogFixture) -> None:
    result = log.store.append("Account-1", [deposit(1), deposit(2), deposit(3)], NO_STREAM, META)
    assert result.positions == (1, 2, 3)
    assert result.versions == (1, 2, 3)
    assert not result.replayed
    recorded = log.store.read_stream("Account-1")
    assert [e.data["amount_fen"] for e in recorded] == [1, 2, 3]
    assert [e.stream_type for e in recorded] == ["Account"] * 3
    assert recorded[0].prev_hash == "0" * 64
    assert recorded[1].prev_hash == recorded[0].hash
    assert recorded[0].recorded_at.tzinfo is not None
    assert recorded[0].metadata == META


def test_expected_version_any_no_stream_and_exact(log: LogFixture) -> None:
    log.store.append("Account-1", [deposit()], NO_STREAM, META)
    log.store.append("Account-1", [deposit()], ANY_VERSION, META)
    log.store.append("Account-1", [deposit()], 2, META)
    with pytest.raises(ConcurrencyConflict) as no_stream:
        log.store.append("Account-1", [deposit()], NO_STREAM, META)
    assert (no_stream.value.expected, no_stream.value.actual) == (0, 3)
    with pytest.raises(ConcurrencyConflict) as stale:
        log.store.append("Account-1", [deposit()], 1, META)
    assert (stale.value.expected, stale.value.actual) == (1, 3)
    with pytest.raises(ConcurrencyConflict) as ahead:
        log.store.append("Account-2", [deposit()], 5, META)
    assert (ahead.value.expected, ahead.value.actual) == (5, 0)
    assert log.count() == 3


def test_reappending_the_same_event_ids_returns_the_original_positions(log: LogFixture) -> None:
    events = [deposit(1), deposit(2)]
    first = log.store.append("Account-1", events, NO_STREAM, META)
    log.store.append("Account-2", [deposit(9)], NO_STREAM, META)
    again = log.store.append("Account-1", events, NO_STREAM, META)
    assert again.replayed
    assert again.positions == first.positions == (1, 2)
    assert again.hashes == first.hashes
    assert log.count() == 3


def test_an_event_id_reused_with_other_content_is_refused(log: LogFixture) -> None:
    event = deposit(1)
    log.store.append("Account-1", [event], NO_STREAM, META)
    with pytest.raises(DuplicateEventId) as exc:
        log.store.append("Account-1", [deposit(2, event.event_id)], ANY_VERSION, META)
    assert str(event.event_id) in exc.value.details["event_ids"]
    with pytest.raises(DuplicateEventId):  # same content, other stream
        log.store.append("Account-2", [event], ANY_VERSION, META)
    with pytest.raises(DuplicateEventId):  # partly recorded batch
        log.store.append("Account-1", [event, deposit(3)], ANY_VERSION, META)
    assert log.count() == 1


@pytest.mark.parametrize("size", [1, 3], ids=["one event", "several"])
def test_one_event_and_several_keep_the_same_rules(log: LogFixture, size: int) -> None:
    """One event goes to append_event(), several to append_events(): the same log either way."""

    def fresh() -> list[NewEvent]:
        return [deposit(n) for n in range(size)]

    first = fresh()
    recorded = log.store.append("Account-1", first, NO_STREAM, META)
    log.store.append("Account-1", [deposit(), deposit()], ANY_VERSION, META)
    # A retry after the stream has moved on replays, whatever version it names.
    again = log.store.append("Account-1", first, NO_STREAM, META)
    assert again.replayed
    assert (again.positions, again.versions, again.hashes, again.recorded_at) == (
        recorded.positions,
        recorded.versions,
        recorded.hashes,
        recorded.recorded_at,
    )
    with pytest.raises(ConcurrencyConflict) as stale:
        log.store.append("Account-1", fresh(), size, META)
    assert (stale.value.expected, stale.value.actual) == (size, size + 2)
    clash = [deposit(99, first[0].event_id), *fresh()[1:]]
    with pytest.raises(DuplicateEventId):
        log.store.append("Account-1", clash, ANY_VERSION, META)
    with pytest.raises(DuplicateEventId):  # the same events on another stream
        log.store.append("Account-2", first, ANY_VERSION, META)
    later = log.store.append("Account-1", fresh(), size + 2, META)
    assert later.versions == tuple(range(size + 3, 2 * size + 3))
    assert later.positions == tuple(range(size + 3, 2 * size + 3))
    assert log.count() == 2 * size + 2
    with log.service() as conn:
        assert verify(conn).ok


def test_rolled_back_appends_leave_no_hole(log: LogFixture) -> None:
    log.store.append("Account-1", [deposit()], NO_STREAM, META)
    with log.pool.connection() as conn, pytest.raises(RuntimeError), conn.transaction():
        log.store.append("Account-2", [deposit(), deposit()], NO_STREAM, META, conn=conn)
        raise RuntimeError("the caller's transaction fails after the append")
    log.store.append("Account-3", [deposit()], NO_STREAM, META)
    assert [e.position for e in log.store.read_all()] == [1, 2]
    with log.service() as conn:
        assert verify(conn).ok


def test_append_joins_the_callers_transaction(log: LogFixture) -> None:
    with log.pool.connection() as conn, conn.transaction():
        log.store.append("Account-1", [deposit()], NO_STREAM, META, conn=conn)
        log.store.append("Account-2", [deposit()], NO_STREAM, META, conn=conn)
    assert [e.position for e in log.store.read_all()] == [1, 2]


def test_read_stream_from_version_and_read_all_in_batches(log: LogFixture) -> None:
    for i in range(7):
        log.store.append(f"Account-{i % 2}", [deposit(i)], ANY_VERSION, META)
    assert [e.version for e in log.store.read_stream("Account-0", from_version=3)] == [3, 4]
    assert [e.position for e in log.store.read_all(batch_size=3)] == list(range(1, 8))
    assert [e.position for e in log.store.read_all(from_position=5, batch_size=2)] == [5, 6, 7]
    assert [e.position for e in log.store.read_all(2, batch_size=2, to_position=4)] == [2, 3, 4]
    assert log.store.read_stream("Account-9") == []
    head = log.store.head()
    assert head.position == 7
    assert head.hash == log.store.read_stream("Account-0")[-1].hash


def test_head_of_an_empty_log(log: LogFixture) -> None:
    head = log.store.head()
    assert (head.position, head.hash) == (0, "0" * 64)


BAD_INPUTS: list[tuple[str, Any, type[Exception], str]] = [
    ("unknown event type", NewEvent("Teleported", {"x": 1}), UnknownEventType, "Teleported"),
    (
        "payload failing its schema",
        NewEvent("Deposited", {"amount_fen": "lots"}),
        InvalidEvent,
        "amount_fen",
    ),
    ("missing field", NewEvent("Deposited", {}), InvalidEvent, "amount_fen"),
    ("unknown field", NewEvent("Deposited", {"amount_fen": 1, "x": 2}), InvalidEvent, "x"),
    (
        "float",
        NewEvent("Noted", {"payload": {"ratio": 0.4}}),
        InvalidEvent,
        "events[1].data.payload.ratio",
    ),
    ("not JSON-serialisable", NewEvent("Noted", {"payload": {1, 2}}), InvalidEvent, "set"),
    ("NUL character", NewEvent("Noted", {"payload": "a\x00b"}), InvalidEvent, "U+0000"),
    ("lone surrogate", NewEvent("Noted", {"payload": "\ud800"}), InvalidEvent, "surrogate"),
    ("integer beyond 2**53", NewEvent("Noted", {"payload": 2**60}), InvalidEvent, "2**53"),
    (
        "oversized payload",
        NewEvent("Noted", {"payload": "x" * MAX_DATA_BYTES}),
        PayloadTooLarge,
        "bytes",
    ),
    ("bad event type name", NewEvent("not a name", {}), InvalidEvent, "PascalCase"),
]


@pytest.mark.parametrize(
    ("event", "error", "mentions"),
    [pytest.param(e, err, m, id=name) for name, e, err, m in BAD_INPUTS],
)
def test_bad_events_are_refused_with_a_specific_error_and_change_nothing(
    log: LogFixture, event: NewEvent, error: type[Exception], mentions: str
) -> None:
    log.store.append("Account-1", [deposit()], NO_STREAM, META)
    head = log.store.head()
    with pytest.raises(error) as exc:
        log.store.append("Account-1", [deposit(), event], 1, META)
    assert mentions in f"{exc.value} {getattr(exc.value, 'details', '')}"
    assert log.store.head() == head
    assert log.count() == 1


@pytest.mark.parametrize(
    ("stream_id", "expected", "metadata", "mentions"),
    [
        ("account-1", NO_STREAM, META, "stream_id"),
        ("Account", NO_STREAM, META, "stream_id"),
        ('Account-"1"', NO_STREAM, META, "stream_id"),
        ("Account-1", -2, META, "expected_version"),
        ("Account-1", NO_STREAM, {"role": "x"}, "actor"),
        ("Account-1", NO_STREAM, {**META, "colour": "red"}, "colour"),
        ("Account-1", NO_STREAM, {**META, "policy": {"ratio": 1}}, "policy"),
        # Travels as an AMQP message property: 255 bytes at most.
        ("Account-1", NO_STREAM, {**META, "correlation_id": "流" * 86}, "255 bytes"),
    ],
)
def test_bad_stream_ids_versions_and_metadata_are_refused(
    log: LogFixture, stream_id: str, expected: int, metadata: dict[str, Any], mentions: str
) -> None:
    with pytest.raises(InvalidEvent) as exc:
        log.store.append(stream_id, [deposit()], expected, metadata)
    assert mentions in f"{exc.value} {exc.value.details}"
    assert log.count() == 0


def test_repeated_event_id_within_one_append_is_refused(log: LogFixture) -> None:
    event = deposit()
    with pytest.raises(InvalidEvent, match="repeats"):
        log.store.append("Account-1", [event, event], NO_STREAM, META)
    assert log.count() == 0


def test_the_database_guards_the_table_too(log: LogFixture) -> None:
    """Rows inserted around append_events still meet the table's checks."""
    import psycopg

    with log.service() as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO events VALUES (1, 'Account-1', 'Other', 1, gen_random_uuid(),"
            " 'Deposited', 1, '{}', '{}', now(), repeat('0', 64), repeat('0', 64))"
        )
