"""Run under eventlet: green threads sharing one pool, as inside nameko.

Usage: python -m tests.integration.green_pool_probe DSN green|default|group|abandon|killed-leader
green/default: two green threads each run pg_sleep(1); prints the elapsed
seconds and the pool's connection count. group: eight green threads append
while the log's lock is held; prints the group commit's counters. abandon: a
queued appender is killed; prints what the others recorded. killed-leader: the
leader of a batch is killed; prints what its followers got and what the log holds.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import psycopg  # noqa: E402

from shared.db import cooperate_with_green_threads, open_pool  # noqa: E402
from shared.registry import NewEvent  # noqa: E402
from shared.store import NO_STREAM, EventStore  # noqa: E402
from shared.verify import verify  # noqa: E402
from tests.kit import META, registry  # noqa: E402


def until(what: str, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the other green threads run until ``predicate()``; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        eventlet.sleep(0.01)


def waiting_in(dsn: str, function: str) -> bool:
    """Whether a backend of this database waits for a lock inside ``function``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE %s",
            (f"%{function}(%",),
        ).fetchone()
    return bool(row and row[0])


def group_commit(dsn: str) -> None:
    cooperate_with_green_threads()
    pool = open_pool(dsn, min_size=1, max_size=4)
    store = EventStore(pool, registry())
    held = eventlet.Event()

    def hold_the_log_lock() -> None:
        with pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(1970170223)")
            held.send()
            until("seven appends queued", lambda: store.group_commit.queued == 7)

    def deposit(n: int) -> None:
        store.append(f"Account-g{n}", [NewEvent("Deposited", {"amount_fen": n})], NO_STREAM, META)

    holder = eventlet.spawn(hold_the_log_lock)
    held.wait()
    writers = [eventlet.spawn(deposit, n) for n in range(8)]
    for t in [holder, *writers]:
        t.wait()
    group = store.group_commit
    print(
        json.dumps(
            {"commits": group.commits, "appends": group.appends, "head": store.head().position}
        )
    )
    pool.close()


def abandoned_follower(dsn: str) -> None:
    """The first follower is killed while queued; the one behind it must still commit."""
    cooperate_with_green_threads()
    pool = open_pool(dsn, min_size=1, max_size=4)
    store = EventStore(pool, registry())
    queue = store.group_commit
    lock = pool.getconn()
    lock.execute("BEGIN")
    lock.execute("SELECT pg_advisory_xact_lock(1970170223)")

    def deposit(n: int) -> int:
        event = NewEvent("Deposited", {"amount_fen": n})
        return store.append(f"Account-k{n}", [event], NO_STREAM, META).positions[0]

    leader = eventlet.spawn(deposit, 0)
    until("the leader to wait for the log", lambda: waiting_in(dsn, "append_event"))
    doomed = eventlet.spawn(deposit, 1)
    until("one follower", lambda: queue.queued == 1)
    behind = eventlet.spawn(deposit, 2)
    until("two followers", lambda: queue.queued == 2)
    queued = queue.queued
    doomed.kill()
    lock.execute("COMMIT")
    pool.putconn(lock)
    with eventlet.Timeout(10):
        positions = [leader.wait(), behind.wait()]
    print(json.dumps({"queued": queued, "positions": positions, "head": store.head().position}))
    pool.close()


def killed_leader(dsn: str) -> None:
    """A batch's leader is killed while its batch waits for the log: the followers in it
    must still get their true outcome, and the queue must go on."""
    cooperate_with_green_threads()
    pool = open_pool(dsn, min_size=1, max_size=6)
    store = EventStore(pool, registry())
    lock = pool.getconn()
    lock.execute("BEGIN")
    lock.execute("SELECT pg_advisory_xact_lock(1970170223)")

    def deposit(n: int) -> list[int]:
        event = NewEvent("Deposited", {"amount_fen": n})
        return list(store.append(f"Account-l{n}", [event], NO_STREAM, META).positions)

    first = eventlet.spawn(deposit, 0)  # leads a batch of one, waiting for the lock
    until("the first to wait for the log", lambda: waiting_in(dsn, "append_event"))
    second, *followers = [eventlet.spawn(deposit, n) for n in (1, 2, 3)]
    until("three queued", lambda: store.group_commit.queued == 3)
    first.kill()  # the next leads the three that queued, and waits for the lock too
    until("the batch to wait for the log", lambda: waiting_in(dsn, "append_batch"))
    second.kill()
    lock.execute("COMMIT")
    pool.putconn(lock)
    with eventlet.Timeout(20):
        positions = [f.wait() for f in followers]
        after = deposit(9)
    with pool.connection() as conn:
        recorded: dict[str, int] = dict(
            conn.execute("SELECT stream_id, position FROM events ORDER BY position").fetchall()
        )
        ok = verify(conn).ok
    group = store.group_commit
    print(
        json.dumps(
            {
                "positions": positions,
                "after": after,
                "recorded": recorded,
                "verified": ok,
                "queued": group.queued,
            }
        )
    )
    pool.close()


def main(dsn: str, mode: str) -> None:
    if mode == "killed-leader":
        killed_leader(dsn)
        return
    if mode == "group":
        group_commit(dsn)
        return
    if mode == "abandon":
        abandoned_follower(dsn)
        return
    if mode == "green":
        cooperate_with_green_threads()
    pool = open_pool(dsn, min_size=1, max_size=4)

    def sleep_one_second() -> None:
        with pool.connection() as conn:
            conn.execute("SELECT pg_sleep(1)")

    start = time.monotonic()
    threads = [eventlet.spawn(sleep_one_second) for _ in range(2)]
    for t in threads:
        t.wait()
    elapsed = time.monotonic() - start
    stats = pool.get_stats()
    pool.close()
    print(json.dumps({"elapsed": elapsed, "pool_size": stats.get("pool_size")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
