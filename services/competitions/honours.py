"""Honours, the model-worker registry and skills records, as pure deciders.

Four aggregates, each on its own stream:

- ``HonourSelection`` (劳动模范, 先进工作者, 先进集体, 最美职工 selections),
  ``Selection-<selection_id>``: plan, nominations with their congress endorsement,
  screening, one-vote vetoes, public notice and objections, approval within the quota,
  conferral.
- ``SelectionCycle`` (the 最美职工 biennial guard),
  ``SelectionCycle-most_beautiful.<cycle_start_year>``: one selection per two-year cycle.
- ``ModelWorker`` (劳模 registry and 劳模日常服务管理), ``ModelWorker-<person_id>``.
- ``Skills`` (职工素质提升: training and 职业技能等级评价), ``Skills-<person_id>``.

The module is self-contained: its events, errors, deciders, stream ids, the event
registration and the parameter rows it needs. Parameters reach ``decide`` inside the
commands (the adapter looks them up for the command's day, with their versions), and
the events record the versions. What other streams say (the 最美职工 cycle's claim, a
congress's endorsement) comes in the commands too. Events name people and units by id
only: no names, no ID numbers, no illness or income details.

Sources (domain reference §2.2 C5, C6; §3 flows F8, F11):
- 霍邱县 notice of 2022-03-15: 二(四) selections of 劳动模范, 先进工作者 and 先进集体 and
  the daily service of model workers; 五 the 最美职工 selection every two years, training
  and 职业技能等级评价.
- The nomination procedure [LOCAL Wenzhou]: the unit's workers' congress adopts the
  nominee, the county screens, departments run one-vote-veto checks, a public notice,
  approval, conferral.
"""

from __future__ import annotations

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
from shared.schemas import event_schema, money, one_of

# -- parameters -------------------------------------------------------------------------

_NOTICE_2022 = date(2022, 3, 15)  # 霍邱县 notice on supporting the unions' work
_LOCAL = date(2022, 1, 1)  # local practice, in force when the system's records start


def _p(key: str, value: int | str, source: str, on: date) -> Parameter:
    return Parameter(key, value, on, f"{key}@{on.isoformat()}", source)


PARAMETERS: tuple[Parameter, ...] = (
    _p(
        "honours.most_beautiful_base_year",
        2022,
        "霍邱县 notice of 2022-03-15, 五: 每两年开展一次寻找霍邱县“最美职工”评选活动;"
        " the two-year cycles count from the notice's year",
        _NOTICE_2022,
    ),
    _p(
        "honours.public_notice_days",
        7,
        "the proposed honourees are posted this many days before approval"
        " (local practice, confirm with the county; domain §2.2 C5 step 5)",
        _LOCAL,
    ),
)
"""Defaults for competitions' policy table (keys ``honours.``)."""


# -- errors ---------------------------------------------------------------------------


class NominationPending(DomainError):
    """Flow F11: without its unit's workers' congress adopting it, a nomination is pending
    and cannot pass screening."""

    code = "NominationPending"


class ScreeningIncomplete(DomainError):
    """The public notice starts once every nominee has been screened."""

    code = "ScreeningIncomplete"


class NoCandidates(DomainError):
    """Nobody is left to post or approve: the selection can only be cancelled."""

    code = "NoCandidates"


class NoticeNotEnded(DomainError):
    """Approval waits until the public notice has run its full term."""

    code = "NoticeNotEnded"


class ObjectionsUnresolved(DomainError):
    """Every objection raised during the notice is resolved before approval."""

    code = "ObjectionsUnresolved"


class SelectionCycleTaken(DomainError):
    """Notice 五: one 最美职工 selection every two years; this cycle already has one."""

    code = "SelectionCycleTaken"


class TitleRevoked(DomainError):
    """A model worker whose title was revoked is no longer flagged or served."""

    code = "TitleRevoked"


class HealthCheckAlreadyRecorded(DomainError):
    """A model worker's health check is yearly: at most one is recorded per year."""

    code = "HealthCheckAlreadyRecorded"


def _in_range(name: str, value: int, least: int, most: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"{name} is a whole number", field=name)
    if value < least or (most is not None and value > most):
        raise InvalidValue(
            f"{name} is out of range", field=name, value=value, least=least, most=most
        )


# -- levels and titles ----------------------------------------------------------------

LEVELS = ("county", "city", "province", "national")
"""Lowest to highest. Studios need a leader of at least the studio's level (domain §2.2 C3)."""

KINDS = ("model_worker", "advanced_worker", "advanced_collective", "most_beautiful")
"""劳动模范, 先进工作者, 先进集体, 最美职工 (notice 二(四) and 五)."""

KIND_TITLES = {
    "model_worker": "劳动模范",
    "advanced_worker": "先进工作者",
    "advanced_collective": "先进集体",
    "most_beautiful": "最美职工",
}
LEVEL_TITLES = {"county": "县级", "city": "市级", "province": "省级", "national": "全国"}

REGISTERED_KINDS = ("model_worker", "advanced_worker")
"""Titles that enter the 劳模 registry: 劳动模范 and 先进工作者 are served alike."""


def level_at_least(level: str, minimum: str) -> bool:
    """Whether ``level`` is ``minimum`` or higher (county < city < province < national)."""
    _one_of("level", level, LEVELS)
    _one_of("minimum", minimum, LEVELS)
    return LEVELS.index(level) >= LEVELS.index(minimum)


def honour_title(kind: str, level: str) -> str:
    """The title conferred: ``县级劳动模范``, ``全国先进工作者``, ..."""
    _one_of("kind", kind, KINDS)
    _one_of("level", level, LEVELS)
    return f"{LEVEL_TITLES[level]}{KIND_TITLES[kind]}"


# -- SelectionCycle (the 最美职工 biennial guard) ---------------------------------------

MOST_BEAUTIFUL_CYCLE_YEARS = 2
"""Notice 五: 每两年开展一次 (every two years)."""


def cycle_start(year: int, base: int) -> int:
    """The first year of the two-year cycle ``year`` falls in, counting from ``base``."""
    return base + MOST_BEAUTIFUL_CYCLE_YEARS * ((year - base) // MOST_BEAUTIFUL_CYCLE_YEARS)


@dataclass(frozen=True)
class SelectionCycleClaimed:
    selection_id: str
    cycle_start_year: int
    year: int
    """The selection's year."""
    base_year: int
    policy_version: str
    """The version of ``honours.most_beautiful_base_year`` that placed the cycle."""


@dataclass(frozen=True)
class SelectionCycleReleased:
    """The selection holding the cycle was cancelled: another may claim it."""

    selection_id: str
    cycle_start_year: int
    reason: str


@dataclass(frozen=True)
class ClaimSelectionCycle:
    selection_id: str
    year: int
    base_year: int
    policy_version: str


@dataclass(frozen=True)
class ReleaseSelectionCycle:
    selection_id: str
    reason: str


@dataclass(frozen=True)
class SelectionCycle:
    cycle_start_year: int = 0
    held_by: str | None = None
    claims: tuple[str, ...] = ()
    """Every selection that ever claimed the cycle, in order (cancelled ones included)."""


def evolve_cycle(s: SelectionCycle, e: object) -> SelectionCycle:
    match e:
        case SelectionCycleClaimed():
            return SelectionCycle(e.cycle_start_year, e.selection_id, (*s.claims, e.selection_id))
        case SelectionCycleReleased():
            return replace(s, held_by=None)
    return s


def decide_cycle(c: object, s: SelectionCycle) -> list[object]:
    match c:
        case ClaimSelectionCycle():
            start = cycle_start(c.year, c.base_year)
            if s.cycle_start_year and s.cycle_start_year != start:
                raise InvalidValue(
                    "the claim belongs to another cycle's stream",
                    field="year",
                    cycle_start_year=s.cycle_start_year,
                    claimed=start,
                )
            if s.held_by == c.selection_id:
                return []
            if s.held_by is not None:
                raise SelectionCycleTaken(
                    "a 最美职工 selection is held once every two years",
                    cycle_start_year=start,
                    held_by=s.held_by,
                )
            return [
                SelectionCycleClaimed(c.selection_id, start, c.year, c.base_year, c.policy_version)
            ]
        case ReleaseSelectionCycle():
            if s.held_by != c.selection_id:
                return []  # released already, or never held by this selection
            return [SelectionCycleReleased(c.selection_id, s.cycle_start_year, c.reason)]
    raise TypeError(f"not a selection cycle command: {c!r}")


SELECTION_CYCLE: Decider[object, SelectionCycle, object] = Decider(
    SelectionCycle(), evolve_cycle, decide_cycle
)


# -- HonourSelection --------------------------------------------------------------------

SELECTION_STATES = (
    "planned",
    "nominations_open",
    "screening",
    "public_notice",
    "approved",
    "conferred",
    "archived",
    "cancelled",
)
NOMINATION_STATUSES = (
    "pending",
    "eligible",
    "qualified",
    "screened_out",
    "vetoed",
    "objection_upheld",
    "approved",
    "not_selected",
)
_CANCELLABLE = ("planned", "nominations_open", "screening", "public_notice", "approved")


@dataclass(frozen=True)
class SelectionPlanned:
    selection_id: str
    kind: str
    level: str
    year: int
    quota: int
    planned_on: date
    cycle_start_year: int | None
    """The 最美职工 cycle the selection claimed; None for other kinds."""
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class NominationsOpened:
    selection_id: str
    opened_on: date


@dataclass(frozen=True)
class CandidateNominated:
    selection_id: str
    nominee_id: str
    """A person id; a unit id for 先进集体."""
    unit_id: str
    nominated_by: str
    endorsed: bool
    """The unit's workers' congress had already adopted the nomination (flow F11)."""


@dataclass(frozen=True)
class CandidateEndorsed:
    """Flow F11: orgs' ResolutionAdopted with this nominee as its subject: now eligible."""

    selection_id: str
    nominee_id: str
    congress_id: str
    item_id: str


@dataclass(frozen=True)
class NominationsClosed:
    selection_id: str
    closed_on: date


@dataclass(frozen=True)
class CandidateQualified:
    selection_id: str
    nominee_id: str
    reason: str


@dataclass(frozen=True)
class CandidateScreenedOut:
    selection_id: str
    nominee_id: str
    reason: str


@dataclass(frozen=True)
class VetoCheckCleared:
    selection_id: str
    nominee_id: str
    department: str
    reason: str


@dataclass(frozen=True)
class CandidateVetoed:
    """一票否决: one department's veto removes the nominee."""

    selection_id: str
    nominee_id: str
    department: str
    reason: str


@dataclass(frozen=True)
class SelectionNoticeStarted:
    selection_id: str
    starts_on: date
    days: int
    ends_on: date
    """The notice's last day: ``starts_on + days - 1``."""
    nominee_ids: tuple[str, ...]
    """Those posted: qualified and not vetoed, in nomination order."""
    policy_version: str


@dataclass(frozen=True)
class HonourObjectionRaised:
    """The objector is not named: anyone may object during the notice."""

    selection_id: str
    objection_id: str
    nominee_id: str
    summary: str
    raised_on: date


@dataclass(frozen=True)
class HonourObjectionResolved:
    selection_id: str
    objection_id: str
    nominee_id: str
    upheld: bool
    """An upheld objection removes the nominee."""
    resolved_on: date


@dataclass(frozen=True)
class SelectionApproved:
    selection_id: str
    approved_by: str
    approved_on: date
    quota: int
    approved_ids: tuple[str, ...]
    not_selected_ids: tuple[str, ...]
    """Posted and unopposed, but beyond the quota in nomination order."""


@dataclass(frozen=True)
class HonourConferred:
    selection_id: str
    person_id: str
    """The honoured person; the unit for 先进集体."""
    title: str
    kind: str
    level: str
    year: int
    conferred_on: date


@dataclass(frozen=True)
class SelectionArchived:
    selection_id: str
    archived_on: date


@dataclass(frozen=True)
class SelectionCancelled:
    selection_id: str
    kind: str
    reason: str
    cancelled_on: date
    cycle_start_year: int | None
    """The 最美职工 cycle this releases (the adapter appends SelectionCycleReleased with it)."""


@dataclass(frozen=True)
class PlanSelection:
    selection_id: str
    kind: str
    level: str
    year: int
    quota: int
    planned_on: date
    base_year: int | None = None
    """``honours.most_beautiful_base_year`` on ``planned_on`` (most_beautiful only)."""
    base_version: str = ""
    cycle: SelectionCycle | None = None
    """The state of ``cycle_stream(cycle_start(year, base_year))`` (most_beautiful only):
    the plan is refused unless this selection can claim it; ``plan_selection`` gives the
    claim to append with the plan, in one transaction."""


@dataclass(frozen=True)
class OpenNominations:
    opened_on: date


@dataclass(frozen=True)
class Nominate:
    nominee_id: str
    unit_id: str
    nominated_by: str
    endorsed: bool
    """Whether the unit's workers' congress already adopted the nomination (the adapter
    finds out from the endorsements it has noted)."""


@dataclass(frozen=True)
class NoteEndorsement:
    """The reaction to orgs' ResolutionAdopted whose ``subject_ref`` is the nominee."""

    nominee_id: str
    congress_id: str
    item_id: str
    unit_id: str
    """The congress's unit: only the nominating unit's own congress endorses."""


@dataclass(frozen=True)
class CloseNominations:
    closed_on: date


@dataclass(frozen=True)
class Screen:
    nominee_id: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class VetoCheck:
    nominee_id: str
    vetoed: bool
    department: str
    reason: str


@dataclass(frozen=True)
class StartPublicNotice:
    starts_on: date
    days: int
    policy_version: str
    """The version of ``honours.public_notice_days`` the days come from."""


@dataclass(frozen=True)
class RaiseObjection:
    objection_id: str
    nominee_id: str
    summary: str
    raised_on: date


@dataclass(frozen=True)
class ResolveObjection:
    objection_id: str
    upheld: bool
    resolved_on: date


@dataclass(frozen=True)
class Approve:
    approved_by: str
    today: date


@dataclass(frozen=True)
class Confer:
    conferred_on: date


@dataclass(frozen=True)
class Archive:
    archived_on: date


@dataclass(frozen=True)
class Cancel:
    reason: str
    cancelled_on: date


@dataclass(frozen=True)
class Nomination:
    unit_id: str
    nominated_by: str
    endorsed_when_nominated: bool
    endorsement: tuple[str, str] | None = None
    """(congress id, item id) of the resolution noted after the nomination."""
    screening: tuple[bool, str] | None = None
    """(passed, reason) once screened."""
    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)
    """Department → (vetoed, reason)."""
    upheld: tuple[str, ...] = ()
    """Objections upheld against the nominee."""
    outcome: str = ""
    """``approved`` or ``not_selected`` once the selection is approved."""

    @property
    def endorsed(self) -> bool:
        return self.endorsed_when_nominated or self.endorsement is not None

    @property
    def qualified(self) -> bool:
        return self.screening is not None and self.screening[0]

    @property
    def vetoed(self) -> bool:
        return any(vetoed for vetoed, _ in self.checks.values())

    @property
    def status(self) -> str:
        """One of ``NOMINATION_STATUSES``."""
        if self.outcome:
            return self.outcome
        if self.upheld:
            return "objection_upheld"
        if self.vetoed:
            return "vetoed"
        if self.screening is not None:
            return "qualified" if self.screening[0] else "screened_out"
        return "eligible" if self.endorsed else "pending"


@dataclass(frozen=True)
class Objection:
    nominee_id: str
    summary: str
    raised_on: date
    upheld: bool | None = None
    resolved_on: date | None = None


@dataclass(frozen=True)
class Selection:
    status: str = ""
    selection_id: str = ""
    kind: str = ""
    level: str = ""
    year: int = 0
    quota: int = 0
    planned_on: date | None = None
    cycle_start_year: int | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    nominations: dict[str, Nomination] = field(default_factory=dict)
    """Nominee id → nomination, in nomination order."""
    notice_starts_on: date | None = None
    notice_ends_on: date | None = None
    on_notice: tuple[str, ...] = ()
    objections: dict[str, Objection] = field(default_factory=dict)
    approved_on: date | None = None
    approved_ids: tuple[str, ...] = ()
    conferred_ids: tuple[str, ...] = ()


def _nomination(s: Selection, nominee_id: str, **changes: Any) -> Selection:
    updated = replace(s.nominations[nominee_id], **changes)
    return replace(s, nominations={**s.nominations, nominee_id: updated})


def evolve_selection(s: Selection, e: object) -> Selection:
    match e:
        case SelectionPlanned():
            return Selection(
                "planned",
                e.selection_id,
                e.kind,
                e.level,
                e.year,
                e.quota,
                e.planned_on,
                e.cycle_start_year,
            )
        case NominationsOpened():
            return replace(s, status="nominations_open", opened_on=e.opened_on)
        case CandidateNominated():
            n = Nomination(e.unit_id, e.nominated_by, e.endorsed)
            return replace(s, nominations={**s.nominations, e.nominee_id: n})
        case CandidateEndorsed():
            return _nomination(s, e.nominee_id, endorsement=(e.congress_id, e.item_id))
        case NominationsClosed():
            return replace(s, status="screening", closed_on=e.closed_on)
        case CandidateQualified():
            return _nomination(s, e.nominee_id, screening=(True, e.reason))
        case CandidateScreenedOut():
            return _nomination(s, e.nominee_id, screening=(False, e.reason))
        case VetoCheckCleared() | CandidateVetoed():
            checks = s.nominations[e.nominee_id].checks
            vetoed = isinstance(e, CandidateVetoed)
            return _nomination(s, e.nominee_id, checks={**checks, e.department: (vetoed, e.reason)})
        case SelectionNoticeStarted():
            return replace(
                s,
                status="public_notice",
                notice_starts_on=e.starts_on,
                notice_ends_on=e.ends_on,
                on_notice=e.nominee_ids,
            )
        case HonourObjectionRaised():
            objection = Objection(e.nominee_id, e.summary, e.raised_on)
            return replace(s, objections={**s.objections, e.objection_id: objection})
        case HonourObjectionResolved():
            done = replace(s.objections[e.objection_id], upheld=e.upheld, resolved_on=e.resolved_on)
            s = replace(s, objections={**s.objections, e.objection_id: done})
            if e.upheld:
                upheld = s.nominations[e.nominee_id].upheld
                s = _nomination(s, e.nominee_id, upheld=(*upheld, e.objection_id))
            return s
        case SelectionApproved():
            outcomes = {i: "approved" for i in e.approved_ids}
            outcomes.update({i: "not_selected" for i in e.not_selected_ids})
            nominations = {
                i: replace(n, outcome=outcomes[i]) if i in outcomes else n
                for i, n in s.nominations.items()
            }
            return replace(
                s,
                status="approved",
                nominations=nominations,
                approved_on=e.approved_on,
                approved_ids=e.approved_ids,
            )
        case HonourConferred():
            return replace(s, status="conferred", conferred_ids=(*s.conferred_ids, e.person_id))
        case SelectionArchived():
            return replace(s, status="archived")
        case SelectionCancelled():
            return replace(s, status="cancelled")
    return s


def _known(s: Selection, nominee_id: str) -> Nomination:
    n = s.nominations.get(nominee_id)
    if n is None:
        raise UnknownReference("no such nominee in the selection", nominee_id=nominee_id)
    return n


def decide_selection(c: object, s: Selection) -> list[object]:
    match c:
        case PlanSelection():
            if s.status:
                raise _refuse(s.status, c)
            return _plan(c)
        case OpenNominations():
            _need(s.status, c, "planned")
            assert s.planned_on is not None
            if c.opened_on < s.planned_on:
                raise InvalidValue("nominations open after the plan", field="opened_on")
            return [NominationsOpened(s.selection_id, c.opened_on)]
        case Nominate():
            _need(s.status, c, "nominations_open")
            if c.nominee_id in s.nominations:
                n = s.nominations[c.nominee_id]
                return _same_or_clash(
                    (n.unit_id, n.nominated_by),
                    (c.unit_id, c.nominated_by),
                    "nominee_id",
                    c.nominee_id,
                )
            return [
                CandidateNominated(
                    s.selection_id, c.nominee_id, c.unit_id, c.nominated_by, c.endorsed
                )
            ]
        case NoteEndorsement():
            n = _known(s, c.nominee_id)
            if n.endorsed or n.unit_id != c.unit_id:
                # Endorsed at nomination, or this or another resolution noted; or another
                # unit's congress, whose resolution is not this unit's endorsement.
                return []
            # A late resolution cannot reopen screening or the notice.
            _need(s.status, c, "nominations_open", "screening")
            return [CandidateEndorsed(s.selection_id, c.nominee_id, c.congress_id, c.item_id)]
        case CloseNominations():
            _need(s.status, c, "nominations_open")
            assert s.opened_on is not None
            if c.closed_on < s.opened_on:
                raise InvalidValue("nominations close after they open", field="closed_on")
            return [NominationsClosed(s.selection_id, c.closed_on)]
        case Screen():
            _need(s.status, c, "screening")
            return _screen(c, s)
        case VetoCheck():
            _need(s.status, c, "screening")
            return _veto(c, s)
        case StartPublicNotice():
            _need(s.status, c, "screening")
            return _notice(c, s)
        case RaiseObjection():
            _need(s.status, c, "public_notice")
            return _object(c, s)
        case ResolveObjection():
            _need(s.status, c, "public_notice")
            return _resolve(c, s)
        case Approve():
            _need(s.status, c, "public_notice")
            return _approve(c, s)
        case Confer():
            _need(s.status, c, "approved")
            assert s.approved_on is not None
            if c.conferred_on < s.approved_on:
                raise InvalidValue("titles are conferred after approval", field="conferred_on")
            title = honour_title(s.kind, s.level)
            return [
                HonourConferred(s.selection_id, i, title, s.kind, s.level, s.year, c.conferred_on)
                for i in s.approved_ids
            ]
        case Archive():
            _need(s.status, c, "conferred")
            return [SelectionArchived(s.selection_id, c.archived_on)]
        case Cancel():
            if s.status == "cancelled":
                return []
            # Conferred titles are not cancelled with the selection: each is revoked alone.
            _need(s.status, c, *_CANCELLABLE)
            return [
                SelectionCancelled(
                    s.selection_id, s.kind, c.reason, c.cancelled_on, s.cycle_start_year
                )
            ]
    raise TypeError(f"not a selection command: {c!r}")


def _plan(c: PlanSelection) -> list[object]:
    _one_of("kind", c.kind, KINDS)
    _one_of("level", c.level, LEVELS)
    _in_range("year", c.year, 2000, 2100)
    _in_range("quota", c.quota, 1)
    start: int | None = None
    versions: tuple[str, ...] = ()
    if c.kind == "most_beautiful":
        claim = cycle_claim(c)
        if claim is None or c.cycle is None:
            raise InvalidValue(
                "a 最美职工 selection is planned with its two-year cycle",
                field="cycle",
            )
        decide_cycle(claim, c.cycle)  # refuses when another selection holds the cycle
        start = cycle_start(c.year, claim.base_year)
        versions = (c.base_version,)
    return [
        SelectionPlanned(
            c.selection_id, c.kind, c.level, c.year, c.quota, c.planned_on, start, versions
        )
    ]


def _screen(c: Screen, s: Selection) -> list[object]:
    n = _known(s, c.nominee_id)
    if n.screening is not None:
        return _same_or_clash(n.screening, (c.passed, c.reason), "nominee_id", c.nominee_id)
    if not c.passed:
        return [CandidateScreenedOut(s.selection_id, c.nominee_id, c.reason)]
    if not n.endorsed:
        raise NominationPending(
            "the unit's workers' congress has not adopted the nomination",
            nominee_id=c.nominee_id,
        )
    return [CandidateQualified(s.selection_id, c.nominee_id, c.reason)]


def _veto(c: VetoCheck, s: Selection) -> list[object]:
    n = _known(s, c.nominee_id)
    if c.department in n.checks:
        return _same_or_clash(
            n.checks[c.department], (c.vetoed, c.reason), "department", c.department
        )
    # Departments check those the county found qualified (domain §2.2 C5, steps 3-4).
    if not n.qualified:
        raise InvalidTransition(
            "veto checks follow a passed qualification screening",
            nominee_id=c.nominee_id,
            status=n.status,
        )
    if c.vetoed:
        return [CandidateVetoed(s.selection_id, c.nominee_id, c.department, c.reason)]
    return [VetoCheckCleared(s.selection_id, c.nominee_id, c.department, c.reason)]


def _notice(c: StartPublicNotice, s: Selection) -> list[object]:
    _in_range("days", c.days, 1)
    assert s.closed_on is not None
    if c.starts_on < s.closed_on:
        raise InvalidValue("the notice starts after nominations close", field="starts_on")
    if unscreened := [i for i, n in s.nominations.items() if n.screening is None]:
        raise ScreeningIncomplete(
            "every nominee is screened before the notice", nominee_ids=unscreened
        )
    posted = tuple(i for i, n in s.nominations.items() if n.qualified and not n.vetoed)
    if not posted:
        raise NoCandidates("no nominee passed screening and the veto checks")
    ends_on = c.starts_on + timedelta(days=c.days - 1)
    return [
        SelectionNoticeStarted(
            s.selection_id, c.starts_on, c.days, ends_on, posted, c.policy_version
        )
    ]


def _object(c: RaiseObjection, s: Selection) -> list[object]:
    if c.objection_id in s.objections:
        o = s.objections[c.objection_id]
        return _same_or_clash(
            (o.nominee_id, o.summary, o.raised_on),
            (c.nominee_id, c.summary, c.raised_on),
            "objection_id",
            c.objection_id,
        )
    if c.nominee_id not in s.on_notice:
        raise UnknownReference("the nominee is not on the notice", nominee_id=c.nominee_id)
    assert s.notice_starts_on is not None and s.notice_ends_on is not None
    if not s.notice_starts_on <= c.raised_on <= s.notice_ends_on:
        raise InvalidValue(
            "objections are raised while the notice runs",
            field="raised_on",
            starts_on=s.notice_starts_on.isoformat(),
            ends_on=s.notice_ends_on.isoformat(),
        )
    return [
        HonourObjectionRaised(s.selection_id, c.objection_id, c.nominee_id, c.summary, c.raised_on)
    ]


def _resolve(c: ResolveObjection, s: Selection) -> list[object]:
    o = s.objections.get(c.objection_id)
    if o is None:
        raise UnknownReference("no such objection", objection_id=c.objection_id)
    if o.upheld is not None:
        return _same_or_clash(
            (o.upheld, o.resolved_on), (c.upheld, c.resolved_on), "objection_id", c.objection_id
        )
    if c.resolved_on < o.raised_on:
        raise InvalidValue("an objection is resolved after it is raised", field="resolved_on")
    return [
        HonourObjectionResolved(
            s.selection_id, c.objection_id, o.nominee_id, c.upheld, c.resolved_on
        )
    ]


def _approve(c: Approve, s: Selection) -> list[object]:
    assert s.notice_ends_on is not None
    if c.today <= s.notice_ends_on:
        raise NoticeNotEnded(
            "the public notice has not ended",
            ends_on=s.notice_ends_on.isoformat(),
            today=c.today.isoformat(),
        )
    if open_ := [i for i, o in s.objections.items() if o.upheld is None]:
        raise ObjectionsUnresolved("objections are still open", objection_ids=open_)
    # Posted, unopposed nominees in nomination order; the quota takes the first ones.
    standing = [i for i in s.on_notice if not s.nominations[i].upheld]
    if not standing:
        raise NoCandidates("every posted nominee was removed by an upheld objection")
    return [
        SelectionApproved(
            s.selection_id,
            c.approved_by,
            c.today,
            s.quota,
            tuple(standing[: s.quota]),
            tuple(standing[s.quota :]),
        )
    ]


SELECTION: Decider[object, Selection, object] = Decider(
    Selection(), evolve_selection, decide_selection
)


def cycle_claim(c: PlanSelection) -> ClaimSelectionCycle | None:
    """The claim a 最美职工 plan needs (None for other kinds, or without a base year)."""
    if c.kind != "most_beautiful" or c.base_year is None:
        return None
    return ClaimSelectionCycle(c.selection_id, c.year, c.base_year, c.base_version)


def plan_selection(c: PlanSelection, s: Selection) -> tuple[list[object], list[object]]:
    """The plan's events and, for 最美职工, the cycle claim's events (on
    ``cycle_stream(...)``): the adapter appends both in one transaction, each stream
    with its expected version, so two plans racing for one cycle cannot both commit."""
    planned = decide_selection(c, s)
    claim = cycle_claim(c)
    if claim is None or c.cycle is None:
        return planned, []
    return planned, decide_cycle(claim, c.cycle)


def cancel_selection(
    c: Cancel, s: Selection, cycle: SelectionCycle
) -> tuple[list[object], list[object]]:
    """The cancellation and, for 最美职工, the release of its cycle (``cycle`` is the state
    of ``selection_cycle_stream(s)``): appended together, like the plan and its claim."""
    cancelled = decide_selection(c, s)
    if s.cycle_start_year is None:
        return cancelled, []
    return cancelled, decide_cycle(ReleaseSelectionCycle(s.selection_id, c.reason), cycle)


def registration_for(e: HonourConferred) -> RegisterModelWorker | None:
    """The registry entry a conferred title makes (劳动模范 and 先进工作者 only)."""
    if e.kind not in REGISTERED_KINDS:
        return None
    return RegisterModelWorker(e.person_id, e.title, e.level, e.year, e.selection_id)


# -- ModelWorker (劳模 registry and 劳模日常服务管理) ----------------------------------

WORKER_STATES = ("active", "retired", "deceased", "revoked")
SERVICE_KINDS = ("health_check", "festival_visit", "recuperation", "hardship_subsidy")
"""Domain §2.2 C6: yearly health check, visits at festivals, 疗休养, hardship subsidy."""
HARDSHIP_REASONS = (
    "illness",
    "disability",
    "unemployment",
    "low_income",
    "disaster",
    "accident",
    "other",
)
"""Codes only: the details (diagnosis, income) stay in the vault, never in the log."""


@dataclass(frozen=True)
class ModelWorkerRegistered:
    """Flow F8: aid reads ``person_id`` and ``level``. One per title a person holds."""

    person_id: str
    title: str
    level: str
    year: int
    source: str | None
    """The selection that conferred the title; None for a title recorded from the files."""


@dataclass(frozen=True)
class ModelWorkerHardshipFlagged:
    """Flow F8: aid opens a 劳模困难帮扶 case from it."""

    person_id: str
    flag_id: str
    fiscal_year: int
    amount_fen: int
    household_id: str | None
    reason: str
    """One of ``HARDSHIP_REASONS``."""


@dataclass(frozen=True)
class ModelWorkerServiceRecorded:
    person_id: str
    kind: str
    served_on: date
    note: str


@dataclass(frozen=True)
class ModelWorkerRetired:
    person_id: str
    retired_on: date


@dataclass(frozen=True)
class ModelWorkerDeceased:
    person_id: str
    died_on: date


@dataclass(frozen=True)
class ModelWorkerTitleRevoked:
    person_id: str
    reason: str
    revoked_on: date


@dataclass(frozen=True)
class RegisterModelWorker:
    person_id: str
    title: str
    level: str
    year: int
    source_selection_id: str | None = None


@dataclass(frozen=True)
class FlagHardship:
    flag_id: str
    fiscal_year: int
    amount_fen: int
    household_id: str | None
    reason: str


@dataclass(frozen=True)
class RecordService:
    kind: str
    on: date
    note: str


@dataclass(frozen=True)
class Retire:
    on: date


@dataclass(frozen=True)
class RecordDeath:
    on: date


@dataclass(frozen=True)
class RevokeTitle:
    reason: str
    on: date


@dataclass(frozen=True)
class Title:
    title: str
    level: str
    year: int
    source: str | None


@dataclass(frozen=True)
class ModelWorker:
    status: str = ""
    person_id: str = ""
    titles: tuple[Title, ...] = ()
    flags: dict[str, ModelWorkerHardshipFlagged] = field(default_factory=dict)
    services: tuple[ModelWorkerServiceRecorded, ...] = ()
    health_checks: dict[int, ModelWorkerServiceRecorded] = field(default_factory=dict)
    """Year → that year's health check."""
    retired_on: date | None = None
    died_on: date | None = None
    revoked: tuple[str, date] | None = None
    """(reason, date) of the revocation."""


def highest_title_level(s: ModelWorker) -> str | None:
    """The highest level among the titles held (None when none is)."""
    if not s.titles or s.status == "revoked":
        return None
    return max((t.level for t in s.titles), key=LEVELS.index)


def evolve_worker(s: ModelWorker, e: object) -> ModelWorker:
    match e:
        case ModelWorkerRegistered():
            title = Title(e.title, e.level, e.year, e.source)
            status = s.status or "active"
            return replace(s, status=status, person_id=e.person_id, titles=(*s.titles, title))
        case ModelWorkerHardshipFlagged():
            return replace(s, flags={**s.flags, e.flag_id: e})
        case ModelWorkerServiceRecorded():
            s = replace(s, services=(*s.services, e))
            if e.kind == "health_check":
                s = replace(s, health_checks={**s.health_checks, e.served_on.year: e})
            return s
        case ModelWorkerRetired():
            return replace(s, status="retired", retired_on=e.retired_on)
        case ModelWorkerDeceased():
            return replace(s, status="deceased", died_on=e.died_on)
        case ModelWorkerTitleRevoked():
            return replace(s, status="revoked", revoked=(e.reason, e.revoked_on))
    return s


def _serving(s: ModelWorker, c: object) -> None:
    """Flags and services are for a living model worker who still holds the title."""
    if s.status == "revoked":
        raise TitleRevoked(
            "the model worker's title was revoked", person_id=s.person_id, command=type(c).__name__
        )
    _need(s.status, c, "active", "retired")


def decide_worker(c: object, s: ModelWorker) -> list[object]:
    match c:
        case RegisterModelWorker():
            return _register(c, s)
        case FlagHardship():
            _serving(s, c)
            flagged = ModelWorkerHardshipFlagged(
                s.person_id, c.flag_id, c.fiscal_year, c.amount_fen, c.household_id, c.reason
            )
            if c.flag_id in s.flags:
                return _same_or_clash(s.flags[c.flag_id], flagged, "flag_id", c.flag_id)
            _in_range("fiscal_year", c.fiscal_year, 2000, 2100)
            _in_range("amount_fen", c.amount_fen, 0)
            _one_of("reason", c.reason, HARDSHIP_REASONS)
            return [flagged]
        case RecordService():
            _serving(s, c)
            _one_of("kind", c.kind, SERVICE_KINDS)
            served = ModelWorkerServiceRecorded(s.person_id, c.kind, c.on, c.note)
            if served in s.services:
                return []  # the same service again records nothing
            if c.kind == "health_check" and c.on.year in s.health_checks:
                raise HealthCheckAlreadyRecorded(
                    "a health check is recorded once a year",
                    year=c.on.year,
                    recorded_on=s.health_checks[c.on.year].served_on.isoformat(),
                )
            return [served]
        case Retire():
            if s.status == "retired":
                assert s.retired_on is not None
                return _same_or_clash(s.retired_on, c.on, "retired_on", s.retired_on.isoformat())
            _need(s.status, c, "active")
            return [ModelWorkerRetired(s.person_id, c.on)]
        case RecordDeath():
            if s.status == "deceased":
                assert s.died_on is not None
                return _same_or_clash(s.died_on, c.on, "died_on", s.died_on.isoformat())
            _need(s.status, c, "active", "retired")
            if s.retired_on is not None and c.on < s.retired_on:
                raise InvalidValue("death is recorded after retirement", field="on")
            return [ModelWorkerDeceased(s.person_id, c.on)]
        case RevokeTitle():
            if s.revoked is not None:
                return _same_or_clash(s.revoked, (c.reason, c.on), "person_id", s.person_id)
            # From any state, a deceased model worker's included (domain §2.2 C6).
            _need(s.status, c, "active", "retired", "deceased")
            return [ModelWorkerTitleRevoked(s.person_id, c.reason, c.on)]
    raise TypeError(f"not a model worker command: {c!r}")


def _register(c: RegisterModelWorker, s: ModelWorker) -> list[object]:
    if s.status == "revoked":
        raise TitleRevoked("the model worker's title was revoked", person_id=s.person_id)
    if s.status:
        _need(s.status, c, "active", "retired")
        if c.person_id != s.person_id:
            raise InvalidValue("the command names another person", field="person_id")
    _one_of("level", c.level, LEVELS)
    _in_range("year", c.year, 1950, 2100)
    if not c.title:
        raise InvalidValue("a title is named", field="title")
    title = Title(c.title, c.level, c.year, c.source_selection_id)
    for held in s.titles:
        if (held.title, held.level, held.year) == (title.title, title.level, title.year):
            return _same_or_clash(held, title, "title", f"{c.title} {c.year}")
    # A further title (a county model worker later honoured by the province) is recorded too.
    return [ModelWorkerRegistered(c.person_id, c.title, c.level, c.year, c.source_selection_id)]


MODEL_WORKER: Decider[object, ModelWorker, object] = Decider(
    ModelWorker(), evolve_worker, decide_worker
)


# -- Skills (职工素质提升: training and 职业技能等级评价) --------------------------------

SKILL_LEVELS = {1: "高级技师", 2: "技师", 3: "高级工", 4: "中级工", 5: "初级工"}
"""职业技能等级: 一级 (highest) to 五级; a smaller number is a higher level."""


@dataclass(frozen=True)
class SkillTrainingRecorded:
    person_id: str
    course_id: str
    title: str
    hours: int
    completed_on: date


@dataclass(frozen=True)
class SkillAppraisalRecorded:
    person_id: str
    occupation: str
    level: int
    """1 (一级, 高级技师) to 5 (五级, 初级工)."""
    appraised_on: date
    certificate_no: str


@dataclass(frozen=True)
class RecordTraining:
    person_id: str
    course_id: str
    title: str
    hours: int
    completed_on: date


@dataclass(frozen=True)
class RecordAppraisal:
    person_id: str
    occupation: str
    level: int
    appraised_on: date
    certificate_no: str


@dataclass(frozen=True)
class Skills:
    person_id: str = ""
    trainings: dict[str, SkillTrainingRecorded] = field(default_factory=dict)
    appraisals: dict[str, SkillAppraisalRecorded] = field(default_factory=dict)
    """Certificate number → appraisal."""


def highest_level(s: Skills, occupation: str | None = None) -> int | None:
    """The highest skill level appraised (the smallest number), in ``occupation`` if given."""
    levels = [
        a.level for a in s.appraisals.values() if occupation is None or a.occupation == occupation
    ]
    return min(levels, default=None)


def training_hours(s: Skills, year: int) -> int:
    """Hours of training completed in ``year``."""
    return sum(t.hours for t in s.trainings.values() if t.completed_on.year == year)


def evolve_skills(s: Skills, e: object) -> Skills:
    match e:
        case SkillTrainingRecorded():
            return replace(s, person_id=e.person_id, trainings={**s.trainings, e.course_id: e})
        case SkillAppraisalRecorded():
            appraisals = {**s.appraisals, e.certificate_no: e}
            return replace(s, person_id=e.person_id, appraisals=appraisals)
    return s


def _same_person(s: Skills, person_id: str) -> None:
    if s.person_id and person_id != s.person_id:
        raise InvalidValue("the command names another person", field="person_id")


def decide_skills(c: object, s: Skills) -> list[object]:
    match c:
        case RecordTraining():
            _same_person(s, c.person_id)
            event = SkillTrainingRecorded(
                c.person_id, c.course_id, c.title, c.hours, c.completed_on
            )
            if c.course_id in s.trainings:
                return _same_or_clash(s.trainings[c.course_id], event, "course_id", c.course_id)
            _in_range("hours", c.hours, 1)
            return [event]
        case RecordAppraisal():
            _same_person(s, c.person_id)
            appraisal = SkillAppraisalRecorded(
                c.person_id, c.occupation, c.level, c.appraised_on, c.certificate_no
            )
            if c.certificate_no in s.appraisals:
                recorded = s.appraisals[c.certificate_no]
                return _same_or_clash(recorded, appraisal, "certificate_no", c.certificate_no)
            _in_range("level", c.level, 1, 5)
            if not c.occupation or not c.certificate_no:
                raise InvalidValue(
                    "an appraisal names its occupation and certificate",
                    field="occupation" if not c.occupation else "certificate_no",
                )
            return [appraisal]
    raise TypeError(f"not a skills command: {c!r}")


SKILLS: Decider[object, Skills, object] = Decider(Skills(), evolve_skills, decide_skills)


# -- streams ---------------------------------------------------------------------------


def selection_stream(selection_id: str) -> str:
    return f"Selection-{selection_id}"


def cycle_stream(cycle_start_year: int) -> str:
    """The 最美职工 guard of the two-year cycle starting in ``cycle_start_year``."""
    return f"SelectionCycle-most_beautiful.{cycle_start_year}"


def selection_cycle_stream(s: Selection) -> str | None:
    """The cycle stream a 最美职工 selection holds (None for other kinds)."""
    return None if s.cycle_start_year is None else cycle_stream(s.cycle_start_year)


def model_worker_stream(person_id: str) -> str:
    return f"ModelWorker-{person_id}"


def skills_stream(person_id: str) -> str:
    return f"Skills-{person_id}"


# -- registration ----------------------------------------------------------------------


def _year(least: int = 2000) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(least, 2100))


def _positive() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


def _ids() -> fields.Field[Any]:
    return fields.List(fields.String(), required=True)


EVENT_CLASSES: tuple[type, ...] = (
    SelectionCycleClaimed,
    SelectionCycleReleased,
    SelectionPlanned,
    NominationsOpened,
    CandidateNominated,
    CandidateEndorsed,
    NominationsClosed,
    CandidateQualified,
    CandidateScreenedOut,
    VetoCheckCleared,
    CandidateVetoed,
    SelectionNoticeStarted,
    HonourObjectionRaised,
    HonourObjectionResolved,
    SelectionApproved,
    HonourConferred,
    SelectionArchived,
    SelectionCancelled,
    ModelWorkerRegistered,
    ModelWorkerHardshipFlagged,
    ModelWorkerServiceRecorded,
    ModelWorkerRetired,
    ModelWorkerDeceased,
    ModelWorkerTitleRevoked,
    SkillTrainingRecorded,
    SkillAppraisalRecorded,
)


def register(reg: EventRegistry) -> None:
    """Register every event this module defines, each at schema version 1."""
    specific: dict[type, dict[str, fields.Field[Any]]] = {
        SelectionCycleClaimed: {"year": _year()},
        SelectionPlanned: {
            "kind": one_of(*KINDS),
            "level": one_of(*LEVELS),
            "year": _year(),
            "quota": _positive(),
        },
        SelectionNoticeStarted: {"days": _positive(), "nominee_ids": _ids()},
        SelectionApproved: {
            "quota": _positive(),
            "approved_ids": _ids(),
            "not_selected_ids": _ids(),
        },
        HonourConferred: {"kind": one_of(*KINDS), "level": one_of(*LEVELS), "year": _year()},
        SelectionCancelled: {"kind": one_of(*KINDS)},
        ModelWorkerRegistered: {"level": one_of(*LEVELS), "year": _year(1950)},
        ModelWorkerHardshipFlagged: {
            "fiscal_year": _year(),
            "amount_fen": money(),
            "reason": one_of(*HARDSHIP_REASONS),
        },
        ModelWorkerServiceRecorded: {"kind": one_of(*SERVICE_KINDS)},
        SkillTrainingRecorded: {"hours": _positive()},
        SkillAppraisalRecorded: {
            "level": fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
        },
    }
    for cls in EVENT_CLASSES:
        reg.register(cls.__name__, event_schema(cls, **specific.get(cls, {})), event_class=cls)


__all__ = [  # the shared refusals, named from here by callers and tests
    "AlreadyRecorded",
    "InvalidTransition",
    "InvalidValue",
    "UnknownReference",
]
