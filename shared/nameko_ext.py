"""The nameko adapter: entrypoints and dependency providers every service uses.

nameko and eventlet stay here and in ``services/*/service.py``; the store, the
relay and the domain know nothing of them.

- ``reliable_event_handler(source, event_type)``: like nameko's
  ``@event_handler`` (same queue names, same wire format), but a failing
  handler is retried with back-off through ``<queue>.retry`` a bounded number
  of times and then dead-lettered to ``<service>.dead-letter`` with the reason
  and the original headers. nameko's own handler either acks a failed message
  (lost) or requeues it forever; neither is acceptable for money and cases.
- ``inbound_handler(kind)``: consumes one ``InboundType`` from ``inbound.events``;
  refused messages go to ``inbound.dead-letter`` with the reason. Any service
  with an inbound handler also dead-letters ``inbound.unrouted`` (unknown types).
- ``rpc``: nameko's ``@rpc`` whose ``UnionError``s reach the caller as
  ``RemoteUnionError`` with the stable code and field-level details.
- ``EventStoreProvider``, ``RelayProvider``, ``ClockProvider``, ``ContextProvider``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Final, TypeVar

import amqp
import eventlet
import psycopg
from kombu.entity import Exchange, Queue
from nameko.events import EventHandler
from nameko.exceptions import deserialize_to_instance
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler

from shared.broker import (
    INBOUND_DEAD_LETTER,
    INBOUND_EXCHANGE,
    INBOUND_UNROUTED,
    BrokerConfig,
    dead_letter_queue,
    declare_dead_letter,
    declare_events_exchange,
    declare_inbound,
    declare_retry_queue,
    events_exchange,
    inbound_queue,
    retry_queue,
)
from shared.config import database_config
from shared.db import cooperate_with_green_threads, open_pool
from shared.envelope import Envelope, load_envelope
from shared.errors import DomainError, UnionError, ValidationFailed
from shared.inbound import InboundType, Refused, check, decode_json_object
from shared.inbox import Handled, handle_once
from shared.migrate import kit_migrations, migrate, require_ready
from shared.observability import DEAD_LETTERS, RETRIES
from shared.registry import EventRegistry
from shared.relay import Relay, RelayStatus
from shared.store import EventStore
from shared.vault import Vault, VaultKeyInvalid, load_master_key, master_key_path

log = logging.getLogger("union.nameko")
F = TypeVar("F", bound=Callable[..., Any])

ATTEMPTS_HEADER: Final = "x-union-attempts"
DEFAULT_ATTEMPTS: Final = 5
DEFAULT_RETRY_BASE_MS: Final = 500
MAX_DETAIL: Final = 2000
CONFIRM_TIMEOUT: Final = 10.0
"""Seconds to wait for the broker to confirm a retry or dead letter (then requeue)."""


MAX_LOGGED_BODY: Final = 65536


def message_identity(message: Any) -> dict[str, Any]:
    """The message's id and, for another service's event, its source, type, stream and
    position: read only on the rare paths that log (retries, dead letters)."""
    found: dict[str, Any] = {}
    properties = getattr(message, "properties", None) or {}
    if properties.get("message_id"):
        found["message_id"] = str(properties["message_id"])
    body = getattr(message, "body", None)
    if isinstance(body, bytes | str) and len(body) <= MAX_LOGGED_BODY:
        try:
            envelope = json.loads(body)
        except ValueError:
            return found
        if isinstance(envelope, dict):
            for key in ("source", "event_type", "stream_id", "position"):
                value = envelope.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool):
                    found[key] = value
    return found


def _setting(config: dict[str, Any], key: str, default: Any) -> Any:
    """A container config key, overridable by the environment variable of the same name."""
    return os.environ.get(key, config.get(key, default))


# -- errors across RPC ------------------------------------------------------


@deserialize_to_instance
class RemoteUnionError(UnionError):
    """A ``UnionError`` raised by a remote service: same code, message and details.

    On the wire its only argument is the error's JSON (``to_dict``), so callers
    that do not use this package can read the code from the RemoteError text.
    """

    def __init__(self, payload: str) -> None:
        data = json.loads(payload)
        super().__init__(data["message"], **data.get("details", {}))
        self.args = (payload,)
        self.remote_code: str = data["code"]

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.remote_code

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def of(cls, exc: UnionError) -> RemoteUnionError:
        return cls(json.dumps(exc.to_dict(), ensure_ascii=False, default=str))


class UnionRpc(Rpc):  # type: ignore[misc]
    """``@rpc`` that declares ``UnionError`` expected and sends it with its code."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("expected_exceptions", (UnionError,))
        super().__init__(**kwargs)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        if exc_info is not None and isinstance(exc_info[1], UnionError):
            remote = RemoteUnionError.of(exc_info[1])
            exc_info = (RemoteUnionError, remote, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc: Callable[..., Any] = UnionRpc.decorator


# -- dependency providers ---------------------------------------------------


@dataclass
class ServiceStore:
    """What a worker gets: the service's store, its pool and the inbox."""

    store: EventStore
    service: str

    @property
    def pool(self) -> Any:
        return self.store.pool

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One pooled connection in one transaction: what a command writes commits together."""
        with self.store.pool.connection() as conn, conn.transaction():
            yield conn

    def once(
        self,
        message: Envelope | InboundMessage,
        handler: str,
        fn: Callable[[psycopg.Connection], Any],
    ) -> Handled[Any]:
        """React to ``message`` once: ``fn(conn)`` in one transaction with the inbox row."""
        if isinstance(message, Envelope):
            return handle_once(
                self.store.pool,
                fn,
                source=message.source,
                message_id=message.event_id,
                handler=handler,
                source_position=message.position,
            )
        return handle_once(
            self.store.pool,
            fn,
            source=message.source,
            message_id=message.message_id,
            handler=handler,
        )


class EventStoreProvider(DependencyProvider):  # type: ignore[misc]
    """The service's event store; migrates and opens the pool when the service starts.

    The pool is opened once, in ``setup``; ``get_dependency`` (called for every
    worker) only hands out the same object.
    """

    def __init__(self, registry: EventRegistry, pool_size: int = 10) -> None:
        self.registry = registry
        self.pool_size = pool_size
        self._store: ServiceStore | None = None

    def setup(self) -> None:
        # In setup, not start: nameko starts extensions in parallel, so a
        # consumer may hand out its first message before our start() ran.
        cooperate_with_green_threads()
        service = self.container.service_name
        cfg = database_config(service)
        # The kit's migrations only, the same that `unionctl db migrate` applies.
        if str(_setting(self.container.config, "UNION_MIGRATE_ON_START", "1")) != "0":
            migrate(cfg)
        else:
            require_ready(cfg, kit_migrations())
        pool = open_pool(cfg.service_dsn, min_size=2, max_size=self.pool_size, name=service)
        self._store = ServiceStore(EventStore(pool, self.registry), service)

    def stop(self) -> None:
        if self._store is not None:
            self._store.store.pool.close()
            self._store = None

    kill = stop

    def get_dependency(self, worker_ctx: Any) -> ServiceStore:
        assert self._store is not None, "the store is opened when the service starts"
        return self._store


class RelayProvider(DependencyProvider):  # type: ignore[misc]
    """Runs the service's relay on a managed green thread; the worker sees its status."""

    def __init__(self, **relay_options: Any) -> None:
        self.relay_options = relay_options
        self._relay: Relay | None = None
        self._stop = threading.Event()
        self._thread: Any = None

    def start(self) -> None:
        if str(_setting(self.container.config, "UNION_RELAY", "1")) == "0":
            return
        cooperate_with_green_threads()
        service = self.container.service_name
        self._relay = Relay(
            service,
            database_config(service).service_dsn,
            BrokerConfig(self.container.config["AMQP_URI"]),
            **self.relay_options,
        )
        self._stop.clear()
        self._thread = self.container.spawn_managed_thread(
            partial(self._relay.run, self._stop), identifier=f"{service}.relay"
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.wait()
            self._thread = None

    def kill(self) -> None:
        self._stop.set()

    def get_dependency(self, worker_ctx: Any) -> Callable[[], RelayStatus | None]:
        return lambda: self._relay.status if self._relay else None


def _vault_holds_keys(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM vault_keys)").fetchone() == (True,)
    except (psycopg.errors.UndefinedTable, psycopg.OperationalError):
        return False  # a new service: no database or no vault yet


class VaultProvider(DependencyProvider):  # type: ignore[misc]
    """The service's personal-data vault; its master key file is read once, at setup."""

    def setup(self) -> None:
        service = self.container.service_name
        path = master_key_path(service)
        if not path.exists() and _vault_holds_keys(database_config(service).service_dsn):
            # A new key would silently make every stored value unreadable, and mix keys.
            raise VaultKeyInvalid(
                f"the vault's master key file {path} is missing but the vault holds keys:"
                " restore the key file (or point UNION_VAULT_KEY_FILE at it)",
                path=str(path),
            )
        self.vault = Vault(load_master_key(path))

    def get_dependency(self, worker_ctx: Any) -> Vault:
        return self.vault


class SettableClock:
    """Real time, or a time tests set; always timezone-aware (UTC)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0) if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        if instant.utcoffset() is None:
            raise ValueError("the clock takes timezone-aware instants only")
        self._offset = instant - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class ClockProvider(DependencyProvider):  # type: ignore[misc]
    """One clock per service. ``UNION_CLOCK_START`` (ISO instant) starts it elsewhere."""

    def setup(self) -> None:
        start = _setting(self.container.config, "UNION_CLOCK_START", None)
        self.clock = SettableClock(datetime.fromisoformat(start) if start else None)

    def get_dependency(self, worker_ctx: Any) -> SettableClock:
        return self.clock


CONTEXT_KEYS: Final = ("actor", "role", "org_unit", "correlation_id", "causation_id")
"""Also read from the context: ``idempotency_key``, the command id of a call."""


@dataclass(frozen=True)
class CallContext:
    """Who is acting and in which flow, from the RPC call's or message's context data."""

    actor: str | None
    role: str | None = None
    org_unit: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    call_id: str | None = None

    def metadata(self, **extra: Any) -> dict[str, Any]:
        """Event metadata for an append; refuses a command that names no actor."""
        if not self.actor:
            raise ValidationFailed(
                "the caller did not say who is acting",
                fields={"actor": ["missing from the call's context data"]},
            )
        meta = {k: v for k in CONTEXT_KEYS if (v := getattr(self, k)) is not None and v != ""}
        if "correlation_id" not in meta and self.call_id:
            meta["correlation_id"] = self.call_id
        return {**meta, **extra}


class ContextProvider(DependencyProvider):  # type: ignore[misc]
    def get_dependency(self, worker_ctx: Any) -> CallContext:
        data = worker_ctx.data
        actor = data.get("actor")
        if actor is None and isinstance(worker_ctx.entrypoint, Timer):
            actor = f"system:{self.container.service_name}"  # a deadline, nobody's call
        return CallContext(
            actor=_text(actor),
            role=_text(data.get("role")),
            org_unit=_text(data.get("org_unit")),
            correlation_id=_text(data.get("correlation_id")),
            causation_id=_text(data.get("causation_id")),
            # A caller's own key makes a retried call the same command, so it records
            # nothing twice (scripts, the demo, a client that lost the answer).
            call_id=_key(data.get("idempotency_key")) or _text(worker_ctx.call_id),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:200]


def _key(value: Any) -> str | None:
    """A caller's idempotency key, short enough for a command id whatever it was.

    Cutting a long key could make two keys one; a digest keeps them apart.
    """
    if value is None or value == "":
        return None
    text = str(value)
    if len(text.encode()) <= 120:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# -- the broker side: republishing and the consumer --------------------------


class ConsumerStalled(Exception):
    """The broker shows no consumer on our queues although we think we consume."""


def _queues_without_consumers(broker: BrokerConfig, queues: list[str]) -> list[str]:
    conn = broker.connect(timeout=5)
    try:
        channel = conn.channel()
        idle = []
        for name in queues:
            _, _, consumers = channel.queue_declare(name, passive=True)
            if consumers == 0:
                idle.append(name)
        return idle
    finally:
        with contextlib.suppress(Exception):
            conn.close()


class _Republisher(SharedExtension):  # type: ignore[misc]
    """Publishes retries and dead letters, each confirmed by the broker."""

    def setup(self) -> None:
        self.broker = BrokerConfig(self.container.config["AMQP_URI"])
        self._conn: amqp.Connection | None = None
        self._ch: amqp.Channel | None = None
        self._lock = threading.Lock()

    def publish(self, routing_key: str, msg: amqp.Message) -> None:
        self._on_channel(
            lambda ch: ch.basic_publish_confirm(
                msg, exchange="", routing_key=routing_key, confirm_timeout=CONFIRM_TIMEOUT
            )
        )

    def _on_channel(self, fn: Callable[[amqp.Channel], None]) -> None:
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self.broker.connect()
                    self._ch = self._conn.channel()
                fn(self._ch)
            except Exception:
                self._drop()  # reconnect on next use
                raise

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                self._conn.collect()
            self._conn = None

    def stop(self) -> None:
        with self._lock:
            self._drop()

    kill = stop


class ReliableQueueConsumer(QueueConsumer):  # type: ignore[misc]
    """nameko's queue consumer, handing raw messages to our entrypoints.

    Raw, so that a body that is not JSON reaches the entrypoint (to be
    dead-lettered) instead of killing the consumer in kombu's decoder.
    """

    WATCH_SECONDS: ClassVar[float] = 15.0

    def start(self) -> None:
        super().start()
        self._watch_stop = threading.Event()
        self.container.spawn_managed_thread(self._watch, identifier="reliable-consumer.watch")

    def stop(self) -> None:
        self._watch_stop.set()
        super().stop()

    def kill(self) -> None:
        self._watch_stop.set()
        super().kill()

    def _watch(self) -> None:
        """Stop the service if the broker sees no consumer on one of our queues.

        After a broker restart a consumer green thread can wait forever on a
        socket another green thread closed (eventlet does not wake it): the
        service looks alive and consumes nothing. The broker's own consumer
        count is the ground truth; two checks in a row without one, with the
        broker reachable, stop the service so that it is started again.
        """
        broker = BrokerConfig(self.container.config["AMQP_URI"])
        strikes = 0
        while not self._watch_stop.wait(self.WATCH_SECONDS):
            queues = [p.queue.name for p in list(self._providers)]
            try:
                idle = _queues_without_consumers(broker, queues)
            except Exception:  # the broker is away: the consumer's own retry handles that
                strikes = 0
                continue
            strikes = strikes + 1 if idle else 0
            if strikes >= 2 and not self.should_stop:
                # Crash-only: a process that consumes nothing must not pass for
                # healthy. Its supervisor (compose's restart policy, or `make
                # run` again) starts a fresh one, which consumes from the start.
                log.critical("no consumer on %s at the broker; stopping", ", ".join(idle))
                try:
                    raise ConsumerStalled(f"not consuming from {', '.join(idle)}")
                except ConsumerStalled:
                    # From outside the container's own threads: kill() ends those
                    # first, and would end this one before the container died.
                    eventlet.spawn_n(self.container.kill, sys.exc_info())
                return

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        inbound = False
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue], on_message=partial(self._on_raw, provider)
            )
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
            inbound = inbound or isinstance(provider, InboundHandler)
        consumers = list(self._consumers.values())
        if inbound:
            gate = consumer_cls(
                queues=[Queue(INBOUND_UNROUTED, no_declare=True)], on_message=self._on_unrouted
            )
            gate.qos(prefetch_count=self.prefetch_count)
            consumers.append(gate)
        return consumers

    def _on_raw(self, provider: _ReliableEntrypoint, message: Any) -> None:
        self.container.spawn_managed_thread(
            partial(provider.handle_raw, message),
            identifier=f"{type(provider).__name__}.handle_raw",
        )

    def _on_unrouted(self, message: Any) -> None:
        # Any service with an inbound handler can do this; they compete for the queue.
        providers = [p for p in self._providers if isinstance(p, InboundHandler)]
        if not providers:
            with contextlib.suppress(OSError, amqp.exceptions.AMQPError):
                self.requeue_message(message)  # unsettled, it comes back anyway
            return
        key = message.delivery_info.get("routing_key", "")
        self.container.spawn_managed_thread(
            partial(
                providers[0].dead_letter,
                message,
                Refused("unknown-type", f"no service takes {key!r}"),
                INBOUND_UNROUTED,
                INBOUND_DEAD_LETTER,
            ),
            identifier="inbound.unrouted",
        )


class _ReliableEntrypoint(Consumer):  # type: ignore[misc]
    """Raw message in; ack, retry with back-off, or dead-letter out. Never requeue forever."""

    queue_consumer = ReliableQueueConsumer()
    republisher = _Republisher()
    queue: Any

    def setup(self) -> None:
        super().setup()
        cfg = self.container.config
        self.max_attempts = int(_setting(cfg, "UNION_RETRY_ATTEMPTS", DEFAULT_ATTEMPTS))
        self.retry_base_ms = int(_setting(cfg, "UNION_RETRY_BASE_MS", DEFAULT_RETRY_BASE_MS))
        # Here, not in start(): nameko starts extensions in parallel, and the
        # queue consumer binds our queue as soon as it starts.
        conn = BrokerConfig(cfg["AMQP_URI"]).connect()
        try:
            self.declare_topology(conn.channel())
        finally:
            conn.close()

    def declare_topology(self, channel: amqp.Channel) -> None:
        # The queue and its binding too, not only when consuming starts: what
        # is published from now on is kept for us (and inbound messages are not
        # taken for an unknown type meanwhile).
        q = self.queue
        channel.queue_declare(q.name, durable=True, auto_delete=False)
        channel.queue_bind(q.name, q.exchange.name, q.routing_key)
        declare_retry_queue(channel, q.name)
        declare_dead_letter(channel, self.dead_letter_name)

    @property
    def dead_letter_name(self) -> str:
        return dead_letter_queue(self.container.service_name)

    def accept(self, message: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The worker's arguments and context data, or ``Refused``."""
        raise NotImplementedError

    def handle_raw(self, message: Any) -> None:
        try:
            args, context = self.accept(message)
        except Refused as refused:
            self.dead_letter(message, refused, self.queue.name, self.dead_letter_name)
            return
        except Exception as exc:  # one odd message must not stop the service
            unreadable = Refused("unreadable", f"{type(exc).__name__}: {exc}")
            self.dead_letter(message, unreadable, self.queue.name, self.dead_letter_name)
            return
        self.container.spawn_worker(
            self, args, {}, context_data=context, handle_result=partial(self.handle_result, message)
        )

    def handle_result(
        self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        if exc_info is None:
            self._settle(message, ack=True)
            return result, exc_info
        exc = exc_info[1]
        attempts = _attempts(message) + 1
        detail = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, DomainError | ValidationFailed):
            refused = Refused("refused", detail)
            self.dead_letter(message, refused, self.queue.name, self.dead_letter_name, attempts)
        elif attempts >= self.max_attempts:
            refused = Refused("handler-failed", detail)
            self.dead_letter(message, refused, self.queue.name, self.dead_letter_name, attempts)
        else:
            self.retry(message, attempts, detail)
        return result, exc_info

    def _settle(self, message: Any, *, ack: bool) -> None:
        """Ack or requeue; if the connection is gone, the broker redelivers it anyway."""
        try:
            if ack:
                self.queue_consumer.ack_message(message)
            else:
                self.queue_consumer.requeue_message(message)
        except (OSError, amqp.exceptions.AMQPError) as exc:
            # An exception here would kill the service; the message is not lost:
            # unacked, it comes back when the consumer reconnects (the inbox
            # absorbs what was already done).
            log.warning(
                "%s: could not settle a message (%s); it will be redelivered",
                self.queue.name,
                exc,
                extra=message_identity(message),
            )

    def retry(self, message: Any, attempts: int, detail: str) -> None:
        delay = self.retry_base_ms * 2 ** (attempts - 1)
        headers = {
            **(message.headers or {}),
            ATTEMPTS_HEADER: attempts,
            "x-union-last-error": detail[:MAX_DETAIL],
        }
        log.warning(
            "%s: attempt %d failed (%s); retrying in %d ms",
            self.queue.name,
            attempts,
            detail,
            delay,
            extra=message_identity(message),
        )
        RETRIES.labels(self.queue.name).inc()
        self._forward(message, retry_queue(self.queue.name), headers, expiration=str(delay))

    def dead_letter(
        self, message: Any, refused: Refused, queue: str, target: str, attempts: int = 1
    ) -> None:
        info = message.delivery_info or {}
        headers = {
            **(message.headers or {}),
            "x-union-reason": refused.reason,
            "x-union-detail": refused.detail[:MAX_DETAIL],
            "x-union-queue": queue,
            "x-union-exchange": info.get("exchange", ""),
            "x-union-routing-key": info.get("routing_key", ""),
            ATTEMPTS_HEADER: attempts,
            "x-union-dead-lettered-at": datetime.now(UTC).isoformat(),
        }
        log.error(
            "%s: dead-lettered to %s (%s)", queue, target, refused, extra=message_identity(message)
        )
        DEAD_LETTERS.labels(queue, refused.reason).inc()
        self._forward(message, target, headers)

    def _forward(
        self, message: Any, routing_key: str, headers: dict[str, Any], expiration: str | None = None
    ) -> None:
        props = {k: v for k, v in message.properties.items() if k in _KEPT_PROPERTIES}
        if message.content_type:
            props["content_type"] = message.content_type
        if message.content_encoding:
            props["content_encoding"] = message.content_encoding
        if expiration is not None:
            props["expiration"] = expiration
        msg = amqp.Message(message.body, application_headers=headers, delivery_mode=2, **props)
        try:
            self.republisher.publish(routing_key, msg)
        except amqp.exceptions.ChannelError:
            # The broker refused this copy itself (a property or header it will
            # not take), not the connection: forward the body with our headers
            # only, so the message cannot loop forever.
            log.exception(
                "%s: the broker refused the copy; forwarding it bare",
                self.queue.name,
                extra=message_identity(message),
            )
            bare = amqp.Message(
                message.body,
                application_headers={k: v for k, v in headers.items() if k.startswith("x-union-")},
                delivery_mode=2,
                message_id=str(props.get("message_id", ""))[:200],
            )
            self._publish_or_requeue(message, routing_key, bare)
            return
        except Exception:
            self._requeue_later(message, routing_key)
            return
        self._settle(message, ack=True)

    def _publish_or_requeue(self, message: Any, routing_key: str, msg: amqp.Message) -> None:
        try:
            self.republisher.publish(routing_key, msg)
        except Exception:
            self._requeue_later(message, routing_key)
            return
        self._settle(message, ack=True)

    def _requeue_later(self, message: Any, routing_key: str) -> None:
        # Not forwarded, so not acked: the broker will deliver it again.
        log.exception(
            "%s: could not forward to %s; requeueing",
            self.queue.name,
            routing_key,
            extra=message_identity(message),
        )
        time.sleep(1)  # green under nameko; eases a requeue loop while the broker is down
        self._settle(message, ack=False)


_KEPT_PROPERTIES: Final = ("message_id", "correlation_id", "type", "app_id", "timestamp")
# Not user_id: RabbitMQ requires it to equal the login that publishes, which
# for a retry or a dead letter is this service, not the original publisher.


def _attempts(message: Any) -> int:
    """Tries so far, from our header; anything else in it counts as none."""
    value = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
    return value if isinstance(value, int) and 0 <= value < 1_000 else 0


class ReliableEventHandler(_ReliableEntrypoint, EventHandler):  # type: ignore[misc]
    """``@event_handler`` with inbox-friendly envelopes, bounded retries and a dead-letter queue."""

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        EventHandler.__init__(self, source_service, event_type, **kwargs)

    def declare_topology(self, channel: amqp.Channel) -> None:
        declare_events_exchange(channel, self.source_service)
        super().declare_topology(channel)

    def accept(self, message: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        body = decode_json_object(message.body, message.content_encoding)
        try:
            envelope = load_envelope(body)
        except ValidationFailed as exc:
            raise Refused("schema", json.dumps(exc.details, ensure_ascii=False)) from exc
        context = {
            "actor": f"system:{self.container.service_name}",
            "correlation_id": envelope.correlation_id or envelope.event_id,
            "causation_id": envelope.event_id,
        }
        return (envelope,), context


def reliable_event_handler(source_service: str, event_type: str, **kwargs: Any) -> Callable[[F], F]:
    """Decorate a method handling ``event_type`` events of ``source_service``."""
    decorator: Callable[[F], F] = ReliableEventHandler.decorator(
        source_service, event_type, **kwargs
    )
    return decorator


@dataclass(frozen=True)
class InboundMessage:
    """A validated message from another system, as an inbound handler receives it."""

    type: str
    message_id: str
    data: dict[str, Any]
    correlation_id: str | None = None

    @property
    def source(self) -> str:
        return self.type.split(".", 1)[0]


class InboundHandler(_ReliableEntrypoint):
    """Consumes one inbound message type from ``inbound.events``."""

    def __init__(self, kind: InboundType, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(queue=None, **kwargs)

    def setup(self) -> None:
        self.queue = Queue(
            inbound_queue(self.container.service_name, self.kind.name),
            exchange=Exchange(INBOUND_EXCHANGE, type="topic", durable=True, no_declare=True),
            routing_key=self.kind.name,
            durable=True,
        )
        super().setup()

    def declare_topology(self, channel: amqp.Channel) -> None:
        declare_inbound(channel)
        super().declare_topology(channel)

    @property
    def dead_letter_name(self) -> str:
        return INBOUND_DEAD_LETTER

    def accept(self, message: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        message_id = message.properties.get("message_id")
        data = check(self.kind, message.body, message_id, message.content_encoding)
        correlation = message.properties.get("correlation_id")
        inbound = InboundMessage(self.kind.name, str(message_id), data, correlation)
        context = {
            "actor": f"system:{inbound.source}",
            "correlation_id": correlation or f"{self.kind.name}:{message_id}",
            "causation_id": str(message_id),
        }
        return (inbound,), context


def http(method: str, url: str, **kwargs: Any) -> Callable[[F], F]:
    """nameko's ``@http``, typed (``WEB_SERVER_ADDRESS`` in the config says where)."""
    decorator: Callable[[F], F] = HttpRequestHandler.decorator(method, url, **kwargs)
    return decorator


def timer(interval: float, **kwargs: Any) -> Callable[[F], F]:
    """nameko's ``@timer``, typed: runs the method every ``interval`` seconds."""
    decorator: Callable[[F], F] = Timer.decorator(interval, **kwargs)
    return decorator


def inbound_handler(kind: InboundType, **kwargs: Any) -> Callable[[F], F]:
    """Decorate a method handling one type of message from another system."""
    decorator: Callable[[F], F] = InboundHandler.decorator(kind, **kwargs)
    return decorator


def declare_handler_queues(channel: amqp.Channel, service_cls: type) -> list[str]:
    """Declare the queues a service's reliable handlers consume, before it first runs.

    A topic exchange drops what no queue is bound for, so a service deployed
    after its sources have published would miss those events; ``unionctl broker
    setup`` calls this for every service. Returns the queue names.
    """
    service = service_cls.name  # type: ignore[attr-defined]
    names = []
    for method_name, method in vars(service_cls).items():
        for ep in getattr(method, "nameko_entrypoints", ()):
            if isinstance(ep, ReliableEventHandler):
                queue = f"evt-{ep.source_service}-{ep.event_type}--{service}.{method_name}"
                declare_events_exchange(channel, ep.source_service)
                channel.queue_declare(queue, durable=True, auto_delete=False)
                channel.queue_bind(queue, events_exchange(ep.source_service), ep.event_type)
            elif isinstance(ep, InboundHandler):
                queue = inbound_queue(service, ep.kind.name)
                declare_inbound(channel)
                channel.queue_declare(queue, durable=True, auto_delete=False)
                channel.queue_bind(queue, INBOUND_EXCHANGE, ep.kind.name)
            else:
                continue
            declare_retry_queue(channel, queue)
            names.append(queue)
    declare_dead_letter(channel, dead_letter_queue(service))
    return names
