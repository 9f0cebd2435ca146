"""The AsyncAPI document: current with the schemas, and faithful to them."""

from __future__ import annotations

from pathlib import Path

import yaml
from marshmallow import Schema, fields, validate

from shared import asyncapi
from shared.inbound import InboundType
from shared.registry import EventRegistry

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_asyncapi_document_is_current() -> None:
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8")
    assert committed == asyncapi.render(), "run `unionctl contract asyncapi` and commit it"


def test_every_inbound_type_has_a_channel_an_owner_and_its_fields() -> None:
    doc = yaml.safe_load(asyncapi.render())
    contracts = asyncapi.service_contracts()
    kinds = [k for c in contracts for k in c.inbound]
    assert len(kinds) >= 6
    for kind in kinds:
        assert kind.owner in {c.service for c in contracts}
        channel = doc["channels"][f"inbound.events/{kind.name}"]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == "inbound.events"
        message = doc["components"]["messages"][kind.name]
        assert message["x-owner"] == kind.owner
        assert set(message["payload"]["properties"]) == set(kind.schema().fields)


class Sample(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    amount_fen = fields.Integer(required=True, validate=validate.Range(min=0, max=10))
    on = fields.Date(metadata={"description": "the day"})
    tags = fields.List(fields.String(validate=validate.Length(max=5)))
    secret = fields.Integer()


def test_fields_become_json_schema_with_their_rules() -> None:
    schema = asyncapi.json_schema(Sample)
    props = schema["properties"]
    assert schema["required"] == ["code", "amount_fen"]
    assert props["code"] == {"type": "string", "pattern": "^[A-Z]{2}$"}
    assert props["kind"]["enum"] == ["a", "b"]
    assert (props["amount_fen"]["minimum"], props["amount_fen"]["maximum"]) == (0, 10)
    assert props["on"] == {"type": "string", "format": "date", "description": "the day"}
    assert props["tags"]["items"] == {"type": "string", "maxLength": 5}


def test_outbound_events_and_personal_fields_are_listed() -> None:
    events = EventRegistry()
    events.register("SampleRecorded", Sample)
    contract = asyncapi.Contract(
        "funds",
        (InboundType("tax.Sample", Sample, "funds", "tax", "a sample", ("secret",)),),
        events,
    )
    doc = asyncapi.document([contract])
    channel = doc["channels"]["funds.events/SampleRecorded"]
    assert channel["subscribe"]["message"]["oneOf"] == [
        {"$ref": "#/components/messages/funds.SampleRecorded.v1"}
    ]
    inbound = doc["components"]["messages"]["tax.Sample"]["payload"]["properties"]
    assert inbound["secret"]["x-personal-data"] is True
