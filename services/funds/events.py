"""funds' events: what its log records and publishes. Amounts are integer fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marshmallow import fields, validate

from services.funds import ledger_events
from shared.registry import EventRegistry
from shared.schemas import event_schema, money, one_of
from shared.validation import Pattern

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
SOURCES = ("fiscal_allocation", "union_funds")
MODES = ("preparatory_fund", "union_funds")
CHANNELS = ("tax", "fiscal", "direct")
KINDS = ("dues", "preparatory_fund")

# -- budget lines -------------------------------------------------------------


@dataclass(frozen=True)
class BudgetLineAllocated:
    """Money appropriated to a line; a later one raises it. Lines are never cut silently."""

    fiscal_year: int
    line: str
    name: str
    source: str
    amount_fen: int
    basis: str
    policy_version: str | None
    grant_id: str | None
    """Set when the money is a fiscal grant (joint meeting); None for a baseline or union funds."""
    nominal_fen: int
    """The appropriation as decided; ``amount_fen`` is what it adds to the line (see domain)."""


@dataclass(frozen=True)
class FundsReserved:
    reservation_id: str
    amount_fen: int
    reference: str
    requester: str
    expires_on: date
    available_after_fen: int
    policy_version: str


@dataclass(frozen=True)
class BudgetReservationRefused:
    reservation_id: str
    amount_fen: int
    reference: str
    requester: str
    reason: str
    available_fen: int


@dataclass(frozen=True)
class ReservationReleased:
    reservation_id: str
    amount_fen: int
    reason: str


@dataclass(frozen=True)
class ReservationExpired:
    reservation_id: str
    amount_fen: int
    expired_on: date
    policy_version: str


@dataclass(frozen=True)
class FundsRequestRefused:
    """A saga's spend or release that cannot apply, answered instead of dropped."""

    reservation_id: str
    request: str
    amount_fen: int
    reason: str
    detail: str


@dataclass(frozen=True)
class ExpenditureRecorded:
    reservation_id: str
    amount_fen: int
    reference: str
    voucher_ref: str


@dataclass(frozen=True)
class BudgetAdjustmentRequested:
    adjustment_id: str
    delta_fen: int
    reason: str
    requested_by: str
    transfer_id: str | None
    """A transfer's leg: approved only together with the other leg."""


@dataclass(frozen=True)
class BudgetAdjusted:
    adjustment_id: str
    delta_fen: int
    reason: str
    requested_by: str
    approved_by: str


# -- dues accounts --------------------------------------------------------------


@dataclass(frozen=True)
class DuesAccountOpened:
    employer_id: str
    mode: str
    channel: str
    union_id: str | None


@dataclass(frozen=True)
class DuesAssessed:
    """2 % of the declared payroll (rounded half up to the fen)."""

    period: str
    kind: str
    payroll_fen: int
    rate_bp: int
    amount_fen: int
    due_fen: int
    """What the collecting channel should bring in (all of it, or the upward share only)."""
    policy_version: str


@dataclass(frozen=True)
class DuesCollected:
    period: str
    channel: str
    amount_fen: int
    voucher_no: str
    collected_on: date


@dataclass(frozen=True)
class DuesSplitAllocated:
    """How collected dues divide: kept by the grassroots union, and upward."""

    period: str
    amount_fen: int
    retained_fen: int
    upward_fen: int
    rule: str
    retained_bp: int
    collection_model: str
    policy_version: str


@dataclass(frozen=True)
class PreparatoryFundCollected:
    period: str
    channel: str
    amount_fen: int
    voucher_no: str
    collected_on: date


@dataclass(frozen=True)
class DuesAccountConverted:
    union_id: str
    converted_on: date


@dataclass(frozen=True)
class DuesAccountUnionChanged:
    """The account's union merged into another (orgs' ``UnionMerged``).

    工会法: a merged union's funds and property belong to the union it merged
    into, so what is held for the old union, and every share and refund from now
    on, is the new union's.
    """

    from_union_id: str
    union_id: str
    reason: str
    changed_on: date


@dataclass(frozen=True)
class DuesAccountUnionEnded:
    """The account's union was dissolved (orgs' ``UnionDissolved``): no union, 建会筹备金 again.

    工会法: a dissolved union's funds and property are for the higher-level union
    to dispose of. ``held_fen`` is what the county held for it then: no longer
    owed down, it is booked to the county's dues income (``books.union_ended``).
    """

    union_id: str
    reason: str
    ended_on: date
    held_fen: int


@dataclass(frozen=True)
class UnionEndingNoted:
    """funds' own record that orgs merged (``into_union_id``) or dissolved a union.

    Kept (on the union's ``UnionRecord`` stream) so that an account converted to
    the union afterwards (orgs' messages reach funds' handlers in no guaranteed
    order) follows the ending too.
    """

    union_id: str
    into_union_id: str | None
    reason: str
    ended_on: date


@dataclass(frozen=True)
class UnionSectorNoted:
    """funds' own record of a union's sector (orgs' ``UnionSectorAssigned``), so that
    accounts merged into the union later take its sector too."""

    union_id: str
    sector: str


@dataclass(frozen=True)
class PreparatoryFundRefundIssued:
    union_id: str
    collected_fen: int
    refund_bp: int
    amount_fen: int
    policy_version: str


@dataclass(frozen=True)
class DuesSectorAssigned:
    sector: str


@dataclass(frozen=True)
class EducationTransferAssessed:
    """Notice 十一: 40 % of a school's yearly budgeted union funds, owed to the county."""

    fiscal_year: int
    budgeted_fen: int
    county_bp: int
    amount_fen: int
    policy_version: str


@dataclass(frozen=True)
class DuesTransferred:
    """Money paid on: the union's share down to it, or the upward share to higher levels."""

    direction: str
    amount_fen: int
    to: str
    voucher_ref: str
    transferred_on: date


@dataclass(frozen=True)
class ArrearsDetected:
    periods: tuple[str, ...]
    months: int
    amount_fen: int
    policy_version: str


def _period() -> fields.String:
    return fields.String(required=True, validate=Pattern(PERIOD_PATTERN))


def _bp() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000))


def _registry() -> EventRegistry:
    reg = EventRegistry()
    schemas = {
        BudgetLineAllocated: event_schema(
            BudgetLineAllocated, amount_fen=money(), nominal_fen=money(), source=one_of(*SOURCES)
        ),
        FundsReserved: event_schema(FundsReserved, amount_fen=money(), available_after_fen=money()),
        BudgetReservationRefused: event_schema(
            BudgetReservationRefused, amount_fen=money(), available_fen=money()
        ),
        ReservationReleased: event_schema(ReservationReleased, amount_fen=money()),
        ReservationExpired: event_schema(ReservationExpired, amount_fen=money()),
        FundsRequestRefused: event_schema(
            FundsRequestRefused, amount_fen=money(), request=one_of("spend", "release")
        ),
        ExpenditureRecorded: event_schema(ExpenditureRecorded, amount_fen=money()),
        BudgetAdjustmentRequested: event_schema(BudgetAdjustmentRequested),
        BudgetAdjusted: event_schema(BudgetAdjusted),
        DuesAccountOpened: event_schema(
            DuesAccountOpened, mode=one_of(*MODES), channel=one_of(*CHANNELS)
        ),
        DuesAssessed: event_schema(
            DuesAssessed,
            period=_period(),
            kind=one_of(*KINDS),
            payroll_fen=money(),
            amount_fen=money(),
            due_fen=money(),
            rate_bp=_bp(),
        ),
        DuesCollected: event_schema(DuesCollected, period=_period(), amount_fen=money()),
        DuesSplitAllocated: event_schema(
            DuesSplitAllocated,
            period=_period(),
            amount_fen=money(),
            retained_fen=money(),
            upward_fen=money(),
            retained_bp=_bp(),
        ),
        PreparatoryFundCollected: event_schema(
            PreparatoryFundCollected, period=_period(), amount_fen=money()
        ),
        DuesAccountConverted: event_schema(DuesAccountConverted),
        PreparatoryFundRefundIssued: event_schema(
            PreparatoryFundRefundIssued,
            collected_fen=money(),
            amount_fen=money(),
            refund_bp=_bp(),
        ),
        DuesAccountUnionChanged: event_schema(DuesAccountUnionChanged),
        DuesAccountUnionEnded: event_schema(DuesAccountUnionEnded, held_fen=money()),
        UnionEndingNoted: event_schema(UnionEndingNoted),
        UnionSectorNoted: event_schema(UnionSectorNoted),
        DuesSectorAssigned: event_schema(DuesSectorAssigned),
        ArrearsDetected: event_schema(ArrearsDetected, amount_fen=money()),
        DuesTransferred: event_schema(
            DuesTransferred, amount_fen=money(), direction=one_of("down", "up")
        ),
        EducationTransferAssessed: event_schema(
            EducationTransferAssessed, budgeted_fen=money(), amount_fen=money(), county_bp=_bp()
        ),
    }
    for cls, schema in schemas.items():
        reg.register(cls.__name__, schema, event_class=cls)
    ledger_events.register(reg)
    return reg


EVENTS = _registry()
