"""人社's review opinions arriving late or twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.orgs.domain import CONTRACT, ContractDeadlines, InvalidTransition, Reviewed
from tests.unit.orgs.test_contract import FILED, REVIEW_ENDS


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


def test_rule_an_objection_after_the_contract_took_effect_is_refused_not_applied() -> None:
    effective = ContractDeadlines(REVIEW_ENDS + timedelta(days=1), 90)
    with pytest.raises(InvalidTransition):
        run(*FILED, effective, Reviewed("objections", ("工资条款",), date(2030, 1, 1)))
