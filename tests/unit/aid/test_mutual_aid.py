"""Mutual aid (职工互助保障): members only, a waiting period, a capped share of what is left."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import InvalidTransition, NotEligible
from services.aid.events import MutualAidClaimPaid, MutualAidClaimRejected, MutualAidEnrolled
from services.aid.programmes import (
    ENROLLMENT,
    Enroll,
    Enrollment,
    FileClaim,
    NotAnActiveMember,
    ReviewClaim,
    enrollment_stream,
)
from tests.unit.aid.kit import kinds, run_with

ENROLLED_ON = date(2026, 1, 10)
WAITING = 90
ACTIVE_FROM = ENROLLED_ON + timedelta(days=WAITING)  # 2026-04-10
VERSIONS = ("mutual_aid.waiting_days@2022-01-01", "mutual_aid.contribution_fen@2022-01-01")
PAY_VERSIONS = ("mutual_aid.reimburse_bp@2022-01-01", "mutual_aid.claim_cap_fen@2022-01-01")


def run(*commands: object) -> tuple[Enrollment, list[object]]:
    return run_with(ENROLLMENT, *commands)


def enroll(member_status: str = "active") -> Enroll:
    return Enroll(2026, "P1", "U1", member_status, ENROLLED_ON, WAITING, 3_000, VERSIONS)


def claim(claim_id: str = "M1", treated_on: date = date(2026, 6, 1)) -> FileClaim:
    return FileClaim(claim_id, treated_on, ("hospital_bill@1", "insurance_settlement@1"))


def review(
    uncovered: int = 1_000_000, bp: int = 5_000, cap: int = 3_000_000, claim_id: str = "M1"
) -> ReviewClaim:
    return ReviewClaim(claim_id, True, "", uncovered, bp, cap, PAY_VERSIONS)


FULL_PATH: tuple[object, ...] = (
    enroll(),
    claim("M1"),
    review(),
    claim("M2", ENROLLED_ON),
    claim("M3"),
    ReviewClaim("M3", False, "not a covered illness", 0, 5_000, 3_000_000, PAY_VERSIONS),
)
"""Enrolment, a paid, a waiting-period and a declined claim, for the log round-trip test."""


def test_rule_an_active_member_is_enrolled_with_cover_after_the_waiting_period() -> None:
    state, events = run(enroll())
    assert events == [MutualAidEnrolled(2026, "P1", "U1", 3_000, ACTIVE_FROM, VERSIONS)]
    assert (state.enrolled, state.active_from) == (True, ACTIVE_FROM)
    assert enrollment_stream(2026, "P1") == "MutualAid-2026.P1"


@pytest.mark.parametrize("status", ["lapsed", "unknown", "withdrawn", "expelled"])
def test_rule_enrolment_needs_an_active_union_member(status: str) -> None:
    with pytest.raises(NotAnActiveMember) as refused:
        run(enroll(status))
    assert refused.value.code == "NotAnActiveMember"
    assert refused.value.details == {"person_id": "P1", "member_status": status}


def test_rule_enrolling_twice_is_a_no_op() -> None:
    _, events = run(enroll(), enroll(), enroll("lapsed"))
    assert kinds(events) == ["MutualAidEnrolled"]


def test_rule_only_an_enrolled_member_files_a_claim() -> None:
    with pytest.raises(NotEligible):
        run(claim())


def test_rule_a_claim_inside_the_waiting_period_is_rejected() -> None:
    state, events = run(enroll(), claim("M1", ACTIVE_FROM - timedelta(days=1)))
    assert kinds(events)[-2:] == ["MutualAidClaimFiled", "MutualAidClaimRejected"]
    assert events[-1] == MutualAidClaimRejected("M1", "WaitingPeriod")
    assert state.claims == {"M1": "rejected"}
    state, _ = run(enroll(), claim("M2", ACTIVE_FROM))  # cover starts on the day
    assert state.claims == {"M2": "filed"}


def test_rule_a_claim_outside_the_plan_year_is_rejected() -> None:
    _, events = run(enroll(), claim("M1", date(2027, 5, 1)))
    assert events[-1] == MutualAidClaimRejected("M1", "OutsidePlanYear")


def test_rule_a_claim_filed_twice_is_a_no_op() -> None:
    _, events = run(enroll(), claim(), claim())
    assert kinds(events) == ["MutualAidEnrolled", "MutualAidClaimFiled"]


@pytest.mark.parametrize(
    ("uncovered", "bp", "cap", "paid"),
    [
        (1_000_000, 5_000, 3_000_000, 500_000),  # half of what insurance left
        (10_000_000, 5_000, 3_000_000, 3_000_000),  # capped
        (6_000_000, 5_000, 3_000_000, 3_000_000),  # exactly the cap
        (333, 5_000, 3_000_000, 166),  # whole fen, rounded down
        (0, 5_000, 3_000_000, 0),
    ],
)
def test_rule_a_claim_pays_a_share_of_the_uncovered_cost_up_to_the_cap(
    uncovered: int, bp: int, cap: int, paid: int
) -> None:
    state, events = run(enroll(), claim(), review(uncovered, bp, cap))
    assert events[-1] == MutualAidClaimPaid("M1", paid, PAY_VERSIONS)
    assert state.claims == {"M1": "paid"}


def test_rule_a_declined_claim_is_rejected_with_its_reason() -> None:
    decline = ReviewClaim("M1", False, "not a covered illness", 0, 5_000, 3_000_000, PAY_VERSIONS)
    _, events = run(enroll(), claim(), decline)
    assert events[-1] == MutualAidClaimRejected("M1", "not a covered illness")


def test_rule_only_a_filed_claim_is_reviewed_and_only_once() -> None:
    with pytest.raises(InvalidTransition):
        run(enroll(), review())
    with pytest.raises(InvalidTransition):
        run(enroll(), claim(), review(), review())
    with pytest.raises(InvalidTransition):
        run(enroll(), claim("M1", ENROLLED_ON), review())  # rejected in the waiting period


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 50_000_000), st.integers(0, 10_000), st.integers(0, 10_000_000))
def test_property_the_payout_is_min_of_cap_and_the_share(uncovered: int, bp: int, cap: int) -> None:
    _, events = run(enroll(), claim(), review(uncovered, bp, cap))
    paid = events[-1]
    assert isinstance(paid, MutualAidClaimPaid)
    assert paid.amount_fen == min(cap, uncovered * bp // 10_000)
    assert 0 <= paid.amount_fen <= min(cap, uncovered)
