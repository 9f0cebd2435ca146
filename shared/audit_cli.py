"""``unionctl audit export | keygen | checkpoint | as-of`` and ``verify --against``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from shared import audit
from shared.config import SERVICES, database_config
from shared.store import head_of

Command = Callable[[argparse.Namespace], int]


def _connect(service: str) -> psycopg.Connection:
    return psycopg.connect(database_config(service).service_dsn, options="-c TimeZone=UTC")


def cmd_export(args: argparse.Namespace, progress: Callable[[str], Any]) -> int:
    fmt = args.format
    last = "head" if args.to_position is None else str(args.to_position)
    target = Path(args.output or f"{args.service}-events-{args.from_position}-{last}.{fmt}")
    with _connect(args.service) as conn, target.open("w", encoding="utf-8", newline="") as out:
        checkpoint = audit.export(
            conn,
            out,
            service=args.service,
            fmt=fmt,
            first=args.from_position,
            last=args.to_position,
            progress=progress(args.service),
        )
    checkpoint["file"] = target.name
    checkpoint["sha256"] = audit.file_sha256(target)
    side = target.with_name(target.name + ".checkpoint.json")
    side.write_text(json.dumps(checkpoint, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"{args.service}: {checkpoint['events']} events to {target} "
        f"(last position {checkpoint['last_position']}, hash {str(checkpoint['last_hash'])[:16]}…);"
        f" checkpoint in {side}"
    )
    print(f"check it with: python3 docs/verify_chain.py {target} --checkpoint {side}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    private, public = audit.new_key_pair()
    priv, pub = Path(args.private), Path(args.public)
    if priv.exists():
        print(f"unionctl: {priv} exists; not overwriting a key", file=sys.stderr)
        return 2
    priv.write_bytes(private)
    priv.chmod(0o600)
    pub.write_bytes(public)
    print(f"private key: {priv} (keep it offline, with the operators)")
    print(f"public key: {pub} (give it to the auditors)")
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    heads = {}
    for service in SERVICES if args.service == "all" else (args.service,):
        with _connect(service) as conn:
            head = head_of(conn)
        heads[service] = (head.position, head.hash)
    signed = audit.sign_checkpoint(heads, Path(args.key).read_bytes())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(args.output or f"checkpoint-{stamp}.json")
    target.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for service, (position, hash_) in heads.items():
        print(f"{service}: head {position} {hash_}")
    print(f"signed checkpoint written to {target}")
    return 0


def verify_against(args: argparse.Namespace) -> int:
    checkpoint = json.loads(Path(args.against).read_text(encoding="utf-8"))
    trusted = Path(args.public_key).read_bytes() if args.public_key else None
    problem = audit.check_signature(checkpoint, trusted)
    if problem:
        print(f"checkpoint {args.against}: NOT TRUSTED: {problem}")
        return 1
    if trusted is None:
        print("note: checked with the key inside the file; pass --public-key to trust only yours")
    broken = 0
    for service, head in checkpoint["claims"]["heads"].items():
        if args.service not in ("all", service):
            continue
        with _connect(service) as conn:
            finding = audit.check_head(conn, service, head["position"], head["hash"])
        print(f"{service}: {'OK' if finding.ok else 'CHANGED'}: {finding.detail}")
        broken += not finding.ok
    return 1 if broken else 0


def cmd_as_of(args: argparse.Namespace) -> int:
    contract = importlib.import_module(f"services.{args.service}.contract")
    stream_type = args.stream.split("-", 1)[0]
    deciders = getattr(contract, "DECIDERS", {})
    if stream_type not in deciders:
        known = ", ".join(sorted(deciders)) or "none yet"
        print(
            f"unionctl: {args.service} has no aggregate {stream_type!r} (known: {known})",
            file=sys.stderr,
        )
        return 2
    at = datetime.fromisoformat(args.at) if args.at else None
    if at is not None and at.utcoffset() is None:
        print("unionctl: --at needs a time zone, e.g. 2026-11-24T09:00:00+08:00", file=sys.stderr)
        return 2
    with _connect(args.service) as conn:
        result = audit.as_of(
            conn, contract.EVENTS, deciders[stream_type], args.stream, position=args.position, at=at
        )
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def register(audit_sub: Any, progress: Callable[[str], Any]) -> None:
    exp = audit_sub.add_parser("export", help="the log as JSON lines or CSV, with a checkpoint")
    exp.add_argument("service", choices=SERVICES)
    exp.add_argument("--from", dest="from_position", type=int, default=1, metavar="POSITION")
    exp.add_argument("--to", dest="to_position", type=int, default=None, metavar="POSITION")
    exp.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    exp.add_argument("--output", help="file to write (default: SERVICE-events-FROM-TO.FORMAT)")
    exp.set_defaults(func=lambda a: cmd_export(a, progress))

    key = audit_sub.add_parser("keygen", help="an Ed25519 key pair for signing checkpoints")
    key.add_argument("--private", default="checkpoint-key.pem")
    key.add_argument("--public", default="checkpoint-key.pub.pem")
    key.set_defaults(func=cmd_keygen)

    cp = audit_sub.add_parser("checkpoint", help="sign and record each log's head")
    cp.add_argument("--key", required=True, help="the operators' private key (PEM)")
    cp.add_argument("--service", default="all")
    cp.add_argument("--output", help="file to write (default: checkpoint-TIMESTAMP.json)")
    cp.set_defaults(func=cmd_checkpoint)

    asof = audit_sub.add_parser("as-of", help="an aggregate's state and history at an instant")
    asof.add_argument("service", choices=SERVICES)
    asof.add_argument("stream", help="stream id, e.g. BudgetLine-2026.warmth")
    when = asof.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", help="ISO time with zone, e.g. 2026-11-24T09:00:00+08:00")
    when.add_argument("--position", type=int)
    asof.set_defaults(func=cmd_as_of)
