"""GrassrootsUnion (O1): approved above, founded with a lawful committee, re-elected, ended."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.domain import (
    HIGHER_UNION_ROLES,
    UNION,
    ApprovalRequired,
    ApprovePreparatoryCommittee,
    AssignOrganiser,
    AssignSector,
    CommitteeSizeInvalid,
    EndUnion,
    FlagReElection,
    FoundUnion,
    HandOverUnion,
    InvalidTransition,
    ReElect,
    RegisterLegalPerson,
    Union,
    committee_band,
    hand_over,
    union_stream,
)
from services.orgs.events import (
    ENDINGS,
    OrganiserAssigned,
    PreparatoryCommitteeApproved,
    UnionDissolved,
    UnionFounded,
    UnionLegalPersonRegistered,
    UnionMerged,
    UnionReElected,
    UnionReElectionDue,
    UnionSectorAssigned,
)
from shared.errors import InvalidEvent
from tests.unit.orgs.kit import kinds, number, recorded, replayed_log, run_with, version

MIN_MEMBERS = number("union.committee_min_members")
TERMS = (number("union.term_years_short"), number("union.term_years_long"))
NOTICE_DAYS = number("union.re_election_notice_days")
VERSIONS = (version("union.committee_min_members"), version("union.term_years_short"))
APPROVED_ON = date(2026, 2, 1)
FOUNDED_ON = date(2026, 3, 1)
TERM_ENDS = date(2029, 3, 1)
FLAG_DAY = date(2028, 12, 1)
"""TERM_ENDS less NOTICE_DAYS (90): the first day the re-election is due."""
USCC = "81341522MC1234567X"


def run(*commands: object) -> tuple[Union, list[object]]:
    return run_with(UNION, *commands)


def approve(
    role: str = "organising_staff", approver: str = "staff-1"
) -> ApprovePreparatoryCommittee:
    return ApprovePreparatoryCommittee(
        "U1",
        "Huoqiu Rice Co. union",
        "enterprise",
        "FED",
        ("E1", "E2"),
        approver,
        role,
        APPROVED_ON,
    )


def found(members: int = 30, size: int = 3, term: int = 3, on: date = FOUNDED_ON) -> FoundUnion:
    return FoundUnion(on, members, size, term, MIN_MEMBERS, TERMS, VERSIONS)


def reelect(
    on: date = date(2029, 2, 20), members: int = 120, size: int = 5, term: int = 5
) -> ReElect:
    return ReElect(on, members, size, term, MIN_MEMBERS, TERMS)


def end(
    reason: str = "employer_closed",
    role: str = "leader",
    into: str | None = None,
    on: date = date(2027, 1, 10),
    into_status: str = "founded",
) -> EndUnion:
    return EndUnion(reason, "leader-1", role, on, into, into_status if into else "")


FOUNDED: tuple[object, ...] = (approve(), found())
REGISTERED: tuple[object, ...] = (*FOUNDED, RegisterLegalPerson(USCC, date(2026, 4, 1)))


def test_policy_rows_for_unions() -> None:
    assert (MIN_MEMBERS, TERMS, NOTICE_DAYS) == (25, (3, 5), 90)
    assert VERSIONS == (
        "union.committee_min_members@2022-01-01",
        "union.term_years_short@2022-01-01",
    )
    assert union_stream("U1") == "Union-U1"


# -- the preparatory committee (工会法 Art. 12) -------------------------------------------


@pytest.mark.parametrize("role", HIGHER_UNION_ROLES)
def test_rule_organising_staff_or_a_leader_approves_the_preparatory_committee(role: str) -> None:
    state, events = run(approve(role))
    assert events == [
        PreparatoryCommitteeApproved(
            "U1", "Huoqiu Rice Co. union", "enterprise", "FED", ("E1", "E2"), "staff-1", APPROVED_ON
        )
    ]
    assert (state.status, state.employer_ids) == ("preparatory", ("E1", "E2"))


@pytest.mark.parametrize("role", ["grassroots_chair", "caseworker", "member", ""])
def test_rule_any_other_role_needs_the_higher_unions_approval(role: str) -> None:
    with pytest.raises(ApprovalRequired) as refused:
        run(approve(role))
    assert refused.value.details == {"role": role, "allowed_roles": list(HIGHER_UNION_ROLES)}


def test_rule_a_preparatory_committee_is_approved_once() -> None:
    with pytest.raises(InvalidTransition):
        run(approve(), approve())


def test_rule_an_organiser_is_assigned_while_preparing_or_active_only() -> None:
    staff = AssignOrganiser("P9", "social_union_worker")
    with pytest.raises(InvalidTransition):
        run(staff)
    _, events = run(approve(), staff)
    assert events[-1] == OrganiserAssigned("P9", "social_union_worker")
    _, events = run(*REGISTERED, staff)
    assert events[-1] == OrganiserAssigned("P9", "social_union_worker")
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, end(), staff)


# -- founding (Art. 11) and the committee ------------------------------------------------


def test_rule_founding_records_the_committee_the_term_and_the_employers() -> None:
    state, events = run(*FOUNDED)
    assert events[-1] == UnionFounded(
        "U1", ("E1", "E2"), FOUNDED_ON, 30, 3, False, 3, TERM_ENDS, VERSIONS
    )
    assert (state.status, state.term_ends_on) == ("founded", TERM_ENDS)


def test_rule_a_union_is_founded_only_from_a_preparatory_committee_and_once() -> None:
    with pytest.raises(InvalidTransition):
        run(found())
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, found())


def test_rule_twenty_five_members_or_more_must_elect_a_committee() -> None:
    with pytest.raises(CommitteeSizeInvalid) as refused:
        run(approve(), found(members=25, size=1))
    assert refused.value.details == {"field": "committee_size", "low": 3, "high": 3}
    _, events = run(approve(), found(members=25, size=3))
    founded = events[-1]
    assert isinstance(founded, UnionFounded)
    assert (founded.committee_size, founded.organiser_only) == (3, False)


@pytest.mark.parametrize("members", [1, 10, 11, 24])
def test_rule_fewer_than_twenty_five_may_elect_one_organiser(members: int) -> None:
    _, events = run(approve(), found(members=members, size=1))
    founded = events[-1]
    assert isinstance(founded, UnionFounded)
    assert (founded.committee_size, founded.organiser_only) == (1, True)


def test_rule_fewer_than_twenty_five_may_elect_a_committee_instead() -> None:
    _, events = run(approve(), found(members=24, size=3))
    founded = events[-1]
    assert isinstance(founded, UnionFounded)
    assert founded.organiser_only is False


@pytest.mark.parametrize(
    ("members", "band"),
    [
        (1, (1, 1)),
        (10, (1, 1)),
        (11, (3, 3)),
        (25, (3, 3)),
        (26, (3, 5)),
        (100, (3, 5)),
        (101, (5, 7)),
        (200, (5, 7)),
        (201, (7, 9)),
        (500, (7, 9)),
        (501, (9, 15)),
        (1000, (9, 15)),
        (1001, (15, 21)),
        (5000, (15, 21)),
        (5001, (21, 29)),
        (10000, (21, 29)),
        (10001, (29, 37)),
        (50000, (29, 37)),
        (50001, (37, 45)),
        (1_000_000, (37, 45)),
    ],
)
def test_rule_the_committee_band_by_membership(members: int, band: tuple[int, int]) -> None:
    assert committee_band(members) == band


@pytest.mark.parametrize(
    ("members", "size"),
    [
        (10, 1),
        (11, 3),
        (25, 3),
        (26, 3),
        (26, 5),
        (100, 5),
        (101, 5),
        (101, 7),
        (200, 7),
        (201, 7),
        (201, 9),
        (500, 9),
        (501, 9),
        (50000, 37),
        (50001, 37),
        (50001, 45),
    ],
)
def test_rule_an_odd_committee_within_the_band_is_elected(members: int, size: int) -> None:
    state, events = run(approve(), found(members=members, size=size))
    assert kinds(events)[-1] == "UnionFounded"
    assert state.status == "founded"


@pytest.mark.parametrize(
    ("members", "size", "low", "high"),
    [
        (10, 3, 1, 1),
        (25, 5, 3, 3),
        (26, 7, 3, 5),
        (26, 1, 3, 5),
        (100, 7, 3, 5),
        (101, 3, 5, 7),
        (200, 9, 5, 7),
        (201, 5, 7, 9),
        (500, 11, 7, 9),
        (501, 7, 9, 15),
        (50000, 45, 29, 37),
        (50001, 35, 37, 45),
        (50001, 47, 37, 45),
    ],
)
def test_rule_a_committee_outside_the_band_is_refused(
    members: int, size: int, low: int, high: int
) -> None:
    with pytest.raises(CommitteeSizeInvalid) as refused:
        run(approve(), found(members=members, size=size))
    assert refused.value.details == {"field": "committee_size", "low": low, "high": high}


@pytest.mark.parametrize(
    ("members", "size"), [(26, 4), (101, 6), (201, 8), (1000, 10), (50001, 40)]
)
def test_rule_an_even_committee_is_refused_even_within_the_band(members: int, size: int) -> None:
    with pytest.raises(CommitteeSizeInvalid):
        run(approve(), found(members=members, size=size))


@pytest.mark.parametrize("term", [0, 1, 2, 4, 6])
def test_rule_a_committee_serves_three_or_five_years_only(term: int) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(approve(), found(term=term))
    assert refused.value.details == {"field": "term_years", "allowed": [3, 5]}


@pytest.mark.parametrize(
    ("founded_on", "term", "ends_on"),
    [
        (FOUNDED_ON, 3, TERM_ENDS),
        (FOUNDED_ON, 5, date(2031, 3, 1)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),  # no 29 February: the day before
        (date(2024, 2, 29), 5, date(2029, 2, 28)),
    ],
)
def test_rule_the_term_ends_the_founding_day_term_years_later(
    founded_on: date, term: int, ends_on: date
) -> None:
    state, events = run(approve(), found(term=term, on=founded_on))
    founded = events[-1]
    assert isinstance(founded, UnionFounded)
    assert founded.term_ends_on == state.term_ends_on == ends_on


# -- legal person and sector --------------------------------------------------------------


def test_rule_a_union_registers_as_a_legal_person_only_after_founding_and_once() -> None:
    registering = RegisterLegalPerson(USCC, date(2026, 4, 1))
    with pytest.raises(InvalidTransition):
        run(approve(), registering)
    state, events = run(*FOUNDED, registering)
    assert events[-1] == UnionLegalPersonRegistered("U1", USCC, date(2026, 4, 1))
    assert (state.status, state.uscc) == ("registered", USCC)
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, registering, registering)


def test_rule_a_sector_assignment_names_the_employers_for_funds() -> None:
    state, events = run(*FOUNDED, AssignSector("education"))
    assert events[-1] == UnionSectorAssigned("U1", ("E1", "E2"), "education")
    assert state.sector == "education"
    state, events = run(*REGISTERED, AssignSector("education"), AssignSector("general"))
    assert events[-1] == UnionSectorAssigned("U1", ("E1", "E2"), "general")


def test_rule_the_same_sector_again_is_a_no_op() -> None:
    _, events = run(*FOUNDED, AssignSector("education"), AssignSector("education"))
    assert kinds(events).count("UnionSectorAssigned") == 1


def test_rule_only_an_active_union_is_assigned_a_sector() -> None:
    with pytest.raises(InvalidTransition):
        run(approve(), AssignSector("education"))
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, end(), AssignSector("education"))


# -- re-election --------------------------------------------------------------------------


def test_rule_re_election_is_flagged_notice_days_before_the_term_ends() -> None:
    assert TERM_ENDS - timedelta(days=NOTICE_DAYS) == FLAG_DAY
    _, events = run(*FOUNDED, FlagReElection(FLAG_DAY - timedelta(days=1), NOTICE_DAYS))
    assert kinds(events) == ["PreparatoryCommitteeApproved", "UnionFounded"]
    state, events = run(*FOUNDED, FlagReElection(FLAG_DAY, NOTICE_DAYS))
    assert events[-1] == UnionReElectionDue("U1", TERM_ENDS)
    assert state.re_election_flagged


def test_rule_re_election_is_flagged_once() -> None:
    late = FlagReElection(TERM_ENDS + timedelta(days=30), NOTICE_DAYS)
    _, events = run(*REGISTERED, FlagReElection(FLAG_DAY, NOTICE_DAYS), late, late)
    assert kinds(events).count("UnionReElectionDue") == 1


def test_rule_re_electing_clears_the_flag_and_starts_a_new_term() -> None:
    flagged = (*FOUNDED, FlagReElection(FLAG_DAY, NOTICE_DAYS))
    state, events = run(*flagged, reelect())
    assert events[-1] == UnionReElected("U1", date(2029, 2, 20), 120, 5, 5, date(2034, 2, 20))
    assert (state.term_ends_on, state.re_election_flagged) == (date(2034, 2, 20), False)
    _, events = run(*flagged, reelect(), FlagReElection(date(2033, 11, 21), NOTICE_DAYS))
    assert kinds(events)[-1] == "UnionReElected"  # the new term's notice starts 2033-11-22
    _, events = run(*flagged, reelect(), FlagReElection(date(2033, 11, 22), NOTICE_DAYS))
    assert events[-1] == UnionReElectionDue("U1", date(2034, 2, 20))


def test_rule_a_re_election_follows_the_committee_rules() -> None:
    with pytest.raises(CommitteeSizeInvalid):
        run(*FOUNDED, reelect(members=120, size=3))
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, reelect(term=4))
    with pytest.raises(InvalidTransition):
        run(approve(), reelect())


def test_rule_a_union_not_active_is_never_flagged_for_re_election() -> None:
    flag = FlagReElection(date(2040, 1, 1), NOTICE_DAYS)
    for before in [(), (approve(),), (*FOUNDED, end()), (*FOUNDED, end(into="U2"))]:
        state, events = run(*before, flag)
        assert not state.re_election_flagged
        assert not any(isinstance(e, UnionReElectionDue) for e in events)


# -- merging and dissolving (Art. 13) --------------------------------------------------------


@pytest.mark.parametrize("role", HIGHER_UNION_ROLES)
def test_rule_the_higher_union_dissolves_a_union_for_a_lawful_reason(role: str) -> None:
    state, events = run(*REGISTERED, end(role=role))
    assert events[-1] == UnionDissolved("U1", "employer_closed", "leader-1", date(2027, 1, 10))
    assert state.status == "dissolved"
    assert hand_over(state) == HandOverUnion("U1", None, "employer_closed", date(2027, 1, 10))


def test_rule_the_higher_union_merges_a_union_into_another() -> None:
    state, events = run(*FOUNDED, end("employer_merged", into="U2"))
    assert events[-1] == UnionMerged("U1", "U2", "employer_merged", "leader-1", date(2027, 1, 10))
    assert state.status == "merged"
    assert hand_over(state) == HandOverUnion("U1", "U2", "employer_merged", date(2027, 1, 10))
    assert hand_over(run(*FOUNDED)[0]) is None  # an active union hands nobody over


def test_rule_a_preparatory_committee_may_be_dissolved_too() -> None:
    state, _ = run(approve(), end("reorganised_by_higher_union"))
    assert state.status == "dissolved"


@pytest.mark.parametrize("into", [None, "U2"])
def test_rule_merging_or_dissolving_needs_the_higher_unions_approval(into: str | None) -> None:
    with pytest.raises(ApprovalRequired) as refused:
        run(*FOUNDED, end(role="grassroots_chair", into=into))
    assert refused.value.details["role"] == "grassroots_chair"


def test_rule_a_union_cannot_merge_into_itself() -> None:
    with pytest.raises(InvalidTransition):
        run(*FOUNDED, end("employer_merged", into="U1"))


def test_rule_a_union_merges_only_into_an_active_union() -> None:
    for status in ("", "preparatory", "merged", "dissolved"):
        with pytest.raises(InvalidTransition) as refused:
            run(*FOUNDED, end("employer_merged", into="U2", into_status=status))
        assert refused.value.details["field"] == "into_union_id"
    state, _ = run(*FOUNDED, end("employer_merged", into="U2", into_status="registered"))
    assert state.status == "merged"


def test_rule_an_ended_union_is_not_ended_again() -> None:
    for ended in [end(), end("employer_merged", into="U2")]:
        with pytest.raises(InvalidTransition):
            run(*FOUNDED, ended, end())
    with pytest.raises(InvalidTransition):
        run(end())  # nothing to end


@pytest.mark.parametrize("reason", ENDINGS)
def test_rule_each_lawful_reason_is_recorded(reason: str) -> None:
    _, events = run(*FOUNDED, end(reason))
    assert kinds(events)[-1] == "UnionDissolved"
    _, events = run(*FOUNDED, end(reason, into="U2"))
    assert kinds(events)[-1] == "UnionMerged"


def test_rule_no_arbitrary_ending_reaches_the_log() -> None:
    """The reason is checked by the command's schema and again by the event's: an
    arbitrary dissolution or merger cannot be recorded (Art. 13)."""
    on = date(2027, 1, 10)
    with pytest.raises(InvalidEvent):
        recorded(UnionDissolved("U1", "the boss asked", "leader-1", on))
    with pytest.raises(InvalidEvent):
        recorded(UnionMerged("U1", "U2", "tidier that way", "leader-1", on))


def test_rule_a_command_of_another_aggregate_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        UNION.decide(object(), Union())


# -- properties ----------------------------------------------------------------------

UNION_COMMANDS: tuple[object, ...] = (
    approve(),
    approve("leader"),
    approve("grassroots_chair"),
    AssignOrganiser("P9", "graduate_post"),
    found(),
    found(members=12, size=1),
    found(members=25, size=1),
    found(members=26, size=4),
    found(term=4),
    found(members=300, size=9, term=5),
    RegisterLegalPerson(USCC, date(2026, 4, 1)),
    AssignSector("education"),
    AssignSector("general"),
    *(
        FlagReElection(d, NOTICE_DAYS)
        for d in (FLAG_DAY - timedelta(days=1), FLAG_DAY, date(2030, 6, 1), date(2034, 1, 1))
    ),
    reelect(),
    reelect(members=24, size=1, term=3),
    reelect(size=4),
    end(),
    end(role="member"),
    end("employer_merged", into="U2"),
    end("employer_merged", into="U1"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=20))
def test_property_replaying_a_unions_recorded_events_gives_the_live_state(
    picks: list[int],
) -> None:
    log, state = replayed_log(UNION, UNION_COMMANDS, picks)
    for e in log:  # every committee elected is lawful
        if isinstance(e, UnionFounded | UnionReElected):
            assert e.term_years in TERMS
            low, high = committee_band(e.member_count)
            organiser = e.committee_size == 1 and e.member_count < MIN_MEMBERS
            assert organiser or (e.committee_size % 2 == 1 and low <= e.committee_size <= high)
    assert sum(isinstance(e, UnionMerged | UnionDissolved) for e in log) <= 1
    assert sum(isinstance(e, UnionFounded) for e in log) <= 1
    assert not any(isinstance(e, UnionMerged) and e.into_union_id == "U1" for e in log)
    assert state == UNION.fold(log)
