"""What the relay publishes is the recorded event, field for field, in the envelope schema."""

from __future__ import annotations

import pytest

from shared.broker import events_exchange
from shared.canonical import format_time
from shared.envelope import load_envelope
from shared.inbound import decode_json_object
from shared.registry import NewEvent
from shared.store import NO_STREAM
from tests.mq import World, drain, queue_info, source_registry, wait_for

pytestmark = pytest.mark.integration


def test_the_published_envelope_is_the_recorded_event(mq: World) -> None:
    copy = "aid-copy"
    conn = mq.broker.connect()
    channel = conn.channel()
    channel.exchange_declare(events_exchange("aid"), "topic", durable=True, auto_delete=False)
    channel.queue_declare(copy, durable=True, auto_delete=False)
    channel.queue_bind(copy, events_exchange("aid"), "#")
    conn.close()
    meta = {"actor": "caseworker-1", "correlation_id": "flow-7", "causation_id": "cmd-3"}
    with mq.store("aid", source_registry()) as aid:
        events = [
            NewEvent("Deposited", {"amount_fen": 50_000, "note": '冬送温暖 "慰问" \\ 金'}),
            NewEvent("Deposited", {"amount_fen": 1}),
        ]
        aid.append("Account-9", events, NO_STREAM, meta)
        mq.start_relay_thread("aid")
        wait_for("two messages", lambda: queue_info(mq.broker, copy)[0] == 2)
        recorded = aid.read_stream("Account-9")
    messages = drain(mq.broker, copy)
    for message, event in zip(messages, recorded, strict=True):
        envelope = load_envelope(decode_json_object(message.body))
        assert envelope.event_id == str(event.event_id) == message.properties["message_id"]
        assert (envelope.event_type, envelope.schema_version) == ("Deposited", 1)
        assert (envelope.stream_id, envelope.version, envelope.position) == (
            "Account-9",
            event.version,
            event.position,
        )
        assert envelope.source == "aid"
        assert envelope.data == event.data
        assert envelope.hash == event.hash
        assert format_time(envelope.recorded_at) == format_time(event.recorded_at)
        assert (envelope.actor, envelope.correlation_id, envelope.causation_id) == (
            "caseworker-1",
            "flow-7",
            "cmd-3",
        )
        assert message.properties["correlation_id"] == "flow-7"
        assert message.properties["delivery_mode"] == 2
        assert message.delivery_info["routing_key"] == "Deposited"
