"""funds' command schemas: RPC payloads, and the requests other services record for it.

Other services run their sagas by recording these requests as events in their
own logs (``FundsReservationRequested``, ``FundsReleaseRequested``,
``FundsSpendReported``); funds answers with its own events carrying the same
``request_id`` as ``reservation_id``: ``FundsReserved`` or
``BudgetReservationRefused``, then ``ReservationReleased``/``ReservationExpired``
or ``ExpenditureRecorded``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.funds.events import CHANNELS, KINDS, PERIOD_PATTERN, SOURCES
from shared.inbound import CREDIT_CODE

LINE = r"^[a-z][a-z0-9_]{1,39}$"


def _id() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=100))


def _text(most: int = 200) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=most))


def _year() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))


def _line() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(LINE),
        metadata={"description": "budget line code, e.g. hardship_aid, warmth, golden_autumn"},
    )


def _fen(least: int = 1) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=least))


class OpenFiscalYear(Schema):
    fiscal_year = _year()


class Allocate(Schema):
    appropriation_id = _id()
    fiscal_year = _year()
    line = _line()
    name = _text()
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    amount_fen = _fen()
    basis = _text(500)


class ReservationRequest(Schema):
    request_id = _id()
    fiscal_year = _year()
    line = _line()
    amount_fen = _fen()
    reference = _text()


class SpendReport(Schema):
    request_id = _id()
    fiscal_year = _year()
    line = _line()
    amount_fen = _fen(0)
    voucher_ref = _text(100)


class ReleaseRequest(Schema):
    request_id = _id()
    fiscal_year = _year()
    line = _line()
    reason = _text()


class AdjustmentRequest(Schema):
    adjustment_id = _id()
    fiscal_year = _year()
    line = _line()
    delta_fen = fields.Integer(required=True, strict=True)
    reason = _text(500)


class AdjustmentApproval(Schema):
    adjustment_id = _id()
    fiscal_year = _year()
    line = _line()


class PayrollDeclaration(Schema):
    employer_id = fields.String(required=True, validate=validate.Regexp(CREDIT_CODE))
    period = fields.String(required=True, validate=validate.Regexp(PERIOD_PATTERN))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    payroll_fen = _fen(0)


class Collection(Schema):
    """Dues paid through a channel other than the tax bureau's message."""

    employer_id = fields.String(required=True, validate=validate.Regexp(CREDIT_CODE))
    period = fields.String(required=True, validate=validate.Regexp(PERIOD_PATTERN))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    payroll_fen = _fen(0)
    amount_fen = _fen(0)
    voucher_no = _text(64)
    collected_on = fields.Date(required=True)


class UnionFounded(Schema):
    """What funds reads of orgs' ``UnionFounded`` (flow F1)."""

    union_id = _id()
    employer_ids = fields.List(
        fields.String(validate=validate.Regexp(CREDIT_CODE)),
        required=True,
        validate=validate.Length(min=1),
    )
    founded_on = fields.Date(required=True)


class UnionSectorAssigned(Schema):
    """What funds reads of orgs' ``UnionSectorAssigned`` (flow F14)."""

    union_id = _id()
    employer_ids = fields.List(
        fields.String(validate=validate.Regexp(CREDIT_CODE)),
        required=True,
        validate=validate.Length(min=1),
    )
    sector = fields.String(required=True, validate=validate.Length(min=1, max=40))
