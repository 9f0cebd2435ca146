"""Messaging test helpers: a vhost and databases per test, nameko and relay processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import amqp
import psycopg
import yaml
from marshmallow import Schema, fields

from shared.broker import BrokerConfig
from shared.config import DatabaseConfig, database_config
from shared.db import open_pool
from shared.migrate import drop, migrate
from shared.registry import EventRegistry, NewEvent
from shared.relay import Relay
from shared.store import ANY_VERSION, EventStore
from tests.kit import RUN_PREFIX

ROOT = Path(__file__).resolve().parent.parent
NAMEKO = str(Path(sys.executable).with_name("nameko"))
UNIONCTL = str(Path(sys.executable).with_name("unionctl"))
PROBE = "tests.e2e.probe:Probe"
PROBE_QUEUE = "evt-aid-Deposited--funds.on_deposited"
SOURCE_META = {"actor": "caseworker-1", "role": "caseworker", "correlation_id": "flow-1"}


class DepositedSchema(Schema):
    amount_fen = fields.Integer(required=True, strict=True)
    note = fields.String()


def source_registry() -> EventRegistry:
    reg = EventRegistry()
    reg.register("Deposited", DepositedSchema)
    return reg


def deposited(amount: int, note: str | None = None) -> NewEvent:
    data: dict[str, Any] = {"amount_fen": amount}
    if note is not None:
        data["note"] = note
    return NewEvent("Deposited", data)


def wait_for(
    what: str,
    predicate: Callable[[], bool],
    timeout: float = 30.0,
    diagnose: Callable[[], str] | None = None,
) -> None:
    """Poll until ``predicate()``; fail naming ``what`` (and ``diagnose()``) after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            extra = f"\n{diagnose()}" if diagnose else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(0.05)


def rabbitmqctl(*args: str) -> str:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def queue_info(broker: BrokerConfig, queue: str) -> tuple[int, int]:
    """(ready messages, consumers) of ``queue``; (-1, 0) when it does not exist."""
    conn = broker.connect()
    try:
        _, messages, consumers = conn.channel().queue_declare(queue, passive=True)
        return int(messages), int(consumers)
    except amqp.exceptions.NotFound:
        return -1, 0
    finally:
        with suppress(Exception):
            conn.close()


def drain(broker: BrokerConfig, queue: str) -> list[amqp.Message]:
    """Take every ready message off ``queue``."""
    conn = broker.connect()
    try:
        channel = conn.channel()
        out = []
        while (msg := channel.basic_get(queue, no_ack=True)) is not None:
            out.append(msg)
        return out
    finally:
        conn.close()


def publish(
    broker: BrokerConfig,
    exchange: str,
    routing_key: str,
    body: bytes,
    **properties: Any,
) -> None:
    conn = broker.connect()
    try:
        channel = conn.channel()
        channel.confirm_select()
        properties.setdefault("delivery_mode", 2)
        channel.basic_publish_confirm(
            amqp.Message(body, **properties), exchange=exchange, routing_key=routing_key
        )
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait(10)


@dataclass
class World:
    """One test's isolated messaging world: a vhost and a database prefix."""

    broker: BrokerConfig
    prefix: str
    tmp: Path
    procs: list[Proc] = field(default_factory=list)
    threads: list[tuple[threading.Thread, threading.Event]] = field(default_factory=list)

    http_port: int = field(default_factory=free_port)
    ports: dict[str, int] = field(default_factory=dict)
    """Each service's HTTP port: the first started gets ``http_port``."""

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "UNION_HTTP_ADDRESS": f"127.0.0.1:{self.http_port}",
            "UNION_DB_PREFIX": self.prefix,
            "UNION_RUN_DIR": str(self.tmp / "var"),
            "UNION_AMQP_URI": self.broker.uri,
            "UNION_VAULT_KEY_FILE": str(self.tmp / "vault.key"),
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore",
        }

    def db(self, service: str) -> DatabaseConfig:
        return database_config(service, {**os.environ, "UNION_DB_PREFIX": self.prefix})

    @contextmanager
    def store(self, service: str, registry: EventRegistry | None = None) -> Iterator[EventStore]:
        cfg = self.db(service)
        migrate(cfg)
        pool = open_pool(cfg.service_dsn, min_size=1, max_size=4)
        try:
            yield EventStore(pool, registry or EventRegistry())
        finally:
            pool.close()

    def count(self, service: str, event_type: str) -> int:
        return len(self.data_of(service, event_type))

    def data_of(self, service: str, event_type: str) -> list[dict[str, Any]]:
        try:
            with psycopg.connect(self.db(service).admin_dsn) as conn:
                rows = conn.execute(
                    "SELECT data FROM events WHERE event_type = %s ORDER BY position",
                    (event_type,),
                ).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
        except psycopg.OperationalError:
            return []  # the service has not created its database yet
        return [r[0] for r in rows]

    def append_many(self, store: EventStore, events: list[NewEvent], per_call: int = 1) -> None:
        for i in range(0, len(events), per_call):
            store.append("Account-1", events[i : i + per_call], ANY_VERSION, SOURCE_META)

    def start_probe(self, **config: Any) -> Proc:
        """``nameko run`` of tests.e2e.probe:Probe (as funds); waits until it consumes."""
        return self._nameko(self._probe_config(config), PROBE, PROBE_QUEUE, {})

    def spawn_probe(self, **config: Any) -> Proc:
        """The probe's ``nameko run``, not waited for: to watch one that cannot start."""
        return self._spawn([NAMEKO, "run", "--config", self._probe_config(config), PROBE], PROBE)

    def _probe_config(self, config: dict[str, Any]) -> str:
        cfg = {
            "AMQP_URI": self.broker.uri,
            "max_workers": 4,
            "UNION_RETRY_ATTEMPTS": 3,
            "UNION_RETRY_BASE_MS": 50,
            "HEARTBEAT": 10,  # as the services' configs: dead connections noticed quickly
            **config,
        }
        path = self.tmp / f"probe-{len(self.procs)}.yaml"
        path.write_text(yaml.safe_dump(cfg))
        return str(path)

    def start_service(self, service: str, **env: str) -> Proc:
        """``nameko run`` of a real service with its own config file."""
        config = str(ROOT / "services" / service / "config.yaml")
        target = f"services.{service}.service:{service.capitalize()}"
        port = self.ports.setdefault(service, free_port() if self.ports else self.http_port)
        extra = {
            "AMQP_URI": self.broker.uri,
            "UNION_RETRY_BASE_MS": "50",
            "UNION_HTTP_ADDRESS": f"127.0.0.1:{port}",
            **env,
        }
        return self._nameko(config, target, f"rpc-{service}", extra)

    def _nameko(self, config: str, target: str, ready_queue: str, env: dict[str, str]) -> Proc:
        proc = self._spawn([NAMEKO, "run", "--config", config, target], target, env)
        wait_for(
            f"{target} to consume",
            lambda: queue_info(self.broker, ready_queue)[1] >= 1 or _died(proc),
            timeout=60,
        )
        assert proc.popen.poll() is None, proc.output()
        return proc

    def start_relay_process(self, service: str) -> Proc:
        return self._spawn(
            [UNIONCTL, "relay", service, "--report-every", "0.2"], f"relay-{service}"
        )

    def start_relay_thread(self, service: str, **options: Any) -> Relay:
        relay = Relay(service, self.db(service).service_dsn, self.broker, **options)
        stop = threading.Event()
        thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        thread.start()
        self.threads.append((thread, stop))
        return relay

    def _spawn(self, argv: list[str], name: str, env: dict[str, str] | None = None) -> Proc:
        log_path = self.tmp / f"{name}-{len(self.procs)}.log"
        with log_path.open("wb") as out:
            popen = subprocess.Popen(
                argv,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        proc = Proc(popen, log_path)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for _, stop in self.threads:
            stop.set()
        for thread, _ in self.threads:
            thread.join(15)
        for proc in self.procs:
            proc.stop()


def _died(proc: Proc) -> bool:
    return proc.popen.poll() is not None


@contextmanager
def world(tmp: Path) -> Iterator[World]:
    name = f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    w = World(BrokerConfig(f"amqp://guest:guest@127.0.0.1:5672/{name}"), name, tmp)
    try:
        yield w
    finally:
        w.close()
        for service in ("aid", "funds", "orgs", "competitions"):
            cfg = w.db(service)
            drop(replace(cfg))
        with suppress(subprocess.CalledProcessError):
            rabbitmqctl("delete_vhost", name)
