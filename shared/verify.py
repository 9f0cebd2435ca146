"""Recompute a log's hash chain and report the first position where it breaks.

The algorithm is the one in docs/audit.md. Rows are read in batches by
position, so memory stays flat however long the log is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from shared.canonical import GENESIS_HASH, canonical_json, canonical_record, chain_hash

_SELECT = (
    # The id and the time come as the text the canonical form holds: building UUID and
    # datetime objects only to print them again cost about a fifth of a verification.
    # to_char is explicit, so neither the session's TimeZone nor its DateStyle matters.
    # It prints no era, so a time outside years 1-9999 (BC, infinity), which no append
    # writes, comes as NULL and cannot match its hash.
    "SELECT position, stream_id, stream_type, version, event_id::text, event_type,"
    " schema_version, data, metadata,"
    " CASE WHEN recorded_at >= '0001-01-01 00:00:00+00'"
    " AND recorded_at < '10000-01-01 00:00:00+00' THEN"
    """ to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,"""
    " prev_hash, hash FROM events"
)
_NO_TIME = "outside years 1-9999"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    """Rows checked, up to and including the first bad one."""
    head_position: int
    """Last position checked that is whole."""
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None
    """'missing' (a hole), 'changed' (content differs from its hash),
    'reordered' (rows moved between positions) or 'broken-link' (prev_hash wrong)."""
    detail: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.checked} events, head {self.head_position} {self.head_hash[:16]}…"
        return f"BROKEN at position {self.first_bad_position}: {self.problem}: {self.detail}"


Progress = Callable[[int], None]


def verify(
    conn: psycopg.Connection,
    from_position: int = 1,
    *,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> VerifyResult:
    """Verify the chain from ``from_position`` to the head.

    Starting after position 1 trusts the stored hash of ``from_position - 1``;
    anchor it with a signed checkpoint to trust nothing.
    """
    state = _Walk(*_start(conn, from_position))
    with conn.cursor() as cur:
        # JSON arrives as jsonb text: equal metadata (the common case) is parsed once.
        cur.adapters.register_loader("jsonb", _TextLoader)
        while True:
            # A range of positions, not LIMIT: the plan stays O(batch) (see read_all).
            rows = cur.execute(
                f"{_SELECT} WHERE position >= %s AND position < %s ORDER BY position",
                (state.expected, state.expected + batch_size),
            ).fetchall()
            last = len(rows) < batch_size
            if last:  # the head, or a hole at the end of the range
                rows += cur.execute(
                    f"{_SELECT} WHERE position >= %s ORDER BY position LIMIT 1",
                    (state.expected + batch_size,),
                ).fetchall()
            broken = state.check(rows)
            if broken is not None:
                return broken
            if progress is not None and rows:
                progress(len(rows))
            if last:
                return VerifyResult(True, state.checked, state.expected - 1, state.prev)


class _Walk:
    """The running position and hash of a verification, fed one batch at a time."""

    def __init__(self, expected: int, prev: str) -> None:
        self.expected = expected
        self.prev = prev
        self.checked = 0
        self._metadata: dict[str, str] = {}

    def check(self, rows: list[tuple[Any, ...]]) -> VerifyResult | None:
        if len(self._metadata) > 10_000:
            self._metadata.clear()
        prev_raw = bytes.fromhex(self.prev)
        for i, row in enumerate(rows):
            position = row[0]
            if position != self.expected:
                gap = (
                    self.expected
                    if position == self.expected + 1
                    else (f"{self.expected}..{position - 1}")
                )
                return self._broken(
                    self.expected, "missing", f"no event at position {gap}; next is {position}"
                )
            self.checked += 1
            digest = hashlib.sha256(prev_raw)
            digest.update(_canonical(row, self._metadata_json(row[8])))
            if row[10] != self.prev:
                return self._broken(position, *_diagnose_link(rows, i, self.prev))
            if digest.hexdigest() != row[11]:
                return self._broken(
                    position, "changed", "the stored content no longer matches its hash"
                )
            prev_raw = digest.digest()
            self.prev = row[11]
            self.expected += 1
        return None

    def _metadata_json(self, text: str) -> str:
        found = self._metadata.get(text)
        if found is None:
            found = self._metadata[text] = canonical_json(json.loads(text))
        return found

    def _broken(self, position: int, problem: str, detail: str) -> VerifyResult:
        return VerifyResult(False, self.checked, position - 1, self.prev, position, problem, detail)


class _TextLoader(Loader):
    def load(self, data: Buffer) -> str:
        return bytes(data).decode()


def _canonical(row: tuple[Any, ...], metadata_json: str | None = None) -> bytes:
    return canonical_record(
        position=row[0],
        stream_id=row[1],
        stream_type=row[2],
        version=row[3],
        event_id=row[4],
        event_type=row[5],
        schema_version=row[6],
        data_json=canonical_json(json.loads(row[7])),
        metadata_json=metadata_json or canonical_json(json.loads(row[8])),
        recorded_at=_NO_TIME if row[9] is None else row[9],
    )


def _start(conn: psycopg.Connection, from_position: int) -> tuple[int, str]:
    if from_position <= 1:
        return 1, GENESIS_HASH
    row = conn.execute(
        "SELECT hash FROM events WHERE position = %s", (from_position - 1,)
    ).fetchone()
    if row is None:
        raise ValueError(f"there is no event at position {from_position - 1} to start after")
    return from_position, str(row[0])


def _diagnose_link(rows: list[tuple[Any, ...]], i: int, prev: str) -> tuple[str, str]:
    """The row at ``i`` does not follow ``prev``: moved rows, or a changed prev_hash?"""
    here = rows[i]
    for later in rows[i + 1 :]:
        if later[10] == prev:
            return (
                "reordered",
                f"the event that follows position {here[0] - 1} is stored at position "
                f"{later[0]}; position {here[0]} holds an event recorded elsewhere",
            )
    if chain_hash(here[10], _canonical(here)) == here[11]:
        return "reordered", "this event was recorded after another event than the one before it"
    return "broken-link", "prev_hash does not match the hash of the position before"
