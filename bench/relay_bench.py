"""Relay throughput against raw kombu publishing with confirms, and commit-to-consumer latency.

Same process, same broker, same bodies, same durable queue:

- raw: kombu ``Producer.publish`` of the envelopes, persistent, one publisher
  confirm at a time (what a straightforward outbox publisher does);
- relay: the relay publishing the same number of events from the log, from
  a standing start, until its cursor reaches the head (reading the log,
  building envelopes and moving the cursor included).

Rounds alternate so that machine noise hits both alike. Then, with the relay
running, events are appended one at a time at a steady rate and a consumer
notes when each arrives: commit-to-consumer latency p50 and p99.
Targets: relay_vs_raw >= 0.8, p99 < 100 ms.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import amqp
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.messaging import Producer

from bench._common import METADATA, median, paired_ratio, report, sample_data, scratch_store
from shared.broker import broker_config, declare_events_exchange, events_exchange
from shared.registry import NewEvent
from shared.relay import Relay
from shared.store import ANY_VERSION, EventStore

N = int(os.environ.get("BENCH_RELAY_EVENTS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RATE = 100  # events per second for the latency run
LATENCY_SECONDS = int(os.environ.get("BENCH_LATENCY_SECONDS", "10"))
SERVICE = f"bench{os.getpid()}"
QUEUE = f"{SERVICE}.sink"


def append(store: EventStore, count: int) -> None:
    for start in range(0, count, 500):
        upto = min(count, start + 500)
        batch = [NewEvent("PaymentRecorded", sample_data(i)) for i in range(start, upto)]
        store.append("Case-bench", batch, ANY_VERSION, METADATA)


def relay_round(relay: Relay, head: int) -> float:
    stop = threading.Event()
    start = time.perf_counter()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    while relay.status.published_position < head:
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    stop.set()
    worker.join()
    return elapsed


def raw_round(uri: str, bodies: list[bytes]) -> float:
    exchange = Exchange(events_exchange(SERVICE), type="topic", durable=True, no_declare=True)
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn)
        start = time.perf_counter()
        for body in bodies:
            producer.publish(
                body,
                exchange=exchange,
                routing_key="PaymentRecorded",
                delivery_mode=2,
                content_type="application/json",
                content_encoding="utf-8",
            )
        return time.perf_counter() - start


def purge(channel: amqp.Channel) -> None:
    channel.queue_purge(QUEUE)


def latency(store: EventStore, relay: Relay, channel: amqp.Channel) -> list[float]:
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}

    def on_message(msg: amqp.Message) -> None:
        arrived[msg.properties["message_id"]] = time.perf_counter()

    tag = channel.basic_consume(QUEUE, callback=on_message, no_ack=True)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    total = RATE * LATENCY_SECONDS
    consumer_done = threading.Event()

    def consume() -> None:
        while len(arrived) < total and not consumer_done.is_set():
            try:
                channel.connection.drain_events(timeout=0.5)
            except TimeoutError:
                continue

    consumer = threading.Thread(target=consume)
    consumer.start()
    start = time.perf_counter()
    for i in range(total):
        time.sleep(max(0.0, start + i / RATE - time.perf_counter()))
        event = NewEvent("PaymentRecorded", sample_data(i))
        store.append("Case-latency", [event], ANY_VERSION, METADATA)
        committed[str(event.event_id)] = time.perf_counter()
    consumer.join(30)
    consumer_done.set()
    channel.basic_cancel(tag)
    stop.set()
    worker.join()
    return sorted((arrived[k] - committed[k]) * 1000 for k in committed if k in arrived)


def main() -> None:
    broker = broker_config()
    with scratch_store() as (cfg, store, _pool):
        conn = broker.connect()
        channel = conn.channel()
        declare_events_exchange(channel, SERVICE)
        channel.queue_declare(QUEUE, durable=True, auto_delete=False)
        channel.queue_bind(QUEUE, events_exchange(SERVICE), "#")
        try:
            relay = Relay(SERVICE, cfg.service_dsn, broker, idle_wait=0.2)
            append(store, 200)  # warm up both paths
            relay_round(relay, 200)
            with store.pool.connection() as c:
                bodies = [
                    r[0].encode()
                    for r in c.execute(
                        "SELECT json_build_object('data', data, 'hash', hash)::text"
                        " FROM events ORDER BY position LIMIT %s",
                        (N,),
                    ).fetchall()
                ]
            bodies = (bodies * (N // len(bodies) + 1))[:N]
            raw_round(broker.uri, bodies[:200])
            purge(channel)
            raw_rates, relay_rates = [], []
            head = 200
            for _ in range(ROUNDS):
                raw_rates.append(N / raw_round(broker.uri, bodies))
                purge(channel)
                append(store, N)
                head += N
                relay_rates.append(N / relay_round(relay, head))
                purge(channel)
            waits = latency(store, relay, channel)
        finally:
            channel.queue_delete(QUEUE)
            channel.exchange_delete(events_exchange(SERVICE))
            conn.close()
    report(
        "relay",
        {
            "events_per_round": N,
            "rounds": ROUNDS,
            "raw_kombu_confirmed_per_s": round(median(raw_rates)),
            "relay_per_s": round(median(relay_rates)),
            "relay_vs_raw": paired_ratio(relay_rates, raw_rates),
            "latency_events": len(waits),
            "latency_rate_per_s": RATE,
            "latency_p50_ms": round(statistics.median(waits), 2),
            "latency_p99_ms": round(waits[int(len(waits) * 0.99) - 1], 2),
            "latency_max_ms": round(waits[-1], 2),
        },
    )


if __name__ == "__main__":
    main()
