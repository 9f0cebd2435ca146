"""Auditors' tools over one service's log: export, signed checkpoints, state as of an instant.

- ``export`` writes the log (or a range of it) as JSON lines or CSV with every
  column, positions and hashes included, and beside it a checkpoint of what was
  exported (first link, last position and hash, the file's SHA-256), so the
  chain can be checked from the files alone (``docs/verify_chain.py``).
- ``sign_checkpoint`` / ``check_checkpoint``: each log's head, signed with an
  Ed25519 key the operators hold; a later check proves nothing up to those
  heads has changed since.
- ``as_of``: an aggregate's state and history at a position or instant, folded
  by the service's own deciders.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.canonical import GENESIS_HASH, canonical_json, format_time
from shared.decider import Decider
from shared.registry import EventRegistry
from shared.verify import verify

COLUMNS = (
    "position",
    "stream_id",
    "stream_type",
    "version",
    "event_id",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "recorded_at",
    "prev_hash",
    "hash",
)

Progress = Callable[[int], None]


def _rows(
    conn: psycopg.Connection, first: int, last: int | None, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    after = first - 1
    while True:
        upto = after + batch if last is None else min(after + batch, last)
        if upto <= after:
            return
        rows = conn.execute(
            "SELECT position, stream_id, stream_type, version, event_id::text, event_type,"
            " schema_version, data::text, metadata::text, recorded_at, prev_hash, hash"
            " FROM events WHERE position > %s AND position <= %s ORDER BY position",
            (after, upto),
        ).fetchall()
        for r in rows:
            row = dict(zip(COLUMNS, r, strict=True))
            row["recorded_at"] = format_time(row["recorded_at"])
            yield row
        if len(rows) < upto - after:
            return  # the head (or a hole, which verify names; the export shows it too)
        after = upto


def export(
    conn: psycopg.Connection,
    out: TextIO,
    *,
    service: str,
    fmt: str = "jsonl",
    first: int = 1,
    last: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the rows and return the export's checkpoint (write it beside the file)."""
    count, prev_first, last_row = 0, None, None
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in _rows(conn, first, last):
        if prev_first is None:
            prev_first = row["prev_hash"]
        if writer is not None:
            writer.writerow(row)  # data and metadata as JSON text columns
        else:
            obj = {**row, "data": json.loads(row["data"]), "metadata": json.loads(row["metadata"])}
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        count += 1
        last_row = row
        if progress and count % 1000 == 0:
            progress(1000)
    return {
        "service": service,
        "format": fmt,
        "events": count,
        "first_position": first if count else None,
        "first_prev_hash": prev_first or (GENESIS_HASH if first == 1 else None),
        "last_position": last_row["position"] if last_row else None,
        "last_hash": last_row["hash"] if last_row else None,
        "exported_at": format_time(datetime.now().astimezone()),
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# -- signed checkpoints ------------------------------------------------------------


def new_key_pair() -> tuple[bytes, bytes]:
    """(private key PEM, public key PEM) for signing checkpoints; keep the first offline."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _claims_bytes(claims: Mapping[str, Any]) -> bytes:
    return canonical_json(dict(claims)).encode()


def sign_checkpoint(heads: Mapping[str, tuple[int, str]], private_pem: bytes) -> dict[str, Any]:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint key must be an Ed25519 private key")
    claims = {
        "heads": {s: {"position": p, "hash": h} for s, (p, h) in sorted(heads.items())},
        "created_at": format_time(datetime.now().astimezone()),
    }
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "claims": claims,
        "algorithm": "Ed25519",
        "public_key": public.decode(),
        "signature": base64.b64encode(key.sign(_claims_bytes(claims))).decode(),
    }


@dataclass(frozen=True)
class CheckpointFinding:
    service: str
    ok: bool
    detail: str


def check_signature(checkpoint: Mapping[str, Any], trusted_public_pem: bytes | None) -> str | None:
    """None when the signature is good (by the trusted key, if one is given); else why not."""
    pem = trusted_public_pem or str(checkpoint["public_key"]).encode()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        return "the public key is not an Ed25519 key"
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), _claims_bytes(checkpoint["claims"]))
    except (InvalidSignature, ValueError):
        return "the signature does not match the checkpoint (or was made with another key)"
    return None


def check_head(
    conn: psycopg.Connection, service: str, position: int, hash_: str
) -> CheckpointFinding:
    """Does the log still hold, whole, everything up to the checkpointed head?"""
    row = conn.execute("SELECT hash FROM events WHERE position = %s", (position,)).fetchone()
    if row is None:
        return CheckpointFinding(service, False, f"position {position} is gone")
    if row[0] != hash_:
        return CheckpointFinding(service, False, f"position {position} now has another hash")
    result = verify(conn, 1)
    if result.first_bad_position is not None and result.first_bad_position <= position:
        return CheckpointFinding(service, False, result.summary())
    return CheckpointFinding(service, True, f"unchanged up to position {position}")


# -- state as of an instant ------------------------------------------------------------


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        for name, attr in vars(type(value)).items():  # derived figures, e.g. available
            if isinstance(attr, property) and not name.startswith("_"):
                out[name] = _plain(getattr(value, name))
        return out
    if isinstance(value, Mapping | MappingProxyType):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def as_of(
    conn: psycopg.Connection,
    registry: EventRegistry,
    decider: Decider[Any, Any, Any],
    stream_id: str,
    *,
    position: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The stream's history up to ``position`` or ``at`` and the state it folds to."""
    query = (
        "SELECT position, version, event_type, schema_version, data, metadata, recorded_at"
        " FROM events WHERE stream_id = %s"
    )
    params: list[Any] = [stream_id]
    if position is not None:
        query += " AND position <= %s"
        params.append(position)
    if at is not None:
        query += " AND recorded_at <= %s"
        params.append(at)
    rows = conn.execute(query + " ORDER BY version", params).fetchall()
    events = [registry.decode(r[2], r[3], r[4]) for r in rows]
    history = [
        {
            "position": r[0],
            "version": r[1],
            "recorded_at": format_time(r[6]),
            "event_type": r[2],
            "actor": r[5].get("actor"),
            "data": r[4],
        }
        for r in rows
    ]
    return {
        "stream_id": stream_id,
        "version": rows[-1][1] if rows else 0,
        "state": _plain(decider.fold(events)),
        "history": history,
    }
