"""funds' rules, as pure deciders: budget lines with reservations, and dues accounts.

Every rule cites its source; numbers come from ``policy.POLICY`` for the day
they apply to, and the version used is recorded on the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import TypeVar

from services.funds.events import (
    ArrearsDetected,
    BudgetAdjusted,
    BudgetAdjustmentRequested,
    BudgetLineAllocated,
    BudgetReservationRefused,
    DuesAccountConverted,
    DuesAccountOpened,
    DuesAccountUnionChanged,
    DuesAccountUnionEnded,
    DuesAssessed,
    DuesCollected,
    DuesSectorAssigned,
    DuesSplitAllocated,
    DuesTransferred,
    EducationTransferAssessed,
    ExpenditureRecorded,
    FundsRequestRefused,
    FundsReserved,
    PreparatoryFundCollected,
    PreparatoryFundRefundIssued,
    ReservationExpired,
    ReservationReleased,
    UnionEndingNoted,
    UnionSectorNoted,
)
from services.funds.policy import POLICY, PolicyTable
from shared.decider import Decider
from shared.errors import DomainError

K = TypeVar("K")
V = TypeVar("V")

# -- errors -------------------------------------------------------------------


class LineNotAllocated(DomainError):
    code = "LineNotAllocated"


class UnknownReservation(DomainError):
    code = "UnknownReservation"


class SpendExceedsReservation(DomainError):
    code = "SpendExceedsReservation"


class MakerCheckerViolation(DomainError):
    code = "MakerCheckerViolation"


class AdjustmentBelowCommitted(DomainError):
    code = "AdjustmentBelowCommitted"


class InvalidAmount(DomainError):
    code = "InvalidAmount"


class UnknownAdjustment(DomainError):
    code = "UnknownAdjustment"


class TransferLegsTogether(DomainError):
    code = "TransferLegsTogether"


class NotEducationSector(DomainError):
    code = "NotEducationSector"


class TransferExceedsOwed(DomainError):
    code = "TransferExceedsOwed"


def share(amount_fen: int, bp: int) -> int:
    """``amount × bp / 10,000`` rounded half up to the fen.

    The one rounding rule for every percentage in funds: integer arithmetic, so
    no float ever touches money, and the remainder goes to the other side of a
    split, so a split never loses or invents a fen.
    """
    return (amount_fen * bp + 5_000) // 10_000


# -- budget lines ---------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    amount_fen: int
    reference: str
    requester: str
    expires_on: date
    policy_version: str


@dataclass(frozen=True)
class Line:
    allocated: int = 0
    reserved: int = 0
    spent: int = 0
    released: int = 0
    refused_count: int = 0
    refused_fen: int = 0
    open: MappingProxyType[str, Reservation] = field(default_factory=lambda: MappingProxyType({}))
    """Reservations neither spent, released nor expired."""
    settled: frozenset[str] = frozenset()
    """Reservation ids that were refused, spent, released or expired."""
    pending: MappingProxyType[str, BudgetAdjustmentRequested] = field(
        default_factory=lambda: MappingProxyType({})
    )
    exists: bool = False
    adjusted: frozenset[str] = frozenset()
    """Adjustment ids already approved."""
    baseline: int = 0
    """Fiscal money allocated from policy (open_fiscal_year)."""
    granted: int = 0
    """Fiscal money allocated from grants the joint meeting committed."""

    @property
    def available(self) -> int:
        """The invariant: allocated − reserved − spent, never below zero."""
        return self.allocated - self.reserved - self.spent


@dataclass(frozen=True)
class Allocate:
    fiscal_year: int
    line: str
    name: str
    source: str
    amount_fen: int
    basis: str
    policy_version: str | None = None
    grant_id: str | None = None


@dataclass(frozen=True)
class Reserve:
    reservation_id: str
    amount_fen: int
    reference: str
    requester: str
    today: date
    policy: PolicyTable = POLICY
    hold_until: date | None = None
    """A campaign's envelope is held until it closes, not just the usual days."""


@dataclass(frozen=True)
class ConfirmSpend:
    reservation_id: str
    amount_fen: int
    voucher_ref: str
    answer_refusal: bool = False
    """From another service's saga: a spend that cannot apply is answered with an event."""


@dataclass(frozen=True)
class Release:
    reservation_id: str
    reason: str
    answer_refusal: bool = False


@dataclass(frozen=True)
class ExpireReservations:
    today: date


@dataclass(frozen=True)
class RequestAdjustment:
    adjustment_id: str
    delta_fen: int
    reason: str
    requested_by: str
    transfer_id: str | None = None


@dataclass(frozen=True)
class ApproveAdjustment:
    adjustment_id: str
    approved_by: str
    transfer_id: str | None = None
    """Set by the transfer's approval; a transfer leg is never approved alone."""


def dissoc(m: MappingProxyType[K, V], key: K) -> MappingProxyType[K, V]:
    return MappingProxyType({k: v for k, v in m.items() if k != key})


def assoc(m: MappingProxyType[K, V], key: K, value: V) -> MappingProxyType[K, V]:
    """A copy with ``key`` set: states are frozen, so evolve builds new maps."""
    return MappingProxyType({**m, key: value})


def evolve_line(s: Line, e: object) -> Line:
    match e:
        case BudgetLineAllocated(amount_fen=amount):
            return replace(
                s,
                allocated=s.allocated + amount,
                exists=True,
                baseline=s.baseline + (e.nominal_fen if e.policy_version and not e.grant_id else 0),
                granted=s.granted + (e.nominal_fen if e.grant_id else 0),
            )
        case FundsReserved(reservation_id=rid, amount_fen=amount):
            res = Reservation(amount, e.reference, e.requester, e.expires_on, e.policy_version)
            return replace(s, reserved=s.reserved + amount, open=assoc(s.open, rid, res))
        case BudgetReservationRefused(reservation_id=rid, amount_fen=amount):
            return replace(
                s,
                refused_count=s.refused_count + 1,
                refused_fen=s.refused_fen + amount,
                settled=s.settled | {rid},
            )
        case ExpenditureRecorded(reservation_id=rid, amount_fen=amount):
            held = s.open[rid].amount_fen
            return replace(
                s,
                reserved=s.reserved - held,
                spent=s.spent + amount,
                released=s.released + held - amount,
                open=dissoc(s.open, rid),
                settled=s.settled | {rid},
            )
        case ReservationReleased(reservation_id=rid) | ReservationExpired(reservation_id=rid):
            if rid not in s.open:  # the remainder of a spend, already counted
                return s
            held = s.open[rid].amount_fen
            return replace(
                s,
                reserved=s.reserved - held,
                released=s.released + held,
                open=dissoc(s.open, rid),
                settled=s.settled | {rid},
            )
        case BudgetAdjustmentRequested(adjustment_id=aid):
            return replace(s, pending=assoc(s.pending, aid, e))
        case BudgetAdjusted(adjustment_id=aid, delta_fen=delta):
            return replace(
                s,
                allocated=s.allocated + delta,
                pending=dissoc(s.pending, aid),
                adjusted=s.adjusted | {aid},
            )
    return s


def decide_line(c: object, s: Line) -> list[object]:
    match c:
        case Allocate():
            # Notice 十二: the county's lines are raised "as appropriate"; an
            # appropriation only ever adds. Cutting is an approved adjustment.
            if c.amount_fen <= 0:
                raise InvalidAmount("an appropriation adds a positive amount", field="amount_fen")
            # The county's fiscal money reaches a line two ways: the policy
            # baseline (open_fiscal_year) and grants the joint meeting commits.
            # They are the same money until the grants exceed the baseline, so
            # the line holds max(baseline, grants), in whichever order they come.
            baseline, granted = s.baseline, s.granted
            if c.grant_id is not None:
                granted += c.amount_fen
            elif c.policy_version is not None:
                baseline += c.amount_fen
            fiscal = c.grant_id is not None or c.policy_version is not None
            adds = max(baseline, granted) - max(s.baseline, s.granted) if fiscal else c.amount_fen
            return [
                BudgetLineAllocated(
                    c.fiscal_year,
                    c.line,
                    c.name,
                    c.source,
                    adds,
                    c.basis,
                    c.policy_version,
                    c.grant_id,
                    c.amount_fen,
                )
            ]
        case Reserve():
            return _reserve(c, s)
        case ConfirmSpend():
            try:
                res = _open(s, c.reservation_id)
                if not 0 <= c.amount_fen <= res.amount_fen:
                    raise SpendExceedsReservation(
                        "a spend is at most the reserved amount",
                        reserved_fen=res.amount_fen,
                        amount_fen=c.amount_fen,
                    )
            except DomainError as refused:
                if not c.answer_refusal:
                    raise
                return [_refusal(c.reservation_id, "spend", c.amount_fen, refused)]
            out: list[object] = [
                ExpenditureRecorded(c.reservation_id, c.amount_fen, res.reference, c.voucher_ref)
            ]
            if c.amount_fen < res.amount_fen:
                rest = res.amount_fen - c.amount_fen
                out.append(ReservationReleased(c.reservation_id, rest, "remainder"))
            return out
        case Release():
            if c.reservation_id in s.settled:
                return []  # released already, or spent: a repeated release changes nothing
            try:
                res = _open(s, c.reservation_id)
            except DomainError as refused:
                if not c.answer_refusal:
                    raise
                return [_refusal(c.reservation_id, "release", 0, refused)]
            return [ReservationReleased(c.reservation_id, res.amount_fen, c.reason)]
        case ExpireReservations():
            return [
                ReservationExpired(rid, r.amount_fen, c.today, r.policy_version)
                for rid, r in sorted(s.open.items())
                if r.expires_on <= c.today
            ]
        case RequestAdjustment():
            _exists(s)
            if c.delta_fen == 0:
                raise InvalidAmount("an adjustment changes the line", field="delta_fen")
            if c.adjustment_id in s.pending or c.adjustment_id in s.adjusted:
                return []  # the same request again
            return [
                BudgetAdjustmentRequested(
                    c.adjustment_id, c.delta_fen, c.reason, c.requested_by, c.transfer_id
                )
            ]
        case ApproveAdjustment():
            if c.adjustment_id in s.adjusted:
                return []  # approved already
            req = s.pending.get(c.adjustment_id)
            if req is None:
                raise UnknownAdjustment(
                    "no such adjustment is pending", adjustment_id=c.adjustment_id
                )
            if req.transfer_id != c.transfer_id:
                # Approving one leg alone would create or destroy money.
                raise TransferLegsTogether(
                    "a transfer's two legs are approved together (approve_transfer)",
                    transfer_id=req.transfer_id,
                )
            # Maker-checker (§4.5): the approver is never the one who asked.
            if c.approved_by == req.requested_by:
                raise MakerCheckerViolation(
                    "an adjustment needs a second person's approval",
                    requested_by=req.requested_by,
                )
            if s.allocated + req.delta_fen < s.reserved + s.spent:
                raise AdjustmentBelowCommitted(
                    "a line cannot be cut below what is reserved and spent",
                    committed_fen=s.reserved + s.spent,
                    allocated_fen=s.allocated,
                )
            return [
                BudgetAdjusted(
                    req.adjustment_id, req.delta_fen, req.reason, req.requested_by, c.approved_by
                )
            ]
    raise TypeError(f"not a budget line command: {c!r}")


def _refusal(rid: str, request: str, amount: int, refused: DomainError) -> FundsRequestRefused:
    return FundsRequestRefused(rid, request, amount, refused.code, refused.message)


def _reserve(c: Reserve, s: Line) -> list[object]:
    if c.amount_fen <= 0:
        raise InvalidAmount("a reservation is for a positive amount", field="amount_fen")
    if c.reservation_id in s.open or c.reservation_id in s.settled:
        return []  # the same request again: its first answer stands
    if not s.exists:
        # Answered, not raised: a saga waiting on this request gets its reply.
        return [
            BudgetReservationRefused(
                c.reservation_id, c.amount_fen, c.reference, c.requester, "LineNotAllocated", 0
            )
        ]
    if c.amount_fen > s.available:
        # The invariant (domain reference F2): no overdraft, ever. The refusal
        # is an event, so the audit trail shows every request that was turned down.
        return [
            BudgetReservationRefused(
                c.reservation_id,
                c.amount_fen,
                c.reference,
                c.requester,
                "LineExhausted",
                s.available,
            )
        ]
    days, version = c.policy.number("budget.reservation_days", c.today)
    expires_on = max(c.today + timedelta(days=days), c.hold_until or c.today)
    return [
        FundsReserved(
            c.reservation_id,
            c.amount_fen,
            c.reference,
            c.requester,
            expires_on,
            s.available - c.amount_fen,
            version,
        )
    ]


def _exists(s: Line) -> None:
    if not s.exists:
        raise LineNotAllocated("nothing has been allocated to this budget line")


def _open(s: Line, reservation_id: str) -> Reservation:
    res = s.open.get(reservation_id)
    if res is None:
        raise UnknownReservation(
            "no open reservation with this id",
            reservation_id=reservation_id,
            settled=reservation_id in s.settled,
        )
    return res


BUDGET_LINE: Decider[object, Line, object] = Decider(Line(), evolve_line, decide_line)


def line_stream(fiscal_year: int, line: str) -> str:
    return f"BudgetLine-{fiscal_year}.{line}"


# -- dues accounts ----------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    opened: bool = False
    mode: str = "preparatory_fund"
    union_id: str | None = None
    sector: str | None = None
    assessed: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Period -> what the collecting channel should bring in."""
    payrolls: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    collected: MappingProxyType[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Period -> amount collected (dues or 建会筹备金)."""
    vouchers: frozenset[str] = frozenset()
    prep_collected: int = 0
    refund_base: int = 0
    """建会筹备金 already refunded on (the rest is refunded on conversion or arrival)."""
    flagged: tuple[str, ...] = ()
    school_budgets: MappingProxyType[int, int] = field(default_factory=lambda: MappingProxyType({}))
    school_owed: MappingProxyType[int, int] = field(default_factory=lambda: MappingProxyType({}))
    owed_down: int = 0
    """The grassroots union's shares and refunds not yet paid down to it."""
    owed_up: int = 0
    """Upward shares not yet paid to the higher levels."""
    transfers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RecordCollection:
    """The tax bureau (or another channel) collected money for one payroll month."""

    employer_id: str
    period: str
    kind: str
    channel: str
    payroll_fen: int
    amount_fen: int
    voucher_no: str
    collected_on: date
    policy: PolicyTable = POLICY


@dataclass(frozen=True)
class DeclarePayroll:
    """An employer's monthly payroll, declared before (or without) any payment."""

    employer_id: str
    period: str
    kind: str
    payroll_fen: int
    policy: PolicyTable = POLICY


@dataclass(frozen=True)
class ConvertAccount:
    """The employer's union was founded (orgs): 建会筹备金 becomes 工会经费."""

    employer_id: str
    union_id: str
    founded_on: date
    policy: PolicyTable = POLICY
    union_ended: bool = False
    """funds had noted the union's ending before the founding reached it."""


@dataclass(frozen=True)
class FollowUnion:
    """The account's union ended (orgs): to the union it merged into, or to none."""

    employer_id: str
    from_union_id: str
    into_union_id: str | None
    reason: str
    on: date
    into_sector: str | None = None
    """The sector funds knows for the union merged into (none noted: general)."""


@dataclass(frozen=True)
class AssignSector:
    employer_id: str
    sector: str


@dataclass(frozen=True)
class DeclareSchoolBudget:
    """A 完中/职高/师范 school's union funds in this year's budget (notice 十一)."""

    employer_id: str
    fiscal_year: int
    budgeted_fen: int
    declared_on: date
    policy: PolicyTable = POLICY


@dataclass(frozen=True)
class TransferDues:
    """The county pays on what it holds for others (audit need 4: transfers up and down)."""

    employer_id: str
    direction: str
    amount_fen: int
    to: str
    voucher_ref: str
    transferred_on: date


@dataclass(frozen=True)
class DetectArrears:
    today: date
    policy: PolicyTable = POLICY


def evolve_account(s: Account, e: object) -> Account:
    match e:
        case DuesAccountOpened():
            return replace(s, opened=True, mode=e.mode, union_id=e.union_id)
        case DuesAssessed(period=p):
            # A correction replaces the month's assessment: the latest stands.
            return replace(
                s,
                assessed=assoc(s.assessed, p, e.due_fen),
                payrolls=assoc(s.payrolls, p, e.payroll_fen),
            )
        case (
            DuesCollected(period=p, amount_fen=a) | PreparatoryFundCollected(period=p, amount_fen=a)
        ):
            extra = a if isinstance(e, PreparatoryFundCollected) else 0
            return replace(
                s,
                collected=assoc(s.collected, p, s.collected.get(p, 0) + a),
                vouchers=s.vouchers | {e.voucher_no},
                prep_collected=s.prep_collected + extra,
            )
        case DuesAccountConverted():
            return replace(s, mode="union_funds", union_id=e.union_id)
        case PreparatoryFundRefundIssued():
            return replace(
                s, refund_base=s.refund_base + e.collected_fen, owed_down=s.owed_down + e.amount_fen
            )
        case DuesSplitAllocated():
            up = 0 if e.rule == "fiscal_remittance" else e.upward_fen  # the county's own
            return replace(s, owed_down=s.owed_down + e.retained_fen, owed_up=s.owed_up + up)
        case DuesTransferred():
            down = e.amount_fen if e.direction == "down" else 0
            return replace(
                s,
                owed_down=s.owed_down - down,
                owed_up=s.owed_up - (e.amount_fen - down),
                transfers=s.transfers | {e.voucher_ref},
            )
        case DuesAccountUnionChanged():
            return replace(s, union_id=e.union_id)
        case DuesAccountUnionEnded():
            # The higher-level union's now (books.union_ended): no longer owed down.
            return replace(
                s, mode="preparatory_fund", union_id=None, owed_down=s.owed_down - e.held_fen
            )
        case DuesSectorAssigned():
            return replace(s, sector=e.sector)
        case ArrearsDetected():
            return replace(s, flagged=e.periods)
        case EducationTransferAssessed():
            budgets = assoc(s.school_budgets, e.fiscal_year, e.budgeted_fen)
            owed = assoc(s.school_owed, e.fiscal_year, e.amount_fen)
            return replace(s, school_budgets=budgets, school_owed=owed)
    return s


def decide_account(c: object, s: Account) -> list[object]:
    match c:
        case RecordCollection():
            return _collect(c, s)
        case DeclarePayroll():
            if c.payroll_fen < 0:
                raise InvalidAmount("payroll is not negative", field="payroll_fen")
            if s.payrolls.get(c.period) == c.payroll_fen:
                return []  # declared already, unchanged
            mode = "preparatory_fund" if c.kind == "preparatory_fund" else "union_funds"
            return [
                *_open_if_needed(s, c.employer_id, mode, "tax"),
                _assess(c.period, c.kind, c.payroll_fen, c.policy),
            ]
        case ConvertAccount():
            return _convert(c, s)
        case FollowUnion():
            return _follow(c, s)
        case AssignSector():
            out: list[object] = _open_if_needed(s, c.employer_id, "union_funds", "tax")
            return [] if s.sector == c.sector else [*out, DuesSectorAssigned(c.sector)]
        case DetectArrears():
            return _arrears(c, s)
        case TransferDues():
            if c.voucher_ref in s.transfers:
                return []
            owed = s.owed_down if c.direction == "down" else s.owed_up
            if not 0 < c.amount_fen <= owed:
                raise TransferExceedsOwed(
                    "a transfer pays at most what is held for them",
                    direction=c.direction,
                    owed_fen=owed,
                    amount_fen=c.amount_fen,
                )
            return [
                DuesTransferred(c.direction, c.amount_fen, c.to, c.voucher_ref, c.transferred_on)
            ]
        case DeclareSchoolBudget():
            if s.sector != "education":
                raise NotEducationSector(
                    "the 40 % rule is for the education system's schools", sector=s.sector
                )
            if c.budgeted_fen < 0:
                raise InvalidAmount("a budget is not negative", field="budgeted_fen")
            if s.school_budgets.get(c.fiscal_year) == c.budgeted_fen:
                return []
            bp, version = c.policy.number("dues.education_county_bp", date(c.fiscal_year, 1, 1))
            # A revised budget is assessed again; the latest assessment of a year stands.
            return [
                EducationTransferAssessed(
                    c.fiscal_year, c.budgeted_fen, bp, share(c.budgeted_fen, bp), version
                )
            ]
    raise TypeError(f"not a dues account command: {c!r}")


def _open_if_needed(s: Account, employer_id: str, mode: str, channel: str) -> list[object]:
    return [] if s.opened else [DuesAccountOpened(employer_id, mode, channel, None)]


def _period_start(period: str) -> date:
    """Rules apply as in force for the payroll month, not the day the money came."""
    return date(int(period[:4]), int(period[5:7]), 1)


def _collect(c: RecordCollection, s: Account) -> list[object]:
    if c.voucher_no in s.vouchers:
        return []  # the same tax voucher again: recorded once
    mode = "preparatory_fund" if c.kind == "preparatory_fund" else "union_funds"
    # Money that arrives is always recorded; an unknown employer gets its account.
    out: list[object] = _open_if_needed(s, c.employer_id, mode, c.channel)
    if c.period not in s.assessed:
        out.append(_assess(c.period, c.kind, c.payroll_fen, c.policy))
    on = c.collected_on
    if c.kind == "preparatory_fund":
        out.append(PreparatoryFundCollected(c.period, c.channel, c.amount_fen, c.voucher_no, on))
        if s.mode == "union_funds" and s.union_id is not None:
            # Tax lags: 筹备金 for months before the founding, collected after it,
            # is refunded to the new union like the rest.
            out.append(_refund(s.union_id, c.amount_fen, _period_start(c.period), c.policy))
        return out
    out.append(DuesCollected(c.period, c.channel, c.amount_fen, c.voucher_no, on))
    out.append(_split(c, s))
    return out


def _assess(period: str, kind: str, payroll_fen: int, policy: PolicyTable) -> DuesAssessed:
    # 工会法 Art. 43: 2 % of the month's total payroll, before tax; 建会筹备金 alike.
    on = _period_start(period)
    rate_key = "prep_fund.rate_bp" if kind == "preparatory_fund" else "dues.rate_bp"
    rate, version = policy.number(rate_key, on)
    amount = share(payroll_fen, rate)
    due = amount
    model = policy.at("dues.collection_model", on)
    if kind == "dues" and model.value == "upward_only":
        kept, kept_version = policy.number("dues.retained_bp", on)
        due = amount - share(amount, kept)  # the channel brings in the upward share only
        version = f"{version};{model.version};{kept_version}"
    return DuesAssessed(period, kind, payroll_fen, rate, amount, due, version)


def _split(c: RecordCollection, s: Account) -> DuesSplitAllocated:
    on = _period_start(c.period)
    if s.sector == "education":
        # Notice 十一: the 完职师 schools owe the county 40 % of their yearly
        # budgeted union funds (EducationTransferAssessed), not a share of each
        # collection, so what they collect stays with them here.
        _, version = c.policy.number("dues.education_county_bp", on)
        return DuesSplitAllocated(
            c.period, c.amount_fen, c.amount_fen, 0, "education", 10_000, "budgeted", version
        )
    if c.channel == "fiscal":
        # Notice 十一: bodies funded by the county budget have their dues budgeted
        # in full and remitted to the county federation.
        bp, version = c.policy.number("dues.fiscal_remittance_bp", on)
        upward = share(c.amount_fen, bp)
        return DuesSplitAllocated(
            c.period,
            c.amount_fen,
            c.amount_fen - upward,
            upward,
            "fiscal_remittance",
            10_000 - bp,
            "fiscal",
            version,
        )
    model_row = c.policy.at("dues.collection_model", on)
    model = str(model_row.value)
    retained_bp, version = c.policy.number("dues.retained_bp", on)
    if model == "upward_only":
        # The tax bureau collects only the upward share and the employer pays
        # the rest to its union directly, so all of this goes up.
        retained_bp = 0
    retained = share(c.amount_fen, retained_bp)
    return DuesSplitAllocated(
        c.period,
        c.amount_fen,
        retained,
        c.amount_fen - retained,
        "default",
        retained_bp,
        model,
        f"{version};{model_row.version}",
    )


def _refund(
    union_id: str, base_fen: int, on: date, policy: PolicyTable
) -> PreparatoryFundRefundIssued:
    refund_bp, version = policy.number("prep_fund.refund_bp", on)
    return PreparatoryFundRefundIssued(
        union_id, base_fen, refund_bp, share(base_fen, refund_bp), version
    )


def _convert(c: ConvertAccount, s: Account) -> list[object]:
    if s.mode == "union_funds" and s.union_id == c.union_id:
        return []  # the founding was already taken into account
    if c.union_ended and s.union_id is not None:
        return []  # a founding reaching funds after the union ended: the account has moved on
    out: list[object] = _open_if_needed(s, c.employer_id, "union_funds", "tax")
    out.append(DuesAccountConverted(c.union_id, c.founded_on))
    unrefunded = s.prep_collected - s.refund_base
    if unrefunded > 0:
        out.append(_refund(c.union_id, unrefunded, c.founded_on, c.policy))
    return out


def _follow(c: FollowUnion, s: Account) -> list[object]:
    if s.union_id != c.from_union_id:
        return []  # followed already, or the account never had that union
    if c.into_union_id is None:
        return [DuesAccountUnionEnded(c.from_union_id, c.reason, c.on, s.owed_down)]
    out: list[object] = [DuesAccountUnionChanged(c.from_union_id, c.into_union_id, c.reason, c.on)]
    sector = c.into_sector or "general"
    if (s.sector or "general") != sector:
        out.append(DuesSectorAssigned(sector))  # its shares follow the new union's rules
    return out


def _arrears(c: DetectArrears, s: Account) -> list[object]:
    months, version = c.policy.number("dues.arrears_months", c.today)
    tolerance, _ = c.policy.number("dues.arrears_tolerance_fen", c.today)
    current = f"{c.today.year:04d}-{c.today.month:02d}"
    unpaid = tuple(
        sorted(
            p
            for p, due in s.assessed.items()
            if p < current and s.collected.get(p, 0) < due - tolerance
        )
    )
    if len(unpaid) < months or unpaid == s.flagged:
        return []
    owed = sum(s.assessed[p] - s.collected.get(p, 0) for p in unpaid)
    return [ArrearsDetected(unpaid, len(unpaid), owed, version)]


DUES_ACCOUNT: Decider[object, Account, object] = Decider(Account(), evolve_account, decide_account)


def account_stream(employer_id: str) -> str:
    return f"DuesAccount-{employer_id}"


# -- unions, as orgs reports them ------------------------------------------------------


@dataclass(frozen=True)
class UnionFacts:
    """What funds has been told of one union: its sector, and its ending."""

    sector: str | None = None
    ended: UnionEndingNoted | None = None


@dataclass(frozen=True)
class NoteUnionEnding:
    union_id: str
    into_union_id: str | None
    reason: str
    on: date


@dataclass(frozen=True)
class NoteUnionSector:
    union_id: str
    sector: str


def evolve_union(s: UnionFacts, e: object) -> UnionFacts:
    match e:
        case UnionSectorNoted():
            return replace(s, sector=e.sector)
        case UnionEndingNoted():
            return replace(s, ended=e)
    return s


def decide_union(c: object, s: UnionFacts) -> list[object]:
    match c:
        case NoteUnionEnding():
            if s.ended is not None:
                return []  # a union ends once; the same message again changes nothing
            return [UnionEndingNoted(c.union_id, c.into_union_id, c.reason, c.on)]
        case NoteUnionSector():
            return [] if s.sector == c.sector else [UnionSectorNoted(c.union_id, c.sector)]
    raise TypeError(f"not a union record command: {c!r}")


UNION_RECORD: Decider[object, UnionFacts, object] = Decider(
    UnionFacts(), evolve_union, decide_union
)


def union_stream(union_id: str) -> str:
    return f"UnionRecord-{union_id}"
