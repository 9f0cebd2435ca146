"""Competition: its lifecycle, the 安康杯 rules (domain §2.2 C1, flow F13), public notice
and objections, and prize money through funds (flow F10)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.competitions.domain import (
    COMPETITION,
    Announce,
    ArchiveCompetition,
    CancelCompetition,
    Competition,
    ConferAwards,
    InvalidTransition,
    NotEligible,
    OpenRegistration,
    PayPrizes,
    PrizeFunds,
    PublishResults,
    RaiseResultObjection,
    RecordFatalAccident,
    RecordScore,
    RegisterParticipant,
    RequestPrizeFunds,
    ResolveResultObjection,
    StartCompetition,
    competition_stream,
)
from services.competitions.events import (
    Award,
    AwardRefused,
    AwardsConferred,
    CompetitionAnnounced,
    CompetitionArchived,
    CompetitionCancelled,
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
    PrizeFundsAnswered,
    PrizesPaid,
    ResultsPublicized,
    ScoreRecorded,
)
from tests.unit.competitions.kit import kinds, number, recorded, run_with, text, version, walk

LINE = text("competition.line")
MIN_SCORE = number("ankang.winning_unit_min_score")
NOTICE_DAYS = number("competition.public_notice_days")
VERSIONS = (
    version("competition.public_notice_days"),
    version("ankang.winning_unit_min_score"),
)
ANNOUNCED_ON = date(2026, 3, 2)
OPEN = OpenRegistration(date(2026, 3, 9))
START = StartCompetition(date(2026, 4, 1))
NOTICE_STARTS = date(2026, 6, 26)
NOTICE_ENDS = date(2026, 7, 3)
R1, R2 = "prize:C1.1", "prize:C1.2"


def run(*commands: object, state: Competition | None = None) -> tuple[Competition, list[object]]:
    return run_with(COMPETITION, *commands, state=state)


def announce(kind: str = "labour") -> Announce:
    rnd = "2026-2027" if kind == "ankang" else "2026"
    return Announce("C1", kind, "2026 年度竞赛", 2026, rnd, LINE, ANNOUNCED_ON)


def register(participant: str, unit: str | None = None) -> RegisterParticipant:
    return RegisterParticipant(participant, unit or participant)


def score(participant: str, points: int) -> RecordScore:
    return RecordScore(participant, points, "judge-1")


def fatal(participant: str, on: date = date(2026, 5, 20)) -> RecordFatalAccident:
    return RecordFatalAccident(participant, on, "应急-2026-17")


def award(participant: str, prize_fen: int = 100_000, name: str = "优胜单位") -> Award:
    return Award(participant, name, prize_fen)


def publish(
    *awards: Award,
    safe: frozenset[str] = frozenset({"E1", "E2", "E3", "E4", "P1", "P2"}),
    min_score: int = MIN_SCORE,
    starts_on: date = NOTICE_STARTS,
    notice_days: int = NOTICE_DAYS,
) -> PublishResults:
    return PublishResults(awards, starts_on, notice_days, min_score, safe, VERSIONS)


def confer(today: date = NOTICE_ENDS) -> ConferAwards:
    return ConferAwards(today)


def yes(request_id: str = R1) -> PrizeFunds:
    return PrizeFunds(request_id, True, "")


def no(request_id: str = R1) -> PrizeFunds:
    return PrizeFunds(request_id, False, "LineExhausted")


PAY = PayPrizes("V-2026-081")
ARCHIVE = ArchiveCompetition(date(2026, 12, 30))
CANCEL = CancelCompetition("flooding")

REGISTERED: tuple[object, ...] = (announce(), OPEN, register("P1"), register("P2"))
JUDGING: tuple[object, ...] = (*REGISTERED, START, score("P1", 95), score("P2", 40))
PRIZES = (award("P1", 300_000, "一等奖"), award("P2", 100_000, "二等奖"))
PUBLISHED: tuple[object, ...] = (*JUDGING, publish(*PRIZES))
AWARDED: tuple[object, ...] = (*PUBLISHED, confer())
TOTAL = 400_000

ANKANG_JUDGING: tuple[object, ...] = (
    announce("ankang"),
    OPEN,
    register("E1"),
    register("E2"),
    START,
    score("E1", 96),
    score("E2", 98),
)


# -- lifecycle -----------------------------------------------------------------------------


def test_rule_a_competition_runs_from_announcement_through_notice_and_award_to_archive() -> None:
    path: list[tuple[object, str]] = [
        (announce(), "announced"),
        (OPEN, "registration"),
        (register("P1"), "registration"),
        (register("P2"), "registration"),
        (START, "in_progress"),
        (score("P1", 95), "judging"),
        (score("P2", 40), "judging"),
        (publish(*PRIZES), "public_notice"),
        (confer(), "awarded"),
        (yes(), "awarded"),
        (PAY, "awarded"),
        (ARCHIVE, "archived"),
    ]
    state = COMPETITION.initial_state
    for command, status in path:
        state, _ = run(command, state=state)
        assert state.status == status, command
    _, events = run(*(c for c, _ in path))
    assert kinds(events) == [
        "CompetitionAnnounced",
        "RegistrationOpened",
        "ParticipantRegistered",
        "ParticipantRegistered",
        "CompetitionStarted",
        "ScoreRecorded",
        "ScoreRecorded",
        "ResultsPublicized",
        "AwardsConferred",
        "FundsReservationRequested",
        "PrizeFundsAnswered",
        "PrizesPaid",
        "FundsSpendReported",
        "CompetitionArchived",
    ]
    assert events[0] == CompetitionAnnounced(
        "C1", "labour", "2026 年度竞赛", 2026, "2026", LINE, ANNOUNCED_ON
    )
    assert events[-1] == CompetitionArchived(date(2026, 12, 30))
    assert (state.participants, state.scores) == ({"P1": "P1", "P2": "P2"}, {"P1": 95, "P2": 40})
    assert competition_stream("C1") == "Competition-C1"


def test_rule_judging_begins_with_the_first_score() -> None:
    state, _ = run(*REGISTERED, START)
    assert state.status == "in_progress"
    with pytest.raises(InvalidTransition):  # no results before anyone is scored
        run(*REGISTERED, START, publish(*PRIZES))
    state, events = run(*REGISTERED, START, score("P1", 70))
    assert events[-1] == ScoreRecorded("P1", 70, "judge-1")
    assert state.status == "judging"
    state, _ = run(*REGISTERED, START, score("P1", 70), score("P1", 75))
    assert state.scores == {"P1": 75}  # a later score replaces the earlier one


def test_rule_a_competition_is_announced_once() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(announce(), announce())
    assert refused.value.details == {"state": "announced", "allowed": []}


@pytest.mark.parametrize(
    ("before", "command"),
    [
        ((), OPEN),
        ((), register("P1")),
        ((announce(),), register("P1")),
        ((announce(),), START),
        ((announce(), OPEN), OPEN),
        ((announce(), OPEN, register("P1")), score("P1", 50)),
        ((*REGISTERED, START), register("P3")),
        ((*REGISTERED, START), START),
        ((*JUDGING,), confer()),
        ((*JUDGING,), RaiseResultObjection("O1", "P1", "x")),
        ((*PUBLISHED,), score("P1", 99)),
        ((*PUBLISHED,), publish(*PRIZES)),
        ((*PUBLISHED,), PAY),
        ((*PUBLISHED,), ARCHIVE),
        ((*AWARDED,), confer()),
        ((*AWARDED,), fatal("P1")),
        ((*AWARDED,), RaiseResultObjection("O1", "P1", "x")),
    ],
)
def test_rule_each_step_applies_only_from_its_stage(
    before: tuple[object, ...], command: object
) -> None:
    with pytest.raises(InvalidTransition):
        run(*before, command)


def test_rule_a_competition_starts_only_with_someone_registered() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(announce(), OPEN, START)
    assert refused.value.details == {"field": "participants"}


def test_rule_registering_the_same_participant_twice_changes_nothing() -> None:
    state, events = run(*REGISTERED, register("P1", "E9"))
    assert kinds(events).count("ParticipantRegistered") == 2
    assert state.participants["P1"] == "P1"  # the first registration's unit stands


@pytest.mark.parametrize(
    "before",
    [
        (announce(),),
        (announce(), OPEN),
        REGISTERED,
        (*REGISTERED, START),
        JUDGING,
        PUBLISHED,
    ],
    ids=["announced", "registration", "registered", "in_progress", "judging", "public_notice"],
)
def test_rule_a_competition_is_cancelled_from_any_open_stage(before: tuple[object, ...]) -> None:
    state, events = run(*before, CANCEL)
    assert events[-1] == CompetitionCancelled("flooding")
    assert state.status == "cancelled"


@pytest.mark.parametrize(
    "before",
    [(), AWARDED, (*AWARDED, yes(), PAY, ARCHIVE), (announce(), CANCEL)],
    ids=["none", "awarded", "archived", "cancelled"],
)
def test_rule_a_competition_once_awarded_archived_or_cancelled_is_not_cancelled(
    before: tuple[object, ...],
) -> None:
    with pytest.raises(InvalidTransition):
        run(*before, CANCEL)


# -- scores --------------------------------------------------------------------------------


def test_rule_only_a_registered_participant_is_scored() -> None:
    with pytest.raises(NotEligible) as refused:
        run(*REGISTERED, START, score("P9", 80))
    assert refused.value.details == {"participant_id": "P9"}


@pytest.mark.parametrize("points", [0, 100])
def test_rule_a_score_of_0_or_100_is_accepted(points: int) -> None:
    state, _ = run(*REGISTERED, START, score("P1", points))
    assert state.scores == {"P1": points}


@pytest.mark.parametrize("points", [-1, 101])
def test_rule_a_score_outside_0_to_100_is_refused(points: int) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*REGISTERED, START, score("P1", points))
    assert refused.value.details == {"field": "score"}


# -- results and the 安康杯 rules -------------------------------------------------------------


def test_rule_results_go_under_public_notice_for_the_policy_number_of_days() -> None:
    state, events = run(*PUBLISHED)
    assert events[-1] == ResultsPublicized(PRIZES, (), NOTICE_STARTS, NOTICE_ENDS, VERSIONS)
    assert timedelta(days=NOTICE_DAYS) == NOTICE_ENDS - NOTICE_STARTS
    assert (state.status, state.awards, state.notice_ends_on) == (
        "public_notice",
        PRIZES,
        NOTICE_ENDS,
    )
    _, events = run(*JUDGING, publish(*PRIZES, starts_on=date(2026, 12, 28), notice_days=5))
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    assert published.ends_on == date(2027, 1, 2)  # starts_on + notice_days, across a year end


def test_rule_other_competitions_award_whatever_is_proposed_for_registered_participants() -> None:
    # No threshold, no safety agreement, no veto outside the 安康杯.
    state, events = run(
        *JUDGING,
        fatal("P2"),
        publish(*PRIZES, award("P9", 50_000), safe=frozenset(), min_score=99),
    )
    assert events[-1] == ResultsPublicized(
        PRIZES, (AwardRefused("P9", "NotRegistered"),), NOTICE_STARTS, NOTICE_ENDS, VERSIONS
    )
    assert state.awards == PRIZES
    _, events = run(
        *JUDGING, fatal("P2"), publish(*PRIZES, safe=frozenset(), min_score=99), confer()
    )
    assert events[-2] == AwardsConferred("C1", PRIZES, TOTAL, NOTICE_ENDS)


def test_rule_ankang_a_fatal_accident_vetoes_the_award_whatever_the_score() -> None:
    state, events = run(*ANKANG_JUDGING, score("E2", 100), fatal("E2"), publish(award("E2")))
    assert events[-1] == ResultsPublicized(
        (), (AwardRefused("E2", "FatalAccident"),), NOTICE_STARTS, NOTICE_ENDS, VERSIONS
    )
    assert state.fatal == frozenset({"E2"})
    _, events = run(*ANKANG_JUDGING, fatal("E2"), fatal("E2", date(2026, 6, 1)))
    assert kinds(events).count("FatalAccidentRecorded") == 1  # one veto is enough


@pytest.mark.parametrize(
    ("points", "awarded"), [(MIN_SCORE - 1, False), (MIN_SCORE, True), (MIN_SCORE + 1, True)]
)
def test_rule_ankang_a_winning_unit_reaches_the_minimum_score(points: int, awarded: bool) -> None:
    state, events = run(*ANKANG_JUDGING, score("E1", points), publish(award("E1")))
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    if awarded:
        assert (published.awards, published.refused) == ((award("E1"),), ())
    else:
        assert (published.awards, published.refused) == (
            (),
            (AwardRefused("E1", "BelowThreshold"),),
        )
    assert state.awards == published.awards


def test_rule_ankang_a_participant_never_scored_is_below_the_threshold() -> None:
    state, _ = run(announce("ankang"), OPEN, register("E1"), register("E2"), START, score("E1", 99))
    _, events = run(publish(award("E2")), state=state)
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    assert published.refused == (AwardRefused("E2", "BelowThreshold"),)


def test_rule_ankang_the_participants_unit_needs_a_safety_agreement_in_force() -> None:
    before = (
        announce("ankang"),
        OPEN,
        register("team-1", "E1"),
        START,
        score("team-1", 99),
    )
    # Flow F13: it is the unit's agreement that counts, not the participant's id.
    _, events = run(*before, publish(award("team-1"), safe=frozenset({"team-1", "E2"})))
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    assert published.refused == (AwardRefused("team-1", "NoSafetyAgreement"),)
    _, events = run(*before, publish(award("team-1"), safe=frozenset({"E1"})))
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    assert published.awards == (award("team-1"),)


def test_rule_ankang_every_refusal_is_recorded_with_its_reason_in_the_publication() -> None:
    state, events = run(
        announce("ankang"),
        OPEN,
        *(register(u) for u in ("E1", "E2", "E3", "E4")),
        START,
        score("E1", 96),
        score("E2", 99),
        score("E3", MIN_SCORE - 1),
        score("E4", 95),
        fatal("E2"),
        publish(
            award("E1", 50_000),
            award("E2"),
            award("E3"),
            award("E4"),
            award("E9"),
            safe=frozenset({"E1", "E2", "E3"}),
        ),
    )
    assert events[-1] == ResultsPublicized(
        (award("E1", 50_000),),
        (
            AwardRefused("E2", "FatalAccident"),
            AwardRefused("E3", "BelowThreshold"),
            AwardRefused("E4", "NoSafetyAgreement"),
            AwardRefused("E9", "NotRegistered"),
        ),
        NOTICE_STARTS,
        NOTICE_ENDS,
        VERSIONS,
    )
    assert state.awards == (award("E1", 50_000),)


def test_rule_ankang_the_veto_comes_before_the_score_and_the_score_before_the_agreement() -> None:
    _, events = run(
        announce("ankang"),
        OPEN,
        register("E1"),
        register("E2"),
        START,
        score("E1", 10),
        score("E2", 10),
        fatal("E1"),
        publish(award("E1"), award("E2"), safe=frozenset()),
    )
    published = events[-1]
    assert isinstance(published, ResultsPublicized)
    assert published.refused == (
        AwardRefused("E1", "FatalAccident"),
        AwardRefused("E2", "BelowThreshold"),
    )


# -- public notice, objections, conferral --------------------------------------------------


def test_rule_awards_are_conferred_only_once_the_public_notice_has_ended() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*PUBLISHED, confer(NOTICE_ENDS - timedelta(days=1)))
    assert refused.value.details == {"ends_on": NOTICE_ENDS.isoformat()}
    state, events = run(*PUBLISHED, confer(NOTICE_ENDS))
    assert events[-2] == AwardsConferred("C1", PRIZES, TOTAL, NOTICE_ENDS)
    assert state.status == "awarded"


def test_rule_awards_are_not_conferred_while_an_objection_is_open() -> None:
    raised = (*PUBLISHED, RaiseResultObjection("O1", "P1", "scores miscounted"))
    with pytest.raises(InvalidTransition) as refused:
        run(*raised, confer())
    assert refused.value.details == {"field": "objections"}
    state, _ = run(*raised, ResolveResultObjection("O1", False, "recount confirms"), confer())
    assert state.status == "awarded"


def test_rule_an_upheld_objection_removes_that_participants_award() -> None:
    state, events = run(
        *PUBLISHED,
        RaiseResultObjection("O1", "P1", "not eligible"),
        ResolveResultObjection("O1", True, "P1 was not employed in the period"),
        confer(),
    )
    assert events[-2:] == [
        AwardsConferred("C1", (PRIZES[1],), 100_000, NOTICE_ENDS),
        FundsReservationRequested(R1, 2026, LINE, 100_000, "Competition-C1", date(2026, 12, 31)),
    ]
    assert state.awards == (PRIZES[1],)


def test_rule_a_rejected_objection_leaves_the_award() -> None:
    _, events = run(
        *PUBLISHED,
        RaiseResultObjection("O1", "P1", "not eligible"),
        ResolveResultObjection("O1", False, "eligible after all"),
        confer(),
    )
    assert events[-2] == AwardsConferred("C1", PRIZES, TOTAL, NOTICE_ENDS)


def test_rule_an_objection_is_resolved_once_and_only_if_it_was_raised() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*PUBLISHED, ResolveResultObjection("O9", True, "x"))
    assert refused.value.details == {"field": "objection_id"}
    with pytest.raises(InvalidTransition):
        run(
            *PUBLISHED,
            RaiseResultObjection("O1", "P1", "x"),
            ResolveResultObjection("O1", False, "no"),
            ResolveResultObjection("O1", True, "yes after all"),
        )


def test_rule_ankang_a_fatal_accident_recorded_during_the_notice_removes_the_award() -> None:
    published = (*ANKANG_JUDGING, publish(award("E1", 200_000), award("E2", 100_000)))
    state, _ = run(*published)
    assert state.awards == (award("E1", 200_000), award("E2", 100_000))  # both passed
    state, events = run(*published, fatal("E1", NOTICE_STARTS + timedelta(days=2)), confer())
    assert events[-2:] == [
        AwardsConferred("C1", (award("E2", 100_000),), 100_000, NOTICE_ENDS),
        FundsReservationRequested(R1, 2026, LINE, 100_000, "Competition-C1", date(2026, 12, 31)),
    ]
    assert state.awards == (award("E2", 100_000),)


def test_rule_conferral_asks_funds_to_reserve_the_prize_total_on_the_competition_line() -> None:
    state, events = run(*AWARDED)
    assert events[-2:] == [
        AwardsConferred("C1", PRIZES, TOTAL, NOTICE_ENDS),
        FundsReservationRequested(R1, 2026, LINE, TOTAL, "Competition-C1", date(2026, 12, 31)),
    ]
    assert (state.request_id, state.attempts, state.funding) == (R1, 1, "pending")


def test_rule_conferral_without_prize_money_asks_funds_for_nothing() -> None:
    certificates = (award("P1", 0, "荣誉证书"), award("P2", 0, "荣誉证书"))
    state, events = run(*JUDGING, publish(*certificates), confer())
    assert events[-1] == AwardsConferred("C1", certificates, 0, NOTICE_ENDS)
    assert not any(isinstance(e, FundsReservationRequested) for e in events)
    assert (state.status, state.funding, state.request_id) == ("awarded", "none", None)
    with pytest.raises(InvalidTransition):  # nothing to pay
        run(PAY, state=state)
    with pytest.raises(InvalidTransition):  # nor to ask again for
        run(RequestPrizeFunds(), state=state)
    state, _ = run(ARCHIVE, state=state)
    assert state.status == "archived"


def test_rule_conferral_with_every_award_lost_asks_funds_for_nothing() -> None:
    _, events = run(
        *PUBLISHED,
        RaiseResultObjection("O1", "P1", "x"),
        RaiseResultObjection("O2", "P2", "x"),
        ResolveResultObjection("O1", True, "upheld"),
        ResolveResultObjection("O2", True, "upheld"),
        confer(),
    )
    assert events[-1] == AwardsConferred("C1", (), 0, NOTICE_ENDS)


# -- prize money (flow F10) ----------------------------------------------------------------


def test_rule_funds_reserving_the_prizes_records_the_funding_as_reserved() -> None:
    state, events = run(*AWARDED, yes())
    assert events[-1] == PrizeFundsAnswered(R1, True, "")
    assert state.funding == "reserved"


def test_rule_funds_refusing_the_prizes_records_the_funding_as_refused() -> None:
    state, events = run(*AWARDED, no())
    assert events[-1] == PrizeFundsAnswered(R1, False, "LineExhausted")
    assert (state.status, state.funding) == ("awarded", "refused")


def test_rule_an_answer_to_another_or_an_already_answered_request_is_ignored() -> None:
    for stale in (yes("prize:C1.7"), no("prize:C1.7"), yes("prize:C2.1")):
        _, events = run(*AWARDED, stale)
        assert kinds(events)[-1] == "FundsReservationRequested"
    state, events = run(*AWARDED, yes(), no())
    assert kinds(events)[-1] == "PrizeFundsAnswered"
    assert state.funding == "reserved"  # the first answer stands


def test_rule_prize_money_is_asked_again_only_after_a_refusal_with_the_next_request_id() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*AWARDED, RequestPrizeFunds())
    assert refused.value.details == {"funding": "pending"}
    with pytest.raises(InvalidTransition):
        run(*AWARDED, yes(), RequestPrizeFunds())
    state, events = run(*AWARDED, no(), RequestPrizeFunds())
    assert events[-1] == FundsReservationRequested(
        R2, 2026, LINE, TOTAL, "Competition-C1", date(2026, 12, 31)
    )
    assert (state.request_id, state.attempts, state.funding) == (R2, 2, "pending")
    state, events = run(*AWARDED, no(), RequestPrizeFunds(), yes(R1), no(R1))
    assert kinds(events)[-1] == "FundsReservationRequested"  # the first attempt's replies
    state, events = run(*AWARDED, no(), RequestPrizeFunds(), yes(R2))
    assert events[-1] == PrizeFundsAnswered(R2, True, "")
    assert state.funding == "reserved"


def test_rule_prizes_are_paid_only_once_funds_has_reserved_them() -> None:
    for before in [AWARDED, (*AWARDED, no()), (*AWARDED, yes(), PAY)]:
        with pytest.raises(InvalidTransition):
            run(*before, PAY)
    state, events = run(*AWARDED, yes(), PAY)
    assert events[-2:] == [
        PrizesPaid(TOTAL, "V-2026-081"),
        FundsSpendReported(R1, 2026, LINE, TOTAL, "V-2026-081"),
    ]
    assert state.funding == "paid"
    _, events = run(*AWARDED, no(), RequestPrizeFunds(), yes(R2), PAY)
    assert events[-1] == FundsSpendReported(R2, 2026, LINE, TOTAL, "V-2026-081")


@pytest.mark.parametrize(
    ("before", "funding"), [(AWARDED, "pending"), ((*AWARDED, yes()), "reserved")]
)
def test_rule_a_competition_is_not_archived_while_prize_money_is_asked_for_or_held(
    before: tuple[object, ...], funding: str
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*before, ARCHIVE)
    assert refused.value.details == {"funding": funding}


@pytest.mark.parametrize(
    "before", [(*AWARDED, yes(), PAY), (*AWARDED, no())], ids=["paid", "refused"]
)
def test_rule_a_competition_is_archived_once_its_prizes_are_paid_or_refused(
    before: tuple[object, ...],
) -> None:
    state, events = run(*before, ARCHIVE)
    assert events[-1] == CompetitionArchived(date(2026, 12, 30))
    assert state.status == "archived"


def test_rule_a_competition_refuses_other_services_commands() -> None:
    with pytest.raises(TypeError):
        run(object())


# -- properties ----------------------------------------------------------------------------

UNITS = ("E1", "E2", "E3")
PROGRESS: tuple[object, ...] = (
    OPEN,
    *(register(u) for u in UNITS),
    START,
    score("E1", 100),
    score("E2", MIN_SCORE),
    publish(
        award("E1", 300_000),
        award("E2", 200_000),
        award("E3", 0),
        award("E9", 100_000),
        safe=frozenset({"E1", "E3"}),
    ),
    confer(),
    RequestPrizeFunds(),
    PAY,
    ARCHIVE,
)
"""The forward steps, weighted up in the pool so walks get far."""

COMPETITION_COMMANDS: tuple[object, ...] = (
    *PROGRESS,
    *PROGRESS,
    *PROGRESS,
    register("E1", "E9"),
    *(score(u, p) for u in UNITS for p in (MIN_SCORE - 1, MIN_SCORE, 100)),
    score("E9", 95),
    score("E1", 101),
    *(fatal(u) for u in UNITS),
    publish(award("E2", 0)),
    RaiseResultObjection("O1", "E1", "x"),
    RaiseResultObjection("O2", "E2", "x"),
    ResolveResultObjection("O1", True, "upheld"),
    ResolveResultObjection("O1", False, "rejected"),
    ResolveResultObjection("O2", True, "upheld"),
    ResolveResultObjection("O9", True, "unknown"),
    confer(NOTICE_ENDS - timedelta(days=1)),
)


def prize_answers(answers: list[bool]) -> tuple[object, ...]:
    """What a consistent funds says: one answer per attempt."""
    return tuple(
        (yes if reserved else no)(f"prize:C1.{n}") for n, reserved in enumerate(answers, start=1)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["labour", "ankang"]),
    st.booleans(),
    st.lists(st.booleans(), min_size=4, max_size=4),
    st.lists(st.integers(0, 80), max_size=40),
)
def test_property_replaying_a_competitions_recorded_events_gives_the_live_state(
    kind: str, cancel: bool, answers: list[bool], picks: list[int]
) -> None:
    funds = prize_answers(answers)
    cancelling = (CANCEL,) if cancel else ()
    pool = (announce(kind), *COMPETITION_COMMANDS, *cancelling, *funds, *funds, yes("prize:C1.9"))
    log: list[object] = []
    for _, events, state in walk(COMPETITION, pool, picks):
        log += [recorded(e) for e in events]
        assert COMPETITION.fold(log) == state
    final = COMPETITION.fold(log)
    # Only registered participants are ever awarded, and the 安康杯's rules hold at conferral.
    for e in log:
        if isinstance(e, AwardsConferred | ResultsPublicized):
            assert {a.participant_id for a in e.awards} <= set(final.participants)
        if isinstance(e, AwardsConferred):
            assert e.prize_total_fen == sum(a.prize_fen for a in e.awards)
            if kind == "ankang":
                for a in e.awards:
                    assert a.participant_id not in final.fatal
                    assert final.scores.get(a.participant_id, 0) >= MIN_SCORE
    # Prize money: asked once per attempt, in order; what funds reserved is paid or still held.
    asked = [e.request_id for e in log if isinstance(e, FundsReservationRequested)]
    assert asked == [f"prize:C1.{n}" for n in range(1, len(asked) + 1)]
    numbers = {rid: int(rid.rsplit(".", 1)[1]) for rid in asked}
    reserved = {rid for rid, n in numbers.items() if n <= len(answers) and answers[n - 1]}
    spent = {e.request_id for e in log if isinstance(e, FundsSpendReported)}
    held = {final.request_id} if final.funding in ("pending", "reserved") else set()
    assert reserved <= spent | held
    assert not any(isinstance(e, FundsReleaseRequested) for e in log)
    if final.status == "archived":
        assert final.funding not in ("pending", "reserved")


def test_rule_a_lapsed_prize_reservation_waits_on_funds_again_and_is_asked_for_anew() -> None:
    lapsed = PrizeFunds(R1, False, "", lapsed=True)
    state, events = run(*AWARDED, yes(), lapsed)
    assert events[-1] == PrizeFundsAnswered(R1, False, "ReservationExpired")
    assert state.funding == "refused"  # pay_prizes is refused; the prizes show pending
    state, events = run(*AWARDED, yes(), lapsed, RequestPrizeFunds())
    assert events[-1].request_id == R2  # type: ignore[attr-defined]
    _, events = run(*AWARDED, yes(), PayPrizes("B-1"), lapsed)
    assert kinds(events)[-1] == "FundsSpendReported"  # once paid, a lapse changes nothing
