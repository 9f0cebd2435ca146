"""Events from one service's log reach another service's handler exactly once in effect."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from shared.broker import events_exchange
from shared.relay import lag_of
from tests.mq import (
    PROBE_QUEUE,
    UNIONCTL,
    World,
    deposited,
    drain,
    publish,
    queue_info,
    source_registry,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_a_thousand_events_are_each_handled_exactly_once(mq: World) -> None:
    probe = mq.start_probe()
    with mq.store("aid", source_registry()) as aid:
        relay = mq.start_relay_thread("aid")
        events = [deposited(100 + i) for i in range(1000)]
        mq.append_many(aid, events[:400], per_call=1)
        mq.append_many(aid, events[400:], per_call=50)
        wait_for("1,000 reactions", lambda: mq.count("funds", "Counted") >= 1000, timeout=90)
        wait_for("the relay to catch up", lambda: relay.status.lag == 0)
    counted = mq.data_of("funds", "Counted")
    assert len(counted) == 1000, probe.output()[-3000:]
    assert {c["source_event_id"] for c in counted} == {str(e.event_id) for e in events}
    assert sorted(c["amount_fen"] for c in counted) == list(range(100, 1100))
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        assert lag_of(conn) == (1000, 1000)


def test_a_redelivered_event_takes_effect_once(mq: World) -> None:
    mq.start_probe(max_workers=1)
    with mq.store("aid", source_registry()) as aid:
        probe_queue = "probe-copy"
        conn = mq.broker.connect()
        channel = conn.channel()
        channel.queue_declare(probe_queue, durable=True, auto_delete=False)
        channel.queue_bind(probe_queue, events_exchange("aid"), "#")
        conn.close()
        mq.start_relay_thread("aid")
        first = deposited(7)
        mq.append_many(aid, [first])
        wait_for("the first reaction", lambda: mq.count("funds", "Counted") == 1)
        (copy,) = drain(mq.broker, probe_queue)
        for _ in range(3):  # the broker redelivers, or a relay republishes after a crash
            publish(
                mq.broker,
                events_exchange("aid"),
                "Deposited",
                copy.body,
                content_type="application/json",
                content_encoding="utf-8",
                message_id=copy.properties["message_id"],
            )
        mq.append_many(aid, [deposited(8)])  # behind the copies, with one worker
        wait_for("the later event", lambda: mq.count("funds", "Counted") == 2)
    amounts = [c["amount_fen"] for c in mq.data_of("funds", "Counted")]
    assert amounts == [7, 8]


def test_a_subscriber_that_came_later_gets_the_history_by_republishing(mq: World) -> None:
    with mq.store("aid", source_registry()) as aid:
        relay = mq.start_relay_thread("aid")
        mq.append_many(aid, [deposited(i) for i in range(5)])
        wait_for("published to nobody", lambda: relay.status.published_position == 5)
    mq.start_probe()  # its queue exists only from now on
    assert mq.count("funds", "Counted") == 0

    def republish() -> str:
        done = subprocess.run(
            [UNIONCTL, "republish", "aid", "--from", "1"],
            env=mq.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "published 5 events again" in republish()
    wait_for("the history handled", lambda: mq.count("funds", "Counted") == 5)
    republish()  # a second time: the inbox absorbs it
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        assert lag_of(conn) == (5, 5)  # the relay's cursor did not move back
    wait_for("the copies consumed", lambda: queue_info(mq.broker, PROBE_QUEUE)[0] == 0)
    assert sorted(c["amount_fen"] for c in mq.data_of("funds", "Counted")) == [0, 1, 2, 3, 4]
