"""aid's deciders: hardship family files and assistance cases. Pure: no I/O, no framework.

The clock, ids, vault versions and policy rows reach ``decide`` inside the
command; the adapter (service.py) looks them up. Each rule names its source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from services.aid.events import (
    AidApprovalBlocked,
    AidApprovalRequested,
    AidApprovalTimedOut,
    AidApproved,
    AidAssessed,
    AidCancelled,
    AidClaimReleased,
    AidClaimTaken,
    AidClosed,
    AidDisbursed,
    AidPaymentOrdered,
    AidReceiptSigned,
    AidRecovered,
    AidRecoveryOrdered,
    AidRejected,
    AidRequested,
    AnnualReviewDue,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
    HardshipApplicationPreliminarilyApproved,
    HardshipApplicationRejected,
    HardshipApplicationSubmitted,
    HardshipCategoryChanged,
    HardshipCategoryComputed,
    HardshipFamilyLiftedOut,
    HardshipFileDeregistered,
    HardshipFileEstablished,
    HardshipFileReviewed,
    HardshipFileTransferred,
    HardshipHomeVisitRecorded,
    HardshipPublicNoticeClosed,
    HardshipPublicNoticeObjectionRaised,
    HardshipPublicNoticeStarted,
    HouseholdIncomeVerificationRequested,
    HouseholdIncomeVerified,
    TemporaryFileConverted,
)
from shared.decider import Decider
from shared.errors import DomainError
from shared.rules import InvalidTransition
from shared.rules import refuse as _refuse


class MakerCheckerViolation(DomainError):
    """Domain §4.3: who requests or assesses may not approve; who approves may not pay."""

    code = "MakerCheckerViolation"


class DuplicateAid(DomainError):
    """Domain §2.1 A2: one person, one programme, one year, unless the programme allows more."""

    code = "DuplicateAid"


class FileNotActive(DomainError):
    """Aid that needs a hardship file needs one that is filed now (audit need 5)."""

    code = "FileNotActive"


class NotEligible(DomainError):
    code = "NotEligible"


class ReasonRequired(DomainError):
    code = "ReasonRequired"


# -- classification (pluggable, versioned policy) ---------------------------------------


@dataclass(frozen=True)
class ClassifierPolicy:
    dibao_standard_fen: int
    deep_bp: int
    relative_bp: int
    accident_bp: int
    versions: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdFinances:
    """Personal values read from the vault for one decision, with the versions read."""

    household_size: int
    per_capita_monthly_income_fen: int
    rigid_expenditure_yearly_fen: int
    event_costs_yearly_fen: int
    refs: tuple[str, ...]


def classify(f: HouseholdFinances, p: ClassifierPolicy) -> str | None:
    """深度 < 1x 低保, 相对 < 2x, 意外致困 when the event's costs > 80 % of yearly income.

    Per-capita monthly income after rigid expenditure is compared with the
    standard; everything is scaled to yearly household fen so the arithmetic is
    exact in integers (domain §2.1 A1, classification table).
    """
    yearly_income = f.per_capita_monthly_income_fen * 12 * f.household_size
    net = yearly_income - f.rigid_expenditure_yearly_fen
    standard_yearly = p.dibao_standard_fen * 12 * f.household_size
    if net * 10_000 < standard_yearly * p.deep_bp:
        return "deep"
    if net * 10_000 < standard_yearly * p.relative_bp:
        return "relative"
    if f.event_costs_yearly_fen * 10_000 > yearly_income * p.accident_bp:
        return "accident"
    return None


EXCLUSIONS = (
    "owns_two_or_more_homes",
    "owns_business_or_employs_others",
    "child_in_high_fee_private_school",
    "child_studies_abroad_self_funded",
    "non_essential_motor_vehicle",
)
"""Domain §2.1 A1: any of these and no file is created."""


def mask(name: str) -> str:
    """张三 → 张*, 欧阳小明 → 欧***: what a public notice may show (PIPL Arts. 6, 25)."""
    return (name[:1] + "*" * max(1, len(name) - 1)) if name else "*"


# -- HardshipFamilyFile -------------------------------------------------------------


@dataclass(frozen=True)
class File:
    status: str = ""
    household_id: str = ""
    applicant_id: str = ""
    union_id: str = ""
    temporary: bool = False
    consent: bool = False
    verification: str | None = None
    computed: str | None = None
    notice_ends_on: date | None = None
    objections: int = 0
    category: str | None = None
    review_due_on: date | None = None
    review_flagged: bool = False

    @property
    def active(self) -> bool:
        return self.status in ("filed", "temporary")


ACTIVE = ("filed", "temporary")
OPEN_APPLICATION = (
    "submitted",
    "reviewed",
    "visited",
    "verifying",
    "verified",
    "notice",
    "noticed",
)


@dataclass(frozen=True)
class SubmitApplication:
    household_id: str
    applicant_id: str
    union_id: str
    member_ids: tuple[str, ...]
    causes: tuple[str, ...]
    temporary: bool
    exclusions: tuple[str, ...]
    exclusions_ref: tuple[str, ...]
    """Where the vault keeps them for this application (the log never holds the codes)."""
    migrant: bool
    member_active: bool
    personal_fields: tuple[str, ...]
    today: date


@dataclass(frozen=True)
class PreliminaryReview:
    passed: bool
    opinion: str
    reviewer: str


@dataclass(frozen=True)
class RecordHomeVisit:
    visitors: tuple[str, ...]
    visited_on: date
    forms_signed: bool
    personal_fields: tuple[str, ...]
    """What the visit found is among them (``home_visit_findings``), never in the event."""


@dataclass(frozen=True)
class RequestVerification:
    request_id: str


@dataclass(frozen=True)
class RecordVerification:
    request_id: str
    result: str
    completed_on: date
    finances: HouseholdFinances
    policy: ClassifierPolicy


@dataclass(frozen=True)
class StartPublicNotice:
    starts_on: date
    channel: str
    masked_name: str
    days: int
    policy_version: str


@dataclass(frozen=True)
class RaiseObjection:
    objection_id: str
    summary: str


@dataclass(frozen=True)
class ClosePublicNotice:
    upheld: bool
    finding: str
    today: date


@dataclass(frozen=True)
class EstablishFile:
    category: str | None
    reason: str | None
    level: str
    today: date
    review_days: int


@dataclass(frozen=True)
class ConvertTemporary:
    category: str
    today: date
    review_days: int


@dataclass(frozen=True)
class Reclassify:
    category: str
    reason: str


@dataclass(frozen=True)
class FlagReviewDue:
    today: date


@dataclass(frozen=True)
class RecordAnnualReview:
    finding: str
    today: date
    review_days: int


@dataclass(frozen=True)
class LiftOut:
    reason: str
    today: date


@dataclass(frozen=True)
class Deregister:
    reason: str
    today: date


@dataclass(frozen=True)
class TransferFile:
    to_union: str
    reason: str


def evolve_file(s: File, e: object) -> File:
    match e:
        case HardshipApplicationSubmitted():
            return File(
                status="submitted",
                household_id=e.household_id,
                applicant_id=e.applicant_id,
                union_id=e.union_id,
                temporary=e.temporary,
            )
        case HardshipApplicationPreliminarilyApproved():
            return replace(s, status="reviewed")
        case HardshipApplicationRejected():
            return replace(s, status="rejected")
        case HardshipHomeVisitRecorded():
            return replace(s, status="visited", consent=e.forms_signed)
        case HouseholdIncomeVerificationRequested():
            return replace(s, status="verifying", verification=e.request_id)
        case HouseholdIncomeVerified():
            return replace(s, status="verified" if e.result == "verified" else "visited")
        case HardshipCategoryComputed():
            return replace(s, computed=e.category)
        case HardshipPublicNoticeStarted():
            return replace(s, status="notice", notice_ends_on=e.ends_on, objections=0)
        case HardshipPublicNoticeObjectionRaised():
            return replace(s, objections=s.objections + 1)
        case HardshipPublicNoticeClosed():
            return replace(s, status="noticed")
        case HardshipFileEstablished():
            return replace(
                s,
                status="temporary" if e.temporary else "filed",
                category=e.category,
                review_due_on=e.review_due_on,
            )
        case TemporaryFileConverted():
            return replace(
                s,
                status="filed",
                temporary=False,
                category=e.category,
                review_due_on=e.review_due_on,
            )
        case HardshipCategoryChanged():
            return replace(s, category=e.to_category)
        case AnnualReviewDue():
            return replace(s, review_flagged=True)
        case HardshipFileReviewed():
            return replace(s, review_due_on=e.review_due_on, review_flagged=False)
        case HardshipFamilyLiftedOut():
            return replace(s, status="lifted")
        case HardshipFileDeregistered():
            return replace(s, status="deregistered")
        case HardshipFileTransferred():
            return replace(s, union_id=e.to_union)
    return s


def decide_file(c: object, s: File) -> list[object]:
    match c:
        case SubmitApplication():
            if s.status not in ("", "rejected", "lifted", "deregistered"):
                # 一户一档: one open file per household.
                raise _refuse(s.status, c, "none", "rejected", "lifted", "deregistered")
            submitted = HardshipApplicationSubmitted(
                c.household_id,
                c.applicant_id,
                c.union_id,
                c.member_ids,
                c.causes,
                c.temporary,
                c.personal_fields,
                c.today,
            )
            if any(x in EXCLUSIONS for x in c.exclusions):
                # Which ones applied is the household's financial situation: the vault
                # keeps the codes with the application (the adapter puts them there).
                opinion = "a property exclusion applies"
                rejected = HardshipApplicationRejected(
                    "submission", "Excluded", opinion, c.exclusions_ref
                )
                return [submitted, rejected]
            if c.migrant and not c.member_active:
                # 困难农民工 must be union members (domain §2.1 A1, flow F4).
                opinion = "a migrant worker's file needs an active union member"
                return [
                    submitted,
                    HardshipApplicationRejected("submission", "NotAMember", opinion, ()),
                ]
            return [submitted]
        case PreliminaryReview():
            _need(s, c, "submitted")
            if c.passed:
                return [HardshipApplicationPreliminarilyApproved(c.reviewer, c.opinion)]
            return [HardshipApplicationRejected("preliminary_review", "Rejected", c.opinion, ())]
        case RecordHomeVisit():
            _need(s, c, "reviewed", "visited")
            return [
                HardshipHomeVisitRecorded(
                    c.visitors, c.visited_on, c.forms_signed, c.personal_fields
                )
            ]
        case RequestVerification():
            _need(s, c, "visited")
            if not s.consent:
                # The 授权委托书 is the separate consent to share with 民政 (PIPL Arts. 23, 29).
                raise NotEligible(
                    "income verification needs the signed authorisation form",
                    field="forms_signed",
                )
            return [HouseholdIncomeVerificationRequested(c.request_id, s.household_id)]
        case RecordVerification():
            if s.status != "verifying" or c.request_id != s.verification:
                raise InvalidTransition(
                    "no verification with this id is awaited on this file",
                    request_id=c.request_id,
                    awaited=s.verification if s.status == "verifying" else None,
                )
            verified = HouseholdIncomeVerified(
                c.request_id, c.result, c.completed_on, c.finances.refs
            )
            if c.result != "verified":
                return [verified]
            p = c.policy
            computed = HardshipCategoryComputed(
                classify(c.finances, p),
                c.finances.refs,
                p.dibao_standard_fen,
                p.deep_bp,
                p.relative_bp,
                p.accident_bp,
                p.versions,
            )
            return [verified, computed]
        case StartPublicNotice():
            _need(s, c, "verified")
            ends = c.starts_on + timedelta(days=c.days)
            return [
                HardshipPublicNoticeStarted(
                    c.starts_on, ends, c.channel, c.masked_name, c.policy_version
                )
            ]
        case RaiseObjection():
            _need(s, c, "notice")
            return [HardshipPublicNoticeObjectionRaised(c.objection_id, c.summary)]
        case ClosePublicNotice():
            _need(s, c, "notice")
            assert s.notice_ends_on is not None
            if c.today < s.notice_ends_on:
                raise InvalidTransition(
                    "the public notice runs until its end date",
                    ends_on=s.notice_ends_on.isoformat(),
                )
            if c.upheld and s.objections == 0:
                raise InvalidTransition("no objection was raised to uphold", field="upheld")
            closed = HardshipPublicNoticeClosed(s.objections, c.upheld, c.finding)
            if c.upheld:
                return [
                    closed,
                    HardshipApplicationRejected("public_notice", "ObjectionUpheld", c.finding, ()),
                ]
            return [closed]
        case EstablishFile():
            return _establish(c, s)
        case ConvertTemporary():
            _need(s, c, "temporary")
            due = c.today + timedelta(days=c.review_days)
            return [TemporaryFileConverted(c.category, due)]
        case Reclassify():
            _need(s, c, "filed")
            assert s.category is not None
            if c.category == s.category:
                return []
            return [HardshipCategoryChanged(s.category, c.category, c.reason)]
        case FlagReviewDue():
            if s.status not in ACTIVE or s.review_flagged or s.review_due_on is None:
                return []
            if c.today < s.review_due_on:
                return []
            return [AnnualReviewDue(s.review_due_on)]
        case RecordAnnualReview():
            _need(s, c, *ACTIVE)  # a temporary file not yet converted is reviewed too
            due = c.today + timedelta(days=c.review_days)
            return [HardshipFileReviewed(c.today, c.finding, due)]
        case LiftOut():
            _need(s, c, *ACTIVE)
            return [HardshipFamilyLiftedOut(c.reason, c.today)]
        case Deregister():
            _need(s, c, *ACTIVE, *OPEN_APPLICATION)
            return [HardshipFileDeregistered(c.reason, c.today)]
        case TransferFile():
            _need(s, c, *ACTIVE, *OPEN_APPLICATION)
            if c.to_union == s.union_id:
                return []
            return [HardshipFileTransferred(s.union_id, c.to_union, c.reason)]
    raise TypeError(f"not a file command: {c!r}")


def _establish(c: EstablishFile, s: File) -> list[object]:
    if s.temporary:
        # 临时救助档案: filed after the grassroots review, before the full procedure.
        _need(s, c, "reviewed", "visited", "noticed")
        if c.category is None or not c.reason:
            raise ReasonRequired(
                "a temporary file names its category and why it cannot wait",
                fields=["category", "reason"],
            )
        due = c.today + timedelta(days=c.review_days)
        return [HardshipFileEstablished(c.category, c.level, True, s.computed, c.reason, due)]
    _need(s, c, "noticed")
    category = c.category or s.computed
    if category is None:
        raise NotEligible(
            "the household is above every threshold and no override was given",
            computed=None,
        )
    if category != s.computed and not c.reason:
        # A human override of the classifier needs a reason (domain §2.1 A1 design note).
        raise ReasonRequired(
            "overriding the computed category needs a reason",
            field="reason",
            computed=s.computed,
        )
    reason = c.reason if category != s.computed else None
    due = c.today + timedelta(days=c.review_days)
    return [HardshipFileEstablished(category, c.level, False, s.computed, reason, due)]


def _need(s: File | Case, c: object, *allowed: str) -> None:
    if s.status not in allowed:
        raise _refuse(s.status, c, *allowed)


HARDSHIP_FILE: Decider[object, File, object] = Decider(File(), evolve_file, decide_file)


# -- AssistanceCase -------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    status: str = ""
    case_id: str = ""
    programme: str = ""
    person_id: str = ""
    household_id: str | None = None
    fiscal_year: int = 0
    amount_fen: int = 0
    line: str = ""
    requested_by: str = ""
    assessed_by: str | None = None
    approved_by: str | None = None
    request_id: str | None = None
    attempts: int = 0
    reservation_id: str | None = None
    reply_due: datetime | None = None
    timed_out: bool = False
    ordered_by: str | None = None
    disbursed_fen: int = 0
    recovery_fen: int = 0


@dataclass(frozen=True)
class RequestAid:
    case_id: str
    programme: str
    person_id: str
    household_id: str | None
    fiscal_year: int
    amount_fen: int
    line: str
    reason: str
    requested_by: str
    policy_versions: tuple[str, ...]
    needs_file: bool
    file_status: str | None


@dataclass(frozen=True)
class AssessAid:
    assessed_by: str
    amount_fen: int
    opinion: str


@dataclass(frozen=True)
class ApproveAid:
    approver: str
    now: datetime
    reply_hours: int


@dataclass(frozen=True)
class FundsAnswer:
    request_id: str
    reserved: bool
    reason: str
    detail: str


@dataclass(frozen=True)
class ReservationLapsed:
    request_id: str


@dataclass(frozen=True)
class TimeOutApproval:
    now: datetime


@dataclass(frozen=True)
class OrderPayment:
    orderer: str
    payee_ref: str


@dataclass(frozen=True)
class RecordDisbursement:
    bank_ref: str
    disbursed_on: date


@dataclass(frozen=True)
class SignReceipt:
    signed_on: date
    signed_by: str


@dataclass(frozen=True)
class CloseCase:
    today: date


@dataclass(frozen=True)
class RejectAid:
    reason: str
    by: str


@dataclass(frozen=True)
class CancelAid:
    reason: str
    by: str


@dataclass(frozen=True)
class OrderRecovery:
    amount_fen: int
    reason: str
    by: str


@dataclass(frozen=True)
class RecordRecovery:
    amount_fen: int
    voucher_ref: str


FILE_PROGRAMMES = ("winter_warmth", "regular", "living", "medical")
"""Programmes for file-holding families (困难职工帮扶); the others serve workers at large."""


def evolve_case(s: Case, e: object) -> Case:
    match e:
        case AidRequested():
            return Case(
                status="requested",
                case_id=e.case_id,
                programme=e.programme,
                person_id=e.person_id,
                household_id=e.household_id,
                fiscal_year=e.fiscal_year,
                amount_fen=e.amount_fen,
                line=e.line,
                requested_by=e.requested_by,
            )
        case AidAssessed():
            return replace(s, status="assessed", assessed_by=e.assessed_by, amount_fen=e.amount_fen)
        case AidApprovalRequested():
            return replace(
                s,
                status="awaiting_funds",
                approved_by=e.approved_by,
                request_id=e.request_id,
                attempts=s.attempts + 1,
                reply_due=e.reply_due,
                timed_out=False,
            )
        case AidApproved():
            return replace(
                s, status="approved", reservation_id=e.reservation_id, approved_by=e.approved_by
            )
        case AidApprovalBlocked():
            return replace(s, status="blocked", reservation_id=None)
        case AidApprovalTimedOut():
            return replace(s, timed_out=True)
        case AidPaymentOrdered():
            return replace(s, status="payment_ordered", ordered_by=e.ordered_by)
        case AidDisbursed():
            return replace(s, status="disbursed", disbursed_fen=e.amount_fen)
        case AidReceiptSigned():
            return replace(s, status="receipt_signed")
        case AidClosed():
            return replace(s, status="closed")
        case AidRejected():
            return replace(s, status="rejected")
        case AidCancelled():
            return replace(s, status="cancelled")
        case AidRecoveryOrdered():
            return replace(s, status="recovery_ordered", recovery_fen=e.amount_fen)
        case AidRecovered():
            return replace(s, status="recovered")
    return s


def decide_case(c: object, s: Case) -> list[object]:
    match c:
        case RequestAid():
            if s.status:
                raise _refuse(s.status, c)
            if (c.needs_file or c.household_id) and c.file_status not in ACTIVE:
                raise FileNotActive(
                    "this aid needs the household's hardship file to be filed",
                    household_id=c.household_id,
                    file_status=c.file_status or "none",
                )
            return [
                AidRequested(
                    c.case_id,
                    c.programme,
                    c.person_id,
                    c.household_id,
                    c.fiscal_year,
                    c.amount_fen,
                    c.line,
                    c.reason,
                    c.requested_by,
                    c.policy_versions,
                )
            ]
        case AssessAid():
            _need(s, c, "requested")
            return [AidAssessed(c.assessed_by, c.amount_fen, c.opinion)]
        case ApproveAid():
            _need(s, c, "assessed", "blocked")
            if c.approver in (s.requested_by, s.assessed_by):
                raise MakerCheckerViolation(
                    "who requested or assessed a case may not approve it",
                    approver=c.approver,
                    requested_by=s.requested_by,
                    assessed_by=s.assessed_by,
                )
            if s.amount_fen == 0:
                return [AidApproved(None, 0, c.approver)]  # a service, not money
            request_id = f"case:{s.case_id}.{s.attempts + 1}"
            due = c.now + timedelta(hours=c.reply_hours)
            return [
                AidApprovalRequested(c.approver, request_id, s.amount_fen, due),
                FundsReservationRequested(
                    request_id, s.fiscal_year, s.line, s.amount_fen, f"AidCase-{s.case_id}", None
                ),
            ]
        case FundsAnswer():
            return _answered(c, s)
        case ReservationLapsed():
            if c.request_id != s.request_id or s.status != "approved":
                # Once payment is ordered the bank may already be paying: the case is
                # not blocked, and funds answers the spend report (FundsRequestRefused)
                # if the reservation is gone, for the finance officer to settle.
                return []
            detail = "funds let the reservation expire before payment"
            return [AidApprovalBlocked(c.request_id, "ReservationExpired", detail)]
        case TimeOutApproval():
            if s.status != "awaiting_funds" or s.timed_out or s.reply_due is None:
                return []
            if c.now < s.reply_due:
                return []
            assert s.request_id is not None
            waited = int((c.now - s.reply_due).total_seconds() // 3600)
            return [AidApprovalTimedOut(s.request_id, waited)]
        case OrderPayment():
            _need(s, c, "approved")
            if c.orderer == s.approved_by:
                raise MakerCheckerViolation(
                    "who approved a case may not order its payment",
                    orderer=c.orderer,
                    approved_by=s.approved_by,
                )
            if s.amount_fen and not c.payee_ref:
                raise NotEligible(
                    "the payee has no bank account in the vault", person_id=s.person_id
                )
            return [AidPaymentOrdered(c.orderer, s.amount_fen, c.payee_ref)]
        case RecordDisbursement():
            _need(s, c, "payment_ordered")
            out: list[object] = [AidDisbursed(s.amount_fen, c.bank_ref, c.disbursed_on)]
            if s.reservation_id is not None:
                assert s.request_id is not None
                out.append(
                    FundsSpendReported(
                        s.request_id, s.fiscal_year, s.line, s.amount_fen, c.bank_ref
                    )
                )
            return out
        case SignReceipt():
            _need(s, c, "disbursed")
            return [AidReceiptSigned(c.signed_on, c.signed_by)]
        case CloseCase():
            if s.status == "approved" and s.amount_fen == 0:
                return [AidClosed(c.today)]  # a job referral: done when it is given
            _need(s, c, "receipt_signed")
            return [AidClosed(c.today)]
        case RejectAid():
            _need(s, c, "requested", "assessed", "blocked")
            return [AidRejected(c.reason, c.by)]
        case CancelAid():
            _need(s, c, "requested", "assessed", "awaiting_funds", "approved", "blocked")
            out = [AidCancelled(c.reason, c.by)]
            if s.status in ("awaiting_funds", "approved") and s.request_id and s.amount_fen:
                # Compensation: a reservation held (or perhaps about to be) is given back.
                out.append(FundsReleaseRequested(s.request_id, s.fiscal_year, s.line, c.reason))
            return out
        case OrderRecovery():
            _need(s, c, "disbursed", "receipt_signed", "closed")
            if c.amount_fen > s.disbursed_fen:
                raise InvalidTransition(
                    "a recovery is at most what was paid",
                    field="amount_fen",
                    disbursed_fen=s.disbursed_fen,
                )
            return [AidRecoveryOrdered(c.amount_fen, c.reason, c.by)]
        case RecordRecovery():
            _need(s, c, "recovery_ordered")
            if c.amount_fen > s.recovery_fen:
                # As with the order: never more back than was asked (and so than was paid).
                raise InvalidTransition(
                    "a recovery records at most what was ordered",
                    field="amount_fen",
                    ordered_fen=s.recovery_fen,
                )
            return [AidRecovered(c.amount_fen, c.voucher_ref)]
    raise TypeError(f"not a case command: {c!r}")


def _answered(c: FundsAnswer, s: Case) -> list[object]:
    """Funds' reply to a reservation request, whenever it comes."""
    if c.request_id != s.request_id:
        return []  # an earlier attempt's reply: that attempt was already settled
    if s.status == "awaiting_funds":
        if c.reserved:
            assert s.approved_by is not None
            return [AidApproved(c.request_id, s.amount_fen, s.approved_by)]
        reason = "BudgetExhausted" if c.reason == "LineExhausted" else c.reason
        return [AidApprovalBlocked(c.request_id, reason, c.detail)]
    if s.status == "cancelled" and c.reserved:
        # A late yes to a case cancelled meanwhile: give the money back. The
        # release sent at cancelling may have reached funds first and found
        # nothing; funds ignores a second release of the same reservation.
        return [FundsReleaseRequested(c.request_id, s.fiscal_year, s.line, "case cancelled")]
    return []


CASE: Decider[object, Case, object] = Decider(Case(), evolve_case, decide_case)


# -- the no-duplicate guard: one stream per (person, programme, year) ------------------


@dataclass(frozen=True)
class Claim:
    holder: str | None = None


@dataclass(frozen=True)
class TakeClaim:
    case_id: str
    key: str


@dataclass(frozen=True)
class ReleaseClaim:
    case_id: str


def evolve_claim(s: Claim, e: object) -> Claim:
    match e:
        case AidClaimTaken():
            return Claim(e.case_id)
        case AidClaimReleased():
            return Claim(None)
    return s


def decide_claim(c: object, s: Claim) -> list[object]:
    match c:
        case TakeClaim():
            if s.holder == c.case_id:
                return []
            if s.holder is not None:
                raise DuplicateAid(
                    "this person already has this programme's aid this year",
                    claim=c.key,
                    held_by=s.holder,
                )
            return [AidClaimTaken(c.case_id)]
        case ReleaseClaim():
            return [AidClaimReleased(c.case_id)] if s.holder == c.case_id else []
    raise TypeError(f"not a claim command: {c!r}")


CLAIM: Decider[object, Claim, object] = Decider(Claim(), evolve_claim, decide_claim)


def file_stream(household_id: str) -> str:
    return f"HardshipFile-{household_id}"


def case_stream(case_id: str) -> str:
    return f"AidCase-{case_id}"


def claim_stream(person_id: str, programme: str, year: int) -> str:
    return f"AidClaim-{person_id}.{programme}.{year}"


__all__ = [  # the shared refusals, named from here by callers and tests
    "InvalidTransition",
]
