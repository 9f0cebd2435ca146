"""Concurrent writers and tailing readers on one log."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest

from shared.errors import ConcurrencyConflict
from shared.registry import NewEvent
from shared.store import ANY_VERSION
from shared.verify import verify
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration

WRITERS = 8


def run_all(target: object, count: int) -> None:
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            target(n)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert not errors, errors


def test_eight_writers_on_one_stream_with_optimistic_concurrency(log: LogFixture) -> None:
    appends_each = 200
    conflicts = Counter[int]()

    def writer(n: int) -> None:
        done = expected = 0
        while done < appends_each:
            event = NewEvent("Deposited", {"amount_fen": n * 1000 + done})
            try:
                result = log.store.append("Account-shared", [event], expected, META)
            except ConcurrencyConflict as exc:
                assert exc.actual > expected
                conflicts[n] += 1
                expected = exc.actual  # what a reload would find; then decide again
                continue
            expected = result.last_version
            done += 1

    run_all(writer, WRITERS)
    events = log.store.read_stream("Account-shared")
    assert len(events) == WRITERS * appends_each == 1600
    assert [e.version for e in events] == list(range(1, 1601))
    assert [e.position for e in events] == list(range(1, 1601))
    amounts = [e.data["amount_fen"] for e in events]
    assert len(set(amounts)) == 1600, "an append was recorded twice"
    assert sum(conflicts.values()) > 0, "the losers of races saw ConcurrencyConflict"
    with log.service() as conn:
        assert verify(conn).ok


def test_a_tailing_reader_sees_every_position_once_in_order(log: LogFixture) -> None:
    appends_each = 100
    total = WRITERS * appends_each
    seen: list[int] = []
    writers_done = threading.Event()

    def reader() -> None:
        last = 0
        while True:
            finished = writers_done.is_set()
            batch = [e.position for e in log.store.read_all(last + 1, batch_size=37)]
            seen.extend(batch)
            if batch:
                last = batch[-1]
            elif finished:
                return

    def writer(n: int) -> None:
        for i in range(appends_each):
            # Several events per append now and then: batches interleave too.
            events = [
                NewEvent("Deposited", {"amount_fen": i}, uuid.uuid4())
                for _ in range(1 + (i % 3 == 0))
            ]
            log.store.append(f"Account-w{n}", events, ANY_VERSION, META)

    tail = threading.Thread(target=reader)
    tail.start()
    run_all(writer, WRITERS)
    writers_done.set()
    tail.join(timeout=120)
    head = log.store.head().position
    assert head == log.count()
    assert seen == list(range(1, head + 1)), "the reader missed, repeated or reordered events"
    assert len(seen) >= total
