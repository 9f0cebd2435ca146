"""Honours: selections (with the 最美职工 two-year cycle), the model-worker registry and
skills records. Every event a test produces goes through the module's own registration
the way the store records it (dump, JSON, decode).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import EXCLUDE

from services.competitions.honours import (
    EVENT_CLASSES,
    LEVELS,
    MODEL_WORKER,
    PARAMETERS,
    SELECTION,
    SELECTION_CYCLE,
    SKILLS,
    AlreadyRecorded,
    Approve,
    Archive,
    Cancel,
    CandidateEndorsed,
    CandidateNominated,
    CandidateQualified,
    CandidateScreenedOut,
    CandidateVetoed,
    ClaimSelectionCycle,
    CloseNominations,
    Confer,
    FlagHardship,
    HealthCheckAlreadyRecorded,
    HonourConferred,
    HonourObjectionRaised,
    HonourObjectionResolved,
    InvalidTransition,
    InvalidValue,
    ModelWorker,
    ModelWorkerDeceased,
    ModelWorkerHardshipFlagged,
    ModelWorkerRegistered,
    ModelWorkerRetired,
    ModelWorkerServiceRecorded,
    ModelWorkerTitleRevoked,
    NoCandidates,
    Nominate,
    NominationPending,
    NominationsOpened,
    NoteEndorsement,
    NoticeNotEnded,
    ObjectionsUnresolved,
    OpenNominations,
    PlanSelection,
    RaiseObjection,
    RecordAppraisal,
    RecordDeath,
    RecordService,
    RecordTraining,
    RegisterModelWorker,
    ReleaseSelectionCycle,
    ResolveObjection,
    Retire,
    RevokeTitle,
    Screen,
    ScreeningIncomplete,
    Selection,
    SelectionApproved,
    SelectionCancelled,
    SelectionCycle,
    SelectionCycleClaimed,
    SelectionCycleReleased,
    SelectionCycleTaken,
    SelectionNoticeStarted,
    SelectionPlanned,
    SkillAppraisalRecorded,
    Skills,
    SkillTrainingRecorded,
    StartPublicNotice,
    TitleRevoked,
    UnknownReference,
    VetoCheck,
    VetoCheckCleared,
    cancel_selection,
    cycle_claim,
    cycle_start,
    cycle_stream,
    highest_level,
    highest_title_level,
    honour_title,
    level_at_least,
    model_worker_stream,
    plan_selection,
    register,
    registration_for,
    selection_cycle_stream,
    selection_stream,
    skills_stream,
    training_hours,
)
from shared.decider import Decider
from shared.errors import DomainError
from shared.policy import PolicyTable
from shared.registry import EventRegistry

S = TypeVar("S")

EVENTS = EventRegistry()
register(EVENTS)


def recorded(event: object) -> Any:
    """The event as a reader of the log gets it back: dumped, stored as JSON, decoded."""
    new = EVENTS.new_event(event)
    version = EVENTS.prepare(new)  # what append checks: the data loads with the newest schema
    return EVENTS.decode(new.event_type, version, json.loads(json.dumps(new.data)))


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    s = decider.initial_state if state is None else state
    events: list[object] = []
    for c in commands:
        new = list(decider.decide(c, s))
        for e in new:
            assert recorded(e) == e, f"{type(e).__name__} does not survive the log"
        events += new
        s = decider.fold(new, s)
    return s, events


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


# -- HonourSelection ------------------------------------------------------------------

PLANNED_ON = date(2026, 1, 5)
PLAN = PlanSelection("S1", "model_worker", "county", 2026, 2, PLANNED_ON)
OPEN = OpenNominations(date(2026, 2, 1))
CLOSE = CloseNominations(date(2026, 3, 1))
NOTICE_VERSION = "honours.public_notice_days@2022-01-01"
NOTICE = StartPublicNotice(date(2026, 4, 1), 7, NOTICE_VERSION)
"""Posted 1 to 7 April 2026."""
AFTER_NOTICE = date(2026, 4, 8)


def nominate(nominee: str, endorsed: bool = True, unit: str = "unit-1") -> Nominate:
    return Nominate(nominee, unit, "union-1", endorsed)


def passed(nominee: str) -> Screen:
    return Screen(nominee, True, "meets the criteria")


def cleared(nominee: str, department: str = "discipline") -> VetoCheck:
    return VetoCheck(nominee, False, department, "")


def objection(oid: str, nominee: str, on: date = date(2026, 4, 3)) -> RaiseObjection:
    return RaiseObjection(oid, nominee, "the reported results are overstated", on)


OPENED: tuple[object, ...] = (PLAN, OPEN)
SCREENING: tuple[object, ...] = (
    *OPENED,
    nominate("p1"),
    nominate("p2"),
    nominate("p3"),
    CLOSE,
)
"""Three endorsed nominees, nominations closed."""
QUALIFIED: tuple[object, ...] = (*SCREENING, passed("p1"), passed("p2"), passed("p3"))
POSTED: tuple[object, ...] = (*QUALIFIED, NOTICE)
APPROVED: tuple[object, ...] = (*POSTED, Approve("leader-1", AFTER_NOTICE))


def selection(*commands: object) -> tuple[Selection, list[object]]:
    return run_with(SELECTION, *commands)


@pytest.mark.parametrize(
    "kind", ["model_worker", "advanced_worker", "advanced_collective", "most_beautiful"]
)
@pytest.mark.parametrize("level", ["county", "city", "province", "national"])
def test_rule_a_selection_is_of_four_kinds_at_four_levels(kind: str, level: str) -> None:
    cycle = SelectionCycle() if kind == "most_beautiful" else None
    plan = PlanSelection("S1", kind, level, 2026, 3, PLANNED_ON, 2022, "v", cycle)
    state, events = selection(plan)
    assert kinds(events) == ["SelectionPlanned"]
    assert (state.status, state.kind, state.level, state.quota) == ("planned", kind, level, 3)


@pytest.mark.parametrize(
    "plan",
    [
        replace(PLAN, kind="best_employee"),
        replace(PLAN, level="township"),
        replace(PLAN, quota=0),
        replace(PLAN, year=1999),
    ],
)
def test_rule_other_kinds_levels_quotas_and_years_are_refused(plan: PlanSelection) -> None:
    with pytest.raises(InvalidValue):
        selection(plan)


def test_rule_a_selection_is_planned_once_and_moves_through_its_states_in_order() -> None:
    state, events = selection(*APPROVED, Confer(date(2026, 5, 1)), Archive(date(2026, 12, 31)))
    assert kinds(events) == [
        "SelectionPlanned",
        "NominationsOpened",
        "CandidateNominated",
        "CandidateNominated",
        "CandidateNominated",
        "NominationsClosed",
        "CandidateQualified",
        "CandidateQualified",
        "CandidateQualified",
        "SelectionNoticeStarted",
        "SelectionApproved",
        "HonourConferred",
        "HonourConferred",
        "SelectionArchived",
    ]
    assert events[:2] == [
        SelectionPlanned("S1", "model_worker", "county", 2026, 2, PLANNED_ON, None, ()),
        NominationsOpened("S1", date(2026, 2, 1)),
    ]
    assert state.status == "archived"
    with pytest.raises(InvalidTransition):
        selection(PLAN, PLAN)
    out_of_order: list[tuple[tuple[object, ...], object]] = [
        ((), OPEN),
        ((PLAN,), nominate("p1")),
        ((PLAN,), CLOSE),
        (OPENED, passed("p1")),
        (OPENED, NOTICE),
        (SCREENING, nominate("p4")),
        (SCREENING, Approve("leader-1", AFTER_NOTICE)),
        (QUALIFIED, objection("O1", "p1")),
        (POSTED, Confer(date(2026, 5, 1))),
        (POSTED, Archive(date(2026, 5, 1))),
        (APPROVED, cleared("p1")),
    ]
    for before, command in out_of_order:
        with pytest.raises(InvalidTransition):
            selection(*before, command)


def test_rule_dates_follow_the_procedure() -> None:
    with pytest.raises(InvalidValue):
        selection(PLAN, OpenNominations(date(2026, 1, 4)))
    with pytest.raises(InvalidValue):
        selection(*OPENED, CloseNominations(date(2026, 1, 31)))
    with pytest.raises(InvalidValue):
        selection(*QUALIFIED, StartPublicNotice(date(2026, 2, 28), 7, NOTICE_VERSION))
    with pytest.raises(InvalidValue):
        selection(*APPROVED, Confer(date(2026, 4, 7)))


def test_rule_a_nominee_is_nominated_once() -> None:
    _, events = selection(*OPENED, nominate("p1"), nominate("p1"))
    assert events[-1] == CandidateNominated("S1", "p1", "unit-1", "union-1", True)
    assert kinds(events).count("CandidateNominated") == 1
    with pytest.raises(AlreadyRecorded):
        selection(*OPENED, nominate("p1"), nominate("p1", unit="unit-2"))


def test_rule_a_nomination_without_its_congress_endorsement_stays_pending_and_fails_screening() -> (
    None
):
    state, _ = selection(*OPENED, nominate("p1", endorsed=False), CLOSE)
    assert state.nominations["p1"].status == "pending"
    with pytest.raises(NominationPending) as refused:
        selection(*OPENED, nominate("p1", endorsed=False), CLOSE, passed("p1"))
    assert refused.value.code == "NominationPending"
    assert refused.value.details == {"nominee_id": "p1"}
    # It may still be screened out.
    state, events = selection(
        *OPENED, nominate("p1", endorsed=False), CLOSE, Screen("p1", False, "no endorsement")
    )
    assert events[-1] == CandidateScreenedOut("S1", "p1", "no endorsement")
    assert state.nominations["p1"].status == "screened_out"


def test_rule_the_congress_resolution_makes_a_pending_nomination_eligible_flow_f11() -> None:
    endorse = NoteEndorsement("p1", "C1", "MW-1", "unit-1")
    pending = (*OPENED, nominate("p1", endorsed=False))
    state, events = selection(*pending, endorse, endorse)
    assert events[-1] == CandidateEndorsed("S1", "p1", "C1", "MW-1")
    assert kinds(events).count("CandidateEndorsed") == 1  # a redelivery records nothing
    assert state.nominations["p1"].status == "eligible"
    # After nominations close, until screening ends; then it passes screening.
    _, events = selection(*pending, CLOSE, endorse, passed("p1"))
    assert kinds(events)[-2:] == ["CandidateEndorsed", "CandidateQualified"]
    # A nomination endorsed when made needs no more; an unknown nominee is refused.
    _, events = selection(*OPENED, nominate("p1"), endorse)
    assert kinds(events)[-1] == "CandidateNominated"
    with pytest.raises(UnknownReference):
        selection(*OPENED, endorse)


def test_rule_another_units_congress_does_not_endorse_the_nomination() -> None:
    other = NoteEndorsement("p1", "C9", "MW-1", "unit-9")
    state, events = selection(*OPENED, nominate("p1", endorsed=False), other)
    assert kinds(events)[-1] == "CandidateNominated"
    assert state.nominations["p1"].status == "pending"


def test_rule_a_late_endorsement_does_not_reopen_the_notice() -> None:
    late = (*OPENED, nominate("p1"), nominate("p2", endorsed=False), CLOSE)
    screened = (*late, passed("p1"), Screen("p2", False, "pending"), NOTICE)
    with pytest.raises(InvalidTransition):
        selection(*screened, NoteEndorsement("p2", "C1", "MW-2", "unit-1"))


def test_rule_a_nominee_is_screened_once() -> None:
    _, events = selection(*SCREENING, passed("p1"), passed("p1"))
    assert events[-1] == CandidateQualified("S1", "p1", "meets the criteria")
    assert kinds(events).count("CandidateQualified") == 1
    with pytest.raises(AlreadyRecorded):
        selection(*SCREENING, passed("p1"), Screen("p1", False, "changed my mind"))
    with pytest.raises(UnknownReference):
        selection(*SCREENING, passed("p9"))


def test_rule_one_veto_removes_the_nominee() -> None:
    veto = VetoCheck("p2", True, "public_security", "a criminal record")
    state, events = selection(
        *QUALIFIED,
        cleared("p2", "discipline"),
        veto,
        cleared("p2", "environment"),
        cleared("p1", "public_security"),
    )
    assert events[-4:] == [
        VetoCheckCleared("S1", "p2", "discipline", ""),
        CandidateVetoed("S1", "p2", "public_security", "a criminal record"),
        VetoCheckCleared("S1", "p2", "environment", ""),
        VetoCheckCleared("S1", "p1", "public_security", ""),
    ]
    assert state.nominations["p2"].status == "vetoed"
    assert state.nominations["p1"].status == "qualified"
    state, events = selection(*QUALIFIED, veto, NOTICE)
    assert isinstance(events[-1], SelectionNoticeStarted)
    assert events[-1].nominee_ids == ("p1", "p3")


def test_rule_a_department_checks_a_nominee_once_and_only_after_a_passed_screening() -> None:
    _, events = selection(*QUALIFIED, cleared("p1"), cleared("p1"))
    assert kinds(events).count("VetoCheckCleared") == 1
    with pytest.raises(AlreadyRecorded):
        selection(*QUALIFIED, cleared("p1"), VetoCheck("p1", True, "discipline", "x"))
    with pytest.raises(InvalidTransition):
        selection(*SCREENING, cleared("p1"))
    with pytest.raises(InvalidTransition):
        selection(*SCREENING, Screen("p1", False, "x"), cleared("p1"))
    with pytest.raises(UnknownReference):
        selection(*QUALIFIED, cleared("p9"))


def test_rule_the_notice_starts_once_every_nominee_is_screened() -> None:
    with pytest.raises(ScreeningIncomplete) as refused:
        selection(*SCREENING, passed("p1"), NOTICE)
    assert refused.value.details == {"nominee_ids": ["p2", "p3"]}


def test_rule_the_notice_needs_someone_to_post() -> None:
    out = (*SCREENING, *(Screen(p, False, "x") for p in ("p1", "p2", "p3")))
    with pytest.raises(NoCandidates):
        selection(*out, NOTICE)
    with pytest.raises(NoCandidates):
        selection(*OPENED, CLOSE, NOTICE)


def test_rule_the_notice_posts_the_qualified_for_its_days_from_the_parameter() -> None:
    table = PolicyTable(list(PARAMETERS))
    days, version = table.number("honours.public_notice_days", date(2026, 4, 1))
    notice = StartPublicNotice(date(2026, 4, 1), days, version)
    state, events = selection(
        *SCREENING, passed("p1"), Screen("p2", False, "x"), passed("p3"), notice
    )
    assert events[-1] == SelectionNoticeStarted(
        "S1", date(2026, 4, 1), 7, date(2026, 4, 7), ("p1", "p3"), NOTICE_VERSION
    )
    assert (state.status, state.notice_ends_on) == ("public_notice", date(2026, 4, 7))
    with pytest.raises(InvalidValue):
        selection(*QUALIFIED, StartPublicNotice(date(2026, 4, 1), 0, version))


@pytest.mark.parametrize(
    ("raised_on", "allowed"),
    [
        (date(2026, 3, 31), False),
        (date(2026, 4, 1), True),
        (date(2026, 4, 7), True),
        (date(2026, 4, 8), False),
    ],
)
def test_rule_objections_are_raised_while_the_notice_runs(raised_on: date, allowed: bool) -> None:
    if not allowed:
        with pytest.raises(InvalidValue):
            selection(*POSTED, objection("O1", "p1", raised_on))
        return
    _, events = selection(*POSTED, objection("O1", "p1", raised_on))
    assert events[-1] == HonourObjectionRaised(
        "S1", "O1", "p1", "the reported results are overstated", raised_on
    )


def test_rule_an_objection_names_a_posted_nominee_and_its_id_once() -> None:
    posted = (*SCREENING, passed("p1"), passed("p2"), Screen("p3", False, "x"), NOTICE)
    with pytest.raises(UnknownReference):
        selection(*posted, objection("O1", "p3"))
    _, events = selection(*posted, objection("O1", "p1"), objection("O1", "p1"))
    assert kinds(events).count("HonourObjectionRaised") == 1
    with pytest.raises(AlreadyRecorded):
        selection(*posted, objection("O1", "p1"), objection("O1", "p2"))


def test_rule_an_upheld_objection_removes_the_nominee() -> None:
    resolve = ResolveObjection("O1", True, date(2026, 4, 9))
    state, events = selection(*POSTED, objection("O1", "p1"), resolve, resolve)
    assert events[-1] == HonourObjectionResolved("S1", "O1", "p1", True, date(2026, 4, 9))
    assert kinds(events).count("HonourObjectionResolved") == 1
    assert state.nominations["p1"].status == "objection_upheld"
    state, events = selection(
        *POSTED, objection("O1", "p1"), resolve, Approve("leader-1", date(2026, 4, 10))
    )
    assert events[-1] == SelectionApproved("S1", "leader-1", date(2026, 4, 10), 2, ("p2", "p3"), ())
    # An objection not upheld leaves the nominee in place.
    dismissed = ResolveObjection("O1", False, date(2026, 4, 9))
    _, events = selection(*POSTED, objection("O1", "p1"), dismissed, Approve("l", AFTER_NOTICE))
    assert isinstance(events[-1], SelectionApproved)
    assert events[-1].approved_ids == ("p1", "p2")
    with pytest.raises(AlreadyRecorded):
        selection(*POSTED, objection("O1", "p1"), resolve, dismissed)
    with pytest.raises(UnknownReference):
        selection(*POSTED, resolve)
    with pytest.raises(InvalidValue):
        selection(*POSTED, objection("O1", "p1"), ResolveObjection("O1", True, date(2026, 4, 2)))


@pytest.mark.parametrize(
    ("today", "allowed"), [(date(2026, 4, 7), False), (date(2026, 4, 8), True)]
)
def test_rule_approval_comes_only_after_the_notice_has_ended(today: date, allowed: bool) -> None:
    if allowed:
        _, events = selection(*POSTED, Approve("leader-1", today))
        assert kinds(events)[-1] == "SelectionApproved"
        return
    with pytest.raises(NoticeNotEnded) as refused:
        selection(*POSTED, Approve("leader-1", today))
    assert refused.value.details == {"ends_on": "2026-04-07", "today": "2026-04-07"}


def test_rule_approval_waits_for_every_objection_to_be_resolved() -> None:
    with pytest.raises(ObjectionsUnresolved) as refused:
        selection(*POSTED, objection("O1", "p1"), Approve("leader-1", AFTER_NOTICE))
    assert refused.value.details == {"objection_ids": ["O1"]}


def test_rule_approval_takes_at_most_the_quota_in_nomination_order_the_rest_not_selected() -> None:
    state, events = selection(*APPROVED)
    assert events[-1] == SelectionApproved("S1", "leader-1", AFTER_NOTICE, 2, ("p1", "p2"), ("p3",))
    assert [state.nominations[p].status for p in ("p1", "p2", "p3")] == [
        "approved",
        "approved",
        "not_selected",
    ]


def test_rule_approval_takes_eligible_screened_unvetoed_nominees_only() -> None:
    commands = (
        *OPENED,
        nominate("p1", endorsed=False),  # pending: cannot pass screening
        nominate("p2"),  # vetoed
        nominate("p3"),  # screened out
        nominate("p4"),
        nominate("p5"),
        CLOSE,
        Screen("p1", False, "no congress endorsement"),
        passed("p2"),
        Screen("p3", False, "criteria not met"),
        passed("p4"),
        passed("p5"),
        VetoCheck("p2", True, "safety", "a fatal accident at the unit"),
        NOTICE,
        Approve("leader-1", AFTER_NOTICE),
    )
    state, events = selection(*commands)
    assert events[-1] == SelectionApproved("S1", "leader-1", AFTER_NOTICE, 2, ("p4", "p5"), ())
    assert {p: n.status for p, n in state.nominations.items()} == {
        "p1": "screened_out",
        "p2": "vetoed",
        "p3": "screened_out",
        "p4": "approved",
        "p5": "approved",
    }


def test_rule_approval_needs_someone_left() -> None:
    posted = (*SCREENING, passed("p1"), Screen("p2", False, "x"), Screen("p3", False, "x"), NOTICE)
    removed = (*posted, objection("O1", "p1"), ResolveObjection("O1", True, date(2026, 4, 8)))
    with pytest.raises(NoCandidates):
        selection(*removed, Approve("leader-1", AFTER_NOTICE))


def test_rule_conferral_gives_one_honour_per_approved_nominee() -> None:
    state, events = selection(*APPROVED, Confer(date(2026, 5, 1)))
    assert events[-2:] == [
        HonourConferred("S1", p, "县级劳动模范", "model_worker", "county", 2026, date(2026, 5, 1))
        for p in ("p1", "p2")
    ]
    assert (state.status, state.conferred_ids) == ("conferred", ("p1", "p2"))


def test_rule_a_collective_honour_names_the_unit() -> None:
    plan = PlanSelection("S2", "advanced_collective", "city", 2026, 1, PLANNED_ON)
    commands = (
        plan,
        OPEN,
        Nominate("workshop-3", "unit-1", "union-1", True),
        CLOSE,
        passed("workshop-3"),
        NOTICE,
        Approve("leader-1", AFTER_NOTICE),
        Confer(date(2026, 5, 1)),
    )
    _, events = selection(*commands)
    assert events[-1] == HonourConferred(
        "S2", "workshop-3", "市级先进集体", "advanced_collective", "city", 2026, date(2026, 5, 1)
    )


def test_honour_titles_name_the_level_and_the_kind() -> None:
    assert honour_title("model_worker", "national") == "全国劳动模范"
    assert honour_title("advanced_worker", "province") == "省级先进工作者"
    assert honour_title("most_beautiful", "county") == "县级最美职工"
    with pytest.raises(InvalidValue):
        honour_title("model_worker", "township")


def test_rule_a_selection_is_cancelled_before_conferral_and_once() -> None:
    cancel = Cancel("the county postponed it", date(2026, 4, 2))
    for before in ((PLAN,), OPENED, SCREENING, POSTED, APPROVED):
        state, events = selection(*before, cancel, cancel)
        assert events[-1] == SelectionCancelled(
            "S1", "model_worker", "the county postponed it", date(2026, 4, 2), None
        )
        assert kinds(events).count("SelectionCancelled") == 1
        assert state.status == "cancelled"
    # Conferred titles are revoked one by one, not cancelled with the selection.
    with pytest.raises(InvalidTransition):
        selection(*APPROVED, Confer(date(2026, 5, 1)), cancel)
    with pytest.raises(InvalidTransition):
        selection(cancel)
    with pytest.raises(InvalidTransition):
        selection(PLAN, cancel, OPEN)


def test_a_conferred_model_worker_or_advanced_worker_enters_the_registry() -> None:
    conferred = HonourConferred(
        "S1", "p1", "县级劳动模范", "model_worker", "county", 2026, date(2026, 5, 1)
    )
    assert registration_for(conferred) == RegisterModelWorker(
        "p1", "县级劳动模范", "county", 2026, "S1"
    )
    advanced = replace(conferred, kind="advanced_worker", title="县级先进工作者")
    assert registration_for(advanced) is not None
    for kind in ("advanced_collective", "most_beautiful"):
        assert registration_for(replace(conferred, kind=kind)) is None


# -- the 最美职工 two-year cycle -------------------------------------------------------------

BASE_VERSION = "honours.most_beautiful_base_year@2022-03-15"


FREE = SelectionCycle()
"""A cycle nobody has claimed."""


def most_beautiful(
    sid: str, year: int, cycle: SelectionCycle = FREE, base: int | None = 2022
) -> PlanSelection:
    return PlanSelection(
        sid, "most_beautiful", "county", year, 10, date(year, 3, 1), base, BASE_VERSION, cycle
    )


def claimed(sid: str, year: int) -> SelectionCycle:
    """The cycle after ``sid`` claimed it for ``year``."""
    state, _ = run_with(SELECTION_CYCLE, ClaimSelectionCycle(sid, year, 2022, BASE_VERSION))
    return state


@pytest.mark.parametrize(
    ("year", "start"),
    [(2022, 2022), (2023, 2022), (2024, 2024), (2025, 2024), (2026, 2026), (2021, 2020)],
)
def test_rule_cycles_are_two_years_counted_from_the_notices_year(year: int, start: int) -> None:
    table = PolicyTable(list(PARAMETERS))
    base, version = table.number("honours.most_beautiful_base_year", date(2026, 1, 1))
    assert (base, version) == (2022, BASE_VERSION)
    assert cycle_start(year, base) == start


@given(st.integers(1990, 2100), st.integers(1990, 2100))
def test_property_a_year_falls_in_exactly_one_cycle(year: int, base: int) -> None:
    start = cycle_start(year, base)
    assert start <= year < start + 2
    assert (start - base) % 2 == 0


def test_rule_planning_a_most_beautiful_selection_claims_its_cycle() -> None:
    planned, claim = plan_selection(most_beautiful("MB-2024", 2024), Selection())
    assert planned == [
        SelectionPlanned(
            "MB-2024",
            "most_beautiful",
            "county",
            2024,
            10,
            date(2024, 3, 1),
            2024,
            (BASE_VERSION,),
        )
    ]
    assert claim == [SelectionCycleClaimed("MB-2024", 2024, 2024, 2022, BASE_VERSION)]
    assert recorded(claim[0]) == claim[0]
    state = SELECTION.fold(planned)
    assert (
        selection_cycle_stream(state)
        == cycle_stream(2024)
        == ("SelectionCycle-most_beautiful.2024")
    )


def test_rule_a_second_most_beautiful_selection_in_the_same_cycle_is_refused() -> None:
    taken = claimed("MB-2022", 2022)
    # 2023 is in the 2022-2023 cycle: refused.
    with pytest.raises(SelectionCycleTaken) as refused:
        plan_selection(most_beautiful("MB-2023", 2023, taken), Selection())
    assert refused.value.details == {"cycle_start_year": 2022, "held_by": "MB-2022"}
    with pytest.raises(SelectionCycleTaken):
        run_with(
            SELECTION_CYCLE, ClaimSelectionCycle("MB-2023", 2023, 2022, BASE_VERSION), state=taken
        )
    # 2024 starts the next cycle: its own stream, free.
    assert cycle_stream(cycle_start(2023, 2022)) != cycle_stream(cycle_start(2024, 2022))
    _, claim = plan_selection(most_beautiful("MB-2024", 2024), Selection())
    assert claim == [SelectionCycleClaimed("MB-2024", 2024, 2024, 2022, BASE_VERSION)]


def test_rule_a_most_beautiful_plan_comes_with_its_cycle() -> None:
    with pytest.raises(InvalidValue):
        selection(replace(most_beautiful("MB", 2024), cycle=None))
    with pytest.raises(InvalidValue):
        selection(most_beautiful("MB", 2024, base=None))
    assert cycle_claim(PLAN) is None
    # The cycle state of another stream (the adapter read the wrong one) is refused.
    with pytest.raises(InvalidValue):
        plan_selection(most_beautiful("MB-2024", 2024, claimed("MB-2022", 2022)), Selection())
    # Other kinds need no cycle and claim none.
    planned, claim = plan_selection(PLAN, Selection())
    assert kinds(planned) == ["SelectionPlanned"]
    assert claim == []


def test_rule_claiming_the_cycle_again_for_the_same_selection_records_nothing() -> None:
    taken = claimed("MB-2022", 2022)
    _, events = run_with(
        SELECTION_CYCLE, ClaimSelectionCycle("MB-2022", 2023, 2022, BASE_VERSION), state=taken
    )
    assert events == []


def test_rule_cancelling_a_most_beautiful_selection_releases_its_cycle() -> None:
    planned, claim = plan_selection(most_beautiful("MB-2022", 2022), Selection())
    state = SELECTION.fold(planned)
    cycle = SELECTION_CYCLE.fold(claim)
    cancel = Cancel("merged with the May Day celebration", date(2022, 4, 1))
    cancelled, released = cancel_selection(cancel, state, cycle)
    assert cancelled == [
        SelectionCancelled(
            "MB-2022",
            "most_beautiful",
            "merged with the May Day celebration",
            date(2022, 4, 1),
            2022,
        )
    ]
    assert released == [
        SelectionCycleReleased("MB-2022", 2022, "merged with the May Day celebration")
    ]
    assert recorded(released[0]) == released[0]
    cycle = SELECTION_CYCLE.fold(released, cycle)
    assert cycle.held_by is None
    # Another selection may now claim the cycle; a repeated release records nothing.
    _, claim = plan_selection(most_beautiful("MB-2023", 2023, cycle), Selection())
    assert claim == [SelectionCycleClaimed("MB-2023", 2022, 2023, 2022, BASE_VERSION)]
    cycle = SELECTION_CYCLE.fold(claim, cycle)
    assert cycle.claims == ("MB-2022", "MB-2023")
    again, none = cancel_selection(cancel, SELECTION.fold(cancelled, state), cycle)
    assert (again, none) == ([], [])
    # A selection of another kind has no cycle to release.
    _, none = cancel_selection(cancel, selection(PLAN)[0], SelectionCycle())
    assert none == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from(["A", "B", "C"]), st.sampled_from([2022, 2023])),
        max_size=15,
    )
)
def test_property_a_cycle_is_held_by_at_most_one_selection_at_a_time(
    steps: list[tuple[bool, str, int]],
) -> None:
    state = SelectionCycle()
    log: list[object] = []
    for claim, sid, year in steps:
        c: object = (
            ClaimSelectionCycle(sid, year, 2022, BASE_VERSION)
            if claim
            else ReleaseSelectionCycle(sid, "cancelled")
        )
        holder = state.held_by
        try:
            events = SELECTION_CYCLE.decide(c, state)
        except SelectionCycleTaken:
            assert holder not in (None, sid)
            continue
        for e in events:
            if isinstance(e, SelectionCycleClaimed):
                assert holder is None
        state = SELECTION_CYCLE.fold(events, state)
        log += [recorded(e) for e in events]
        assert SELECTION_CYCLE.fold(log) == state


# -- the selection's property: replay equals live, and the approval keeps the rules -------

SELECTION_POOL: tuple[object, ...] = (
    PLAN,
    OPEN,
    nominate("p1"),
    nominate("p2", endorsed=False),
    nominate("p3"),
    nominate("p4"),
    nominate("p1", unit="unit-2"),
    NoteEndorsement("p2", "C1", "MW-2", "unit-1"),
    NoteEndorsement("p3", "C1", "MW-3", "unit-1"),
    CLOSE,
    passed("p1"),
    passed("p2"),
    passed("p3"),
    passed("p4"),
    Screen("p2", False, "pending"),
    Screen("p4", False, "criteria not met"),
    cleared("p1"),
    VetoCheck("p3", True, "safety", "a fatal accident"),
    cleared("p4", "safety"),
    VetoCheck("p1", True, "public_security", "a record"),
    NOTICE,
    objection("O1", "p1"),
    objection("O2", "p2"),
    objection("O3", "p4", date(2026, 4, 9)),
    ResolveObjection("O1", True, date(2026, 4, 8)),
    ResolveObjection("O1", False, date(2026, 4, 8)),
    ResolveObjection("O2", True, date(2026, 4, 8)),
    Approve("leader-1", date(2026, 4, 7)),
    Approve("leader-1", AFTER_NOTICE),
    Confer(date(2026, 5, 1)),
    Archive(date(2026, 12, 31)),
)
"""Cancel is left out, or most walks would end there; the property cancels at the end."""


def walk(
    decider: Decider[object, S, object], pool: tuple[object, ...], picks: list[int]
) -> list[tuple[list[object], S]]:
    """A random valid command sequence: at each step, the pick-th command the state accepts.

    Every command is tried at every step, so a refusal must be a DomainError (anything
    else is a crash and fails the test).
    """
    state = decider.initial_state
    steps: list[tuple[list[object], S]] = []
    for pick in picks:
        accepted: list[list[object]] = []
        for c in pool:
            try:
                events = list(decider.decide(c, state))
            except DomainError:
                continue
            if events:
                accepted.append(events)
        if not accepted:
            break
        events = accepted[pick % len(accepted)]
        state = decider.fold(events, state)
        steps.append((events, state))
    return steps


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=30))
def test_property_a_selection_replays_to_its_live_state_and_approves_within_the_rules(
    picks: list[int],
) -> None:
    log: list[object] = []
    before = SELECTION.initial_state
    for events, state in walk(SELECTION, SELECTION_POOL, picks):
        log += [recorded(e) for e in events]
        assert SELECTION.fold(log) == state
        for e in events:
            if isinstance(e, CandidateQualified):
                assert before.nominations[e.nominee_id].endorsed
            if isinstance(e, SelectionApproved):
                assert 0 < len(e.approved_ids) <= e.quota == PLAN.quota
                standing = e.approved_ids + e.not_selected_ids
                order = list(before.nominations)
                assert list(standing) == sorted(standing, key=order.index)
                assert len(e.approved_ids) == min(e.quota, len(standing))
                assert e.approved_on > before.notice_ends_on  # type: ignore[operator]
                assert all(o.upheld is not None for o in before.objections.values())
                for p in standing:
                    n = before.nominations[p]
                    assert n.endorsed and n.qualified and not n.vetoed and not n.upheld
            if isinstance(e, HonourConferred):
                assert e.person_id in before.approved_ids
        before = state
    cancel = Cancel("postponed", date(2026, 4, 2))
    if before.status in ("", "conferred", "archived"):
        with pytest.raises(InvalidTransition):
            SELECTION.decide(cancel, before)
    else:
        events = list(SELECTION.decide(cancel, before))
        assert kinds(events) == ["SelectionCancelled"]
        log += [recorded(e) for e in events]
        assert SELECTION.fold(log) == SELECTION.fold(events, before)
        assert SELECTION.fold(log).status == "cancelled"


# -- ModelWorker registry -------------------------------------------------------------

REGISTER = RegisterModelWorker("p1", "县级劳动模范", "county", 2020, "S-2020")


def worker(*commands: object) -> tuple[ModelWorker, list[object]]:
    return run_with(MODEL_WORKER, *commands)


def flag(fid: str = "F1", amount: int = 300_000, household: str | None = "h1") -> FlagHardship:
    return FlagHardship(fid, 2026, amount, household, "illness")


def test_rule_a_model_worker_is_registered_with_title_level_year_and_source() -> None:
    state, events = worker(REGISTER, REGISTER)
    assert events == [ModelWorkerRegistered("p1", "县级劳动模范", "county", 2020, "S-2020")]
    assert (state.status, highest_title_level(state)) == ("active", "county")
    _, events = worker(RegisterModelWorker("p2", "全国劳动模范", "national", 1995))
    assert events == [ModelWorkerRegistered("p2", "全国劳动模范", "national", 1995, None)]
    for bad in (replace(REGISTER, level="township"), replace(REGISTER, year=1949)):
        with pytest.raises(InvalidValue):
            worker(bad)
    with pytest.raises(AlreadyRecorded):
        worker(REGISTER, replace(REGISTER, source_selection_id="S-other"))


def test_rule_aid_reads_the_registry_events_it_subscribes_to_flow_f8() -> None:
    from services.aid import commands as aid

    _, events = worker(REGISTER, flag(household=None))
    registered, flagged = (EVENTS.new_event(e).data for e in events)
    assert aid.ModelWorker(unknown=EXCLUDE).load(registered) == {
        "person_id": "p1",
        "level": "county",
    }
    assert aid.ModelWorkerHardship(unknown=EXCLUDE).load(flagged) == {
        "person_id": "p1",
        "flag_id": "F1",
        "fiscal_year": 2026,
        "amount_fen": 300_000,
        "household_id": None,
    }


def test_rule_a_later_higher_title_is_recorded_too() -> None:
    provincial = RegisterModelWorker("p1", "省级劳动模范", "province", 2025, None)
    state, events = worker(REGISTER, provincial)
    assert kinds(events) == ["ModelWorkerRegistered", "ModelWorkerRegistered"]
    assert highest_title_level(state) == "province"
    with pytest.raises(InvalidValue):
        worker(REGISTER, replace(provincial, person_id="p2"))


def test_rule_a_hardship_flag_carries_fen_and_is_recorded_once() -> None:
    state, events = worker(REGISTER, flag(), flag())
    assert events[-1] == ModelWorkerHardshipFlagged("p1", "F1", 2026, 300_000, "h1", "illness")
    assert kinds(events).count("ModelWorkerHardshipFlagged") == 1
    assert set(state.flags) == {"F1"}
    with pytest.raises(AlreadyRecorded):
        worker(REGISTER, flag(), flag(amount=1))
    _, events = worker(REGISTER, flag(amount=0))
    assert kinds(events)[-1] == "ModelWorkerHardshipFlagged"
    bad = (
        flag(amount=-1),
        replace(flag(), reason="diagnosed with X"),  # codes only: details stay in the vault
        replace(flag(), fiscal_year=1999),
        replace(flag(), amount_fen=True),
    )
    for command in bad:
        with pytest.raises(InvalidValue):
            worker(REGISTER, command)
    with pytest.raises(InvalidTransition):
        worker(flag())


def test_rule_a_health_check_is_recorded_at_most_once_a_year() -> None:
    check = RecordService("health_check", date(2026, 5, 10), "county hospital")
    state, events = worker(REGISTER, check, check)
    assert events[-1] == ModelWorkerServiceRecorded(
        "p1", "health_check", date(2026, 5, 10), "county hospital"
    )
    assert kinds(events).count("ModelWorkerServiceRecorded") == 1
    with pytest.raises(HealthCheckAlreadyRecorded) as refused:
        worker(REGISTER, check, RecordService("health_check", date(2026, 11, 2), "follow-up"))
    assert refused.value.details == {"year": 2026, "recorded_on": "2026-05-10"}
    state, _ = worker(REGISTER, check, RecordService("health_check", date(2027, 5, 9), "x"))
    assert set(state.health_checks) == {2026, 2027}


def test_rule_other_services_are_recorded_as_often_as_given() -> None:
    services = [
        RecordService("festival_visit", date(2026, 1, 20), "Spring Festival"),
        RecordService("festival_visit", date(2026, 9, 30), "Mid-Autumn"),
        RecordService("recuperation", date(2026, 6, 1), "疗休养, Huangshan"),
        RecordService("hardship_subsidy", date(2026, 7, 1), "paid by aid"),
    ]
    state, events = worker(REGISTER, *services)
    assert kinds(events).count("ModelWorkerServiceRecorded") == 4
    assert len(state.services) == 4
    with pytest.raises(InvalidValue):
        worker(REGISTER, RecordService("banquet", date(2026, 1, 20), "x"))


def test_rule_a_model_worker_retires_then_dies_in_date_order() -> None:
    retire = Retire(date(2026, 6, 30))
    death = RecordDeath(date(2030, 2, 1))
    state, events = worker(REGISTER, retire, retire, death, death)
    assert events[1:] == [
        ModelWorkerRetired("p1", date(2026, 6, 30)),
        ModelWorkerDeceased("p1", date(2030, 2, 1)),
    ]
    assert state.status == "deceased"
    with pytest.raises(AlreadyRecorded):
        worker(REGISTER, retire, Retire(date(2026, 7, 1)))
    with pytest.raises(InvalidValue):
        worker(REGISTER, retire, RecordDeath(date(2026, 6, 1)))
    with pytest.raises(InvalidTransition):
        worker(REGISTER, death, retire)
    # A retired model worker is still served; a deceased one is not.
    _, events = worker(REGISTER, retire, flag())
    assert kinds(events)[-1] == "ModelWorkerHardshipFlagged"
    with pytest.raises(InvalidTransition):
        worker(REGISTER, death, RecordService("festival_visit", date(2030, 9, 1), "x"))


@pytest.mark.parametrize(
    "before",
    [(REGISTER,), (REGISTER, Retire(date(2026, 6, 30))), (REGISTER, RecordDeath(date(2027, 1, 1)))],
)
def test_rule_a_title_is_revoked_from_any_state_and_a_revoked_worker_is_not_served(
    before: tuple[object, ...],
) -> None:
    revoke = RevokeTitle("convicted of a crime", date(2028, 3, 1))
    state, events = worker(*before, revoke, revoke)
    assert events[-1] == ModelWorkerTitleRevoked("p1", "convicted of a crime", date(2028, 3, 1))
    assert kinds(events).count("ModelWorkerTitleRevoked") == 1
    assert state.status == "revoked"
    assert highest_title_level(state) is None
    for command in (flag(), RecordService("festival_visit", date(2028, 9, 1), "x"), REGISTER):
        with pytest.raises(TitleRevoked):
            worker(*before, revoke, command)
    with pytest.raises(AlreadyRecorded):
        worker(*before, revoke, RevokeTitle("other", date(2028, 3, 1)))
    with pytest.raises(InvalidTransition):
        worker(revoke)


def test_levels_order_county_city_province_national() -> None:
    assert LEVELS == ("county", "city", "province", "national")
    assert level_at_least("province", "city")
    assert level_at_least("city", "city")
    assert not level_at_least("county", "city")
    assert level_at_least("national", "province")
    with pytest.raises(InvalidValue):
        level_at_least("township", "county")


MW_POOL: tuple[object, ...] = (
    REGISTER,
    RegisterModelWorker("p1", "省级劳动模范", "province", 2025, None),
    flag("F1"),
    flag("F2", 0, None),
    RecordService("health_check", date(2026, 5, 10), "x"),
    RecordService("health_check", date(2026, 8, 10), "y"),
    RecordService("festival_visit", date(2026, 1, 20), "z"),
    Retire(date(2026, 6, 30)),
    RecordDeath(date(2030, 2, 1)),
    RevokeTitle("r", date(2028, 3, 1)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 20), max_size=15))
def test_property_a_model_worker_replays_to_its_live_state(picks: list[int]) -> None:
    log: list[object] = []
    for events, state in walk(MODEL_WORKER, MW_POOL, picks):
        log += [recorded(e) for e in events]
        assert MODEL_WORKER.fold(log) == state
        checks = [s for s in state.services if s.kind == "health_check"]
        assert len({s.served_on.year for s in checks}) == len(checks)


# -- Skills (training and 职业技能等级评价) ------------------------------------------------

TRAINING = RecordTraining("p1", "K-2026-03", "CNC machining", 40, date(2026, 3, 20))


def appraisal(cert: str, level: int, occupation: str = "lathe_operator") -> RecordAppraisal:
    return RecordAppraisal("p1", occupation, level, date(2026, 6, 1), cert)


def skills(*commands: object) -> tuple[Skills, list[object]]:
    return run_with(SKILLS, *commands)


def test_rule_a_course_is_recorded_once_with_its_hours() -> None:
    state, events = skills(TRAINING, TRAINING)
    assert events == [
        SkillTrainingRecorded("p1", "K-2026-03", "CNC machining", 40, date(2026, 3, 20))
    ]
    assert training_hours(state, 2026) == 40
    assert training_hours(state, 2025) == 0
    with pytest.raises(AlreadyRecorded):
        skills(TRAINING, replace(TRAINING, hours=8))
    with pytest.raises(InvalidValue):
        skills(replace(TRAINING, hours=0))


def test_rule_the_same_certificate_twice_records_nothing() -> None:
    state, events = skills(appraisal("C-001", 3), appraisal("C-001", 3))
    assert events == [SkillAppraisalRecorded("p1", "lathe_operator", 3, date(2026, 6, 1), "C-001")]
    assert len(state.appraisals) == 1
    # The same number with other content is a clash, not a second certificate.
    with pytest.raises(AlreadyRecorded):
        skills(appraisal("C-001", 3), appraisal("C-001", 2))


@pytest.mark.parametrize("level", [0, 6])
def test_rule_skill_levels_run_from_one_to_five(level: int) -> None:
    with pytest.raises(InvalidValue):
        skills(appraisal("C-1", level))


def test_highest_level_is_the_smallest_number_one_being_the_senior_technician() -> None:
    assert highest_level(Skills()) is None
    state, _ = skills(
        appraisal("C-1", 4), appraisal("C-2", 2), appraisal("C-3", 1, "welder"), TRAINING
    )
    assert highest_level(state) == 1
    assert highest_level(state, "lathe_operator") == 2
    assert highest_level(state, "electrician") is None


def test_rule_a_skills_record_is_one_persons() -> None:
    with pytest.raises(InvalidValue):
        skills(TRAINING, replace(appraisal("C-1", 3), person_id="p2"))


# -- wiring ---------------------------------------------------------------------------


def test_register_records_every_event_class_under_its_name() -> None:
    names = {name for name, _, _ in EVENTS.schemas()}
    assert names == {cls.__name__ for cls in EVENT_CLASSES}
    assert len(EVENT_CLASSES) == len(names)


def test_parameters_are_dated_versioned_rows_with_sources() -> None:
    table = PolicyTable(list(PARAMETERS))
    on = date(2026, 1, 1)
    assert table.number("honours.most_beautiful_base_year", on) == (2022, BASE_VERSION)
    assert table.number("honours.public_notice_days", on) == (7, NOTICE_VERSION)
    for row in PARAMETERS:
        assert row.key.startswith("honours.")
        assert row.version == f"{row.key}@{row.effective_from.isoformat()}"
        assert row.source
    assert len({row.key for row in PARAMETERS}) == len(PARAMETERS)


def test_streams_are_named_by_aggregate() -> None:
    assert selection_stream("S1") == "Selection-S1"
    assert cycle_stream(2024) == "SelectionCycle-most_beautiful.2024"
    assert selection_cycle_stream(selection(PLAN)[0]) is None
    assert model_worker_stream("p1") == "ModelWorker-p1"
    assert skills_stream("p1") == "Skills-p1"
