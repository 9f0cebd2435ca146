"""What funds takes from other systems, and (as they land) the events it publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.funds.events import EVENTS
from shared.inbound import CREDIT_CODE, InboundType

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


class DuesCollectedSchema(Schema):
    employer_id = fields.String(
        required=True,
        validate=validate.Regexp(CREDIT_CODE),
        metadata={"description": "the employer's unified social credit code"},
    )
    period = fields.String(
        required=True,
        validate=validate.Regexp(PERIOD),
        metadata={"description": "the payroll month the payment is for, YYYY-MM"},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["dues", "preparatory_fund"]),
        metadata={"description": "dues: 工会经费; preparatory_fund: 建会筹备金 (no union yet)"},
    )
    payroll_base_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the total monthly payroll declared, in fen"},
    )
    amount_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the amount collected, in fen"},
    )
    collected_on = fields.Date(required=True)
    tax_voucher_no = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the tax bureau's voucher (税票) number"},
    )


DUES_COLLECTED = InboundType(
    name="tax.DuesCollected",
    schema=DuesCollectedSchema,
    owner="funds",
    publisher="county tax bureau (税务局)",
    summary="Union dues or 建会筹备金 collected from an employer for one payroll month.",
)

INBOUND: tuple[InboundType, ...] = (DUES_COLLECTED,)
__all__ = ["DUES_COLLECTED", "EVENTS", "INBOUND"]
