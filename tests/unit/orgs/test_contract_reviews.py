"""人社's review opinions arriving late or twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.orgs.domain import (
    CONTRACT,
    AgreeDraft,
    Contract,
    ContractDeadlines,
    File,
    HoldRound,
    InvalidTransition,
    Reviewed,
    Sign,
)
from services.orgs.events import (
    ContractEffectWithdrawn,
    LateReviewOpinionNoted,
    ReviewObjectionRaised,
)
from tests.unit.orgs.test_contract import (
    EFFECTIVE_ON,
    FILED,
    FILED_ON,
    REVIEW_ENDS,
    SIGNED,
    vote,
)


def state_after(*commands: object) -> Contract:
    state = CONTRACT.initial_state
    for c in commands:
        state = CONTRACT.fold(CONTRACT.decide(c, state), state)
    return state


def run(*commands: object) -> list[object]:
    state, events = CONTRACT.initial_state, list[object]()
    for c in commands:
        new = CONTRACT.decide(c, state)
        events += new
        state = CONTRACT.fold(new, state)
    return events


def test_rule_an_approval_after_the_contract_took_effect_changes_nothing() -> None:
    effective = ContractDeadlines(REVIEW_ENDS + timedelta(days=1), 90)
    late = Reviewed("approved", (), REVIEW_ENDS + timedelta(days=3))
    assert run(*FILED, effective, late) == run(*FILED, effective)


def test_rule_an_objection_dated_after_the_review_days_is_noted_and_the_contract_stays() -> None:
    effective = ContractDeadlines(REVIEW_ENDS + timedelta(days=1), 90)
    late = Reviewed("objections", ("工资条款",), REVIEW_ENDS + timedelta(days=1))
    events = run(*FILED, effective, late)
    assert events[-1] == LateReviewOpinionNoted(("工资条款",), REVIEW_ENDS + timedelta(days=1))
    assert state_after(*FILED, effective, late).status == "effective"


def test_rule_an_objection_dated_in_time_but_delivered_late_withdraws_the_effect() -> None:
    """Art. 47: an objection within 15 days means the contract never took effect; the
    timer only recorded it in force because 人社's message came after the deadline."""
    effective = ContractDeadlines(REVIEW_ENDS + timedelta(days=1), 90)
    timely = Reviewed("objections", ("工资条款",), REVIEW_ENDS)
    events = run(*FILED, effective, timely)
    assert events[-2:] == [
        ContractEffectWithdrawn("K1", "U1", ("E1",), "comprehensive", EFFECTIVE_ON, REVIEW_ENDS),
        ReviewObjectionRaised(("工资条款",), REVIEW_ENDS),
    ]
    state = state_after(*FILED, effective, timely)
    assert (state.status, state.effective_on, state.expires_on) == ("negotiating", None, None)
    # Renegotiated, signed and filed again, it takes effect anew.
    again = (
        HoldRound(date(2026, 6, 25), "工资条款"),
        AgreeDraft(date(2026, 6, 26), 3, "wages up 4 %"),
        vote(),
        Sign(date(2026, 6, 27), 10),
        File(date(2026, 6, 28), 15),
        Reviewed("approved", (), date(2026, 7, 1)),
    )
    state = state_after(*FILED, effective, timely, *again)
    assert (state.status, state.effect_basis) == ("effective", "approved")


def test_rule_the_same_objection_sent_again_changes_nothing() -> None:
    effective = ContractDeadlines(REVIEW_ENDS + timedelta(days=1), 90)
    timely = Reviewed("objections", ("工资条款",), REVIEW_ENDS)
    assert run(*FILED, effective, timely, timely) == run(*FILED, effective, timely)
    assert run(*FILED, timely, timely) == run(*FILED, timely)
    with pytest.raises(InvalidTransition):  # another objection, though, needs a filing
        run(*FILED, timely, Reviewed("objections", ("工时条款",), REVIEW_ENDS))


def test_rule_an_objection_after_an_approval_is_only_noted() -> None:
    approved = Reviewed("approved", (), FILED_ON + timedelta(days=2))
    objection = Reviewed("objections", ("工资条款",), FILED_ON + timedelta(days=3))
    events = run(*FILED, approved, objection)
    assert events[-1] == LateReviewOpinionNoted(("工资条款",), FILED_ON + timedelta(days=3))
    assert state_after(*FILED, approved, objection).status == "effective"


def test_rule_an_objection_before_anything_was_filed_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        run(*SIGNED, Reviewed("objections", ("工资条款",), date(2026, 6, 2)))
