"""The pool hands out the connection returned last: a light load stays on hot server processes."""

from __future__ import annotations

import psycopg
import pytest

from shared.config import DatabaseConfig
from shared.db import open_pool
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EventStore
from tests.kit import META, registry

pytestmark = pytest.mark.integration


def backend(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_the_connection_returned_last_is_handed_out_first(db_config: DatabaseConfig) -> None:
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    try:
        held = [pool.getconn() for _ in range(4)]
        pids = [backend(c) for c in held]
        assert len(set(pids)) == 4
        for conn in held:  # returned in order: the last one back is held[3]
            pool.putconn(conn)
        for _ in range(3):
            with pool.connection() as conn:
                assert backend(conn) == pids[3]
        # Two at once: the second is the one returned just before the last.
        first, second = pool.getconn(), pool.getconn()
        assert [backend(first), backend(second)] == [pids[3], pids[2]]
        pool.putconn(first)
        pool.putconn(second)
        assert pool.get_stats()["pool_size"] == 4
    finally:
        pool.close()


def test_a_lone_writer_after_a_burst_appends_on_one_server_process(
    db_config: DatabaseConfig,
) -> None:
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=6)
    try:
        store = EventStore(pool, registry())
        burst = [pool.getconn() for _ in range(6)]  # as eight writers at once would leave it
        for conn in burst:
            pool.putconn(conn)
        pids = set()
        for i in range(10):
            store.append(
                "Account-lone", [NewEvent("Deposited", {"amount_fen": i + 1})], ANY_VERSION, META
            )
            with pool.connection() as conn:
                pids.add(backend(conn))
        assert len(pids) == 1
        with pool.connection() as conn:
            row = conn.execute(
                "SELECT count(DISTINCT pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND usename = current_user"
            ).fetchone()
        assert row is not None and row[0] == 6  # the others stay open, idle, until max_idle
    finally:
        pool.close()
