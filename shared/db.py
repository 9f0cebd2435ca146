"""Connection pools, and making psycopg cooperate with green threads."""

from __future__ import annotations

from time import monotonic
from typing import Any, Final

import psycopg
import psycopg.waiting
from psycopg_pool import ConnectionPool


def cooperate_with_green_threads() -> None:
    """Make psycopg wait on sockets through ``select.select``.

    psycopg's default C wait function blocks the whole process, so under eventlet
    (nameko) two concurrent queries would run one after the other and a pool would
    never grow past one connection. ``wait_select`` goes through the ``select``
    module, which eventlet's monkey patching makes green. Harmless without eventlet.
    """
    psycopg.waiting.wait = psycopg.waiting.wait_select


class RecentFirstPool(ConnectionPool):
    """A pool that hands out the connection returned last, and only while its server process lives.

    psycopg_pool hands out the one idle longest, so even one caller at a time
    cycles through every open connection and finds each server process cold
    (its function and plan caches, the CPU's caches): after a burst had opened
    eight, a single writer's append took about 40 % longer. Most recent first
    keeps the few connections a light load needs hot, and the pool's idle timer
    (``max_idle``, which closes from the other end) retires the rest.

    A connection whose server process has ended while it sat idle (PostgreSQL
    restarted, or an administrator terminated it) is replaced instead of handed
    out, so the first command after a restart does not fail on it. Finding out
    costs no round trip (see :func:`server_gone`), and the caller takes the next
    connection at once: psycopg-pool's own ``check`` hook would pause about a
    second after the second dead one, two after the third, and so on.

    It overrides psycopg-pool internals: the version is pinned, and
    ``tests/integration/test_pool.py`` fails if the order or the replacement is lost.
    """

    def _get_ready_connection(self, timeout: float | None) -> psycopg.Connection[Any] | None:
        # Called with the pool's lock held; the parent takes from the left.
        self._pool.rotate(1)
        try:
            return super()._get_ready_connection(timeout)
        except BaseException:  # no connection taken (a timeout): keep the order as it was
            self._pool.rotate(-1)
            raise

    def _getconn_unchecked(self, timeout: float) -> psycopg.Connection[Any]:
        deadline = monotonic() + timeout
        while True:
            conn = super()._getconn_unchecked(deadline - monotonic())
            if not server_gone(conn):
                return conn
            # Closed first: some socket errors leave libpq's status OK, and the
            # pool would take such a connection back as good. Closed, it is
            # counted lost and replaced in the background.
            conn.close()
            self._putconn(conn, from_getconn=True)
            self._check_open_getconn()  # closed meanwhile: say so, not wait out the timeout


def server_gone(conn: psycopg.Connection[Any]) -> bool:
    """True when an idle connection's server process has ended, read without waiting.

    A server process that ends sends a FATAL message and closes its socket, and
    libpq reports the closed socket on the read after the one that returns the
    message; on a live idle connection each read finds nothing (about a
    microsecond for both: the socket is non-blocking). What a live server sent
    meanwhile (a notice, a NOTIFY) stays in libpq's buffer and is handled with
    the next query. A server cut off by the network sends nothing; the pool's
    TCP keepalives (see :func:`open_pool`) turn that into a socket error within
    about half a minute, and this read then sees it.
    """
    try:
        for _ in range(2):
            conn.pgconn.consume_input()
    except psycopg.OperationalError:
        return True
    return False


TCP_TIMEOUTS: Final[dict[str, Any]] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
"""libpq settings that end a connection to an unreachable server within about 30 s."""


def open_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, name: str | None = None
) -> ConnectionPool:
    """An opened pool of autocommit connections; blocks until the first is ready."""
    pool: ConnectionPool = RecentFirstPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        kwargs={
            "autocommit": True,
            # Times come back in UTC so nothing depends on the server's TimeZone setting.
            "options": "-c TimeZone=UTC",
            # A server cut off by the network sends nothing. Without these an idle
            # connection to it looks alive, and a query sent on it waits for TCP's
            # retransmissions to give up (about a quarter of an hour).
            **TCP_TIMEOUTS,
        },
        name=name,
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool
