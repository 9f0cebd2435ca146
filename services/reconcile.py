"""Cross-service reconciliation for auditors: ``unionctl audit reconcile [--year Y] [--out DIR]``.

Each service keeps its own log, so no single service can show that a payment
in aid's log is matched by a reservation, a spend and a voucher in funds', or
that a studio subsidy funds paid was backed by a naming in competitions'. This
module reads the aid, competitions and funds logs (orgs' is not needed by any
check) and reports every place where they do not tell one consistent story
(domain reference §4.5, audit needs 2, 4 and 5).

It only reads: each log is streamed with ``EventStore.read_all`` in batches,
up to the head it had when the run started (named in the report with its
hash, so the report ties to ``unionctl audit verify`` and signed checkpoints).
What it keeps in memory is a few numbers and positions per case, reservation,
budget line and dues account of the year, never the events themselves.

Each finding is a rule code, a plain message and its evidence: the events
(service, stream, position, type) an auditor opens to see it for themselves
(``unionctl audit as-of <service> <stream> --position <n>``).
"""

from __future__ import annotations

import csv
import html
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import psycopg

from services.aid.events import EVENTS as AID_EVENTS
from services.aid.policy import repeatable
from services.competitions.events import EVENTS as COMPETITIONS_EVENTS
from services.funds.events import EVENTS as FUNDS_EVENTS
from shared.config import database_config
from shared.db import open_pool
from shared.errors import UnionError
from shared.readmodels import LOCAL_TIME
from shared.registry import EventRegistry
from shared.store import EventStore, Head, RecordedEvent

COUNTY_TIME = LOCAL_TIME
"""The county's calendar: an approval's day is the day it was in Huoqiu."""

READ = ("aid", "competitions", "funds")
"""The logs the checks need; orgs' adds nothing that aid has not noted itself."""

REGISTRIES: Mapping[str, EventRegistry] = {
    "aid": AID_EVENTS,
    "competitions": COMPETITIONS_EVENTS,
    "funds": FUNDS_EVENTS,
}

BATCH = 5000
INACTIVE_MEMBERSHIP = ("lapsed", "withdrawn", "expelled")
NO_MEMBERSHIP_NEEDED = ("model_worker",)
"""劳模困难帮扶 serves model workers as such, members or not; every other case programme
is union help for members, so a lapsed, withdrawn or expelled member should not get it.
(Mutual aid has its own enrolment check in aid and is not a case.)"""


class Evidence(NamedTuple):
    """One event that shows a finding: where to look, and what is there."""

    service: str
    stream_id: str
    position: int
    event_type: str

    @property
    def ref(self) -> str:
        return f"{self.service}:{self.stream_id}@{self.position}"


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    checks: str


RULES: tuple[Rule, ...] = (
    Rule(
        "PaymentWithoutAssessment",
        "Payment of a case never assessed (未经审核)",
        "Every aid payment (AidDisbursed) follows an assessment (AidAssessed) of its case.",
    ),
    Rule(
        "PaymentWithoutApproval",
        "Payment of a case never approved (未经审批)",
        "Every aid payment follows an approval (AidApproved) of its case.",
    ),
    Rule(
        "ApproverIsRequester",
        "Approved by the person who requested it (审批人即申请人)",
        "Whoever approves a case is not whoever requested it (maker-checker, 审批分离).",
    ),
    Rule(
        "ApproverIsAssessor",
        "Approved by the person who assessed it (审批人即审核人)",
        "Whoever approves a case is not whoever assessed it (maker-checker).",
    ),
    Rule(
        "PaymentWithoutOrder",
        "Payment with no payment order (无支付指令)",
        "Every aid payment follows a payment order (AidPaymentOrdered) made after the approval.",
    ),
    Rule(
        "OrderedByApprover",
        "Payment ordered by its approver (审批人下达支付)",
        "Whoever orders a payment is not whoever approved the case.",
    ),
    Rule(
        "PaymentWithoutReservation",
        "Payment with no budget reservation (无预算占用)",
        "Every cash aid payment has a reservation in funds (FundsReserved 'aid:<request>') on"
        " the budget line.",
    ),
    Rule(
        "PaymentWithoutExpenditure",
        "Payment not recorded as spent in funds (未列支出)",
        "Every cash aid payment is recorded as spent (ExpenditureRecorded) against its"
        " reservation.",
    ),
    Rule(
        "PaymentAmountMismatch",
        "Paid amount differs from the amount spent in funds (金额不符)",
        "What aid paid equals what funds recorded as spent for it.",
    ),
    Rule(
        "PaymentWithoutVoucher",
        "Spend with no accounting voucher (无记账凭证)",
        "Every spend funds records has its voucher (VoucherPosted"
        " SPEND-<year>-<line>-<reservation>) in the ledger, not reversed.",
    ),
    Rule(
        "ClosedWithoutReceipt",
        "Case closed with no signed receipt (无签领)",
        "A case that paid money is closed only after the beneficiary signed for it"
        " (AidReceiptSigned, 签领).",
    ),
    Rule(
        "SpendWithoutCase",
        "Funds spend for an aid case that paid nothing (支出无对应救助)",
        "Every spend funds records for an aid case ('aid:case:…') matches a payment"
        " (AidDisbursed) in that case.",
    ),
    Rule(
        "SubsidyWithoutNaming",
        "Studio subsidy with no naming (补助无命名)",
        "Every studio subsidy spend ('competitions:studio:…') is backed by the studio's"
        " naming or reconfirmation (StudioNamed, StudioReconfirmed; 命名).",
    ),
    Rule(
        "PrizeWithoutAward",
        "Prize money with no award (奖金无表彰)",
        "Every prize spend ('competitions:prize:…') is backed by the competition's awards"
        " (AwardsConferred).",
    ),
    Rule(
        "PrizeExceedsAward",
        "Prize money above the awards conferred (奖金超出)",
        "The prizes spent for a competition are at most the total of its awards.",
    ),
    Rule(
        "DuesSplitMismatch",
        "Dues collected differ from their split (经费分成不符)",
        "Per employer and month, dues collected (DuesCollected) equal the amounts split"
        " (DuesSplitAllocated), and each split's kept and upward shares add up to it.",
    ),
    Rule(
        "RefundExceedsFund",
        "建会筹备金 refunded beyond what was collected (返还超出)",
        "Refunds of 建会筹备金 (PreparatoryFundRefundIssued) are on no more than was"
        " collected from the employer, and each is at most its base.",
    ),
    Rule(
        "LineOverdrawn",
        "Budget line overdrawn (预算超支)",
        "On every budget line, replayed in order, reserved plus spent never exceeds what was"
        " allocated and adjusted.",
    ),
    Rule(
        "DuplicateAid",
        "Duplicate aid (重复救助)",
        "No household or person has two live cases (neither rejected nor cancelled) of the"
        " same programme in one year, unless the programme repeats (常态化帮扶).",
    ),
    Rule(
        "AidToInactiveFile",
        "Aid to a household whose file was not active (档案未建立或已退出)",
        "A case naming a household was approved while that household's hardship file was"
        " filed (建档), after a public notice (公示) closed with no objection upheld, and not"
        " lifted out (解困脱困) or deregistered.",
    ),
    Rule(
        "AidToLapsedMember",
        "Aid to someone no longer a member (会籍已失效)",
        "No case (other than 劳模困难帮扶) was approved for a person whose membership had"
        " lapsed, been withdrawn or been expelled by the day of the approval, as aid noted it.",
    ),
)
RULE_CODES = tuple(r.code for r in RULES)

NOT_CHECKED = (
    "Relatives of approvers (conflict of interest): the logs name actors, not their families;"
    " a conflict-of-interest list is needed (domain §4.5).",
    "Payments split to stay under an approval threshold: no such threshold is in policy yet.",
    "Bank confirmation: AidDisbursed carries the bank's reference, but no bank statement is in"
    " any log to compare it with.",
    "Whether a payment reached the right account: the payee's account is in aid's vault,"
    " not in the log (only its version, payee_ref).",
    "Membership as orgs holds it: the check uses what aid noted (MembershipNoted); a change"
    " orgs recorded that never reached aid is not seen. People aid has no note of are not"
    " judged.",
    "Public notice for cases without a household (e.g. 金秋助学 for a student): aid's model"
    " has notices on household files only. A temporary file (临时救助档案) is accepted"
    " without one, as the rules allow.",
    "Campaign envelopes, recuperation and project money are checked for vouchers and"
    " overdraft only; their beneficiaries are not traced here.",
    "Order in time across services: positions order events within one log only; a studio"
    " paid before its naming shows only as 'named', not 'named first'.",
    "A saga in flight when the logs were read (aid paid, funds not yet told) shows as a"
    " finding; run again once the relays have caught up (unionctl status).",
)


# -- reading ----------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]
"""(service, events read so far, head position)."""


def _fields(registry: EventRegistry, e: RecordedEvent) -> Mapping[str, Any]:
    """The event's data in its newest shape (an older version lifted by the upcasters)."""
    if e.event_type not in registry or e.schema_version == registry.current_version(e.event_type):
        return e.data  # a type the registry does not know only a tamperer wrote: read as is
    return registry.new_event(registry.decode(e.event_type, e.schema_version, e.data)).data


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    # Tolerant on purpose: a tampered row must become a finding, not a crash.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _date(data: Mapping[str, Any], key: str) -> date | None:
    try:
        return date.fromisoformat(_str(data, key))
    except ValueError:
        return None


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d} yuan" if fen >= 0 else f"-{_yuan(-fen)}"


def _after(stream_id: str, prefix: str) -> str | None:
    return stream_id[len(prefix) :] if stream_id.startswith(prefix) else None


def _line_of(stream_id: str) -> tuple[int, str] | None:
    """``BudgetLine-2026.warmth`` → (2026, "warmth")."""
    rest = _after(stream_id, "BudgetLine-")
    if rest is None or "." not in rest:
        return None
    year, line = rest.split(".", 1)
    return (int(year), line) if year.isdigit() else None


def _split_attempt(request: str) -> str:
    """``C-1.2`` → ``C-1``: a saga's request id is the aggregate's id and an attempt number."""
    return request.rsplit(".", 1)[0]


def _ev(service: str, e: RecordedEvent) -> Evidence:
    return Evidence(service, e.stream_id, e.position, e.event_type)


# -- funds ------------------------------------------------------------------------------


@dataclass
class _Spend:
    at: Evidence
    reservation_id: str
    amount: int
    year: int
    line: str


@dataclass
class _Reservation:
    reserved: Evidence | None = None
    spends: list[_Spend] = field(default_factory=list)


@dataclass
class _LineRun:
    """A budget line replayed tolerantly: tampered rows are counted, never trusted."""

    allocated: int = 0
    reserved: int = 0
    spent: int = 0
    open: dict[str, int] = field(default_factory=dict)
    overdrawn: bool = False


@dataclass
class _Dues:
    collected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    split: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seen: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    prep_collected: int = 0
    refund_base: int = 0


@dataclass
class _FundsFacts:
    reservations: dict[str, _Reservation] = field(default_factory=lambda: defaultdict(_Reservation))
    spends: list[_Spend] = field(default_factory=list)
    """Spends on the year's lines (all of them, for the voucher and backing checks)."""
    vouchers: dict[str, Evidence] = field(default_factory=dict)
    reversed: dict[str, Evidence] = field(default_factory=dict)
    lines: int = 0
    accounts: int = 0


def _in_year(year: int | None, value: int | None) -> bool:
    return year is None or value == year


def _read_funds(
    events: Iterable[RecordedEvent], year: int | None, out: list[Finding]
) -> _FundsFacts:
    facts = _FundsFacts()
    lines: dict[str, _LineRun] = {}
    dues: dict[str, _Dues] = {}
    for e in events:
        stream = e.stream_id
        if stream.startswith("BudgetLine-"):
            _funds_line(e, year, facts, lines, out)
        elif stream.startswith("Ledger-"):
            data = _fields(FUNDS_EVENTS, e)
            vid = _str(data, "voucher_id")
            if e.event_type == "VoucherPosted" and vid.startswith("SPEND-"):
                facts.vouchers.setdefault(vid, _ev("funds", e))
            elif e.event_type == "VoucherReversed" and vid.startswith("SPEND-"):
                facts.reversed[vid] = _ev("funds", e)
        elif stream.startswith("DuesAccount-"):
            account = dues.setdefault(stream, _Dues())
            _funds_dues(e, year, account, out)
    facts.lines = len(lines)
    for stream, account in sorted(dues.items()):
        if account.seen:
            facts.accounts += 1
        for period in sorted(account.seen):
            collected, split = account.collected[period], account.split[period]
            if collected != split:
                employer = stream.removeprefix("DuesAccount-")
                out.append(
                    Finding(
                        "DuesSplitMismatch",
                        f"Employer {employer}, month {period}: dues collected {_yuan(collected)}"
                        f" but split {_yuan(split)} (经费分成); the difference"
                        f" {_yuan(collected - split)} is not accounted for.",
                        tuple(account.seen[period]),
                    )
                )
    return facts


def _funds_line(
    e: RecordedEvent,
    year: int | None,
    facts: _FundsFacts,
    lines: dict[str, _LineRun],
    out: list[Finding],
) -> None:
    where = _line_of(e.stream_id)
    if where is None:
        return
    data = _fields(FUNDS_EVENTS, e)
    rid = _str(data, "reservation_id")
    amount = _int(data, "amount_fen")
    at = _ev("funds", e)
    # Every year's reservations are indexed (a few numbers each): an aid case of this
    # year may have been reserved on another year's line, and that is for the case to say.
    if e.event_type == "FundsReserved":
        facts.reservations[rid].reserved = facts.reservations[rid].reserved or at
    elif e.event_type == "ExpenditureRecorded":
        spend = _Spend(at, rid, amount, where[0], where[1])
        facts.reservations[rid].spends.append(spend)
        if _in_year(year, where[0]):
            facts.spends.append(spend)
    if not _in_year(year, where[0]):
        return
    run = lines.setdefault(e.stream_id, _LineRun())
    match e.event_type:
        case "BudgetLineAllocated":
            run.allocated += amount
        case "BudgetAdjusted":
            run.allocated += _int(data, "delta_fen")
        case "FundsReserved":
            run.reserved += amount
            run.open[rid] = run.open.get(rid, 0) + amount
        case "ExpenditureRecorded":
            # A spend settles its reservation whole; what it did not spend is released.
            run.reserved -= run.open.pop(rid, 0)
            run.spent += amount
        case "ReservationReleased" | "ReservationExpired":
            run.reserved -= run.open.pop(rid, 0)
        case _:
            return
    if not run.overdrawn and run.reserved + run.spent > run.allocated:
        run.overdrawn = True  # the first position is the one to look at; later ones follow
        fiscal_year, line = where
        out.append(
            Finding(
                "LineOverdrawn",
                f"Budget line {line} of {fiscal_year} is overdrawn (超支) from this event on:"
                f" allocated {_yuan(run.allocated)}, reserved {_yuan(run.reserved)},"
                f" spent {_yuan(run.spent)}.",
                (at,),
            )
        )


def _funds_dues(e: RecordedEvent, year: int | None, account: _Dues, out: list[Finding]) -> None:
    data = _fields(FUNDS_EVENTS, e)
    at = _ev("funds", e)
    period = _str(data, "period")
    in_year = _in_year(year, int(period[:4]) if period[:4].isdigit() else None)
    amount = _int(data, "amount_fen")
    employer = e.stream_id.removeprefix("DuesAccount-")
    match e.event_type:
        case "DuesCollected" if in_year:
            account.collected[period] += amount
            account.seen[period].append(at)
        case "DuesSplitAllocated" if in_year:
            account.split[period] += amount
            account.seen[period].append(at)
            kept, upward = _int(data, "retained_fen"), _int(data, "upward_fen")
            if kept + upward != amount:
                out.append(
                    Finding(
                        "DuesSplitMismatch",
                        f"Employer {employer}, month {period}: the split of {_yuan(amount)}"
                        f" keeps {_yuan(kept)} and sends {_yuan(upward)} upward, which do not"
                        " add up to it.",
                        (at,),
                    )
                )
        case "PreparatoryFundCollected":
            account.prep_collected += amount
        case "PreparatoryFundRefundIssued":
            base = _int(data, "collected_fen")
            account.refund_base += base
            # A refund has no month of its own: it belongs to the year it was made in.
            made = e.recorded_at.astimezone(COUNTY_TIME).year
            if not _in_year(year, made):
                return
            if account.refund_base > account.prep_collected:
                out.append(
                    Finding(
                        "RefundExceedsFund",
                        f"Employer {employer}: 建会筹备金 refunds are now on"
                        f" {_yuan(account.refund_base)}, but only"
                        f" {_yuan(account.prep_collected)} was collected.",
                        (at,),
                    )
                )
            elif amount > base:
                out.append(
                    Finding(
                        "RefundExceedsFund",
                        f"Employer {employer}: a refund of {_yuan(amount)} on a base of"
                        f" {_yuan(base)} returns more than was paid in.",
                        (at,),
                    )
                )


# -- competitions -----------------------------------------------------------------------


@dataclass
class _CompetitionFacts:
    named: dict[str, Evidence] = field(default_factory=dict)
    awarded: dict[str, tuple[Evidence, int]] = field(default_factory=dict)


def _read_competitions(events: Iterable[RecordedEvent]) -> _CompetitionFacts:
    facts = _CompetitionFacts()
    for e in events:
        if e.event_type in ("StudioNamed", "StudioReconfirmed"):
            studio = _after(e.stream_id, "Studio-")
            if studio is not None:
                facts.named.setdefault(studio, _ev("competitions", e))
        elif e.event_type == "AwardsConferred":
            competition = _after(e.stream_id, "Competition-")
            if competition is not None:
                total = _int(_fields(COMPETITIONS_EVENTS, e), "prize_total_fen")
                facts.awarded.setdefault(competition, (_ev("competitions", e), total))
    return facts


# -- aid --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileView:
    """A household's hardship file as it stood at one position of aid's log."""

    stage: str
    established: Evidence | None
    temporary: bool
    notice: Evidence | None
    """The last public notice closed with no objection upheld, in this application."""
    ended: Evidence | None
    """Rejected, lifted out or deregistered, in this application."""


_FILE_STAGES = {
    "HardshipApplicationSubmitted": "submitted",
    "HardshipApplicationPreliminarilyApproved": "preliminarily approved",
    "HardshipHomeVisitRecorded": "visited",
    "HouseholdIncomeVerificationRequested": "awaiting income verification",
    "HouseholdIncomeVerified": "verified",
    "HardshipPublicNoticeStarted": "under public notice",
    "HardshipPublicNoticeClosed": "noticed",
}
_FILE_ENDS = {
    "HardshipApplicationRejected": "rejected",
    "HardshipFamilyLiftedOut": "lifted out (解困脱困)",
    "HardshipFileDeregistered": "deregistered",
}


def _evolve_file(view: _FileView | None, e: RecordedEvent) -> _FileView | None:
    data = _fields(AID_EVENTS, e)
    at = _ev("aid", e)
    kind = e.event_type
    if kind == "HardshipApplicationSubmitted" or view is None:
        # 一户一档: a new application starts the file's story again.
        view = _FileView("submitted", None, data.get("temporary") is True, None, None)
    if kind in _FILE_STAGES and view.established is None:
        view = _FileView(_FILE_STAGES[kind], None, view.temporary, view.notice, view.ended)
    if kind == "HardshipPublicNoticeClosed" and data.get("upheld") is False:
        view = _FileView(view.stage, view.established, view.temporary, at, view.ended)
    elif kind == "HardshipFileEstablished":
        temporary = data.get("temporary") is True
        stage = "filed (temporary)" if temporary else "filed"
        view = _FileView(stage, at, temporary, view.notice, view.ended)
    elif kind == "TemporaryFileConverted":
        view = _FileView("filed", view.established, False, view.notice, view.ended)
    elif kind in _FILE_ENDS:
        view = _FileView(_FILE_ENDS[kind], view.established, view.temporary, view.notice, at)
    return view


@dataclass(frozen=True)
class _Approval:
    at: Evidence
    by: str
    reservation_id: str | None
    amount: int
    on: date
    file: _FileView | None


@dataclass
class _Case:
    case_id: str
    requested: Evidence
    programme: str
    person: str
    household: str | None
    year: int
    requested_by: str
    amount: int
    in_year: bool
    assessments: list[tuple[Evidence, str]] = field(default_factory=list)
    requests: list[tuple[Evidence, str]] = field(default_factory=list)
    approvals: list[_Approval] = field(default_factory=list)
    orders: list[tuple[Evidence, str]] = field(default_factory=list)
    disbursements: list[tuple[Evidence, int]] = field(default_factory=list)
    receipts: list[Evidence] = field(default_factory=list)
    closes: list[Evidence] = field(default_factory=list)
    ended: Evidence | None = None


@dataclass
class _AidFacts:
    cases: dict[str, _Case] = field(default_factory=dict)
    notes: dict[str, list[tuple[date, str, Evidence]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _read_aid(
    events: Iterable[RecordedEvent], year: int | None, referenced: frozenset[str]
) -> _AidFacts:
    """Cases of the year (and those funds spent for), household files, membership notes."""
    facts = _AidFacts()
    files: dict[str, _FileView | None] = {}
    for e in events:
        stream = e.stream_id
        if (household := _after(stream, "HardshipFile-")) is not None:
            files[household] = _evolve_file(files.get(household), e)
        elif (person := _after(stream, "Person-")) is not None:
            if e.event_type == "MembershipNoted":
                data = _fields(AID_EVENTS, e)
                since = _date(data, "since")
                if since is not None:
                    facts.notes[person].append((since, _str(data, "status"), _ev("aid", e)))
        elif (case_id := _after(stream, "AidCase-")) is not None:
            _case_event(e, case_id, year=year, referenced=referenced, facts=facts, files=files)
    return facts


def _case_event(
    e: RecordedEvent,
    case_id: str,
    *,
    year: int | None,
    referenced: frozenset[str],
    facts: _AidFacts,
    files: Mapping[str, _FileView | None],
) -> None:
    at = _ev("aid", e)
    if e.event_type == "AidRequested":
        data = _fields(AID_EVENTS, e)
        fiscal_year = _int(data, "fiscal_year")
        in_year = _in_year(year, fiscal_year)
        if in_year or case_id in referenced:
            household = data.get("household_id")
            facts.cases[case_id] = _Case(
                case_id,
                at,
                _str(data, "programme"),
                _str(data, "person_id"),
                household if isinstance(household, str) and household else None,
                fiscal_year,
                _str(data, "requested_by"),
                _int(data, "amount_fen"),
                in_year,
            )
        return
    case = facts.cases.get(case_id)
    if case is None:
        return  # another year's case: AidRequested opens every case stream
    data = _fields(AID_EVENTS, e)
    match e.event_type:
        case "AidAssessed":
            case.assessments.append((at, _str(data, "assessed_by")))
        case "FundsReservationRequested":
            case.requests.append((at, _str(data, "request_id")))
        case "AidApproved":
            rid = data.get("reservation_id")
            on = e.recorded_at.astimezone(COUNTY_TIME).date()
            # The file as it stood at this very position: aid's log orders both.
            file = files.get(case.household) if case.household else None
            case.approvals.append(
                _Approval(
                    at,
                    _str(data, "approved_by"),
                    rid if isinstance(rid, str) and rid else None,
                    _int(data, "amount_fen"),
                    on,
                    file,
                )
            )
        case "AidPaymentOrdered":
            case.orders.append((at, _str(data, "ordered_by")))
        case "AidDisbursed":
            case.disbursements.append((at, _int(data, "amount_fen")))
        case "AidReceiptSigned":
            case.receipts.append(at)
        case "AidClosed":
            case.closes.append(at)
        case "AidRejected" | "AidCancelled":
            case.ended = at


# -- the checks across services ----------------------------------------------------------


def _before(items: Iterable[tuple[Evidence, Any]], position: int) -> list[tuple[Evidence, Any]]:
    return [x for x in items if x[0].position < position]


def _check_case(case: _Case, funds: _FundsFacts, out: list[Finding]) -> None:
    name = f"Case {case.case_id} ({case.programme}, {case.year})"
    for approval in case.approvals:
        if approval.by and approval.by == case.requested_by:
            out.append(
                Finding(
                    "ApproverIsRequester",
                    f"{name} was approved by {approval.by}, who also requested it"
                    " (审批人即申请人).",
                    (case.requested, approval.at),
                )
            )
        for assessed, by in _before(case.assessments, approval.at.position):
            if approval.by and approval.by == by:
                out.append(
                    Finding(
                        "ApproverIsAssessor",
                        f"{name} was approved by {approval.by}, who also assessed it"
                        " (审批人即审核人).",
                        (assessed, approval.at),
                    )
                )
        _check_file(name, case, approval, out)
    for ordered, by in case.orders:
        earlier = [a for a in case.approvals if a.at.position < ordered.position]
        if earlier and by and by == earlier[-1].by:
            out.append(
                Finding(
                    "OrderedByApprover",
                    f"{name}: the payment was ordered by {by}, who approved the case.",
                    (earlier[-1].at, ordered),
                )
            )
    booked: dict[str, list[Evidence]] = defaultdict(list)
    for payment in case.disbursements:
        if (rid := _check_payment(name, case, payment, funds, out)) is not None:
            booked[rid].append(payment[0])
    for rid, paid in booked.items():
        # Compared per reservation, not per payment: two payments against one spend
        # must not each look matched.
        amounts = dict(case.disbursements)
        total = sum(amounts[p] for p in paid)
        spends = funds.reservations[rid].spends
        spent = sum(x.amount for x in spends)
        if spent != total:
            out.append(
                Finding(
                    "PaymentAmountMismatch",
                    f"{name} paid {_yuan(total)} against reservation {rid}, but funds recorded"
                    f" {_yuan(spent)} spent for it.",
                    (*paid, *(x.at for x in spends)),
                )
            )
    for closed in case.closes:
        paid_before = [(at, a) for at, a in case.disbursements if at.position < closed.position]
        money = any(a > 0 for _, a in paid_before) or any(
            a.amount > 0 for a in case.approvals if a.at.position < closed.position
        )
        # The receipt (签领) acknowledges the last payment: it comes between it and the close.
        last = max((at.position for at, _ in paid_before), default=0)
        if money and not [r for r in case.receipts if last < r.position < closed.position]:
            out.append(
                Finding(
                    "ClosedWithoutReceipt",
                    f"{name} paid money and was closed with no signed receipt (签领) for it.",
                    (*(at for at, _ in paid_before), closed),
                )
            )


def _check_payment(
    name: str, case: _Case, payment: tuple[Evidence, int], funds: _FundsFacts, out: list[Finding]
) -> str | None:
    """The payment's own chain; the reservation it was spent against, if it got that far."""
    paid, amount = payment
    where = f"{name}: the payment of {_yuan(amount)}"
    if not _before(case.assessments, paid.position):
        out.append(
            Finding(
                "PaymentWithoutAssessment",
                f"{where} was made with no assessment (审核) of the case.",
                (case.requested, paid),
            )
        )
    approvals = [a for a in case.approvals if a.at.position < paid.position]
    approval = approvals[-1] if approvals else None
    if approval is None:
        out.append(
            Finding(
                "PaymentWithoutApproval",
                f"{where} was made with no approval (审批).",
                (case.requested, paid),
            )
        )
    after = approval.at.position if approval else 0
    orders = [o for o, _ in case.orders if after < o.position < paid.position]
    if not orders:
        out.append(
            Finding(
                "PaymentWithoutOrder",
                f"{where} was made with no payment order (支付指令) after the approval.",
                (*((approval.at,) if approval else ()), paid),
            )
        )
    if amount <= 0:
        return None  # a service (a job referral) moves no money: nothing to find in funds
    requests = _before(case.requests, paid.position)
    request = approval.reservation_id if approval and approval.reservation_id else None
    if request is None and requests:
        request = requests[-1][1]
    # funds prefixes the requesting service, so two services' request ids never meet.
    rid = f"aid:{request}" if request else None
    reservation = funds.reservations.get(rid) if rid else None
    asked = tuple(at for at, _ in requests[-1:])
    if reservation is None or reservation.reserved is None:
        detail = f"no reservation {rid} is in funds" if rid else "no reservation was asked for"
        out.append(
            Finding(
                "PaymentWithoutReservation",
                f"{where} has no budget reservation (预算占用): {detail}.",
                (*asked, paid),
            )
        )
        return None  # the later links hang on this one: the first break is the finding
    if not reservation.spends:
        out.append(
            Finding(
                "PaymentWithoutExpenditure",
                f"{where} was reserved in funds ({rid}) but never recorded as spent (支出).",
                (paid, reservation.reserved),
            )
        )
        return None
    return rid


def _check_file(name: str, case: _Case, approval: _Approval, out: list[Finding]) -> None:
    if case.household is None:
        return
    file = approval.file
    household = f"household {case.household}"
    problem: str | None = None
    shown: tuple[Evidence, ...] = ()
    if file is None:
        problem = f"{household} had no hardship file (困难职工档案) at all"
    elif file.ended is not None:
        problem = f"{household}'s file had been {file.stage} before the approval"
        shown = (file.ended,)
    elif file.established is None:
        problem = f"{household}'s file was not yet filed (建档); it was {file.stage}"
    elif not file.temporary and file.notice is None:
        problem = f"{household}'s file had no public notice (公示) closed with no objection upheld"
        shown = (file.established,)
    if problem is not None:
        out.append(
            Finding(
                "AidToInactiveFile",
                f"{name} was approved while {problem}.",
                (*shown, approval.at),
            )
        )


def _check_membership(
    case: _Case, notes: list[tuple[date, str, Evidence]], out: list[Finding]
) -> None:
    if case.programme in NO_MEMBERSHIP_NEEDED or not notes:
        return
    ordered = sorted(notes, key=lambda n: (n[0], n[2].position))
    for approval in case.approvals:
        standing = [n for n in ordered if n[0] <= approval.on]
        if not standing:
            continue
        since, status, noted = standing[-1]
        if status in INACTIVE_MEMBERSHIP:
            late = (
                " (aid noted it after the approval)"
                if noted.position > approval.at.position
                else ""
            )
            out.append(
                Finding(
                    "AidToLapsedMember",
                    f"Case {case.case_id} ({case.programme}, {case.year}) was approved on"
                    f" {approval.on.isoformat()} for {case.person}, whose membership (会籍) was"
                    f" {status} from {since.isoformat()}{late}.",
                    (noted, approval.at),
                )
            )


def _check_duplicates(cases: Iterable[_Case], out: list[Finding]) -> None:
    groups: dict[tuple[str, str, str, int], list[_Case]] = defaultdict(list)
    for case in cases:
        if not case.in_year or case.ended is not None or _repeats(case):
            continue
        groups[("person", case.person, case.programme, case.year)].append(case)
        if case.household:
            groups[("household", case.household, case.programme, case.year)].append(case)
    reported: set[frozenset[str]] = set()
    for (kind, who, programme, fiscal_year), group in sorted(groups.items()):
        ids = frozenset(c.case_id for c in group)
        if len(ids) < 2 or ids in reported:
            continue  # one pair found by both person and household is one finding
        reported.add(ids)
        listed = ", ".join(sorted(ids))
        out.append(
            Finding(
                "DuplicateAid",
                f"The {kind} {who} has {len(ids)} live cases of programme {programme} in"
                f" {fiscal_year} (重复救助): {listed}.",
                tuple(sorted((c.requested for c in group), key=lambda x: x.position)),
            )
        )


def _repeats(case: _Case) -> bool:
    try:
        return repeatable(case.programme, date(case.year, 1, 1))[0]
    except (UnionError, ValueError):
        return False  # an unknown programme or year: once a year, the strict reading


def _check_spends(
    funds: _FundsFacts, competitions: _CompetitionFacts, aid: _AidFacts, out: list[Finding]
) -> None:
    prizes: dict[str, list[_Spend]] = defaultdict(list)
    for spend in funds.spends:
        rid = spend.reservation_id
        if spend.amount > 0:
            voucher = f"SPEND-{spend.year}-{spend.line}-{rid}"
            posted, reversed_ = funds.vouchers.get(voucher), funds.reversed.get(voucher)
            if posted is None or reversed_ is not None:
                why = "is not in the ledger" if posted is None else "was reversed (冲销)"
                shown = (spend.at, *((posted, reversed_) if posted and reversed_ else ()))
                out.append(
                    Finding(
                        "PaymentWithoutVoucher",
                        f"The spend of {_yuan(spend.amount)} on line {spend.line} of"
                        f" {spend.year} ({rid}): its voucher {voucher} {why}.",
                        (*_aid_payment(aid, rid), *shown),
                    )
                )
        if (request := _after(rid, "aid:case:")) is not None:
            case = aid.cases.get(_split_attempt(request))
            if case is None or not case.disbursements:
                out.append(
                    Finding(
                        "SpendWithoutCase",
                        f"funds recorded a spend of {_yuan(spend.amount)} for aid case"
                        f" {_split_attempt(request)} ({rid}), which has paid nothing.",
                        ((case.requested,) if case else ()) + (spend.at,),
                    )
                )
        elif (request := _after(rid, "competitions:studio:")) is not None:
            studio = _split_attempt(request)
            if studio not in competitions.named:
                out.append(
                    Finding(
                        "SubsidyWithoutNaming",
                        f"funds paid a subsidy of {_yuan(spend.amount)} to studio {studio}"
                        f" ({rid}), but competitions never named or reconfirmed it (命名):"
                        f" Studio-{studio} has no StudioNamed.",
                        (spend.at,),
                    )
                )
        elif (request := _after(rid, "competitions:prize:")) is not None:
            prizes[_split_attempt(request)].append(spend)
    for competition, spends in sorted(prizes.items()):
        paid = sum(s.amount for s in spends)
        awarded = competitions.awarded.get(competition)
        shown = tuple(s.at for s in spends)
        if awarded is None:
            out.append(
                Finding(
                    "PrizeWithoutAward",
                    f"funds paid prizes of {_yuan(paid)} for competition {competition}, but"
                    " competitions conferred no awards (表彰) in it.",
                    shown,
                )
            )
        elif paid > awarded[1]:
            out.append(
                Finding(
                    "PrizeExceedsAward",
                    f"funds paid prizes of {_yuan(paid)} for competition {competition}; the"
                    f" awards conferred total {_yuan(awarded[1])}.",
                    (awarded[0], *shown),
                )
            )


def _aid_payment(aid: _AidFacts, rid: str) -> tuple[Evidence, ...]:
    """The aid payment a spend stands for, so the finding names both ends."""
    request = _after(rid, "aid:case:")
    case = aid.cases.get(_split_attempt(request)) if request else None
    return tuple(at for at, _ in case.disbursements) if case else ()


# -- the run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    year: int | None
    heads: Mapping[str, Head]
    """Each log's head when the run started: everything up to it was read."""
    checked: Mapping[str, int]
    findings: tuple[Finding, ...]
    generated_at: datetime

    def count(self, rule: str) -> int:
        return sum(1 for f in self.findings if f.rule == rule)

    @property
    def label(self) -> str:
        return str(self.year) if self.year is not None else "all"


def _stream(
    store: EventStore, service: str, head: Head, progress: Progress | None
) -> Iterator[RecordedEvent]:
    for n, e in enumerate(store.read_all(1, BATCH, head.position), start=1):
        if progress is not None and n % BATCH == 0:
            progress(service, n, head.position)
        yield e


def reconcile_stores(
    stores: Mapping[str, EventStore], year: int | None, progress: Progress | None = None
) -> Report:
    """Read the three logs (funds, competitions, then aid) and check them against each other."""
    heads = {service: stores[service].head() for service in READ}
    started = datetime.now(COUNTY_TIME)
    findings: list[Finding] = []
    funds = _read_funds(_stream(stores["funds"], "funds", heads["funds"], progress), year, findings)
    competitions = _read_competitions(
        _stream(stores["competitions"], "competitions", heads["competitions"], progress)
    )
    # Cases funds spent for are followed whatever their year, to see whether they paid.
    referenced = frozenset(
        _split_attempt(request)
        for s in funds.spends
        if (request := _after(s.reservation_id, "aid:case:")) is not None
    )
    aid = _read_aid(_stream(stores["aid"], "aid", heads["aid"], progress), year, referenced)
    cases = [c for c in aid.cases.values() if c.in_year]
    for case in cases:
        _check_case(case, funds, findings)
        _check_membership(case, aid.notes.get(case.person, []), findings)
    _check_duplicates(cases, findings)
    _check_spends(funds, competitions, aid, findings)
    order = {code: i for i, code in enumerate(RULE_CODES)}
    ranked = sorted(
        findings, key=lambda f: (order[f.rule], [x.position for x in f.evidence], f.message)
    )
    checked = {
        "aid cases": len(cases),
        "aid approvals": sum(len(c.approvals) for c in cases),
        "aid payments": sum(len(c.disbursements) for c in cases),
        "budget lines": funds.lines,
        "funds spends": len(funds.spends),
        "dues accounts": funds.accounts,
    }
    return Report(year, heads, checked, tuple(ranked), started)


def reconcile(
    year: int | None,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Reconcile the logs of the databases ``env`` names (UNION_DB_PREFIX and the rest)."""
    pools = []
    try:
        stores = {}
        for service in READ:
            # The service's own role: it may SELECT its log and nothing more is needed.
            dsn = database_config(service, env).service_dsn
            # Fail at once with the server's reason, not after the pool's 30 s of retries.
            psycopg.connect(dsn, connect_timeout=10).close()
            pool = open_pool(dsn, min_size=1, max_size=1)
            pools.append(pool)
            stores[service] = EventStore(pool, REGISTRIES[service])
        return reconcile_stores(stores, year, progress)
    finally:
        for pool in pools:
            pool.close()


# -- what the auditor gets ----------------------------------------------------------------


def summary(report: Report, files: Iterable[Path] = ()) -> str:
    heads = ", ".join(f"{s} to position {h.position}" for s, h in report.heads.items())
    checked = ", ".join(f"{what} {n}" for what, n in report.checked.items())
    width = max(len(code) for code in RULE_CODES)
    lines = [
        f"reconcile {report.label}: read {heads}",
        f"checked: {checked}",
        *(f"  {r.code:<{width}}  {report.count(r.code):>4}  {r.title}" for r in RULES),
    ]
    total = len(report.findings)
    rules = sum(1 for r in RULES if report.count(r.code))
    if total:
        verdict = (
            f"verdict: {total} finding{'s' * (total != 1)} under {rules} rule{'s' * (rules != 1)}"
        )
    else:
        verdict = "verdict: the logs agree: no findings"
    shown = " and ".join(str(p) for p in files)
    lines.append(verdict + (f"; see {shown}" if shown else ""))
    return "\n".join(lines)


def write_csv(report: Report, out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(["rule", "message", "evidence"])
    for f in report.findings:
        writer.writerow([f.rule, f.message, "; ".join(x.ref for x in f.evidence)])


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n { text-align: right; }
.ok { background: #e6f4e6; padding: 0.6em; border: 1px solid #7a7; }
.bad { background: #fbe9e7; padding: 0.6em; border: 1px solid #c66; }
code { font-size: 0.95em; }
ul { margin: 0; padding-left: 1.2em; }
"""


def render_html(report: Report) -> str:
    esc = html.escape
    total = len(report.findings)
    when = report.generated_at.strftime("%Y-%m-%d %H:%M %Z")
    scope = f"fiscal year {report.year}" if report.year is not None else "every year"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>Reconciliation {esc(report.label)} 跨服务核对</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Cross-service reconciliation 跨服务核对: {esc(scope)}</h1>",
    ]
    if total:
        parts.append(
            f'<p class="bad"><strong>{total} finding{"s" * (total != 1)}.</strong>'
            " Each names the events that show it; see the sections below.</p>"
        )
    else:
        parts.append(
            '<p class="ok"><strong>No findings.</strong> The logs agree on every check below.</p>'
        )
    parts += [
        f"<p>Made {esc(when)} by <code>unionctl audit reconcile"
        f"{esc(f' --year {report.year}' if report.year is not None else '')}</code>."
        " Every log was read up to the head below; check those heads are whole with"
        " <code>unionctl audit verify</code> (or against a signed checkpoint).</p>",
        "<table><tr><th>log</th><th>read up to position</th><th>hash there</th></tr>",
        *(
            f"<tr><td>{esc(s)}</td><td class=n>{h.position}</td>"
            f"<td><code>{esc(h.hash)}</code></td></tr>"
            for s, h in report.heads.items()
        ),
        "</table>",
        "<p>What was looked at: "
        + esc(", ".join(f"{what} {n}" for what, n in report.checked.items()))
        + ".</p>",
        "<h2>Checks 核对项目</h2>",
        "<table><tr><th>rule</th><th>what it checks</th><th>findings</th></tr>",
    ]
    for r in RULES:
        n = report.count(r.code)
        name = f'<a href="#{r.code}">{r.code}</a>' if n else r.code
        parts.append(
            f"<tr><td><code>{name}</code></td><td>{esc(r.checks)}</td><td class=n>{n}</td></tr>"
        )
    parts.append("</table>")
    parts.append(
        "<p>To see an event and its aggregate as it stood: <code>unionctl audit as-of"
        " SERVICE STREAM --position N</code> with the service, stream and position an"
        " evidence line names.</p>"
    )
    for r in RULES:
        found = [f for f in report.findings if f.rule == r.code]
        if not found:
            continue
        parts += [
            f'<h2 id="{r.code}">{esc(r.title)} <code>{r.code}</code></h2>',
            f"<p>{esc(r.checks)}</p>",
            "<table><tr><th>#</th><th>finding</th>"
            "<th>evidence (service, stream @ position, event)</th></tr>",
        ]
        for i, f in enumerate(found, start=1):
            items = "".join(
                f"<li><code>{esc(x.ref)}</code> {esc(x.event_type)}</li>" for x in f.evidence
            )
            parts.append(
                f"<tr><td class=n>{i}</td><td>{esc(f.message)}</td><td><ul>{items}</ul></td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Not checked from the logs 无法由日志核对的事项</h2><ul>")
    parts += [f"<li>{esc(x)}</li>" for x in NOT_CHECKED]
    parts.append("</ul></body></html>")
    return "\n".join(parts) + "\n"


def write_files(report: Report, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"reconcile-{report.label}.html"
    table = folder / f"reconcile-{report.label}.csv"
    page.write_text(render_html(report), encoding="utf-8")
    # With a byte-order mark, spreadsheet programs open the Chinese text as UTF-8.
    with table.open("w", encoding="utf-8-sig", newline="") as out:
        write_csv(report, out)
    return page, table


def command(year: int | None, folder: Path) -> int:
    """``unionctl audit reconcile``: exit 0 when the logs agree, 1 with findings."""
    interactive = sys.stderr.isatty()

    def progress(service: str, n: int, head: int) -> None:
        if interactive:
            print(f"\r{service}: read {n:,} of {head:,} events", end="", file=sys.stderr)

    report = reconcile(year, progress=progress)
    if interactive:
        print("\r\033[K", end="", file=sys.stderr)
    files = write_files(report, folder)
    print(summary(report, files))
    return 1 if report.findings else 0
