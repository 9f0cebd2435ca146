"""A message that cannot be handled is dead-lettered with its reason; the service keeps going."""

from __future__ import annotations

import json

import pytest

from shared.broker import dead_letter_queue, events_exchange
from tests.mq import (
    PROBE_QUEUE,
    World,
    deposited,
    drain,
    publish,
    queue_info,
    source_registry,
    wait_for,
)

pytestmark = pytest.mark.integration


def test_a_poison_event_is_retried_then_dead_lettered_and_the_next_is_handled(mq: World) -> None:
    probe = mq.start_probe(UNION_RETRY_ATTEMPTS=3, UNION_RETRY_BASE_MS=50)
    dlq = dead_letter_queue("funds")
    with mq.store("aid", source_registry()) as aid:
        mq.start_relay_thread("aid")
        poison, refused, good = deposited(1, "poison"), deposited(2, "refuse"), deposited(3)
        mq.append_many(aid, [poison, refused, good])
        wait_for("the good event", lambda: mq.count("funds", "Counted") == 1)
        wait_for("two dead letters", lambda: _depth(mq, dlq) == 2)
    letters = {m.properties["message_id"]: m for m in drain(mq.broker, dlq)}
    assert set(letters) == {str(poison.event_id), str(refused.event_id)}

    failed = letters[str(poison.event_id)].headers
    assert failed["x-union-reason"] == "handler-failed"
    assert failed["x-union-attempts"] == 3  # tried three times, then given up
    assert "this payload always fails" in failed["x-union-detail"]
    assert failed["x-union-queue"] == PROBE_QUEUE
    assert failed["union-source"] == "aid"  # the original headers travel along
    body = json.loads(letters[str(poison.event_id)].body)
    assert body["data"] == {"amount_fen": 1, "note": "poison"}

    rule = letters[str(refused.event_id)].headers
    assert rule["x-union-reason"] == "refused"  # a domain refusal is not retried
    assert rule["x-union-attempts"] == 1
    assert "OverLimit" in rule["x-union-detail"]
    assert [c["amount_fen"] for c in mq.data_of("funds", "Counted")] == [3]
    assert probe.popen.poll() is None


def test_bodies_that_are_not_envelopes_are_dead_lettered(mq: World) -> None:
    probe = mq.start_probe()
    exchange, dlq = events_exchange("aid"), dead_letter_queue("funds")
    common = {"content_type": "application/json", "content_encoding": "utf-8"}
    publish(mq.broker, exchange, "Deposited", b"\xff\xfe not json", message_id="m1", **common)
    publish(mq.broker, exchange, "Deposited", b'{"event_id": "nope"}', message_id="m2", **common)
    publish(mq.broker, exchange, "Deposited", b"[1, 2]", message_id="m3", **common)
    wait_for("three dead letters", lambda: _depth(mq, dlq) == 3)
    reasons = {m.properties["message_id"]: m.headers for m in drain(mq.broker, dlq)}
    assert reasons["m1"]["x-union-reason"] == "not-json"
    assert reasons["m2"]["x-union-reason"] == "schema"
    detail = json.loads(reasons["m2"]["x-union-detail"])
    assert "event_id" in detail["fields"] and "stream_id" in detail["fields"]
    assert reasons["m3"]["x-union-reason"] == "not-json"
    with mq.store("aid", source_registry()) as aid:  # and it still serves good events
        mq.start_relay_thread("aid")
        mq.append_many(aid, [deposited(5)])
        wait_for("the good event", lambda: mq.count("funds", "Counted") == 1)
    assert probe.popen.poll() is None


def _depth(mq: World, queue: str) -> int:
    return queue_info(mq.broker, queue)[0]
