"""``unionctl``: the operators' and auditors' command line."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import amqp
import psycopg
from marshmallow import Schema, fields

from shared import asyncapi, audit_cli, backup, broker_users, processes, readmodels
from shared.broker import (
    INBOUND_DEAD_LETTER,
    INBOUND_EXCHANGE,
    broker_config,
    dead_letter_queue,
    declare_dead_letter,
    declare_events_exchange,
    declare_inbound,
    inbound_queue,
)
from shared.config import SERVICES, database_config
from shared.db import open_pool
from shared.errors import ConcurrencyConflict, UnionError
from shared.migrate import drop, migrate
from shared.nameko_ext import declare_handler_queues
from shared.registry import EventRegistry, NewEvent
from shared.relay import RELAY_LOCK, Relay, lag_of, republish
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


def cmd_backup(args: argparse.Namespace) -> int:
    (service,) = _services(args.service)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(args.output or f"{service}-{stamp}.dump")
    record = backup.backup(database_config(service), target)
    print(
        f"{service}: {target} (head {record['head_position']} {str(record['head_hash'])[:16]}…);"
        f" restore with: unionctl db restore {service} {target}"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    (service,) = _services(args.service)
    cfg = database_config(service)
    restored = backup.restore(cfg, Path(args.file))
    print(f"{service}: restored into {cfg.name}; verify: {restored.result.summary()}")
    if restored.expected_head is not None:
        same = "matches" if restored.ok else "DOES NOT MATCH"
        print(f"head at backup time {restored.expected_head[0]}: {same}")
    return 0 if restored.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    if args.against:
        args.service = args.service or "all"
        return audit_cli.verify_against(args)
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
        _remember_verify(service, result.summary())
        broken += not result.ok
    return 1 if broken else 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    """The cross-service report; services/reconcile.py knows the services' events,
    so it is imported only when asked for (shared/ does not depend on services/)."""
    reconcile = importlib.import_module("services.reconcile")
    code: int = reconcile.command(args.year, Path(args.out))
    return code


def cmd_replay(args: argparse.Namespace) -> int:
    """Each read model computed from a copy of the log equals the live one, or the differences."""
    differing = 0
    for service in _services(args.service):
        contract = importlib.import_module(f"services.{service}.contract")
        report = readmodels.replay(database_config(service), contract.EVENTS, contract.READ_MODELS)
        models = ", ".join(report.read_models)
        if report.ok:
            print(f"{service}: replay equals live: {report.events} events; {models}")
            continue
        differing += 1
        print(f"{service}: {len(report.differences)} differences ({report.events} events)")
        for d in report.differences[:50]:
            print(f"  {d.read_model}{d.path}: live {d.live!r}, replayed {d.replayed!r}")
    return 1 if differing else 0


def _remember_verify(service: str, summary: str) -> None:
    """Kept for `unionctl status`: the last verify's result and when it ran."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    (processes.run_dir(os.environ) / f"{service}.verify").write_text(f"{at} {summary}\n")


def _last_verify(service: str) -> str:
    path = processes.run_dir(os.environ) / f"{service}.verify"
    return path.read_text().strip() if path.exists() else "never"


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


def cmd_relay(args: argparse.Namespace) -> int:
    """Run one service's relay in the foreground until SIGTERM or Ctrl-C."""
    (service,) = _services(args.service)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    relay = Relay(service, database_config(service).service_dsn, broker_config())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=relay.run, args=(stop,), name=f"relay-{service}")
    worker.start()
    while not stop.wait(args.report_every):
        st = relay.status
        role = "leader" if st.leader else "standby"
        broker = "connected" if st.broker_connected else "broker DOWN"
        print(
            f"relay {service}: {role}, {broker}, published {st.published_position},"
            f" head {st.head_position}, lag {st.lag}"
            + (f", last error: {st.last_error}" if st.last_error else ""),
            flush=True,
        )
    worker.join()
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start every service that exists natively, and wait until each is healthy."""
    logging.getLogger("amqp").setLevel(logging.ERROR)  # polls before the service is up
    uri = broker_config().uri
    for service_cls in _service_classes():
        service = service_cls.name  # type: ignore[attr-defined]
        pid, fresh = processes.start(service, os.environ, uri)
        health = processes.wait_healthy(service, uri, pid)
        state = "started" if fresh else "already running"
        print(f"{service}: {state} (pid {pid}), healthy: log head {health['head_position']}")
    folder = processes.run_dir(os.environ)
    print(f"logs and pids in {folder}/; `unionctl status` to watch; `make stop` to stop")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The county-year demo (services/demo.py) against the services `up` started."""
    logging.getLogger("amqp").setLevel(logging.ERROR)
    demo = importlib.import_module("services.demo")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    code: int = demo.run(broker_config().uri, today)
    return code


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the service answers its health RPC (container healthchecks use this)."""
    logging.getLogger("amqp").setLevel(logging.ERROR)
    try:
        answer = processes.health(args.service, broker_config().uri, timeout=args.timeout)
    except Exception as exc:  # any failure to answer is unhealthy
        print(f"{args.service}: UNHEALTHY: {type(exc).__name__}: {exc}")
        return 1
    print(f"{args.service}: healthy: {json.dumps(answer, ensure_ascii=False)}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    for service_cls in _service_classes():
        service = service_cls.name  # type: ignore[attr-defined]
        print(f"{service}: {processes.stop(service, os.environ)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Per service: its database and log head, the relay and its lag, dead letters."""
    broker = broker_config()
    try:
        amqp_conn = broker.connect(timeout=5)
    except OSError as exc:
        amqp_conn = None
        print(f"broker: DOWN ({exc})")
    down = 0
    for service in _services(args.service):
        parts = []
        try:
            with psycopg.connect(database_config(service).service_dsn, connect_timeout=5) as conn:
                head, published = lag_of(conn)
                leading = conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND objid = %s AND granted AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())",
                    (RELAY_LOCK,),
                ).fetchone()
            relay = "relay leading" if leading and leading[0] else "NO RELAY"
            parts += [f"log head {head}", f"{relay}, lag {head - published}"]
        except psycopg.OperationalError:
            parts.append("database DOWN")
            down += 1
        if amqp_conn is not None:
            dlq = dead_letter_queue(service)
            try:
                _, depth, _ = amqp_conn.channel().queue_declare(dlq, passive=True)
                parts.append(f"dead letters {depth}")
            except amqp.exceptions.NotFound:
                parts.append("dead letters 0 (queue not declared yet)")
        try:
            processes.health(service, broker.uri, timeout=2)
            parts.insert(0, "UP")
        except Exception:  # not answering: the status says so, it does not fail
            parts.insert(0, "DOWN")
            down += 1
        parts.append(f"last verify {_last_verify(service)}")
        print(f"{service}: " + ", ".join(parts))
    if amqp_conn is not None:
        _, depth, _ = amqp_conn.channel().queue_declare(INBOUND_DEAD_LETTER, passive=True)
        print(f"inbound: dead letters {depth}")
        amqp_conn.close()
    return 1 if down or amqp_conn is None else 0


def cmd_republish(args: argparse.Namespace) -> int:
    (service,) = _services(args.service)
    count = republish(
        service,
        database_config(service).service_dsn,
        broker_config(),
        first=args.from_position,
        last=args.to_position,
    )
    print(f"{service}: published {count} events again (the relay's cursor is unchanged)")
    return 0


def cmd_lag(args: argparse.Namespace) -> int:
    for service in _services(args.service):
        with psycopg.connect(database_config(service).service_dsn) as conn:
            head, published = lag_of(conn)
        print(f"{service}: head {head}, published {published}, lag {head - published}")
    return 0


def cmd_broker_definitions(args: argparse.Namespace) -> int:
    """Users and permissions for compose's RabbitMQ; passwords from the environment."""
    env = os.environ
    passwords = {s: env.get(f"UNION_{s.upper()}_AMQP_PASSWORD", f"{s}-change-me") for s in SERVICES}
    admin = (
        env.get("UNION_RABBITMQ_ADMIN_USER", "admin"),
        env.get("UNION_RABBITMQ_ADMIN_PASSWORD", "admin-change-me"),
    )
    spec = broker_users.definitions(passwords, admin, args.vhost)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {len(spec['users'])} users in vhost {args.vhost}")
    return 0


def cmd_broker_setup(args: argparse.Namespace) -> int:
    """Declare the exchanges and queues, so that nothing published before a
    consumer first starts is lost or taken for an unknown type."""
    contracts = asyncapi.service_contracts()
    conn = broker_config().connect()
    try:
        channel = conn.channel()
        declare_inbound(channel)
        for c in contracts:
            declare_events_exchange(channel, c.service)
            declare_dead_letter(channel, dead_letter_queue(c.service))
            for kind in c.inbound:
                queue = inbound_queue(kind.owner, kind.name)
                channel.queue_declare(queue, durable=True, auto_delete=False)
                channel.queue_bind(queue, INBOUND_EXCHANGE, kind.name)
        queues = 0
        for service_cls in _service_classes():
            queues += len(declare_handler_queues(channel, service_cls))
        print(
            f"broker: declared {INBOUND_EXCHANGE}, each service's exchange and dead-letter"
            f" queue, and {queues} handler queues"
        )
    finally:
        conn.close()
    return 0


def _service_classes() -> list[type]:
    """The nameko service classes that exist so far (``services/<name>/service.py``)."""
    found = []
    for name in SERVICES:
        try:
            module = importlib.import_module(f"services.{name}.service")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{name}.service":
                raise
            continue
        found.append(getattr(module, name.capitalize()))
    return found


def cmd_asyncapi(args: argparse.Namespace) -> int:
    text = asyncapi.render()
    target = Path(args.output)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run `unionctl contract asyncapi`", file=sys.stderr)
            return 1
        print(f"{target} is current")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unionctl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="databases of the services")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    mig = db_sub.add_parser("migrate", help="create the database and role, apply migrations")
    mig.add_argument("service", help="a service name, or all")
    mig.set_defaults(func=cmd_migrate)
    bk = db_sub.add_parser("backup", help="pg_dump of a service's database, with its head")
    bk.add_argument("service")
    bk.add_argument("--output", help="file to write (default: SERVICE-TIMESTAMP.dump)")
    bk.set_defaults(func=cmd_backup)
    rs = db_sub.add_parser("restore", help="restore a dump into an empty database and verify it")
    rs.add_argument("service")
    rs.add_argument("file")
    rs.set_defaults(func=cmd_restore)

    audit = sub.add_parser("audit", help="auditors' tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    ver = audit_sub.add_parser("verify", help="recompute every hash chain")
    ver.add_argument("--service", default="all", help="a service name, or all (default)")
    ver.add_argument("--from", dest="from_position", type=int, default=1, metavar="POSITION")
    ver.add_argument("--against", metavar="CHECKPOINT_FILE", help="a signed checkpoint to check")
    ver.add_argument("--public-key", help="the operators' public key (PEM) to trust")
    ver.set_defaults(func=cmd_verify)
    audit_cli.register(audit_sub, _progress)
    rec = audit_sub.add_parser(
        "reconcile", help="check the logs against each other; an HTML and a CSV report"
    )
    rec.add_argument("--year", type=int, help="fiscal year to check (default: every year)")
    rec.add_argument("--out", default=".", metavar="DIR", help="where the report files go")
    rec.set_defaults(func=cmd_reconcile)
    rep_models = audit_sub.add_parser(
        "replay", help="rebuild a service's read models from a copy of its log; show differences"
    )
    rep_models.add_argument("service", help="a service name, or all")
    rep_models.set_defaults(func=cmd_replay)

    rel = sub.add_parser("relay", help="run a service's relay in the foreground")
    rel.add_argument("service")
    rel.add_argument("--report-every", type=float, default=10.0, metavar="SECONDS")
    rel.set_defaults(func=cmd_relay)

    up = sub.add_parser("up", help="start the services natively (nameko run), wait until healthy")
    up.set_defaults(func=cmd_up)
    hc = sub.add_parser("health", help="ask a running service's health RPC; exit 0 if it answers")
    hc.add_argument("service", choices=SERVICES)
    hc.add_argument("--timeout", type=float, default=5.0)
    hc.set_defaults(func=cmd_health)
    down = sub.add_parser("down", help="stop the services `up` started")
    down.set_defaults(func=cmd_down)
    demo = sub.add_parser("demo", help="drive a county year through the running services")
    demo.set_defaults(func=cmd_demo)

    status = sub.add_parser("status", help="each service's log, relay, lag and dead letters")
    status.add_argument("service", nargs="?", default="all")
    status.set_defaults(func=cmd_status)

    rep = sub.add_parser(
        "republish", help="publish a range of a log again, for a subscriber that came later"
    )
    rep.add_argument("service")
    rep.add_argument("--from", dest="from_position", type=int, required=True, metavar="POSITION")
    rep.add_argument("--to", dest="to_position", type=int, default=None, metavar="POSITION")
    rep.set_defaults(func=cmd_republish)

    lag = sub.add_parser("lag", help="each log's head, published position and relay lag")
    lag.add_argument("service", nargs="?", default="all")
    lag.set_defaults(func=cmd_lag)

    broker = sub.add_parser("broker", help="the message broker")
    broker_sub = broker.add_subparsers(dest="broker_command", required=True)
    setup = broker_sub.add_parser("setup", help="declare exchanges and queues")
    setup.set_defaults(func=cmd_broker_setup)
    defs = broker_sub.add_parser(
        "definitions", help="a RabbitMQ definitions file: one user per service, an admin"
    )
    defs.add_argument("--out", default="docker/rabbitmq/definitions.json")
    defs.add_argument("--vhost", default="/")
    defs.set_defaults(func=cmd_broker_definitions)

    contract = sub.add_parser("contract", help="the event contract")
    contract_sub = contract.add_subparsers(dest="contract_command", required=True)
    aapi = contract_sub.add_parser("asyncapi", help="generate docs/asyncapi.yaml")
    aapi.add_argument("--output", default="docs/asyncapi.yaml")
    aapi.add_argument("--check", action="store_true", help="fail if the file is not current")
    aapi.set_defaults(func=cmd_asyncapi)

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
