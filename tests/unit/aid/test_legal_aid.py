"""LegalAidCase: the arbitration law's time limits, kept as warnings (domain §2.1 A5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.aid.domain import InvalidTransition
from services.aid.events import (
    LegalAidAccepted,
    LegalAidAssigned,
    LegalAidAwardDeadlineExtended,
    LegalAidConcluded,
    LegalAidDeadlineWarned,
    LegalAidDeclined,
    LegalAidRequested,
    LegalAidStageChanged,
)
from services.aid.programmes import (
    LEGAL_AID,
    AssignLegalAid,
    ChangeStage,
    ConcludeLegalAid,
    DecideLegalAid,
    ExtendAward,
    Legal,
    RequestLegalAid,
    WarnDeadlines,
)
from tests.unit.aid.kit import kinds, run_with

KNEW_ON = date(2026, 3, 1)
LIMIT_ON = date(2027, 3, 1)  # Art. 27: one year (365 days; 2026 is not a leap year)
ARBITRATION_ON = date(2026, 6, 1)
AWARD_DUE = date(2026, 7, 16)  # Art. 43: 45 days
EXTENDED_DUE = date(2026, 7, 31)  # and 15 more, once
WARN = 7

REQUEST = RequestLegalAid(
    "L1", "P1", "U1", "unpaid wages", KNEW_ON, "worker", 365, "legal.arbitration_limit_days@2008"
)
ACCEPT = DecideLegalAid(True, "legal-1", "")
ASSIGN = AssignLegalAid("lawyer-1")
ARBITRATION = ChangeStage("arbitration", ARBITRATION_ON, 45)
EXTEND = ExtendAward(15)
IN_ARBITRATION: tuple[object, ...] = (REQUEST, ACCEPT, ASSIGN, ARBITRATION)


def run(*commands: object) -> tuple[Legal, list[object]]:
    return run_with(LEGAL_AID, *commands)


def warn(today: date, days: int = WARN) -> WarnDeadlines:
    return WarnDeadlines(today, days, days)


def warnings(events: list[object]) -> list[object]:
    return [e for e in events if isinstance(e, LegalAidDeadlineWarned)]


FULL_PATH: tuple[object, ...] = (
    REQUEST,
    ACCEPT,
    ASSIGN,
    ChangeStage("mediation", date(2026, 4, 1), 45),
    ARBITRATION,
    warn(AWARD_DUE),
    EXTEND,
    ConcludeLegalAid("award for the worker", date(2026, 7, 20)),
)
"""A case through mediation and arbitration, for the log round-trip test."""


def test_rule_the_arbitration_limit_is_one_year_from_when_the_worker_knew() -> None:
    state, events = run(REQUEST)
    assert events == [
        LegalAidRequested(
            "L1",
            "P1",
            "U1",
            "unpaid wages",
            KNEW_ON,
            "worker",
            LIMIT_ON,
            "legal.arbitration_limit_days@2008",
        )
    ]
    assert (state.status, state.arbitration_limit_on) == ("requested", LIMIT_ON)
    assert KNEW_ON + timedelta(days=365) == LIMIT_ON


def test_rule_the_same_matter_requested_again_is_a_no_op() -> None:
    _, events = run(REQUEST, REQUEST)
    assert kinds(events) == ["LegalAidRequested"]


def test_rule_a_request_is_accepted_or_declined_once() -> None:
    state, events = run(REQUEST, ACCEPT)
    assert (events[-1], state.status) == (LegalAidAccepted("legal-1"), "accepted")
    state, events = run(REQUEST, DecideLegalAid(False, "legal-1", "no employment relation"))
    assert (events[-1], state.status) == (LegalAidDeclined("no employment relation"), "declined")
    with pytest.raises(InvalidTransition):
        run(REQUEST, ACCEPT, ACCEPT)
    with pytest.raises(InvalidTransition):
        run(REQUEST, DecideLegalAid(False, "legal-1", "x"), ASSIGN)


def test_rule_stages_change_only_once_the_case_is_assigned() -> None:
    with pytest.raises(InvalidTransition):
        run(REQUEST, ACCEPT, ARBITRATION)
    state, events = run(REQUEST, ACCEPT, ASSIGN, AssignLegalAid("lawyer-2"))
    assert events[-1] == LegalAidAssigned("lawyer-2")  # reassigning is allowed
    assert state.status == "in_progress"


def test_rule_the_award_is_due_45_days_after_arbitration_starts() -> None:
    state, events = run(*IN_ARBITRATION)
    assert events[-1] == LegalAidStageChanged("arbitration", ARBITRATION_ON, AWARD_DUE)
    assert (state.stage, state.award_due_on) == ("arbitration", AWARD_DUE)
    assert ARBITRATION_ON + timedelta(days=45) == AWARD_DUE


def test_rule_other_stages_have_no_award_deadline() -> None:
    _, events = run(REQUEST, ACCEPT, ASSIGN, ChangeStage("mediation", ARBITRATION_ON, 45))
    assert events[-1] == LegalAidStageChanged("mediation", ARBITRATION_ON, None)
    state, _ = run(*IN_ARBITRATION, ChangeStage("litigation", date(2026, 8, 1), 45))
    assert state.award_due_on is None


def test_rule_the_award_deadline_is_extended_once_by_15_days() -> None:
    state, events = run(*IN_ARBITRATION, EXTEND)
    assert events[-1] == LegalAidAwardDeadlineExtended(EXTENDED_DUE)
    assert (state.award_due_on, state.extended) == (EXTENDED_DUE, True)
    with pytest.raises(InvalidTransition):
        run(*IN_ARBITRATION, EXTEND, EXTEND)


def test_rule_only_an_arbitrations_award_is_extended() -> None:
    with pytest.raises(InvalidTransition):
        run(REQUEST, ACCEPT, ASSIGN, ChangeStage("mediation", ARBITRATION_ON, 45), EXTEND)


def test_rule_the_award_warning_fires_inside_the_warn_window_once() -> None:
    _, events = run(*IN_ARBITRATION, warn(AWARD_DUE - timedelta(days=WARN + 1)))
    assert warnings(events) == []
    _, events = run(
        *IN_ARBITRATION,
        warn(AWARD_DUE - timedelta(days=WARN)),
        warn(AWARD_DUE - timedelta(days=1)),
        warn(AWARD_DUE + timedelta(days=3)),
    )
    assert warnings(events) == [LegalAidDeadlineWarned("award", AWARD_DUE)]


def test_rule_an_extended_award_date_is_warned_of_again_once() -> None:
    _, events = run(
        *IN_ARBITRATION,
        warn(AWARD_DUE - timedelta(days=2)),
        EXTEND,
        warn(AWARD_DUE),  # the new date is not near yet
        warn(EXTENDED_DUE - timedelta(days=WARN)),
        warn(EXTENDED_DUE),
    )
    assert warnings(events) == [
        LegalAidDeadlineWarned("award", AWARD_DUE),
        LegalAidDeadlineWarned("award", EXTENDED_DUE),
    ]


def test_rule_the_arbitration_limit_is_warned_of_before_arbitration_starts() -> None:
    window = 30
    _, events = run(REQUEST, warn(LIMIT_ON - timedelta(days=window + 1), window))
    assert warnings(events) == []
    for before in [(REQUEST,), (REQUEST, ACCEPT), (REQUEST, ACCEPT, ASSIGN)]:
        _, events = run(
            *before,
            warn(LIMIT_ON - timedelta(days=window), window),
            warn(LIMIT_ON, window),
        )
        assert warnings(events) == [LegalAidDeadlineWarned("arbitration_limit", LIMIT_ON)]
    _, events = run(*IN_ARBITRATION, warn(LIMIT_ON, window))  # filed in time: no limit warning
    assert warnings(events) == [LegalAidDeadlineWarned("award", AWARD_DUE)]


def test_rule_no_warning_after_the_case_is_concluded_or_declined() -> None:
    concluded = (*IN_ARBITRATION, ConcludeLegalAid("settled", date(2026, 7, 1)))
    state, events = run(*concluded, warn(AWARD_DUE))
    assert events[-1] == LegalAidConcluded("settled", date(2026, 7, 1))
    assert state.status == "concluded"
    _, events = run(REQUEST, DecideLegalAid(False, "legal-1", "x"), warn(LIMIT_ON))
    assert warnings(events) == []


def test_rule_a_case_is_concluded_once_accepted_and_only_once() -> None:
    state, _ = run(REQUEST, ACCEPT, ConcludeLegalAid("advice given", date(2026, 3, 5)))
    assert state.status == "concluded"
    with pytest.raises(InvalidTransition):
        run(REQUEST, ConcludeLegalAid("x", date(2026, 3, 5)))
    with pytest.raises(InvalidTransition):
        run(*IN_ARBITRATION, ConcludeLegalAid("x", AWARD_DUE), ConcludeLegalAid("x", AWARD_DUE))


def test_rule_each_deadline_is_warned_of_on_its_own_window() -> None:
    """30 days before the one-year limit, but only 7 before a 45-day award."""
    in_arbitration = (REQUEST, ACCEPT, ASSIGN, ARBITRATION)
    a_month_before_award = AWARD_DUE - timedelta(days=30)
    _, events = run(*in_arbitration, WarnDeadlines(a_month_before_award, 30, 7))
    assert warnings(events) == []
    _, events = run(*in_arbitration, WarnDeadlines(AWARD_DUE - timedelta(days=7), 30, 7))
    assert warnings(events) == [LegalAidDeadlineWarned("award", AWARD_DUE)]
    _, events = run(REQUEST, ACCEPT, WarnDeadlines(LIMIT_ON - timedelta(days=30), 30, 7))
    assert warnings(events) == [LegalAidDeadlineWarned("arbitration_limit", LIMIT_ON)]
