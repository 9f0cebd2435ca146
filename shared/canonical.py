"""Canonical encoding of events and the hash chain (specified in docs/audit.md).

Event data and metadata are restricted to what survives PostgreSQL's jsonb and
every JSON implementation unchanged: objects, arrays, strings, booleans, null and
integers of magnitude at most 2**53 - 1. No floats: money is integer fen and
ratios are strings or integer basis points. Under that restriction the canonical
text is exactly RFC 8785 (JSON Canonicalization Scheme), so auditors may use any
JCS library.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.errors import InvalidEvent

MAX_SAFE_INTEGER = 2**53 - 1
GENESIS_HASH = "0" * 64

# jsonb cannot hold U+0000 and UTF-8 cannot encode lone surrogates.
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
# Keys above U+FFFF would sort differently by code point than by UTF-16 unit (JCS).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)
_encode_string: Any = json.encoder.encode_basestring


def check_json(value: Any, path: str) -> None:
    """Raise InvalidEvent naming the first value at ``path`` that the log cannot record."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise InvalidEvent(
                f"{path}: integer {value} is outside ±(2**53-1)", path=path, reason="int_range"
            )
        return
    if isinstance(value, str):
        _check_string(value, path)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEvent(
                    f"{path}: object key {key!r} is not a string", path=path, reason="key_type"
                )
            _check_string(key, path)
            if _ASTRAL.search(key):
                raise InvalidEvent(
                    f"{path}: object key {key!r} has a character above U+FFFF",
                    path=path,
                    reason="key_chars",
                )
            check_json(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{path}[{index}]")
        return
    if isinstance(value, float):
        reason = "floats are not recorded: use integer fen, basis points or a decimal string"
        raise InvalidEvent(f"{path}: {reason}", path=path, reason="float")
    raise InvalidEvent(
        f"{path}: {type(value).__name__} is not JSON-serialisable",
        path=path,
        reason="not_json",
    )


def _check_string(value: str, path: str) -> None:
    if _BAD_CHARS.search(value):
        raise InvalidEvent(
            f"{path}: text contains U+0000 or a lone surrogate", path=path, reason="bad_char"
        )


def canonical_json(value: Any) -> str:
    """RFC 8785 text of an already checked value (see :func:`check_json`)."""
    return _ENCODER.encode(value)


def format_time(moment: datetime) -> str:
    """UTC, microseconds always six digits: ``2026-11-24T03:04:05.000006Z``."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("recorded_at must be timezone-aware")
    u = moment.astimezone(UTC) if offset else moment
    # isoformat is the fast path; it drops the fraction when microseconds are 0.
    text = u.replace(tzinfo=None).isoformat()
    return f"{text}Z" if u.microsecond else f"{text}.000000Z"


def canonical_record(
    *,
    position: int,
    stream_id: str,
    stream_type: str,
    version: int,
    event_id: UUID | str,
    event_type: str,
    schema_version: int,
    recorded_at: datetime | str,
    data_json: str,
    metadata_json: str,
) -> bytes:
    """The bytes the hash covers: one JCS object with the ten fields of a recorded event.

    ``recorded_at`` is the moment, or its text already in :func:`format_time`'s form.
    """
    time_text = recorded_at if isinstance(recorded_at, str) else format_time(recorded_at)
    return (
        f'{{"data":{data_json},"event_id":{_encode_string(str(event_id))},'
        f'"event_type":{_encode_string(event_type)},"metadata":{metadata_json},'
        f'"position":{position},"recorded_at":"{time_text}",'
        f'"schema_version":{schema_version},"stream_id":{_encode_string(stream_id)},'
        f'"stream_type":{_encode_string(stream_type)},"version":{version}}}'
    ).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    """hash = hex(SHA-256(bytes of prev_hash || canonical))."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()
