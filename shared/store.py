"""The append-only event log of one service, in its own PostgreSQL database."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from shared.canonical import GENESIS_HASH, canonical_json, check_json
from shared.errors import (
    InvalidEvent,
    PayloadTooLarge,
)
from shared.group_commit import AppendArgs, GroupCommit, call_append, translate
from shared.registry import EventRegistry, NewEvent

ANY_VERSION: Final = -1
"""``expected_version`` that accepts whatever version the stream is at."""
NO_STREAM: Final = 0
"""``expected_version`` that requires the stream not to exist yet."""

MAX_EVENTS_PER_APPEND: Final = 1000
MAX_DATA_BYTES: Final = 64 * 1024
MAX_METADATA_BYTES: Final = 8 * 1024

# Matched with fullmatch: Python's $ also matches before a final newline, which
# the log's checks (PostgreSQL's $) refuse. Written with $, as the AsyncAPI
# document publishes them (JSON Schema has no \Z).
STREAM_ID = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}-[A-Za-z0-9_.:@-]{1,135}$")
STREAM_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
EVENT_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]{0,99}$")

_COLUMNS = (
    "position, stream_id, stream_type, version, event_id, event_type, schema_version,"
    " data, metadata, recorded_at, prev_hash, hash"
)


METADATA_FIELDS: Final = {
    "actor": "who did it (user id, or system:<service> for reactions and timers); required",
    "role": "the role the actor acted in",
    "org_unit": "the actor's union or department",
    "client": "IP address or device of the caller",
    "correlation_id": "id shared by everything one request or flow caused",
    "causation_id": "id of the command or event that caused this one",
    "command_id": "id of the command (idempotency key of execute)",
    "command_type": "name of the command",
    "reason": "reason code or text given by the actor",
    "policy": "policy parameter key -> version used by the decision",
}
"""Who, why and under which rules: recorded with every event (auditors' needs, §4.5)."""


_SHORT_FIELDS: Final = frozenset({"actor", "correlation_id", "causation_id", "command_id"})


def _metadata_errors(metadata: Mapping[str, Any]) -> dict[str, list[str]]:
    # Hand-written rather than a marshmallow schema: it runs on every append.
    errors: dict[str, list[str]] = {}
    for key, value in metadata.items():
        if key not in METADATA_FIELDS:
            errors[str(key)] = ["Unknown field."]
        elif key == "policy":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                errors[key] = ["Must map parameter keys to version strings."]
        elif not isinstance(value, str) or not value:
            errors[key] = ["Not a non-empty string."]
        elif key in _SHORT_FIELDS and len(value.encode("utf-8", "surrogatepass")) > 255:
            # They travel as AMQP short strings (message properties): 255 bytes at most.
            errors[key] = ["Longer than 255 bytes (UTF-8)."]
    if "actor" not in metadata:
        errors["actor"] = ["Missing data for required field."]
    return errors


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    stream_id: str
    stream_type: str
    version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AppendResult:
    stream_id: str
    positions: tuple[int, ...]
    versions: tuple[int, ...]
    hashes: tuple[str, ...]
    recorded_at: datetime | None
    replayed: bool
    """True when every event id was already recorded: nothing new was written."""

    @property
    def last_version(self) -> int:
        return self.versions[-1] if self.versions else 0


@dataclass(frozen=True, slots=True)
class Head:
    position: int
    hash: str


def head_of(conn: psycopg.Connection) -> Head:
    """The log's last position and hash (position 0 and the genesis hash when empty)."""
    row = conn.execute(
        "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
    ).fetchone()
    return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS_HASH)


def stream_type_of(stream_id: str) -> str:
    return stream_id.split("-", 1)[0]


class EventStore:
    """Append, read one stream, read the whole log in order, and the log's head."""

    def __init__(self, pool: ConnectionPool, registry: EventRegistry) -> None:
        self.pool = pool
        self.registry = registry
        self.group_commit = GroupCommit(pool)

    def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: Mapping[str, Any],
        *,
        conn: psycopg.Connection | None = None,
    ) -> AppendResult:
        """Append ``events`` to ``stream_id`` atomically, in one round trip.

        Without ``conn``, appends from concurrent callers share commits
        (:mod:`shared.group_commit`); each is still decided and refused alone.

        ``expected_version`` is the stream's version the events were decided on,
        or ANY_VERSION, or NO_STREAM. Appending event ids that are already
        recorded (a retry) returns their original positions and writes nothing.
        Pass ``conn`` to join the caller's transaction (inbox rows, read models).
        """
        args = self._encode(stream_id, events, expected_version, metadata)
        if not events:
            return AppendResult(stream_id, (), (), (), None, False)
        if conn is None:
            rows = self.group_commit.append(args)
        else:
            try:
                rows = call_append(conn, args)
            except psycopg.Error as exc:
                raise translate(exc, stream_id, expected_version) from exc
        return AppendResult(
            stream_id,
            tuple(r[0] for r in rows),
            tuple(r[1] for r in rows),
            tuple(r[3] for r in rows),
            rows[0][2],
            rows[0][4],
        )

    def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: psycopg.Connection | None = None
    ) -> list[RecordedEvent]:
        """The stream's events in version order; with ``conn``, as its transaction sees them."""
        query = (
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = %s AND version >= %s ORDER BY version"
        )
        if conn is not None:
            rows = conn.execute(query, (stream_id, from_version)).fetchall()
        else:
            with self.pool.connection() as own:
                rows = own.execute(query, (stream_id, from_version)).fetchall()
        return [RecordedEvent(*r) for r in rows]

    def read_all(
        self, from_position: int = 1, batch_size: int = 1000, to_position: int | None = None
    ) -> Iterator[RecordedEvent]:
        """Every event from ``from_position`` on, in position order, ``batch_size`` at a time.

        Memory stays flat however long the log is, and no connection is held
        while the caller works on a batch. It ends at the head as it finds it.
        """
        after = from_position - 1
        limit = to_position if to_position is not None else 2**62
        while after < limit:
            # Positions have no holes, so a batch is a range of positions: a plan
            # that stays O(batch) whatever the planner's statistics say.
            upto = min(after + batch_size, limit)
            following = None
            with self.pool.connection() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE position > %s AND position <= %s"
                    " ORDER BY position",
                    (after, upto),
                ).fetchall()
                if len(rows) < upto - after:  # the head, or a hole only tampering makes
                    following = conn.execute(
                        "SELECT position FROM events WHERE position > %s ORDER BY position LIMIT 1",
                        (upto,),
                    ).fetchone()
            for r in rows:
                yield RecordedEvent(*r)
            if len(rows) == upto - after:
                after = upto
            elif following is None:
                return
            else:
                after = following[0] - 1

    def read_type(
        self, stream_type: str, batch_size: int = 2000, *, conn: psycopg.Connection | None = None
    ) -> Iterator[RecordedEvent]:
        """Every event of every stream of ``stream_type``, by stream id and then version.

        One walk along the (stream_id, version) index, ``batch_size`` rows at a
        time, instead of a query per stream; memory stays flat. Stream ids
        ``Type-…`` of one type sort together because the log's database
        collates bytewise ("C"). Each batch goes on from where the last one
        ended, so a stream appended to meanwhile comes with its newer events,
        never without part of an append.
        """
        if not isinstance(stream_type, str) or not STREAM_TYPE.fullmatch(stream_type):
            raise InvalidEvent(f"{stream_type!r} is not a stream type", field="stream_type")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidEvent(
                f"batch size {batch_size!r} is not a positive integer", field="batch_size"
            )
        after, version, below = f"{stream_type}-", 0, f"{stream_type}."
        query = (
            f"SELECT {_COLUMNS} FROM events WHERE (stream_id, version) > (%s, %s)"
            " AND stream_id < %s ORDER BY stream_id, version LIMIT %s"
        )
        while True:
            # Planned each time, never prepared: a generic plan made while the
            # log was small (a scan and a sort) would be kept as it grows.
            params = (after, version, below, batch_size)
            if conn is not None:
                rows = conn.execute(query, params, prepare=False).fetchall()
            else:
                with self.pool.connection() as own:
                    rows = own.execute(query, params, prepare=False).fetchall()
            for r in rows:
                yield RecordedEvent(*r)
            if len(rows) < batch_size:
                return
            after, version = rows[-1][1], rows[-1][3]

    def head(self) -> Head:
        with self.pool.connection() as conn:
            return head_of(conn)

    def _encode(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: Mapping[str, Any],
    ) -> AppendArgs:
        if not isinstance(stream_id, str) or not STREAM_ID.fullmatch(stream_id):
            raise InvalidEvent(
                f"stream id {stream_id!r} is not of the form Type-id"
                " (Type: a letter then letters or digits; id: letters, digits, _ . : @ -)",
                field="stream_id",
            )
        if not isinstance(expected_version, int) or expected_version < ANY_VERSION:
            raise InvalidEvent(
                f"expected_version {expected_version!r} is not a version,"
                " ANY_VERSION (-1) or NO_STREAM (0)",
                field="expected_version",
            )
        if len(events) > MAX_EVENTS_PER_APPEND:
            raise PayloadTooLarge(
                f"{len(events)} events in one append; at most {MAX_EVENTS_PER_APPEND}",
                field="events",
                limit=MAX_EVENTS_PER_APPEND,
            )
        metadata_json = _encode_metadata(metadata)
        ids: list[UUID] = []
        types: list[str] = []
        versions: list[int] = []
        datas: list[str] = []
        for i, event in enumerate(events):
            if not EVENT_TYPE.fullmatch(event.event_type):
                raise InvalidEvent(
                    f"event type {event.event_type!r} is not a PascalCase name",
                    field=f"events[{i}].event_type",
                )
            version = self.registry.prepare(event)
            check_json(event.data, f"events[{i}].data")
            text = canonical_json(event.data)
            size = len(text.encode())
            if size > MAX_DATA_BYTES:
                raise PayloadTooLarge(
                    f"events[{i}].data is {size} bytes; at most {MAX_DATA_BYTES}",
                    field=f"events[{i}].data",
                    size=size,
                    limit=MAX_DATA_BYTES,
                )
            if not isinstance(event.event_id, UUID):
                raise InvalidEvent(
                    f"events[{i}].event_id is not a UUID", field=f"events[{i}].event_id"
                )
            ids.append(event.event_id)
            types.append(event.event_type)
            versions.append(version)
            datas.append(text)
        if len(set(ids)) != len(ids):
            raise InvalidEvent("an event id repeats within one append", field="events")
        return (
            stream_id,
            expected_version,
            ids,
            types,
            versions,
            datas,
            [metadata_json] * len(ids),
        )


def _encode_metadata(metadata: Mapping[str, Any]) -> str:
    errors = _metadata_errors(metadata)
    if errors:
        raise InvalidEvent("metadata failed its schema", fields=errors)
    check_json(metadata, "metadata")
    text = canonical_json(metadata)
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise PayloadTooLarge(
            f"metadata is over {MAX_METADATA_BYTES} bytes",
            field="metadata",
            limit=MAX_METADATA_BYTES,
        )
    return text
