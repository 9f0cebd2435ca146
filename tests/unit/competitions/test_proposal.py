"""RationalizationProposal (合理化建议, domain §2.2 C2): submitted, screened, evaluated,
adopted or not, implemented, benefit assessed, rewarded; each step from its own state."""

from __future__ import annotations

from datetime import date

import pytest

from services.competitions.domain import (
    PROPOSAL,
    AssessBenefit,
    DecideProposal,
    EvaluateProposal,
    ImplementProposal,
    InvalidTransition,
    Proposal,
    RewardProposal,
    ScreenProposal,
    SubmitProposal,
    proposal_stream,
)
from services.competitions.events import (
    ProposalAdopted,
    ProposalBenefitAssessed,
    ProposalEvaluated,
    ProposalImplemented,
    ProposalNotAdopted,
    ProposalRewarded,
    ProposalScreened,
    ProposalSubmitted,
)
from tests.unit.competitions.kit import kinds, run_with


def run(*commands: object) -> tuple[Proposal, list[object]]:
    return run_with(PROPOSAL, *commands)


SUBMIT = SubmitProposal("PR1", "E1", ("W1", "W2"), "改进焊接夹具", date(2026, 3, 2))
SCREEN = ScreenProposal(True, "feasible, within the unit's remit")
EVALUATE = EvaluateProposal(86, ("expert-1", "expert-2", "expert-3"))
ADOPT = DecideProposal(True, date(2026, 4, 20), "")
IMPLEMENT = ImplementProposal(date(2026, 6, 1))
ASSESS = AssessBenefit(12_000_000, "one year's material saved, audited")
REWARD = RewardProposal(600_000, "V-2026-140")

PATH: tuple[object, ...] = (SUBMIT, SCREEN, EVALUATE, ADOPT, IMPLEMENT, ASSESS, REWARD)
STATES = (
    "submitted",
    "screened",
    "evaluated",
    "adopted",
    "implemented",
    "benefit_assessed",
    "rewarded",
)


def test_rule_a_proposal_runs_from_submission_to_reward() -> None:
    state, events = run(*PATH)
    assert events == [
        ProposalSubmitted("PR1", "E1", ("W1", "W2"), "改进焊接夹具", date(2026, 3, 2)),
        ProposalScreened(True, "feasible, within the unit's remit"),
        ProposalEvaluated(86, ("expert-1", "expert-2", "expert-3")),
        ProposalAdopted(date(2026, 4, 20)),
        ProposalImplemented(date(2026, 6, 1)),
        ProposalBenefitAssessed(12_000_000, "one year's material saved, audited"),
        ProposalRewarded(600_000, "V-2026-140"),
    ]
    assert (state.status, state.benefit_fen) == ("rewarded", 12_000_000)
    assert proposal_stream("PR1") == "Proposal-PR1"


@pytest.mark.parametrize("steps", range(1, len(PATH) + 1))
def test_rule_each_step_moves_the_proposal_to_its_state(steps: int) -> None:
    state, _ = run(*PATH[:steps])
    assert state.status == STATES[steps - 1]


def test_rule_a_proposal_screened_out_goes_no_further() -> None:
    state, events = run(SUBMIT, ScreenProposal(False, "outside the unit's remit"))
    assert events[-1] == ProposalScreened(False, "outside the unit's remit")
    assert state.status == "screened_out"
    for later in (SCREEN, *PATH[2:]):
        with pytest.raises(InvalidTransition):
            run(SUBMIT, ScreenProposal(False, "no"), later)


def test_rule_a_proposal_not_adopted_goes_no_further() -> None:
    reject = DecideProposal(False, date(2026, 4, 20), "cost exceeds benefit")
    state, events = run(SUBMIT, SCREEN, EVALUATE, reject)
    assert events[-1] == ProposalNotAdopted("cost exceeds benefit")
    assert state.status == "not_adopted"
    for later in (SCREEN, EVALUATE, ADOPT, *PATH[4:]):
        with pytest.raises(InvalidTransition):
            run(SUBMIT, SCREEN, EVALUATE, reject, later)


@pytest.mark.parametrize(
    ("done", "command"),
    [
        (done, command)
        for done in range(len(PATH) + 1)
        for i, command in enumerate(PATH)
        if i != done  # the next step is the only one allowed
    ],
)
def test_rule_each_step_applies_only_from_its_own_state(done: int, command: object) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*PATH[:done], command)
    assert refused.value.details["state"] == (STATES[done - 1] if done else "none")


@pytest.mark.parametrize("score", [0, 100])
def test_rule_an_evaluation_of_0_or_100_points_is_accepted(score: int) -> None:
    state, events = run(SUBMIT, SCREEN, EvaluateProposal(score, ("expert-1",)))
    assert events[-1] == ProposalEvaluated(score, ("expert-1",))
    assert state.status == "evaluated"


@pytest.mark.parametrize("score", [-1, 101])
def test_rule_an_evaluation_outside_0_to_100_points_is_refused(score: int) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(SUBMIT, SCREEN, EvaluateProposal(score, ("expert-1",)))
    assert refused.value.details == {"field": "score"}


def test_rule_a_proposal_with_no_measurable_benefit_is_still_assessed_and_rewarded() -> None:
    state, events = run(*PATH[:5], AssessBenefit(0, "safety, not money"), RewardProposal(0, "-"))
    assert kinds(events)[-2:] == ["ProposalBenefitAssessed", "ProposalRewarded"]
    assert (state.status, state.benefit_fen) == ("rewarded", 0)


def test_rule_a_proposal_refuses_other_services_commands() -> None:
    with pytest.raises(TypeError):
        run(object())
