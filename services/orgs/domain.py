"""orgs' deciders: employers to organise, grassroots unions, members, collective
contracts and the joint meeting. Pure: dates and policy values come in the commands.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.orgs.democracy import quorum_met, resolution_passes
from services.orgs.events import (
    BudgetImpact,
    ContractEffectWithdrawn,
    ContractExpired,
    ContractFiledForReview,
    ContractFilingOverdue,
    ContractPublished,
    ContractSigned,
    ContractTookEffect,
    ContractViolationReported,
    DecisionItemClosed,
    DecisionItemOverdue,
    DraftAdoptedByCongress,
    DraftAgreed,
    DraftRejectedByCongress,
    EmployerDeregistered,
    EmployerRegistered,
    EmployerUnionEnded,
    EmployerUnionised,
    JointMeetingDecisionRecorded,
    JointMeetingHeld,
    JointMeetingOverdue,
    LateReviewOpinionNoted,
    MemberActivityRecorded,
    MemberAdmitted,
    MemberCardActivated,
    MemberCardCancelled,
    MemberCardIssued,
    MemberCardSuspended,
    MemberExpelled,
    MemberLapsed,
    MemberLapseReminderSent,
    MembershipApplied,
    MemberTransferred,
    MemberWithdrawn,
    NegotiationProposed,
    NegotiationResponded,
    NegotiationResponseOverdue,
    NegotiationRoundHeld,
    NegotiatorsAppointed,
    OrganiserAssigned,
    OrganizingTargetIdentified,
    PreparatoryCommitteeApproved,
    RenewalWindowOpened,
    ReviewObjectionRaised,
    UnionDissolved,
    UnionFounded,
    UnionLegalPersonRegistered,
    UnionMerged,
    UnionReElected,
    UnionReElectionDue,
    UnionSectorAssigned,
)
from shared.decider import Decider
from shared.errors import DomainError
from shared.privacy import Readable
from shared.rules import InvalidTransition
from shared.rules import need as _need
from shared.rules import refuse as _refuse


class CommitteeSizeInvalid(DomainError):
    """Committee size is odd and within the band for the membership (ACFTU election rules)."""

    code = "CommitteeSizeInvalid"


class NegotiatorsInvalid(DomainError):
    """集体合同规定 Arts. 19, 24: at least 3 a side, as many on each, no one on both."""

    code = "NegotiatorsInvalid"


class WrongCongress(DomainError):
    """集体合同规定 Art. 36: the draft goes to the congress of the workers it binds."""

    code = "WrongCongress"


class CardNotActive(DomainError):
    code = "CardNotActive"


class ApprovalRequired(DomainError):
    """工会法 Arts. 12-13: founding, merging and dissolving need the higher union's approval."""

    code = "ApprovalRequired"


READABLE: Readable = {
    "organising_staff": None,  # the member register in full (orgs)
    "grassroots_chair": None,  # own union's members only
    "auditor": None,  # read-only, each access logged
    "subject": None,  # the member's own record
    "caseworker": frozenset({"name", "phone"}),  # reads in jurisdiction, to reach the member
}
"""Domain §4.3, members column."""

ERASERS = frozenset({"organising_staff", "leader"})
"""Who may erase a member's personal data: the organising department and its leader."""


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# -- employers (未建会单位台账, flow F2) ------------------------------------------------------

TARGET_KINDS = ("non_public_enterprise", "new_economic_organisation", "new_social_organisation")
"""Notice 一 and 二: the organising drive is for non-public and new organisations."""


@dataclass(frozen=True)
class Employer:
    registered: bool = False
    kind: str = ""
    started_on: date | None = None
    employees: int = 0
    union_id: str | None = None
    targeted: bool = False
    deregistered: bool = False


@dataclass(frozen=True)
class RegisterEmployer:
    employer_id: str
    name: str
    kind: str
    started_on: date
    employees: int
    division_code: str
    today: date
    target_months: int
    policy_version: str


@dataclass(frozen=True)
class ReviewTarget:
    employer_id: str
    today: date
    target_months: int
    policy_version: str


@dataclass(frozen=True)
class LinkUnion:
    union_id: str
    on: date


@dataclass(frozen=True)
class HandOverUnion:
    """The employer's union ended: its employers pass to the union it merged into, or to none."""

    from_union_id: str
    into_union_id: str | None
    reason: str
    on: date


@dataclass(frozen=True)
class DeregisterEmployer:
    employer_id: str
    reason: str
    on: date


def evolve_employer(s: Employer, e: object) -> Employer:
    match e:
        case EmployerRegistered():
            # A union founded, or a deregistration, may reach the stream first: keep them.
            return replace(
                s, registered=True, kind=e.kind, started_on=e.started_on, employees=e.employees
            )
        case OrganizingTargetIdentified():
            return replace(s, targeted=True)
        case EmployerUnionised():
            return replace(s, union_id=e.union_id)
        case EmployerUnionEnded():
            return replace(s, union_id=None)
        case EmployerDeregistered():
            return replace(s, deregistered=True)
    return s


def _target(s: Employer, employer_id: str, today: date, months: int, version: str) -> list[object]:
    if s.targeted or s.union_id or s.deregistered or s.kind not in TARGET_KINDS:
        return []
    assert s.started_on is not None
    if _add_months(s.started_on, months) > today:
        return []  # too young yet; the daily review looks again
    return [OrganizingTargetIdentified(employer_id, s.kind, s.employees, today, version)]


def _add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def decide_employer(c: object, s: Employer) -> list[object]:
    match c:
        case RegisterEmployer():
            if s.registered:
                return []  # the same registration again (人社 and the platform both send it)
            registered = EmployerRegistered(
                c.employer_id, c.name, c.kind, c.started_on, c.employees, c.division_code
            )
            after = evolve_employer(s, registered)
            return [
                registered,
                *_target(after, c.employer_id, c.today, c.target_months, c.policy_version),
            ]
        case ReviewTarget():
            return _target(s, c.employer_id, c.today, c.target_months, c.policy_version)
        case LinkUnion():
            return [] if s.union_id == c.union_id else [EmployerUnionised(c.union_id, c.on)]
        case HandOverUnion():
            if s.union_id != c.from_union_id:
                return []  # handed over already, or the employer has moved on
            if c.into_union_id is None:
                return [EmployerUnionEnded(c.from_union_id, c.reason, c.on)]
            return [EmployerUnionised(c.into_union_id, c.on)]
        case DeregisterEmployer():
            return [] if s.deregistered else [EmployerDeregistered(c.employer_id, c.reason, c.on)]
    raise TypeError(f"not an employer command: {c!r}")


EMPLOYER: Decider[object, Employer, object] = Decider(Employer(), evolve_employer, decide_employer)


# -- GrassrootsUnion ---------------------------------------------------------------------

COMMITTEE_BANDS = (
    (10, 1, 1),
    (25, 3, 3),
    (100, 3, 5),
    (200, 5, 7),
    (500, 7, 9),
    (1000, 9, 15),
    (5000, 15, 21),
    (10000, 21, 29),
    (50000, 29, 37),
)
"""(up to N members, smallest, largest committee); above 50,000: 37 to 45. Always odd.

Source: ACFTU election rules as applied locally (Shenzhen Futian), domain §2.3 O1.
"""


def committee_band(members: int) -> tuple[int, int]:
    for most, low, high in COMMITTEE_BANDS:
        if members <= most:
            return low, high
    return 37, 45


@dataclass(frozen=True)
class Union:
    status: str = ""
    union_id: str = ""
    kind: str = ""
    parent_id: str = ""
    employer_ids: tuple[str, ...] = ()
    term_ends_on: date | None = None
    re_election_flagged: bool = False
    uscc: str | None = None
    sector: str | None = None
    ended: UnionMerged | UnionDissolved | None = None


def hand_over(union: Union) -> HandOverUnion | None:
    """What an ended union's employers do: follow it to the union it merged into, or to none."""
    match union.ended:
        case UnionMerged() as merged:
            return HandOverUnion(
                merged.union_id, merged.into_union_id, merged.reason, merged.merged_on
            )
        case UnionDissolved() as gone:
            return HandOverUnion(gone.union_id, None, gone.reason, gone.dissolved_on)
    return None


@dataclass(frozen=True)
class ApprovePreparatoryCommittee:
    union_id: str
    name: str
    kind: str
    parent_id: str
    employer_ids: tuple[str, ...]
    approver: str
    approver_role: str
    today: date


@dataclass(frozen=True)
class AssignOrganiser:
    person_id: str
    staff_kind: str


@dataclass(frozen=True)
class FoundUnion:
    founded_on: date
    member_count: int
    committee_size: int
    term_years: int
    committee_min_members: int
    allowed_terms: tuple[int, ...]
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class RegisterLegalPerson:
    uscc: str
    registered_on: date


@dataclass(frozen=True)
class AssignSector:
    sector: str


@dataclass(frozen=True)
class FlagReElection:
    today: date
    notice_days: int


@dataclass(frozen=True)
class ReElect:
    elected_on: date
    member_count: int
    committee_size: int
    term_years: int
    committee_min_members: int
    allowed_terms: tuple[int, ...]


@dataclass(frozen=True)
class EndUnion:
    """Merge (``into_union_id``) or dissolve, with a lawful reason and the approval."""

    reason: str
    approver: str
    approver_role: str
    on: date
    into_union_id: str | None = None
    into_status: str = ""
    """The status of the union merged into (the adapter reads it): it must be active."""


HIGHER_UNION_ROLES = ("organising_staff", "leader")
"""Who acts for the county federation (the higher-level union) in approvals."""

ACTIVE_UNION = ("founded", "registered")


def _committee(members: int, size: int, minimum: int) -> bool:
    """Organiser only below ``minimum`` members; otherwise odd and within the band."""
    if members < minimum and size == 1:
        return True
    low, high = committee_band(members)
    return size % 2 == 1 and low <= size <= high


def evolve_union(s: Union, e: object) -> Union:
    match e:
        case PreparatoryCommitteeApproved():
            return Union("preparatory", e.union_id, e.kind, e.parent_id, e.employer_ids)
        case UnionFounded():
            return replace(s, status="founded", term_ends_on=e.term_ends_on)
        case UnionLegalPersonRegistered():
            return replace(s, status="registered", uscc=e.uscc)
        case UnionSectorAssigned():
            return replace(s, sector=e.sector)
        case UnionReElectionDue():
            return replace(s, re_election_flagged=True)
        case UnionReElected():
            return replace(s, term_ends_on=e.term_ends_on, re_election_flagged=False)
        case UnionMerged():
            return replace(s, status="merged", ended=e)
        case UnionDissolved():
            return replace(s, status="dissolved", ended=e)
    return s


def _approved_by_higher_union(role: str, what: str) -> None:
    if role not in HIGHER_UNION_ROLES:
        raise ApprovalRequired(
            f"{what} needs the approval of the higher-level union",
            role=role,
            allowed_roles=list(HIGHER_UNION_ROLES),
        )


def decide_union(c: object, s: Union) -> list[object]:
    match c:
        case ApprovePreparatoryCommittee():
            if s.status:
                raise _refuse(s.status, c)
            _approved_by_higher_union(c.approver_role, "a preparatory committee")
            return [
                PreparatoryCommitteeApproved(
                    c.union_id, c.name, c.kind, c.parent_id, c.employer_ids, c.approver, c.today
                )
            ]
        case AssignOrganiser():
            _need(s.status, c, "preparatory", *ACTIVE_UNION)
            return [OrganiserAssigned(c.person_id, c.staff_kind)]
        case FoundUnion():
            _need(s.status, c, "preparatory")
            _check_election(c.member_count, c.committee_size, c.term_years, c)
            ends = _add_years(c.founded_on, c.term_years)
            return [
                UnionFounded(
                    s.union_id,
                    s.employer_ids,
                    c.founded_on,
                    c.member_count,
                    c.committee_size,
                    c.committee_size == 1 and c.member_count < c.committee_min_members,
                    c.term_years,
                    ends,
                    c.policy_versions,
                )
            ]
        case RegisterLegalPerson():
            _need(s.status, c, "founded")
            return [UnionLegalPersonRegistered(s.union_id, c.uscc, c.registered_on)]
        case AssignSector():
            _need(s.status, c, *ACTIVE_UNION)
            if s.sector == c.sector:
                return []
            return [UnionSectorAssigned(s.union_id, s.employer_ids, c.sector)]
        case FlagReElection():
            if s.status not in ACTIVE_UNION or s.re_election_flagged or s.term_ends_on is None:
                return []
            if c.today < s.term_ends_on - timedelta(days=c.notice_days):
                return []
            return [UnionReElectionDue(s.union_id, s.term_ends_on)]
        case ReElect():
            _need(s.status, c, *ACTIVE_UNION)
            _check_election(c.member_count, c.committee_size, c.term_years, c)
            ends = _add_years(c.elected_on, c.term_years)
            return [
                UnionReElected(
                    s.union_id,
                    c.elected_on,
                    c.member_count,
                    c.committee_size,
                    c.term_years,
                    ends,
                )
            ]
        case EndUnion():
            _need(s.status, c, "preparatory", *ACTIVE_UNION)
            _approved_by_higher_union(c.approver_role, "merging or dissolving a union")
            if c.into_union_id is not None:
                if c.into_union_id == s.union_id:
                    raise InvalidTransition("a union cannot merge into itself")
                if c.into_status not in ACTIVE_UNION:
                    raise InvalidTransition(
                        f"union {c.into_union_id} is not an active union to merge into",
                        field="into_union_id",
                        status=c.into_status or "none",
                    )
                return [UnionMerged(s.union_id, c.into_union_id, c.reason, c.approver, c.on)]
            return [UnionDissolved(s.union_id, c.reason, c.approver, c.on)]
    raise TypeError(f"not a union command: {c!r}")


def _check_election(members: int, size: int, term: int, c: FoundUnion | ReElect) -> None:
    if term not in c.allowed_terms:
        raise InvalidTransition(
            "a committee's term is 3 or 5 years (工会法 Art. 16)",
            field="term_years",
            allowed=list(c.allowed_terms),
        )
    if not _committee(members, size, c.committee_min_members):
        low, high = committee_band(members)
        raise CommitteeSizeInvalid(
            f"{members} members elect an odd committee of {low} to {high}"
            + (" (or one organiser)" if members < c.committee_min_members else ""),
            field="committee_size",
            low=low,
            high=high,
        )


UNION: Decider[object, Union, object] = Decider(Union(), evolve_union, decide_union)


# -- Member -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    status: str = ""
    union_id: str = ""
    card_id: str | None = None
    card_status: str = "none"
    last_active: date | None = None
    reminded_on: date | None = None


@dataclass(frozen=True)
class Apply:
    person_id: str
    union_id: str
    applied_on: date
    personal_fields: tuple[str, ...]


@dataclass(frozen=True)
class Admit:
    person_id: str
    member_no: str
    on: date
    union_active: bool


@dataclass(frozen=True)
class IssueCard:
    person_id: str
    card_id: str
    on: date


@dataclass(frozen=True)
class ChangeCard:
    person_id: str
    action: str
    """activate, suspend or cancel."""
    reason: str


@dataclass(frozen=True)
class RecordActivity:
    person_id: str
    kind: str
    on: date


@dataclass(frozen=True)
class TransferMember:
    person_id: str
    to_union: str
    on: date
    union_active: bool


@dataclass(frozen=True)
class CheckLapse:
    person_id: str
    today: date
    lapse_months: int
    grace_days: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class Leave:
    person_id: str
    how: str
    """withdrawn (退会) or expelled."""
    on: date
    reason: str


def evolve_member(s: Member, e: object) -> Member:
    match e:
        case MembershipApplied():
            return Member("applied", e.union_id)
        case MemberAdmitted():
            return replace(s, status="active", last_active=e.occurred_on, reminded_on=None)
        case MemberCardIssued():
            return replace(s, card_id=e.card_id, card_status="issued")
        case MemberCardActivated():
            return replace(s, card_status="active")
        case MemberCardSuspended():
            return replace(s, card_status="suspended")
        case MemberCardCancelled():
            return replace(s, card_status="cancelled")
        case MemberActivityRecorded():
            latest = max(e.on, s.last_active) if s.last_active else e.on
            return replace(s, last_active=latest, reminded_on=None)
        case MemberTransferred():
            return replace(s, union_id=e.to_union)
        case MemberLapseReminderSent():
            return replace(s, reminded_on=e.reminded_on)
        case MemberLapsed():
            return replace(s, status="lapsed", card_status=_ended(s.card_status))
        case MemberWithdrawn():
            return replace(s, status="withdrawn", card_status=_ended(s.card_status))
        case MemberExpelled():
            return replace(s, status="expelled", card_status=_ended(s.card_status))
    return s


def _ended(card_status: str) -> str:
    """A card is good only while the membership is: it stops with it."""
    return "cancelled" if card_status != "none" else "none"


def decide_member(c: object, s: Member) -> list[object]:
    match c:
        case Apply():
            if s.status in ("applied", "active"):
                return []
            return [MembershipApplied(c.person_id, c.union_id, c.applied_on, c.personal_fields)]
        case Admit():
            _need(s.status, c, "applied")
            if not c.union_active:
                raise InvalidTransition("the union is not founded, or has ended", field="union_id")
            return [MemberAdmitted(c.person_id, s.union_id, c.member_no, c.on)]
        case IssueCard():
            _need(s.status, c, "active")
            if s.card_status in ("issued", "active"):
                return []
            return [MemberCardIssued(c.person_id, c.card_id, c.on)]
        case ChangeCard():
            if s.card_id is None:
                raise InvalidTransition("no card was issued", field="card_id")
            return _card(c, s)
        case RecordActivity():
            _need(s.status, c, "active")
            if s.last_active is not None and c.on <= s.last_active:
                return []
            return [MemberActivityRecorded(c.person_id, c.kind, c.on)]
        case TransferMember():
            _need(s.status, c, "active")
            if not c.union_active:
                raise InvalidTransition("the receiving union is not active", field="to_union")
            if c.to_union == s.union_id:
                return []
            return [MemberTransferred(c.person_id, s.union_id, c.to_union, c.on)]
        case CheckLapse():
            return _lapse(c, s)
        case Leave():
            _need(s.status, c, "active", "applied")
            if c.how == "expelled":
                return [MemberExpelled(c.person_id, s.union_id, c.on, c.reason)]
            return [MemberWithdrawn(c.person_id, s.union_id, c.on)]
    raise TypeError(f"not a member command: {c!r}")


def _card(c: ChangeCard, s: Member) -> list[object]:
    assert s.card_id is not None
    if c.action == "activate":
        if s.status != "active":
            raise CardNotActive("only an active member's card is activated", status=s.status)
        if s.card_status == "active":
            return []
        _card_is(s, "issued", "suspended")
        return [MemberCardActivated(c.person_id, s.card_id)]
    if c.action == "suspend":
        if s.card_status == "suspended":
            return []
        _card_is(s, "active")
        return [MemberCardSuspended(c.person_id, s.card_id, c.reason)]
    if s.card_status == "cancelled":
        return []
    return [MemberCardCancelled(c.person_id, s.card_id, c.reason)]


def _card_is(s: Member, *allowed: str) -> None:
    if s.card_status not in allowed:
        raise InvalidTransition(f"the card is {s.card_status}", card_status=s.card_status)


def _lapse(c: CheckLapse, s: Member) -> list[object]:
    """章程 Art. 5: six months without dues or activity, and not corrected after a reminder."""
    if s.status != "active" or s.last_active is None:
        return []
    if _add_months(s.last_active, c.lapse_months) > c.today:
        return []
    if s.reminded_on is None:
        return [MemberLapseReminderSent(c.person_id, c.today, s.last_active)]
    if c.today < s.reminded_on + timedelta(days=c.grace_days):
        return []
    return [MemberLapsed(c.person_id, s.union_id, c.today, s.last_active, c.policy_versions)]


MEMBER: Decider[object, Member, object] = Decider(Member(), evolve_member, decide_member)


# -- CollectiveContract (集体合同) --------------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    status: str = ""
    contract_id: str = ""
    kind: str = ""
    union_id: str = ""
    employer_ids: tuple[str, ...] = ()
    reply_due_on: date | None = None
    reply_overdue: bool = False
    rounds: int = 0
    term_years: int = 0
    filing_due_on: date | None = None
    filing_overdue: bool = False
    review_ends_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    effect_basis: str = ""
    """How it took effect: 'approved' by 人社, or 'no objection' when the review days ran out."""
    last_objection: tuple[date, tuple[str, ...]] | None = None
    """The latest review objection (its date and points): a copy of it sent again is known."""
    renewal_open: bool = False
    reports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Propose:
    contract_id: str
    kind: str
    union_id: str
    employer_ids: tuple[str, ...]
    proposed_by: str
    proposed_on: date
    reply_days: int
    policy_version: str


@dataclass(frozen=True)
class Respond:
    responded_on: date


@dataclass(frozen=True)
class AppointNegotiators:
    union_side: tuple[str, ...]
    employer_side: tuple[str, ...]
    union_chief: str
    employer_chief: str
    minimum: int


@dataclass(frozen=True)
class HoldRound:
    held_on: date
    summary: str


@dataclass(frozen=True)
class AgreeDraft:
    agreed_on: date
    term_years: int
    summary: str


@dataclass(frozen=True)
class CongressVote:
    congress_id: str
    congress_union_id: str
    """The union whose congress voted: it must be the contract's union."""
    congress_kind: str
    congress_unit_id: str
    """An enterprise congress is one employer's: that employer must be bound by the contract."""
    voted_on: date
    total_delegates: int
    present: int
    yes: int
    no: int
    abstain: int
    quorum: tuple[int, int]


@dataclass(frozen=True)
class Sign:
    signed_on: date
    filing_days: int


@dataclass(frozen=True)
class File:
    filed_on: date
    review_days: int


@dataclass(frozen=True)
class Reviewed:
    opinion: str
    objections: tuple[str, ...]
    reviewed_on: date


@dataclass(frozen=True)
class Publish:
    published_on: date
    channel: str


@dataclass(frozen=True)
class ContractDeadlines:
    today: date
    renewal_days: int


@dataclass(frozen=True)
class ReportViolation:
    report_id: str
    person_ids: tuple[str, ...]
    summary: str
    known_on: date


def evolve_contract(s: Contract, e: object) -> Contract:
    match e:
        case NegotiationProposed():
            return Contract(
                "proposed", e.contract_id, e.kind, e.union_id, e.employer_ids, e.reply_due_on
            )
        case NegotiationResponded():
            return replace(s, status="responded")
        case NegotiationResponseOverdue():
            return replace(s, reply_overdue=True)
        case NegotiatorsAppointed():
            return replace(s, status="negotiating")
        case NegotiationRoundHeld():
            return replace(s, rounds=s.rounds + 1)
        case DraftAgreed():
            return replace(s, status="draft_agreed", term_years=e.term_years)
        case DraftAdoptedByCongress():
            return replace(s, status="adopted")
        case DraftRejectedByCongress():
            return replace(s, status="negotiating")
        case ContractSigned():
            return replace(s, status="signed", filing_due_on=e.filing_due_on)
        case ContractFilingOverdue():
            return replace(s, filing_overdue=True)
        case ContractFiledForReview():
            return replace(s, status="under_review", review_ends_on=e.review_ends_on)
        case ReviewObjectionRaised():
            return replace(
                s,
                status="negotiating",
                review_ends_on=None,
                last_objection=(e.reviewed_on, e.objections),
            )
        case ContractTookEffect():
            return replace(
                s,
                status="effective",
                effective_on=e.effective_on,
                expires_on=e.expires_on,
                effect_basis=e.basis,
            )
        case ContractEffectWithdrawn():
            return replace(
                s,
                status="under_review",
                effective_on=None,
                expires_on=None,
                effect_basis="",
                renewal_open=False,
            )
        case ContractPublished():
            return replace(s, status="published")
        case RenewalWindowOpened():
            return replace(s, renewal_open=True)
        case ContractExpired():
            return replace(s, status="expired")
        case ContractViolationReported():
            return replace(s, reports=(*s.reports, e.report_id))
    return s


IN_FORCE = ("effective", "published")


def decide_contract(c: object, s: Contract) -> list[object]:
    match c:
        case Propose():
            if s.status and s.status not in ("expired",):
                raise _refuse(s.status, c, "none", "expired")
            due = c.proposed_on + timedelta(days=c.reply_days)
            return [
                NegotiationProposed(
                    c.contract_id,
                    c.kind,
                    c.union_id,
                    c.employer_ids,
                    c.proposed_by,
                    c.proposed_on,
                    due,
                    c.policy_version,
                )
            ]
        case Respond():
            _need(s.status, c, "proposed")
            assert s.reply_due_on is not None
            return [NegotiationResponded(c.responded_on, c.responded_on > s.reply_due_on)]
        case AppointNegotiators():
            _need(s.status, c, "responded")
            _check_negotiators(c)
            return [
                NegotiatorsAppointed(c.union_side, c.employer_side, c.union_chief, c.employer_chief)
            ]
        case HoldRound():
            _need(s.status, c, "negotiating")
            return [NegotiationRoundHeld(s.rounds + 1, c.held_on, c.summary)]
        case AgreeDraft():
            _need(s.status, c, "negotiating")
            if s.rounds == 0:
                raise InvalidTransition("a draft is agreed in a negotiation round", field="rounds")
            if not 1 <= c.term_years <= 3:
                # 集体合同规定 Art. 38: one to three years.
                raise InvalidTransition("a contract runs 1 to 3 years", field="term_years")
            return [DraftAgreed(c.agreed_on, c.term_years, c.summary)]
        case CongressVote():
            _need(s.status, c, "draft_agreed")
            if c.congress_union_id != s.union_id:
                raise WrongCongress(
                    f"congress {c.congress_id} belongs to union {c.congress_union_id},"
                    f" not to {s.union_id}, the contract's union",
                    field="congress_id",
                )
            if c.congress_kind == "enterprise" and c.congress_unit_id not in s.employer_ids:
                # A joint union's employers each have their own congress (联合基层工会).
                raise WrongCongress(
                    f"congress {c.congress_id} is {c.congress_unit_id}'s, an employer the"
                    " contract does not bind",
                    field="congress_id",
                )
            return [_vote(c)]
        case Sign():
            _need(s.status, c, "adopted")
            return [ContractSigned(c.signed_on, c.signed_on + timedelta(days=c.filing_days))]
        case File():
            _need(s.status, c, "signed")
            assert s.filing_due_on is not None
            ends = c.filed_on + timedelta(days=c.review_days)
            return [ContractFiledForReview(c.filed_on, ends, c.filed_on > s.filing_due_on)]
        case Reviewed():
            if s.status in IN_FORCE:
                return _reviewed_in_force(s, c)
            again = (c.reviewed_on, c.objections) == s.last_objection
            if c.opinion == "objections" and again and s.status != "under_review":
                return []  # the same objection sent again (another message id)
            _need(s.status, c, "under_review")
            if c.opinion == "objections":
                return [ReviewObjectionRaised(c.objections, c.reviewed_on)]
            return [_took_effect(s, c.reviewed_on, "approved")]
        case Publish():
            _need(s.status, c, "effective")
            return [ContractPublished(c.published_on, c.channel)]
        case ContractDeadlines():
            return _contract_deadlines(c, s)
        case ReportViolation():
            _need(s.status, c, *IN_FORCE)
            if c.report_id in s.reports:
                return []
            return [
                ContractViolationReported(
                    c.report_id, s.contract_id, s.union_id, c.person_ids, c.summary, c.known_on
                )
            ]
    raise TypeError(f"not a contract command: {c!r}")


def _check_negotiators(c: AppointNegotiators) -> None:
    union, employer = set(c.union_side), set(c.employer_side)
    problems = []
    if len(union) != len(c.union_side) or len(employer) != len(c.employer_side):
        problems.append("a negotiator is named twice")
    if len(union) < c.minimum or len(employer) < c.minimum:
        problems.append(f"at least {c.minimum} negotiators a side")
    if len(union) != len(employer):
        problems.append("as many negotiators on each side")
    if union & employer:
        problems.append("no one negotiates for both sides")
    if c.union_chief not in union or c.employer_chief not in employer:
        problems.append("each chief representative is one of their side's negotiators")
    if problems:
        raise NegotiatorsInvalid("; ".join(problems), problems=problems)


def _vote(c: CongressVote) -> object:
    """集体合同规定 Art. 36: two thirds present; more than half of ALL delegates say yes."""
    if c.yes + c.no + c.abstain > c.present or c.present > c.total_delegates:
        raise InvalidTransition(
            "votes exceed those present, or those present exceed the delegates",
            field="present",
        )
    counts = (c.congress_id, c.voted_on, c.total_delegates, c.present, c.yes, c.no, c.abstain)
    num, den = c.quorum
    if not quorum_met(c.total_delegates, c.present, num, den):
        return DraftRejectedByCongress(*counts, "NoQuorum")
    if not resolution_passes(c.total_delegates, c.yes):
        return DraftRejectedByCongress(*counts, "NotMajorityOfAll")
    return DraftAdoptedByCongress(*counts)


def _reviewed_in_force(s: Contract, c: Reviewed) -> list[object]:
    """人社's opinion delivered after the contract was recorded in force."""
    if c.opinion == "approved":
        return []  # resent, or after the review days ran out: in force either way
    assert s.effective_on is not None and s.review_ends_on is not None
    if s.effect_basis == "no objection" and c.reviewed_on <= s.review_ends_on:
        # Dated in time: the timer only acted first because the message came late.
        withdrawn = ContractEffectWithdrawn(
            s.contract_id, s.union_id, s.employer_ids, s.kind, s.effective_on, c.reviewed_on
        )
        return [withdrawn, ReviewObjectionRaised(c.objections, c.reviewed_on)]
    return [LateReviewOpinionNoted(c.objections, c.reviewed_on)]


def _took_effect(s: Contract, on: date, basis: str) -> ContractTookEffect:
    return ContractTookEffect(
        s.contract_id,
        s.union_id,
        s.employer_ids,
        s.kind,
        on,
        _add_years(on, s.term_years),
        basis,
    )


def _contract_deadlines(c: ContractDeadlines, s: Contract) -> list[object]:
    out: list[object] = []
    if s.status == "proposed" and not s.reply_overdue:
        assert s.reply_due_on is not None
        if c.today > s.reply_due_on:  # Art. 32: a reply within 20 days
            out.append(NegotiationResponseOverdue(s.reply_due_on))
    if s.status == "signed" and not s.filing_overdue:
        assert s.filing_due_on is not None
        if c.today > s.filing_due_on:  # Art. 42: filed within 10 days of signing
            out.append(ContractFilingOverdue(s.filing_due_on))
    if s.status == "under_review":
        assert s.review_ends_on is not None
        if c.today > s.review_ends_on:
            # Art. 47: no objection within the review days, and it takes effect the day after.
            out.append(_took_effect(s, s.review_ends_on + timedelta(days=1), "no objection"))
    if s.status in IN_FORCE and s.expires_on is not None:
        if not s.renewal_open and c.today >= s.expires_on - timedelta(days=c.renewal_days):
            out.append(
                RenewalWindowOpened(s.expires_on - timedelta(days=c.renewal_days), s.expires_on)
            )
        if c.today >= s.expires_on:
            out.append(ContractExpired(s.expires_on))
    return out


CONTRACT: Decider[object, Contract, object] = Decider(Contract(), evolve_contract, decide_contract)


# -- the joint meeting (notice 一) ----------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    last_held_on: date | None = None
    meetings: frozenset[str] = frozenset()
    open_items: tuple[tuple[str, date], ...] = ()
    overdue_items: frozenset[str] = frozenset()
    overdue_flagged_for: date | None = None


@dataclass(frozen=True)
class HoldJointMeeting:
    meeting_id: str
    held_on: date
    chaired_by: str
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class RecordDecision:
    meeting_id: str
    decision_id: str
    summary: str
    owner: str
    due_on: date
    budget_impact: BudgetImpact | None


@dataclass(frozen=True)
class CloseDecision:
    decision_id: str
    closed_on: date
    note: str


@dataclass(frozen=True)
class JointMeetingDeadlines:
    today: date
    interval_days: int
    established_on: date
    """When nothing was ever held: the year is counted from here."""


def evolve_series(s: Series, e: object) -> Series:
    match e:
        case JointMeetingHeld():
            last = max(e.held_on, s.last_held_on) if s.last_held_on else e.held_on
            return replace(s, last_held_on=last, meetings=s.meetings | {e.meeting_id})
        case JointMeetingDecisionRecorded():
            return replace(s, open_items=(*s.open_items, (e.decision_id, e.due_on)))
        case DecisionItemClosed():
            items = tuple(i for i in s.open_items if i[0] != e.decision_id)
            return replace(s, open_items=items)
        case DecisionItemOverdue():
            return replace(s, overdue_items=s.overdue_items | {e.decision_id})
        case JointMeetingOverdue():
            return replace(s, overdue_flagged_for=e.due_on)
    return s


def decide_series(c: object, s: Series) -> list[object]:
    match c:
        case HoldJointMeeting():
            if c.meeting_id in s.meetings:
                return []
            return [JointMeetingHeld(c.meeting_id, c.held_on, c.chaired_by, c.attendees)]
        case RecordDecision():
            if c.meeting_id not in s.meetings:
                raise InvalidTransition("no such meeting was held", field="meeting_id")
            if any(d == c.decision_id for d, _ in s.open_items):
                return []
            return [
                JointMeetingDecisionRecorded(
                    c.meeting_id, c.decision_id, c.summary, c.owner, c.due_on, c.budget_impact
                )
            ]
        case CloseDecision():
            if not any(d == c.decision_id for d, _ in s.open_items):
                raise InvalidTransition("no open decision with this id", field="decision_id")
            return [DecisionItemClosed(c.decision_id, c.closed_on, c.note)]
        case JointMeetingDeadlines():
            out: list[object] = []
            since = s.last_held_on or c.established_on
            due = since + timedelta(days=c.interval_days)
            if c.today > due and s.overdue_flagged_for != due:
                out.append(JointMeetingOverdue(s.last_held_on, due))
            out.extend(
                DecisionItemOverdue(d, on)
                for d, on in s.open_items
                if c.today > on and d not in s.overdue_items
            )
            return out
    raise TypeError(f"not a joint meeting command: {c!r}")


JOINT_MEETING: Decider[object, Series, object] = Decider(Series(), evolve_series, decide_series)


def employer_stream(employer_id: str) -> str:
    return f"Employer-{employer_id}"


def union_stream(union_id: str) -> str:
    return f"Union-{union_id}"


def member_stream(person_id: str) -> str:
    return f"Member-{person_id}"


def contract_stream(contract_id: str) -> str:
    return f"Contract-{contract_id}"


JOINT_MEETING_STREAM = "JointMeeting-county"

__all__ = [  # the shared refusals, named from here by callers and tests
    "InvalidTransition",
]
