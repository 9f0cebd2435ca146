"""Log lines about one message name it: its id, and for an event its stream and position."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from shared.nameko_ext import message_identity
from shared.observability import JsonFormatter


@dataclass
class Message:
    body: Any
    properties: dict[str, Any] = field(default_factory=dict)


ENVELOPE = {
    "event_id": "0b4f5a3e-6c1d-4e2a-9f7b-3d2c1b0a9e8f",
    "event_type": "MemberLapsed",
    "source": "orgs",
    "stream_id": "Member-P-4",
    "position": 812,
    "data": {"person_id": "P-4"},
}


def test_an_events_identity_is_its_message_id_source_type_stream_and_position() -> None:
    message = Message(json.dumps(ENVELOPE).encode(), {"message_id": ENVELOPE["event_id"]})
    assert message_identity(message) == {
        "message_id": ENVELOPE["event_id"],
        "source": "orgs",
        "event_type": "MemberLapsed",
        "stream_id": "Member-P-4",
        "position": 812,
    }


def test_what_cannot_be_read_is_left_out_not_guessed() -> None:
    assert message_identity(Message(b"\xff not json", {"message_id": "m-1"})) == {
        "message_id": "m-1"
    }
    assert message_identity(Message(b"[1, 2]")) == {}
    odd = {"stream_id": {"nested": True}, "position": True, "source": "tax"}
    assert message_identity(Message(json.dumps(odd))) == {"source": "tax"}
    assert message_identity(object()) == {}


def test_the_json_formatter_writes_the_identity_given_with_the_line() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "dead-lettered (%s)", ("why",), None
    )
    for key, value in message_identity(Message(json.dumps(ENVELOPE))).items():
        setattr(record, key, value)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "dead-lettered (why)"
    assert (line["stream_id"], line["position"], line["source"]) == ("Member-P-4", 812, "orgs")
    plain = json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "hello"})))
    assert "stream_id" not in plain and "message_id" not in plain
