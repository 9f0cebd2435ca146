"""The relay against crashes, broker restarts and a rival relay: nothing lost, nothing doubled."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from shared.broker import events_exchange
from shared.relay import lag_of
from shared.store import EventStore
from tests.mq import (
    PROBE_QUEUE,
    Proc,
    World,
    deposited,
    drain,
    queue_info,
    rabbitmqctl,
    source_registry,
    wait_for,
)

pytestmark = pytest.mark.integration


def published(mq: World) -> int:
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        return lag_of(conn)[1]


def writer(
    mq: World,
    store: EventStore,
    count: int,
    *,
    pause_after: int | None = None,
    resume: threading.Event | None = None,
) -> threading.Thread:
    """Append ``count`` events one per call on a thread; after ``pause_after`` of
    them, wait for ``resume`` (so the rest land while the test has the broker down)."""

    def run() -> None:
        for i in range(count):
            if i == pause_after and resume is not None:
                resume.wait(60)
            mq.append_many(store, [deposited(i)])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def assert_each_once(
    mq: World,
    count: int,
    diagnose: Callable[[], str] | None = None,
    supervise: Callable[[], None] | None = None,
) -> None:
    def done() -> bool:
        if supervise:
            supervise()
        return mq.count("funds", "Counted") >= count

    wait_for(f"{count} reactions", done, timeout=120, diagnose=diagnose)
    amounts = sorted(c["amount_fen"] for c in mq.data_of("funds", "Counted"))
    assert amounts == list(range(count))


def test_a_relay_killed_mid_stream_resumes_where_the_broker_confirmed(mq: World) -> None:
    mq.start_probe()
    with mq.store("aid", source_registry()) as aid:
        first = mq.start_relay_process("aid")
        appending = writer(mq, aid, 1500)
        wait_for("some events published", lambda: published(mq) >= 200)
        first.kill()  # SIGKILL: no chance to finish a batch or move the cursor
        at_kill = published(mq)
        second = mq.start_relay_process("aid")
        appending.join(60)
        assert_each_once(mq, 1500)
        wait_for("the cursor at the head", lambda: published(mq) == 1500)
    assert at_kill < 1500, "the kill came after the end; the test proved nothing"
    assert second.popen.poll() is None


def test_the_relay_and_consumers_ride_out_a_broker_restart(mq: World) -> None:
    """Nothing lost; a service that stops consuming stops itself and is restarted.

    The restart is what compose's ``restart: unless-stopped`` does; here the
    test plays that part (see ReliableQueueConsumer._watch).
    """
    probes = [mq.start_probe()]

    def supervise() -> None:
        if probes[-1].popen.poll() is not None:
            probes.append(mq.start_probe())

    with mq.store("aid", source_registry()) as aid:
        relay = mq.start_relay_thread("aid", backoff=(0.2, 1.0))
        broker_down = threading.Event()
        appending = writer(mq, aid, 600, pause_after=300, resume=broker_down)
        wait_for("some events published", lambda: relay.status.published_position >= 100)
        rabbitmqctl("stop_app")
        try:
            broker_down.set()  # the log keeps growing while the broker is away
            wait_for("appends without a broker", lambda: aid.head().position >= 400)
            wait_for("the relay to notice", lambda: not relay.status.broker_connected)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        appending.join(60)

        def diagnose() -> str:
            probe = probes[-1]
            probe.popen.send_signal(signal.SIGUSR1)  # the probe prints its green stacks
            with contextlib.suppress(AssertionError):
                wait_for("the probe's stacks", lambda: "--- greenlet" in probe.output(), 10)
            vhost = mq.broker.vhost
            broker_view = rabbitmqctl("list_connections", "-p", vhost, "name", "state", "channels")
            broker_view += rabbitmqctl("list_consumers", "-p", vhost)
            counted = mq.count("funds", "Counted")
            depth = queue_info(mq.broker, PROBE_QUEUE)
            return (
                f"relay {relay.status}; counted {counted}; queue {depth}\n{broker_view}\n"
                f"{probe.output()[-30000:]}"
            )

        assert_each_once(mq, 600, diagnose, supervise)
        wait_for("the relay to catch up", lambda: relay.status.lag == 0)
    assert relay.status.broker_connected
    assert probes[-1].popen.poll() is None, probes[-1].output()[-3000:]


def _role(proc: Proc) -> str:
    lines = [ln for ln in proc.output().splitlines() if ln.startswith("relay aid:")]
    return lines[-1].split(":", 1)[1].split(",")[0].strip() if lines else ""


def test_of_two_relays_one_publishes_and_the_other_takes_over(mq: World) -> None:
    copy = "probe-copy"
    conn = mq.broker.connect()
    channel = conn.channel()
    channel.exchange_declare(events_exchange("aid"), "topic", durable=True, auto_delete=False)
    channel.queue_declare(copy, durable=True, auto_delete=False)
    channel.queue_bind(copy, events_exchange("aid"), "#")
    conn.close()
    with mq.store("aid", source_registry()) as aid:
        a, b = mq.start_relay_process("aid"), mq.start_relay_process("aid")
        wait_for("both relays to report", lambda: _role(a) != "" and _role(b) != "")
        roles = sorted([_role(a), _role(b)])
        assert roles == ["leader", "standby"]
        leader, standby = (a, b) if _role(a) == "leader" else (b, a)
        batch1 = [deposited(i) for i in range(200)]
        mq.append_many(aid, batch1, per_call=20)
        wait_for("200 published", lambda: published(mq) == 200)
        first = drain(mq.broker, copy)
        assert len(first) == 200  # one publisher: no event twice
        assert {m.properties["message_id"] for m in first} == {str(e.event_id) for e in batch1}

        leader.kill()
        killed_at = time.monotonic()
        wait_for("the standby to lead", lambda: _role(standby) == "leader", timeout=10)
        takeover = time.monotonic() - killed_at
        batch2 = [deposited(i) for i in range(200, 300)]
        mq.append_many(aid, batch2, per_call=10)
        wait_for("300 published", lambda: published(mq) == 300)
        second = drain(mq.broker, copy)
        assert {m.properties["message_id"] for m in second} == {str(e.event_id) for e in batch2}
    assert takeover < 5.0
