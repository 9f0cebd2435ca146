"""What aid takes from other systems, and (as they land) the events it publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.envelope import Subscription
from shared.inbound import InboundType
from shared.registry import EventRegistry

REF = validate.Length(min=1, max=64)


class SubsistenceAllowanceStatusSchema(Schema):
    household_ref = fields.String(
        required=True,
        validate=REF,
        metadata={"description": "the pseudonymous household id aid gave civil affairs"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(["granted", "ceased", "not_eligible"]),
        metadata={"description": "the household's 低保 (minimum living allowance) status"},
    )
    effective_on = fields.Date(required=True)
    dibao_standard_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the local monthly 低保 standard per person, in fen (public)"},
    )


class IncomeVerificationSchema(Schema):
    request_id = fields.String(
        required=True,
        validate=REF,
        metadata={"description": "the id of aid's verification request"},
    )
    household_ref = fields.String(required=True, validate=REF)
    result = fields.String(
        required=True,
        validate=validate.OneOf(["verified", "discrepancy", "incomplete"]),
        metadata={"description": "the 核对 conclusion of the 低保信息核对中心"},
    )
    household_size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    per_capita_monthly_income_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "personal data: kept in aid's vault, never in events"},
    )
    completed_on = fields.Date(required=True)


ALLOWANCE_STATUS = InboundType(
    name="civil.SubsistenceAllowanceStatusChanged",
    schema=SubsistenceAllowanceStatusSchema,
    owner="aid",
    publisher="county civil affairs bureau (民政局)",
    summary="A household's 低保 status changed (granted, ceased, not eligible).",
)
INCOME_VERIFIED = InboundType(
    name="civil.IncomeVerificationCompleted",
    schema=IncomeVerificationSchema,
    owner="aid",
    publisher="civil affairs 低保信息核对中心",
    summary="The result of a household income verification aid requested.",
    personal_fields=("per_capita_monthly_income_fen",),
)

INBOUND: tuple[InboundType, ...] = (ALLOWANCE_STATUS, INCOME_VERIFIED)
EVENTS = EventRegistry()
SUBSCRIPTIONS: tuple[Subscription, ...] = ()
