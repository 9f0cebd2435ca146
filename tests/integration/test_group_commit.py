"""Group commit: appends that queue behind a commit in flight share the next one.

The log's advisory lock, held from a connection of the test's own, keeps the
first append (the leader's) waiting inside the database, so the test decides
exactly which appends queue behind it and in what order.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from shared.errors import ConcurrencyConflict, DuplicateEventId, StoreError
from shared.registry import NewEvent
from shared.store import ANY_VERSION, NO_STREAM, AppendResult, EventStore
from shared.verify import verify
from tests.kit import META, LogFixture, registry
from tests.mq import wait_for

pytestmark = pytest.mark.integration

LOG_LOCK = 1970170223


class Call:
    """One append on a thread of its own; its result or error once joined."""

    def __init__(self, fn: Callable[[], AppendResult]) -> None:
        self.result: AppendResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn,))
        self._thread.start()

    def _run(self, fn: Callable[[], AppendResult]) -> None:
        try:
            self.result = fn()
        except BaseException as exc:
            self.error = exc

    def join(self) -> Call:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "an append hung"
        return self


def deposit(amount: int, event_id: uuid.UUID | None = None) -> NewEvent:
    return NewEvent("Deposited", {"amount_fen": amount}, event_id=event_id or uuid.uuid4())


def waiting_backends(log: LogFixture, function: str) -> list[int]:
    """Backends of the log's database waiting for a lock inside ``function`` (a regex)."""
    with log.admin() as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query ~ %s",
            (rf"\m{function}\(",),
        ).fetchall()
    return [int(r[0]) for r in rows]


def blocked_in(log: LogFixture, function: str) -> bool:
    return bool(waiting_backends(log, function))


def terminate(admin: psycopg.Connection, pids: list[int]) -> None:
    assert pids
    admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (pids,))


@contextmanager
def log_locked(log: LogFixture) -> Iterator[psycopg.Connection]:
    with log.admin() as admin:
        admin.execute("BEGIN")
        admin.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))
        try:
            yield admin
        finally:
            admin.execute("COMMIT")


def queue(log: LogFixture, fns: Sequence[Callable[[], AppendResult]]) -> list[Call]:
    """Start ``fns`` in order while the log is locked: the first leads, the rest queue."""
    group = log.store.group_commit
    calls = [Call(fns[0])]
    wait_for("the leader to wait for the lock", lambda: blocked_in(log, "append_events?"))
    for n, fn in enumerate(fns[1:], start=1):
        calls.append(Call(fn))
        wait_for(f"append {n} to queue", lambda n=n: group.queued == n)  # type: ignore[misc]
    return calls


def test_a_single_writer_commits_alone(log: LogFixture) -> None:
    group = log.store.group_commit
    for n in range(5):
        log.store.append("Account-solo", [deposit(n)], ANY_VERSION, META)
    assert (group.commits, group.appends) == (5, 5)


def test_appends_queued_behind_a_commit_share_the_next_one(log: LogFixture) -> None:
    group = log.store.group_commit

    def opener(n: int) -> Callable[[], AppendResult]:
        return lambda: log.store.append(f"Account-{n}", [deposit(n), deposit(n)], NO_STREAM, META)

    fns = [opener(n) for n in range(6)]
    with log_locked(log):
        calls = queue(log, fns)
    results = [c.join() for c in calls]
    assert all(c.error is None for c in results), [c.error for c in results]
    # The leader alone, then the five that queued behind it together.
    assert (group.commits, group.appends) == (2, 6)
    positions = [p for c in results for p in (c.result.positions if c.result else ())]
    assert positions == list(range(1, 13))  # arrival order, no holes
    for n, c in enumerate(results):
        assert c.result is not None and c.result.versions == (1, 2)
        assert [e.position for e in log.store.read_stream(f"Account-{n}")] == list(
            c.result.positions
        )
    with log.service() as conn:
        assert verify(conn).ok


def test_a_refused_append_in_a_batch_fails_alone(log: LogFixture) -> None:
    recorded = deposit(1)
    first = log.store.append("Account-a", [recorded], NO_STREAM, META)
    clash = deposit(2, event_id=recorded.event_id)  # same id, other content
    group = log.store.group_commit
    before = group.commits
    with log_locked(log):
        calls = queue(
            log,
            [
                lambda: log.store.append("Account-lead", [deposit(3)], NO_STREAM, META),
                lambda: log.store.append("Account-a", [deposit(4)], NO_STREAM, META),  # stale
                lambda: log.store.append("Account-b", [deposit(5)], NO_STREAM, META),
                lambda: log.store.append("Account-c", [clash], NO_STREAM, META),
                lambda: log.store.append("Account-a", [recorded], NO_STREAM, META),  # retry
                lambda: log.store.append("Account-b", [deposit(6)], 1, META),  # after the 3rd
            ],
        )
    lead, stale, b1, dup, retry, b2 = (c.join() for c in calls)
    assert group.commits - before == 2
    assert isinstance(stale.error, ConcurrencyConflict)
    assert (stale.error.expected, stale.error.actual) == (NO_STREAM, 1)
    assert isinstance(dup.error, DuplicateEventId)
    assert retry.result is not None and retry.result.replayed
    assert retry.result.positions == first.positions
    assert lead.result is not None and b1.result is not None and b2.result is not None
    # The refused ones took no position: the recorded ones are contiguous.
    assert [lead.result.positions, b1.result.positions, b2.result.positions] == [(2,), (3,), (4,)]
    assert b2.result.versions == (2,)
    assert log.count() == 4
    with log.service() as conn:
        assert verify(conn).ok


def test_a_batch_whose_connection_dies_fails_whole_and_the_next_commits(
    log: LogFixture,
) -> None:
    def opener(n: int) -> Callable[[], AppendResult]:
        return lambda: log.store.append(f"Account-{n}", [deposit(n)], NO_STREAM, META)

    with log_locked(log) as admin:
        calls = queue(log, [opener(n) for n in range(4)])
        # The leader's own append dies; the next leader takes the three queued.
        terminate(admin, waiting_backends(log, "append_events?"))
        wait_for("the batch to wait for the lock", lambda: blocked_in(log, "append_batch"))
        terminate(admin, waiting_backends(log, "append_batch"))
        for c in calls:
            c.join()
    assert all(isinstance(c.error, StoreError) for c in calls), [c.error for c in calls]
    assert log.count() == 0
    # Same event ids would be safe to retry; the store and its pool carry on.
    after = log.store.append("Account-after", [deposit(9)], NO_STREAM, META)
    assert after.positions == (1,)


def test_no_connection_in_time_is_a_store_error_for_every_caller(log: LogFixture) -> None:
    pool = ConnectionPool(
        log.cfg.service_dsn,
        min_size=1,
        max_size=1,
        timeout=0.5,
        kwargs={"autocommit": True},
        open=False,
    )
    pool.open(wait=True)
    store = EventStore(pool, registry())
    try:
        with pool.connection():  # the only connection, held

            def opener(n: int) -> Callable[[], AppendResult]:
                return lambda: store.append(f"Account-t{n}", [deposit(n)], NO_STREAM, META)

            calls = [Call(opener(n)) for n in range(3)]
            errors = [c.join().error for c in calls]
        assert all(type(e) is StoreError for e in errors), errors
        # Nothing was recorded and the store goes on once a connection is free.
        assert store.append("Account-t9", [deposit(9)], NO_STREAM, META).positions == (1,)
    finally:
        pool.close()
