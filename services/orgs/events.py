"""orgs' events: what its log records and publishes. People appear by id only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.orgs import democracy
from shared import privacy
from shared.registry import EventRegistry
from shared.schemas import event_schema, one_of
from shared.validation import Pattern

UNION_KINDS = (
    "enterprise",  # 基层工会 of one employer
    "joint",  # 联合基层工会 of several small employers
    "industry",  # 行业工会联合会
    "dev_zone",  # 开发区总工会
    "township",  # 乡镇(街道)工会
    "community",  # 村(社区)工会
)
STAFF_KINDS = ("social_union_worker", "graduate_post", "public_welfare_post")
"""Notice 九: 社会化工会工作者, 高校毕业生岗位, 公益性岗位."""
SECTORS = ("education", "general")
CONTRACT_KINDS = ("comprehensive", "wages", "safety", "women", "industry", "regional")
ENDINGS = ("employer_closed", "employer_merged", "reorganised_by_higher_union")
"""工会法 Art. 13: a union is merged or dissolved only for these, never arbitrarily."""

# -- employers (未建会单位台账) ----------------------------------------------------------


@dataclass(frozen=True)
class EmployerRegistered:
    employer_id: str
    name: str
    kind: str
    started_on: date
    employees: int
    division_code: str


@dataclass(frozen=True)
class OrganizingTargetIdentified:
    """Flow F2: an employer with no union, old enough to organise (funds may assess 筹备金)."""

    employer_id: str
    kind: str
    employees: int
    identified_on: date
    policy_version: str


@dataclass(frozen=True)
class EmployerUnionised:
    union_id: str
    on: date


@dataclass(frozen=True)
class EmployerUnionEnded:
    """The employer's union was dissolved: the employer has no union until one is founded."""

    union_id: str
    reason: str
    on: date


@dataclass(frozen=True)
class EmployerDeregistered:
    employer_id: str
    reason: str
    deregistered_on: date


# -- grassroots unions ------------------------------------------------------------------


@dataclass(frozen=True)
class PreparatoryCommitteeApproved:
    union_id: str
    name: str
    kind: str
    parent_id: str
    employer_ids: tuple[str, ...]
    approved_by: str
    """工会法 Art. 12: the higher-level union approves."""
    approved_on: date


@dataclass(frozen=True)
class OrganiserAssigned:
    person_id: str
    staff_kind: str


@dataclass(frozen=True)
class UnionFounded:
    union_id: str
    employer_ids: tuple[str, ...]
    founded_on: date
    member_count: int
    committee_size: int
    """1 with ``organiser_only``: fewer than 25 members elected one organiser (组织员)."""
    organiser_only: bool
    term_years: int
    term_ends_on: date
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class UnionLegalPersonRegistered:
    union_id: str
    uscc: str
    registered_on: date


@dataclass(frozen=True)
class UnionSectorAssigned:
    """Flow F14: funds applies the education sector's 40 % rule to these employers."""

    union_id: str
    employer_ids: tuple[str, ...]
    sector: str


@dataclass(frozen=True)
class UnionReElectionDue:
    union_id: str
    term_ends_on: date


@dataclass(frozen=True)
class UnionReElected:
    union_id: str
    elected_on: date
    member_count: int
    committee_size: int
    term_years: int
    term_ends_on: date


@dataclass(frozen=True)
class UnionMerged:
    union_id: str
    into_union_id: str
    reason: str
    approved_by: str
    merged_on: date


@dataclass(frozen=True)
class UnionDissolved:
    """Flow F5: aid moves the union's open hardship files into custody."""

    union_id: str
    reason: str
    approved_by: str
    dissolved_on: date


# -- members -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MembershipApplied:
    person_id: str
    union_id: str
    applied_on: date
    personal_fields: tuple[str, ...]


@dataclass(frozen=True)
class MemberAdmitted:
    person_id: str
    union_id: str
    member_no: str
    occurred_on: date


@dataclass(frozen=True)
class MemberCardIssued:
    person_id: str
    card_id: str
    issued_on: date


@dataclass(frozen=True)
class MemberCardActivated:
    person_id: str
    card_id: str


@dataclass(frozen=True)
class MemberCardSuspended:
    person_id: str
    card_id: str
    reason: str


@dataclass(frozen=True)
class MemberCardCancelled:
    person_id: str
    card_id: str
    reason: str


@dataclass(frozen=True)
class MemberActivityRecorded:
    """Dues paid or a union activity joined: what keeps a membership from lapsing."""

    person_id: str
    kind: str
    on: date


@dataclass(frozen=True)
class MemberTransferred:
    person_id: str
    from_union: str
    to_union: str
    occurred_on: date


@dataclass(frozen=True)
class MemberLapseReminderSent:
    person_id: str
    reminded_on: date
    inactive_since: date


@dataclass(frozen=True)
class MemberLapsed:
    person_id: str
    union_id: str
    occurred_on: date
    inactive_since: date
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class MemberWithdrawn:
    person_id: str
    union_id: str
    occurred_on: date


@dataclass(frozen=True)
class MemberExpelled:
    person_id: str
    union_id: str
    occurred_on: date
    reason: str


# -- collective contracts ------------------------------------------------------------------


@dataclass(frozen=True)
class NegotiationProposed:
    contract_id: str
    kind: str
    union_id: str
    employer_ids: tuple[str, ...]
    proposed_by: str
    """The side that proposed in writing: union or employer."""
    proposed_on: date
    reply_due_on: date
    policy_version: str


@dataclass(frozen=True)
class NegotiationResponded:
    responded_on: date
    late: bool


@dataclass(frozen=True)
class NegotiationResponseOverdue:
    due_on: date


@dataclass(frozen=True)
class NegotiatorsAppointed:
    union_side: tuple[str, ...]
    employer_side: tuple[str, ...]
    union_chief: str
    employer_chief: str


@dataclass(frozen=True)
class NegotiationRoundHeld:
    round_no: int
    held_on: date
    summary: str


@dataclass(frozen=True)
class DraftAgreed:
    agreed_on: date
    term_years: int
    summary: str


@dataclass(frozen=True)
class DraftAdoptedByCongress:
    congress_id: str
    voted_on: date
    total_delegates: int
    present: int
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True)
class DraftRejectedByCongress:
    congress_id: str
    voted_on: date
    total_delegates: int
    present: int
    yes: int
    no: int
    abstain: int
    reason: str
    """NoQuorum, or NotMajorityOfAll (more than half of all delegates needed)."""


@dataclass(frozen=True)
class ContractSigned:
    signed_on: date
    filing_due_on: date


@dataclass(frozen=True)
class ContractFilingOverdue:
    due_on: date


@dataclass(frozen=True)
class ContractFiledForReview:
    filed_on: date
    review_ends_on: date
    late: bool


@dataclass(frozen=True)
class ReviewObjectionRaised:
    objections: tuple[str, ...]
    reviewed_on: date


@dataclass(frozen=True)
class ContractTookEffect:
    contract_id: str
    union_id: str
    employer_ids: tuple[str, ...]
    kind: str
    effective_on: date
    expires_on: date
    basis: str
    """'approved' by 人社, or 'no objection' within the review days (Art. 47)."""


@dataclass(frozen=True)
class ContractEffectWithdrawn:
    """人社's objection was dated within the review days but arrived after the timer had
    recorded the contract in force for want of one: it never lawfully took effect
    (集体合同规定 Art. 47). A ReviewObjectionRaised follows."""

    contract_id: str
    union_id: str
    employer_ids: tuple[str, ...]
    kind: str
    effective_on: date
    """The day it had been recorded in force from."""
    reviewed_on: date


@dataclass(frozen=True)
class LateReviewOpinionNoted:
    """An objection dated after the review days ended: recorded, but the contract stays
    in force (Art. 47: no objection within 15 days, and it took effect)."""

    objections: tuple[str, ...]
    reviewed_on: date


@dataclass(frozen=True)
class ContractPublished:
    published_on: date
    channel: str


@dataclass(frozen=True)
class RenewalWindowOpened:
    opens_on: date
    expires_on: date


@dataclass(frozen=True)
class ContractExpired:
    expired_on: date


@dataclass(frozen=True)
class ContractViolationReported:
    """Flow F12: aid opens legal aid for the workers named."""

    report_id: str
    contract_id: str
    union_id: str
    person_ids: tuple[str, ...]
    summary: str
    known_on: date


# -- the joint meeting (县政府—县总工会联席会议) -----------------------------------------------


@dataclass(frozen=True)
class BudgetImpact:
    fiscal_year: int
    line: str
    amount_fen: int
    name: str


class BudgetImpactSchema(Schema):
    fiscal_year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100))
    line = fields.String(required=True, validate=Pattern(r"^[a-z][a-z0-9_]{1,39}$"))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> BudgetImpact:
        return BudgetImpact(**data)


@dataclass(frozen=True)
class JointMeetingHeld:
    meeting_id: str
    held_on: date
    chaired_by: str
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class JointMeetingDecisionRecorded:
    """Flow F15: a decision with budget impact becomes a fiscal grant in funds."""

    meeting_id: str
    decision_id: str
    summary: str
    owner: str
    due_on: date
    budget_impact: BudgetImpact | None


@dataclass(frozen=True)
class DecisionItemClosed:
    decision_id: str
    closed_on: date
    note: str


@dataclass(frozen=True)
class JointMeetingOverdue:
    last_held_on: date | None
    due_on: date


@dataclass(frozen=True)
class DecisionItemOverdue:
    decision_id: str
    due_on: date


def _registry() -> EventRegistry:
    reg = EventRegistry()
    specific: dict[type, dict[str, fields.Field[Any]]] = {
        UnionFounded: {},
        PreparatoryCommitteeApproved: {"kind": one_of(*UNION_KINDS)},
        OrganiserAssigned: {"staff_kind": one_of(*STAFF_KINDS)},
        UnionSectorAssigned: {"sector": one_of(*SECTORS)},
        UnionMerged: {"reason": one_of(*ENDINGS)},
        UnionDissolved: {"reason": one_of(*ENDINGS)},
        EmployerUnionEnded: {"reason": one_of(*ENDINGS)},
        MemberActivityRecorded: {"kind": one_of("dues", "activity")},
        NegotiationProposed: {
            "kind": one_of(*CONTRACT_KINDS),
            "proposed_by": one_of("union", "employer"),
        },
        JointMeetingDecisionRecorded: {
            "budget_impact": fields.Nested(BudgetImpactSchema, allow_none=True, load_default=None)
        },
    }
    classes: tuple[type, ...] = (
        EmployerRegistered,
        OrganizingTargetIdentified,
        EmployerUnionised,
        EmployerUnionEnded,
        EmployerDeregistered,
        PreparatoryCommitteeApproved,
        OrganiserAssigned,
        UnionFounded,
        UnionLegalPersonRegistered,
        UnionSectorAssigned,
        UnionReElectionDue,
        UnionReElected,
        UnionMerged,
        UnionDissolved,
        MembershipApplied,
        MemberAdmitted,
        MemberCardIssued,
        MemberCardActivated,
        MemberCardSuspended,
        MemberCardCancelled,
        MemberActivityRecorded,
        MemberTransferred,
        MemberLapseReminderSent,
        MemberLapsed,
        MemberWithdrawn,
        MemberExpelled,
        NegotiationProposed,
        NegotiationResponded,
        NegotiationResponseOverdue,
        NegotiatorsAppointed,
        NegotiationRoundHeld,
        DraftAgreed,
        DraftAdoptedByCongress,
        DraftRejectedByCongress,
        ContractSigned,
        ContractFilingOverdue,
        ContractFiledForReview,
        ReviewObjectionRaised,
        ContractTookEffect,
        ContractEffectWithdrawn,
        LateReviewOpinionNoted,
        ContractPublished,
        RenewalWindowOpened,
        ContractExpired,
        ContractViolationReported,
        JointMeetingHeld,
        JointMeetingDecisionRecorded,
        DecisionItemClosed,
        JointMeetingOverdue,
        DecisionItemOverdue,
    )
    for cls in classes:
        reg.register(cls.__name__, event_schema(cls, **specific.get(cls, {})), event_class=cls)
    democracy.register(reg)
    privacy.register(reg)
    return reg


EVENTS = _registry()
