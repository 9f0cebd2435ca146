"""What competitions knows from orgs: labour-safety special agreements in force (flow F13,
for the 安康杯) and workers' congress endorsements of nominees (flow F11)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.competitions.domain import (
    ENDORSEMENTS,
    SAFETY,
    Endorsements,
    NoteEndorsement,
    NoteSafetyAgreement,
    SafetyAgreements,
    WithdrawSafetyAgreement,
    endorsement_stream,
    safety_stream,
)
from services.competitions.events import (
    CongressEndorsementNoted,
    SafetyAgreementNoted,
    SafetyAgreementWithdrawn,
)
from tests.unit.competitions.kit import kinds, run_with

EFFECTIVE = date(2025, 7, 1)
EXPIRES = date(2028, 7, 1)


def safety(*commands: object) -> tuple[SafetyAgreements, list[object]]:
    return run_with(SAFETY, *commands)


def endorsements(*commands: object) -> tuple[Endorsements, list[object]]:
    return run_with(ENDORSEMENTS, *commands)


def note(
    contract: str = "CC-7", effective: date = EFFECTIVE, expires: date = EXPIRES
) -> NoteSafetyAgreement:
    return NoteSafetyAgreement("E1", contract, effective, expires)


# -- safety agreements (flow F13) ----------------------------------------------------------


def test_rule_a_safety_agreement_from_orgs_is_noted() -> None:
    state, events = safety(note())
    assert events == [SafetyAgreementNoted("E1", "CC-7", EFFECTIVE, EXPIRES)]
    assert state.agreements == (("CC-7", EFFECTIVE, EXPIRES),)
    assert safety_stream("E1") == "SafetyAgreement-E1"


@pytest.mark.parametrize(
    ("on", "in_force"),
    [
        (EFFECTIVE - timedelta(days=1), False),
        (EFFECTIVE, True),
        (EXPIRES - timedelta(days=1), True),
        (EXPIRES, False),
    ],
)
def test_rule_an_agreement_is_in_force_from_its_effective_day_until_the_day_it_expires(
    on: date, in_force: bool
) -> None:
    state, _ = safety(note())
    assert state.in_force(on) is in_force


def test_rule_no_agreement_means_none_in_force() -> None:
    assert SAFETY.initial_state.in_force(EFFECTIVE) is False


def test_rule_any_one_agreement_in_force_is_enough() -> None:
    state, _ = safety(
        note("CC-7", date(2022, 7, 1), EFFECTIVE), note("CC-8", EFFECTIVE + timedelta(days=30))
    )
    assert state.in_force(EFFECTIVE - timedelta(days=1))  # the old one
    assert not state.in_force(EFFECTIVE + timedelta(days=1))  # the gap between them
    assert state.in_force(EFFECTIVE + timedelta(days=30))  # the new one


def test_rule_the_same_contract_and_effective_date_noted_twice_changes_nothing() -> None:
    state, events = safety(note(), note(), note(expires=date(2029, 1, 1)))
    assert kinds(events) == ["SafetyAgreementNoted"]
    assert state.agreements == (("CC-7", EFFECTIVE, EXPIRES),)


def test_rule_a_renewed_contract_with_a_new_effective_date_is_noted_again() -> None:
    renewed = note(effective=EXPIRES, expires=date(2031, 7, 1))
    state, events = safety(note(), renewed)
    assert kinds(events) == ["SafetyAgreementNoted", "SafetyAgreementNoted"]
    assert state.in_force(date(2030, 1, 1))


def test_rule_a_withdrawn_agreement_no_longer_counts_and_is_not_noted_again() -> None:
    withdraw = WithdrawSafetyAgreement("E1", "CC-7", EFFECTIVE)
    state, events = safety(note(), withdraw, withdraw, note())
    assert events[1:] == [SafetyAgreementWithdrawn("E1", "CC-7", EFFECTIVE)]
    assert not state.in_force(EFFECTIVE)
    # The withdrawal delivered before the note: the note is ignored when it comes.
    state, events = safety(withdraw, note())
    assert kinds(events) == ["SafetyAgreementWithdrawn"]
    assert state.agreements == ()
    # The same contract in force again from a new day (signed and filed anew) counts.
    again = note(effective=EFFECTIVE + timedelta(days=40))
    state, _ = safety(note(), withdraw, again)
    assert state.in_force(EFFECTIVE + timedelta(days=40))


def test_rule_safety_agreements_refuse_other_commands() -> None:
    with pytest.raises(TypeError):
        safety(NoteEndorsement("P1", "CG1", "I1", "E1"))


# -- congress endorsements (flow F11) ------------------------------------------------------


def test_rule_a_congress_endorsement_is_noted() -> None:
    state, events = endorsements(NoteEndorsement("P1", "CG1", "I3", "E1"))
    assert events == [CongressEndorsementNoted("P1", "CG1", "I3", "E1")]
    assert state.by == (("CG1", "I3", "E1"),)
    assert endorsement_stream("P1") == "Endorsement-P1"


def test_rule_the_same_congress_item_noted_twice_changes_nothing() -> None:
    state, events = endorsements(
        NoteEndorsement("P1", "CG1", "I3", "E1"),
        NoteEndorsement("P1", "CG1", "I3", "E1"),
        NoteEndorsement("P1", "CG1", "I3", "E2"),
    )
    assert kinds(events) == ["CongressEndorsementNoted"]
    assert state.by == (("CG1", "I3", "E1"),)


def test_rule_another_item_or_another_congress_is_a_new_endorsement() -> None:
    state, events = endorsements(
        NoteEndorsement("P1", "CG1", "I3", "E1"),
        NoteEndorsement("P1", "CG1", "I4", "E1"),
        NoteEndorsement("P1", "CG2", "I3", "E1"),
    )
    assert len(events) == 3
    assert state.by == (("CG1", "I3", "E1"), ("CG1", "I4", "E1"), ("CG2", "I3", "E1"))


def test_rule_only_the_nominating_units_own_congress_endorses() -> None:
    state, _ = endorsements(
        NoteEndorsement("P1", "CG2", "I7", "E2"), NoteEndorsement("P1", "CG1", "I3", "E1")
    )
    assert state.from_unit("E1") == ("CG1", "I3")
    assert state.from_unit("E2") == ("CG2", "I7")
    assert state.from_unit("E9") is None


def test_rule_endorsements_refuse_other_commands() -> None:
    with pytest.raises(TypeError):
        endorsements(note())
