"""The joint meeting (O6, notice 一): at least once a year; its decisions tracked to done."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.domain import (
    JOINT_MEETING,
    JOINT_MEETING_STREAM,
    CloseDecision,
    HoldJointMeeting,
    InvalidTransition,
    JointMeetingDeadlines,
    RecordDecision,
    Series,
)
from services.orgs.events import (
    BudgetImpact,
    DecisionItemClosed,
    DecisionItemOverdue,
    JointMeetingDecisionRecorded,
    JointMeetingHeld,
    JointMeetingOverdue,
)
from shared.errors import InvalidEvent
from tests.unit.orgs.kit import kinds, number, recorded, replayed_log, run_with

INTERVAL_DAYS = number("joint_meeting.interval_days")
ESTABLISHED_ON = date(2025, 1, 10)
FIRST_DUE = date(2026, 1, 10)
"""ESTABLISHED_ON + INTERVAL_DAYS (365): when nothing was ever held."""
HELD_ON = date(2026, 3, 10)
NEXT_DUE = date(2027, 3, 10)
"""HELD_ON + INTERVAL_DAYS."""
DECISION_DUE = date(2026, 6, 30)
IMPACT = BudgetImpact(2026, "fiscal_special", 50_000_000, "county grant: rider service stations")


def run(*commands: object) -> tuple[Series, list[object]]:
    return run_with(JOINT_MEETING, *commands)


def hold(meeting_id: str = "JM1", on: date = HELD_ON) -> HoldJointMeeting:
    return HoldJointMeeting(meeting_id, on, "county-head", ("federation-chair", "finance-bureau"))


def decision(
    decision_id: str = "D1",
    meeting_id: str = "JM1",
    due_on: date = DECISION_DUE,
    impact: BudgetImpact | None = None,
) -> RecordDecision:
    return RecordDecision(
        meeting_id, decision_id, "stations for riders", "finance-bureau", due_on, impact
    )


def deadlines(today: date) -> JointMeetingDeadlines:
    return JointMeetingDeadlines(today, INTERVAL_DAYS, ESTABLISHED_ON)


def test_policy_the_joint_meeting_is_held_at_least_once_a_year() -> None:
    assert INTERVAL_DAYS == 365
    assert JOINT_MEETING_STREAM == "JointMeeting-county"


def test_rule_a_meeting_is_recorded_once() -> None:
    state, events = run(hold(), hold())
    assert events == [
        JointMeetingHeld("JM1", HELD_ON, "county-head", ("federation-chair", "finance-bureau"))
    ]
    assert (state.last_held_on, state.meetings) == (HELD_ON, frozenset({"JM1"}))


def test_rule_a_meeting_recorded_late_does_not_move_the_last_meeting_back() -> None:
    state, _ = run(hold(), hold("JM0", date(2025, 11, 1)))
    assert state.last_held_on == HELD_ON
    assert state.meetings == {"JM0", "JM1"}


# -- the yearly meeting ---------------------------------------------------------------------


def test_rule_with_no_meeting_held_the_year_counts_from_the_establishment() -> None:
    _, events = run(deadlines(FIRST_DUE))
    assert events == []  # on the due day: not overdue yet
    state, events = run(deadlines(FIRST_DUE + timedelta(days=1)))
    assert events == [JointMeetingOverdue(None, FIRST_DUE)]
    assert state.overdue_flagged_for == FIRST_DUE


def test_rule_a_meeting_is_overdue_more_than_interval_days_after_the_last() -> None:
    _, events = run(hold(), deadlines(NEXT_DUE))
    assert kinds(events) == ["JointMeetingHeld"]
    _, events = run(hold(), deadlines(NEXT_DUE + timedelta(days=1)))
    assert events[-1] == JointMeetingOverdue(HELD_ON, NEXT_DUE)


def test_rule_an_overdue_meeting_is_flagged_once_per_due_date() -> None:
    late = (deadlines(FIRST_DUE + timedelta(days=1)), deadlines(date(2026, 2, 1)))
    _, events = run(*late)
    assert kinds(events) == ["JointMeetingOverdue"]
    # A meeting moves the due date on; the new one is flagged again when it passes.
    later = date(2027, 4, 1)
    _, events = run(*late, hold(), deadlines(later), deadlines(later + timedelta(days=1)))
    assert [e for e in events if isinstance(e, JointMeetingOverdue)] == [
        JointMeetingOverdue(None, FIRST_DUE),
        JointMeetingOverdue(HELD_ON, NEXT_DUE),
    ]


def test_rule_holding_the_meeting_in_time_flags_nothing() -> None:
    _, events = run(hold(on=FIRST_DUE), deadlines(FIRST_DUE + timedelta(days=1)))
    assert kinds(events) == ["JointMeetingHeld"]


# -- decisions ---------------------------------------------------------------------------------


def test_rule_a_decision_is_recorded_at_a_meeting_that_was_held() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(decision())
    assert refused.value.details == {"field": "meeting_id"}
    with pytest.raises(InvalidTransition):
        run(hold(), decision(meeting_id="JM9"))
    state, events = run(hold(), decision())
    assert events[-1] == JointMeetingDecisionRecorded(
        "JM1", "D1", "stations for riders", "finance-bureau", DECISION_DUE, None
    )
    assert state.open_items == (("D1", DECISION_DUE),)


def test_rule_recording_an_open_decision_again_is_a_no_op() -> None:
    _, events = run(hold(), decision(), decision())
    assert kinds(events) == ["JointMeetingHeld", "JointMeetingDecisionRecorded"]


def test_rule_a_decision_with_budget_impact_survives_the_log() -> None:
    state, events = run(hold(), decision(impact=IMPACT))
    recorded_decision = events[-1]
    assert recorded_decision == JointMeetingDecisionRecorded(
        "JM1", "D1", "stations for riders", "finance-bureau", DECISION_DUE, IMPACT
    )
    back = recorded(recorded_decision)
    assert back == recorded_decision
    assert isinstance(back.budget_impact, BudgetImpact)  # not a dict: funds reads the fields
    assert state.open_items == (("D1", DECISION_DUE),)


@pytest.mark.parametrize(
    "impact",
    [
        BudgetImpact(2026, "fiscal_special", 0, "nothing"),
        BudgetImpact(1999, "fiscal_special", 1, "too early"),
        BudgetImpact(2026, "Fiscal Special", 1, "not a line key"),
        BudgetImpact(2026, "fiscal_special", 1, ""),
    ],
)
def test_rule_a_budget_impact_that_funds_could_not_book_never_reaches_the_log(
    impact: BudgetImpact,
) -> None:
    made = JOINT_MEETING.decide(decision(impact=impact), run(hold())[0])
    with pytest.raises(InvalidEvent):
        recorded(made[0])


def test_rule_a_decision_overdue_is_flagged_once_after_its_due_day() -> None:
    recorded_it = (hold(), decision())
    _, events = run(*recorded_it, deadlines(DECISION_DUE))
    assert kinds(events)[-1] == "JointMeetingDecisionRecorded"
    state, events = run(
        *recorded_it, deadlines(DECISION_DUE + timedelta(days=1)), deadlines(date(2026, 9, 1))
    )
    assert events[-1] == DecisionItemOverdue("D1", DECISION_DUE)
    assert kinds(events).count("DecisionItemOverdue") == 1
    assert state.overdue_items == {"D1"}


def test_rule_a_closed_decision_is_never_overdue() -> None:
    close = CloseDecision("D1", date(2026, 6, 1), "stations opened")
    state, events = run(hold(), decision(), close, deadlines(date(2026, 9, 1)))
    assert events[-1] == DecisionItemClosed("D1", date(2026, 6, 1), "stations opened")
    assert state.open_items == ()


def test_rule_an_overdue_decision_may_still_be_closed() -> None:
    state, events = run(
        hold(),
        decision(),
        deadlines(date(2026, 9, 1)),
        CloseDecision("D1", date(2026, 9, 2), "done late"),
    )
    assert kinds(events)[-1] == "DecisionItemClosed"
    assert state.open_items == ()


def test_rule_closing_an_unknown_or_closed_decision_is_refused() -> None:
    close = CloseDecision("D1", date(2026, 6, 1), "x")
    with pytest.raises(InvalidTransition) as refused:
        run(hold(), close)
    assert refused.value.details == {"field": "decision_id"}
    with pytest.raises(InvalidTransition):
        run(hold(), decision(), close, close)


def test_rule_one_timer_flags_the_meeting_and_each_late_decision() -> None:
    _, events = run(
        hold(),
        decision("D1"),
        decision("D2", due_on=date(2026, 12, 31)),
        decision("D3", due_on=date(2028, 1, 1)),
        deadlines(NEXT_DUE + timedelta(days=1)),
    )
    assert events[-3:] == [
        JointMeetingOverdue(HELD_ON, NEXT_DUE),
        DecisionItemOverdue("D1", DECISION_DUE),
        DecisionItemOverdue("D2", date(2026, 12, 31)),
    ]


def test_rule_a_command_of_another_aggregate_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        JOINT_MEETING.decide(object(), Series())


# -- properties ----------------------------------------------------------------------

SERIES_COMMANDS: tuple[object, ...] = (
    hold(),
    hold("JM2", date(2027, 5, 1)),
    hold("JM0", date(2025, 6, 1)),
    decision(),
    decision("D2", "JM2", date(2027, 9, 1), IMPACT),
    decision("D3", "JM0", date(2025, 12, 1)),
    decision("D4", "JM9"),
    CloseDecision("D1", date(2026, 6, 1), "done"),
    CloseDecision("D2", date(2027, 10, 1), "done late"),
    CloseDecision("D9", date(2027, 10, 1), "unknown"),
    *(deadlines(d) for d in (FIRST_DUE, FIRST_DUE + timedelta(days=1), NEXT_DUE, date(2028, 6, 1))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=20))
def test_property_replaying_the_joint_meetings_recorded_events_gives_the_live_state(
    picks: list[int],
) -> None:
    log, state = replayed_log(JOINT_MEETING, SERIES_COMMANDS, picks)
    flagged = [e.due_on for e in log if isinstance(e, JointMeetingOverdue)]
    assert len(flagged) == len(set(flagged))  # once per due date
    late = [e.decision_id for e in log if isinstance(e, DecisionItemOverdue)]
    assert len(late) == len(set(late))
    for e in log:
        if isinstance(e, JointMeetingDecisionRecorded):
            held = {m.meeting_id for m in log[: log.index(e)] if isinstance(m, JointMeetingHeld)}
            assert e.meeting_id in held
    assert {d for d, _ in state.open_items} <= {
        e.decision_id for e in log if isinstance(e, JointMeetingDecisionRecorded)
    }
