"""Deciders and running a command against the log: load, decide, append, retry.

A decider is three pure functions over frozen values: ``initial_state``,
``evolve(state, event) -> state`` and ``decide(command, state) -> events``.
The clock, ids and policy versions reach ``decide`` inside the command.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import groupby
from operator import attrgetter
from typing import Any, Generic, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg

from shared.errors import ConcurrencyConflict, DomainError
from shared.store import NO_STREAM, AppendResult, EventStore, RecordedEvent

C = TypeVar("C")
S = TypeVar("S")
E = TypeVar("E")

_STREAM_ID_OF: Callable[[RecordedEvent], str] = attrgetter("stream_id")
_EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:huoqiu-union:event-id")


@dataclass(frozen=True)
class Decider(Generic[C, S, E]):
    initial_state: S
    evolve: Callable[[S, E], S]
    decide: Callable[[C, S], Sequence[E]]

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        return reduce(self.evolve, events, self.initial_state if state is None else state)


@dataclass(frozen=True)
class Loaded(Generic[S]):
    state: S
    version: int
    command_ids: frozenset[str]
    """Ids of the commands already recorded on this stream (for idempotent retries)."""


@dataclass(frozen=True)
class Executed(Generic[S, E]):
    state: S
    events: tuple[E, ...]
    append: AppendResult | None
    """None when the command decided nothing or was already recorded."""
    duplicate: bool
    """True when this command id had already been recorded: nothing was decided again."""
    attempts: int


def event_id_for(stream_id: str, command_id: str, index: int) -> UUID:
    """Deterministic, so a retried command re-appends the same ids (and writes nothing)."""
    return uuid5(_EVENT_ID_NAMESPACE, f"{stream_id}\n{command_id}\n{index}")


def load(
    store: EventStore,
    decider: Decider[Any, S, Any],
    stream_id: str,
    conn: psycopg.Connection | None = None,
) -> Loaded[S]:
    return loaded_from(store, decider, store.read_stream(stream_id, conn=conn))


def load_all(
    store: EventStore,
    decider: Decider[Any, S, Any],
    stream_type: str,
    conn: psycopg.Connection | None = None,
) -> dict[str, Loaded[S]]:
    """Every stream of ``stream_type`` loaded, by the id after ``Type-``, in id order.

    What :func:`load` gives for each, read in one walk of the log instead of a
    query per stream: for views and reactions that fold every stream of a type.
    """
    return {
        key: loaded_from(store, decider, recorded)
        for key, recorded in each_stream(store, stream_type, conn)
    }


def would_change(
    decider: Decider[C, S, Any], command: C, command_id: str, loaded: Loaded[S]
) -> bool:
    """Whether executing ``command`` on the stream ``loaded`` came from would record anything.

    A domain error counts as a change: execute is left to decide again and raise it.
    """
    if command_id in loaded.command_ids:
        return False
    try:
        return bool(decider.decide(command, loaded.state))
    except DomainError:
        return True


def sweep(
    store: EventStore,
    decider: Decider[C, S, Any],
    stream_type: str,
    command_for: Callable[[str], C],
    *,
    command_id: str,
    metadata: Mapping[str, Any],
    max_attempts: int = 5,
) -> int:
    """Execute ``command_for(id)`` on every stream of a type; the number of events recorded.

    For timers that visit every file, member or contract. One walk of the log
    finds the streams the command would change, and only those are executed
    (loaded again, decided, appended on that version), so a sweep costs one
    read of the type, not a query per stream. Each stream is judged as the walk
    read it, at most one batch before its turn, and memory stays flat.
    """
    recorded = 0
    for key, events in each_stream(store, stream_type):
        command = command_for(key)
        if would_change(decider, command, command_id, loaded_from(store, decider, events)):
            meta = {**metadata, "command_type": type(command).__name__}
            done = execute(
                store,
                decider,
                f"{stream_type}-{key}",
                command,
                command_id=command_id,
                metadata=meta,
                max_attempts=max_attempts,
            )
            recorded += len(done.events)
    return recorded


def each_stream(
    store: EventStore, stream_type: str, conn: psycopg.Connection | None = None
) -> Iterator[tuple[str, list[RecordedEvent]]]:
    """(id after ``Type-``, its recorded events) for every stream of a type, in id order,
    from one walk of the log (:meth:`EventStore.read_type`)."""
    for stream_id, group in groupby(store.read_type(stream_type, conn=conn), _STREAM_ID_OF):
        yield stream_id.split("-", 1)[1], list(group)


def loaded_from(
    store: EventStore, decider: Decider[Any, S, Any], recorded: Sequence[RecordedEvent]
) -> Loaded[S]:
    """A stream's state, version and command ids from its recorded events, in version order."""
    state = decider.fold(_decoded(store, recorded))
    commands = frozenset(
        str(r.metadata["command_id"]) for r in recorded if "command_id" in r.metadata
    )
    return Loaded(state, recorded[-1].version if recorded else NO_STREAM, commands)


def execute(
    store: EventStore,
    decider: Decider[C, S, E],
    stream_id: str,
    command: C,
    *,
    command_id: str,
    metadata: Mapping[str, Any],
    max_attempts: int = 5,
    conn: psycopg.Connection | None = None,
) -> Executed[S, E]:
    """Load, decide, append with ``expected_version``; on a conflict, do it all again.

    A command id already recorded on the stream is not decided twice. Domain
    errors from ``decide`` propagate unchanged; after ``max_attempts`` conflicts
    the last ConcurrencyConflict does.

    With ``conn`` the append joins the caller's transaction (a reaction with its
    inbox row); each attempt runs in a savepoint so that a conflict undoes only
    that attempt.
    """
    meta = {**metadata, "command_id": command_id}
    for attempt in range(1, max_attempts + 1):
        # With ``conn``, read through the caller's transaction: it sees its own
        # earlier appends, and it needs no second connection from the pool.
        loaded = load(store, decider, stream_id, conn)
        if command_id in loaded.command_ids:
            return Executed(loaded.state, (), None, True, attempt)
        events = tuple(decider.decide(command, loaded.state))
        if not events:
            return Executed(loaded.state, (), None, False, attempt)
        new = [
            store.registry.new_event(e, event_id_for(stream_id, command_id, i))
            for i, e in enumerate(events)
        ]
        try:
            if conn is None:
                result = store.append(stream_id, new, loaded.version, meta)
            else:
                with conn.transaction():
                    result = store.append(stream_id, new, loaded.version, meta, conn=conn)
        except ConcurrencyConflict:
            if attempt == max_attempts:
                raise
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
            continue
        return Executed(decider.fold(events, loaded.state), events, result, False, attempt)
    raise AssertionError("unreachable")


def _decoded(store: EventStore, recorded: Sequence[RecordedEvent]) -> Iterable[Any]:
    for r in recorded:
        yield store.registry.decode(r.event_type, r.schema_version, r.data)
