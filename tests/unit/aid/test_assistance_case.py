"""AssistanceCase: approval held by a funds reservation (flow F6), maker-checker, compensation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import (
    CASE,
    ApproveAid,
    AssessAid,
    CancelAid,
    Case,
    CloseCase,
    FileNotActive,
    FundsAnswer,
    InvalidTransition,
    MakerCheckerViolation,
    NotEligible,
    OrderPayment,
    OrderRecovery,
    RecordDisbursement,
    RecordRecovery,
    RejectAid,
    RequestAid,
    ReservationLapsed,
    SignReceipt,
    TimeOutApproval,
)
from services.aid.events import (
    AidApprovalBlocked,
    AidApprovalRequested,
    AidApprovalTimedOut,
    AidApproved,
    AidCancelled,
    AidDisbursed,
    AidPaymentOrdered,
    AidRecovered,
    AidRecoveryOrdered,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
)
from tests.unit.aid.kit import NOW, TODAY, kinds, recorded, run_with, walk

REPLY_HOURS = 48
DUE = NOW + timedelta(hours=REPLY_HOURS)
R1, R2 = "case:C1.1", "case:C1.2"


def run(*commands: object) -> tuple[Case, list[object]]:
    return run_with(CASE, *commands)


def request(
    *,
    programme: str = "living",
    amount: int = 200_000,
    household: str | None = "H1",
    needs_file: bool = True,
    file_status: str | None = "filed",
) -> RequestAid:
    return RequestAid(
        "C1",
        programme,
        "P1",
        household,
        2026,
        amount,
        "hardship_aid",
        "hospital bills",
        "cw-1",
        ("aid.line.living@2022-01-01", "aid.repeatable.living@2022-01-01"),
        needs_file,
        file_status,
    )


ASSESS = AssessAid("cw-2", 150_000, "bills checked: 1,500 yuan")


def approve(approver: str = "leader-1", now: datetime = NOW) -> ApproveAid:
    return ApproveAid(approver, now, REPLY_HOURS)


def yes(request_id: str = R1) -> FundsAnswer:
    return FundsAnswer(request_id, True, "", "")


def no(request_id: str = R1, reason: str = "LineExhausted") -> FundsAnswer:
    return FundsAnswer(request_id, False, reason, "available 0 fen")


ORDER = OrderPayment("fin-1", "bank_account@3")
DISBURSE = RecordDisbursement("BANK-20261125-1", TODAY + timedelta(days=1))
SIGN = SignReceipt(TODAY + timedelta(days=2), "P1")
CLOSE = CloseCase(TODAY + timedelta(days=3))

APPROVED: tuple[object, ...] = (request(), ASSESS, approve(), yes())
FULL_PATH: tuple[object, ...] = (*APPROVED, ORDER, DISBURSE, SIGN, CLOSE)
"""A living allowance from request to close, for the log round-trip test."""


def test_rule_a_case_runs_from_request_to_close_on_a_reservation() -> None:
    state, events = run(*FULL_PATH)
    assert kinds(events) == [
        "AidRequested",
        "AidAssessed",
        "AidApprovalRequested",
        "FundsReservationRequested",
        "AidApproved",
        "AidPaymentOrdered",
        "AidDisbursed",
        "FundsSpendReported",
        "AidReceiptSigned",
        "AidClosed",
    ]
    assert events[4] == AidApproved(R1, 150_000, "leader-1")
    assert events[5] == AidPaymentOrdered("fin-1", 150_000, "bank_account@3")
    assert state.status == "closed"


def test_rule_approval_asks_funds_for_a_reservation_of_the_assessed_amount() -> None:
    state, events = run(request(), ASSESS, approve())
    assert events[-2:] == [
        AidApprovalRequested("leader-1", R1, 150_000, DUE),
        FundsReservationRequested(R1, 2026, "hardship_aid", 150_000, "AidCase-C1", None),
    ]
    assert (state.status, state.request_id, state.reply_due) == ("awaiting_funds", R1, DUE)
    with pytest.raises(InvalidTransition):  # not approved until funds answers
        run(request(), ASSESS, approve(), ORDER)


def test_rule_maker_checker_the_requester_may_not_approve() -> None:
    with pytest.raises(MakerCheckerViolation) as refused:
        run(request(), ASSESS, approve("cw-1"))
    assert refused.value.details["requested_by"] == "cw-1"


def test_rule_maker_checker_the_assessor_may_not_approve() -> None:
    with pytest.raises(MakerCheckerViolation) as refused:
        run(request(), ASSESS, approve("cw-2"))
    assert refused.value.details["assessed_by"] == "cw-2"


def test_rule_maker_checker_the_approver_may_not_order_the_payment() -> None:
    with pytest.raises(MakerCheckerViolation) as refused:
        run(*APPROVED, OrderPayment("leader-1", "bank_account@3"))
    assert refused.value.details == {"orderer": "leader-1", "approved_by": "leader-1"}


def test_rule_a_case_is_assessed_before_it_is_approved() -> None:
    with pytest.raises(InvalidTransition):
        run(request(), approve())
    with pytest.raises(InvalidTransition):
        run(request(), request())


def test_rule_funds_reserving_approves_the_case() -> None:
    state, events = run(*APPROVED)
    assert events[-1] == AidApproved(R1, 150_000, "leader-1")
    assert (state.status, state.reservation_id) == ("approved", R1)


def test_rule_funds_refusing_for_an_exhausted_line_blocks_with_budget_exhausted() -> None:
    state, events = run(request(), ASSESS, approve(), no())
    assert events[-1] == AidApprovalBlocked(R1, "BudgetExhausted", "available 0 fen")
    assert state.status == "blocked"
    _, events = run(request(), ASSESS, approve(), no(reason="LineNotAllocated"))
    blocked = events[-1]
    assert isinstance(blocked, AidApprovalBlocked)
    assert blocked.reason == "LineNotAllocated"  # funds' other reasons pass through


def test_rule_a_blocked_case_is_approved_again_on_a_new_request_and_stale_answers_are_ignored() -> (
    None
):
    blocked_then_again = (request(), ASSESS, approve(), no(), approve("leader-2"))
    state, events = run(*blocked_then_again)
    assert events[-1] == FundsReservationRequested(
        R2, 2026, "hardship_aid", 150_000, "AidCase-C1", None
    )
    assert (state.request_id, state.attempts, state.approved_by) == (R2, 2, "leader-2")
    state, events = run(*blocked_then_again, yes(R1), no(R1))
    assert kinds(events)[-1] == "FundsReservationRequested"  # the first attempt's replies
    assert state.status == "awaiting_funds"
    state, events = run(*blocked_then_again, yes(R2))
    assert events[-1] == AidApproved(R2, 150_000, "leader-2")


def test_rule_a_slow_answer_times_out_only_after_the_reply_is_due_and_only_once() -> None:
    _, events = run(request(), ASSESS, approve(), TimeOutApproval(DUE - timedelta(seconds=1)))
    assert kinds(events)[-1] == "FundsReservationRequested"
    state, events = run(
        request(),
        ASSESS,
        approve(),
        TimeOutApproval(DUE + timedelta(hours=5, minutes=59)),
        TimeOutApproval(DUE + timedelta(hours=9)),
    )
    assert [e for e in events if isinstance(e, AidApprovalTimedOut)] == [AidApprovalTimedOut(R1, 5)]
    assert (state.status, state.timed_out) == ("awaiting_funds", True)
    _, events = run(request(), ASSESS, approve(), TimeOutApproval(DUE))
    assert events[-1] == AidApprovalTimedOut(R1, 0)  # due means due


def test_rule_a_late_reply_after_a_time_out_still_approves() -> None:
    state, events = run(request(), ASSESS, approve(), TimeOutApproval(DUE), yes())
    assert events[-1] == AidApproved(R1, 150_000, "leader-1")
    assert state.status == "approved"


def test_rule_only_a_case_awaiting_funds_times_out() -> None:
    _, events = run(*APPROVED, TimeOutApproval(DUE + timedelta(days=3)))
    assert kinds(events)[-1] == "AidApproved"
    later = DUE + timedelta(days=1)
    state, events = run(
        request(), ASSESS, approve(), no(), approve("leader-2", later), TimeOutApproval(DUE)
    )
    assert not state.timed_out  # the new attempt has its own deadline
    _, events = run(
        request(),
        ASSESS,
        approve(),
        TimeOutApproval(DUE),
        no(),
        approve("leader-2", later),
        TimeOutApproval(later + timedelta(hours=REPLY_HOURS)),
    )
    assert [e for e in events if isinstance(e, AidApprovalTimedOut)] == [
        AidApprovalTimedOut(R1, 0),
        AidApprovalTimedOut(R2, 0),
    ]


@pytest.mark.parametrize("upto", ["awaiting_funds", "approved"])
def test_rule_cancelling_while_money_is_held_or_asked_for_releases_it(upto: str) -> None:
    before = (request(), ASSESS, approve()) if upto == "awaiting_funds" else APPROVED
    state, events = run(*before, CancelAid("family withdrew", "cw-1"))
    assert events[-2:] == [
        AidCancelled("family withdrew", "cw-1"),
        FundsReleaseRequested(R1, 2026, "hardship_aid", "family withdrew"),
    ]
    assert state.status == "cancelled"


def test_rule_cancelling_with_no_money_asked_for_releases_nothing() -> None:
    for before in [(request(),), (request(), ASSESS), (request(), ASSESS, approve(), no())]:
        _, events = run(*before, CancelAid("withdrawn", "cw-1"))
        assert events[-1] == AidCancelled("withdrawn", "cw-1")
    with pytest.raises(InvalidTransition):  # once paid, the way back is a recovery
        run(*APPROVED, ORDER, CancelAid("too late", "cw-1"))


def test_rule_a_late_reservation_for_a_cancelled_case_is_released() -> None:
    cancelled = (request(), ASSESS, approve(), CancelAid("withdrawn", "cw-1"))
    state, events = run(*cancelled, yes())
    assert events[-1] == FundsReleaseRequested(R1, 2026, "hardship_aid", "case cancelled")
    assert state.status == "cancelled"
    _, events = run(*cancelled, no())
    assert kinds(events)[-1] == "FundsReleaseRequested"  # a refusal needs nothing back
    assert len(events) == len(run(*cancelled)[1])


def test_rule_a_lapsed_reservation_blocks_an_approved_case() -> None:
    state, events = run(*APPROVED, ReservationLapsed(R1))
    assert events[-1] == AidApprovalBlocked(
        R1, "ReservationExpired", "funds let the reservation expire before payment"
    )
    assert (state.status, state.reservation_id) == ("blocked", None)
    state, events = run(*APPROVED, ReservationLapsed(R1), approve("leader-2"), yes(R2))
    assert events[-1] == AidApproved(R2, 150_000, "leader-2")


def test_rule_a_lapse_once_payment_is_ordered_does_not_block_the_payment() -> None:
    state, events = run(*APPROVED, ORDER, ReservationLapsed(R1))
    assert state.status == "payment_ordered"  # the bank may be paying already
    assert kinds(events)[-1] == "AidPaymentOrdered"


def test_rule_a_lapse_of_another_reservation_or_after_payment_is_ignored() -> None:
    _, events = run(*APPROVED, ReservationLapsed("case:C1.7"))
    assert kinds(events)[-1] == "AidApproved"
    _, events = run(*APPROVED, ORDER, DISBURSE, ReservationLapsed(R1))
    assert kinds(events)[-1] == "FundsSpendReported"


def test_rule_a_disbursement_reports_the_spend_to_funds() -> None:
    state, events = run(*APPROVED, ORDER, DISBURSE)
    assert events[-2:] == [
        AidDisbursed(150_000, "BANK-20261125-1", TODAY + timedelta(days=1)),
        FundsSpendReported(R1, 2026, "hardship_aid", 150_000, "BANK-20261125-1"),
    ]
    assert (state.status, state.disbursed_fen) == ("disbursed", 150_000)


def test_rule_a_cash_case_closes_only_after_the_receipt_is_signed() -> None:
    for before in [APPROVED, (*APPROVED, ORDER), (*APPROVED, ORDER, DISBURSE)]:
        with pytest.raises(InvalidTransition):
            run(*before, CLOSE)


def test_rule_a_service_that_pays_no_money_approves_without_a_reservation_and_closes() -> None:
    referral = request(programme="spring_jobs", amount=0, household=None, needs_file=False)
    state, events = run(referral, AssessAid("cw-2", 0, "job fair place"), approve(), CLOSE)
    assert kinds(events) == ["AidRequested", "AidAssessed", "AidApproved", "AidClosed"]
    assert events[2] == AidApproved(None, 0, "leader-1")
    assert state.status == "closed"
    state, events = run(referral, AssessAid("cw-2", 0, "x"), approve(), CancelAid("x", "cw-1"))
    assert not any(isinstance(e, FundsReleaseRequested) for e in events)


def test_rule_a_recovery_is_at_most_what_was_paid() -> None:
    paid = (*APPROVED, ORDER, DISBURSE, SIGN)
    with pytest.raises(InvalidTransition) as refused:
        run(*paid, OrderRecovery(150_001, "income concealed", "leader-1"))
    assert refused.value.details == {"field": "amount_fen", "disbursed_fen": 150_000}
    state, events = run(
        *paid,
        CLOSE,
        OrderRecovery(150_000, "income concealed", "leader-1"),
        RecordRecovery(150_000, "V-REC-1"),
    )
    assert events[-2:] == [
        AidRecoveryOrdered(150_000, "income concealed", "leader-1"),
        AidRecovered(150_000, "V-REC-1"),
    ]
    assert state.status == "recovered"
    with pytest.raises(InvalidTransition):  # nothing paid, nothing to recover
        run(*APPROVED, OrderRecovery(1, "x", "leader-1"))


def test_rule_a_recorded_recovery_is_at_most_what_was_ordered() -> None:
    ordered = (*APPROVED, ORDER, DISBURSE, OrderRecovery(50_000, "overpaid", "leader-1"))
    with pytest.raises(InvalidTransition) as refused:
        run(*ordered, RecordRecovery(50_001, "V-REC-1"))
    assert refused.value.details == {"field": "amount_fen", "ordered_fen": 50_000}
    state, events = run(*ordered, RecordRecovery(50_000, "V-REC-1"))
    assert events[-1] == AidRecovered(50_000, "V-REC-1")
    assert state.status == "recovered"


def test_rule_a_cash_payment_needs_the_payees_bank_account() -> None:
    with pytest.raises(NotEligible):
        run(*APPROVED, OrderPayment("fin-1", ""))
    referral = request(programme="spring_jobs", amount=0, household=None, needs_file=False)
    state, _ = run(referral, AssessAid("cw-2", 0, "x"), approve(), OrderPayment("fin-1", ""))
    assert state.status == "payment_ordered"  # a service pays nobody


@pytest.mark.parametrize("file_status", [None, "submitted", "noticed", "lifted", "deregistered"])
def test_rule_a_file_programme_needs_the_households_file_in_force(file_status: str | None) -> None:
    with pytest.raises(FileNotActive) as refused:
        run(request(file_status=file_status))
    assert refused.value.details == {"household_id": "H1", "file_status": file_status or "none"}


def test_rule_naming_a_household_needs_its_file_in_force_even_for_other_programmes() -> None:
    with pytest.raises(FileNotActive):
        run(request(programme="golden_autumn", needs_file=False, file_status="lifted"))
    state, _ = run(request(programme="golden_autumn", needs_file=False, file_status="temporary"))
    assert state.status == "requested"
    state, _ = run(
        request(programme="summer_cool", household=None, needs_file=False, file_status=None)
    )
    assert state.status == "requested"


def test_rule_a_file_programme_with_no_household_named_is_refused() -> None:
    with pytest.raises(FileNotActive):
        run(request(household=None, file_status=None))


def test_rule_a_temporary_file_is_in_force() -> None:
    state, _ = run(request(file_status="temporary"))
    assert state.status == "requested"


def test_rule_a_case_is_rejected_only_before_it_is_approved() -> None:
    for before in [(request(),), (request(), ASSESS), (request(), ASSESS, approve(), no())]:
        state, _ = run(*before, RejectAid("not in hardship", "leader-1"))
        assert state.status == "rejected"
    with pytest.raises(InvalidTransition):
        run(*APPROVED, RejectAid("changed my mind", "leader-1"))


# -- properties ----------------------------------------------------------------------

LATER = DUE + timedelta(days=2)
PROGRESS: tuple[object, ...] = (
    ASSESS,
    approve("leader-1"),
    approve("leader-2", LATER),
    ORDER,
    DISBURSE,
    SIGN,
    CLOSE,
    OrderRecovery(150_000, "concealed", "leader-1"),
    RecordRecovery(150_000, "V-REC"),
)
"""The forward steps, weighted up in the pool so walks get far."""

CASE_COMMANDS: tuple[object, ...] = (
    *PROGRESS,
    *PROGRESS,
    *PROGRESS,
    AssessAid("cw-3", 0, "a service instead"),
    approve("cw-1"),
    approve("cw-2"),
    TimeOutApproval(DUE - timedelta(hours=1)),
    TimeOutApproval(DUE + timedelta(hours=3)),
    TimeOutApproval(LATER + timedelta(days=3)),
    OrderPayment("leader-1", "bank_account@3"),
    OrderPayment("leader-2", "bank_account@3"),
    RejectAid("no", "leader-1"),
    CancelAid("withdrawn", "cw-1"),
    OrderRecovery(1, "overpaid", "leader-1"),
    OrderRecovery(150_001, "too much", "leader-1"),
    RecordRecovery(1, "V-PART"),
    RecordRecovery(150_001, "V-TOO-MUCH"),
)


def funds_commands(answers: list[bool], lapses: list[bool]) -> tuple[object, ...]:
    """What a consistent funds says: one answer per attempt, and lapses only of a reservation."""
    out: list[object] = []
    for n, (reserved, lapse) in enumerate(zip(answers, lapses, strict=True), start=1):
        rid = f"case:C1.{n}"
        out.append(FundsAnswer(rid, reserved, "" if reserved else "LineExhausted", ""))
        if reserved and lapse:
            out.append(ReservationLapsed(rid))
    return tuple(out)


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.lists(st.integers(0, 60), max_size=30),
)
def test_property_replaying_a_cases_recorded_events_gives_the_live_state(
    cash: bool, answers: list[bool], lapses: list[bool], picks: list[int]
) -> None:
    start = request() if cash else request(programme="spring_jobs", amount=0)
    funds = funds_commands(answers, lapses)
    pool = (start, *CASE_COMMANDS, *funds, *funds)
    log: list[object] = []
    for _, events, state in walk(CASE, pool, picks):
        log += [recorded(e) for e in events]
        assert CASE.fold(log) == state
        for e in events:  # maker-checker holds on every path
            if isinstance(e, AidApprovalRequested | AidApproved):
                assert e.approved_by not in (state.requested_by, state.assessed_by)
            if isinstance(e, AidPaymentOrdered):
                assert e.ordered_by != state.approved_by
    final = CASE.fold(log)
    asked = [e.request_id for e in log if isinstance(e, FundsReservationRequested)]
    # The pool answers the first four attempts only; a later one is never reserved.
    attempt = {rid: int(rid.rsplit(".", 1)[1]) for rid in asked}
    reserved = {rid for rid, n in attempt.items() if n <= len(answers) and answers[n - 1]}
    spent = {e.request_id for e in log if isinstance(e, FundsSpendReported)}
    released = {e.request_id for e in log if isinstance(e, FundsReleaseRequested)}
    lapsed = {
        e.request_id
        for e in log
        if isinstance(e, AidApprovalBlocked) and e.reason == "ReservationExpired"
    }
    holding = ("awaiting_funds", "approved", "payment_ordered")
    held = {final.request_id} if final.status in holding else set()
    # Money funds reserved is spent, given back, let expire, or still held: never stranded.
    assert reserved <= spent | released | lapsed | held
    assert not spent & released  # and never both paid out and given back
    recovered = sum(e.amount_fen for e in log if isinstance(e, AidRecovered))
    assert recovered <= final.disbursed_fen  # nobody is asked back more than they got
