"""BudgetLine: reservations against county and union lines, each rule by name."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.funds.domain import (
    BUDGET_LINE,
    AdjustmentBelowCommitted,
    Allocate,
    ApproveAdjustment,
    ConfirmSpend,
    ExpireReservations,
    InvalidAmount,
    Line,
    LineNotAllocated,
    MakerCheckerViolation,
    Release,
    RequestAdjustment,
    Reserve,
    SpendExceedsReservation,
    TransferLegsTogether,
    UnknownReservation,
)
from services.funds.events import (
    BudgetAdjusted,
    BudgetLineAllocated,
    BudgetReservationRefused,
    ExpenditureRecorded,
    FundsRequestRefused,
    FundsReserved,
    ReservationExpired,
    ReservationReleased,
)

TODAY = date(2026, 11, 24)
HARDSHIP = Allocate(
    2026, "hardship_aid", "困难职工帮扶", "fiscal_allocation", 4_000_000, "notice 十二"
)


def run(*commands: object) -> tuple[Line, list[object]]:
    """Decide and fold each command in turn; the state and every event."""
    state, events = BUDGET_LINE.initial_state, list[object]()
    for c in commands:
        new = BUDGET_LINE.decide(c, state)
        events += new
        state = BUDGET_LINE.fold(new, state)
    return state, events


def reserve(rid: str, amount: int, today: date = TODAY) -> Reserve:
    return Reserve(rid, amount, f"case-{rid}", "caseworker-1", today)


def test_rule_a_reservation_within_the_line_is_granted_and_expires_after_the_period() -> None:
    state, events = run(HARDSHIP, reserve("r1", 300_000))
    reserved = events[-1]
    assert isinstance(reserved, FundsReserved)
    assert reserved.available_after_fen == 3_700_000
    assert reserved.expires_on == date(2026, 12, 24)  # 30 days, budget.reservation_days
    assert reserved.policy_version == "budget.reservation_days@2022-01-01"
    assert state.available == 3_700_000


def test_rule_no_overdraft_a_reservation_beyond_the_line_is_refused_as_an_event() -> None:
    state, events = run(HARDSHIP, reserve("r1", 3_900_000), reserve("r2", 200_000))
    refused = events[-1]
    assert isinstance(refused, BudgetReservationRefused)
    assert (refused.reason, refused.available_fen) == ("LineExhausted", 100_000)
    assert (state.refused_count, state.refused_fen, state.available) == (1, 200_000, 100_000)


def test_rule_the_same_request_gets_its_first_answer() -> None:
    _, events = run(HARDSHIP, reserve("r1", 100), reserve("r1", 100))
    assert sum(isinstance(e, FundsReserved) for e in events) == 1


def test_rule_a_request_on_a_line_never_allocated_is_answered_with_a_refusal() -> None:
    state, events = run(reserve("r1", 100))
    assert events == [
        BudgetReservationRefused("r1", 100, "case-r1", "caseworker-1", "LineNotAllocated", 0)
    ]
    assert state.available == 0
    with pytest.raises(LineNotAllocated):  # an adjustment still needs a line
        run(RequestAdjustment("a1", 5, "x", "finance-1"))


def test_rule_a_sagas_spend_or_release_that_cannot_apply_is_answered() -> None:
    _, events = run(
        HARDSHIP,
        ConfirmSpend("nope", 10, "V", answer_refusal=True),
        Release("nope", "cancelled", answer_refusal=True),
    )
    assert [(e.request, e.reason) for e in events[1:] if isinstance(e, FundsRequestRefused)] == [
        ("spend", "UnknownReservation"),
        ("release", "UnknownReservation"),
    ]


def test_rule_amounts_are_positive() -> None:
    with pytest.raises(InvalidAmount):
        run(HARDSHIP, reserve("r1", 0))


def test_rule_an_appropriation_only_adds() -> None:
    raised, _ = run(
        HARDSHIP, Allocate(2026, "hardship_aid", "", "fiscal_allocation", 1_000_000, "raise")
    )
    assert raised.allocated == 5_000_000
    with pytest.raises(InvalidAmount):
        run(HARDSHIP, Allocate(2026, "hardship_aid", "", "fiscal_allocation", -1, "cut"))


def test_rule_a_spend_is_at_most_the_reservation_and_the_rest_is_released() -> None:
    state, events = run(HARDSHIP, reserve("r1", 500_000), ConfirmSpend("r1", 450_000, "V-1"))
    assert isinstance(events[-2], ExpenditureRecorded)
    assert events[-1] == ReservationReleased("r1", 50_000, "remainder")
    assert (state.spent, state.reserved, state.released, state.available) == (
        450_000,
        0,
        50_000,
        3_550_000,
    )
    with pytest.raises(SpendExceedsReservation):
        run(HARDSHIP, reserve("r1", 500_000), ConfirmSpend("r1", 500_001, "V-1"))


def test_rule_spent_or_released_reservations_cannot_be_spent_again() -> None:
    with pytest.raises(UnknownReservation):
        run(HARDSHIP, reserve("r1", 10), ConfirmSpend("r1", 10, "V"), ConfirmSpend("r1", 10, "V"))
    _, events = run(HARDSHIP, reserve("r1", 10), Release("r1", "cancelled"), Release("r1", "again"))
    assert sum(isinstance(e, ReservationReleased) for e in events) == 1


def test_rule_unconfirmed_reservations_expire_after_the_policy_period() -> None:
    state, events = run(
        HARDSHIP,
        reserve("old", 100, date(2026, 10, 1)),
        reserve("new", 200, date(2026, 11, 20)),
        ExpireReservations(date(2026, 11, 24)),
    )
    assert events[-1] == ReservationExpired(
        "old", 100, date(2026, 11, 24), "budget.reservation_days@2022-01-01"
    )
    assert set(state.open) == {"new"}


def test_rule_maker_checker_an_adjustment_needs_a_second_person() -> None:
    ask = RequestAdjustment("a1", -1_000_000, "county budget revised", "finance-1")
    with pytest.raises(MakerCheckerViolation):
        run(HARDSHIP, ask, ApproveAdjustment("a1", "finance-1"))
    state, events = run(HARDSHIP, ask, ApproveAdjustment("a1", "leader-1"))
    assert events[-1] == BudgetAdjusted(
        "a1", -1_000_000, "county budget revised", "finance-1", "leader-1"
    )
    assert state.allocated == 3_000_000


def test_rule_maker_checker_a_transfers_legs_are_approved_together() -> None:
    leg = RequestAdjustment("t1:in", 1_000, "transfer t1", "finance-1", transfer_id="t1")
    with pytest.raises(TransferLegsTogether):
        run(HARDSHIP, leg, ApproveAdjustment("t1:in", "leader-1"))
    state, _ = run(HARDSHIP, leg, ApproveAdjustment("t1:in", "leader-1", transfer_id="t1"))
    assert state.allocated == 4_001_000
    _, again = run(
        HARDSHIP,
        leg,
        ApproveAdjustment("t1:in", "leader-1", transfer_id="t1"),
        leg,
        ApproveAdjustment("t1:in", "leader-1", transfer_id="t1"),
    )
    assert sum(isinstance(e, BudgetAdjusted) for e in again) == 1  # applied once


def test_rule_a_joint_meeting_grant_confirms_the_policy_baseline_before_adding() -> None:
    baseline = Allocate(
        2026,
        "warmth",
        "送温暖",
        "fiscal_allocation",
        60_000_000,
        "notice 十二",
        "budget.fiscal.warmth_fen@2022-01-01",
    )
    grant = Allocate(
        2026, "warmth", "送温暖", "fiscal_allocation", 60_000_000, "JM-1", grant_id="G1"
    )
    more = Allocate(
        2026, "warmth", "送温暖", "fiscal_allocation", 10_000_000, "JM-2", grant_id="G2"
    )
    state, _ = run(baseline, grant)
    assert state.allocated == 60_000_000  # the same money, not twice
    state, _ = run(baseline, grant, more)
    assert state.allocated == 70_000_000
    state, events = run(grant, baseline, more)
    assert state.allocated == 70_000_000  # in either order
    added = [e.amount_fen for e in events if isinstance(e, BudgetLineAllocated)]
    assert added == [60_000_000, 0, 10_000_000]  # each on record


def test_rule_a_line_is_never_cut_below_what_is_committed() -> None:
    ask = RequestAdjustment("a1", -3_500_000, "cut", "finance-1")
    with pytest.raises(AdjustmentBelowCommitted):
        run(HARDSHIP, reserve("r1", 600_000), ask, ApproveAdjustment("a1", "leader-1"))


step = st.one_of(
    st.tuples(st.just("reserve"), st.integers(0, 9), st.integers(1, 1_500_000)),
    st.tuples(st.just("spend"), st.integers(0, 9), st.integers(0, 1_500_000)),
    st.tuples(st.just("release"), st.integers(0, 9), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, 60), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=40))
def test_property_no_interleaving_makes_available_negative_or_loses_a_fen(
    steps: list[tuple[str, int, int]],
) -> None:
    state = BUDGET_LINE.fold(BUDGET_LINE.decide(HARDSHIP, BUDGET_LINE.initial_state))
    granted = 0
    for kind, n, amount in steps:
        rid = f"r{n}"
        command: object
        if kind == "reserve":
            command = reserve(rid, amount, date(2026, 11, 1))
        elif kind == "spend":
            held = state.open.get(rid)
            command = ConfirmSpend(rid, min(amount, held.amount_fen if held else 0), "V")
        elif kind == "release":
            command = Release(rid, "cancelled")
        else:
            command = ExpireReservations(date(2026, 11, 1) + timedelta(days=n))
        try:
            events = BUDGET_LINE.decide(command, state)
        except (UnknownReservation, SpendExceedsReservation):
            continue
        granted += sum(e.amount_fen for e in events if isinstance(e, FundsReserved))
        state = BUDGET_LINE.fold(events, state)
        assert state.available >= 0
        assert state.allocated == state.available + state.reserved + state.spent
        assert granted == state.reserved + state.spent + state.released  # every fen accounted
        assert state.reserved == sum(r.amount_fen for r in state.open.values())
