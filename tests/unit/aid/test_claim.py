"""The no-duplicate guard (domain §2.1 A2): one person, one programme, one year."""

from __future__ import annotations

import pytest

from services.aid.domain import (
    CLAIM,
    Claim,
    DuplicateAid,
    ReleaseClaim,
    TakeClaim,
    claim_stream,
)
from services.aid.events import AidClaimReleased, AidClaimTaken
from tests.unit.aid.kit import run_with

KEY = "P1.living.2026"


def run(*commands: object) -> tuple[Claim, list[object]]:
    return run_with(CLAIM, *commands)


FULL_PATH: tuple[object, ...] = (TakeClaim("C1", KEY), ReleaseClaim("C1"))


def test_rule_the_first_case_takes_the_claim() -> None:
    state, events = run(TakeClaim("C1", KEY))
    assert events == [AidClaimTaken("C1")]
    assert state.holder == "C1"


def test_rule_a_second_case_for_the_same_claim_is_duplicate_aid() -> None:
    with pytest.raises(DuplicateAid) as refused:
        run(TakeClaim("C1", KEY), TakeClaim("C2", KEY))
    assert refused.value.details == {"claim": KEY, "held_by": "C1"}


def test_rule_the_same_case_taking_its_claim_again_is_a_no_op() -> None:
    state, events = run(TakeClaim("C1", KEY), TakeClaim("C1", KEY))
    assert events == [AidClaimTaken("C1")]
    assert state.holder == "C1"


def test_rule_once_released_another_case_can_take_the_claim() -> None:
    state, events = run(TakeClaim("C1", KEY), ReleaseClaim("C1"), TakeClaim("C2", KEY))
    assert events == [AidClaimTaken("C1"), AidClaimReleased("C1"), AidClaimTaken("C2")]
    assert state.holder == "C2"


def test_rule_only_the_holder_releases_the_claim() -> None:
    state, events = run(
        TakeClaim("C1", KEY), ReleaseClaim("C2"), ReleaseClaim("C1"), ReleaseClaim("C1")
    )
    assert events == [AidClaimTaken("C1"), AidClaimReleased("C1")]
    assert state.holder is None


def test_rule_the_claim_stream_is_keyed_by_person_programme_and_year() -> None:
    assert claim_stream("P1", "living", 2026) == "AidClaim-P1.living.2026"
    assert claim_stream("P1", "living", 2027) != claim_stream("P1", "living", 2026)
