"""Events of the ledger, the asset register, fiscal grants and the service-centre project."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marshmallow import fields, validate

from shared.registry import EventRegistry
from shared.schemas import event_schema, money, one_of

HOLDER_KINDS = ("union", "non_union")


@dataclass(frozen=True)
class Posting:
    account: str
    debit_fen: int
    credit_fen: int
    memo: str


@dataclass(frozen=True)
class VoucherPosted:
    voucher_id: str
    booked_on: date
    period: str
    postings: tuple[Posting, ...]
    reference: str
    reverses: str | None


@dataclass(frozen=True)
class VoucherReversed:
    voucher_id: str
    reversal_id: str
    reason: str


@dataclass(frozen=True)
class PeriodClosed:
    period: str


@dataclass(frozen=True)
class AssetChangeRequested:
    """Acquisition, transfer or disposal, waiting for a second person's approval."""

    request_id: str
    change: str
    name: str
    category: str
    value_fen: int
    holder: str
    holder_kind: str
    purpose: str
    requested_by: str


@dataclass(frozen=True)
class AssetChangeApproved:
    request_id: str
    change: str
    value_fen: int
    holder: str
    approved_by: str


@dataclass(frozen=True)
class AssetTransferRefused:
    """工会法 Art. 47 and notice 十一: union assets stay with the union and its purposes."""

    request_id: str
    holder: str
    holder_kind: str
    purpose: str
    requested_by: str


@dataclass(frozen=True)
class FiscalGrantCommitted:
    grant_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    decision_ref: str


@dataclass(frozen=True)
class FiscalGrantReceived:
    grant_id: str
    amount_fen: int
    voucher_ref: str
    received_on: date


@dataclass(frozen=True)
class ProjectFundsCommitted:
    project_id: str
    amount_fen: int
    source: str


@dataclass(frozen=True)
class ProjectSpendRecorded:
    project_id: str
    amount_fen: int
    milestone: str
    voucher_ref: str


@dataclass(frozen=True)
class ProjectMilestoneReached:
    project_id: str
    milestone: str
    reached_on: date


def _posting_field() -> fields.Nested:
    posting = event_schema(Posting, debit_fen=money(), credit_fen=money())
    return fields.Nested(posting, many=True, required=True, validate=validate.Length(min=2))


def register(reg: EventRegistry) -> None:
    schemas = {
        VoucherPosted: event_schema(VoucherPosted, postings=_posting_field()),
        VoucherReversed: event_schema(VoucherReversed),
        PeriodClosed: event_schema(PeriodClosed),
        AssetChangeRequested: event_schema(
            AssetChangeRequested,
            value_fen=money(),
            change=one_of("acquire", "transfer", "dispose"),
            holder_kind=one_of(*HOLDER_KINDS),
        ),
        AssetChangeApproved: event_schema(AssetChangeApproved, value_fen=money()),
        AssetTransferRefused: event_schema(AssetTransferRefused),
        FiscalGrantCommitted: event_schema(FiscalGrantCommitted, amount_fen=money()),
        FiscalGrantReceived: event_schema(FiscalGrantReceived, amount_fen=money()),
        ProjectFundsCommitted: event_schema(ProjectFundsCommitted, amount_fen=money()),
        ProjectSpendRecorded: event_schema(ProjectSpendRecorded, amount_fen=money()),
        ProjectMilestoneReached: event_schema(ProjectMilestoneReached),
    }
    for cls, schema in schemas.items():
        reg.register(cls.__name__, schema, event_class=cls)
