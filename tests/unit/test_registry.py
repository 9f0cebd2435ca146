"""Event type registry: schemas per version, upcasting, refusal of unknown and invalid payloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from marshmallow import Schema, fields, post_load

from shared.errors import InvalidEvent, UnknownEventType
from shared.registry import EventRegistry, NewEvent


@dataclass(frozen=True)
class AidApproved:
    case_id: str
    amount_fen: int
    currency: str


class V1(Schema):
    case_id = fields.String(required=True)
    amount_yuan = fields.Integer(required=True)


class V2(Schema):
    case_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True)


class V3(Schema):
    case_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    currency = fields.String(required=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> AidApproved:
        return AidApproved(**data)


def registry() -> EventRegistry:
    reg = EventRegistry()
    reg.register("AidApproved", V1, version=1)
    reg.register(
        "AidApproved",
        V2,
        version=2,
        upcast=lambda d: {"case_id": d["case_id"], "amount_fen": d["amount_yuan"] * 100},
    )
    reg.register(
        "AidApproved",
        V3,
        version=3,
        event_class=AidApproved,
        upcast=lambda d: {**d, "currency": "CNY"},
    )
    return reg


def test_old_versions_are_upcast_step_by_step() -> None:
    event = registry().decode("AidApproved", 1, {"case_id": "c1", "amount_yuan": 12})
    assert event == AidApproved("c1", 1200, "CNY")


def test_writing_uses_the_newest_version() -> None:
    reg = registry()
    new = reg.new_event(AidApproved("c1", 5, "CNY"))
    assert new.event_type == "AidApproved"
    assert new.data == {"case_id": "c1", "amount_fen": 5, "currency": "CNY"}
    assert reg.prepare(new) == 3


def test_unknown_types_and_versions_are_refused() -> None:
    reg = registry()
    with pytest.raises(UnknownEventType):
        reg.prepare(NewEvent("AidTeleported", {}))
    with pytest.raises(UnknownEventType):
        reg.decode("AidApproved", 9, {})
    with pytest.raises(UnknownEventType):
        reg.new_event(object())


def test_a_payload_failing_its_schema_names_the_field() -> None:
    with pytest.raises(InvalidEvent) as exc:
        registry().prepare(NewEvent("AidApproved", {"case_id": "c1", "amount_fen": "x"}))
    assert set(exc.value.details["fields"]) == {"amount_fen", "currency"}


def test_versions_must_be_contiguous_and_upcast() -> None:
    reg = EventRegistry()
    with pytest.raises(ValueError, match="before v1"):
        reg.register("X", V1, version=2, upcast=dict)
    reg.register("X", V1)
    with pytest.raises(ValueError, match="upcaster"):
        reg.register("X", V2, version=2)
    with pytest.raises(ValueError, match="already"):
        reg.register("X", V1)
