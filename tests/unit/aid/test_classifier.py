"""classify(): the three-way scheme (domain §2.1 A1), at its exact boundaries."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import ClassifierPolicy, classify
from tests.unit.aid.kit import POLICY, finances

DIBAO = POLICY.dibao_standard_fen  # 78,000 fen a head a month

SEVERITY = {"deep": 3, "relative": 2, "accident": 1, None: 0}
"""How hard a category says the household's situation is: deep is the worst."""


@pytest.mark.parametrize(
    ("per_capita", "expected"),
    [
        (0, "deep"),
        (DIBAO - 1, "deep"),
        (DIBAO, "relative"),  # exactly 1x is not below 1x
        (2 * DIBAO - 1, "relative"),
        (2 * DIBAO, None),  # exactly 2x is not below 2x
        (2 * DIBAO + 1, None),
    ],
)
def test_rule_deep_is_strictly_below_1x_and_relative_strictly_below_2x_dibao(
    per_capita: int, expected: str | None
) -> None:
    for size in (1, 3, 7):
        assert classify(finances(per_capita, size), POLICY) == expected


def test_rule_rigid_expenditure_lowers_the_net_income_compared() -> None:
    # 3 people at 80,000 a head: 2,880,000 a year against a 2,808,000 standard.
    assert classify(finances(80_000, 3), POLICY) == "relative"
    assert classify(finances(80_000, 3, rigid=72_000), POLICY) == "relative"  # net = 1x exactly
    assert classify(finances(80_000, 3, rigid=72_001), POLICY) == "deep"
    # 3 people at 2x + 1,000 a head: rigid costs bring them under 2x.
    income = (2 * DIBAO + 1_000) * 12 * 3
    assert classify(finances(2 * DIBAO + 1_000, 3), POLICY) is None
    assert classify(finances(2 * DIBAO + 1_000, 3, rigid=36_000), POLICY) is None  # net = 2x
    assert classify(finances(2 * DIBAO + 1_000, 3, rigid=36_001), POLICY) == "relative"
    assert income - 36_000 == 2 * DIBAO * 12 * 3


def test_rule_an_accident_needs_event_costs_strictly_above_80_percent_of_yearly_income() -> None:
    # One person at 200,000 a month: 2,400,000 a year, of which 80 % is 1,920,000.
    assert classify(finances(200_000, 1, event_costs=1_920_000), POLICY) is None
    assert classify(finances(200_000, 1, event_costs=1_920_001), POLICY) == "accident"
    assert classify(finances(200_000, 1, event_costs=5_000_000), POLICY) == "accident"


def test_rule_the_accident_test_uses_income_before_rigid_expenditure() -> None:
    # Rigid costs of 400,000 do not lower the income the event costs are measured against.
    assert classify(finances(200_000, 1, rigid=400_000, event_costs=1_920_000), POLICY) is None


def test_rule_deep_and_relative_beat_accident() -> None:
    assert classify(finances(DIBAO - 1, 2, event_costs=10_000_000), POLICY) == "deep"
    assert classify(finances(DIBAO, 2, event_costs=10_000_000), POLICY) == "relative"


def test_rule_the_thresholds_come_from_the_policy_rows() -> None:
    older = ClassifierPolicy(DIBAO, 10_000, 15_000, 8_000, ("2016 national standard",))
    assert classify(finances(DIBAO * 3 // 2 - 1, 2), older) == "relative"
    assert classify(finances(DIBAO * 3 // 2, 2), older) is None
    raised = ClassifierPolicy(90_000, 10_000, 20_000, 8_000, ("aid.dibao_standard_fen@2027",))
    assert classify(finances(DIBAO, 2), raised) == "deep"


households = st.tuples(
    st.integers(1, 8),  # household size
    st.integers(0, 5_000_000),  # rigid expenditure a year
    st.integers(0, 20_000_000),  # event costs a year
)


@settings(max_examples=500, deadline=None)
@given(households, st.integers(0, 400_000), st.integers(0, 400_000))
def test_property_more_income_never_gives_a_deeper_category(
    household: tuple[int, int, int], a: int, b: int
) -> None:
    size, rigid, costs = household
    low, high = sorted((a, b))
    poorer = classify(finances(low, size, rigid, costs), POLICY)
    richer = classify(finances(high, size, rigid, costs), POLICY)
    assert SEVERITY[richer] <= SEVERITY[poorer]


@settings(max_examples=500, deadline=None)
@given(households, st.integers(0, 400_000))
def test_property_classify_is_the_documents_formula_in_exact_arithmetic(
    household: tuple[int, int, int], per_capita: int
) -> None:
    """(yearly income − rigid expenditure) ÷ 12 ÷ size against 1x and 2x 低保; 80 % for events."""
    size, rigid, costs = household
    yearly = Fraction(per_capita * 12 * size)
    net_per_capita_month = (yearly - rigid) / 12 / size
    if net_per_capita_month < DIBAO:
        expected: str | None = "deep"
    elif net_per_capita_month < 2 * DIBAO:
        expected = "relative"
    elif costs > Fraction(80, 100) * yearly:
        expected = "accident"
    else:
        expected = None
    assert classify(finances(per_capita, size, rigid, costs), POLICY) == expected
