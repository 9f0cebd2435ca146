"""Connection pools, and making psycopg cooperate with green threads."""

from __future__ import annotations

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


def open_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, name: str | None = None
) -> ConnectionPool:
    """An opened pool of autocommit connections; blocks until the first is ready."""
    pool: ConnectionPool = ConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        # Times come back in UTC so nothing depends on the server's TimeZone setting.
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
        name=name,
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool
