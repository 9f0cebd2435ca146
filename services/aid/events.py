"""aid's events: what its log records and publishes. Amounts are integer fen.

No event carries an ID number, an income figure, an illness or a bank account:
those live in the vault, and events name the subject (``person_id``,
``household_id``) and, where a decision used personal values, the vault
versions it read (``inputs_ref``, e.g. ``"per_capita_monthly_income_fen@2"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from services.aid.policy import PROGRAMMES
from shared import privacy
from shared.privacy import (
    PersonalDataAccessed,
    PersonalDataAccessRefused,
    PersonalDataRecorded,
    SubjectErased,
)
from shared.registry import EventRegistry
from shared.schemas import event_schema, money, one_of

CATEGORIES = ("deep", "relative", "accident")
"""深度困难, 相对困难, 意外致困."""
SEASONS = ("spring", "summer", "autumn", "winter")
STAGES = ("consultation", "mediation", "arbitration", "litigation")

# -- hardship family files (一户一档) ------------------------------------------------


@dataclass(frozen=True)
class HardshipApplicationSubmitted:
    household_id: str
    applicant_id: str
    union_id: str
    member_ids: tuple[str, ...]
    causes: tuple[str, ...]
    temporary: bool
    """临时救助档案: a sudden difficulty, filed quickly and converted or closed later."""
    personal_fields: tuple[str, ...]
    """Names of the values put in the vault (the values never reach the log)."""
    submitted_on: date


@dataclass(frozen=True)
class HardshipApplicationPreliminarilyApproved:
    reviewer: str
    opinion: str


@dataclass(frozen=True)
class HardshipApplicationRejected:
    """Schema v2. v1 also carried the property exclusions that applied; they are a
    household's financial situation (domain §4.1), so from v2 they are kept in the
    vault (field ``property_exclusions`` of the submission) and this says only that."""

    stage: str
    reason: str
    opinion: str
    exclusions_ref: tuple[str, ...]
    """For ``Excluded``: the vault version (``subject/property_exclusions@n``) decided on."""


class _HardshipApplicationRejectedV1(Schema):
    stage = fields.String(required=True)
    reason = fields.String(required=True)
    opinion = fields.String(required=True)
    exclusions = fields.List(fields.String(), required=True)


def _rejected_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: the codes are not carried forward (the raw v1 rows still hold them)."""
    return {**{k: v for k, v in data.items() if k != "exclusions"}, "exclusions_ref": []}


@dataclass(frozen=True)
class HardshipHomeVisitRecorded:
    visitors: tuple[str, ...]
    visited_on: date
    forms_signed: bool
    """The 帮扶申请书 and the 核对授权委托书 signed: the consent (PIPL Art. 29)."""
    personal_fields: tuple[str, ...]


@dataclass(frozen=True)
class HouseholdIncomeVerificationRequested:
    """The outbound request to civil affairs; it answers with civil.IncomeVerificationCompleted."""

    request_id: str
    household_id: str


@dataclass(frozen=True)
class HouseholdIncomeVerified:
    request_id: str
    result: str
    completed_on: date
    inputs_ref: tuple[str, ...]


@dataclass(frozen=True)
class HardshipCategoryComputed:
    """The classifier's result, its inputs (by vault version) and the policy rows it used."""

    category: str | None
    inputs_ref: tuple[str, ...]
    dibao_standard_fen: int
    deep_bp: int
    relative_bp: int
    accident_bp: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class HardshipPublicNoticeStarted:
    starts_on: date
    ends_on: date
    channel: str
    masked_name: str
    """Only e.g. 张*: PIPL Art. 25 allows nothing more without separate consent."""
    policy_version: str


@dataclass(frozen=True)
class HardshipPublicNoticeObjectionRaised:
    objection_id: str
    summary: str


@dataclass(frozen=True)
class HardshipPublicNoticeClosed:
    objections: int
    upheld: bool
    finding: str


@dataclass(frozen=True)
class HardshipFileEstablished:
    category: str
    level: str
    temporary: bool
    computed_category: str | None
    override_reason: str | None
    review_due_on: date


@dataclass(frozen=True)
class HardshipCategoryChanged:
    from_category: str
    to_category: str
    reason: str


@dataclass(frozen=True)
class TemporaryFileConverted:
    category: str
    review_due_on: date


@dataclass(frozen=True)
class AnnualReviewDue:
    due_on: date


@dataclass(frozen=True)
class HardshipFileReviewed:
    reviewed_on: date
    finding: str
    review_due_on: date


@dataclass(frozen=True)
class HardshipFamilyLiftedOut:
    reason: str
    lifted_on: date


@dataclass(frozen=True)
class HardshipFileDeregistered:
    reason: str
    deregistered_on: date


@dataclass(frozen=True)
class HardshipFileTransferred:
    from_union: str
    to_union: str
    reason: str


# -- assistance cases ----------------------------------------------------------------


@dataclass(frozen=True)
class AidRequested:
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


@dataclass(frozen=True)
class AidAssessed:
    assessed_by: str
    amount_fen: int
    opinion: str


@dataclass(frozen=True)
class AidApprovalRequested:
    """An approver said yes; the approval holds once funds reserves the money."""

    approved_by: str
    request_id: str
    amount_fen: int
    reply_due: datetime


@dataclass(frozen=True)
class FundsReservationRequested:
    """The saga's request to funds (funds' ReservationRequest); answered on funds' events."""

    request_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    reference: str
    hold_until: date | None


@dataclass(frozen=True)
class FundsReleaseRequested:
    request_id: str
    fiscal_year: int
    line: str
    reason: str


@dataclass(frozen=True)
class FundsSpendReported:
    request_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    voucher_ref: str


@dataclass(frozen=True)
class AidApproved:
    reservation_id: str | None
    """None for a programme that pays no money (春送岗位's job referral)."""
    amount_fen: int
    approved_by: str


@dataclass(frozen=True)
class AidApprovalBlocked:
    request_id: str
    reason: str
    """BudgetExhausted (funds refused), ReservationExpired, or funds' own reason."""
    detail: str


@dataclass(frozen=True)
class AidApprovalTimedOut:
    request_id: str
    waited_hours: int


@dataclass(frozen=True)
class AidPaymentOrdered:
    ordered_by: str
    amount_fen: int
    payee_ref: str
    """The vault version of the payee's bank account the order used."""


@dataclass(frozen=True)
class AidDisbursed:
    amount_fen: int
    bank_ref: str
    disbursed_on: date


@dataclass(frozen=True)
class AidReceiptSigned:
    signed_on: date
    signed_by: str


@dataclass(frozen=True)
class AidClosed:
    closed_on: date


@dataclass(frozen=True)
class AidRejected:
    reason: str
    rejected_by: str


@dataclass(frozen=True)
class AidCancelled:
    reason: str
    cancelled_by: str


@dataclass(frozen=True)
class AidRecoveryOrdered:
    amount_fen: int
    reason: str
    ordered_by: str


@dataclass(frozen=True)
class AidRecovered:
    amount_fen: int
    voucher_ref: str


@dataclass(frozen=True)
class AidClaimTaken:
    """One person, one programme, one year: the guard stream's record of who holds it."""

    case_id: str


@dataclass(frozen=True)
class AidClaimReleased:
    case_id: str


# -- seasonal campaigns --------------------------------------------------------------


@dataclass(frozen=True)
class CampaignPlanned:
    campaign_id: str
    season: str
    programme: str
    fiscal_year: int
    envelope_fen: int
    line: str
    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class CampaignOpened:
    request_id: str


@dataclass(frozen=True)
class CampaignEnvelopeReserved:
    reservation_id: str
    amount_fen: int


@dataclass(frozen=True)
class CampaignEnvelopeRefused:
    reservation_id: str
    reason: str


@dataclass(frozen=True)
class CampaignBeneficiaryAdded:
    household_id: str
    amount_fen: int


@dataclass(frozen=True)
class BeneficiaryRosterPublished:
    count: int
    total_fen: int


@dataclass(frozen=True)
class CampaignBeneficiaryPaid:
    household_id: str
    amount_fen: int
    voucher_ref: str


@dataclass(frozen=True)
class CampaignClosed:
    spent_fen: int
    returned_fen: int


# -- mutual aid ------------------------------------------------------------------------


@dataclass(frozen=True)
class MutualAidEnrolled:
    plan_year: int
    person_id: str
    union_id: str
    contribution_fen: int
    active_from: date
    """After the waiting period: no claim for an illness that began before."""
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class MutualAidClaimFiled:
    claim_id: str
    treated_on: date
    inputs_ref: tuple[str, ...]


@dataclass(frozen=True)
class MutualAidClaimPaid:
    claim_id: str
    amount_fen: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class MutualAidClaimRejected:
    claim_id: str
    reason: str


# -- legal aid ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalAidRequested:
    case_id: str
    person_id: str
    union_id: str
    matter_ref: str
    """The vault version of the dispute's details (sensitive in practice, domain §4.1)."""
    knew_of_infringement_on: date
    source: str
    """Who opened it: a worker's request, or orgs' report of a contract breach (flow F12)."""
    arbitration_limit_on: date
    policy_version: str


@dataclass(frozen=True)
class LegalAidAccepted:
    accepted_by: str


@dataclass(frozen=True)
class LegalAidDeclined:
    reason: str


@dataclass(frozen=True)
class LegalAidAssigned:
    assignee: str


@dataclass(frozen=True)
class LegalAidStageChanged:
    stage: str
    started_on: date
    award_due_on: date | None
    """Arbitration only: 45 days from acceptance, 60 if extended (Art. 43)."""


@dataclass(frozen=True)
class LegalAidAwardDeadlineExtended:
    award_due_on: date


@dataclass(frozen=True)
class LegalAidDeadlineWarned:
    deadline: str
    due_on: date


@dataclass(frozen=True)
class LegalAidConcluded:
    outcome: str
    concluded_on: date


# -- recuperation (疗休养) -------------------------------------------------------------


@dataclass(frozen=True)
class RecuperationPlanned:
    programme_id: str
    fiscal_year: int
    quota: int
    budget_fen: int
    per_person_fen: int
    line: str


@dataclass(frozen=True)
class RecuperationNominated:
    person_id: str
    priority: str
    """model_worker, front_line or general: the order places are approved in."""
    nominated_by: str


@dataclass(frozen=True)
class RecuperationPriorityRaised:
    """A nominee who ranks higher now (e.g. registered a model worker since, flow F8)."""

    person_id: str
    from_priority: str
    to_priority: str
    raised_by: str


@dataclass(frozen=True)
class RecuperationParticipantsApproved:
    person_ids: tuple[str, ...]
    waitlisted: tuple[str, ...]
    approved_by: str


@dataclass(frozen=True)
class RecuperationFundingAnswered:
    request_id: str
    reserved: bool
    reason: str


@dataclass(frozen=True)
class RecuperationCompleted:
    attended: tuple[str, ...]


@dataclass(frozen=True)
class RecuperationSettled:
    amount_fen: int
    voucher_ref: str


# -- what aid knows of other services ----------------------------------------------------


@dataclass(frozen=True)
class MembershipNoted:
    """Flow F4: orgs said this person's membership changed; aid's eligibility follows."""

    person_id: str
    union_id: str
    status: str
    since: date
    source_event: str


@dataclass(frozen=True)
class ModelWorkerNoted:
    """Flow F8: competitions registered this person as a model worker (priority for 疗休养)."""

    person_id: str
    level: str
    source_event: str


@dataclass(frozen=True)
class SubsistenceAllowanceNoted:
    """Schema v2: the 低保 status itself (a household's financial situation, domain
    §4.1) is in the vault; ``status_ref`` names the version civil affairs sent."""

    household_id: str
    status_ref: tuple[str, ...]
    effective_on: date
    dibao_standard_fen: int


class _SubsistenceAllowanceNotedV1(Schema):
    household_id = fields.String(required=True)
    status = fields.String(required=True)
    effective_on = fields.Date(required=True)
    dibao_standard_fen = fields.Integer(required=True)


def _allowance_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 → v2: v1 carried the status in the log; it is not carried forward."""
    lifted = {k: v for k, v in data.items() if k != "status"}
    return {**lifted, "status_ref": []}


def _year() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))


def _positive() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


def _registry() -> EventRegistry:
    reg = EventRegistry()
    category = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES)
    )
    programme = one_of(*PROGRAMMES)
    specific: dict[type, dict[str, fields.Field[Any]]] = {
        HardshipCategoryComputed: {"category": category},
        HardshipFileEstablished: {
            "category": one_of(*CATEGORIES),
            "computed_category": fields.String(
                load_default=None, allow_none=True, validate=validate.OneOf(CATEGORIES)
            ),
        },
        HardshipCategoryChanged: {
            "from_category": one_of(*CATEGORIES),
            "to_category": one_of(*CATEGORIES),
        },
        TemporaryFileConverted: {"category": one_of(*CATEGORIES)},
        AidRequested: {"programme": programme, "amount_fen": money(), "fiscal_year": _year()},
        AidAssessed: {"amount_fen": money()},
        AidApprovalRequested: {"amount_fen": _positive()},
        FundsReservationRequested: {"amount_fen": _positive(), "fiscal_year": _year()},
        FundsReleaseRequested: {"fiscal_year": _year()},
        FundsSpendReported: {"amount_fen": money(), "fiscal_year": _year()},
        AidApproved: {"amount_fen": money()},
        AidPaymentOrdered: {"amount_fen": money()},
        AidDisbursed: {"amount_fen": money()},
        AidRecoveryOrdered: {"amount_fen": _positive()},
        AidRecovered: {"amount_fen": money()},
        CampaignPlanned: {
            "season": one_of(*SEASONS),
            "programme": programme,
            "envelope_fen": _positive(),
            "fiscal_year": _year(),
        },
        CampaignEnvelopeReserved: {"amount_fen": money()},
        CampaignBeneficiaryAdded: {"amount_fen": _positive()},
        BeneficiaryRosterPublished: {"total_fen": money()},
        CampaignBeneficiaryPaid: {"amount_fen": money()},
        CampaignClosed: {"spent_fen": money(), "returned_fen": money()},
        MutualAidEnrolled: {"contribution_fen": money(), "plan_year": _year()},
        MutualAidClaimPaid: {"amount_fen": money()},
        LegalAidStageChanged: {"stage": one_of(*STAGES)},
        RecuperationPlanned: {
            "quota": _positive(),
            "budget_fen": money(),
            "per_person_fen": money(),
            "fiscal_year": _year(),
        },
        RecuperationNominated: {"priority": one_of("model_worker", "front_line", "general")},
        RecuperationPriorityRaised: {
            "from_priority": one_of("front_line", "general"),
            "to_priority": one_of("model_worker", "front_line"),
        },
        RecuperationSettled: {"amount_fen": money()},
        MembershipNoted: {"status": one_of("active", "lapsed", "withdrawn", "expelled")},
    }
    classes: tuple[type, ...] = (
        HardshipApplicationSubmitted,
        HardshipApplicationPreliminarilyApproved,
        HardshipApplicationRejected,
        HardshipHomeVisitRecorded,
        HouseholdIncomeVerificationRequested,
        HouseholdIncomeVerified,
        HardshipCategoryComputed,
        HardshipPublicNoticeStarted,
        HardshipPublicNoticeObjectionRaised,
        HardshipPublicNoticeClosed,
        HardshipFileEstablished,
        HardshipCategoryChanged,
        TemporaryFileConverted,
        AnnualReviewDue,
        HardshipFileReviewed,
        HardshipFamilyLiftedOut,
        HardshipFileDeregistered,
        HardshipFileTransferred,
        AidRequested,
        AidAssessed,
        AidApprovalRequested,
        FundsReservationRequested,
        FundsReleaseRequested,
        FundsSpendReported,
        AidApproved,
        AidApprovalBlocked,
        AidApprovalTimedOut,
        AidPaymentOrdered,
        AidDisbursed,
        AidReceiptSigned,
        AidClosed,
        AidRejected,
        AidCancelled,
        AidRecoveryOrdered,
        AidRecovered,
        AidClaimTaken,
        AidClaimReleased,
        CampaignPlanned,
        CampaignOpened,
        CampaignEnvelopeReserved,
        CampaignEnvelopeRefused,
        CampaignBeneficiaryAdded,
        BeneficiaryRosterPublished,
        CampaignBeneficiaryPaid,
        CampaignClosed,
        MutualAidEnrolled,
        MutualAidClaimFiled,
        MutualAidClaimPaid,
        MutualAidClaimRejected,
        LegalAidRequested,
        LegalAidAccepted,
        LegalAidDeclined,
        LegalAidAssigned,
        LegalAidStageChanged,
        LegalAidAwardDeadlineExtended,
        LegalAidDeadlineWarned,
        LegalAidConcluded,
        RecuperationPlanned,
        RecuperationNominated,
        RecuperationPriorityRaised,
        RecuperationParticipantsApproved,
        RecuperationFundingAnswered,
        RecuperationCompleted,
        RecuperationSettled,
        MembershipNoted,
        ModelWorkerNoted,
        SubsistenceAllowanceNoted,
    )
    # Earlier shapes that carried a household's finances in the log.
    second: dict[type, tuple[type[Schema], Any]] = {
        HardshipApplicationRejected: (_HardshipApplicationRejectedV1, _rejected_v2),
        SubsistenceAllowanceNoted: (_SubsistenceAllowanceNotedV1, _allowance_v2),
    }
    for cls in classes:
        schema = event_schema(cls, **specific.get(cls, {}))
        if cls in second:
            first, upcast = second[cls]
            reg.register(cls.__name__, first)
            reg.register(cls.__name__, schema, version=2, event_class=cls, upcast=upcast)
        else:
            reg.register(cls.__name__, schema, event_class=cls)
    privacy.register(reg)
    return reg


EVENTS = _registry()

__all__ = [  # the vault's record, shared by the services that keep personal data
    "EVENTS",
    "PersonalDataAccessRefused",
    "PersonalDataAccessed",
    "PersonalDataRecorded",
    "SubjectErased",
]
