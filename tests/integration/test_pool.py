"""The pool hands out the connection returned last: a light load stays on hot server processes."""

from __future__ import annotations

import psycopg
import pytest

from shared.config import DatabaseConfig
from shared.db import TCP_TIMEOUTS, open_pool
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


def terminate(cfg: DatabaseConfig, pids: list[int]) -> None:
    """End server processes as a restart would, and wait until they are gone."""
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as admin:
        for pid in pids:
            row = admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()
            assert row == (True,)


def test_connections_whose_server_process_ended_are_replaced_not_handed_out(
    db_config: DatabaseConfig,
) -> None:
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    try:
        store = EventStore(pool, registry())
        held = [pool.getconn() for _ in range(4)]
        old = [backend(c) for c in held]
        for conn in held:
            pool.putconn(conn)
        terminate(db_config, old)

        # The first command after the restart succeeds, on a new server process.
        result = store.append(
            "Account-restart", [NewEvent("Deposited", {"amount_fen": 1})], ANY_VERSION, META
        )
        assert result.positions == (1,)
        assert [e.version for e in store.read_stream("Account-restart")] == [1]
        # None of the four can be handed out again: four at once are all new.
        now = [pool.getconn() for _ in range(4)]
        assert not {backend(c) for c in now} & set(old)
        for conn in now:
            pool.putconn(conn)
        assert pool.get_stats().get("connections_lost") == 4
    finally:
        pool.close()


def test_pool_connections_notice_an_unreachable_server(db_config: DatabaseConfig) -> None:
    """A network cut sends nothing: TCP keepalives and a send timeout make it an error."""
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=1)
    try:
        with pool.connection() as conn:
            settings = conn.info.get_parameters()
        assert {k: settings.get(k) for k in TCP_TIMEOUTS} == {
            k: str(v) for k, v in TCP_TIMEOUTS.items()
        }
    finally:
        pool.close()


def test_a_live_idle_connection_is_handed_out_with_what_it_was_sent(
    db_config: DatabaseConfig,
) -> None:
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=2)
    heard: list[str] = []
    try:
        with pool.connection() as conn:
            first = backend(conn)
            conn.add_notify_handler(lambda n: heard.append(n.payload))
            conn.execute("LISTEN pool_probe")
        with psycopg.connect(db_config.admin_dsn, autocommit=True) as other:
            other.execute("NOTIFY pool_probe, 'while idle'")  # arrives while it is pooled
        with pool.connection() as conn:
            assert backend(conn) == first
            conn.execute("SELECT 1")  # psycopg hands notifications over with a query
            conn.execute("UNLISTEN *")
        assert heard == ["while idle"]
        assert "connections_lost" not in pool.get_stats()
    finally:
        pool.close()
