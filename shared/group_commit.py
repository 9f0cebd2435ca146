"""How appends reach the database, and group commit for those that arrive together.

Every append to a log takes the log's advisory lock and holds it through its
commit, so appenders queue behind one another's commits however many
connections they hold. Group commit gives the waiting back: the first caller to
arrive becomes the leader and records its append at once. Callers that arrive
while that commit is in flight queue up, and when it ends the next leader
records all of them in one transaction with one commit (``append_batch()``,
migrations 0005 and 0007). A caller alone never waits for company, so a single
writer pays nothing for it.

Requests in a batch are appended in arrival order: one that is refused (a
stale expected version, a clashing event id) gets its own error, and the rest
are recorded. The database tries the whole batch in one subtransaction first
and, only if a request is refused, makes it again with a subtransaction per
request. Whether a batch commits is shared: if the connection dies, every
request in it gets the error, exactly as a single append would, and a retry
with the same event ids is safe.

Plain blocking code with ``threading`` primitives: under eventlet's monkey
patching (nameko) they are green, and the followers wait on green events.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

import psycopg
from psycopg_pool import ConnectionPool

from shared.errors import ConcurrencyConflict, DuplicateEventId, InvalidEvent, StoreError

LOG_LOCK: Final = 1970170223
"""The transaction-scoped advisory lock every append takes (migration 0001)."""
MAX_BATCH_REQUESTS: Final = 64
MAX_BATCH_EVENTS: Final = 1000

Row = tuple[Any, ...]
"""(position, version, recorded_at, hash, replayed): one recorded event."""
BatchRow = tuple[Any, ...]
"""One request's outcome in a batch; see :func:`call_batch`."""
AppendArgs = tuple[str, int, list[Any], list[str], list[int], list[str], list[str]]
"""(stream id, expected version, event ids, types, schema versions, data, metadata)."""

_APPEND = (
    # Arrays go in binary: the text format escapes every quote of the JSON in
    # Python, which cost more than the rest of the client's work.
    "SELECT * FROM append_events(%s, %s, %b::uuid[], %b::text[], %b::int[], %b::text[], %b::text[])"
)
# One event goes as plain parameters to a function made for it (migration
# 0006): five one-element arrays, indexed and returned as a set, cost about a
# tenth of the append.
_APPEND_ONE = "SELECT * FROM append_event(%s, %s, %s, %s, %s, %s, %s)"
_APPEND_BATCH = (
    "SELECT * FROM append_batch(%b::text[], %b::int8[], %b::int4[], %b::uuid[], %b::text[],"
    " %b::int4[], %b::text[], %b::text[])"
)


def call_append(conn: psycopg.Connection, args: AppendArgs) -> list[Row]:
    """One append in ``conn``'s transaction; raises what :func:`refusal` translates."""
    stream_id, expected, ids, types, versions, data, metadata = args
    if len(ids) == 1:
        one = (stream_id, expected, ids[0], types[0], versions[0], data[0], metadata[0])
        return conn.execute(_APPEND_ONE, one).fetchall()
    return conn.execute(_APPEND, args).fetchall()


def call_batch(conn: psycopg.Connection, requests: list[AppendArgs]) -> list[BatchRow]:
    """Several appends in one statement (``append_batch()``): one row per request, in order.

    Each row is (request, positions, versions, recorded_at, hashes, replayed,
    sqlstate, message, detail, constraint); a refused request has its error
    fields set and no positions.
    """
    return conn.execute(_APPEND_BATCH, _flatten(requests)).fetchall()


def refusal(
    stream_id: str,
    expected: int,
    *,
    sqlstate: str | None,
    message: str,
    detail: str | None,
    constraint: str | None,
) -> Exception:
    """The store's error for a refused append, from the database's error fields."""
    if sqlstate == "UE001":
        return ConcurrencyConflict(stream_id, expected, int(detail or 0))
    if sqlstate == "UE002":
        return DuplicateEventId(
            "an event id is already recorded with other content",
            event_ids=(detail or "").split(","),
        )
    if sqlstate == "23514":  # check_violation: the table's own guard
        return InvalidEvent(message, constraint=constraint)
    return StoreError(f"append failed: {message}", sqlstate=sqlstate)


def translate(exc: psycopg.Error, stream_id: str, expected: int) -> Exception:
    diag = exc.diag
    message = diag.message_primary or str(exc)
    error = refusal(
        stream_id,
        expected,
        sqlstate=exc.sqlstate,
        message=message,
        detail=diag.message_detail,
        constraint=diag.constraint_name,
    )
    error.__cause__ = exc
    return error


@dataclass(eq=False)
class _Request:
    args: AppendArgs
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    abandoned: bool = False
    rows: list[Row] | None = None
    error: BaseException | None = None

    @property
    def size(self) -> int:
        return len(self.args[2])


class GroupCommit:
    """Appends from concurrent callers, combined into as few commits as their arrival allows."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._queue: deque[_Request] = deque()
        self._leading = False
        self.commits = 0
        """Transactions committed (or attempted) for standalone appends."""
        self.appends = 0
        """Standalone appends those transactions carried."""

    @property
    def queued(self) -> int:
        """Appends waiting for the commit in flight to end."""
        with self._lock:
            return len(self._queue)

    def append(self, args: AppendArgs) -> list[Row]:
        """Record one append; returns its rows or raises its translated error."""
        request = _Request(args)
        with self._lock:
            self._queue.append(request)
            request.lead = not self._leading
            self._leading = True
        if not request.lead:
            try:
                request.wake.wait()
            except BaseException:  # e.g. nameko killing the worker's green thread
                self._abandon(request)
                raise
        if request.lead:  # the first to arrive, or handed the lead by the last leader
            self._lead()
        if request.error is not None:
            raise request.error
        assert request.rows is not None
        return request.rows

    def _abandon(self, request: _Request) -> None:
        """A caller gone while queued: unqueue its append, and pass on a lead it was handed.

        An append already taken into a batch is recorded all the same, as a
        single append is when its caller dies after sending it.
        """
        following = None
        with self._lock:
            if request not in self._queue:
                request.abandoned = True  # in a batch: an interrupted one must not requeue it
                return
            self._queue.remove(request)
            if request.lead:
                following = self._pass_lead()
        if following is not None:
            following.wake.set()

    def _lead(self) -> None:
        with self._lock:
            batch = self._take()
        try:
            self._record(batch)
        except BaseException:
            # The leader itself interrupted (nameko killing its worker): the batch may
            # still commit on the server. Its own append shares its fate; the others
            # are settled by what the log holds once the batch is over.
            batch[0].error = StoreError(
                "the append was interrupted before its commit was confirmed;"
                " retrying it with the same event ids is safe"
            )
            self._settle(batch[1:])
            raise
        finally:
            with self._lock:
                following = self._pass_lead()
            for r in batch:
                if r.rows is not None or r.error is not None:  # not queued again
                    r.wake.set()
            if following is not None:
                following.wake.set()

    def _pass_lead(self) -> _Request | None:
        """The queue's head leads next; none queued, nobody leads (lock held). The caller
        wakes the one returned once the lock is released."""
        following = self._queue[0] if self._queue else None
        if following is None:
            self._leading = False
        else:
            following.lead = True
        return following

    def _settle(self, followers: list[_Request]) -> None:
        """Rows for the followers the interrupted batch recorded; the rest queue again.

        The log's lock is taken first: the batch holds it until it commits or
        rolls back, so what is read then is its outcome. Appends are atomic, so
        a request's events are all there or none are.
        """
        ids = [i for r in followers for i in r.args[2]]
        if not ids:
            return
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))
                found = {
                    row[0]: row[1:]
                    for row in conn.execute(
                        "SELECT event_id, position, version, recorded_at, hash"
                        " FROM events WHERE event_id = ANY(%s)",
                        (ids,),
                    )
                }
        except Exception as exc:
            for r in followers:
                r.error = StoreError(
                    "the append's commit could not be confirmed; retrying it with the same"
                    " event ids is safe",
                    cause=type(exc).__name__,
                )
            return
        again = []
        for r in followers:
            if all(i in found for i in r.args[2]):
                r.rows = [(*found[i], False) for i in r.args[2]]
            else:
                again.append(r)
        with self._lock:
            for r in again:
                if r.abandoned:  # nobody waits for it, and nobody must be handed its lead
                    r.error = StoreError("the append was not recorded; its caller is gone")
            self._queue.extendleft(reversed([r for r in again if not r.abandoned]))

    def _take(self) -> list[_Request]:
        """The queue's head and as many followers as fit in one batch (lock held)."""
        batch = [self._queue.popleft()]
        events = batch[0].size
        while (
            self._queue
            and len(batch) < MAX_BATCH_REQUESTS
            and events + self._queue[0].size <= MAX_BATCH_EVENTS
        ):
            events += self._queue[0].size
            batch.append(self._queue.popleft())
        return batch

    def _record(self, batch: list[_Request]) -> None:
        self.commits += 1
        self.appends += len(batch)
        try:
            # The pool's own errors (none free in time, closed) are the store's too.
            with self._pool.connection() as conn:
                if len(batch) == 1:
                    batch[0].rows = call_append(conn, batch[0].args)
                    return
                results = call_batch(conn, [r.args for r in batch])
        except psycopg.Error as exc:
            for r in batch:
                r.error = translate(exc, r.args[0], r.args[1])
            return
        for r, (_, positions, versions, at, hashes, replayed, state, msg, detail, con) in zip(
            batch, results, strict=True
        ):
            if state is not None:
                r.error = refusal(
                    r.args[0], r.args[1], sqlstate=state, message=msg, detail=detail, constraint=con
                )
            else:
                recorded = zip(positions, versions, hashes, strict=True)
                r.rows = [(p, v, at, h, replayed) for p, v, h in recorded]


def _flatten(requests: list[AppendArgs]) -> tuple[list[Any], ...]:
    streams, expected, counts = [], [], []
    ids: list[Any] = []
    types: list[str] = []
    versions: list[int] = []
    data: list[str] = []
    metadata: list[str] = []
    for stream_id, exp, r_ids, r_types, r_versions, r_data, r_meta in requests:
        streams.append(stream_id)
        expected.append(exp)
        counts.append(len(r_ids))
        ids += r_ids
        types += r_types
        versions += r_versions
        data += r_data
        metadata += r_meta
    return streams, expected, counts, ids, types, versions, data, metadata
