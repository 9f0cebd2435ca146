"""Democratic management and its neighbours in orgs, as pure deciders.

Four aggregates, each on its own stream:

- ``WorkersCongress`` (职工代表大会; enterprise, or regional/industry where small
  firms cluster), ``Congress-<congress_id>``: delegates, sessions, quorum, votes.
- ``FactoryAffairsDisclosure`` (厂务公开), ``Disclosure-<unit_id>``.
- ``TripartiteMechanism`` (协调劳动关系三方委员会), ``Tripartite-<committee_id>``.
- ``MemberBenefitProgramme`` (会员卡普惠服务), ``Benefits-<programme_id>``.

The module is self-contained: its events, errors, deciders, stream ids, the event
registration and the parameter rows it needs. Parameters reach ``decide`` inside
the commands (the adapter looks them up for the command's day, with their
versions), and the events record the versions, so an auditor can tell which rule
produced a decision. Events name people by id only.

Sources (domain reference §2.3 O3, O4, O7, O9):
- 企业民主管理规定 (总工发〔2012〕12号), the chapters on the congress and on 厂务公开;
  the Shanghai 职代会条例 (Arts. 16, 21, 22, 28, 31) gives the same numbers.
- 霍邱县 notice of 2022-03-15: 一(三) the tripartite committee; 二(八) member-card
  benefits; 三(十) congresses everywhere, regional and industry ones where small
  and medium firms cluster, and 厂务公开 made regular.
- 工会法 Art. 35: the county government sets up the tripartite mechanism with the
  union and employer representatives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from marshmallow import fields, validate

from shared.decider import Decider
from shared.errors import DomainError
from shared.policy import Parameter
from shared.registry import EventRegistry
from shared.rules import AlreadyRecorded, InvalidTransition, InvalidValue, UnknownReference
from shared.rules import need as _need
from shared.rules import one_of as _one_of
from shared.rules import refuse as _refuse
from shared.rules import same_or_clash as _same_or_clash
from shared.schemas import event_schema, one_of
from shared.validation import Pattern

# -- parameters -------------------------------------------------------------------------

_REG_2012 = date(2012, 2, 13)  # 企业民主管理规定 issued (总工发〔2012〕12号)
_REG = "企业民主管理规定 (总工发〔2012〕12号)"


def _p(key: str, value: int | str, source: str, on: date = _REG_2012) -> Parameter:
    return Parameter(key, value, on, f"{key}@{on.isoformat()}", source)


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "congress.min_delegates",
        30,
        f"{_REG}: delegates are at least 5 % of staff and never fewer than 30"
        " (Shanghai 职代会条例 Art. 21 likewise)",
    ),
    _p(
        "congress.max_manager_bp",
        2_000,
        f"{_REG}: middle and senior managers at most 20 % of delegates"
        " (Shanghai 职代会条例 Art. 16)",
    ),
    _p(
        "congress.quorum_num",
        2,
        f"{_REG}: a session needs at least two thirds of all delegates present"
        " (Shanghai 职代会条例 Art. 28)",
    ),
    _p("congress.quorum_den", 3, "denominator of congress.quorum_num"),
    _p(
        "congress.session_interval_days",
        365,
        f"{_REG}: at least one session a year (Shanghai 职代会条例 Art. 22);"
        " notice of 2022-03-15 三(十)",
    ),
    _p(
        "disclosure.required_topics",
        "wages,social_insurance,safety,collective_contract,major_decisions",
        f"{_REG}, 厂务公开: matters the enterprise must disclose (major decisions, pay,"
        " social insurance, safety, the collective contract); checked each year"
        " (local practice, confirm with the county); notice of 2022-03-15 三(十)",
    ),
)
"""Defaults for orgs' policy table (keys ``congress.``, ``disclosure.``).

Member-card benefits need no number: the one rule (only an active card redeems)
is the domain's (O9), not a tunable.
"""


# -- errors ---------------------------------------------------------------------------


class DuplicatePerson(DomainError):
    """A person listed twice, or on two sides: each counts once."""

    code = "DuplicatePerson"


class DelegatesTooFew(DomainError):
    code = "DelegatesTooFew"


class ManagerShareExceeded(DomainError):
    """Front-line workers are the congress's main body: managers are capped."""

    code = "ManagerShareExceeded"


class NotADelegate(DomainError):
    code = "NotADelegate"


class QuorumNotMet(DomainError):
    """A session without two thirds of all delegates present can vote nothing."""

    code = "QuorumNotMet"


class VotesExceedPresent(DomainError):
    code = "VotesExceedPresent"


class ItemAlreadyAdopted(DomainError):
    code = "ItemAlreadyAdopted"


class SideMissing(DomainError):
    """The tripartite committee works only with government, union and employers all there."""

    code = "SideMissing"


class NotACommitteeMember(DomainError):
    code = "NotACommitteeMember"


class CardNotActive(DomainError):
    """Domain O9: benefits are for members whose card is active."""

    code = "CardNotActive"


class MerchantNotEnrolled(DomainError):
    code = "MerchantNotEnrolled"


class OfferNotValid(DomainError):
    """The offer is not valid on the day of the redemption."""

    code = "OfferNotValid"


def _no_duplicates(ids: tuple[str, ...], what: str) -> None:
    if len(set(ids)) != len(ids):
        twice = sorted({p for p in ids if ids.count(p) > 1})
        raise DuplicatePerson(f"a person is listed more than once among {what}", person_ids=twice)


# -- WorkersCongress (职工代表大会) ----------------------------------------------------

CONGRESS_KINDS = ("enterprise", "regional", "industry")
"""Regional and industry congresses serve areas and trades of small firms (notice 三(十))."""
TERM_YEARS = (3, 5)
"""A congress's term (企业民主管理规定; domain §2.3 O3): 3 or 5 years."""


def quorum_met(total: int, present: int, num: int, den: int) -> bool:
    """At least ``num/den`` of ALL delegates present (integers: no rounding)."""
    return total > 0 and present * den >= total * num


def resolution_passes(total: int, yes: int) -> bool:
    """More than half of ALL delegates vote yes, not of those present (Shanghai Art. 31;
    集体合同规定 Art. 36 for a collective contract)."""
    return yes * 2 > total


@dataclass(frozen=True)
class CongressEstablished:
    congress_id: str
    kind: str
    unit_id: str
    """The employer, or the area or trade of a regional or industry congress."""
    union_id: str
    term_years: int
    established_on: date


@dataclass(frozen=True)
class DelegatesElected:
    """A term starts: its delegates replace the previous term's."""

    congress_id: str
    term_no: int
    elected_on: date
    delegate_ids: tuple[str, ...]
    manager_ids: tuple[str, ...]
    """The delegates who are middle or senior managers (a subset of ``delegate_ids``)."""
    min_delegates: int
    max_manager_bp: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class CongressSessionHeld:
    congress_id: str
    session_id: str
    term_no: int
    held_on: date
    present_ids: tuple[str, ...]
    total_delegates: int
    quorum_met: bool
    quorum_num: int
    quorum_den: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class _ResolutionVoted:
    congress_id: str
    unit_id: str
    session_id: str
    item_id: str
    title: str
    subject_ref: str | None
    """What the item is about, by id: a nominee's person id, a contract id."""
    yes: int
    no: int
    abstain: int
    total_delegates: int
    present: int


@dataclass(frozen=True)
class ResolutionAdopted(_ResolutionVoted):
    """Yes votes from more than half of all delegates. Other services react to it."""


@dataclass(frozen=True)
class ResolutionRejected(_ResolutionVoted):
    pass


@dataclass(frozen=True)
class CongressSessionOverdue:
    """No session within ``interval_days`` of ``counted_from``: one event per missed period."""

    congress_id: str
    unit_id: str
    union_id: str
    counted_from: date
    """The last session with quorum, or the establishment when there has been none."""
    due_on: date
    """The last day a session would have kept the rule."""
    interval_days: int
    policy_version: str


@dataclass(frozen=True)
class EstablishCongress:
    congress_id: str
    kind: str
    unit_id: str
    union_id: str
    term_years: int
    established_on: date


@dataclass(frozen=True)
class ElectDelegates:
    term_no: int
    elected_on: date
    delegates: tuple[tuple[str, bool], ...]
    """(person id, is a middle or senior manager)."""
    min_delegates: int
    max_manager_bp: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class HoldSession:
    session_id: str
    held_on: date
    present: tuple[str, ...]
    quorum_num: int
    quorum_den: int
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class VoteResolution:
    session_id: str
    item_id: str
    title: str
    yes: int
    no: int
    abstain: int
    subject_ref: str | None = None


@dataclass(frozen=True)
class FlagSessionOverdue:
    today: date
    interval_days: int
    policy_version: str


@dataclass(frozen=True)
class Session:
    term_no: int
    held_on: date
    present_ids: tuple[str, ...]
    total_delegates: int
    quorum_met: bool


@dataclass(frozen=True)
class Result:
    session_id: str
    adopted: bool
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True)
class Congress:
    status: str = ""
    congress_id: str = ""
    kind: str = ""
    unit_id: str = ""
    union_id: str = ""
    term_years: int = 0
    established_on: date | None = None
    term_no: int = 0
    delegate_ids: tuple[str, ...] = ()
    manager_ids: tuple[str, ...] = ()
    sessions: dict[str, Session] = field(default_factory=dict)
    last_session_on: date | None = None
    results: dict[str, Result] = field(default_factory=dict)
    """The latest vote on each item."""
    flagged: frozenset[date] = frozenset()
    """Due dates already reported overdue."""


def evolve_congress(s: Congress, e: object) -> Congress:
    match e:
        case CongressEstablished():
            return Congress(
                "established",
                e.congress_id,
                e.kind,
                e.unit_id,
                e.union_id,
                e.term_years,
                e.established_on,
            )
        case DelegatesElected():
            return replace(
                s, term_no=e.term_no, delegate_ids=e.delegate_ids, manager_ids=e.manager_ids
            )
        case CongressSessionHeld():
            session = Session(e.term_no, e.held_on, e.present_ids, e.total_delegates, e.quorum_met)
            last = s.last_session_on
            if e.quorum_met:
                # A session without quorum decided nothing: it does not keep the yearly rule.
                last = e.held_on if last is None else max(last, e.held_on)
            return replace(s, sessions={**s.sessions, e.session_id: session}, last_session_on=last)
        case _ResolutionVoted():
            result = Result(e.session_id, isinstance(e, ResolutionAdopted), e.yes, e.no, e.abstain)
            return replace(s, results={**s.results, e.item_id: result})
        case CongressSessionOverdue():
            return replace(s, flagged=s.flagged | {e.due_on})
    return s


def decide_congress(c: object, s: Congress) -> list[object]:
    match c:
        case EstablishCongress():
            if s.status:
                raise _refuse(s.status, c)
            _one_of("kind", c.kind, CONGRESS_KINDS)
            _one_of("term_years", c.term_years, TERM_YEARS)
            return [
                CongressEstablished(
                    c.congress_id, c.kind, c.unit_id, c.union_id, c.term_years, c.established_on
                )
            ]
        case ElectDelegates():
            _need(s.status, c, "established")
            return _elect(c, s)
        case HoldSession():
            _need(s.status, c, "established")
            return _hold(c, s)
        case VoteResolution():
            _need(s.status, c, "established")
            return _vote(c, s)
        case FlagSessionOverdue():
            return _overdue(c, s)
    raise TypeError(f"not a congress command: {c!r}")


def _elect(c: ElectDelegates, s: Congress) -> list[object]:
    ids = tuple(p for p, _ in c.delegates)
    managers = tuple(p for p, manager in c.delegates if manager)
    if c.term_no == s.term_no and s.term_no > 0:
        # The same term again: a retry records nothing; other delegates are a clash.
        recorded = (set(s.delegate_ids), set(s.manager_ids))
        return _same_or_clash(recorded, (set(ids), set(managers)), "term_no", str(c.term_no))
    if c.term_no != s.term_no + 1:
        raise InvalidTransition(
            "terms are elected in order", term_no=c.term_no, expected=s.term_no + 1
        )
    assert s.established_on is not None
    if c.elected_on < s.established_on:
        raise InvalidValue("delegates are elected after the congress is established")
    _no_duplicates(ids, "the delegates")
    if len(ids) < c.min_delegates:
        raise DelegatesTooFew(
            f"a congress has at least {c.min_delegates} delegates",
            delegates=len(ids),
            min_delegates=c.min_delegates,
        )
    if len(managers) * 10_000 > len(ids) * c.max_manager_bp:
        raise ManagerShareExceeded(
            "too many middle and senior managers among the delegates",
            managers=len(managers),
            delegates=len(ids),
            max_manager_bp=c.max_manager_bp,
        )
    return [
        DelegatesElected(
            s.congress_id,
            c.term_no,
            c.elected_on,
            ids,
            managers,
            c.min_delegates,
            c.max_manager_bp,
            c.policy_versions,
        )
    ]


def _hold(c: HoldSession, s: Congress) -> list[object]:
    if c.session_id in s.sessions:
        held = s.sessions[c.session_id]
        return _same_or_clash(
            (held.held_on, set(held.present_ids)),
            (c.held_on, set(c.present)),
            "session_id",
            c.session_id,
        )
    if s.term_no == 0:
        raise InvalidTransition("a session is held by elected delegates: elect them first")
    assert s.established_on is not None
    if c.held_on < s.established_on:
        raise InvalidValue("a session is held after the congress is established")
    if c.quorum_den < 1 or not 0 < c.quorum_num <= c.quorum_den:
        raise InvalidValue("the quorum is a fraction in (0, 1]", field="quorum_num")
    _no_duplicates(c.present, "those present")
    if stray := sorted(set(c.present) - set(s.delegate_ids)):
        raise NotADelegate("only the term's delegates count as present", person_ids=stray)
    total = len(s.delegate_ids)
    return [
        CongressSessionHeld(
            s.congress_id,
            c.session_id,
            s.term_no,
            c.held_on,
            c.present,
            total,
            quorum_met(total, len(c.present), c.quorum_num, c.quorum_den),
            c.quorum_num,
            c.quorum_den,
            c.policy_versions,
        )
    ]


def _vote(c: VoteResolution, s: Congress) -> list[object]:
    session = s.sessions.get(c.session_id)
    if session is None:
        raise UnknownReference("no such session", session_id=c.session_id)
    if session.term_no != s.term_no:
        # Its delegates are no longer seated: the new term votes at its own session.
        raise InvalidTransition(
            "the session belongs to an earlier term", session_term=session.term_no
        )
    if not session.quorum_met:
        raise QuorumNotMet(
            "a session without quorum can vote nothing",
            present=len(session.present_ids),
            total_delegates=session.total_delegates,
        )
    if min(c.yes, c.no, c.abstain) < 0:
        raise InvalidValue("votes are counted from zero", field="yes")
    present = len(session.present_ids)
    if c.yes + c.no + c.abstain > present:
        raise VotesExceedPresent(
            "more votes than delegates present", cast=c.yes + c.no + c.abstain, present=present
        )
    prior = s.results.get(c.item_id)
    if prior is not None:
        if prior.session_id == c.session_id:
            again = Result(c.session_id, prior.adopted, c.yes, c.no, c.abstain)
            return _same_or_clash(prior, again, "item_id", c.item_id)
        if prior.adopted:
            raise ItemAlreadyAdopted(
                "an adopted item is not voted again", item_id=c.item_id, session_id=prior.session_id
            )
        # A rejected item may come back to a later session (a renegotiated draft).
    passed = resolution_passes(session.total_delegates, c.yes)
    outcome: type[_ResolutionVoted] = ResolutionAdopted if passed else ResolutionRejected
    return [
        outcome(
            s.congress_id,
            s.unit_id,
            c.session_id,
            c.item_id,
            c.title,
            c.subject_ref,
            c.yes,
            c.no,
            c.abstain,
            session.total_delegates,
            present,
        )
    ]


def _overdue(c: FlagSessionOverdue, s: Congress) -> list[object]:
    if not s.status:
        return []  # a timer's sweep may reach a stream that was never established
    if c.interval_days < 1:
        raise InvalidValue("the session interval is at least a day", field="interval_days")
    assert s.established_on is not None
    since = s.last_session_on or s.established_on
    step = timedelta(days=c.interval_days)
    out: list[object] = []
    due = since + step
    while due < c.today:
        if due not in s.flagged:
            out.append(
                CongressSessionOverdue(
                    s.congress_id,
                    s.unit_id,
                    s.union_id,
                    since,
                    due,
                    c.interval_days,
                    c.policy_version,
                )
            )
        due += step
    return out


CONGRESS: Decider[object, Congress, object] = Decider(Congress(), evolve_congress, decide_congress)


# -- FactoryAffairsDisclosure (厂务公开) ------------------------------------------------

DISCLOSURE_TOPICS = (
    "wages",
    "social_insurance",
    "safety",
    "collective_contract",
    "major_decisions",
    "finance",
    "welfare",
    "congress_resolutions",
    "other",
)
DISCLOSURE_CHANNELS = ("notice_board", "congress", "online", "meeting")
PERIOD = r"^\d{4}(-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?$"
"""A year, or a quarter, half or month of it: ``2026``, ``2026-Q3``, ``2026-H1``, ``2026-09``."""


@dataclass(frozen=True)
class DisclosurePublished:
    unit_id: str
    item_id: str
    topic: str
    channel: str
    period: str
    title: str
    disclosed_on: date


@dataclass(frozen=True)
class DisclosureComplaintReceived:
    """The complainant is not named: a worker may complain without being identified."""

    unit_id: str
    complaint_id: str
    item_id: str | None
    summary: str
    received_on: date


@dataclass(frozen=True)
class DisclosureComplaintResolved:
    unit_id: str
    complaint_id: str
    resolution: str
    resolved_on: date


@dataclass(frozen=True)
class DiscloseItem:
    unit_id: str
    item_id: str
    topic: str
    channel: str
    period: str
    title: str
    disclosed_on: date


@dataclass(frozen=True)
class ReceiveComplaint:
    unit_id: str
    complaint_id: str
    item_id: str | None
    summary: str
    received_on: date


@dataclass(frozen=True)
class ResolveComplaint:
    complaint_id: str
    resolution: str
    resolved_on: date


@dataclass(frozen=True)
class Complaint:
    item_id: str | None
    summary: str
    received_on: date
    resolution: str | None = None
    resolved_on: date | None = None


@dataclass(frozen=True)
class Disclosure:
    unit_id: str = ""
    items: dict[str, DisclosurePublished] = field(default_factory=dict)
    complaints: dict[str, Complaint] = field(default_factory=dict)


def evolve_disclosure(s: Disclosure, e: object) -> Disclosure:
    match e:
        case DisclosurePublished():
            return replace(s, unit_id=e.unit_id, items={**s.items, e.item_id: e})
        case DisclosureComplaintReceived():
            complaint = Complaint(e.item_id, e.summary, e.received_on)
            return replace(
                s, unit_id=e.unit_id, complaints={**s.complaints, e.complaint_id: complaint}
            )
        case DisclosureComplaintResolved():
            done = replace(
                s.complaints[e.complaint_id], resolution=e.resolution, resolved_on=e.resolved_on
            )
            return replace(s, complaints={**s.complaints, e.complaint_id: done})
    return s


def decide_disclosure(c: object, s: Disclosure) -> list[object]:
    match c:
        case DiscloseItem():
            _one_of("topic", c.topic, DISCLOSURE_TOPICS)
            _one_of("channel", c.channel, DISCLOSURE_CHANNELS)
            if not re.fullmatch(PERIOD, c.period, re.ASCII):
                raise InvalidValue("a period is a year, quarter, half or month", field="period")
            event = DisclosurePublished(
                c.unit_id, c.item_id, c.topic, c.channel, c.period, c.title, c.disclosed_on
            )
            if c.item_id in s.items:
                return _same_or_clash(s.items[c.item_id], event, "item_id", c.item_id)
            return [event]
        case ReceiveComplaint():
            if c.item_id is not None and c.item_id not in s.items:
                raise UnknownReference("no such disclosed item", item_id=c.item_id)
            if c.complaint_id in s.complaints:
                recorded = s.complaints[c.complaint_id]
                again = Complaint(c.item_id, c.summary, c.received_on)
                return _same_or_clash(
                    replace(recorded, resolution=None, resolved_on=None),
                    again,
                    "complaint_id",
                    c.complaint_id,
                )
            # A complaint without an item is about what was not disclosed at all.
            return [
                DisclosureComplaintReceived(
                    c.unit_id, c.complaint_id, c.item_id, c.summary, c.received_on
                )
            ]
        case ResolveComplaint():
            complaint = s.complaints.get(c.complaint_id)
            if complaint is None:
                raise UnknownReference("no such complaint", complaint_id=c.complaint_id)
            if complaint.resolution is not None:
                return _same_or_clash(
                    (complaint.resolution, complaint.resolved_on),
                    (c.resolution, c.resolved_on),
                    "complaint_id",
                    c.complaint_id,
                )
            if c.resolved_on < complaint.received_on:
                raise InvalidValue(
                    "a complaint is resolved after it is received", field="resolved_on"
                )
            return [
                DisclosureComplaintResolved(s.unit_id, c.complaint_id, c.resolution, c.resolved_on)
            ]
    raise TypeError(f"not a disclosure command: {c!r}")


def overdue_topics(s: Disclosure, required_topics: tuple[str, ...], year: int) -> tuple[str, ...]:
    """The required topics with nothing disclosed for any period of ``year``, in their order."""
    done = {i.topic for i in s.items.values() if i.period[:4] == f"{year:04d}"}
    return tuple(t for t in required_topics if t not in done)


DISCLOSURE: Decider[object, Disclosure, object] = Decider(
    Disclosure(), evolve_disclosure, decide_disclosure
)


# -- TripartiteMechanism (协调劳动关系三方委员会) ---------------------------------------

SIDES = ("government", "union", "employer")
"""人社 for the county government, the federation, employer representatives (notice 一(三))."""


@dataclass(frozen=True)
class TripartiteCommitteeConstituted:
    committee_id: str
    constituted_on: date
    chair_id: str
    """The county government's leader in charge chairs (主任; notice 一(三))."""
    government_ids: tuple[str, ...]
    union_ids: tuple[str, ...]
    employer_ids: tuple[str, ...]


@dataclass(frozen=True)
class TripartiteMeetingHeld:
    committee_id: str
    meeting_id: str
    held_on: date
    government_ids: tuple[str, ...]
    union_ids: tuple[str, ...]
    employer_ids: tuple[str, ...]


@dataclass(frozen=True)
class TripartiteIssueRaised:
    committee_id: str
    issue_id: str
    raised_by: str
    summary: str
    raised_on: date


@dataclass(frozen=True)
class TripartiteIssueResolved:
    committee_id: str
    issue_id: str
    meeting_id: str
    resolution: str
    resolved_on: date


@dataclass(frozen=True)
class ConstituteTripartite:
    committee_id: str
    constituted_on: date
    chair_id: str
    government_ids: tuple[str, ...]
    union_ids: tuple[str, ...]
    employer_ids: tuple[str, ...]


@dataclass(frozen=True)
class HoldTripartiteMeeting:
    meeting_id: str
    held_on: date
    government_ids: tuple[str, ...]
    union_ids: tuple[str, ...]
    employer_ids: tuple[str, ...]


@dataclass(frozen=True)
class RaiseTripartiteIssue:
    issue_id: str
    summary: str
    raised_by: str
    raised_on: date


@dataclass(frozen=True)
class ResolveTripartiteIssue:
    issue_id: str
    resolution: str
    meeting_id: str


@dataclass(frozen=True)
class Issue:
    raised_by: str
    summary: str
    raised_on: date
    meeting_id: str | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class Tripartite:
    status: str = ""
    committee_id: str = ""
    constituted_on: date | None = None
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Side → person ids."""
    meetings: dict[str, TripartiteMeetingHeld] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)


def _by_side(
    g: tuple[str, ...], u: tuple[str, ...], e: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    return dict(zip(SIDES, (g, u, e), strict=True))


def _all_sides(sides: dict[str, tuple[str, ...]], what: str) -> None:
    if missing := [side for side in SIDES if not sides[side]]:
        raise SideMissing(f"each of the three sides is in the {what}", sides=missing)
    _no_duplicates(tuple(p for ids in sides.values() for p in ids), f"the {what}")


def evolve_tripartite(s: Tripartite, e: object) -> Tripartite:
    match e:
        case TripartiteCommitteeConstituted():
            members = _by_side(e.government_ids, e.union_ids, e.employer_ids)
            return Tripartite("constituted", e.committee_id, e.constituted_on, members)
        case TripartiteMeetingHeld():
            return replace(s, meetings={**s.meetings, e.meeting_id: e})
        case TripartiteIssueRaised():
            issue = Issue(e.raised_by, e.summary, e.raised_on)
            return replace(s, issues={**s.issues, e.issue_id: issue})
        case TripartiteIssueResolved():
            done = replace(s.issues[e.issue_id], meeting_id=e.meeting_id, resolution=e.resolution)
            return replace(s, issues={**s.issues, e.issue_id: done})
    return s


def decide_tripartite(c: object, s: Tripartite) -> list[object]:
    match c:
        case ConstituteTripartite():
            if s.status:
                raise _refuse(s.status, c)
            sides = _by_side(c.government_ids, c.union_ids, c.employer_ids)
            # Tripartite means all three: a committee missing a side is not one (工会法 Art. 35).
            _all_sides(sides, "committee")
            if c.chair_id not in c.government_ids:
                raise InvalidValue(
                    "the chair is the county government's leader in charge", field="chair_id"
                )
            return [
                TripartiteCommitteeConstituted(
                    c.committee_id,
                    c.constituted_on,
                    c.chair_id,
                    c.government_ids,
                    c.union_ids,
                    c.employer_ids,
                )
            ]
        case HoldTripartiteMeeting():
            _need(s.status, c, "constituted")
            event = TripartiteMeetingHeld(
                s.committee_id,
                c.meeting_id,
                c.held_on,
                c.government_ids,
                c.union_ids,
                c.employer_ids,
            )
            if c.meeting_id in s.meetings:
                return _same_or_clash(s.meetings[c.meeting_id], event, "meeting_id", c.meeting_id)
            assert s.constituted_on is not None
            if c.held_on < s.constituted_on:
                raise InvalidValue("a meeting is held after the committee is constituted")
            sides = _by_side(c.government_ids, c.union_ids, c.employer_ids)
            # Consultation needs every side at the table, or one side decides for another.
            _all_sides(sides, "meeting")
            stray = sorted(p for side in SIDES for p in sides[side] if p not in s.members[side])
            if stray:
                raise NotACommitteeMember(
                    "attendees are members of the side they sit for", person_ids=stray
                )
            return [event]
        case RaiseTripartiteIssue():
            _need(s.status, c, "constituted")
            _one_of("raised_by", c.raised_by, SIDES)
            raised = TripartiteIssueRaised(
                s.committee_id, c.issue_id, c.raised_by, c.summary, c.raised_on
            )
            if c.issue_id in s.issues:
                i = s.issues[c.issue_id]
                again = Issue(c.raised_by, c.summary, c.raised_on)
                return _same_or_clash(
                    Issue(i.raised_by, i.summary, i.raised_on), again, "issue_id", c.issue_id
                )
            return [raised]
        case ResolveTripartiteIssue():
            _need(s.status, c, "constituted")
            issue = s.issues.get(c.issue_id)
            if issue is None:
                raise UnknownReference("no such issue", issue_id=c.issue_id)
            meeting = s.meetings.get(c.meeting_id)
            if meeting is None:
                raise UnknownReference("no such meeting", meeting_id=c.meeting_id)
            if issue.resolution is not None:
                return _same_or_clash(
                    (issue.meeting_id, issue.resolution),
                    (c.meeting_id, c.resolution),
                    "issue_id",
                    c.issue_id,
                )
            if meeting.held_on < issue.raised_on:
                raise InvalidValue(
                    "an issue is resolved at a meeting held after it was raised",
                    field="meeting_id",
                )
            return [
                TripartiteIssueResolved(
                    s.committee_id, c.issue_id, c.meeting_id, c.resolution, meeting.held_on
                )
            ]
    raise TypeError(f"not a tripartite command: {c!r}")


TRIPARTITE: Decider[object, Tripartite, object] = Decider(
    Tripartite(), evolve_tripartite, decide_tripartite
)


# -- MemberBenefitProgramme (会员卡普惠服务) -----------------------------------------

MERCHANT_CATEGORIES = (
    "catering",
    "retail",
    "health",
    "culture_sport",
    "travel",
    "education",
    "daily_services",
    "other",
)


@dataclass(frozen=True)
class BenefitProgrammeLaunched:
    programme_id: str
    union_id: str
    name: str
    launched_on: date


@dataclass(frozen=True)
class MerchantEnrolled:
    programme_id: str
    merchant_id: str
    name: str
    category: str
    enrolled_on: date


@dataclass(frozen=True)
class OfferPublished:
    programme_id: str
    offer_id: str
    merchant_id: str
    description: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class BenefitRedeemed:
    programme_id: str
    redemption_id: str
    offer_id: str
    merchant_id: str
    card_no_ref: str
    """The card's opaque id: the card number and its holder stay with the card registry."""
    redeemed_on: date


@dataclass(frozen=True)
class MerchantWithdrawn:
    programme_id: str
    merchant_id: str
    reason: str
    withdrawn_on: date


@dataclass(frozen=True)
class LaunchBenefitProgramme:
    programme_id: str
    union_id: str
    name: str
    launched_on: date


@dataclass(frozen=True)
class EnrolMerchant:
    merchant_id: str
    name: str
    category: str
    enrolled_on: date


@dataclass(frozen=True)
class PublishOffer:
    offer_id: str
    merchant_id: str
    description: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class RedeemBenefit:
    redemption_id: str
    offer_id: str
    card_no_ref: str
    card_status: str
    """The card's status on the day, from orgs' member records (the adapter looks it up)."""
    redeemed_on: date


@dataclass(frozen=True)
class WithdrawMerchant:
    merchant_id: str
    reason: str
    withdrawn_on: date


@dataclass(frozen=True)
class Merchant:
    name: str
    category: str
    enrolled: bool


@dataclass(frozen=True)
class Benefits:
    status: str = ""
    programme_id: str = ""
    merchants: dict[str, Merchant] = field(default_factory=dict)
    offers: dict[str, OfferPublished] = field(default_factory=dict)
    redemptions: dict[str, BenefitRedeemed] = field(default_factory=dict)


def evolve_benefits(s: Benefits, e: object) -> Benefits:
    match e:
        case BenefitProgrammeLaunched():
            return Benefits("launched", e.programme_id)
        case MerchantEnrolled():
            merchant = Merchant(e.name, e.category, True)
            return replace(s, merchants={**s.merchants, e.merchant_id: merchant})
        case MerchantWithdrawn():
            gone = replace(s.merchants[e.merchant_id], enrolled=False)
            return replace(s, merchants={**s.merchants, e.merchant_id: gone})
        case OfferPublished():
            return replace(s, offers={**s.offers, e.offer_id: e})
        case BenefitRedeemed():
            return replace(s, redemptions={**s.redemptions, e.redemption_id: e})
    return s


def _enrolled(s: Benefits, merchant_id: str) -> None:
    merchant = s.merchants.get(merchant_id)
    if merchant is None or not merchant.enrolled:
        raise MerchantNotEnrolled(
            "the merchant is not enrolled in the programme", merchant_id=merchant_id
        )


def decide_benefits(c: object, s: Benefits) -> list[object]:
    match c:
        case LaunchBenefitProgramme():
            if s.status:
                raise _refuse(s.status, c)
            return [BenefitProgrammeLaunched(c.programme_id, c.union_id, c.name, c.launched_on)]
        case EnrolMerchant():
            _need(s.status, c, "launched")
            _one_of("category", c.category, MERCHANT_CATEGORIES)
            known = s.merchants.get(c.merchant_id)
            if known is not None and known.enrolled:
                return _same_or_clash(
                    known, Merchant(c.name, c.category, True), "merchant_id", c.merchant_id
                )
            # A withdrawn merchant may enrol again.
            return [
                MerchantEnrolled(s.programme_id, c.merchant_id, c.name, c.category, c.enrolled_on)
            ]
        case PublishOffer():
            _need(s.status, c, "launched")
            event = OfferPublished(
                s.programme_id, c.offer_id, c.merchant_id, c.description, c.valid_from, c.valid_to
            )
            if c.offer_id in s.offers:
                return _same_or_clash(s.offers[c.offer_id], event, "offer_id", c.offer_id)
            _enrolled(s, c.merchant_id)
            if c.valid_to < c.valid_from:
                raise InvalidValue("an offer ends on or after the day it starts", field="valid_to")
            return [event]
        case RedeemBenefit():
            _need(s.status, c, "launched")
            if c.card_status != "active":
                raise CardNotActive(
                    "benefits are redeemed only with an active member card",
                    card_status=c.card_status,
                )
            offer = s.offers.get(c.offer_id)
            if offer is None:
                raise UnknownReference("no such offer", offer_id=c.offer_id)
            redeemed = BenefitRedeemed(
                s.programme_id,
                c.redemption_id,
                c.offer_id,
                offer.merchant_id,
                c.card_no_ref,
                c.redeemed_on,
            )
            if c.redemption_id in s.redemptions:
                recorded = s.redemptions[c.redemption_id]
                return _same_or_clash(recorded, redeemed, "redemption_id", c.redemption_id)
            _enrolled(s, offer.merchant_id)
            if not offer.valid_from <= c.redeemed_on <= offer.valid_to:
                raise OfferNotValid(
                    "the offer is not valid on the day of redemption",
                    valid_from=offer.valid_from.isoformat(),
                    valid_to=offer.valid_to.isoformat(),
                    redeemed_on=c.redeemed_on.isoformat(),
                )
            return [redeemed]
        case WithdrawMerchant():
            _need(s.status, c, "launched")
            merchant = s.merchants.get(c.merchant_id)
            if merchant is None:
                raise MerchantNotEnrolled(
                    "the merchant was never enrolled", merchant_id=c.merchant_id
                )
            if not merchant.enrolled:
                return []  # already withdrawn
            return [MerchantWithdrawn(s.programme_id, c.merchant_id, c.reason, c.withdrawn_on)]
    raise TypeError(f"not a benefit programme command: {c!r}")


BENEFITS: Decider[object, Benefits, object] = Decider(Benefits(), evolve_benefits, decide_benefits)


# -- streams ---------------------------------------------------------------------------


def congress_stream(congress_id: str) -> str:
    return f"Congress-{congress_id}"


def disclosure_stream(unit_id: str) -> str:
    return f"Disclosure-{unit_id}"


def tripartite_stream(committee_id: str) -> str:
    return f"Tripartite-{committee_id}"


def benefits_stream(programme_id: str) -> str:
    return f"Benefits-{programme_id}"


# -- registration ----------------------------------------------------------------------


def _count() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


def _ids() -> fields.Field[Any]:
    return fields.List(fields.String(), required=True, validate=validate.Length(min=1))


EVENT_CLASSES: tuple[type, ...] = (
    CongressEstablished,
    DelegatesElected,
    CongressSessionHeld,
    ResolutionAdopted,
    ResolutionRejected,
    CongressSessionOverdue,
    DisclosurePublished,
    DisclosureComplaintReceived,
    DisclosureComplaintResolved,
    TripartiteCommitteeConstituted,
    TripartiteMeetingHeld,
    TripartiteIssueRaised,
    TripartiteIssueResolved,
    BenefitProgrammeLaunched,
    MerchantEnrolled,
    OfferPublished,
    BenefitRedeemed,
    MerchantWithdrawn,
)


def register(reg: EventRegistry) -> None:
    """Register every event this module defines, each at schema version 1."""

    def votes() -> dict[str, fields.Field[Any]]:
        return {k: _count() for k in ("yes", "no", "abstain", "total_delegates", "present")}

    def sides() -> dict[str, fields.Field[Any]]:
        return {f"{side}_ids": _ids() for side in SIDES}

    specific: dict[type, dict[str, fields.Field[Any]]] = {
        CongressEstablished: {
            "kind": one_of(*CONGRESS_KINDS),
            "term_years": fields.Integer(
                required=True, strict=True, validate=validate.OneOf(TERM_YEARS)
            ),
        },
        DelegatesElected: {
            "term_no": fields.Integer(required=True, strict=True, validate=validate.Range(min=1)),
            "delegate_ids": _ids(),
            "min_delegates": _count(),
            "max_manager_bp": fields.Integer(
                required=True, strict=True, validate=validate.Range(0, 10_000)
            ),
        },
        CongressSessionHeld: {"total_delegates": _count()},
        ResolutionAdopted: votes(),
        ResolutionRejected: votes(),
        DisclosurePublished: {
            "topic": one_of(*DISCLOSURE_TOPICS),
            "channel": one_of(*DISCLOSURE_CHANNELS),
            "period": fields.String(required=True, validate=Pattern(PERIOD)),
        },
        TripartiteCommitteeConstituted: sides(),
        TripartiteMeetingHeld: sides(),
        TripartiteIssueRaised: {"raised_by": one_of(*SIDES)},
        MerchantEnrolled: {"category": one_of(*MERCHANT_CATEGORIES)},
    }
    for cls in EVENT_CLASSES:
        reg.register(cls.__name__, event_schema(cls, **specific.get(cls, {})), event_class=cls)


__all__ = [  # the shared refusals, named from here by callers and tests
    "AlreadyRecorded",
    "InvalidTransition",
    "InvalidValue",
    "UnknownReference",
]
