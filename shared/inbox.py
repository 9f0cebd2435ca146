"""The inbox: a reaction takes effect once, however often its message arrives.

A handler's database work runs in one transaction that first records
(source, message id, handler) in ``inbox``. A redelivered message finds the
row and the handler does nothing. Two deliveries racing each other serialise
on the row's unique key: the second waits for the first to commit, then sees
the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

T = TypeVar("T")


@dataclass(frozen=True)
class Handled(Generic[T]):
    first_time: bool
    """False when the inbox already held the message: nothing was done."""
    result: T | None


def take(
    conn: psycopg.Connection,
    source: str,
    message_id: str,
    handler: str,
    source_position: int | None = None,
) -> bool:
    """Record the message in the caller's transaction; False when it was already recorded."""
    row = conn.execute(
        "INSERT INTO inbox (source, message_id, handler, source_position)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (source, message_id, handler, source_position),
    ).fetchone()
    return row is not None


def handle_once(
    pool: ConnectionPool,
    fn: Callable[[psycopg.Connection], T],
    *,
    source: str,
    message_id: str,
    handler: str,
    source_position: int | None = None,
) -> Handled[T]:
    """Run ``fn(conn)`` in one transaction with the inbox row, unless the row exists.

    ``fn`` appends with ``conn=conn`` (and updates read models on it) so that
    its effects and the inbox row commit or vanish together. If ``fn`` raises,
    nothing is recorded and the message may be tried again.
    """
    with pool.connection() as conn, conn.transaction():
        if not take(conn, source, message_id, handler, source_position):
            return Handled(False, None)
        return Handled(True, fn(conn))
