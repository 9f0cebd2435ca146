"""The ledger, the asset register, fiscal grants and the service-centre project, as deciders.

Sources: 工会会计制度 (财会〔2021〕7号) for double entry and reversal-only
correction; 工会法 Art. 47 and notice 十一 for union assets; notice 十二 and the
joint meeting (flow F15) for fiscal grants; notice 十三 for the county workers'
service centre (县职工服务中心 / 工人文化宫).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from services.funds.domain import InvalidAmount, MakerCheckerViolation, assoc, dissoc
from services.funds.ledger_events import (
    AssetChangeApproved,
    AssetChangeRequested,
    AssetTransferRefused,
    FiscalGrantCommitted,
    FiscalGrantReceived,
    PeriodClosed,
    Posting,
    ProjectFundsCommitted,
    ProjectMilestoneReached,
    ProjectSpendRecorded,
    VoucherPosted,
    VoucherReversed,
)
from shared.decider import Decider
from shared.errors import DomainError

CHART: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "1001": ("库存现金 cash", "asset"),
        "1002": ("银行存款 bank deposits", "asset"),
        "1201": ("应收款项 receivables", "asset"),
        "1501": ("固定资产 fixed assets", "asset"),
        "2101": ("应付上级经费 dues payable upward", "liability"),
        "2102": ("应付下级经费 dues payable to grassroots unions", "liability"),
        "2201": ("应付款项 payables", "liability"),
        "3001": ("净资产 net assets", "net_assets"),
        "4001": ("拨缴经费收入 dues income", "revenue"),
        "4101": ("上级补助收入 grants from higher unions", "revenue"),
        "4201": ("政府补助收入 government grants", "revenue"),
        "4301": ("建会筹备金收入 preparatory fund income", "revenue"),
        "5001": ("职工服务支出 services to workers", "expense"),
        "5101": ("维权支出 rights protection and aid", "expense"),
        "5201": ("业务支出 operations", "expense"),
        "5301": ("资本性支出 capital spending", "expense"),
        "5401": ("补助下级支出 grants to lower unions", "expense"),
    }
)
"""A compact chart after the 工会会计制度's classes; new accounts are new rows."""


class UnbalancedVoucher(DomainError):
    code = "UnbalancedVoucher"


class UnknownAccount(DomainError):
    code = "UnknownAccount"


class PeriodIsClosed(DomainError):
    code = "PeriodIsClosed"


class UnknownVoucher(DomainError):
    code = "UnknownVoucher"


class DuplicateVoucher(DomainError):
    code = "DuplicateVoucher"


class ReversalOutsideYear(DomainError):
    code = "ReversalOutsideYear"


class UnknownRequest(DomainError):
    code = "UnknownRequest"


class GrantExceeded(DomainError):
    code = "GrantExceeded"


class ProjectOverspent(DomainError):
    code = "ProjectOverspent"


# -- ledger ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    vouchers: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))
    reversed: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PostVoucher:
    voucher_id: str
    booked_on: date
    postings: tuple[Posting, ...]
    reference: str


@dataclass(frozen=True)
class ReverseVoucher:
    voucher_id: str
    reversal_id: str
    booked_on: date
    reason: str


@dataclass(frozen=True)
class ClosePeriod:
    period: str


def evolve_ledger(s: Ledger, e: object) -> Ledger:
    match e:
        case VoucherPosted():
            return replace(s, vouchers=assoc(s.vouchers, e.voucher_id, e))
        case VoucherReversed():
            return replace(s, reversed=s.reversed | {e.voucher_id})
        case PeriodClosed():
            return replace(s, closed=s.closed | {e.period})
    return s


def decide_ledger(c: object, s: Ledger) -> list[object]:
    match c:
        case PostVoucher():
            seen = s.vouchers.get(c.voucher_id)
            if isinstance(seen, VoucherPosted):
                if seen.postings == c.postings and seen.booked_on == c.booked_on:
                    return []  # the same voucher again
                raise DuplicateVoucher("another voucher has this id", voucher_id=c.voucher_id)
            return [_voucher(s, c.voucher_id, c.booked_on, c.postings, ref=c.reference)]
        case ReverseVoucher():
            original = s.vouchers.get(c.voucher_id)
            if not isinstance(original, VoucherPosted):
                raise UnknownVoucher("no such voucher", voucher_id=c.voucher_id)
            if c.voucher_id in s.reversed:
                return []
            if c.reversal_id in s.vouchers:
                raise DuplicateVoucher("the reversal's id is taken", voucher_id=c.reversal_id)
            if c.booked_on.year != original.booked_on.year:
                # A closed year stays closed: after year-end, correct with a new voucher.
                raise ReversalOutsideYear(
                    "a voucher is reversed within its own fiscal year",
                    booked_on=original.booked_on.isoformat(),
                )
            # 工会会计制度: a posted voucher is never edited; a mirror voucher undoes it.
            mirror = tuple(
                Posting(p.account, p.credit_fen, p.debit_fen, f"reversal: {p.memo}")
                for p in original.postings
            )
            return [
                _voucher(
                    s,
                    c.reversal_id,
                    c.booked_on,
                    mirror,
                    ref=original.reference,
                    reverses=c.voucher_id,
                ),
                VoucherReversed(c.voucher_id, c.reversal_id, c.reason),
            ]
        case ClosePeriod():
            return [] if c.period in s.closed else [PeriodClosed(c.period)]
    raise TypeError(f"not a ledger command: {c!r}")


def _voucher(
    s: Ledger,
    voucher_id: str,
    booked_on: date,
    postings: tuple[Posting, ...],
    *,
    ref: str,
    reverses: str | None = None,
) -> VoucherPosted:
    period = f"{booked_on.year:04d}-{booked_on.month:02d}"
    if period in s.closed:
        raise PeriodIsClosed("the period is closed; book in an open one", period=period)
    for p in postings:
        if p.account not in CHART:
            raise UnknownAccount("no such account in the chart", account=p.account)
        if (p.debit_fen > 0) == (p.credit_fen > 0) or min(p.debit_fen, p.credit_fen) < 0:
            raise UnbalancedVoucher(
                "each posting is a debit or a credit, positive", account=p.account
            )
    debit = sum(p.debit_fen for p in postings)
    credit = sum(p.credit_fen for p in postings)
    if len(postings) < 2 or debit != credit:
        raise UnbalancedVoucher("debits must equal credits", debit_fen=debit, credit_fen=credit)
    return VoucherPosted(voucher_id, booked_on, period, postings, ref, reverses)


LEDGER: Decider[object, Ledger, object] = Decider(Ledger(), evolve_ledger, decide_ledger)


def ledger_stream(fiscal_year: int) -> str:
    return f"Ledger-{fiscal_year}"


# -- asset register -------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    exists: bool = False
    disposed: bool = False
    holder: str = ""
    value_fen: int = 0
    pending: MappingProxyType[str, object] = field(default_factory=lambda: MappingProxyType({}))
    settled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RequestAssetChange:
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
class ApproveAssetChange:
    request_id: str
    approved_by: str


def evolve_asset(s: Asset, e: object) -> Asset:
    match e:
        case AssetChangeRequested():
            return replace(s, pending=assoc(s.pending, e.request_id, e))
        case AssetTransferRefused():
            return replace(s, settled=s.settled | {e.request_id})
        case AssetChangeApproved():
            base = replace(
                s, pending=dissoc(s.pending, e.request_id), settled=s.settled | {e.request_id}
            )
            if e.change == "acquire":
                return replace(base, exists=True, holder=e.holder, value_fen=e.value_fen)
            if e.change == "transfer":
                return replace(base, holder=e.holder)
            return replace(base, disposed=True)
    return s


def decide_asset(c: object, s: Asset) -> list[object]:
    match c:
        case RequestAssetChange():
            if c.request_id in s.pending or c.request_id in s.settled:
                return []
            if c.change == "acquire" and s.exists:
                raise UnknownRequest("the asset is already registered")
            if c.change != "acquire" and (not s.exists or s.disposed):
                raise UnknownRequest("no such asset in the register")
            if c.value_fen < 0:
                raise InvalidAmount("a value is not negative", field="value_fen")
            if c.change == "transfer" and (c.holder_kind != "union" or c.purpose != "union"):
                # 工会法 Art. 47, notice 十一: no seizure, misappropriation or
                # arbitrary transfer of union assets. Refused, and on record.
                return [
                    AssetTransferRefused(
                        c.request_id, c.holder, c.holder_kind, c.purpose, c.requested_by
                    )
                ]
            return [
                AssetChangeRequested(
                    c.request_id,
                    c.change,
                    c.name,
                    c.category,
                    c.value_fen,
                    c.holder,
                    c.holder_kind,
                    c.purpose,
                    c.requested_by,
                )
            ]
        case ApproveAssetChange():
            req = s.pending.get(c.request_id)
            if not isinstance(req, AssetChangeRequested):
                raise UnknownRequest("no such request is pending", request_id=c.request_id)
            if req.requested_by == c.approved_by:
                raise MakerCheckerViolation(
                    "an asset change needs a second person's approval",
                    requested_by=req.requested_by,
                )
            return [
                AssetChangeApproved(
                    req.request_id, req.change, req.value_fen, req.holder, c.approved_by
                )
            ]
    raise TypeError(f"not an asset command: {c!r}")


ASSET: Decider[object, Asset, object] = Decider(Asset(), evolve_asset, decide_asset)


def asset_stream(asset_id: str) -> str:
    return f"Asset-{asset_id}"


# -- fiscal grants -----------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    committed: int = 0
    received: int = 0
    vouchers: frozenset[str] = frozenset()
    line: str = ""
    fiscal_year: int = 0


@dataclass(frozen=True)
class CommitGrant:
    grant_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    decision_ref: str


@dataclass(frozen=True)
class ReceiveGrant:
    grant_id: str
    amount_fen: int
    voucher_ref: str
    received_on: date


def evolve_grant(s: Grant, e: object) -> Grant:
    match e:
        case FiscalGrantCommitted():
            return replace(
                s, committed=s.committed + e.amount_fen, line=e.line, fiscal_year=e.fiscal_year
            )
        case FiscalGrantReceived():
            return replace(
                s, received=s.received + e.amount_fen, vouchers=s.vouchers | {e.voucher_ref}
            )
    return s


def decide_grant(c: object, s: Grant) -> list[object]:
    match c:
        case CommitGrant():
            if s.committed:
                return []  # one commitment per grant; more money is another grant
            if c.amount_fen <= 0:
                raise InvalidAmount("a commitment is positive", field="amount_fen")
            return [
                FiscalGrantCommitted(
                    c.grant_id, c.fiscal_year, c.line, c.amount_fen, c.decision_ref
                )
            ]
        case ReceiveGrant():
            if c.voucher_ref in s.vouchers:
                return []
            if c.amount_fen <= 0:
                raise InvalidAmount("a receipt is positive", field="amount_fen")
            if s.received + c.amount_fen > s.committed:
                raise GrantExceeded(
                    "more received than committed; record the commitment first",
                    committed_fen=s.committed,
                    received_fen=s.received,
                )
            return [FiscalGrantReceived(c.grant_id, c.amount_fen, c.voucher_ref, c.received_on)]
    raise TypeError(f"not a grant command: {c!r}")


GRANT: Decider[object, Grant, object] = Decider(Grant(), evolve_grant, decide_grant)


def grant_stream(grant_id: str) -> str:
    return f"FiscalGrant-{grant_id}"


# -- the county workers' service centre project (notice 十三) --------------------------------


@dataclass(frozen=True)
class Project:
    committed: int = 0
    spent: int = 0
    milestones: frozenset[str] = frozenset()
    vouchers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CommitProjectFunds:
    project_id: str
    amount_fen: int
    source: str


@dataclass(frozen=True)
class RecordProjectSpend:
    project_id: str
    amount_fen: int
    milestone: str
    voucher_ref: str


@dataclass(frozen=True)
class ReachMilestone:
    project_id: str
    milestone: str
    reached_on: date


def evolve_project(s: Project, e: object) -> Project:
    match e:
        case ProjectFundsCommitted():
            return replace(s, committed=s.committed + e.amount_fen)
        case ProjectSpendRecorded():
            return replace(s, spent=s.spent + e.amount_fen, vouchers=s.vouchers | {e.voucher_ref})
        case ProjectMilestoneReached():
            return replace(s, milestones=s.milestones | {e.milestone})
    return s


def decide_project(c: object, s: Project) -> list[object]:
    match c:
        case CommitProjectFunds():
            if c.amount_fen <= 0:
                raise InvalidAmount("a commitment is positive", field="amount_fen")
            return [ProjectFundsCommitted(c.project_id, c.amount_fen, c.source)]
        case RecordProjectSpend():
            if c.voucher_ref in s.vouchers:
                return []
            if c.amount_fen <= 0:
                raise InvalidAmount("a spend is positive", field="amount_fen")
            if s.spent + c.amount_fen > s.committed:
                raise ProjectOverspent(
                    "spending beyond the committed funds",
                    committed_fen=s.committed,
                    spent_fen=s.spent,
                )
            return [ProjectSpendRecorded(c.project_id, c.amount_fen, c.milestone, c.voucher_ref)]
        case ReachMilestone():
            if c.milestone in s.milestones:
                return []
            return [ProjectMilestoneReached(c.project_id, c.milestone, c.reached_on)]
    raise TypeError(f"not a project command: {c!r}")


PROJECT: Decider[object, Project, object] = Decider(Project(), evolve_project, decide_project)


def project_stream(project_id: str) -> str:
    return f"ServiceCentreProject-{project_id}"
