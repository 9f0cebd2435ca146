"""RecuperationProgramme (疗休养): priority places within a quota, settled against funds."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import InvalidTransition, NotEligible
from services.aid.events import (
    FundsReservationRequested,
    FundsSpendReported,
    RecuperationCompleted,
    RecuperationFundingAnswered,
    RecuperationNominated,
    RecuperationParticipantsApproved,
    RecuperationPlanned,
    RecuperationPriorityRaised,
    RecuperationSettled,
)
from services.aid.programmes import (
    PRIORITY,
    RECUPERATION,
    ApproveParticipants,
    CompleteRecuperation,
    EnvelopeExceeded,
    Nominate,
    PlanRecuperation,
    Recuperation,
    RecuperationFunding,
    SettleRecuperation,
)
from tests.unit.aid.kit import kinds, run_with

PER_PERSON = 300_000
PLAN = PlanRecuperation("R26", 2026, 3, 900_000, PER_PERSON, "recuperation")
RID = "recup:R26"
APPROVE = ApproveParticipants("leader-1")
RESERVED = RecuperationFunding(RID, True, "")


def run(*commands: object) -> tuple[Recuperation, list[object]]:
    return run_with(RECUPERATION, *commands)


def nominate(person: str, priority: str) -> Nominate:
    return Nominate(person, priority, "chair-1")


NOMINATIONS: tuple[object, ...] = (
    nominate("g1", "general"),
    nominate("f1", "front_line"),
    nominate("m1", "model_worker"),
    nominate("g2", "general"),
    nominate("f2", "front_line"),
)
APPROVED: tuple[object, ...] = (PLAN, *NOMINATIONS, APPROVE)
FULL_PATH: tuple[object, ...] = (
    *APPROVED,
    RESERVED,
    CompleteRecuperation(("m1", "f1")),
    SettleRecuperation(560_000, "V-R26"),
)
"""Planned, nominated, approved, funded, completed and settled, for the log round-trip test."""


def test_rule_the_quota_at_the_per_person_cost_must_fit_the_budget() -> None:
    with pytest.raises(EnvelopeExceeded) as refused:
        run(PlanRecuperation("R26", 2026, 4, 900_000, PER_PERSON, "recuperation"))
    assert refused.value.details == {
        "quota": 4,
        "per_person_fen": PER_PERSON,
        "budget_fen": 900_000,
    }
    state, events = run(PLAN)  # exactly the budget is fine
    assert events == [RecuperationPlanned("R26", 2026, 3, 900_000, PER_PERSON, "recuperation")]
    assert state.status == "planned"
    with pytest.raises(InvalidTransition):
        run(PLAN, PLAN)


def test_rule_places_go_to_model_workers_then_front_line_then_general_in_nomination_order() -> None:
    state, events = run(*APPROVED)
    assert events[-2] == RecuperationParticipantsApproved(
        ("m1", "f1", "f2"), ("g1", "g2"), "leader-1"
    )
    assert state.approved == ("m1", "f1", "f2")
    assert PRIORITY == ("model_worker", "front_line", "general")


def test_rule_everyone_fits_when_nominations_are_within_the_quota() -> None:
    _, events = run(PLAN, nominate("g1", "general"), nominate("m1", "model_worker"), APPROVE)
    assert events[-2] == RecuperationParticipantsApproved(("m1", "g1"), (), "leader-1")
    assert events[-1] == FundsReservationRequested(
        RID, 2026, "recuperation", 2 * PER_PERSON, "Recuperation-R26", date(2026, 12, 31)
    )


def test_rule_a_person_is_nominated_once_and_a_higher_priority_later_raises_theirs() -> None:
    """A worker nominated as general who is registered a model worker since ranks first."""
    state, events = run(
        PLAN,
        nominate("p1", "general"),
        nominate("p2", "front_line"),
        nominate("p1", "model_worker"),
        nominate("p1", "general"),
    )
    assert events[1:] == [
        RecuperationNominated("p1", "general", "chair-1"),
        RecuperationNominated("p2", "front_line", "chair-1"),
        RecuperationPriorityRaised("p1", "general", "model_worker", "chair-1"),
    ]
    assert state.nominated == (("p1", "model_worker"), ("p2", "front_line"))
    _, events = run(PLAN, nominate("p1", "model_worker"), nominate("p1", "model_worker"))
    assert kinds(events) == ["RecuperationPlanned", "RecuperationNominated"]


def test_rule_nominations_close_when_participants_are_approved() -> None:
    with pytest.raises(InvalidTransition):
        run(*APPROVED, nominate("late", "model_worker"))
    with pytest.raises(InvalidTransition):
        run(*APPROVED, APPROVE)


def test_rule_approval_asks_funds_to_reserve_the_places_cost() -> None:
    state, events = run(*APPROVED)
    assert events[-1] == FundsReservationRequested(
        RID, 2026, "recuperation", 900_000, "Recuperation-R26", date(2026, 12, 31)
    )
    assert (state.status, state.funding) == ("approved", "pending")


def test_rule_approving_nobody_needs_no_money() -> None:
    state, events = run(PLAN, APPROVE)
    assert events[-1] == RecuperationFundingAnswered("", True, "nothing to pay")
    assert state.funding == "reserved"
    state, events = run(PLAN, APPROVE, CompleteRecuperation(()), SettleRecuperation(0, "V-0"))
    assert events[-1] == RecuperationSettled(0, "V-0")
    assert state.status == "settled"


def test_rule_funds_answer_is_taken_once_and_only_for_this_programme() -> None:
    state, events = run(*APPROVED, RecuperationFunding("recup:OTHER", True, ""))
    assert (kinds(events)[-1], state.funding) == ("FundsReservationRequested", "pending")
    state, events = run(*APPROVED, RESERVED, RecuperationFunding(RID, False, "LineExhausted"))
    assert events[-1] == RecuperationFundingAnswered(RID, True, "")
    assert state.funding == "reserved"


def test_rule_only_approved_participants_attend() -> None:
    with pytest.raises(NotEligible) as refused:
        run(*APPROVED, RESERVED, CompleteRecuperation(("m1", "g1")))
    assert refused.value.details == {"person_ids": ["g1"]}
    state, events = run(*APPROVED, RESERVED, CompleteRecuperation(("m1",)))
    assert events[-1] == RecuperationCompleted(("m1",))
    assert state.status == "completed"


def test_rule_settling_reports_the_spend_against_the_reservation() -> None:
    state, events = run(*FULL_PATH)
    assert events[-2:] == [
        RecuperationSettled(560_000, "V-R26"),
        FundsSpendReported(RID, 2026, "recuperation", 560_000, "V-R26"),
    ]
    assert state.status == "settled"


def test_rule_settlement_is_at_most_what_was_reserved_for_the_approved_places() -> None:
    completed = (*APPROVED, RESERVED, CompleteRecuperation(("m1",)))
    with pytest.raises(EnvelopeExceeded) as refused:
        run(*completed, SettleRecuperation(900_001, "V"))
    assert refused.value.details == {"reserved_fen": 900_000}
    _, events = run(*completed, SettleRecuperation(900_000, "V"))
    assert kinds(events)[-1] == "FundsSpendReported"


@pytest.mark.parametrize("answer", [None, False], ids=["pending", "refused"])
def test_rule_settling_needs_the_money_reserved(answer: bool | None) -> None:
    funding = () if answer is None else (RecuperationFunding(RID, False, "LineExhausted"),)
    with pytest.raises(NotEligible) as refused:
        run(*APPROVED, *funding, CompleteRecuperation(("m1",)), SettleRecuperation(1, "V"))
    assert refused.value.details == {"funding": "pending" if answer is None else "refused"}


def test_rule_settling_follows_completion() -> None:
    with pytest.raises(InvalidTransition):
        run(*APPROVED, RESERVED, SettleRecuperation(1, "V"))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.tuples(st.integers(0, 9), st.sampled_from(PRIORITY)), max_size=12),
)
def test_property_approval_respects_the_quota_and_never_ranks_a_lower_priority_first(
    quota: int, nominations: list[tuple[int, str]]
) -> None:
    plan = PlanRecuperation("R", 2026, quota, quota * PER_PERSON, PER_PERSON, "recuperation")
    state, events = run(plan, *(nominate(f"p{n}", p) for n, p in nominations), APPROVE)
    approved = next(e for e in events if isinstance(e, RecuperationParticipantsApproved))
    ranked = [*approved.person_ids, *approved.waitlisted]
    priority = dict(state.nominated)
    assert sorted(ranked) == sorted(priority)  # everyone nominated is placed or waitlisted once
    assert len(approved.person_ids) == min(quota, len(priority))
    ranks = [PRIORITY.index(priority[p]) for p in ranked]
    assert ranks == sorted(ranks)
    order = [p for p, _ in state.nominated]
    for a, b in pairwise(ranked):  # ties keep nomination order
        if priority[a] == priority[b]:
            assert order.index(a) < order.index(b)
