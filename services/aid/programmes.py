"""aid's other deciders: seasonal campaigns, mutual aid, legal aid, recuperation,
what aid knows of members, and the vault's subjects. Pure, like domain.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from services.aid.domain import NotEligible
from services.aid.events import (
    BeneficiaryRosterPublished,
    CampaignBeneficiaryAdded,
    CampaignBeneficiaryPaid,
    CampaignClosed,
    CampaignEnvelopeRefused,
    CampaignEnvelopeReserved,
    CampaignOpened,
    CampaignPlanned,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
    LegalAidAccepted,
    LegalAidAssigned,
    LegalAidAwardDeadlineExtended,
    LegalAidConcluded,
    LegalAidDeadlineWarned,
    LegalAidDeclined,
    LegalAidRequested,
    LegalAidStageChanged,
    MembershipNoted,
    ModelWorkerNoted,
    MutualAidClaimFiled,
    MutualAidClaimPaid,
    MutualAidClaimRejected,
    MutualAidEnrolled,
    RecuperationCompleted,
    RecuperationFundingAnswered,
    RecuperationNominated,
    RecuperationParticipantsApproved,
    RecuperationPlanned,
    RecuperationPriorityRaised,
    RecuperationSettled,
    SubsistenceAllowanceNoted,
)
from shared.decider import Decider
from shared.errors import DomainError
from shared.privacy import Readable, Subject, subject_decider
from shared.rules import InvalidTransition
from shared.rules import refuse as _refuse


class EnvelopeExceeded(DomainError):
    code = "EnvelopeExceeded"


class NotAnActiveMember(DomainError):
    """Flow F4: mutual aid and member-only benefits need an active union member."""

    code = "NotAnActiveMember"


def _need(status: str, c: object, *allowed: str) -> None:
    if status not in allowed:
        raise _refuse(status, c, *allowed)


# -- SeasonalCampaign -------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    status: str = ""
    campaign_id: str = ""
    fiscal_year: int = 0
    line: str = ""
    envelope_fen: int = 0
    closes_on: date | None = None
    request_id: str | None = None
    attempts: int = 0
    roster: dict[str, int] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    published: bool = False


@dataclass(frozen=True)
class PlanCampaign:
    campaign_id: str
    season: str
    programme: str
    fiscal_year: int
    envelope_fen: int
    line: str
    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class OpenCampaign:
    today: date
    settle_days: int = 30
    """How long after closing the envelope stays held, for the last payments to settle."""


@dataclass(frozen=True)
class EnvelopeAnswer:
    request_id: str
    reserved: bool
    reason: str


@dataclass(frozen=True)
class AddBeneficiary:
    household_id: str
    amount_fen: int
    file_status: str | None


@dataclass(frozen=True)
class PublishRoster:
    pass


@dataclass(frozen=True)
class PayBeneficiary:
    household_id: str
    voucher_ref: str


@dataclass(frozen=True)
class CloseCampaign:
    today: date


def evolve_campaign(s: Campaign, e: object) -> Campaign:
    match e:
        case CampaignPlanned():
            return Campaign(
                "planned", e.campaign_id, e.fiscal_year, e.line, e.envelope_fen, e.closes_on
            )
        case CampaignOpened():
            return replace(s, status="opening", request_id=e.request_id, attempts=s.attempts + 1)
        case CampaignEnvelopeReserved():
            return replace(s, status="open")
        case CampaignEnvelopeRefused():
            return replace(s, status="refused")
        case CampaignBeneficiaryAdded():
            return replace(s, roster={**s.roster, e.household_id: e.amount_fen})
        case BeneficiaryRosterPublished():
            return replace(s, published=True)
        case CampaignBeneficiaryPaid():
            return replace(s, paid={**s.paid, e.household_id: e.amount_fen})
        case CampaignClosed():
            return replace(s, status="closed")
    return s


def decide_campaign(c: object, s: Campaign) -> list[object]:
    match c:
        case PlanCampaign():
            if s.status:
                raise _refuse(s.status, c)
            if c.closes_on <= c.opens_on:
                raise InvalidTransition("a campaign closes after it opens", field="closes_on")
            return [
                CampaignPlanned(
                    c.campaign_id,
                    c.season,
                    c.programme,
                    c.fiscal_year,
                    c.envelope_fen,
                    c.line,
                    c.opens_on,
                    c.closes_on,
                )
            ]
        case OpenCampaign():
            _need(s.status, c, "planned", "refused")
            request_id = f"campaign:{s.campaign_id}.{s.attempts + 1}"
            # Domain §2.1 A3: the envelope is reserved when the campaign opens, and
            # held until it closes (not only funds' usual reservation days).
            return [
                CampaignOpened(request_id),
                FundsReservationRequested(
                    request_id,
                    s.fiscal_year,
                    s.line,
                    s.envelope_fen,
                    f"Campaign-{s.campaign_id}",
                    s.closes_on + timedelta(days=c.settle_days) if s.closes_on else None,
                ),
            ]
        case EnvelopeAnswer():
            if c.request_id != s.request_id or s.status != "opening":
                if s.status == "closed" and c.reserved and c.request_id == s.request_id:
                    return [FundsReleaseRequested(c.request_id, s.fiscal_year, s.line, "closed")]
                return []
            if c.reserved:
                return [CampaignEnvelopeReserved(c.request_id, s.envelope_fen)]
            return [CampaignEnvelopeRefused(c.request_id, c.reason)]
        case AddBeneficiary():
            _need(s.status, c, "open")
            if s.published:
                raise InvalidTransition("the roster is published", field="household_id")
            if c.file_status != "filed":
                # Beneficiaries are drawn from filed households (domain §2.1 A3, F16).
                raise NotEligible(
                    "only a filed household can be on a campaign roster",
                    household_id=c.household_id,
                    file_status=c.file_status or "none",
                )
            if c.household_id in s.roster:
                return []
            total = sum(s.roster.values()) + c.amount_fen
            if total > s.envelope_fen:
                raise EnvelopeExceeded(
                    "the roster would exceed the campaign's envelope",
                    envelope_fen=s.envelope_fen,
                    roster_fen=total,
                )
            return [CampaignBeneficiaryAdded(c.household_id, c.amount_fen)]
        case PublishRoster():
            _need(s.status, c, "open")
            if s.published:
                return []
            return [BeneficiaryRosterPublished(len(s.roster), sum(s.roster.values()))]
        case PayBeneficiary():
            _need(s.status, c, "open")
            if not s.published:
                raise InvalidTransition("pay after the roster is published", field="household_id")
            if c.household_id not in s.roster:
                raise NotEligible("not on the roster", household_id=c.household_id)
            if c.household_id in s.paid:
                return []
            return [
                CampaignBeneficiaryPaid(c.household_id, s.roster[c.household_id], c.voucher_ref)
            ]
        case CloseCampaign():
            _need(s.status, c, "planned", "opening", "open", "refused")
            spent = sum(s.paid.values())
            if s.status != "open":
                out: list[object] = [CampaignClosed(0, 0)]
                if s.status == "opening" and s.request_id:
                    # The answer may still be a yes: ask funds to let it go.
                    out.append(FundsReleaseRequested(s.request_id, s.fiscal_year, s.line, "closed"))
                return out
            assert s.request_id is not None
            closed = CampaignClosed(spent, s.envelope_fen - spent)
            if spent == 0:
                return [
                    closed,
                    FundsReleaseRequested(s.request_id, s.fiscal_year, s.line, "unused"),
                ]
            # funds records the spend and releases the rest of the envelope with it.
            ref = f"Campaign-{s.campaign_id}-{c.today.isoformat()}"
            return [closed, FundsSpendReported(s.request_id, s.fiscal_year, s.line, spent, ref)]
    raise TypeError(f"not a campaign command: {c!r}")


CAMPAIGN: Decider[object, Campaign, object] = Decider(Campaign(), evolve_campaign, decide_campaign)


# -- MutualAid enrolment and claims ------------------------------------------------------


@dataclass(frozen=True)
class Enrollment:
    enrolled: bool = False
    plan_year: int = 0
    active_from: date | None = None
    claims: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Enroll:
    plan_year: int
    person_id: str
    union_id: str
    member_status: str
    today: date
    waiting_days: int
    contribution_fen: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class FileClaim:
    claim_id: str
    treated_on: date
    inputs_ref: tuple[str, ...]


@dataclass(frozen=True)
class ReviewClaim:
    claim_id: str
    approve: bool
    reason: str
    uncovered_fen: int
    """What basic medical insurance left of the cost (from the vault)."""
    reimburse_bp: int
    cap_fen: int
    policy_versions: tuple[str, ...]


def evolve_enrollment(s: Enrollment, e: object) -> Enrollment:
    match e:
        case MutualAidEnrolled():
            return Enrollment(True, e.plan_year, e.active_from)
        case MutualAidClaimFiled():
            return replace(s, claims={**s.claims, e.claim_id: "filed"})
        case MutualAidClaimPaid():
            return replace(s, claims={**s.claims, e.claim_id: "paid"})
        case MutualAidClaimRejected():
            return replace(s, claims={**s.claims, e.claim_id: "rejected"})
    return s


def decide_enrollment(c: object, s: Enrollment) -> list[object]:
    match c:
        case Enroll():
            if s.enrolled:
                return []
            if c.member_status != "active":
                raise NotAnActiveMember(
                    "mutual aid enrolment needs an active union member",
                    person_id=c.person_id,
                    member_status=c.member_status,
                )
            return [
                MutualAidEnrolled(
                    c.plan_year,
                    c.person_id,
                    c.union_id,
                    c.contribution_fen,
                    c.today + timedelta(days=c.waiting_days),
                    c.policy_versions,
                )
            ]
        case FileClaim():
            if not s.enrolled:
                raise NotEligible("not enrolled in this plan year", field="plan_year")
            if c.claim_id in s.claims:
                return []
            filed = MutualAidClaimFiled(c.claim_id, c.treated_on, c.inputs_ref)
            assert s.active_from is not None
            if c.treated_on < s.active_from:
                # The waiting period: cover starts after it (provincial plan).
                return [filed, MutualAidClaimRejected(c.claim_id, "WaitingPeriod")]
            if c.treated_on.year != s.plan_year:
                return [filed, MutualAidClaimRejected(c.claim_id, "OutsidePlanYear")]
            return [filed]
        case ReviewClaim():
            if s.claims.get(c.claim_id) != "filed":
                raise _refuse(s.claims.get(c.claim_id, ""), c, "filed")
            if not c.approve:
                return [MutualAidClaimRejected(c.claim_id, c.reason)]
            # Pays a share of what basic medical insurance left, up to a cap.
            amount = min(c.cap_fen, c.uncovered_fen * c.reimburse_bp // 10_000)
            return [MutualAidClaimPaid(c.claim_id, amount, c.policy_versions)]
    raise TypeError(f"not an enrolment command: {c!r}")


ENROLLMENT: Decider[object, Enrollment, object] = Decider(
    Enrollment(), evolve_enrollment, decide_enrollment
)


# -- LegalAidCase ---------------------------------------------------------------------


@dataclass(frozen=True)
class Legal:
    status: str = ""
    stage: str | None = None
    arbitration_limit_on: date | None = None
    award_due_on: date | None = None
    extended: bool = False
    warned: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RequestLegalAid:
    case_id: str
    person_id: str
    union_id: str
    matter_ref: str
    knew_on: date
    source: str
    limit_days: int
    policy_version: str


@dataclass(frozen=True)
class DecideLegalAid:
    accept: bool
    by: str
    reason: str


@dataclass(frozen=True)
class AssignLegalAid:
    assignee: str


@dataclass(frozen=True)
class ChangeStage:
    stage: str
    started_on: date
    award_days: int


@dataclass(frozen=True)
class ExtendAward:
    extension_days: int


@dataclass(frozen=True)
class WarnDeadlines:
    today: date
    warn_days: int
    """Before the one-year arbitration limit."""
    award_warn_days: int = 7
    """Before an arbitration award is due (a much shorter clock)."""


@dataclass(frozen=True)
class ConcludeLegalAid:
    outcome: str
    today: date


def evolve_legal(s: Legal, e: object) -> Legal:
    match e:
        case LegalAidRequested():
            return Legal("requested", arbitration_limit_on=e.arbitration_limit_on)
        case LegalAidAccepted():
            return replace(s, status="accepted")
        case LegalAidDeclined():
            return replace(s, status="declined")
        case LegalAidAssigned():
            return replace(s, status="in_progress")
        case LegalAidStageChanged():
            return replace(s, stage=e.stage, award_due_on=e.award_due_on)
        case LegalAidAwardDeadlineExtended():
            return replace(s, award_due_on=e.award_due_on, extended=True)
        case LegalAidDeadlineWarned():
            return replace(s, warned=s.warned | {f"{e.deadline}@{e.due_on.isoformat()}"})
        case LegalAidConcluded():
            return replace(s, status="concluded")
    return s


def decide_legal(c: object, s: Legal) -> list[object]:
    match c:
        case RequestLegalAid():
            if s.status:
                return []  # the same matter again (a redelivered breach report)
            limit = c.knew_on + timedelta(days=c.limit_days)
            return [
                LegalAidRequested(
                    c.case_id,
                    c.person_id,
                    c.union_id,
                    c.matter_ref,
                    c.knew_on,
                    c.source,
                    limit,
                    c.policy_version,
                )
            ]
        case DecideLegalAid():
            _need(s.status, c, "requested")
            if c.accept:
                return [LegalAidAccepted(c.by)]
            return [LegalAidDeclined(c.reason)]
        case AssignLegalAid():
            _need(s.status, c, "accepted", "in_progress")
            return [LegalAidAssigned(c.assignee)]
        case ChangeStage():
            _need(s.status, c, "in_progress")
            # 劳动争议调解仲裁法 Art. 43: the award within 45 days of accepting the case.
            due = c.started_on + timedelta(days=c.award_days) if c.stage == "arbitration" else None
            return [LegalAidStageChanged(c.stage, c.started_on, due)]
        case ExtendAward():
            _need(s.status, c, "in_progress")
            if s.stage != "arbitration" or s.award_due_on is None:
                raise InvalidTransition("only an arbitration's award can be extended")
            if s.extended:
                raise InvalidTransition("Art. 43 allows one extension of 15 days")
            return [LegalAidAwardDeadlineExtended(s.award_due_on + timedelta(c.extension_days))]
        case WarnDeadlines():
            return _warnings(c, s)
        case ConcludeLegalAid():
            _need(s.status, c, "in_progress", "accepted")
            return [LegalAidConcluded(c.outcome, c.today)]
    raise TypeError(f"not a legal aid command: {c!r}")


def _warnings(c: WarnDeadlines, s: Legal) -> list[object]:
    if s.status not in ("requested", "accepted", "in_progress"):
        return []
    due: list[tuple[str, date, int]] = []
    if s.stage in (None, "consultation", "mediation") and s.arbitration_limit_on is not None:
        # Art. 27: one year to apply for arbitration.
        due.append(("arbitration_limit", s.arbitration_limit_on, c.warn_days))
    if s.stage == "arbitration" and s.award_due_on is not None:
        due.append(("award", s.award_due_on, c.award_warn_days))
    return [
        LegalAidDeadlineWarned(name, on)
        for name, on, days in due
        if c.today >= on - timedelta(days=days) and f"{name}@{on.isoformat()}" not in s.warned
    ]


LEGAL_AID: Decider[object, Legal, object] = Decider(Legal(), evolve_legal, decide_legal)


# -- RecuperationProgramme (疗休养) ---------------------------------------------------


PRIORITY = ("model_worker", "front_line", "general")
"""Model workers first, then front-line workers (domain §2.1 A6)."""


@dataclass(frozen=True)
class Recuperation:
    status: str = ""
    programme_id: str = ""
    fiscal_year: int = 0
    line: str = ""
    quota: int = 0
    budget_fen: int = 0
    per_person_fen: int = 0
    nominated: tuple[tuple[str, str], ...] = ()
    approved: tuple[str, ...] = ()
    funding: str = "none"
    """none, pending (asked of funds), reserved or refused."""


@dataclass(frozen=True)
class PlanRecuperation:
    programme_id: str
    fiscal_year: int
    quota: int
    budget_fen: int
    per_person_fen: int
    line: str


@dataclass(frozen=True)
class Nominate:
    person_id: str
    priority: str
    by: str


@dataclass(frozen=True)
class ApproveParticipants:
    by: str


@dataclass(frozen=True)
class RecuperationFunding:
    request_id: str
    reserved: bool
    reason: str


@dataclass(frozen=True)
class CompleteRecuperation:
    attended: tuple[str, ...]


@dataclass(frozen=True)
class SettleRecuperation:
    amount_fen: int
    voucher_ref: str


def evolve_recuperation(s: Recuperation, e: object) -> Recuperation:
    match e:
        case RecuperationPlanned():
            return Recuperation(
                "planned",
                e.programme_id,
                e.fiscal_year,
                e.line,
                e.quota,
                e.budget_fen,
                e.per_person_fen,
            )
        case RecuperationNominated():
            return replace(s, nominated=(*s.nominated, (e.person_id, e.priority)))
        case RecuperationPriorityRaised():
            raised = tuple(
                (p, e.to_priority if p == e.person_id else priority) for p, priority in s.nominated
            )
            return replace(s, nominated=raised)
        case RecuperationParticipantsApproved():
            return replace(s, status="approved", approved=e.person_ids, funding="pending")
        case RecuperationFundingAnswered():
            return replace(s, funding="reserved" if e.reserved else "refused")
        case RecuperationCompleted():
            return replace(s, status="completed")
        case RecuperationSettled():
            return replace(s, status="settled")
    return s


def decide_recuperation(c: object, s: Recuperation) -> list[object]:
    match c:
        case PlanRecuperation():
            if s.status:
                raise _refuse(s.status, c)
            if c.quota * c.per_person_fen > c.budget_fen:
                raise EnvelopeExceeded(
                    "the quota at the per-person cost exceeds the budget",
                    quota=c.quota,
                    per_person_fen=c.per_person_fen,
                    budget_fen=c.budget_fen,
                )
            return [
                RecuperationPlanned(
                    c.programme_id, c.fiscal_year, c.quota, c.budget_fen, c.per_person_fen, c.line
                )
            ]
        case Nominate():
            _need(s.status, c, "planned")
            had = dict(s.nominated).get(c.person_id)
            if had is None:
                return [RecuperationNominated(c.person_id, c.priority, c.by)]
            if PRIORITY.index(c.priority) < PRIORITY.index(had):
                # Ranks higher now; the place in the nomination order is kept.
                return [RecuperationPriorityRaised(c.person_id, had, c.priority, c.by)]
            return []  # nominated already, as high or higher
        case ApproveParticipants():
            _need(s.status, c, "planned")
            ranked = sorted(enumerate(s.nominated), key=lambda x: (PRIORITY.index(x[1][1]), x[0]))
            order = tuple(p for _, (p, _) in ranked)
            chosen = order[: s.quota]
            approved = RecuperationParticipantsApproved(chosen, order[s.quota :], c.by)
            amount = len(chosen) * s.per_person_fen
            if amount == 0:
                return [approved, RecuperationFundingAnswered("", True, "nothing to pay")]
            rid = f"recup:{s.programme_id}"
            ref = f"Recuperation-{s.programme_id}"
            # Settled against funds: the places' cost is reserved when they are approved,
            # and held to the end of the year the trips are taken in.
            hold = date(s.fiscal_year, 12, 31)
            return [
                approved,
                FundsReservationRequested(rid, s.fiscal_year, s.line, amount, ref, hold),
            ]
        case RecuperationFunding():
            if s.funding != "pending" or c.request_id != f"recup:{s.programme_id}":
                return []
            return [RecuperationFundingAnswered(c.request_id, c.reserved, c.reason)]
        case CompleteRecuperation():
            _need(s.status, c, "approved")
            if stray := sorted(set(c.attended) - set(s.approved)):
                raise NotEligible("only approved participants attend", person_ids=stray)
            return [RecuperationCompleted(c.attended)]
        case SettleRecuperation():
            _need(s.status, c, "completed")
            reserved = len(s.approved) * s.per_person_fen
            if c.amount_fen > reserved:
                raise EnvelopeExceeded(
                    "settlement exceeds what was reserved for the approved places",
                    reserved_fen=reserved,
                )
            settled = RecuperationSettled(c.amount_fen, c.voucher_ref)
            if reserved == 0:
                return [settled]
            if s.funding != "reserved":
                raise NotEligible("funds has not reserved the programme's money", funding=s.funding)
            rid = f"recup:{s.programme_id}"
            spend = FundsSpendReported(rid, s.fiscal_year, s.line, c.amount_fen, c.voucher_ref)
            return [settled, spend]
    raise TypeError(f"not a recuperation command: {c!r}")


RECUPERATION: Decider[object, Recuperation, object] = Decider(
    Recuperation(), evolve_recuperation, decide_recuperation
)


# -- what aid knows of a person from other services (flows F4, F8) -----------------------


@dataclass(frozen=True)
class Person:
    member_status: str = "unknown"
    union_id: str | None = None
    since: date | None = None
    model_worker: str | None = None


@dataclass(frozen=True)
class NoteMembership:
    person_id: str
    union_id: str
    status: str
    since: date
    source_event: str


_LEVELS = ("county", "city", "province", "national")
"""Model-worker title levels, lowest first (as competitions publishes them)."""


@dataclass(frozen=True)
class NoteModelWorker:
    person_id: str
    level: str
    source_event: str


def evolve_person(s: Person, e: object) -> Person:
    match e:
        case MembershipNoted():
            return replace(s, member_status=e.status, union_id=e.union_id, since=e.since)
        case ModelWorkerNoted():
            return replace(s, model_worker=e.level)
    return s


def decide_person(c: object, s: Person) -> list[object]:
    match c:
        case NoteMembership():
            if s.since is not None and c.since < s.since:
                return []  # an older change delivered late does not undo a newer one
            if (s.member_status, s.union_id, s.since) == (c.status, c.union_id, c.since):
                return []
            return [MembershipNoted(c.person_id, c.union_id, c.status, c.since, c.source_event)]
        case NoteModelWorker():
            if s.model_worker and _LEVELS.index(c.level) <= _LEVELS.index(s.model_worker):
                return []  # the highest title counts; a lower one registered later does not
            return [ModelWorkerNoted(c.person_id, c.level, c.source_event)]
    raise TypeError(f"not a person command: {c!r}")


PERSON: Decider[object, Person, object] = Decider(Person(), evolve_person, decide_person)


# -- the vault's subjects (PIPL) -------------------------------------------------------

_HARDSHIP_FIELDS = frozenset(
    {
        "name",
        "id_number",
        "phone",
        "illness",
        "household_size",
        "per_capita_monthly_income_fen",
        "rigid_expenditure_yearly_fen",
        "event_costs_yearly_fen",
        "home_visit_findings",
        "legal_matter",
    }
)

READABLE: Readable = {
    "caseworker": None,  # full, own caseload (帮扶中心)
    "auditor": None,  # read-only, each access logged, need-to-know
    "grassroots_chair": _HARDSHIP_FIELDS,  # own members only, for 初审; no bank details
    "finance_officer": frozenset({"bank_account"}),  # for the payment step only
    "subject": None,  # the person's own data (PIPL Art. 45; 档案办法)
}
"""Domain §4.3: who may read which personal fields (None: all). Other roles: none."""

ERASERS = frozenset({"caseworker", "leader"})
"""Who may erase a subject: the 帮扶中心 (retention ended, or the person asked) and its leader."""

SUBJECT: Decider[object, Subject, object] = subject_decider(READABLE)


def campaign_stream(campaign_id: str) -> str:
    return f"Campaign-{campaign_id}"


def enrollment_stream(plan_year: int, person_id: str) -> str:
    return f"MutualAid-{plan_year}.{person_id}"


def legal_stream(case_id: str) -> str:
    return f"LegalAid-{case_id}"


def recuperation_stream(programme_id: str) -> str:
    return f"Recuperation-{programme_id}"


def person_stream(person_id: str) -> str:
    return f"Person-{person_id}"


# -- 低保 status from civil affairs ----------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    status_ref: tuple[str, ...] = ()
    """The vault's version of the status (the status itself is the vault's)."""
    effective_on: date | None = None


@dataclass(frozen=True)
class NoteAllowance:
    household_id: str
    status_ref: tuple[str, ...]
    effective_on: date
    dibao_standard_fen: int


def is_stale(s: Allowance, effective_on: date) -> bool:
    """A status older than the one noted, delivered late: not the household's status now."""
    return s.effective_on is not None and effective_on < s.effective_on


def evolve_allowance(s: Allowance, e: object) -> Allowance:
    if isinstance(e, SubsistenceAllowanceNoted):
        return Allowance(e.status_ref, e.effective_on)
    return s


def decide_allowance(c: object, s: Allowance) -> list[object]:
    if not isinstance(c, NoteAllowance):
        raise TypeError(f"not an allowance command: {c!r}")
    if is_stale(s, c.effective_on):
        return []
    return [
        SubsistenceAllowanceNoted(
            c.household_id, c.status_ref, c.effective_on, c.dibao_standard_fen
        )
    ]


ALLOWANCE: Decider[object, Allowance, object] = Decider(
    Allowance(), evolve_allowance, decide_allowance
)


def allowance_stream(household_id: str) -> str:
    return f"Allowance-{household_id}"
