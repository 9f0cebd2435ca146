"""InnovationStudio and ModelWorkerStartupBase (domain §2.2 C3, C4): naming on the
leader's model-worker level and the team's size, the subsidy through funds (flow F9),
yearly projects, reconfirmation and revocation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.competitions.domain import (
    STUDIO,
    ApplyStudio,
    FlagReconfirmation,
    InvalidTransition,
    NameStudio,
    NotEligible,
    PaySubsidy,
    Reconfirm,
    RecordProject,
    RecordResult,
    RequestSubsidyAgain,
    ReviewStudio,
    Revoke,
    Studio,
    SubsidyAnswer,
    studio_stream,
)
from services.competitions.events import (
    FundsReleaseRequested,
    FundsReservationRequested,
    FundsSpendReported,
    StudioApplicationRefused,
    StudioApplied,
    StudioNamed,
    StudioProjectRecorded,
    StudioReconfirmationDue,
    StudioReconfirmed,
    StudioResultRecorded,
    StudioReviewed,
    StudioRevoked,
    StudioSubsidyPaid,
    StudioSubsidyPending,
    StudioSubsidyRequested,
    StudioSubsidyReserved,
    StudioSubsidySuperseded,
)
from services.competitions.honours import LEVELS, level_at_least
from tests.unit.competitions.kit import kinds, number, recorded, run_with, text, version, walk

LINE = text("studio.line")
MIN_TEAM = number("studio.min_team")
YEARS = number("studio.reconfirm_years")
NEW = {level: number(f"studio.subsidy.{level}.new_fen") for level in LEVELS}
RECONFIRMED = {level: number(f"studio.subsidy.{level}.reconfirmed_fen") for level in LEVELS}
NAMING_VERSIONS = (version("studio.min_team"), version("studio.reconfirm_years"))
TEAM = ("W1", "W2", "W3", "W4", "W5")
APPLIED_ON = date(2026, 1, 12)
NAMED_ON = date(2026, 3, 2)
DUE = date(2029, 3, 2)
R1, R2, R3 = "studio:S1.1", "studio:S1.2", "studio:S1.3"
STUDIO_NAME = "王师傅劳模创新工作室"


def run(*commands: object, state: Studio | None = None) -> tuple[Studio, list[object]]:
    return run_with(STUDIO, *commands, state=state)


def apply(
    level: str = "city",
    team: tuple[str, ...] = TEAM,
    kind: str = "model_worker_studio",
    on: date = APPLIED_ON,
) -> ApplyStudio:
    return ApplyStudio("S1", kind, STUDIO_NAME, "E1", "L1", team, level, on)


REVIEW = ReviewStudio("reviewer-1", "六有 in place")


def name(
    leader_level: str | None = "city",
    active: bool = True,
    *,
    level: str = "city",
    min_team: int = MIN_TEAM,
    subsidy: int | None = None,
    on: date = NAMED_ON,
    years: int = YEARS,
) -> NameStudio:
    amount = NEW[level] if subsidy is None else subsidy
    key = f"studio.subsidy.{level}.new_fen"
    return NameStudio(
        on, leader_level, active, min_team, years, amount, version(key), LINE, NAMING_VERSIONS
    )


def yes(request_id: str = R1) -> SubsidyAnswer:
    return SubsidyAnswer(request_id, True, "")


def no(request_id: str = R1) -> SubsidyAnswer:
    return SubsidyAnswer(request_id, False, "LineExhausted")


def project(year: int) -> RecordProject:
    return RecordProject(f"PJ-{year}", year, f"{year} 年攻关项目")


def reconfirm(today: date = DUE, level: str = "city") -> Reconfirm:
    key = f"studio.subsidy.{level}.reconfirmed_fen"
    return Reconfirm(today, YEARS, RECONFIRMED[level], version(key))


PAY = PaySubsidy("V-2026-033")
REVOKE = Revoke("六有 no longer met", date(2027, 5, 10))
FLAG = FlagReconfirmation(DUE)
REVIEWED: tuple[object, ...] = (apply(), REVIEW)
NAMED: tuple[object, ...] = (*REVIEWED, name())
PROJECTS: tuple[object, ...] = (project(2026), project(2027), project(2028))
DUE_PATH: tuple[object, ...] = (*NAMED, yes(), PAY, *PROJECTS, FLAG)


# -- application, review, naming -----------------------------------------------------------


def test_rule_a_studio_runs_from_application_through_naming_and_subsidy_to_reconfirmation() -> None:
    state, events = run(*DUE_PATH, reconfirm())
    assert kinds(events) == [
        "StudioApplied",
        "StudioReviewed",
        "StudioNamed",
        "StudioSubsidyRequested",
        "FundsReservationRequested",
        "StudioSubsidyReserved",
        "StudioSubsidyPaid",
        "FundsSpendReported",
        "StudioProjectRecorded",
        "StudioProjectRecorded",
        "StudioProjectRecorded",
        "StudioReconfirmationDue",
        "StudioReconfirmed",
        "StudioSubsidyRequested",
        "FundsReservationRequested",
    ]
    assert events[:2] == [
        StudioApplied(
            "S1",
            "model_worker_studio",
            "王师傅劳模创新工作室",
            "E1",
            "L1",
            TEAM,
            "city",
            APPLIED_ON,
        ),
        StudioReviewed("reviewer-1", "六有 in place"),
    ]
    assert (state.status, state.reconfirm_due_on, state.projects) == (
        "named",
        date(2032, 3, 2),
        frozenset({2026, 2027, 2028}),
    )
    assert studio_stream("S1") == "Studio-S1"


def test_rule_a_studio_is_reviewed_only_once_applied_and_named_only_once_reviewed() -> None:
    with pytest.raises(InvalidTransition):
        run(REVIEW)
    with pytest.raises(InvalidTransition):
        run(apply(), name())
    with pytest.raises(InvalidTransition):
        run(*REVIEWED, REVIEW)
    with pytest.raises(InvalidTransition):
        run(*NAMED, name())


def test_rule_naming_records_the_studio_and_asks_funds_for_the_new_studio_subsidy() -> None:
    state, events = run(*NAMED)
    assert events[2:] == [
        StudioNamed(
            "S1",
            "model_worker_studio",
            "city",
            "L1",
            "city",
            len(TEAM),
            NAMED_ON,
            NAMED_ON.replace(year=NAMED_ON.year + YEARS),
            NAMING_VERSIONS,
        ),
        StudioSubsidyRequested(R1, NEW["city"], "new", version("studio.subsidy.city.new_fen")),
        FundsReservationRequested(R1, 2026, LINE, NEW["city"], "Studio-S1", date(2026, 12, 31)),
    ]
    assert (state.status, state.request_id, state.subsidy, state.subsidy_fen) == (
        "named",
        R1,
        "pending",
        NEW["city"],
    )


@pytest.mark.parametrize(
    ("leader_level", "active"), [(None, True), (None, False), ("city", False), ("national", False)]
)
def test_rule_a_studio_led_by_no_active_model_worker_is_refused(
    leader_level: str | None, active: bool
) -> None:
    state, events = run(*REVIEWED, name(leader_level, active))
    assert events[-1] == StudioApplicationRefused(
        "LeaderNotModelWorker", "the leader is not an active model worker"
    )
    assert state.status == "refused"
    assert not any(isinstance(e, FundsReservationRequested) for e in events)


def test_rule_a_county_level_leader_is_too_low_for_a_city_studio() -> None:
    state, events = run(*REVIEWED, name("county"))
    refused = events[-1]
    assert isinstance(refused, StudioApplicationRefused)
    assert refused.reason == "LeaderLevelTooLow"
    assert state.status == "refused"


@pytest.mark.parametrize("studio_level", LEVELS)
@pytest.mark.parametrize("leader_level", LEVELS)
def test_rule_a_studio_needs_a_leader_of_at_least_its_level(
    studio_level: str, leader_level: str
) -> None:
    state, events = run(apply(studio_level), REVIEW, name(leader_level, level=studio_level))
    high_enough = LEVELS.index(leader_level) >= LEVELS.index(studio_level)
    assert high_enough == level_at_least(leader_level, studio_level)
    if high_enough:
        assert state.status == "named"
        assert events[-1] == FundsReservationRequested(
            R1, 2026, LINE, NEW[studio_level], "Studio-S1", date(2026, 12, 31)
        )
        named = events[2]
        assert isinstance(named, StudioNamed)
        assert (named.level, named.leader_level) == (studio_level, leader_level)
    else:
        assert state.status == "refused"
        assert events[-1] == StudioApplicationRefused(
            "LeaderLevelTooLow", f"a {studio_level} studio needs a {studio_level}-level leader"
        )


@pytest.mark.parametrize(("size", "named"), [(MIN_TEAM - 1, False), (MIN_TEAM, True)])
def test_rule_a_studio_needs_a_team_of_at_least_the_minimum(size: int, named: bool) -> None:
    team = tuple(f"W{n}" for n in range(1, size + 1))
    state, events = run(apply(team=team), REVIEW, name())
    if named:
        assert state.status == "named"
        assert isinstance(events[2], StudioNamed)
        assert events[2].team_size == MIN_TEAM
    else:
        assert events[-1] == StudioApplicationRefused(
            "TeamTooSmall", f"a team of at least {MIN_TEAM}"
        )
        assert state.status == "refused"


def test_rule_a_team_member_listed_twice_counts_once() -> None:
    padded = (*TEAM[:-1], TEAM[0])
    assert len(padded) == MIN_TEAM
    _, events = run(apply(team=padded), REVIEW, name())
    assert events[-1] == StudioApplicationRefused("TeamTooSmall", f"a team of at least {MIN_TEAM}")
    _, events = run(apply(team=(*TEAM, "W1", "W2")), REVIEW, name())
    assert isinstance(events[2], StudioNamed)
    assert events[2].team_size == len(TEAM)


def test_rule_the_leader_is_checked_before_the_level_and_the_level_before_the_team() -> None:
    small = apply(team=("W1",))
    _, events = run(small, REVIEW, name(None))
    assert isinstance(events[-1], StudioApplicationRefused)
    assert events[-1].reason == "LeaderNotModelWorker"
    _, events = run(small, REVIEW, name("county"))
    assert isinstance(events[-1], StudioApplicationRefused)
    assert events[-1].reason == "LeaderLevelTooLow"


@pytest.mark.parametrize(
    ("named_on", "years", "due"),
    [
        (date(2026, 3, 2), 3, date(2029, 3, 2)),
        (date(2028, 2, 29), 3, date(2031, 2, 28)),  # no 29 February in 2031
        (date(2028, 2, 29), 4, date(2032, 2, 29)),
    ],
)
def test_rule_reconfirmation_falls_due_the_policy_years_after_naming(
    named_on: date, years: int, due: date
) -> None:
    state, events = run(*REVIEWED, name(on=named_on, years=years))
    named = events[2]
    assert isinstance(named, StudioNamed)
    assert (named.named_on, named.reconfirm_due_on, state.reconfirm_due_on) == (named_on, due, due)


def test_rule_a_studio_named_with_no_subsidy_asks_funds_for_nothing() -> None:
    state, events = run(*REVIEWED, name(subsidy=0))
    assert kinds(events) == ["StudioApplied", "StudioReviewed", "StudioNamed"]
    assert (state.status, state.subsidy, state.request_id) == ("named", "none", None)
    for then in (PAY, RequestSubsidyAgain()):
        with pytest.raises(InvalidTransition):
            run(then, state=state)


def test_rule_a_startup_base_follows_the_same_lifecycle() -> None:
    state, events = run(apply(kind="startup_base"), REVIEW, name())
    assert isinstance(events[2], StudioNamed)
    assert events[2].kind == "startup_base"
    assert state.kind == "startup_base"


# -- the subsidy through funds (flow F9) ---------------------------------------------------


def test_rule_funds_reserving_the_subsidy_records_it_as_reserved() -> None:
    state, events = run(*NAMED, yes())
    assert events[-1] == StudioSubsidyReserved(R1, NEW["city"])
    assert state.subsidy == "reserved"


def test_rule_funds_refusing_the_subsidy_leaves_the_studio_named_and_the_subsidy_refused() -> None:
    state, events = run(*NAMED, no())
    assert events[-1] == StudioSubsidyPending(R1, "LineExhausted")
    assert (state.status, state.subsidy) == ("named", "refused")


def test_rule_an_answer_to_another_or_an_already_answered_request_is_ignored() -> None:
    for stale in (yes("studio:S1.7"), no("studio:S2.1")):
        _, events = run(*NAMED, stale)
        assert kinds(events)[-1] == "FundsReservationRequested"
    state, events = run(*NAMED, yes(), no())
    assert kinds(events)[-1] == "StudioSubsidyReserved"
    assert state.subsidy == "reserved"


def test_rule_the_subsidy_is_asked_again_only_after_a_refusal_with_the_next_request_id() -> None:
    for before in (NAMED, (*NAMED, yes()), (*NAMED, yes(), PAY)):
        with pytest.raises(InvalidTransition):
            run(*before, RequestSubsidyAgain())
    state, events = run(*NAMED, no(), RequestSubsidyAgain())
    assert events[-2:] == [
        StudioSubsidyRequested(R2, NEW["city"], "new", version("studio.subsidy.city.new_fen")),
        FundsReservationRequested(R2, 2026, LINE, NEW["city"], "Studio-S1", date(2026, 12, 31)),
    ]
    assert (state.request_id, state.attempts, state.subsidy) == (R2, 2, "pending")
    _, events = run(*NAMED, no(), RequestSubsidyAgain(), yes(R1))
    assert kinds(events)[-1] == "FundsReservationRequested"  # the first attempt's reply
    state, events = run(*NAMED, no(), RequestSubsidyAgain(), yes(R2))
    assert events[-1] == StudioSubsidyReserved(R2, NEW["city"])


def test_rule_asking_again_keeps_the_basis_and_version_of_the_refused_request() -> None:
    state, events = run(*DUE_PATH, reconfirm(), no(R2), RequestSubsidyAgain())
    reconfirmed_version = version("studio.subsidy.city.reconfirmed_fen")
    assert events[-2:] == [
        StudioSubsidyRequested(R3, RECONFIRMED["city"], "reconfirmed", reconfirmed_version),
        FundsReservationRequested(
            R3, 2029, LINE, RECONFIRMED["city"], "Studio-S1", date(2029, 12, 31)
        ),
    ]
    assert state.request_id == R3


def test_rule_the_subsidy_is_paid_only_once_funds_has_reserved_it() -> None:
    for before in (NAMED, (*NAMED, no()), (*NAMED, yes(), PAY), REVIEWED):
        with pytest.raises(InvalidTransition):
            run(*before, PAY)
    state, events = run(*NAMED, yes(), PAY)
    assert events[-2:] == [
        StudioSubsidyPaid(R1, NEW["city"], "V-2026-033"),
        FundsSpendReported(R1, 2026, LINE, NEW["city"], "V-2026-033"),
    ]
    assert state.subsidy == "paid"


# -- projects, results, reconfirmation -----------------------------------------------------


def test_rule_projects_and_results_are_recorded_once_the_studio_is_named() -> None:
    result = RecordResult("RS1", "patent", "一种焊接夹具", 3_000_000)
    for command in (project(2026), result):
        with pytest.raises(InvalidTransition):
            run(*REVIEWED, command)
    state, events = run(*NAMED, project(2026), project(2026), result)
    assert events[-3:] == [
        StudioProjectRecorded("PJ-2026", 2026, "2026 年攻关项目"),
        StudioProjectRecorded("PJ-2026", 2026, "2026 年攻关项目"),
        StudioResultRecorded("RS1", "patent", "一种焊接夹具", 3_000_000),
    ]
    assert state.projects == frozenset({2026})


def test_rule_reconfirmation_is_flagged_from_the_due_date_and_only_once() -> None:
    before = (*NAMED, *PROJECTS)
    _, events = run(*before, FlagReconfirmation(date(2029, 3, 1)))
    assert kinds(events)[-1] == "StudioProjectRecorded"  # not due yet
    state, events = run(*before, FlagReconfirmation(DUE))
    assert events[-1] == StudioReconfirmationDue(DUE)
    assert (state.status, state.due_flagged) == ("due", True)
    _, events = run(*before, FlagReconfirmation(date(2030, 1, 1)), FLAG, FLAG)
    assert kinds(events).count("StudioReconfirmationDue") == 1
    assert events[-1] == StudioReconfirmationDue(DUE)  # the due date, not the day noticed


@pytest.mark.parametrize(
    "before",
    [(), (apply(),), REVIEWED, (*REVIEWED, name(None)), (*NAMED, REVOKE)],
    ids=["none", "applied", "reviewed", "refused", "revoked"],
)
def test_rule_only_a_named_studio_falls_due(before: tuple[object, ...]) -> None:
    state, events = run(*before, FlagReconfirmation(date(2040, 1, 1)))
    assert not any(isinstance(e, StudioReconfirmationDue) for e in events)
    assert state.status != "due"


def test_rule_a_studio_is_reconfirmed_only_when_due() -> None:
    with pytest.raises(InvalidTransition):
        run(*NAMED, *PROJECTS, reconfirm())


def test_rule_reconfirmation_needs_a_project_in_every_year_since_naming() -> None:
    with pytest.raises(NotEligible) as refused:
        run(*NAMED, project(2026), project(2028), FLAG, reconfirm())
    assert refused.value.details == {"missing_years": [2027]}
    with pytest.raises(NotEligible) as refused:
        run(*NAMED, FLAG, reconfirm())
    assert refused.value.details == {"missing_years": [2026, 2027, 2028]}
    with pytest.raises(NotEligible) as refused:  # reconfirmed late: that year counts too
        run(*NAMED, *PROJECTS, FLAG, reconfirm(date(2030, 2, 1)))
    assert refused.value.details == {"missing_years": [2029]}


def test_rule_the_current_year_needs_no_project_yet() -> None:
    state, events = run(*DUE_PATH, reconfirm())
    assert events[-3:] == [
        StudioReconfirmed(DUE, date(2032, 3, 2)),
        StudioSubsidyRequested(
            R2, RECONFIRMED["city"], "reconfirmed", version("studio.subsidy.city.reconfirmed_fen")
        ),
        FundsReservationRequested(
            R2, 2029, LINE, RECONFIRMED["city"], "Studio-S1", date(2029, 12, 31)
        ),
    ]
    assert (state.status, state.due_flagged, state.reconfirm_due_on) == (
        "named",
        False,
        date(2032, 3, 2),
    )


@pytest.mark.parametrize(
    ("before", "released"),
    [((), True), ((yes(),), True), ((no(),), False)],
    ids=["asked", "reserved", "refused by funds"],
)
def test_rule_an_unpaid_subsidy_is_given_up_when_the_reconfirmation_asks_for_its_own(
    before: tuple[object, ...], released: bool
) -> None:
    state, events = run(*NAMED, *before, *PROJECTS, FLAG, reconfirm())
    given_up = events[events.index(StudioReconfirmed(DUE, date(2032, 3, 2))) + 1 :]
    release = [FundsReleaseRequested(R1, 2026, LINE, "superseded")] if released else []
    assert given_up[: 1 + len(release)] == [StudioSubsidySuperseded(R1, NEW["city"]), *release]
    assert kinds(given_up)[-2:] == ["StudioSubsidyRequested", "FundsReservationRequested"]
    assert (state.request_id, state.subsidy) == (R2, "pending")
    # funds' late yes to the given-up request is given back; a late no changes nothing.
    _, events = run(*NAMED, *before, *PROJECTS, FLAG, reconfirm(), yes(R1))
    assert events[-1] == FundsReleaseRequested(R1, 2026, LINE, "superseded")
    _, events = run(*NAMED, *before, *PROJECTS, FLAG, reconfirm(), no(R1))
    assert kinds(events)[-1] == "FundsReservationRequested"


def test_rule_a_reconfirmed_studio_falls_due_again_after_the_next_period() -> None:
    again = (*DUE_PATH, reconfirm(), yes(R2))
    _, events = run(*again, FlagReconfirmation(date(2032, 3, 1)))
    assert kinds(events)[-1] == "StudioSubsidyReserved"
    state, events = run(*again, FlagReconfirmation(date(2032, 3, 2)))
    assert events[-1] == StudioReconfirmationDue(date(2032, 3, 2))
    assert state.status == "due"


# -- revocation and re-application ---------------------------------------------------------


@pytest.mark.parametrize(
    "before", [NAMED, (*NAMED, yes())], ids=["subsidy asked", "subsidy reserved"]
)
def test_rule_revoking_a_studio_with_its_subsidy_asked_or_held_releases_it(
    before: tuple[object, ...],
) -> None:
    state, events = run(*before, REVOKE)
    assert events[-2:] == [
        StudioRevoked("六有 no longer met", date(2027, 5, 10)),
        FundsReleaseRequested(R1, 2026, LINE, "revoked"),
    ]
    assert state.status == "revoked"


@pytest.mark.parametrize(
    "before",
    [(*NAMED, yes(), PAY), (*NAMED, no()), (*REVIEWED, name(subsidy=0)), (*DUE_PATH,)],
    ids=["paid", "refused", "none", "due"],
)
def test_rule_revoking_a_studio_with_no_subsidy_held_releases_nothing(
    before: tuple[object, ...],
) -> None:
    state, events = run(*before, REVOKE)
    assert events[-1] == StudioRevoked("六有 no longer met", date(2027, 5, 10))
    assert not any(isinstance(e, FundsReleaseRequested) for e in events)
    assert state.status == "revoked"


@pytest.mark.parametrize("before", [(), (apply(),), REVIEWED, (*NAMED, REVOKE)])
def test_rule_only_a_named_studio_is_revoked(before: tuple[object, ...]) -> None:
    with pytest.raises(InvalidTransition):
        run(*before, REVOKE)


def test_rule_a_late_reservation_for_a_revoked_studio_is_released() -> None:
    revoked = (*NAMED, REVOKE)  # funds had not answered yet
    state, events = run(*revoked, yes())
    # The release sent at revoking may have reached funds before the reservation did.
    assert events[-1] == FundsReleaseRequested(R1, 2026, LINE, "revoked")
    assert not any(isinstance(e, StudioSubsidyReserved) for e in events)
    assert state.status == "revoked"
    _, events = run(*revoked, no())
    assert kinds(events)[-1] == "FundsReleaseRequested"  # a refusal needs nothing back
    assert len(events) == len(run(*revoked)[1])
    _, events = run(*revoked, yes("studio:S1.7"))
    assert len(events) == len(run(*revoked)[1])
    with pytest.raises(InvalidTransition):  # and nothing is paid to a revoked studio
        run(*revoked, yes(), PAY)


@pytest.mark.parametrize(
    "before",
    [(*REVIEWED, name(None)), (*NAMED, REVOKE)],
    ids=["refused", "revoked"],
)
def test_rule_a_refused_or_revoked_studio_may_apply_again(before: tuple[object, ...]) -> None:
    state, events = run(*before, apply(on=date(2027, 9, 1)))
    assert isinstance(events[-1], StudioApplied)
    assert (state.status, state.projects, state.named_on) == ("applied", frozenset(), None)


@pytest.mark.parametrize(
    "before", [(apply(),), REVIEWED, NAMED, DUE_PATH], ids=["applied", "reviewed", "named", "due"]
)
def test_rule_a_studio_in_progress_or_named_does_not_apply_again(
    before: tuple[object, ...],
) -> None:
    with pytest.raises(InvalidTransition):
        run(*before, apply())


def test_rule_a_studio_named_again_asks_funds_under_a_new_request_id() -> None:
    # Funds answers a request id once ("its first answer stands"): a second life of the
    # studio must not ask under an id the first life used.
    state, events = run(
        *NAMED, yes(), PAY, REVOKE, apply(on=date(2027, 9, 1)), REVIEW, name(on=date(2027, 10, 8))
    )
    assert events[-1] == FundsReservationRequested(
        R2, 2027, LINE, NEW["city"], "Studio-S1", date(2027, 12, 31)
    )
    assert (state.status, state.request_id) == ("named", R2)
    state, events = run(yes(R2), state=state)
    assert events[-1] == StudioSubsidyReserved(R2, NEW["city"])


def test_rule_a_studio_refuses_other_services_commands() -> None:
    with pytest.raises(TypeError):
        run(object())


# -- properties ----------------------------------------------------------------------------

PROGRESS: tuple[object, ...] = (
    REVIEW,
    name(),
    PAY,
    RequestSubsidyAgain(),
    *(project(y) for y in range(2026, 2032)),
    FLAG,
    FlagReconfirmation(date(2032, 3, 2)),
    reconfirm(),
    reconfirm(date(2032, 3, 2)),
)
"""The forward steps, weighted up in the pool so walks get far."""

STUDIO_COMMANDS: tuple[object, ...] = (
    *PROGRESS,
    *PROGRESS,
    apply(),
    apply(team=TEAM[:2]),
    name(None),
    name("county"),
    name(subsidy=0),
    FlagReconfirmation(date(2029, 3, 1)),
    reconfirm(date(2030, 6, 1)),
    RecordResult("RS1", "method", "先进操作法", 0),
)


def subsidy_answers(answers: list[bool]) -> tuple[object, ...]:
    """What a consistent funds says: one answer per attempt."""
    return tuple(
        (yes if reserved else no)(f"studio:S1.{n}") for n, reserved in enumerate(answers, start=1)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.lists(st.integers(0, 60), max_size=40),
)
def test_property_replaying_a_studios_recorded_events_gives_the_live_state(
    revoke: bool, answers: list[bool], picks: list[int]
) -> None:
    funds = subsidy_answers(answers)
    revoking = (REVOKE,) if revoke else ()
    pool = (apply(), *STUDIO_COMMANDS, *revoking, *funds, *funds, yes("studio:S1.9"))
    log: list[object] = []
    for _, events, state in walk(STUDIO, pool, picks):
        log += [recorded(e) for e in events]
        assert STUDIO.fold(log) == state
    final = STUDIO.fold(log)
    # Each request to funds has an id of its own, in order, over every life of the studio.
    asked = [e.request_id for e in log if isinstance(e, FundsReservationRequested)]
    assert asked == [f"studio:S1.{n}" for n in range(1, len(asked) + 1)]
    assert asked == [e.request_id for e in log if isinstance(e, StudioSubsidyRequested)]
    spent = [e.request_id for e in log if isinstance(e, FundsSpendReported)]
    released = {e.request_id for e in log if isinstance(e, FundsReleaseRequested)}
    assert len(spent) == len(set(spent))  # paid once
    assert not set(spent) & released  # and never both paid out and given back
    assert set(spent) | released <= set(asked)
    for e in log:
        if isinstance(e, StudioNamed):  # C3: the leader's level and the team size
            assert level_at_least(e.leader_level, e.level)
            assert e.team_size >= MIN_TEAM
    if final.status == "revoked" and final.subsidy in ("pending", "reserved"):
        assert final.request_id in released


def test_rule_a_lapsed_subsidy_reservation_is_pending_again_and_asked_for_anew() -> None:
    lapsed = SubsidyAnswer(R1, False, "", lapsed=True)
    state, events = run(*NAMED, yes(), lapsed)
    assert events[-1] == StudioSubsidyPending(R1, "ReservationExpired")
    assert (state.status, state.subsidy) == ("named", "refused")
    _, events = run(*NAMED, yes(), lapsed, RequestSubsidyAgain())
    assert events[-1].request_id == R2  # type: ignore[attr-defined]
    _, events = run(*NAMED, no(), lapsed)
    assert kinds(events)[-1] == "StudioSubsidyPending"  # nothing was held: no second event
    assert len([e for e in events if isinstance(e, StudioSubsidyPending)]) == 1
