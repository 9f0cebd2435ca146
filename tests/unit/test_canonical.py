"""The canonical encoding (RFC 8785 under the log's restrictions) and its guards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from shared.canonical import (
    GENESIS_HASH,
    canonical_json,
    canonical_record,
    chain_hash,
    check_json,
    format_time,
)
from shared.errors import InvalidEvent

AUDIT_DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
        ({"é": 1, "z": 2, "Z": 3}, '{"Z":3,"z":2,"é":1}'),
        ('"\\\n\t\x01\x7f/', '"\\"\\\\\\n\\t\\u0001\x7f/"'),
        ("霍邱😀", '"霍邱😀"'),
        (-(2**53 - 1), "-9007199254740991"),
        ({"": {}}, '{"":{}}'),
    ],
)
def test_canonical_json_is_jcs(value: Any, text: str) -> None:
    assert canonical_json(value) == text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"a": 1.5}, "float"),
        ({"a": 2**53}, "int_range"),
        ({"a": "\x00"}, "bad_char"),
        ({"a": "\udc00"}, "bad_char"),
        ({1: "a"}, "key_type"),
        ({"😀": 1}, "key_chars"),
        ({"a": {1, 2}}, "not_json"),
        ({"a": datetime.now(UTC)}, "not_json"),
    ],
)
def test_values_the_log_cannot_keep_exactly_are_refused(value: Any, reason: str) -> None:
    with pytest.raises(InvalidEvent) as exc:
        check_json(value, "data")
    assert exc.value.details["reason"] == reason


def test_the_error_names_the_path() -> None:
    with pytest.raises(InvalidEvent, match=r"data\.items\[2\]\.price"):
        check_json({"items": [{}, {}, {"price": 9.99}]}, "data")


def test_time_is_utc_with_six_digit_microseconds() -> None:
    cst = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 1, 2, 8, 4, 5, tzinfo=cst)) == "2026-01-02T00:04:05.000000Z"
    with pytest.raises(ValueError, match="timezone"):
        format_time(datetime(2026, 1, 2))


def test_hash_chains_through_prev() -> None:
    canonical = b'{"a":1}'
    first = chain_hash(GENESIS_HASH, canonical)
    assert first != chain_hash(first, canonical)
    assert len(first) == 64


def test_the_worked_example_in_docs_audit_md_is_exact() -> None:
    """docs/audit.md shows one event's canonical bytes and digest: they must be ours."""
    doc = AUDIT_DOC.read_text(encoding="utf-8")
    canonical = re.search(r"<!-- canonical -->\n```\n(.*?)\n```", doc, re.S)
    digest = re.search(r"<!-- hash -->\n```\n([0-9a-f]{64})\n```", doc)
    hex_bytes = re.search(r"<!-- hex -->\n```\n(.*?)\n```", doc, re.S)
    assert canonical and digest and hex_bytes
    ours = canonical_record(
        position=1,
        stream_id="AssistanceCase-2026-0001",
        stream_type="AssistanceCase",
        version=1,
        event_id="0b4f5a3e-6c1d-4e2a-9f7b-3d2c1b0a9e8f",
        event_type="AidRequested",
        schema_version=1,
        recorded_at=datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=UTC),
        data_json=canonical_json(
            {"programme": "冬送温暖", "amount_fen": 200000, "household_id": "HH-0042"}
        ),
        metadata_json=canonical_json({"actor": "caseworker-07", "role": "caseworker"}),
    )
    assert canonical.group(1).encode() == ours
    assert bytes.fromhex("".join(hex_bytes.group(1).split())) == ours
    assert digest.group(1) == chain_hash(GENESIS_HASH, ours)
