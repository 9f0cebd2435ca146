#!/usr/bin/env python3
"""Check an event log's hash chain from one JSON object per line (docs/audit.md).

Standard library only, and independent of the project's code: it has its own
RFC 8785 encoder. Usage:  python3 verify_chain.py [FILE]   (default: standard input)
"""

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


def verify(lines: Iterable[str]) -> tuple[bool, str]:
    prev, expected, count = "0" * 64, 1, 0
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        if isinstance(row.get("data"), str):  # exports may carry JSON columns as text
            row["data"], row["metadata"] = json.loads(row["data"]), json.loads(row["metadata"])
        position = row["position"]
        if position != expected:
            return False, f"position {expected}: missing (next row is {position})"
        if row["prev_hash"] != prev:
            why = f"prev_hash is not the hash of position {position - 1}"
            return False, f"position {position}: reordered or broken link ({why})"
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical(row)).hexdigest()
        if digest != row["hash"]:
            return False, f"position {position}: changed (content does not match its hash)"
        prev, expected, count = row["hash"], expected + 1, count + 1
    return True, f"OK {count} events, head {expected - 1} {prev}"


def main() -> int:
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as source:
            ok, message = verify(source)
    else:
        ok, message = verify(sys.stdin)
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
