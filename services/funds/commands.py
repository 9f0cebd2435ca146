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
from shared.validation import Pattern

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
        validate=Pattern(LINE),
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
    hold_until = fields.Date(
        load_default=None,
        metadata={"description": "keep the reservation until this day (a campaign's close)"},
    )


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
    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    period = fields.String(required=True, validate=Pattern(PERIOD_PATTERN))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    payroll_fen = _fen(0)


class Collection(Schema):
    """Dues paid through a channel other than the tax bureau's message."""

    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    period = fields.String(required=True, validate=Pattern(PERIOD_PATTERN))
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
        fields.String(validate=Pattern(CREDIT_CODE)),
        required=True,
        validate=validate.Length(min=1),
    )
    founded_on = fields.Date(required=True)


class UnionMerged(Schema):
    """What funds reads of orgs' ``UnionMerged``: the accounts follow to the union merged into."""

    union_id = _id()
    into_union_id = _id()
    reason = _text(64)
    merged_on = fields.Date(required=True)


class UnionDissolved(Schema):
    """What funds reads of orgs' ``UnionDissolved``: the accounts have no union again."""

    union_id = _id()
    reason = _text(64)
    dissolved_on = fields.Date(required=True)


class UnionSectorAssigned(Schema):
    """What funds reads of orgs' ``UnionSectorAssigned`` (flow F14)."""

    union_id = _id()
    employer_ids = fields.List(
        fields.String(validate=Pattern(CREDIT_CODE)),
        required=True,
        validate=validate.Length(min=1),
    )
    sector = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PostingIn(Schema):
    account = fields.String(required=True, validate=Pattern(r"^\d{4}$"))
    debit_fen = _fen(0)
    credit_fen = _fen(0)
    memo = fields.String(load_default="", validate=validate.Length(max=200))


class VoucherIn(Schema):
    voucher_id = _id()
    booked_on = fields.Date(required=True)
    reference = _text()
    postings = fields.List(fields.Nested(PostingIn), required=True, validate=validate.Length(min=2))


class VoucherReversal(Schema):
    fiscal_year = _year()
    voucher_id = _id()
    reversal_id = _id()
    booked_on = fields.Date(required=True)
    reason = _text(500)


class PeriodClose(Schema):
    period = fields.String(required=True, validate=Pattern(PERIOD_PATTERN))


class AssetChange(Schema):
    asset_id = fields.String(required=True, validate=Pattern(r"^[A-Za-z0-9_.:-]{1,100}$"))
    request_id = _id()
    change = fields.String(
        required=True, validate=validate.OneOf(["acquire", "transfer", "dispose"])
    )
    name = fields.String(load_default="", validate=validate.Length(max=200))
    category = fields.String(load_default="", validate=validate.Length(max=100))
    value_fen = _fen(0)
    holder = _text()
    holder_kind = fields.String(required=True, validate=validate.OneOf(["union", "non_union"]))
    purpose = fields.String(required=True, validate=validate.OneOf(["union", "non_union"]))


class AssetApproval(Schema):
    asset_id = fields.String(required=True, validate=Pattern(r"^[A-Za-z0-9_.:-]{1,100}$"))
    request_id = _id()


class GrantCommitment(Schema):
    grant_id = _id()
    fiscal_year = _year()
    line = _line()
    amount_fen = _fen()
    decision_ref = _text()


class GrantReceipt(Schema):
    grant_id = _id()
    amount_fen = _fen()
    voucher_ref = _text(100)
    received_on = fields.Date(required=True)


class BudgetImpact(Schema):
    fiscal_year = _year()
    line = _line()
    amount_fen = _fen()
    name = fields.String(load_default="", validate=validate.Length(max=200))


class JointMeetingDecision(Schema):
    """What funds reads of orgs' ``JointMeetingDecisionRecorded`` (flow F15)."""

    decision_id = _id()
    budget_impact = fields.Nested(BudgetImpact, allow_none=True, load_default=None)


class ProjectCommitment(Schema):
    project_id = _id()
    commitment_id = _id()
    amount_fen = _fen()
    source = _text()


class ProjectSpend(Schema):
    project_id = _id()
    amount_fen = _fen()
    milestone = _text(100)
    voucher_ref = _text(100)


class Milestone(Schema):
    project_id = _id()
    milestone = _text(100)
    reached_on = fields.Date(required=True)


class TransferRequest(Schema):
    transfer_id = _id()
    fiscal_year = _year()
    from_line = _line()
    to_line = _line()
    amount_fen = _fen()
    reason = _text(500)


class TransferApproval(Schema):
    transfer_id = _id()
    fiscal_year = _year()
    from_line = _line()
    to_line = _line()


class SchoolBudget(Schema):
    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    fiscal_year = _year()
    budgeted_fen = _fen(0)


class DuesTransfer(Schema):
    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    direction = fields.String(required=True, validate=validate.OneOf(["down", "up"]))
    amount_fen = _fen()
    to = _text()
    voucher_ref = _text(100)
    transferred_on = fields.Date(required=True)
