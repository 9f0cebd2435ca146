"""``unionctl``: the operators' and auditors' command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import psycopg
from marshmallow import Schema, fields

from shared.config import SERVICES, database_config
from shared.db import open_pool
from shared.errors import ConcurrencyConflict, UnionError
from shared.migrate import drop, migrate
from shared.registry import EventRegistry, NewEvent
from shared.store import NO_STREAM, EventStore
from shared.verify import verify


def _services(name: str) -> Sequence[str]:
    if name == "all":
        return SERVICES
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; choose one of {', '.join(SERVICES)} or all")
    return (name,)


def cmd_migrate(args: argparse.Namespace) -> int:
    for service in _services(args.service):
        cfg = database_config(service)
        applied = migrate(cfg)
        done = ", ".join(applied) if applied else "nothing pending"
        print(f"{service}: database {cfg.name}, role {cfg.role}: {done}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    broken = 0
    for service in _services(args.service):
        cfg = database_config(service)
        try:
            with psycopg.connect(cfg.service_dsn, options="-c TimeZone=UTC") as conn:
                result = verify(conn, args.from_position, progress=_progress(service))
        except psycopg.OperationalError as exc:
            print(f"{service}: cannot connect to {cfg.name}: {exc}".strip())
            broken += 1
            continue
        _clear_progress()
        print(f"{service}: {result.summary()}")
        broken += not result.ok
    return 1 if broken else 0


def _progress(service: str) -> Callable[[int], None]:
    seen = 0
    interactive = sys.stderr.isatty()

    def report(n: int) -> None:
        nonlocal seen
        seen += n
        if interactive:
            print(f"\r{service}: verifying… {seen:,} events", end="", file=sys.stderr)

    return report


def _clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)


class _SelfCheckNote(Schema):
    text = fields.String(required=True)


def cmd_selfcheck(args: argparse.Namespace) -> int:
    """Exercise the kit end to end in a scratch database, then drop it."""
    cfg = database_config("selfcheck")
    scratch = f"{cfg.name}_{os.getpid()}"
    cfg = replace(cfg, name=scratch, role=scratch)
    registry = EventRegistry()
    registry.register("NoteRecorded", _SelfCheckNote)
    checks: list[tuple[str, bool]] = []
    migrate(cfg)
    try:
        pool = open_pool(cfg.service_dsn, max_size=2)
        try:
            store = EventStore(pool, registry)
            meta = {"actor": "system:selfcheck"}
            first = NewEvent("NoteRecorded", {"text": "自检 one"})
            r1 = store.append("Note-1", [first], NO_STREAM, meta)
            r2 = store.append("Note-1", [first], NO_STREAM, meta)
            checks.append(
                (
                    "re-appending an event id is a no-op",
                    r2.replayed and r2.positions == r1.positions,
                )
            )
            try:
                store.append("Note-1", [NewEvent("NoteRecorded", {"text": "x"})], NO_STREAM, meta)
                checks.append(("a stale expected version is refused", False))
            except ConcurrencyConflict as exc:
                checks.append(("a stale expected version is refused", exc.actual == 1))
            two = [NewEvent("NoteRecorded", {"text": t}) for t in ("two", "three")]
            store.append("Note-2", two, NO_STREAM, meta)
            positions = [e.position for e in store.read_all()]
            checks.append(("positions are contiguous", positions == [1, 2, 3]))
            with pool.connection() as conn:
                checks.append(("the hash chain verifies", verify(conn).ok))
                for op in ("UPDATE events SET data = '{}'", "DELETE FROM events"):
                    try:
                        conn.execute(op)
                        checks.append((f"{op.split()[0]} is refused", False))
                    except psycopg.errors.InsufficientPrivilege:
                        checks.append((f"{op.split()[0]} is refused", True))
        finally:
            pool.close()
    finally:
        drop(cfg)
    for name, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(ok for _, ok in checks) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unionctl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="databases of the services")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    mig = db_sub.add_parser("migrate", help="create the database and role, apply migrations")
    mig.add_argument("service", help="a service name, or all")
    mig.set_defaults(func=cmd_migrate)

    audit = sub.add_parser("audit", help="auditors' tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    ver = audit_sub.add_parser("verify", help="recompute every hash chain")
    ver.add_argument("--service", default="all", help="a service name, or all (default)")
    ver.add_argument("--from", dest="from_position", type=int, default=1, metavar="POSITION")
    ver.set_defaults(func=cmd_verify)

    sc = sub.add_parser("selfcheck", help="exercise the event store in a scratch database")
    sc.set_defaults(func=cmd_selfcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UnionError as exc:
        print(f"unionctl: {exc}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:
        print(f"unionctl: database unavailable: {exc}".strip(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
