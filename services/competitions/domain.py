"""competitions' deciders: competitions and the 安康杯, rationalisation proposals,
innovation studios and startup bases. Pure: dates, policy values and what other
streams say come in the commands. Honours and the model-worker registry are in
honours.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from services.competitions.events import (
    Award,
    AwardRefused,
    AwardsConferred,
    CompetitionAnnounced,
    CompetitionArchived,
    CompetitionCancelled,
    CompetitionStarted,
    CongressEndorsementNoted,
    FatalAccidentRecorded,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
    ParticipantRegistered,
    PrizeFundsAnswered,
    PrizesPaid,
    ProposalAdopted,
    ProposalBenefitAssessed,
    ProposalEvaluated,
    ProposalImplemented,
    ProposalNotAdopted,
    ProposalRewarded,
    ProposalScreened,
    ProposalSubmitted,
    RegistrationOpened,
    ResultObjectionRaised,
    ResultObjectionResolved,
    ResultsPublicized,
    SafetyAgreementNoted,
    SafetyAgreementWithdrawn,
    ScoreRecorded,
    StudioApplicationRefused,
    StudioApplied,
    StudioNamed,
    StudioProjectRecorded,
    StudioReconfirmationDue,
    StudioReconfirmed,
    StudioResultRecorded,
    StudioReviewed,
    StudioRevoked,
    StudioSubsidyPaid,
    StudioSubsidyPending,
    StudioSubsidyRequested,
    StudioSubsidyReserved,
    StudioSubsidySuperseded,
)
from services.competitions.honours import level_at_least
from shared.decider import Decider
from shared.errors import DomainError
from shared.rules import InvalidTransition
from shared.rules import need as _need
from shared.rules import refuse as _refuse


class NotEligible(DomainError):
    code = "NotEligible"


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


# -- Competition (劳动和技能竞赛, 技术比武, 安康杯) ------------------------------------------------


@dataclass(frozen=True)
class Competition:
    status: str = ""
    competition_id: str = ""
    kind: str = ""
    fiscal_year: int = 0
    line: str = ""
    participants: dict[str, str] = field(default_factory=dict)
    """participant → unit."""
    scores: dict[str, int] = field(default_factory=dict)
    fatal: frozenset[str] = frozenset()
    awards: tuple[Award, ...] = ()
    notice_ends_on: date | None = None
    objections: dict[str, tuple[str, bool | None]] = field(default_factory=dict)
    """objection → (participant, upheld: None while open)."""
    request_id: str | None = None
    attempts: int = 0
    funding: str = "none"
    """none, pending, reserved, refused, paid."""


@dataclass(frozen=True)
class Announce:
    competition_id: str
    kind: str
    title: str
    fiscal_year: int
    round: str
    line: str
    announced_on: date


@dataclass(frozen=True)
class OpenRegistration:
    on: date


@dataclass(frozen=True)
class RegisterParticipant:
    participant_id: str
    unit_id: str


@dataclass(frozen=True)
class StartCompetition:
    on: date


@dataclass(frozen=True)
class RecordScore:
    participant_id: str
    score: int
    judge: str


@dataclass(frozen=True)
class RecordFatalAccident:
    participant_id: str
    occurred_on: date
    reference: str


@dataclass(frozen=True)
class PublishResults:
    proposed: tuple[Award, ...]
    starts_on: date
    notice_days: int
    ankang_min_score: int
    safety_in_force: frozenset[str]
    """Units with a 劳动安全卫生专项集体合同 in force (from orgs, flow F13)."""
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class RaiseResultObjection:
    objection_id: str
    participant_id: str
    summary: str


@dataclass(frozen=True)
class ResolveResultObjection:
    objection_id: str
    upheld: bool
    finding: str


@dataclass(frozen=True)
class ConferAwards:
    today: date


@dataclass(frozen=True)
class PrizeFunds:
    request_id: str
    reserved: bool
    reason: str
    lapsed: bool = False
    """funds let the reservation expire: the prizes wait on funds again, visibly."""


@dataclass(frozen=True)
class PayPrizes:
    voucher_ref: str


@dataclass(frozen=True)
class RequestPrizeFunds:
    """Ask again once funds has money on the line (after a refusal)."""


@dataclass(frozen=True)
class ArchiveCompetition:
    on: date


@dataclass(frozen=True)
class CancelCompetition:
    reason: str


def evolve_competition(s: Competition, e: object) -> Competition:
    match e:
        case CompetitionAnnounced():
            return Competition("announced", e.competition_id, e.kind, e.fiscal_year, e.line)
        case RegistrationOpened():
            return replace(s, status="registration")
        case ParticipantRegistered():
            return replace(s, participants={**s.participants, e.participant_id: e.unit_id})
        case CompetitionStarted():
            return replace(s, status="in_progress")
        case ScoreRecorded():
            return replace(s, status="judging", scores={**s.scores, e.participant_id: e.score})
        case FatalAccidentRecorded():
            return replace(s, fatal=s.fatal | {e.participant_id})
        case ResultsPublicized():
            return replace(s, status="public_notice", awards=e.awards, notice_ends_on=e.ends_on)
        case ResultObjectionRaised():
            raised = (e.participant_id, None)
            return replace(s, objections={**s.objections, e.objection_id: raised})
        case ResultObjectionResolved():
            participant = s.objections[e.objection_id][0]
            return replace(s, objections={**s.objections, e.objection_id: (participant, e.upheld)})
        case AwardsConferred():
            return replace(s, status="awarded", awards=e.awards)
        case FundsReservationRequested():
            return replace(s, request_id=e.request_id, attempts=s.attempts + 1, funding="pending")
        case PrizeFundsAnswered():
            return replace(s, funding="reserved" if e.reserved else "refused")
        case PrizesPaid():
            return replace(s, funding="paid")
        case CompetitionArchived():
            return replace(s, status="archived")
        case CompetitionCancelled():
            return replace(s, status="cancelled")
    return s


def decide_competition(c: object, s: Competition) -> list[object]:
    match c:
        case Announce():
            if s.status:
                raise _refuse(s.status, c)
            return [
                CompetitionAnnounced(
                    c.competition_id,
                    c.kind,
                    c.title,
                    c.fiscal_year,
                    c.round,
                    c.line,
                    c.announced_on,
                )
            ]
        case OpenRegistration():
            _need(s.status, c, "announced")
            return [RegistrationOpened(c.on)]
        case RegisterParticipant():
            _need(s.status, c, "registration")
            if c.participant_id in s.participants:
                return []
            return [ParticipantRegistered(c.participant_id, c.unit_id)]
        case StartCompetition():
            _need(s.status, c, "registration")
            if not s.participants:
                raise InvalidTransition("no one registered", field="participants")
            return [CompetitionStarted(c.on)]
        case RecordScore():
            _need(s.status, c, "in_progress", "judging")
            if c.participant_id not in s.participants:
                raise NotEligible("not registered", participant_id=c.participant_id)
            if not 0 <= c.score <= 100:
                raise InvalidTransition("a score is 0 to 100 points", field="score")
            return [ScoreRecorded(c.participant_id, c.score, c.judge)]
        case RecordFatalAccident():
            _need(s.status, c, "registration", "in_progress", "judging", "public_notice")
            if c.participant_id in s.fatal:
                return []
            return [FatalAccidentRecorded(c.participant_id, c.occurred_on, c.reference)]
        case PublishResults():
            _need(s.status, c, "judging")
            return [_results(c, s)]
        case RaiseResultObjection():
            _need(s.status, c, "public_notice")
            return [ResultObjectionRaised(c.objection_id, c.participant_id, c.summary)]
        case ResolveResultObjection():
            _need(s.status, c, "public_notice")
            if s.objections.get(c.objection_id, ("", False))[1] is not None:
                raise InvalidTransition("no open objection with this id", field="objection_id")
            return [ResultObjectionResolved(c.objection_id, c.upheld, c.finding)]
        case ConferAwards():
            return _confer(c, s)
        case PrizeFunds():
            if c.lapsed:
                if c.request_id != s.request_id or s.funding != "reserved":
                    return []
                return [PrizeFundsAnswered(c.request_id, False, "ReservationExpired")]
            if c.request_id != s.request_id or s.funding != "pending":
                if s.status == "cancelled" and c.reserved and c.request_id == s.request_id:
                    return [FundsReleaseRequested(c.request_id, s.fiscal_year, s.line, "cancelled")]
                return []
            return [PrizeFundsAnswered(c.request_id, c.reserved, c.reason)]
        case RequestPrizeFunds():
            _need(s.status, c, "awarded")
            if s.funding != "refused":
                raise InvalidTransition("prize money is not waiting on funds", funding=s.funding)
            return [_prize_request(s)]
        case PayPrizes():
            _need(s.status, c, "awarded")
            if s.funding != "reserved":
                raise InvalidTransition("funds has not reserved the prizes", funding=s.funding)
            assert s.request_id is not None
            total = sum(a.prize_fen for a in s.awards)
            return [
                PrizesPaid(total, c.voucher_ref),
                FundsSpendReported(s.request_id, s.fiscal_year, s.line, total, c.voucher_ref),
            ]
        case ArchiveCompetition():
            _need(s.status, c, "awarded")
            if s.funding in ("pending", "reserved"):
                raise InvalidTransition("pay or release the prizes first", funding=s.funding)
            return [CompetitionArchived(c.on)]
        case CancelCompetition():
            _need(
                s.status, c, "announced", "registration", "in_progress", "judging", "public_notice"
            )
            return [CompetitionCancelled(c.reason)]
    raise TypeError(f"not a competition command: {c!r}")


def _results(c: PublishResults, s: Competition) -> ResultsPublicized:
    awards, refused = [], []
    for a in c.proposed:
        reason = _award_refusal(a, c, s)
        if reason:
            refused.append(AwardRefused(a.participant_id, reason))
        else:
            awards.append(a)
    ends = c.starts_on + timedelta(days=c.notice_days)
    return ResultsPublicized(tuple(awards), tuple(refused), c.starts_on, ends, c.policy_versions)


def _award_refusal(a: Award, c: PublishResults, s: Competition) -> str | None:
    if a.participant_id not in s.participants:
        return "NotRegistered"
    if s.kind != "ankang":
        return None
    # 安康杯 (domain §2.2 C1): a fatal accident vetoes; the score must reach the threshold;
    # the unit needs a labour-safety special agreement in force (flow F13).
    if a.participant_id in s.fatal:
        return "FatalAccident"
    if s.scores.get(a.participant_id, 0) < c.ankang_min_score:
        return "BelowThreshold"
    if s.participants[a.participant_id] not in c.safety_in_force:
        return "NoSafetyAgreement"
    return None


def _confer(c: ConferAwards, s: Competition) -> list[object]:
    _need(s.status, c, "public_notice")
    assert s.notice_ends_on is not None
    if c.today < s.notice_ends_on:
        raise InvalidTransition(
            "awards are conferred after the public notice ends",
            ends_on=s.notice_ends_on.isoformat(),
        )
    if any(upheld is None for _, upheld in s.objections.values()):
        raise InvalidTransition("an objection is still open", field="objections")
    # An upheld objection, or (安康杯) a fatal accident found during the notice, removes the
    # award: the veto is the 安康杯's, as at publication (_award_refusal).
    vetoed = s.fatal if s.kind == "ankang" else frozenset()
    lost = {p for p, upheld in s.objections.values() if upheld} | vetoed
    awards = tuple(a for a in s.awards if a.participant_id not in lost)
    total = sum(a.prize_fen for a in awards)
    conferred = AwardsConferred(s.competition_id, awards, total, c.today)
    if total == 0:
        return [conferred]
    after = replace(s, awards=awards)
    return [conferred, _prize_request(after)]


def _prize_request(s: Competition) -> FundsReservationRequested:
    request_id = f"prize:{s.competition_id}.{s.attempts + 1}"
    total = sum(a.prize_fen for a in s.awards)
    ref = f"Competition-{s.competition_id}"
    # Held to the year's end: a prize-giving can be months after the awards.
    hold = date(s.fiscal_year, 12, 31)
    return FundsReservationRequested(request_id, s.fiscal_year, s.line, total, ref, hold)


COMPETITION: Decider[object, Competition, object] = Decider(
    Competition(), evolve_competition, decide_competition
)


# -- RationalizationProposal (合理化建议) -----------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    status: str = ""
    benefit_fen: int = 0


@dataclass(frozen=True)
class SubmitProposal:
    proposal_id: str
    unit_id: str
    proposer_ids: tuple[str, ...]
    title: str
    submitted_on: date


@dataclass(frozen=True)
class ScreenProposal:
    passed: bool
    opinion: str


@dataclass(frozen=True)
class EvaluateProposal:
    score: int
    evaluators: tuple[str, ...]


@dataclass(frozen=True)
class DecideProposal:
    adopt: bool
    on: date
    reason: str


@dataclass(frozen=True)
class ImplementProposal:
    on: date


@dataclass(frozen=True)
class AssessBenefit:
    value_fen: int
    method: str


@dataclass(frozen=True)
class RewardProposal:
    amount_fen: int
    voucher_ref: str


def evolve_proposal(s: Proposal, e: object) -> Proposal:
    match e:
        case ProposalSubmitted():
            return Proposal("submitted")
        case ProposalScreened():
            return replace(s, status="screened" if e.passed else "screened_out")
        case ProposalEvaluated():
            return replace(s, status="evaluated")
        case ProposalAdopted():
            return replace(s, status="adopted")
        case ProposalNotAdopted():
            return replace(s, status="not_adopted")
        case ProposalImplemented():
            return replace(s, status="implemented")
        case ProposalBenefitAssessed():
            return replace(s, status="benefit_assessed", benefit_fen=e.value_fen)
        case ProposalRewarded():
            return replace(s, status="rewarded")
    return s


def decide_proposal(c: object, s: Proposal) -> list[object]:
    match c:
        case SubmitProposal():
            if s.status:
                raise _refuse(s.status, c)
            return [
                ProposalSubmitted(c.proposal_id, c.unit_id, c.proposer_ids, c.title, c.submitted_on)
            ]
        case ScreenProposal():
            _need(s.status, c, "submitted")
            return [ProposalScreened(c.passed, c.opinion)]
        case EvaluateProposal():
            _need(s.status, c, "screened")
            if not 0 <= c.score <= 100:
                raise InvalidTransition("a score is 0 to 100 points", field="score")
            return [ProposalEvaluated(c.score, c.evaluators)]
        case DecideProposal():
            _need(s.status, c, "evaluated")
            return [ProposalAdopted(c.on)] if c.adopt else [ProposalNotAdopted(c.reason)]
        case ImplementProposal():
            _need(s.status, c, "adopted")
            return [ProposalImplemented(c.on)]
        case AssessBenefit():
            _need(s.status, c, "implemented")
            return [ProposalBenefitAssessed(c.value_fen, c.method)]
        case RewardProposal():
            _need(s.status, c, "benefit_assessed")
            return [ProposalRewarded(c.amount_fen, c.voucher_ref)]
    raise TypeError(f"not a proposal command: {c!r}")


PROPOSAL: Decider[object, Proposal, object] = Decider(Proposal(), evolve_proposal, decide_proposal)


# -- InnovationStudio and ModelWorkerStartupBase ----------------------------------------------


@dataclass(frozen=True)
class Studio:
    status: str = ""
    studio_id: str = ""
    kind: str = ""
    level: str = ""
    leader_id: str = ""
    team_ids: tuple[str, ...] = ()
    fiscal_year: int = 0
    line: str = ""
    named_on: date | None = None
    reconfirm_due_on: date | None = None
    due_flagged: bool = False
    projects: frozenset[int] = frozenset()
    """Years with at least one project recorded."""
    request_id: str | None = None
    attempts: int = 0
    subsidy_fen: int = 0
    subsidy: str = "none"
    """none, pending (asked), reserved, refused, paid."""
    subsidy_basis: str = ""
    subsidy_version: str = ""
    """The last request's basis (new, reconfirmed) and policy version, for asking again."""
    superseded: tuple[tuple[str, int, str], ...] = ()
    """(request, fiscal year, line) of subsidies given up unpaid: a late yes is released."""


@dataclass(frozen=True)
class ApplyStudio:
    studio_id: str
    kind: str
    name: str
    unit_id: str
    leader_id: str
    team_ids: tuple[str, ...]
    level: str
    applied_on: date


@dataclass(frozen=True)
class ReviewStudio:
    reviewer: str
    opinion: str


@dataclass(frozen=True)
class NameStudio:
    named_on: date
    leader_level: str | None
    """The leader's model-worker level from the registry (None: not a model worker)."""
    leader_active: bool
    min_team: int
    reconfirm_years: int
    subsidy_fen: int
    subsidy_version: str
    line: str
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class SubsidyAnswer:
    request_id: str
    reserved: bool
    reason: str
    lapsed: bool = False
    """funds let the reservation expire: the subsidy is pending again, visibly."""


@dataclass(frozen=True)
class RequestSubsidyAgain:
    """After a refusal, once the line has money."""


@dataclass(frozen=True)
class PaySubsidy:
    voucher_ref: str


@dataclass(frozen=True)
class RecordProject:
    project_id: str
    year: int
    title: str


@dataclass(frozen=True)
class RecordResult:
    result_id: str
    kind: str
    title: str
    benefit_fen: int


@dataclass(frozen=True)
class FlagReconfirmation:
    today: date


@dataclass(frozen=True)
class Reconfirm:
    today: date
    reconfirm_years: int
    subsidy_fen: int
    policy_version: str


@dataclass(frozen=True)
class Revoke:
    reason: str
    today: date


NAMED = ("named", "due")


def evolve_studio(s: Studio, e: object) -> Studio:
    match e:
        case StudioApplied():
            # A new application after a refusal or revocation keeps counting funds requests:
            # funds answers a request id once, so a second life must not reuse the first's.
            return Studio(
                "applied",
                e.studio_id,
                e.kind,
                e.level,
                e.leader_id,
                e.team_ids,
                e.applied_on.year,
                attempts=s.attempts,
            )
        case StudioReviewed():
            return replace(s, status="reviewed")
        case StudioApplicationRefused():
            return replace(s, status="refused")
        case StudioNamed():
            return replace(
                s, status="named", named_on=e.named_on, reconfirm_due_on=e.reconfirm_due_on
            )
        case StudioSubsidyRequested():
            return replace(
                s,
                request_id=e.request_id,
                attempts=s.attempts + 1,
                subsidy_fen=e.amount_fen,
                subsidy="pending",
                subsidy_basis=e.basis,
                subsidy_version=e.policy_version,
            )
        case FundsReservationRequested():
            return replace(s, fiscal_year=e.fiscal_year, line=e.line)
        case StudioSubsidySuperseded():
            old = (e.request_id, s.fiscal_year, s.line)
            return replace(s, subsidy="none", superseded=(*s.superseded, old))
        case StudioSubsidyReserved():
            return replace(s, subsidy="reserved")
        case StudioSubsidyPending():
            return replace(s, subsidy="refused")
        case StudioSubsidyPaid():
            return replace(s, subsidy="paid")
        case StudioProjectRecorded():
            return replace(s, projects=s.projects | {e.year})
        case StudioReconfirmationDue():
            return replace(s, status="due", due_flagged=True)
        case StudioReconfirmed():
            return replace(
                s, status="named", reconfirm_due_on=e.reconfirm_due_on, due_flagged=False
            )
        case StudioRevoked():
            return replace(s, status="revoked")
    return s


def decide_studio(c: object, s: Studio) -> list[object]:
    match c:
        case ApplyStudio():
            if s.status and s.status not in ("refused", "revoked"):
                raise _refuse(s.status, c, "none", "refused", "revoked")
            return [
                StudioApplied(
                    c.studio_id,
                    c.kind,
                    c.name,
                    c.unit_id,
                    c.leader_id,
                    c.team_ids,
                    c.level,
                    c.applied_on,
                )
            ]
        case ReviewStudio():
            _need(s.status, c, "applied")
            return [StudioReviewed(c.reviewer, c.opinion)]
        case NameStudio():
            return _name(c, s)
        case SubsidyAnswer():
            if c.request_id != s.request_id:
                given_up = [x for x in s.superseded if x[0] == c.request_id]
                if given_up and c.reserved and not c.lapsed:
                    # A late yes to a subsidy given up at reconfirmation: give it back.
                    _, year, line = given_up[0]
                    return [FundsReleaseRequested(c.request_id, year, line, "superseded")]
                return []  # an earlier attempt's reply: that attempt was already settled
            if c.lapsed:
                if s.status not in NAMED or s.subsidy != "reserved":
                    return []
                return [StudioSubsidyPending(c.request_id, "ReservationExpired")]
            if s.status == "revoked":
                # A late yes to a studio revoked meanwhile: give the money back. The release
                # sent at revoking may have reached funds first and found nothing.
                if c.reserved and s.subsidy in ("pending", "reserved"):
                    return [FundsReleaseRequested(c.request_id, s.fiscal_year, s.line, "revoked")]
                return []
            if s.subsidy != "pending":
                return []
            if c.reserved:
                return [StudioSubsidyReserved(c.request_id, s.subsidy_fen)]
            return [StudioSubsidyPending(c.request_id, c.reason)]
        case RequestSubsidyAgain():
            _need(s.status, c, *NAMED)
            if s.subsidy != "refused":
                raise InvalidTransition("the subsidy is not waiting on funds", subsidy=s.subsidy)
            return _subsidy(
                s,
                s.subsidy_fen,
                s.subsidy_basis,
                version=s.subsidy_version,
                year=s.fiscal_year,
                line=s.line,
            )
        case PaySubsidy():
            _need(s.status, c, *NAMED)
            if s.subsidy != "reserved":
                raise InvalidTransition("funds has not reserved the subsidy", subsidy=s.subsidy)
            assert s.request_id is not None
            return [
                StudioSubsidyPaid(s.request_id, s.subsidy_fen, c.voucher_ref),
                FundsSpendReported(
                    s.request_id, s.fiscal_year, s.line, s.subsidy_fen, c.voucher_ref
                ),
            ]
        case RecordProject():
            _need(s.status, c, *NAMED)
            return [StudioProjectRecorded(c.project_id, c.year, c.title)]
        case RecordResult():
            _need(s.status, c, *NAMED)
            return [StudioResultRecorded(c.result_id, c.kind, c.title, c.benefit_fen)]
        case FlagReconfirmation():
            if s.status != "named" or s.due_flagged or s.reconfirm_due_on is None:
                return []
            if c.today < s.reconfirm_due_on:
                return []
            return [StudioReconfirmationDue(s.reconfirm_due_on)]
        case Reconfirm():
            return _reconfirm(c, s)
        case Revoke():
            _need(s.status, c, *NAMED)
            # Payments stop (flow F9): a reservation held is given back.
            return [StudioRevoked(c.reason, c.today), *_release_held(s, "revoked")]
    raise TypeError(f"not a studio command: {c!r}")


def _name(c: NameStudio, s: Studio) -> list[object]:
    _need(s.status, c, "reviewed")
    # Domain §2.2 C3: led by an active model worker of at least the studio's level, with a
    # team of at least five; otherwise the application is refused with the reason.
    refusal = None
    if c.leader_level is None or not c.leader_active:
        refusal = ("LeaderNotModelWorker", "the leader is not an active model worker")
    elif not level_at_least(c.leader_level, s.level):
        refusal = ("LeaderLevelTooLow", f"a {s.level} studio needs a {s.level}-level leader")
    elif len(set(s.team_ids)) < c.min_team:
        refusal = ("TeamTooSmall", f"a team of at least {c.min_team}")
    if refusal:
        return [StudioApplicationRefused(*refusal)]
    assert c.leader_level is not None
    due = _add_years(c.named_on, c.reconfirm_years)
    named = StudioNamed(
        s.studio_id,
        s.kind,
        s.level,
        s.leader_id,
        c.leader_level,
        len(set(s.team_ids)),
        c.named_on,
        due,
        c.policy_versions,
    )
    subsidy = _subsidy(
        s, c.subsidy_fen, "new", version=c.subsidy_version, year=c.named_on.year, line=c.line
    )
    return [named, *subsidy]


def _subsidy(
    s: Studio, amount: int, basis: str, *, version: str, year: int, line: str
) -> list[object]:
    if amount == 0:
        return []
    request_id = f"studio:{s.studio_id}.{s.attempts + 1}"
    return [
        StudioSubsidyRequested(request_id, amount, basis, version),
        FundsReservationRequested(
            request_id, year, line, amount, f"Studio-{s.studio_id}", date(year, 12, 31)
        ),
    ]


def _release_held(s: Studio, reason: str) -> list[object]:
    """Give back what funds holds, or may yet hold, for the current subsidy request."""
    if s.request_id and s.subsidy in ("pending", "reserved"):
        return [FundsReleaseRequested(s.request_id, s.fiscal_year, s.line, reason)]
    return []


def _reconfirm(c: Reconfirm, s: Studio) -> list[object]:
    _need(s.status, c, "due")
    assert s.named_on is not None
    # At least one project in every year it has operated (Hefei rule).
    years = range(s.named_on.year, c.today.year)
    if missing := [y for y in years if y not in s.projects]:
        raise NotEligible("a studio records at least one project a year", missing_years=missing)
    due = _add_years(c.today, c.reconfirm_years)
    given_up: list[object] = []
    if c.subsidy_fen and s.request_id and s.subsidy in ("pending", "refused", "reserved"):
        given_up = [
            StudioSubsidySuperseded(s.request_id, s.subsidy_fen),
            *_release_held(s, "superseded"),
        ]
    return [
        StudioReconfirmed(c.today, due),
        *given_up,
        *_subsidy(
            s,
            c.subsidy_fen,
            "reconfirmed",
            version=c.policy_version,
            year=c.today.year,
            line=s.line,
        ),
    ]


STUDIO: Decider[object, Studio, object] = Decider(Studio(), evolve_studio, decide_studio)


# -- what competitions knows from orgs (flow F13) --------------------------------------------


@dataclass(frozen=True)
class SafetyAgreements:
    agreements: tuple[tuple[str, date, date], ...] = ()
    """(contract, effective on, expires on)."""
    withdrawn: frozenset[tuple[str, date]] = frozenset()
    """(contract, effective on) whose effect orgs withdrew: never noted again."""

    def in_force(self, on: date) -> bool:
        return any(start <= on < end for _, start, end in self.agreements)


@dataclass(frozen=True)
class NoteSafetyAgreement:
    employer_id: str
    contract_id: str
    effective_on: date
    expires_on: date


@dataclass(frozen=True)
class WithdrawSafetyAgreement:
    employer_id: str
    contract_id: str
    effective_on: date


def evolve_safety(s: SafetyAgreements, e: object) -> SafetyAgreements:
    if isinstance(e, SafetyAgreementNoted):
        entry = (e.contract_id, e.effective_on, e.expires_on)
        return replace(s, agreements=(*s.agreements, entry))
    if isinstance(e, SafetyAgreementWithdrawn):
        kept = tuple(a for a in s.agreements if a[:2] != (e.contract_id, e.effective_on))
        return replace(
            s, agreements=kept, withdrawn=s.withdrawn | {(e.contract_id, e.effective_on)}
        )
    return s


def decide_safety(c: object, s: SafetyAgreements) -> list[object]:
    match c:
        case NoteSafetyAgreement():
            noted = (c.contract_id, c.effective_on)
            if noted in s.withdrawn or any(a[:2] == noted for a in s.agreements):
                return []  # noted already, or its withdrawal came first (a redelivery)
            return [
                SafetyAgreementNoted(c.employer_id, c.contract_id, c.effective_on, c.expires_on)
            ]
        case WithdrawSafetyAgreement():
            if (c.contract_id, c.effective_on) in s.withdrawn:
                return []
            # Recorded even before the agreement is: a late note must not bring it back.
            return [SafetyAgreementWithdrawn(c.employer_id, c.contract_id, c.effective_on)]
    raise TypeError(f"not a safety agreement command: {c!r}")


SAFETY: Decider[object, SafetyAgreements, object] = Decider(
    SafetyAgreements(), evolve_safety, decide_safety
)


def competition_stream(competition_id: str) -> str:
    return f"Competition-{competition_id}"


def proposal_stream(proposal_id: str) -> str:
    return f"Proposal-{proposal_id}"


def studio_stream(studio_id: str) -> str:
    return f"Studio-{studio_id}"


def safety_stream(employer_id: str) -> str:
    return f"SafetyAgreement-{employer_id}"


# -- what competitions knows of congress endorsements (flow F11) -----------------------------


@dataclass(frozen=True)
class Endorsements:
    by: tuple[tuple[str, str, str], ...] = ()
    """(congress, item, the congress's unit) resolutions that adopted this nominee."""

    def from_unit(self, unit_id: str) -> tuple[str, str] | None:
        """The first (congress, item) of ``unit_id``'s own congress: the one that endorses
        a nomination by that unit (flow F11); another unit's resolution does not."""
        return next(((c, i) for c, i, u in self.by if u == unit_id), None)


@dataclass(frozen=True)
class NoteEndorsement:
    nominee_id: str
    congress_id: str
    item_id: str
    unit_id: str


def evolve_endorsements(s: Endorsements, e: object) -> Endorsements:
    if isinstance(e, CongressEndorsementNoted):
        return Endorsements((*s.by, (e.congress_id, e.item_id, e.unit_id)))
    return s


def decide_endorsements(c: object, s: Endorsements) -> list[object]:
    if not isinstance(c, NoteEndorsement):
        raise TypeError(f"not an endorsement command: {c!r}")
    if any((congress, item) == (c.congress_id, c.item_id) for congress, item, _ in s.by):
        return []
    return [CongressEndorsementNoted(c.nominee_id, c.congress_id, c.item_id, c.unit_id)]


ENDORSEMENTS: Decider[object, Endorsements, object] = Decider(
    Endorsements(), evolve_endorsements, decide_endorsements
)


def endorsement_stream(nominee_id: str) -> str:
    return f"Endorsement-{nominee_id}"


__all__ = [  # the shared refusals, named from here by callers and tests
    "InvalidTransition",
]
