"""Democratic management: the workers' congress, 厂务公开, the tripartite committee and
member-card benefits. Every event a test produces goes through the module's own
registration the way the store records it (dump, JSON, decode).
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.democracy import (
    BENEFITS,
    CONGRESS,
    DISCLOSURE,
    EVENT_CLASSES,
    PARAMETERS,
    TRIPARTITE,
    AlreadyRecorded,
    BenefitProgrammeLaunched,
    BenefitRedeemed,
    Benefits,
    CardNotActive,
    Congress,
    CongressEstablished,
    CongressSessionHeld,
    CongressSessionOverdue,
    ConstituteTripartite,
    DelegatesElected,
    DelegatesTooFew,
    DiscloseItem,
    Disclosure,
    DisclosureComplaintReceived,
    DisclosureComplaintResolved,
    DisclosurePublished,
    DuplicatePerson,
    ElectDelegates,
    EnrolMerchant,
    EstablishCongress,
    FlagSessionOverdue,
    HoldSession,
    HoldTripartiteMeeting,
    InvalidTransition,
    InvalidValue,
    ItemAlreadyAdopted,
    LaunchBenefitProgramme,
    ManagerShareExceeded,
    MerchantEnrolled,
    MerchantNotEnrolled,
    MerchantWithdrawn,
    NotACommitteeMember,
    NotADelegate,
    OfferNotValid,
    OfferPublished,
    PublishOffer,
    QuorumNotMet,
    RaiseTripartiteIssue,
    ReceiveComplaint,
    RedeemBenefit,
    ResolutionAdopted,
    ResolutionRejected,
    ResolveComplaint,
    ResolveTripartiteIssue,
    SideMissing,
    Tripartite,
    TripartiteCommitteeConstituted,
    TripartiteIssueRaised,
    TripartiteIssueResolved,
    TripartiteMeetingHeld,
    UnknownReference,
    VoteResolution,
    VotesExceedPresent,
    WithdrawMerchant,
    benefits_stream,
    congress_stream,
    disclosure_stream,
    overdue_topics,
    quorum_met,
    register,
    resolution_passes,
    tripartite_stream,
)
from shared.decider import Decider
from shared.errors import DomainError
from shared.policy import PolicyTable
from shared.registry import EventRegistry

S = TypeVar("S")

EVENTS = EventRegistry()
register(EVENTS)


def recorded(event: object) -> Any:
    """The event as a reader of the log gets it back: dumped, stored as JSON, decoded."""
    new = EVENTS.new_event(event)
    version = EVENTS.prepare(new)  # what append checks: the data loads with the newest schema
    return EVENTS.decode(new.event_type, version, json.loads(json.dumps(new.data)))


def run_with(
    decider: Decider[object, S, object], *commands: object, state: S | None = None
) -> tuple[S, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    s = decider.initial_state if state is None else state
    events: list[object] = []
    for c in commands:
        new = list(decider.decide(c, s))
        for e in new:
            assert recorded(e) == e, f"{type(e).__name__} does not survive the log"
        events += new
        s = decider.fold(new, s)
    return s, events


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


# -- WorkersCongress ------------------------------------------------------------------

UNIT = "91341522MA2T5K8X0Y"
ESTABLISHED_ON = date(2026, 1, 5)
ESTABLISH = EstablishCongress("C1", "enterprise", UNIT, "U1", 3, ESTABLISHED_ON)
ELECT_VERSIONS = ("congress.min_delegates@2012-02-13", "congress.max_manager_bp@2012-02-13")
QUORUM_VERSIONS = ("congress.quorum_num@2012-02-13", "congress.quorum_den@2012-02-13")


def person(i: int) -> str:
    return f"d{i:02d}"


def elect(
    n: int = 30, managers: int = 6, term: int = 1, on: date = date(2026, 1, 20)
) -> ElectDelegates:
    """``n`` delegates d00, d01, ...; the first ``managers`` of them managers."""
    delegates = tuple((person(i), i < managers) for i in range(n))
    return ElectDelegates(term, on, delegates, 30, 2_000, ELECT_VERSIONS)


def hold(sid: str = "S1", present: int = 20, on: date = date(2026, 3, 1)) -> HoldSession:
    return HoldSession(sid, on, tuple(person(i) for i in range(present)), 2, 3, QUORUM_VERSIONS)


def vote(
    item: str = "I1", yes: int = 16, no: int = 4, abstain: int = 0, sid: str = "S1"
) -> VoteResolution:
    return VoteResolution(sid, item, f"item {item}", yes, no, abstain)


SEATED: tuple[object, ...] = (ESTABLISH, elect())
IN_SESSION: tuple[object, ...] = (*SEATED, hold())
"""30 delegates, 20 of them present: exactly two thirds."""


def congress(*commands: object) -> tuple[Congress, list[object]]:
    return run_with(CONGRESS, *commands)


@pytest.mark.parametrize(
    ("kind", "term_years"), [("enterprise", 3), ("regional", 5), ("industry", 3)]
)
def test_rule_a_congress_is_enterprise_regional_or_industry_with_a_term_of_3_or_5_years(
    kind: str, term_years: int
) -> None:
    c = EstablishCongress("C1", kind, "area-zhenxi", "U1", term_years, ESTABLISHED_ON)
    state, events = congress(c)
    assert events == [
        CongressEstablished("C1", kind, "area-zhenxi", "U1", term_years, ESTABLISHED_ON)
    ]
    assert state.status == "established"


@pytest.mark.parametrize(("kind", "term_years"), [("township", 3), ("enterprise", 4)])
def test_rule_other_kinds_and_terms_are_refused(kind: str, term_years: int) -> None:
    with pytest.raises(InvalidValue):
        congress(EstablishCongress("C1", kind, UNIT, "U1", term_years, ESTABLISHED_ON))


def test_rule_a_congress_is_established_once_and_acts_only_once_established() -> None:
    with pytest.raises(InvalidTransition):
        congress(ESTABLISH, ESTABLISH)
    for command in (elect(), hold(), vote()):
        with pytest.raises(InvalidTransition):
            congress(command)


def test_rule_a_congress_has_at_least_the_minimum_number_of_delegates() -> None:
    with pytest.raises(DelegatesTooFew) as refused:
        congress(ESTABLISH, elect(29, 5))
    assert refused.value.details == {"delegates": 29, "min_delegates": 30}
    state, events = congress(ESTABLISH, elect(30, 6))
    assert events[-1] == DelegatesElected(
        "C1",
        1,
        date(2026, 1, 20),
        tuple(person(i) for i in range(30)),
        tuple(person(i) for i in range(6)),
        30,
        2_000,
        ELECT_VERSIONS,
    )
    assert (state.term_no, len(state.delegate_ids)) == (1, 30)


@pytest.mark.parametrize(
    ("n", "managers", "allowed"), [(30, 6, True), (30, 7, False), (100, 20, True), (100, 21, False)]
)
def test_rule_managers_are_at_most_20_percent_of_delegates(
    n: int, managers: int, allowed: bool
) -> None:
    if allowed:
        _, events = congress(ESTABLISH, elect(n, managers))
        assert kinds(events)[-1] == "DelegatesElected"
        return
    with pytest.raises(ManagerShareExceeded) as refused:
        congress(ESTABLISH, elect(n, managers))
    assert refused.value.details == {"managers": managers, "delegates": n, "max_manager_bp": 2_000}


def test_rule_a_person_is_a_delegate_once() -> None:
    twice = ElectDelegates(
        1, date(2026, 1, 20), ((person(0), False),) * 2 + elect().delegates, 30, 2_000, ()
    )
    with pytest.raises(DuplicatePerson) as refused:
        congress(ESTABLISH, twice)
    assert refused.value.details == {"person_ids": [person(0)]}


def test_rule_terms_are_elected_in_order_and_a_new_term_replaces_the_delegates() -> None:
    with pytest.raises(InvalidTransition) as refused:
        congress(ESTABLISH, elect(term=2))
    assert refused.value.details == {"term_no": 2, "expected": 1}
    state, events = congress(*SEATED, elect(40, 8, term=2, on=date(2029, 1, 10)))
    assert events[-1].term_no == 2  # type: ignore[attr-defined]
    assert state.delegate_ids == tuple(person(i) for i in range(40))
    assert state.manager_ids == tuple(person(i) for i in range(8))


def test_rule_electing_the_same_term_again_records_nothing_and_other_delegates_are_refused() -> (
    None
):
    _, events = congress(*SEATED, elect())
    assert kinds(events) == ["CongressEstablished", "DelegatesElected"]
    with pytest.raises(AlreadyRecorded):
        congress(*SEATED, elect(31))


def test_rule_delegates_are_elected_and_sessions_held_after_establishment() -> None:
    with pytest.raises(InvalidValue):
        congress(ESTABLISH, elect(on=date(2025, 12, 31)))
    with pytest.raises(InvalidValue):
        congress(*SEATED, hold(on=date(2026, 1, 1)))


def test_rule_a_session_needs_elected_delegates() -> None:
    with pytest.raises(InvalidTransition):
        congress(ESTABLISH, hold())


def test_rule_only_the_terms_delegates_count_as_present() -> None:
    stranger = HoldSession("S1", date(2026, 3, 1), (person(0), "x1"), 2, 3, ())
    with pytest.raises(NotADelegate) as refused:
        congress(*SEATED, stranger)
    assert refused.value.details == {"person_ids": ["x1"]}
    with pytest.raises(DuplicatePerson):
        congress(*SEATED, HoldSession("S1", date(2026, 3, 1), (person(0),) * 21, 2, 3, ()))


@pytest.mark.parametrize(("present", "met"), [(20, True), (19, False), (30, True), (0, False)])
def test_rule_quorum_is_two_thirds_of_all_delegates(present: int, met: bool) -> None:
    state, events = congress(*SEATED, hold(present=present))
    assert events[-1] == CongressSessionHeld(
        "C1",
        "S1",
        1,
        date(2026, 3, 1),
        tuple(person(i) for i in range(present)),
        30,
        met,
        2,
        3,
        QUORUM_VERSIONS,
    )
    assert state.sessions["S1"].quorum_met is met


def test_rule_a_session_without_quorum_votes_nothing() -> None:
    with pytest.raises(QuorumNotMet) as refused:
        congress(*SEATED, hold(present=19), vote(yes=19, no=0))
    assert refused.value.details == {"present": 19, "total_delegates": 30}


def test_rule_votes_cast_are_at_most_the_delegates_present() -> None:
    with pytest.raises(VotesExceedPresent) as refused:
        congress(*IN_SESSION, vote(yes=16, no=4, abstain=1))
    assert refused.value.details == {"cast": 21, "present": 20}
    with pytest.raises(InvalidValue):
        congress(*IN_SESSION, vote(yes=16, no=-1))


def test_rule_a_resolution_passes_with_more_than_half_of_all_delegates_not_of_those_present() -> (
    None
):
    # 15 of the 20 present is three quarters of them, but only half of the 30 delegates.
    state, events = congress(*IN_SESSION, vote("I1", yes=15, no=5))
    assert isinstance(events[-1], ResolutionRejected)
    assert not state.results["I1"].adopted
    state, events = congress(*IN_SESSION, vote("I1", yes=16, no=0, abstain=4))
    assert isinstance(events[-1], ResolutionAdopted)
    assert state.results["I1"].adopted


def test_rule_an_adopted_resolution_carries_what_other_services_react_to() -> None:
    nominee = VoteResolution("S1", "MW-1", "model worker nominee", 18, 1, 1, "person-42")
    _, events = congress(*IN_SESSION, nominee)
    assert events[-1] == ResolutionAdopted(
        congress_id="C1",
        unit_id=UNIT,
        session_id="S1",
        item_id="MW-1",
        title="model worker nominee",
        subject_ref="person-42",
        yes=18,
        no=1,
        abstain=1,
        total_delegates=30,
        present=20,
    )
    assert [f.name for f in fields(ResolutionRejected)] == [
        f.name for f in fields(ResolutionAdopted)
    ]


def test_rule_results_are_recorded_by_item_and_an_adopted_item_is_not_voted_again() -> None:
    later = hold("S2", 25, date(2026, 9, 1))
    state, _ = congress(*IN_SESSION, vote("I1", yes=10), vote("I2", yes=16), later)
    assert {k: r.adopted for k, r in state.results.items()} == {"I1": False, "I2": True}
    # A rejected item (a renegotiated draft) comes back to a later session.
    state, events = congress(*IN_SESSION, vote("I1", yes=10), later, vote("I1", 20, 5, sid="S2"))
    assert isinstance(events[-1], ResolutionAdopted)
    assert state.results["I1"].session_id == "S2"
    with pytest.raises(ItemAlreadyAdopted):
        congress(*IN_SESSION, vote("I1", yes=16), later, vote("I1", 20, 5, sid="S2"))


def test_rule_an_item_is_voted_once_per_session() -> None:
    _, events = congress(*IN_SESSION, vote("I1"), vote("I1"))
    assert kinds(events)[-1] == "ResolutionAdopted"  # the repeat recorded nothing
    assert kinds(events).count("ResolutionAdopted") == 1
    with pytest.raises(AlreadyRecorded):
        congress(*IN_SESSION, vote("I1"), vote("I1", yes=17, no=3))


def test_rule_votes_name_a_session_of_the_current_term() -> None:
    with pytest.raises(UnknownReference):
        congress(*IN_SESSION, vote(sid="S9"))
    with pytest.raises(InvalidTransition) as refused:
        congress(*IN_SESSION, elect(30, 6, term=2, on=date(2026, 4, 1)), vote())
    assert refused.value.details == {"session_term": 1}


def test_rule_holding_a_session_again_records_nothing_and_its_id_is_not_reused() -> None:
    _, events = congress(*IN_SESSION, hold())
    assert kinds(events).count("CongressSessionHeld") == 1
    with pytest.raises(AlreadyRecorded):
        congress(*IN_SESSION, hold(present=21))


def overdue(today: date) -> FlagSessionOverdue:
    return FlagSessionOverdue(today, 365, "congress.session_interval_days@2012-02-13")


def test_rule_a_session_is_due_within_a_year_of_the_last_one() -> None:
    last = date(2026, 3, 1)
    due = last + timedelta(days=365)
    _, events = congress(*IN_SESSION, overdue(due))
    assert not any(isinstance(e, CongressSessionOverdue) for e in events)  # the last day is in time
    _, events = congress(*IN_SESSION, overdue(due + timedelta(days=1)))
    assert events[-1] == CongressSessionOverdue(
        "C1", UNIT, "U1", last, due, 365, "congress.session_interval_days@2012-02-13"
    )


def test_rule_overdue_is_flagged_once_per_missed_period() -> None:
    last = date(2026, 3, 1)
    state, events = congress(
        *IN_SESSION,
        overdue(date(2027, 6, 1)),
        overdue(date(2027, 7, 1)),  # the same missed year: nothing more
        overdue(date(2028, 6, 1)),  # a second missed year
    )
    flagged = [e for e in events if isinstance(e, CongressSessionOverdue)]
    assert [e.due_on for e in flagged] == [last + timedelta(365), last + timedelta(730)]
    # A timer that was down for two years catches up with one event per period.
    _, events = congress(*IN_SESSION, overdue(date(2028, 6, 1)))
    assert kinds(events)[-2:] == ["CongressSessionOverdue", "CongressSessionOverdue"]
    assert state.flagged == {e.due_on for e in flagged}


def test_rule_overdue_counts_from_establishment_when_no_session_was_held() -> None:
    _, events = congress(*SEATED, overdue(date(2027, 2, 1)))
    assert events[-1] == CongressSessionOverdue(
        "C1",
        UNIT,
        "U1",
        ESTABLISHED_ON,
        ESTABLISHED_ON + timedelta(365),
        365,
        "congress.session_interval_days@2012-02-13",
    )
    _, events = run_with(CONGRESS, overdue(date(2030, 1, 1)))
    assert events == []  # a timer's sweep over a stream never established


def test_rule_a_session_without_quorum_does_not_keep_the_yearly_rule() -> None:
    held = (*SEATED, hold("S1", 20, date(2026, 3, 1)), hold("S2", 10, date(2026, 12, 1)))
    state, events = congress(*held, overdue(date(2027, 3, 5)))
    assert state.last_session_on == date(2026, 3, 1)
    assert isinstance(events[-1], CongressSessionOverdue)
    assert events[-1].counted_from == date(2026, 3, 1)


def test_quorum_and_pass_helpers_use_all_delegates() -> None:
    assert quorum_met(30, 20, 2, 3)
    assert not quorum_met(30, 19, 2, 3)
    assert not quorum_met(0, 0, 2, 3)
    assert resolution_passes(30, 16)
    assert not resolution_passes(30, 15)
    assert resolution_passes(31, 16)
    assert not resolution_passes(0, 0)


@given(st.integers(1, 500), st.integers(0, 500), st.integers(1, 5), st.integers(1, 5))
def test_property_the_helpers_are_the_exact_fractions(
    total: int, count: int, num: int, den: int
) -> None:
    assert quorum_met(total, count, num, den) == (Fraction(count, total) >= Fraction(num, den))
    assert resolution_passes(total, count) == (Fraction(count, total) > Fraction(1, 2))


CONGRESS_POOL: tuple[object, ...] = (
    ESTABLISH,
    elect(30, 6),
    elect(30, 7),
    elect(29, 0),
    elect(40, 8, term=2, on=date(2027, 1, 10)),
    elect(45, 9, term=3, on=date(2028, 1, 10)),
    hold("S1", 20, date(2026, 3, 1)),
    hold("S2", 19, date(2026, 6, 1)),
    hold("S3", 30, date(2027, 3, 1)),
    hold("S4", 27, date(2028, 3, 1)),
    HoldSession("S5", date(2026, 5, 1), ("x1",), 2, 3, ()),
    vote("I1", 16, 4, 0, "S1"),
    vote("I1", 10, 10, 0, "S1"),
    vote("I2", 15, 5, 0, "S1"),
    vote("I1", 25, 5, 0, "S3"),
    vote("I2", 23, 0, 0, "S4"),
    vote("I3", 10, 9, 0, "S2"),
    vote("I3", 30, 0, 1, "S3"),
    overdue(date(2027, 6, 1)),
    overdue(date(2029, 12, 31)),
)


def walk(
    decider: Decider[object, S, object], pool: tuple[object, ...], picks: list[int]
) -> list[tuple[list[object], S]]:
    """A random valid command sequence: at each step, the pick-th command the state accepts.

    Every command is tried at every step, so a refusal must be a DomainError (anything
    else is a crash and fails the test).
    """
    state = decider.initial_state
    steps: list[tuple[list[object], S]] = []
    for pick in picks:
        accepted: list[list[object]] = []
        for c in pool:
            try:
                events = list(decider.decide(c, state))
            except DomainError:
                continue
            if events:
                accepted.append(events)
        if not accepted:
            break
        events = accepted[pick % len(accepted)]
        state = decider.fold(events, state)
        steps.append((events, state))
    return steps


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=20))
def test_property_a_congress_replays_to_its_live_state_and_never_adopts_without_the_rules(
    picks: list[int],
) -> None:
    log: list[object] = []
    for events, state in walk(CONGRESS, CONGRESS_POOL, picks):
        log += [recorded(e) for e in events]
        assert CONGRESS.fold(log) == state
        for e in events:
            if isinstance(e, DelegatesElected):
                assert len(e.delegate_ids) >= e.min_delegates
                assert len(e.manager_ids) * 10_000 <= len(e.delegate_ids) * e.max_manager_bp
            if isinstance(e, ResolutionAdopted | ResolutionRejected):
                session = state.sessions[e.session_id]
                assert session.quorum_met
                assert e.yes + e.no + e.abstain <= e.present == len(session.present_ids)
                assert isinstance(e, ResolutionAdopted) == (e.yes * 2 > e.total_delegates)


# -- FactoryAffairsDisclosure -----------------------------------------------------------

WAGES = DiscloseItem(UNIT, "D1", "wages", "notice_board", "2026-Q3", "wage table", date(2026, 7, 5))


def disclosure(*commands: object) -> tuple[Disclosure, list[object]]:
    return run_with(DISCLOSURE, *commands)


def test_rule_a_disclosure_names_a_known_topic_channel_and_period() -> None:
    state, events = disclosure(WAGES)
    assert events == [
        DisclosurePublished(
            UNIT, "D1", "wages", "notice_board", "2026-Q3", "wage table", date(2026, 7, 5)
        )
    ]
    assert state.unit_id == UNIT
    for period in ("2026", "2026-H2", "2026-09"):
        _, events = disclosure(
            DiscloseItem(UNIT, "D", "safety", "online", period, "t", WAGES.disclosed_on)
        )
        assert kinds(events) == ["DisclosurePublished"]
    bad = [
        DiscloseItem(UNIT, "D", "gossip", "online", "2026", "t", WAGES.disclosed_on),
        DiscloseItem(UNIT, "D", "safety", "wechat_rumour", "2026", "t", WAGES.disclosed_on),
        DiscloseItem(UNIT, "D", "safety", "online", "2026-Q5", "t", WAGES.disclosed_on),
        DiscloseItem(UNIT, "D", "safety", "online", "26", "t", WAGES.disclosed_on),
    ]
    for command in bad:
        with pytest.raises(InvalidValue):
            disclosure(command)


def test_rule_an_item_is_disclosed_once() -> None:
    _, events = disclosure(WAGES, WAGES)
    assert len(events) == 1
    with pytest.raises(AlreadyRecorded):
        disclosure(
            WAGES, DiscloseItem(UNIT, "D1", "safety", "online", "2026", "t", date(2026, 7, 6))
        )


def test_rule_a_complaint_names_a_disclosed_item_or_none() -> None:
    about = ReceiveComplaint(UNIT, "K1", "D1", "the table omits overtime", date(2026, 7, 9))
    with pytest.raises(UnknownReference):
        disclosure(about)
    state, events = disclosure(WAGES, about)
    assert events[-1] == DisclosureComplaintReceived(
        UNIT, "K1", "D1", "the table omits overtime", date(2026, 7, 9)
    )
    # Nothing disclosed at all is itself a complaint.
    _, events = disclosure(ReceiveComplaint(UNIT, "K2", None, "no safety notice", date(2026, 7, 9)))
    assert events[-1] == DisclosureComplaintReceived(
        UNIT, "K2", None, "no safety notice", date(2026, 7, 9)
    )
    assert state.complaints["K1"].resolution is None


def test_rule_a_complaint_is_resolved_once_and_not_before_it_was_received() -> None:
    received = (WAGES, ReceiveComplaint(UNIT, "K1", "D1", "omits overtime", date(2026, 7, 9)))
    with pytest.raises(UnknownReference):
        disclosure(*received, ResolveComplaint("K9", "corrected", date(2026, 7, 20)))
    with pytest.raises(InvalidValue):
        disclosure(*received, ResolveComplaint("K1", "corrected", date(2026, 7, 8)))
    resolve = ResolveComplaint("K1", "table corrected and reposted", date(2026, 7, 20))
    state, events = disclosure(*received, resolve, resolve)
    assert events[-1] == DisclosureComplaintResolved(
        UNIT, "K1", "table corrected and reposted", date(2026, 7, 20)
    )
    assert kinds(events).count("DisclosureComplaintResolved") == 1
    assert state.complaints["K1"].resolved_on == date(2026, 7, 20)
    with pytest.raises(AlreadyRecorded):
        disclosure(*received, resolve, ResolveComplaint("K1", "other", date(2026, 7, 21)))


def test_rule_a_complaint_id_is_not_reused() -> None:
    k1 = ReceiveComplaint(UNIT, "K1", None, "no safety notice", date(2026, 7, 9))
    _, events = disclosure(k1, k1)
    assert len(events) == 1
    with pytest.raises(AlreadyRecorded):
        disclosure(k1, ReceiveComplaint(UNIT, "K1", None, "other", date(2026, 7, 9)))


def test_overdue_topics_are_required_topics_with_nothing_disclosed_in_the_year() -> None:
    required = ("wages", "social_insurance", "safety")
    state, _ = disclosure(
        WAGES,
        DiscloseItem(UNIT, "D2", "safety", "online", "2025", "t", date(2025, 12, 1)),
        DiscloseItem(UNIT, "D3", "welfare", "online", "2026", "t", date(2026, 2, 1)),
    )
    assert overdue_topics(state, required, 2026) == ("social_insurance", "safety")
    assert overdue_topics(state, required, 2025) == ("wages", "social_insurance")
    table = PolicyTable(list(PARAMETERS))
    topics, _ = table.text("disclosure.required_topics", date(2026, 1, 1))
    assert overdue_topics(Disclosure(), tuple(topics.split(",")), 2026) == tuple(topics.split(","))


# -- TripartiteMechanism --------------------------------------------------------------

CONSTITUTED_ON = date(2022, 4, 1)
CONSTITUTE = ConstituteTripartite("T1", CONSTITUTED_ON, "g1", ("g1", "g2"), ("u1",), ("e1", "e2"))


def meeting(
    mid: str = "M1",
    on: date = date(2026, 5, 10),
    g: tuple[str, ...] = ("g1",),
    u: tuple[str, ...] = ("u1",),
    e: tuple[str, ...] = ("e2",),
) -> HoldTripartiteMeeting:
    return HoldTripartiteMeeting(mid, on, g, u, e)


ISSUE = RaiseTripartiteIssue("Q1", "wage arrears on construction sites", "union", date(2026, 5, 1))


def tripartite(*commands: object) -> tuple[Tripartite, list[object]]:
    return run_with(TRIPARTITE, *commands)


def test_rule_the_committee_has_government_union_and_employer_members() -> None:
    state, events = tripartite(CONSTITUTE)
    assert events == [
        TripartiteCommitteeConstituted(
            "T1", CONSTITUTED_ON, "g1", ("g1", "g2"), ("u1",), ("e1", "e2")
        )
    ]
    assert state.members == {"government": ("g1", "g2"), "union": ("u1",), "employer": ("e1", "e2")}
    with pytest.raises(SideMissing) as refused:
        tripartite(ConstituteTripartite("T1", CONSTITUTED_ON, "g1", ("g1",), (), ("e1",)))
    assert refused.value.details == {"sides": ["union"]}
    with pytest.raises(InvalidTransition):
        tripartite(CONSTITUTE, CONSTITUTE)


def test_rule_the_chair_is_on_the_government_side_and_a_person_sits_for_one_side() -> None:
    with pytest.raises(InvalidValue):
        tripartite(ConstituteTripartite("T1", CONSTITUTED_ON, "u1", ("g1",), ("u1",), ("e1",)))
    with pytest.raises(DuplicatePerson) as refused:
        tripartite(ConstituteTripartite("T1", CONSTITUTED_ON, "g1", ("g1",), ("u1",), ("u1",)))
    assert refused.value.details == {"person_ids": ["u1"]}


def test_rule_all_three_sides_attend_a_meeting() -> None:
    with pytest.raises(SideMissing) as refused:
        tripartite(CONSTITUTE, meeting(e=()))
    assert refused.value.details == {"sides": ["employer"]}
    _, events = tripartite(CONSTITUTE, meeting())
    assert events[-1] == TripartiteMeetingHeld(
        "T1", "M1", date(2026, 5, 10), ("g1",), ("u1",), ("e2",)
    )


def test_rule_attendees_are_members_of_the_side_they_sit_for() -> None:
    with pytest.raises(NotACommitteeMember) as refused:
        tripartite(CONSTITUTE, meeting(e=("e1", "g2", "x9")))
    assert refused.value.details == {"person_ids": ["g2", "x9"]}
    with pytest.raises(InvalidValue):
        tripartite(CONSTITUTE, meeting(on=date(2022, 3, 31)))
    with pytest.raises(InvalidTransition):
        tripartite(meeting())


def test_rule_an_issue_is_raised_by_one_of_the_sides() -> None:
    _, events = tripartite(CONSTITUTE, ISSUE, ISSUE)
    assert events[1:] == [
        TripartiteIssueRaised(
            "T1", "Q1", "union", "wage arrears on construction sites", date(2026, 5, 1)
        )
    ]
    with pytest.raises(InvalidValue):
        tripartite(CONSTITUTE, RaiseTripartiteIssue("Q2", "x", "press", date(2026, 5, 1)))
    with pytest.raises(AlreadyRecorded):
        tripartite(CONSTITUTE, ISSUE, RaiseTripartiteIssue("Q1", "x", "employer", date(2026, 5, 1)))


def test_rule_an_issue_is_resolved_once_at_a_meeting_held_after_it_was_raised() -> None:
    resolve = ResolveTripartiteIssue("Q1", "county-wide wage guarantee fund", "M1")
    with pytest.raises(UnknownReference):
        tripartite(CONSTITUTE, meeting(), resolve)  # no such issue
    with pytest.raises(UnknownReference):
        tripartite(CONSTITUTE, ISSUE, resolve)  # no such meeting
    with pytest.raises(InvalidValue):
        tripartite(CONSTITUTE, meeting(on=date(2026, 4, 30)), ISSUE, resolve)
    state, events = tripartite(CONSTITUTE, ISSUE, meeting(), resolve, resolve)
    assert events[-1] == TripartiteIssueResolved(
        "T1", "Q1", "M1", "county-wide wage guarantee fund", date(2026, 5, 10)
    )
    assert kinds(events).count("TripartiteIssueResolved") == 1
    assert state.issues["Q1"].resolution == "county-wide wage guarantee fund"
    with pytest.raises(AlreadyRecorded):
        tripartite(CONSTITUTE, ISSUE, meeting(), resolve, ResolveTripartiteIssue("Q1", "x", "M1"))


# -- MemberBenefitProgramme -------------------------------------------------------------

LAUNCH = LaunchBenefitProgramme("P1", "U-county", "会员卡普惠 2026", date(2026, 1, 1))
ENROL = EnrolMerchant("MER1", "Chengguan pharmacy", "health", date(2026, 1, 10))
OFFER = PublishOffer("O1", "MER1", "10 % off", date(2026, 2, 1), date(2026, 6, 30))
LIVE: tuple[object, ...] = (LAUNCH, ENROL, OFFER)


def redeem(
    rid: str = "R1", status: str = "active", on: date = date(2026, 3, 3), offer: str = "O1"
) -> RedeemBenefit:
    return RedeemBenefit(rid, offer, "card-7f3a", status, on)


def benefits(*commands: object) -> tuple[Benefits, list[object]]:
    return run_with(BENEFITS, *commands)


def test_rule_a_programme_is_launched_once_before_anything_else() -> None:
    _, events = benefits(*LIVE)
    assert events == [
        BenefitProgrammeLaunched("P1", "U-county", "会员卡普惠 2026", date(2026, 1, 1)),
        MerchantEnrolled("P1", "MER1", "Chengguan pharmacy", "health", date(2026, 1, 10)),
        OfferPublished("P1", "O1", "MER1", "10 % off", date(2026, 2, 1), date(2026, 6, 30)),
    ]
    with pytest.raises(InvalidTransition):
        benefits(LAUNCH, LAUNCH)
    for command in (ENROL, OFFER, redeem(), WithdrawMerchant("MER1", "x", date(2026, 1, 1))):
        with pytest.raises(InvalidTransition):
            benefits(command)


def test_rule_redemption_needs_an_active_member_card() -> None:
    for status in ("suspended", "cancelled", "issued", "unknown"):
        with pytest.raises(CardNotActive) as refused:
            benefits(*LIVE, redeem(status=status))
        assert refused.value.code == "CardNotActive"
        assert refused.value.details == {"card_status": status}
    state, events = benefits(*LIVE, redeem())
    assert events[-1] == BenefitRedeemed("P1", "R1", "O1", "MER1", "card-7f3a", date(2026, 3, 3))
    assert set(state.redemptions) == {"R1"}


@pytest.mark.parametrize(
    ("on", "valid"),
    [
        (date(2026, 1, 31), False),
        (date(2026, 2, 1), True),
        (date(2026, 6, 30), True),
        (date(2026, 7, 1), False),
    ],
)
def test_rule_an_offer_is_redeemed_only_while_it_is_valid(on: date, valid: bool) -> None:
    if valid:
        _, events = benefits(*LIVE, redeem(on=on))
        assert kinds(events)[-1] == "BenefitRedeemed"
        return
    with pytest.raises(OfferNotValid):
        benefits(*LIVE, redeem(on=on))


def test_rule_a_withdrawn_merchants_offers_are_not_redeemed() -> None:
    withdraw = WithdrawMerchant("MER1", "left the scheme", date(2026, 3, 1))
    state, events = benefits(*LIVE, withdraw, withdraw)
    assert events[-1] == MerchantWithdrawn("P1", "MER1", "left the scheme", date(2026, 3, 1))
    assert kinds(events).count("MerchantWithdrawn") == 1
    assert not state.merchants["MER1"].enrolled
    with pytest.raises(MerchantNotEnrolled):
        benefits(*LIVE, withdraw, redeem())
    with pytest.raises(MerchantNotEnrolled):
        benefits(LAUNCH, WithdrawMerchant("MER9", "x", date(2026, 3, 1)))
    # Enrolling again brings the merchant's offers back.
    _, events = benefits(*LIVE, withdraw, ENROL, redeem())
    assert kinds(events)[-2:] == ["MerchantEnrolled", "BenefitRedeemed"]


def test_rule_offers_come_from_enrolled_merchants_and_end_after_they_start() -> None:
    with pytest.raises(MerchantNotEnrolled):
        benefits(LAUNCH, OFFER)
    with pytest.raises(InvalidValue):
        benefits(
            LAUNCH, ENROL, PublishOffer("O1", "MER1", "x", date(2026, 2, 1), date(2026, 1, 31))
        )
    with pytest.raises(UnknownReference):
        benefits(*LIVE, redeem(offer="O9"))
    _, events = benefits(*LIVE, OFFER)
    assert kinds(events).count("OfferPublished") == 1


def test_rule_merchants_are_in_a_known_category_and_enrolled_once() -> None:
    with pytest.raises(InvalidValue):
        benefits(LAUNCH, EnrolMerchant("MER1", "x", "casino", date(2026, 1, 10)))
    _, events = benefits(LAUNCH, ENROL, ENROL)
    assert kinds(events).count("MerchantEnrolled") == 1
    with pytest.raises(AlreadyRecorded):
        benefits(LAUNCH, ENROL, EnrolMerchant("MER1", "x", "retail", date(2026, 1, 10)))


def test_rule_a_redemption_is_recorded_once() -> None:
    _, events = benefits(*LIVE, redeem(), redeem())
    assert kinds(events).count("BenefitRedeemed") == 1
    with pytest.raises(AlreadyRecorded):
        benefits(*LIVE, redeem(), redeem(on=date(2026, 3, 4)))


# -- wiring ---------------------------------------------------------------------------


def test_register_records_every_event_class_under_its_name() -> None:
    names = {name for name, _, _ in EVENTS.schemas()}
    assert names == {cls.__name__ for cls in EVENT_CLASSES}
    assert len(EVENT_CLASSES) == len(names)


def test_parameters_are_dated_versioned_rows_with_sources() -> None:
    table = PolicyTable(list(PARAMETERS))
    on = date(2026, 1, 1)
    assert table.number("congress.min_delegates", on) == (30, "congress.min_delegates@2012-02-13")
    assert table.number("congress.max_manager_bp", on)[0] == 2_000
    assert (
        table.number("congress.quorum_num", on)[0],
        table.number("congress.quorum_den", on)[0],
    ) == (2, 3)
    assert table.number("congress.session_interval_days", on)[0] == 365
    for row in PARAMETERS:
        assert row.key.split(".")[0] in {"congress", "disclosure", "benefit"}
        assert row.version == f"{row.key}@{row.effective_from.isoformat()}"
        assert row.source
    assert len({row.key for row in PARAMETERS}) == len(PARAMETERS)


def test_streams_are_named_by_aggregate() -> None:
    assert congress_stream("C1") == "Congress-C1"
    assert disclosure_stream(UNIT) == f"Disclosure-{UNIT}"
    assert tripartite_stream("T1") == "Tripartite-T1"
    assert benefits_stream("P1") == "Benefits-P1"
