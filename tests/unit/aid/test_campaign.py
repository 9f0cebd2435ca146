"""SeasonalCampaign: an envelope reserved while the campaign is open (domain §2.1 A3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import InvalidTransition, NotEligible
from services.aid.events import (
    BeneficiaryRosterPublished,
    CampaignBeneficiaryAdded,
    CampaignBeneficiaryPaid,
    CampaignClosed,
    CampaignEnvelopeRefused,
    CampaignEnvelopeReserved,
    CampaignOpened,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
)
from services.aid.programmes import (
    CAMPAIGN,
    AddBeneficiary,
    Campaign,
    CloseCampaign,
    EnvelopeAnswer,
    EnvelopeExceeded,
    OpenCampaign,
    PayBeneficiary,
    PlanCampaign,
    PublishRoster,
)
from tests.unit.aid.kit import kinds, recorded, run_with, walk

OPENS, CLOSES = date(2026, 12, 1), date(2027, 2, 28)
HELD = CLOSES + timedelta(days=30)  # closes, then a month for the last payments
ENVELOPE = 1_000_000
PLAN = PlanCampaign("W26", "winter", "winter_warmth", 2026, ENVELOPE, "warmth", OPENS, CLOSES)
OPEN = OpenCampaign(OPENS)
R1, R2 = "campaign:W26.1", "campaign:W26.2"


def run(*commands: object) -> tuple[Campaign, list[object]]:
    return run_with(CAMPAIGN, *commands)


def yes(request_id: str = R1) -> EnvelopeAnswer:
    return EnvelopeAnswer(request_id, True, "")


def no(request_id: str = R1) -> EnvelopeAnswer:
    return EnvelopeAnswer(request_id, False, "LineExhausted")


def add(household: str, amount: int = 250_000, file_status: str | None = "filed") -> AddBeneficiary:
    return AddBeneficiary(household, amount, file_status)


def pay(household: str) -> PayBeneficiary:
    return PayBeneficiary(household, f"V-{household}")


CLOSE = CloseCampaign(CLOSES)
OPENED: tuple[object, ...] = (PLAN, OPEN, yes())
ROSTER: tuple[object, ...] = (*OPENED, add("H1"), add("H2", 300_000), PublishRoster())
FULL_PATH: tuple[object, ...] = (
    PLAN,
    OPEN,
    no(),
    OPEN,
    yes(R2),
    add("H1"),
    PublishRoster(),
    pay("H1"),
    CLOSE,
)
"""Refused once, reopened, paid and closed: for the log round-trip test."""


def test_rule_a_campaign_closes_after_it_opens() -> None:
    with pytest.raises(InvalidTransition):
        run(PlanCampaign("W26", "winter", "winter_warmth", 2026, ENVELOPE, "warmth", OPENS, OPENS))
    with pytest.raises(InvalidTransition):
        run(PLAN, PLAN)


def test_rule_opening_reserves_the_envelope_held_until_the_campaign_closes() -> None:
    state, events = run(PLAN, OPEN)
    assert events[-2:] == [
        CampaignOpened(R1),
        FundsReservationRequested(R1, 2026, "warmth", ENVELOPE, "Campaign-W26", HELD),
    ]
    assert state.status == "opening"
    state, events = run(*OPENED)
    assert events[-1] == CampaignEnvelopeReserved(R1, ENVELOPE)
    assert state.status == "open"


def test_rule_a_refused_envelope_can_be_asked_for_again_on_a_new_request() -> None:
    state, events = run(PLAN, OPEN, no())
    assert events[-1] == CampaignEnvelopeRefused(R1, "LineExhausted")
    assert state.status == "refused"
    with pytest.raises(InvalidTransition):  # nothing is added while refused
        run(PLAN, OPEN, no(), add("H1"))
    state, events = run(PLAN, OPEN, no(), OPEN)
    assert events[-1] == FundsReservationRequested(
        R2, 2026, "warmth", ENVELOPE, "Campaign-W26", HELD
    )
    state, events = run(PLAN, OPEN, no(), OPEN, yes(R1), no(R1), yes(R2))
    assert kinds(events)[-3:] == [
        "CampaignOpened",
        "FundsReservationRequested",
        "CampaignEnvelopeReserved",
    ]
    assert state.status == "open"


def test_rule_an_open_or_opening_campaign_is_not_opened_again() -> None:
    with pytest.raises(InvalidTransition):
        run(PLAN, OPEN, OPEN)
    with pytest.raises(InvalidTransition):
        run(*OPENED, OPEN)


@pytest.mark.parametrize("file_status", [None, "submitted", "temporary", "lifted", "deregistered"])
def test_rule_beneficiaries_are_drawn_only_from_filed_households(file_status: str | None) -> None:
    with pytest.raises(NotEligible) as refused:
        run(*OPENED, add("H1", file_status=file_status))
    assert refused.value.details == {"household_id": "H1", "file_status": file_status or "none"}


def test_rule_beneficiaries_are_added_only_while_the_campaign_is_open() -> None:
    with pytest.raises(InvalidTransition):
        run(PLAN, add("H1"))
    with pytest.raises(InvalidTransition):
        run(PLAN, OPEN, add("H1"))


def test_rule_the_roster_cannot_exceed_the_envelope() -> None:
    state, events = run(*OPENED, add("H1", 600_000), add("H2", 400_000))
    assert events[-1] == CampaignBeneficiaryAdded("H2", 400_000)
    assert sum(state.roster.values()) == ENVELOPE  # exactly the envelope is fine
    with pytest.raises(EnvelopeExceeded) as refused:
        run(*OPENED, add("H1", 600_000), add("H2", 400_001))
    assert refused.value.details == {"envelope_fen": ENVELOPE, "roster_fen": ENVELOPE + 1}


def test_rule_a_household_is_on_the_roster_once() -> None:
    state, events = run(*OPENED, add("H1"), add("H1", 900_000))
    assert events[-1] == CampaignBeneficiaryAdded("H1", 250_000)
    assert state.roster == {"H1": 250_000}


def test_rule_the_published_roster_is_final() -> None:
    state, events = run(*ROSTER)
    assert events[-1] == BeneficiaryRosterPublished(2, 550_000)
    assert state.published
    with pytest.raises(InvalidTransition):
        run(*ROSTER, add("H3"))
    _, events = run(*ROSTER, PublishRoster())
    assert kinds(events)[-1] == "BeneficiaryRosterPublished"  # published once


def test_rule_payment_follows_publication_and_only_to_roster_members() -> None:
    with pytest.raises(InvalidTransition):
        run(*OPENED, add("H1"), pay("H1"))
    with pytest.raises(NotEligible):
        run(*ROSTER, pay("H9"))
    state, events = run(*ROSTER, pay("H2"), pay("H2"))
    assert events[-1] == CampaignBeneficiaryPaid("H2", 300_000, "V-H2")
    assert sum(isinstance(e, CampaignBeneficiaryPaid) for e in events) == 1  # paid once
    assert state.paid == {"H2": 300_000}


def test_rule_closing_after_a_partial_spend_reports_the_spend_and_funds_releases_the_rest() -> None:
    state, events = run(*ROSTER, pay("H2"), CLOSE)
    assert events[-2:] == [
        CampaignClosed(300_000, 700_000),
        FundsSpendReported(R1, 2026, "warmth", 300_000, "Campaign-W26-2027-02-28"),
    ]
    assert state.status == "closed"
    with pytest.raises(InvalidTransition):
        run(*ROSTER, pay("H2"), CLOSE, pay("H1"))


def test_rule_closing_with_nothing_spent_releases_the_envelope() -> None:
    _, events = run(*ROSTER, CLOSE)
    assert events[-2:] == [
        CampaignClosed(0, ENVELOPE),
        FundsReleaseRequested(R1, 2026, "warmth", "unused"),
    ]


def test_rule_closing_while_the_envelope_is_being_asked_for_asks_funds_to_let_it_go() -> None:
    state, events = run(PLAN, OPEN, CLOSE)
    assert events[-2:] == [
        CampaignClosed(0, 0),
        FundsReleaseRequested(R1, 2026, "warmth", "closed"),
    ]
    assert state.status == "closed"
    _, events = run(PLAN, OPEN, CLOSE, yes())  # and a late yes is given back again
    assert events[-1] == FundsReleaseRequested(R1, 2026, "warmth", "closed")
    _, late_no = run(PLAN, OPEN, CLOSE, no())
    assert late_no == events[:-1]


def test_rule_closing_a_campaign_that_holds_no_money_releases_nothing() -> None:
    for before in [(PLAN,), (PLAN, OPEN, no())]:
        _, events = run(*before, CLOSE)
        assert events[-1] == CampaignClosed(0, 0)
    with pytest.raises(InvalidTransition):
        run(*OPENED, CLOSE, CLOSE)


# -- money property ---------------------------------------------------------------------

POOL: tuple[object, ...] = (
    OPEN,
    yes(),
    yes(R2),
    no(),
    *(add(f"H{n}", amount) for n, amount in enumerate((100_000, 250_000, 400_000, 600_000))),
    PublishRoster(),
    *(pay(f"H{n}") for n in range(4)),
    CLOSE,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=25))
def test_property_a_campaign_never_pays_beyond_its_envelope_and_replays_to_its_state(
    picks: list[int],
) -> None:
    planned, log = run(PLAN)
    for _, events, state in walk(CAMPAIGN, POOL, picks, planned):
        log += [recorded(e) for e in events]
        assert CAMPAIGN.fold(log) == state
        assert sum(state.paid.values()) <= sum(state.roster.values()) <= ENVELOPE
        for e in events:
            if isinstance(e, CampaignClosed) and state.status == "closed" and e.returned_fen:
                assert e.spent_fen + e.returned_fen == ENVELOPE
