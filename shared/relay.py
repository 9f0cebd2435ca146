"""The relay: publishes a service's log, in position order, after commit.

The log is the outbox. The relay reads events past its cursor, publishes each
to ``<service>.events`` (routing key = event type, persistent, ``message_id``
= event id) with publisher confirms pipelined over a batch, and moves the
cursor in the service's database only once the broker has confirmed the whole
batch. A relay that dies resumes at the cursor, so every event is published at
least once; consumers' inboxes absorb the repeats.

Only one relay per service publishes: the leader holds a session advisory lock
on its own database connection. A standby polls for the lock and takes over as
soon as the leader's connection is gone. Broker failures are retried with
back-off while leadership is kept; database failures give leadership up.

Plain blocking code: it runs on a thread (``unionctl relay``) or, monkey-patched,
on a green thread inside a nameko service.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, replace
from typing import Final

import amqp
import psycopg

from shared.broker import BrokerConfig, declare_events_exchange, events_exchange
from shared.db import TCP_TIMEOUTS
from shared.store import head_of

RELAY_LOCK: Final = 1970170225
"""Session advisory lock key of the relay leader in the service's database."""

_BATCH_SQL = """
SELECT position, event_id::text, event_type, metadata->>'correlation_id',
       json_build_object(
           'event_id', event_id, 'event_type', event_type,
           'schema_version', schema_version, 'source', %(source)s::text,
           'stream_id', stream_id, 'version', version, 'position', position,
           'recorded_at', to_char(recorded_at AT TIME ZONE 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'correlation_id', metadata->'correlation_id',
           'causation_id', metadata->'causation_id',
           'actor', metadata->'actor',
           'data', data, 'hash', hash)::text
  FROM events
 WHERE position > %(after)s
 ORDER BY position
 LIMIT %(batch)s
"""
# The envelope is built by the server: one pass over the row, no decode and
# re-encode of the payload in Python.

_BROKER_ERRORS: tuple[type[BaseException], ...] = (
    amqp.exceptions.AMQPError,
    OSError,
    socket.timeout,
    ConnectionError,
)


class PublishRefused(Exception):
    """The broker nacked a publication or did not confirm it in time."""


_PUBLISH_FAILURES: tuple[type[BaseException], ...] = (*_BROKER_ERRORS, PublishRefused)


@dataclass(frozen=True)
class RelayStatus:
    service: str
    leader: bool = False
    broker_connected: bool = False
    published_position: int = 0
    head_position: int = 0
    published_since_start: int = 0
    last_error: str | None = None

    @property
    def lag(self) -> int:
        """Events recorded but not yet confirmed published."""
        return max(self.head_position - self.published_position, 0)


class _Backoff:
    def __init__(self, first: float, most: float) -> None:
        self.first, self.most, self.next = first, most, first

    def reset(self) -> None:
        self.next = self.first

    def wait(self, stop: threading.Event) -> bool:
        """Sleep the current delay (doubling it); True when asked to stop meanwhile."""
        delay, self.next = self.next, min(self.next * 2, self.most)
        return stop.wait(delay)


class _Publisher:
    """One confirm-mode channel; publishes a batch and waits for every confirm."""

    def __init__(self, broker: BrokerConfig, service: str, confirm_timeout: float) -> None:
        self.exchange = events_exchange(service)
        self.service = service
        self.confirm_timeout = confirm_timeout
        self.conn = broker.connect()
        try:
            self.channel = self.conn.channel()
            declare_events_exchange(self.channel, service)
            self.channel.confirm_select()
        except BaseException:
            self.close()
            raise
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self._tag = 0
        self._outstanding: set[int] = set()
        self._nacked = False

    def _on_ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._outstanding = {t for t in self._outstanding if t > tag}
        else:
            self._outstanding.discard(tag)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked = True
        self._on_ack(tag, multiple)

    def publish_batch(self, rows: list[tuple[int, str, str, str | None, str]]) -> None:
        for position, event_id, event_type, correlation_id, body in rows:
            msg = amqp.Message(
                body.encode(),
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event_id,
                correlation_id=_short(correlation_id or event_id),
                type=event_type,
                app_id=f"union-{self.service}",
                application_headers={"union-source": self.service, "union-position": position},
            )
            self._tag += 1
            self._outstanding.add(self._tag)
            self.channel.basic_publish(msg, exchange=self.exchange, routing_key=event_type)
        deadline = time.monotonic() + self.confirm_timeout
        while self._outstanding:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PublishRefused(f"{len(self._outstanding)} publications not confirmed in time")
            try:
                self.conn.drain_events(timeout=left)
            except TimeoutError:
                continue
        if self._nacked:
            raise PublishRefused("the broker refused (nacked) a publication")

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:
            self.conn.collect()


class Relay:
    def __init__(
        self,
        service: str,
        dsn: str,
        broker: BrokerConfig,
        *,
        batch_size: int = 500,
        idle_wait: float = 1.0,
        standby_poll: float = 1.0,
        confirm_timeout: float = 30.0,
        backoff: tuple[float, float] = (0.2, 10.0),
        log: logging.Logger | None = None,
    ) -> None:
        self.service = service
        self.dsn = dsn
        self.broker = broker
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.standby_poll = standby_poll
        self.confirm_timeout = confirm_timeout
        self._backoff = backoff
        self.log = log or logging.getLogger(f"union.relay.{service}")
        self._status = RelayStatus(service)
        self._lock = threading.Lock()

    @property
    def status(self) -> RelayStatus:
        with self._lock:
            return self._status

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set: stand by, lead, recover from failures."""
        backoff = _Backoff(*self._backoff)
        while not stop.is_set():
            try:
                self._stand_by_then_lead(stop, backoff)
            except psycopg.Error as exc:
                self.log.warning("relay %s: database unavailable (%s); retrying", self.service, exc)
                self._set(leader=False, broker_connected=False, last_error=f"database: {exc}")
                if backoff.wait(stop):
                    break
            except Exception as exc:
                # Never let the thread die (under nameko that kills the service):
                # give leadership up, say why, and start over after a pause.
                self.log.exception("relay %s: unexpected failure; restarting", self.service)
                self._set(leader=False, broker_connected=False, last_error=f"relay: {exc!r}")
                if backoff.wait(stop):
                    break
        self._set(leader=False, broker_connected=False)

    def _stand_by_then_lead(self, stop: threading.Event, backoff: _Backoff) -> None:
        with psycopg.connect(
            self.dsn,
            autocommit=True,
            options="-c TimeZone=UTC",
            # A leader cut off from the database must notice, so a standby can lead.
            **TCP_TIMEOUTS,
        ) as conn:
            while not _try_lock(conn):
                self._set(leader=False)
                if stop.wait(self.standby_poll):
                    return
            self.log.info("relay %s: leading", self.service)
            conn.execute("LISTEN union_events")
            row = conn.execute("SELECT position FROM relay_cursor").fetchone()
            assert row is not None, "migration 0003 inserts the cursor row"
            self._set(leader=True, published_position=row[0], head_position=head_of(conn).position)
            backoff.reset()
            publisher: _Publisher | None = None
            try:
                while not stop.is_set():
                    if publisher is None:
                        publisher = self._connect(stop, backoff)
                        if publisher is None:
                            return
                    try:
                        if not self._relay_batch(conn, publisher):
                            self._idle(conn, stop)
                    except _PUBLISH_FAILURES as exc:
                        self.log.warning("relay %s: broker failure (%s)", self.service, exc)
                        self._set(broker_connected=False, last_error=f"broker: {exc}")
                        publisher.close()
                        publisher = None
                        if backoff.wait(stop):
                            return
            finally:
                if publisher is not None:
                    publisher.close()

    def _connect(self, stop: threading.Event, backoff: _Backoff) -> _Publisher | None:
        while not stop.is_set():
            try:
                publisher = _Publisher(self.broker, self.service, self.confirm_timeout)
            except _BROKER_ERRORS as exc:
                self._set(broker_connected=False, last_error=f"broker: {exc}")
                self.log.warning("relay %s: cannot reach the broker (%s)", self.service, exc)
                if backoff.wait(stop):
                    return None
                continue
            backoff.reset()
            self._set(broker_connected=True)
            return publisher
        return None

    def _relay_batch(self, conn: psycopg.Connection, publisher: _Publisher) -> bool:
        after = self.status.published_position
        rows = conn.execute(
            _BATCH_SQL, {"source": self.service, "after": after, "batch": self.batch_size}
        ).fetchall()
        if not rows:
            return False
        publisher.publish_batch(rows)
        last = rows[-1][0]
        conn.execute("UPDATE relay_cursor SET position = %s, updated_at = now()", (last,))
        status = self.status
        self._set(
            published_position=last,
            head_position=max(status.head_position, last),
            published_since_start=status.published_since_start + len(rows),
            last_error=None,
        )
        return True

    def _idle(self, conn: psycopg.Connection, stop: threading.Event) -> None:
        self._set(head_position=head_of(conn).position)
        if self.status.lag:
            return
        # Woken by the NOTIFY of a commit; the timeout also covers a missed one.
        for _ in conn.notifies(timeout=self.idle_wait, stop_after=1):
            pass


def _short(text: str) -> str:
    """At most 255 UTF-8 bytes, the limit of an AMQP property; the body keeps it whole."""
    raw = text.encode("utf-8", "surrogatepass")
    return text if len(raw) <= 255 else raw[:255].decode("utf-8", "ignore")


def _try_lock(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK,)).fetchone()
    return bool(row and row[0])


def lag_of(conn: psycopg.Connection) -> tuple[int, int]:
    """(head position, published position) as recorded in a service's database."""
    row = conn.execute("SELECT position FROM relay_cursor").fetchone()
    return head_of(conn).position, int(row[0]) if row else 0


def republish(
    service: str,
    dsn: str,
    broker: BrokerConfig,
    *,
    first: int,
    last: int | None = None,
    batch_size: int = 500,
) -> int:
    """Publish events ``first``..``last`` again, as the relay did, leaving its cursor alone.

    For a subscriber that started after those events were published: its queue
    exists now, so it receives them; subscribers that had them already find
    them in their inbox and do nothing. Returns how many were published.
    """
    publisher = _Publisher(broker, service, confirm_timeout=30.0)
    count, after = 0, first - 1
    try:
        with psycopg.connect(dsn, autocommit=True, options="-c TimeZone=UTC") as conn:
            while True:
                rows = conn.execute(
                    _BATCH_SQL, {"source": service, "after": after, "batch": batch_size}
                ).fetchall()
                rows = [r for r in rows if last is None or r[0] <= last]
                if not rows:
                    return count
                publisher.publish_batch(rows)
                count += len(rows)
                after = rows[-1][0]
    finally:
        publisher.close()
