#!/usr/bin/env python3
"""Check an event log's hash chain from an export (docs/audit.md).

Standard library only, and independent of the project's code: it has its own
RFC 8785 encoder. Input: one JSON object per line (`unionctl audit export
--format jsonl`, or psql's row_to_json), or the CSV export.

    python3 verify_chain.py [FILE] [--checkpoint FILE.checkpoint.json]

An export that starts after position 1 is checked from its first row's
prev_hash; the checkpoint of the previous export (or a signed checkpoint)
anchors that link. With --checkpoint, the file's SHA-256, its first link, its
count and its last position and hash must match the checkpoint too.
"""

import csv
import hashlib
import json
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any


def jcs(value: Any) -> str:
    """RFC 8785 for the values the log allows (no fractional numbers)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = ['"']
        for ch in value:
            code = ord(ch)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif ch in "\b\f\n\r\t":
                out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
            elif code < 0x20:
                out.append(f"\\u{code:04x}")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(jcs(k) + ":" + jcs(value[k]) for k in keys) + "}"
    raise ValueError(f"value not allowed in the log: {value!r}")


def utc_text(text: str) -> str:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: dict[str, Any]) -> bytes:
    record = {
        "data": row["data"],
        "event_id": str(row["event_id"]).lower(),
        "event_type": row["event_type"],
        "metadata": row["metadata"],
        "position": row["position"],
        "recorded_at": utc_text(row["recorded_at"]),
        "schema_version": row["schema_version"],
        "stream_id": row["stream_id"],
        "stream_type": row["stream_type"],
        "version": row["version"],
    }
    return jcs(record).encode("utf-8")


def rows_of(source: Iterable[str], is_csv: bool) -> Iterable[dict[str, Any]]:
    if is_csv:
        for row in csv.DictReader(source):
            for key in ("position", "version", "schema_version"):
                row[key] = int(row[key])
            yield row
        return
    for line in source:
        if line.strip():
            yield json.loads(line)


def verify(rows: Iterable[dict[str, Any]]) -> tuple[bool, str, dict[str, Any]]:
    prev, expected, count, first = "0" * 64, 1, 0, None
    for row in rows:
        if isinstance(row.get("data"), str):  # exports may carry JSON columns as text
            row["data"], row["metadata"] = json.loads(row["data"]), json.loads(row["metadata"])
        if first is None:
            first = {"first_position": row["position"], "first_prev_hash": row["prev_hash"]}
            if row["position"] != 1:  # a later part of the log: start from its own link
                prev, expected = row["prev_hash"], row["position"]
        position = row["position"]
        if position != expected:
            return False, f"position {expected}: missing (next row is {position})", {}
        if row["prev_hash"] != prev:
            why = f"prev_hash is not the hash of position {position - 1}"
            return False, f"position {position}: reordered or broken link ({why})", {}
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical(row)).hexdigest()
        if digest != row["hash"]:
            return False, f"position {position}: changed (content does not match its hash)", {}
        prev, expected, count = row["hash"], expected + 1, count + 1
    seen = {**(first or {}), "events": count, "last_position": expected - 1, "last_hash": prev}
    return True, f"OK {count} events, head {expected - 1} {prev}", seen


def against(path: str, seen: dict[str, Any], checkpoint_path: str) -> list[str]:
    with open(checkpoint_path, encoding="utf-8") as f:
        checkpoint = json.load(f)
    problems = []
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if checkpoint.get("sha256") != digest.hexdigest():
        problems.append("the file is not the one the checkpoint describes (SHA-256 differs)")
    for key in ("events", "first_position", "first_prev_hash", "last_position", "last_hash"):
        if key in seen and checkpoint.get(key) != seen[key]:
            problems.append(f"{key}: checkpoint says {checkpoint.get(key)}, file has {seen[key]}")
    return problems


def main(argv: list[str]) -> int:
    checkpoint = None
    if "--checkpoint" in argv:
        i = argv.index("--checkpoint")
        checkpoint, argv = argv[i + 1], argv[:i] + argv[i + 2 :]
    if argv:
        with open(argv[0], encoding="utf-8", newline="") as source:
            ok, message, seen = verify(rows_of(source, argv[0].endswith(".csv")))
    else:
        ok, message, seen = verify(rows_of(sys.stdin, False))
    print(message)
    if ok and checkpoint and argv:
        problems = against(argv[0], seen, checkpoint)
        for problem in problems:
            print(f"checkpoint: {problem}")
        ok = not problems
        if ok:
            print("checkpoint: matches")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
