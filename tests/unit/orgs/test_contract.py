"""CollectiveContract (O5): 要约 and reply, negotiators, the congress vote, filing, review."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.domain import (
    CONTRACT,
    AgreeDraft,
    AppointNegotiators,
    CongressVote,
    Contract,
    ContractDeadlines,
    File,
    HoldRound,
    InvalidTransition,
    NegotiatorsInvalid,
    Propose,
    Publish,
    ReportViolation,
    Respond,
    Reviewed,
    Sign,
    WrongCongress,
    contract_stream,
)
from services.orgs.events import (
    ContractEffectWithdrawn,
    ContractExpired,
    ContractFiledForReview,
    ContractFilingOverdue,
    ContractPublished,
    ContractSigned,
    ContractTookEffect,
    ContractViolationReported,
    DraftAdoptedByCongress,
    DraftAgreed,
    DraftRejectedByCongress,
    NegotiationProposed,
    NegotiationResponded,
    NegotiationResponseOverdue,
    NegotiationRoundHeld,
    NegotiatorsAppointed,
    RenewalWindowOpened,
    ReviewObjectionRaised,
)
from tests.unit.orgs.kit import kinds, number, replayed_log, run_with, version

REPLY_DAYS = number("contract.reply_days")
REPLY_V = version("contract.reply_days")
MIN_NEGOTIATORS = number("contract.min_negotiators")
FILING_DAYS = number("contract.filing_days")
REVIEW_DAYS = number("contract.review_days")
RENEWAL_DAYS = number("contract.renewal_window_days")
QUORUM = (number("congress.quorum_num"), number("congress.quorum_den"))

PROPOSED_ON = date(2026, 3, 2)
REPLY_DUE = date(2026, 3, 22)
"""PROPOSED_ON + REPLY_DAYS (20)."""
SIGNED_ON = date(2026, 6, 1)
FILING_DUE = date(2026, 6, 11)
"""SIGNED_ON + FILING_DAYS (10)."""
FILED_ON = date(2026, 6, 5)
REVIEW_ENDS = date(2026, 6, 20)
"""FILED_ON + REVIEW_DAYS (15)."""
EFFECTIVE_ON = date(2026, 6, 21)
EXPIRES_ON = date(2029, 6, 21)
RENEWAL_OPENS = date(2029, 3, 23)
"""EXPIRES_ON less RENEWAL_DAYS (90)."""

PROPOSE = Propose("K1", "comprehensive", "U1", ("E1",), "union", PROPOSED_ON, REPLY_DAYS, REPLY_V)
RESPOND = Respond(date(2026, 3, 20))
UNION_SIDE = ("u1", "u2", "u3")
EMPLOYER_SIDE = ("e1", "e2", "e3")
APPOINT = AppointNegotiators(UNION_SIDE, EMPLOYER_SIDE, "u1", "e1", MIN_NEGOTIATORS)
ROUND = HoldRound(date(2026, 4, 1), "wages: the union asks for 6 %")
AGREE = AgreeDraft(date(2026, 5, 1), 3, "wages up 5 %, safety fund")
SIGN = Sign(SIGNED_ON, FILING_DAYS)
FILE = File(FILED_ON, REVIEW_DAYS)


def vote(
    total: int = 40, present: int = 30, yes: int = 25, no: int = 5, abstain: int = 0
) -> CongressVote:
    return CongressVote(
        "CG1", "U1", "enterprise", "E1", date(2026, 5, 20), total, present, yes, no, abstain, QUORUM
    )


def deadlines(today: date) -> ContractDeadlines:
    return ContractDeadlines(today, RENEWAL_DAYS)


def took_effect(on: date, basis: str, term: int = 3) -> ContractTookEffect:
    expires = on.replace(year=on.year + term)
    return ContractTookEffect("K1", "U1", ("E1",), "comprehensive", on, expires, basis)


NEGOTIATING: tuple[object, ...] = (PROPOSE, RESPOND, APPOINT)
DRAFTED: tuple[object, ...] = (*NEGOTIATING, ROUND, AGREE)
ADOPTED: tuple[object, ...] = (*DRAFTED, vote())
SIGNED: tuple[object, ...] = (*ADOPTED, SIGN)
FILED: tuple[object, ...] = (*SIGNED, FILE)
IN_FORCE: tuple[object, ...] = (*FILED, deadlines(REVIEW_ENDS + timedelta(days=1)))


def run(*commands: object) -> tuple[Contract, list[object]]:
    return run_with(CONTRACT, *commands)


def test_policy_rows_for_collective_contracts() -> None:
    assert (REPLY_DAYS, MIN_NEGOTIATORS, FILING_DAYS, REVIEW_DAYS, RENEWAL_DAYS) == (
        20,
        3,
        10,
        15,
        90,
    )
    assert QUORUM == (2, 3)
    assert REPLY_V == "contract.reply_days@2004-05-01"
    assert contract_stream("K1") == "Contract-K1"


def test_rule_a_contract_runs_from_proposal_to_expiry() -> None:
    state, events = run(
        *IN_FORCE,
        Publish(date(2026, 6, 25), "notice_board"),
        deadlines(RENEWAL_OPENS),
        deadlines(EXPIRES_ON),
    )
    assert kinds(events) == [
        "NegotiationProposed",
        "NegotiationResponded",
        "NegotiatorsAppointed",
        "NegotiationRoundHeld",
        "DraftAgreed",
        "DraftAdoptedByCongress",
        "ContractSigned",
        "ContractFiledForReview",
        "ContractTookEffect",
        "ContractPublished",
        "RenewalWindowOpened",
        "ContractExpired",
    ]
    assert events[2] == NegotiatorsAppointed(UNION_SIDE, EMPLOYER_SIDE, "u1", "e1")
    assert events[3] == NegotiationRoundHeld(1, date(2026, 4, 1), "wages: the union asks for 6 %")
    assert events[4] == DraftAgreed(date(2026, 5, 1), 3, "wages up 5 %, safety fund")
    assert events[9] == ContractPublished(date(2026, 6, 25), "notice_board")
    assert state.status == "expired"


# -- 要约: the written reply within 20 days (Art. 32) ---------------------------------------


def test_rule_the_reply_is_due_reply_days_after_the_proposal() -> None:
    state, events = run(PROPOSE)
    assert events == [
        NegotiationProposed(
            "K1", "comprehensive", "U1", ("E1",), "union", PROPOSED_ON, REPLY_DUE, REPLY_V
        )
    ]
    assert PROPOSED_ON + timedelta(days=REPLY_DAYS) == REPLY_DUE
    assert (state.status, state.reply_due_on) == ("proposed", REPLY_DUE)


def test_rule_a_reply_after_the_due_day_is_late() -> None:
    _, events = run(PROPOSE, Respond(REPLY_DUE))
    assert events[-1] == NegotiationResponded(REPLY_DUE, False)
    _, events = run(PROPOSE, Respond(REPLY_DUE + timedelta(days=1)))
    assert events[-1] == NegotiationResponded(REPLY_DUE + timedelta(days=1), True)


def test_rule_a_missing_reply_is_overdue_only_after_the_due_day_and_flagged_once() -> None:
    _, events = run(PROPOSE, deadlines(REPLY_DUE))
    assert kinds(events) == ["NegotiationProposed"]  # on the due day: not overdue
    state, events = run(
        PROPOSE, deadlines(REPLY_DUE + timedelta(days=1)), deadlines(date(2026, 5, 1))
    )
    assert events[1:] == [NegotiationResponseOverdue(REPLY_DUE)]
    assert state.reply_overdue
    _, events = run(PROPOSE, RESPOND, deadlines(date(2026, 5, 1)))
    assert kinds(events) == ["NegotiationProposed", "NegotiationResponded"]


def test_rule_a_late_reply_is_still_taken_after_the_overdue_flag() -> None:
    state, events = run(PROPOSE, deadlines(date(2026, 4, 1)), Respond(date(2026, 4, 2)))
    assert events[-1] == NegotiationResponded(date(2026, 4, 2), True)
    assert state.status == "responded"


def test_rule_a_contract_is_proposed_once_while_it_is_open() -> None:
    for before in [(PROPOSE,), NEGOTIATING, IN_FORCE]:
        with pytest.raises(InvalidTransition):
            run(*before, PROPOSE)


def test_rule_a_reply_needs_a_proposal_and_comes_once() -> None:
    with pytest.raises(InvalidTransition):
        run(RESPOND)
    with pytest.raises(InvalidTransition):
        run(PROPOSE, RESPOND, RESPOND)


# -- negotiators (Arts. 19, 24) -------------------------------------------------------------


def test_rule_negotiators_are_appointed_after_the_reply() -> None:
    with pytest.raises(InvalidTransition):
        run(PROPOSE, APPOINT)
    state, _ = run(*NEGOTIATING)
    assert state.status == "negotiating"


@pytest.mark.parametrize(
    ("union_side", "employer_side", "chiefs", "problems"),
    [
        (("u1", "u2"), ("e1", "e2"), ("u1", "e1"), ["at least 3 negotiators a side"]),
        (
            ("u1", "u2", "u3"),
            ("e1", "e2", "e3", "e4"),
            ("u1", "e1"),
            ["as many negotiators on each side"],
        ),
        (
            ("u1", "u2", "x"),
            ("e1", "e2", "x"),
            ("u1", "e1"),
            ["no one negotiates for both sides"],
        ),
        (
            UNION_SIDE,
            EMPLOYER_SIDE,
            ("e1", "e1"),
            ["each chief representative is one of their side's negotiators"],
        ),
        (
            UNION_SIDE,
            EMPLOYER_SIDE,
            ("u1", "boss"),
            ["each chief representative is one of their side's negotiators"],
        ),
        (
            ("u1", "u1", "u2", "u3"),
            ("e1", "e2", "e3", "e4"),
            ("u1", "e1"),
            ["a negotiator is named twice", "as many negotiators on each side"],
        ),
        (
            ("u1", "x"),
            ("x", "e2", "e3"),
            ("e2", "x"),
            [
                "at least 3 negotiators a side",
                "as many negotiators on each side",
                "no one negotiates for both sides",
                "each chief representative is one of their side's negotiators",
            ],
        ),
    ],
)
def test_rule_negotiators_are_at_least_the_minimum_equal_apart_and_led_by_their_own_chief(
    union_side: tuple[str, ...],
    employer_side: tuple[str, ...],
    chiefs: tuple[str, str],
    problems: list[str],
) -> None:
    appoint = AppointNegotiators(union_side, employer_side, *chiefs, MIN_NEGOTIATORS)
    with pytest.raises(NegotiatorsInvalid) as refused:
        run(PROPOSE, RESPOND, appoint)
    assert refused.value.details == {"problems": problems}


def test_rule_more_than_the_minimum_is_fine_when_the_sides_are_equal() -> None:
    appoint = AppointNegotiators(
        ("u1", "u2", "u3", "u4"), ("e1", "e2", "e3", "e4"), "u4", "e2", MIN_NEGOTIATORS
    )
    state, _ = run(PROPOSE, RESPOND, appoint)
    assert state.status == "negotiating"


# -- rounds and the draft ---------------------------------------------------------------------


def test_rule_rounds_are_numbered_and_held_only_while_negotiating() -> None:
    with pytest.raises(InvalidTransition):
        run(PROPOSE, RESPOND, ROUND)
    state, events = run(*NEGOTIATING, ROUND, HoldRound(date(2026, 4, 8), "second"))
    assert events[-1] == NegotiationRoundHeld(2, date(2026, 4, 8), "second")
    assert state.rounds == 2


def test_rule_a_draft_needs_at_least_one_round() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*NEGOTIATING, AGREE)
    assert refused.value.details == {"field": "rounds"}


@pytest.mark.parametrize("term", [0, 4, -1])
def test_rule_a_contract_runs_one_to_three_years(term: int) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*NEGOTIATING, ROUND, AgreeDraft(date(2026, 5, 1), term, "x"))
    assert refused.value.details == {"field": "term_years"}


@pytest.mark.parametrize("term", [1, 2, 3])
def test_rule_a_term_of_one_to_three_years_is_agreed(term: int) -> None:
    state, events = run(*NEGOTIATING, ROUND, AgreeDraft(date(2026, 5, 1), term, "x"))
    assert events[-1] == DraftAgreed(date(2026, 5, 1), term, "x")
    assert (state.status, state.term_years) == ("draft_agreed", term)


# -- the congress vote (Art. 36) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "present", "yes", "outcome"),
    [
        (30, 20, 16, None),  # exactly two thirds present
        (30, 19, 16, "NoQuorum"),
        (40, 27, 21, None),  # 27 of 40 is at least two thirds (26.67)
        (40, 26, 21, "NoQuorum"),
        (40, 40, 21, None),  # 21 of all 40: more than half
        (40, 40, 20, "NotMajorityOfAll"),  # half of all is not more than half
        (40, 27, 20, "NotMajorityOfAll"),  # 20 of 27 present, but not of all 40
        (40, 30, 21, None),
        (30, 30, 15, "NotMajorityOfAll"),
        (30, 20, 20, None),
    ],
)
def test_rule_two_thirds_of_all_present_and_yes_from_more_than_half_of_all(
    total: int, present: int, yes: int, outcome: str | None
) -> None:
    no = present - yes
    state, events = run(*DRAFTED, vote(total, present, yes, no))
    counts = ("CG1", date(2026, 5, 20), total, present, yes, no, 0)
    if outcome is None:
        assert events[-1] == DraftAdoptedByCongress(*counts)
        assert state.status == "adopted"
    else:
        assert events[-1] == DraftRejectedByCongress(*counts, outcome)
        assert state.status == "negotiating"


def test_rule_quorum_is_checked_before_the_majority() -> None:
    _, events = run(*DRAFTED, vote(40, 26, 26, 0))
    rejected = events[-1]
    assert isinstance(rejected, DraftRejectedByCongress)
    assert rejected.reason == "NoQuorum"


def test_rule_a_rejected_draft_returns_to_negotiation_and_may_be_agreed_again() -> None:
    rejected = (*DRAFTED, vote(40, 26, 20, 6))
    state, _ = run(*rejected)
    assert (state.status, state.rounds) == ("negotiating", 1)
    state, events = run(*rejected, HoldRound(date(2026, 5, 25), "again"), AGREE, vote())
    assert kinds(events)[-1] == "DraftAdoptedByCongress"
    assert state.status == "adopted"


@pytest.mark.parametrize(
    ("present", "yes", "no", "abstain"), [(20, 21, 0, 0), (20, 10, 8, 3), (41, 30, 5, 0)]
)
def test_rule_votes_beyond_those_present_or_delegates_are_refused(
    present: int, yes: int, no: int, abstain: int
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*DRAFTED, vote(40, present, yes, no, abstain))
    assert refused.value.details == {"field": "present"}


def test_rule_only_the_contract_unions_congress_votes_on_it() -> None:
    day = date(2026, 5, 20)
    other = CongressVote("CG9", "U9", "enterprise", "E1", day, 40, 30, 25, 5, 0, QUORUM)
    with pytest.raises(WrongCongress) as refused:
        run(*DRAFTED, other)
    assert refused.value.details == {"field": "congress_id"}
    # The union's own, but another employer's congress (a joint union): not the workers bound.
    unbound = CongressVote("CG2", "U1", "enterprise", "E2", day, 40, 30, 25, 5, 0, QUORUM)
    with pytest.raises(WrongCongress):
        run(*DRAFTED, unbound)
    regional = CongressVote("CG3", "U1", "regional", "R-341522", day, 40, 30, 25, 5, 0, QUORUM)
    assert run(*DRAFTED, regional)[0].status == "adopted"
    state, _ = run(*DRAFTED, vote())
    assert state.status == "adopted"


def test_rule_only_an_agreed_draft_goes_to_the_congress() -> None:
    with pytest.raises(InvalidTransition):
        run(*NEGOTIATING, ROUND, vote())
    with pytest.raises(InvalidTransition):
        run(*ADOPTED, vote())


# -- signing, filing and review (Arts. 37, 42, 45, 47) ---------------------------------------------


def test_rule_signing_follows_adoption_and_filing_is_due_ten_days_later() -> None:
    with pytest.raises(InvalidTransition):
        run(*DRAFTED, SIGN)
    state, events = run(*SIGNED)
    assert events[-1] == ContractSigned(SIGNED_ON, FILING_DUE)
    assert SIGNED_ON + timedelta(days=FILING_DAYS) == FILING_DUE
    assert (state.status, state.filing_due_on) == ("signed", FILING_DUE)


def test_rule_filing_is_overdue_only_after_the_due_day_and_flagged_once() -> None:
    _, events = run(*SIGNED, deadlines(FILING_DUE))
    assert kinds(events)[-1] == "ContractSigned"
    state, events = run(
        *SIGNED, deadlines(FILING_DUE + timedelta(days=1)), deadlines(date(2026, 7, 1))
    )
    assert events[-1] == ContractFilingOverdue(FILING_DUE)
    assert kinds(events).count("ContractFilingOverdue") == 1
    assert state.filing_overdue


def test_rule_filing_starts_a_review_of_review_days_and_notes_lateness() -> None:
    state, events = run(*FILED)
    assert events[-1] == ContractFiledForReview(FILED_ON, REVIEW_ENDS, False)
    assert FILED_ON + timedelta(days=REVIEW_DAYS) == REVIEW_ENDS
    assert (state.status, state.review_ends_on) == ("under_review", REVIEW_ENDS)
    late = date(2026, 6, 12)
    _, events = run(*SIGNED, File(late, REVIEW_DAYS))
    assert events[-1] == ContractFiledForReview(late, date(2026, 6, 27), True)
    _, events = run(*SIGNED, File(FILING_DUE, REVIEW_DAYS))
    assert events[-1] == ContractFiledForReview(FILING_DUE, date(2026, 6, 26), False)
    with pytest.raises(InvalidTransition):
        run(*ADOPTED, FILE)


def test_rule_with_no_objection_it_takes_effect_the_day_after_the_review_ends() -> None:
    _, events = run(*FILED, deadlines(REVIEW_ENDS))
    assert kinds(events)[-1] == "ContractFiledForReview"  # day 15: still under review
    state, events = run(*FILED, deadlines(REVIEW_ENDS + timedelta(days=1)))
    assert events[-1] == took_effect(EFFECTIVE_ON, "no objection")
    assert (state.status, state.effective_on, state.expires_on) == (
        "effective",
        EFFECTIVE_ON,
        EXPIRES_ON,
    )
    state, events = run(*FILED, deadlines(date(2026, 8, 1)))  # a late timer: still day 16
    assert events[-1] == took_effect(EFFECTIVE_ON, "no objection")


def test_rule_the_term_runs_from_the_day_it_takes_effect() -> None:
    one_year = (*NEGOTIATING, ROUND, AgreeDraft(date(2026, 5, 1), 1, "x"), vote(), SIGN, FILE)
    state, events = run(*one_year, deadlines(date(2026, 7, 1)))
    assert events[-1] == took_effect(EFFECTIVE_ON, "no objection", term=1)
    assert state.expires_on == date(2027, 6, 21)


def test_rule_an_objection_sends_the_contract_back_to_negotiation() -> None:
    objecting = Reviewed("objections", ("pay below the minimum wage",), date(2026, 6, 15))
    state, events = run(*FILED, objecting)
    assert events[-1] == ReviewObjectionRaised(("pay below the minimum wage",), date(2026, 6, 15))
    assert (state.status, state.review_ends_on) == ("negotiating", None)
    _, events = run(*FILED, objecting, deadlines(date(2026, 7, 1)))
    assert kinds(events)[-1] == "ReviewObjectionRaised"  # no timer takes it into effect
    again = (HoldRound(date(2026, 7, 1), "fix pay"), AGREE, vote(), Sign(date(2026, 7, 10), 10))
    state, events = run(*FILED, objecting, *again, File(date(2026, 7, 12), REVIEW_DAYS))
    assert events[-1] == ContractFiledForReview(date(2026, 7, 12), date(2026, 7, 27), False)


def test_rule_an_approval_takes_effect_at_once() -> None:
    state, events = run(*FILED, Reviewed("approved", (), date(2026, 6, 10)))
    assert events[-1] == took_effect(date(2026, 6, 10), "approved")
    assert state.status == "effective"
    with pytest.raises(InvalidTransition):
        run(*SIGNED, Reviewed("approved", (), date(2026, 6, 10)))


def test_rule_a_contract_is_published_once_in_effect() -> None:
    publish = Publish(date(2026, 6, 25), "intranet")
    with pytest.raises(InvalidTransition):
        run(*FILED, publish)
    state, _ = run(*IN_FORCE, publish)
    assert state.status == "published"
    with pytest.raises(InvalidTransition):
        run(*IN_FORCE, publish, publish)


# -- renewal and expiry (Art. 38) ------------------------------------------------------------


def test_rule_the_renewal_window_opens_renewal_days_before_expiry_once() -> None:
    assert EXPIRES_ON - timedelta(days=RENEWAL_DAYS) == RENEWAL_OPENS
    _, events = run(*IN_FORCE, deadlines(RENEWAL_OPENS - timedelta(days=1)))
    assert kinds(events)[-1] == "ContractTookEffect"
    state, events = run(*IN_FORCE, deadlines(RENEWAL_OPENS), deadlines(date(2029, 5, 1)))
    assert events[-1] == RenewalWindowOpened(RENEWAL_OPENS, EXPIRES_ON)
    assert kinds(events).count("RenewalWindowOpened") == 1
    assert (state.status, state.renewal_open) == ("effective", True)


def test_rule_a_contract_expires_on_its_expiry_day_once() -> None:
    opened = (*IN_FORCE, deadlines(RENEWAL_OPENS))
    _, events = run(*opened, deadlines(EXPIRES_ON - timedelta(days=1)))
    assert kinds(events)[-1] == "RenewalWindowOpened"
    state, events = run(*opened, deadlines(EXPIRES_ON), deadlines(date(2030, 1, 1)))
    assert events[-1] == ContractExpired(EXPIRES_ON)
    assert kinds(events).count("ContractExpired") == 1
    assert state.status == "expired"


def test_rule_a_timer_that_missed_the_window_opens_it_and_expires_together() -> None:
    state, events = run(*IN_FORCE, deadlines(date(2030, 1, 1)))
    assert events[-2:] == [
        RenewalWindowOpened(RENEWAL_OPENS, EXPIRES_ON),
        ContractExpired(EXPIRES_ON),
    ]
    assert state.status == "expired"


def test_rule_a_published_contract_expires_too() -> None:
    state, _ = run(*IN_FORCE, Publish(date(2026, 6, 25), "intranet"), deadlines(EXPIRES_ON))
    assert state.status == "expired"


def test_rule_an_expired_contract_is_negotiated_afresh() -> None:
    renewal = Propose(
        "K1", "comprehensive", "U1", ("E1",), "employer", date(2029, 7, 1), 20, REPLY_V
    )
    state, events = run(*IN_FORCE, deadlines(EXPIRES_ON), renewal)
    assert events[-1] == NegotiationProposed(
        "K1",
        "comprehensive",
        "U1",
        ("E1",),
        "employer",
        date(2029, 7, 1),
        date(2029, 7, 21),
        REPLY_V,
    )
    assert state == Contract("proposed", "K1", "comprehensive", "U1", ("E1",), date(2029, 7, 21))


# -- violations (flow F12) ---------------------------------------------------------------------


def report(report_id: str = "R1") -> ReportViolation:
    return ReportViolation(report_id, ("P1", "P2"), "overtime unpaid", date(2026, 9, 1))


def test_rule_a_violation_is_reported_only_while_the_contract_is_in_force() -> None:
    for before in [FILED, (*IN_FORCE, deadlines(EXPIRES_ON))]:
        with pytest.raises(InvalidTransition):
            run(*before, report())
    _, events = run(*IN_FORCE, report())
    assert events[-1] == ContractViolationReported(
        "R1", "K1", "U1", ("P1", "P2"), "overtime unpaid", date(2026, 9, 1)
    )
    _, events = run(*IN_FORCE, Publish(date(2026, 6, 25), "intranet"), report())
    assert kinds(events)[-1] == "ContractViolationReported"


def test_rule_each_violation_report_is_recorded_once() -> None:
    state, events = run(*IN_FORCE, report(), report(), report("R2"), report("R1"))
    assert kinds(events).count("ContractViolationReported") == 2
    assert state.reports == ("R1", "R2")


def test_rule_a_command_of_another_aggregate_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        CONTRACT.decide(object(), Contract())


# -- properties ----------------------------------------------------------------------

DEADLINE_DAYS = (
    REPLY_DUE,
    REPLY_DUE + timedelta(days=1),
    FILING_DUE,
    FILING_DUE + timedelta(days=1),
    REVIEW_ENDS,
    REVIEW_ENDS + timedelta(days=1),
    RENEWAL_OPENS,
    EXPIRES_ON,
    date(2031, 1, 1),
)
CONTRACT_COMMANDS: tuple[object, ...] = (
    PROPOSE,
    RESPOND,
    Respond(date(2026, 4, 1)),
    APPOINT,
    AppointNegotiators(("u1", "u2"), ("e1", "e2"), "u1", "e1", MIN_NEGOTIATORS),
    ROUND,
    ROUND,
    AGREE,
    AgreeDraft(date(2026, 5, 2), 1, "one year"),
    AgreeDraft(date(2026, 5, 2), 4, "too long"),
    vote(),
    vote(),
    vote(30, 19, 16, 3),
    vote(40, 40, 20, 20),
    vote(40, 20, 21, 0),
    SIGN,
    FILE,
    File(date(2026, 6, 15), REVIEW_DAYS),
    Reviewed("approved", (), date(2026, 6, 10)),
    Reviewed("objections", ("procedure",), date(2026, 6, 12)),
    Publish(date(2026, 6, 25), "intranet"),
    *(deadlines(d) for d in DEADLINE_DAYS),
    report(),
    report("R2"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=30))
def test_property_replaying_a_contracts_recorded_events_gives_the_live_state(
    picks: list[int],
) -> None:
    log, _ = replayed_log(CONTRACT, CONTRACT_COMMANDS, picks)
    for e in log:  # every adoption had the quorum and more than half of all delegates
        if isinstance(e, DraftAdoptedByCongress):
            assert e.present * 3 >= e.total_delegates * 2
            assert e.yes * 2 > e.total_delegates
        if isinstance(e, ContractTookEffect) and e.basis == "no objection":
            filed = [f for f in log[: log.index(e)] if isinstance(f, ContractFiledForReview)]
            assert e.effective_on == filed[-1].review_ends_on + timedelta(days=1)
    starts = [i for i, e in enumerate(log) if isinstance(e, NegotiationProposed)]
    for start, stop in pairwise([*starts, len(log)]):
        cycle = log[start:stop]  # one negotiation, from its proposal to the next
        reports = [e.report_id for e in cycle if isinstance(e, ContractViolationReported)]
        assert len(reports) == len(set(reports))
        assert sum(isinstance(e, NegotiationResponseOverdue) for e in cycle) <= 1
        took = sum(isinstance(e, ContractTookEffect) for e in cycle)
        assert took <= 1 + sum(isinstance(e, ContractEffectWithdrawn) for e in cycle)
        assert sum(isinstance(e, ContractExpired) for e in cycle) <= 1
