"""HardshipFamilyFile (一户一档): the filing procedure and dynamic management, rule by rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aid.domain import (
    EXCLUSIONS,
    HARDSHIP_FILE,
    ClosePublicNotice,
    ConvertTemporary,
    Deregister,
    EstablishFile,
    File,
    FlagReviewDue,
    InvalidTransition,
    LiftOut,
    NotEligible,
    PreliminaryReview,
    RaiseObjection,
    ReasonRequired,
    Reclassify,
    RecordAnnualReview,
    RecordHomeVisit,
    RecordVerification,
    RequestVerification,
    StartPublicNotice,
    SubmitApplication,
    TransferFile,
)
from services.aid.events import (
    AnnualReviewDue,
    HardshipApplicationRejected,
    HardshipCategoryChanged,
    HardshipCategoryComputed,
    HardshipFamilyLiftedOut,
    HardshipFileDeregistered,
    HardshipFileEstablished,
    HardshipFileReviewed,
    HardshipFileTransferred,
    HardshipPublicNoticeClosed,
    HouseholdIncomeVerificationRequested,
    HouseholdIncomeVerified,
    TemporaryFileConverted,
)
from tests.unit.aid.kit import POLICY, TODAY, finances, kinds, recorded, run_with, walk

REVIEW_DAYS = 365
NOTICE_DAYS = 5


def run(*commands: object) -> tuple[File, list[object]]:
    return run_with(HARDSHIP_FILE, *commands)


def submit(
    household: str = "H1",
    *,
    temporary: bool = False,
    exclusions: tuple[str, ...] = (),
    migrant: bool = False,
    member_active: bool = True,
    union: str = "U1",
) -> SubmitApplication:
    return SubmitApplication(
        household,
        "P1",
        union,
        ("P1", "P2", "P3"),
        ("illness", "unemployment"),
        temporary,
        exclusions,
        ("P1/property_exclusions@1",),
        migrant,
        member_active,
        ("id_number", "bank_account", "per_capita_monthly_income_fen"),
        TODAY,
    )


REVIEW = PreliminaryReview(True, "家庭困难属实", "chair-1")
VISIT = RecordHomeVisit(("cw-1", "cw-2"), TODAY, True, ("home_visit_findings", "housing"))
VERIFY = RequestVerification("verify-1")


def result(
    request_id: str = "verify-1", outcome: str = "verified", per_capita: int = 50_000
) -> RecordVerification:
    return RecordVerification(request_id, outcome, TODAY, finances(per_capita), POLICY)


NOTICE = StartPublicNotice(TODAY, "union noticeboard", "张*", NOTICE_DAYS, "notice@2022-01-01")
ENDS = TODAY + timedelta(days=NOTICE_DAYS)
CLOSE = ClosePublicNotice(False, "no objection", ENDS)


def establish(
    category: str | None = None, reason: str | None = None, today: date = ENDS
) -> EstablishFile:
    return EstablishFile(category, reason, "county", today, REVIEW_DAYS)


UP_TO_NOTICE: tuple[object, ...] = (submit(), REVIEW, VISIT, VERIFY, result(), NOTICE)
NOTICED: tuple[object, ...] = (*UP_TO_NOTICE, CLOSE)
FILED: tuple[object, ...] = (*NOTICED, establish())
"""A deep-hardship household (50,000 fen a head against a 78,000 standard), filed."""
FILED_DUE = ENDS + timedelta(days=REVIEW_DAYS)

FULL_PATH: tuple[object, ...] = (
    *NOTICED[:-1],
    RaiseObjection("obj-1", "neighbour says they own a shop"),
    ClosePublicNotice(False, "checked: the shop is a relative's", ENDS),
    establish(),
    Reclassify("relative", "a child started work"),
    FlagReviewDue(FILED_DUE),
    RecordAnnualReview("still in hardship", FILED_DUE, REVIEW_DAYS),
    TransferFile("U2", "employer dissolved"),
    LiftOut("re-employed", FILED_DUE),
)
"""Every step a household's file takes, for the log round-trip test."""


def test_rule_the_full_procedure_files_the_household_with_the_computed_category() -> None:
    state, events = run(*FILED)
    assert kinds(events) == [
        "HardshipApplicationSubmitted",
        "HardshipApplicationPreliminarilyApproved",
        "HardshipHomeVisitRecorded",
        "HouseholdIncomeVerificationRequested",
        "HouseholdIncomeVerified",
        "HardshipCategoryComputed",
        "HardshipPublicNoticeStarted",
        "HardshipPublicNoticeClosed",
        "HardshipFileEstablished",
    ]
    assert events[3] == HouseholdIncomeVerificationRequested("verify-1", "H1")
    assert events[5] == HardshipCategoryComputed(
        "deep", finances(50_000).refs, 78_000, 10_000, 20_000, 8_000, POLICY.versions
    )
    assert events[-1] == HardshipFileEstablished("deep", "county", False, "deep", None, FILED_DUE)
    assert (state.status, state.category, state.review_due_on) == ("filed", "deep", FILED_DUE)
    assert state.active


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_rule_each_exclusion_refuses_at_submission(exclusion: str) -> None:
    state, events = run(submit(exclusions=(exclusion,)))
    assert kinds(events) == ["HardshipApplicationSubmitted", "HardshipApplicationRejected"]
    rejected = HardshipApplicationRejected(
        "submission", "Excluded", "a property exclusion applies", ("P1/property_exclusions@1",)
    )
    assert events[-1] == rejected
    assert state.status == "rejected"


def test_rule_an_exclusions_code_never_reaches_the_log_and_unlisted_codes_are_ignored() -> None:
    _, events = run(submit(exclusions=("owns_two_or_more_homes", "has_a_pet", *EXCLUSIONS[3:])))
    assert kinds(events)[-1] == "HardshipApplicationRejected"
    assert not any(code in repr(events) for code in EXCLUSIONS)  # the vault keeps them
    state, _ = run(submit(exclusions=("has_a_pet",)))
    assert state.status == "submitted"


def test_rule_a_migrant_workers_file_needs_an_active_union_member() -> None:
    state, events = run(submit(migrant=True, member_active=False))
    rejected = events[-1]
    assert isinstance(rejected, HardshipApplicationRejected)
    assert (rejected.stage, rejected.reason) == ("submission", "NotAMember")
    assert state.status == "rejected"
    state, _ = run(submit(migrant=True, member_active=True))
    assert state.status == "submitted"
    state, _ = run(submit(migrant=False, member_active=False))  # only migrants need membership
    assert state.status == "submitted"


@pytest.mark.parametrize("upto", [1, 2, 4, 6, len(NOTICED), len(FILED)])
def test_rule_one_open_file_per_household_a_second_submission_is_refused(upto: int) -> None:
    with pytest.raises(InvalidTransition):
        run(*FILED[:upto], submit())


@pytest.mark.parametrize(
    "ending",
    [
        (PreliminaryReview(False, "income above the line", "chair-1"),),
        (LiftOut("re-employed", FILED_DUE),),
        (Deregister("moved away", FILED_DUE),),
    ],
    ids=["rejected", "lifted_out", "deregistered"],
)
def test_rule_after_rejection_lift_out_or_deregistration_a_new_application_is_allowed(
    ending: tuple[object, ...],
) -> None:
    start = (submit(),) if isinstance(ending[0], PreliminaryReview) else FILED
    state, events = run(*start, *ending, submit(temporary=True))
    assert state == File("submitted", "H1", "P1", "U1", temporary=True)  # a fresh file
    assert kinds(events)[-1] == "HardshipApplicationSubmitted"


def test_rule_a_new_application_is_allowed_after_an_exclusion() -> None:
    state, _ = run(submit(exclusions=(EXCLUSIONS[0],)), submit())
    assert state.status == "submitted"


def test_rule_a_preliminary_review_may_reject_with_its_opinion() -> None:
    state, events = run(submit(), PreliminaryReview(False, "income above the line", "chair-1"))
    assert events[-1] == HardshipApplicationRejected(
        "preliminary_review", "Rejected", "income above the line", ()
    )
    assert state.status == "rejected"


def test_rule_steps_follow_the_procedure_in_order() -> None:
    with pytest.raises(InvalidTransition):
        run(submit(), VISIT)  # a home visit after the preliminary review
    with pytest.raises(InvalidTransition):
        run(submit(), REVIEW, VERIFY)  # verification after the home visit
    with pytest.raises(InvalidTransition):
        run(submit(), REVIEW, VISIT, NOTICE)  # the notice after verification
    with pytest.raises(InvalidTransition):
        run(*UP_TO_NOTICE, establish())  # the file after the notice closes
    with pytest.raises(InvalidTransition):
        run(REVIEW)  # nothing before a submission


def test_rule_verification_needs_the_signed_authorisation_form() -> None:
    unsigned = RecordHomeVisit(("cw-1",), TODAY, False, ())
    with pytest.raises(NotEligible) as refused:
        run(submit(), REVIEW, unsigned, VERIFY)
    assert refused.value.details == {"field": "forms_signed"}
    state, _ = run(submit(), REVIEW, unsigned, VISIT, VERIFY)  # signed on a second visit
    assert (state.status, state.verification) == ("verifying", "verify-1")


def test_rule_a_verification_result_must_answer_the_awaited_request() -> None:
    with pytest.raises(InvalidTransition) as wrong:
        run(submit(), REVIEW, VISIT, VERIFY, result("verify-9"))
    assert wrong.value.details == {"request_id": "verify-9", "awaited": "verify-1"}
    with pytest.raises(InvalidTransition) as unasked:
        run(submit(), REVIEW, VISIT, result("verify-1"))
    assert unasked.value.details["awaited"] is None
    with pytest.raises(InvalidTransition):  # answered already
        run(submit(), REVIEW, VISIT, VERIFY, result(), result())


def test_rule_a_discrepancy_returns_the_file_to_the_home_visit_step() -> None:
    state, events = run(submit(), REVIEW, VISIT, VERIFY, result(outcome="discrepancy"))
    assert events[-1] == HouseholdIncomeVerified(
        "verify-1", "discrepancy", TODAY, finances(50_000).refs
    )
    assert (state.status, state.computed) == ("visited", None)  # nothing is classified
    state, events = run(
        submit(),
        REVIEW,
        VISIT,
        VERIFY,
        result(outcome="discrepancy"),
        RequestVerification("verify-2"),
        result("verify-2"),
    )
    assert (state.status, state.computed) == ("verified", "deep")
    with pytest.raises(InvalidTransition):  # the first request is no longer awaited
        run(
            submit(),
            REVIEW,
            VISIT,
            VERIFY,
            result(outcome="discrepancy"),
            RequestVerification("verify-2"),
            result("verify-1"),
        )


def test_rule_the_public_notice_runs_until_its_end_date() -> None:
    with pytest.raises(InvalidTransition) as early:
        run(*UP_TO_NOTICE, ClosePublicNotice(False, "", ENDS - timedelta(days=1)))
    assert early.value.details == {"ends_on": ENDS.isoformat()}
    state, events = run(*NOTICED)
    assert events[-1] == HardshipPublicNoticeClosed(0, False, "no objection")
    assert (state.status, state.notice_ends_on) == ("noticed", ENDS)


def test_rule_an_upheld_objection_rejects_the_application() -> None:
    state, events = run(
        *UP_TO_NOTICE,
        RaiseObjection("obj-1", "owns a second flat"),
        RaiseObjection("obj-2", "same"),
        ClosePublicNotice(True, "confirmed: second flat", ENDS),
    )
    assert events[-2:] == [
        HardshipPublicNoticeClosed(2, True, "confirmed: second flat"),
        HardshipApplicationRejected(
            "public_notice", "ObjectionUpheld", "confirmed: second flat", ()
        ),
    ]
    assert state.status == "rejected"


def test_rule_upholding_needs_an_objection() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*UP_TO_NOTICE, ClosePublicNotice(True, "", ENDS))
    assert refused.value.details == {"field": "upheld"}


def test_rule_objections_are_raised_only_during_the_notice() -> None:
    with pytest.raises(InvalidTransition):
        run(*NOTICED, RaiseObjection("obj-1", "late"))


def test_rule_an_objection_not_upheld_still_files_the_household() -> None:
    state, events = run(
        *UP_TO_NOTICE,
        RaiseObjection("obj-1", "rumour"),
        ClosePublicNotice(False, "unfounded", ENDS),
        establish(),
    )
    assert HardshipPublicNoticeClosed(1, False, "unfounded") in events
    assert state.status == "filed"


def test_rule_overriding_the_computed_category_needs_a_reason() -> None:
    with pytest.raises(ReasonRequired) as refused:
        run(*NOTICED, establish("relative"))
    assert refused.value.details == {"field": "reason", "computed": "deep"}
    state, events = run(*NOTICED, establish("relative", "illness costs not in the verification"))
    assert events[-1] == HardshipFileEstablished(
        "relative", "county", False, "deep", "illness costs not in the verification", FILED_DUE
    )
    assert state.category == "relative"


def test_rule_confirming_the_computed_category_needs_no_reason_and_records_none() -> None:
    _, events = run(*NOTICED, establish("deep"))
    assert events[-1] == HardshipFileEstablished("deep", "county", False, "deep", None, FILED_DUE)
    _, events = run(*NOTICED, establish("deep", "agree"))
    established = events[-1]
    assert isinstance(established, HardshipFileEstablished)
    assert established.override_reason is None  # nothing was overridden


def test_rule_above_every_threshold_and_no_override_is_not_eligible() -> None:
    well_off = (submit(), REVIEW, VISIT, VERIFY, result(per_capita=200_000), NOTICE, CLOSE)
    state, events = run(*well_off)
    computed = events[5]
    assert isinstance(computed, HardshipCategoryComputed)
    assert (computed.category, state.computed) == (None, None)
    with pytest.raises(NotEligible):
        run(*well_off, establish())
    with pytest.raises(ReasonRequired):
        run(*well_off, establish("accident"))
    state, _ = run(*well_off, establish("accident", "house fire after the verification"))
    assert (state.status, state.category) == ("filed", "accident")


def test_rule_a_temporary_file_is_filed_after_the_review_and_converted_later() -> None:
    temporary = (submit(temporary=True), REVIEW, establish("accident", "house fire", TODAY))
    state, events = run(*temporary)
    assert events[-1] == HardshipFileEstablished(
        "accident", "county", True, None, "house fire", TODAY + timedelta(days=REVIEW_DAYS)
    )
    assert (state.status, state.active, state.temporary) == ("temporary", True, True)
    later = TODAY + timedelta(days=60)
    state, events = run(*temporary, ConvertTemporary("relative", later, REVIEW_DAYS))
    assert events[-1] == TemporaryFileConverted("relative", later + timedelta(days=REVIEW_DAYS))
    assert (state.status, state.temporary, state.category) == ("filed", False, "relative")


def test_rule_a_temporary_file_not_converted_still_comes_up_for_its_annual_review() -> None:
    temporary = (submit(temporary=True), REVIEW, establish("accident", "house fire", TODAY))
    due = TODAY + timedelta(days=REVIEW_DAYS)
    state, events = run(*temporary, FlagReviewDue(due))
    assert events[-1] == AnnualReviewDue(due)
    state, events = run(*temporary, FlagReviewDue(due), RecordAnnualReview("still", due, 365))
    assert (state.status, state.review_flagged) == ("temporary", False)


def test_rule_a_temporary_file_names_its_category_and_why_it_cannot_wait() -> None:
    with pytest.raises(ReasonRequired):
        run(submit(temporary=True), REVIEW, establish("accident", None, TODAY))
    with pytest.raises(ReasonRequired):
        run(submit(temporary=True), REVIEW, establish(None, "house fire", TODAY))
    with pytest.raises(InvalidTransition):  # not before the grassroots review
        run(submit(temporary=True), establish("accident", "house fire", TODAY))


def test_rule_only_a_temporary_file_is_converted() -> None:
    with pytest.raises(InvalidTransition):
        run(*FILED, ConvertTemporary("deep", TODAY, REVIEW_DAYS))


def test_rule_reclassify_records_the_change_and_the_same_category_is_a_no_op() -> None:
    state, events = run(*FILED, Reclassify("relative", "a child started work"))
    assert events[-1] == HardshipCategoryChanged("deep", "relative", "a child started work")
    assert state.category == "relative"
    _, events = run(*FILED, Reclassify("deep", "checked"))
    assert kinds(events)[-1] == "HardshipFileEstablished"
    with pytest.raises(InvalidTransition):
        run(*NOTICED, Reclassify("deep", "not filed yet"))


def test_rule_the_annual_review_is_flagged_only_when_due_only_once_and_cleared_by_a_review() -> (
    None
):
    _, events = run(*FILED, FlagReviewDue(FILED_DUE - timedelta(days=1)))
    assert kinds(events)[-1] == "HardshipFileEstablished"  # not due yet
    state, events = run(*FILED, FlagReviewDue(FILED_DUE), FlagReviewDue(FILED_DUE + timedelta(1)))
    assert [e for e in events if isinstance(e, AnnualReviewDue)] == [AnnualReviewDue(FILED_DUE)]
    assert state.review_flagged
    reviewed_on = FILED_DUE + timedelta(days=3)
    next_due = reviewed_on + timedelta(days=REVIEW_DAYS)
    state, events = run(
        *FILED,
        FlagReviewDue(FILED_DUE),
        RecordAnnualReview("still in hardship", reviewed_on, REVIEW_DAYS),
        FlagReviewDue(reviewed_on),
        FlagReviewDue(next_due),
    )
    assert HardshipFileReviewed(reviewed_on, "still in hardship", next_due) in events
    assert [e for e in events if isinstance(e, AnnualReviewDue)] == [
        AnnualReviewDue(FILED_DUE),
        AnnualReviewDue(next_due),
    ]


def test_rule_only_a_filed_household_is_flagged_for_review() -> None:
    _, events = run(*NOTICED, FlagReviewDue(FILED_DUE + timedelta(days=400)))
    assert not any(isinstance(e, AnnualReviewDue) for e in events)
    _, events = run(*FILED, LiftOut("re-employed", TODAY), FlagReviewDue(FILED_DUE))
    assert not any(isinstance(e, AnnualReviewDue) for e in events)


def test_rule_a_household_out_of_hardship_is_lifted_out_and_no_longer_active() -> None:
    state, events = run(*FILED, LiftOut("re-employed", FILED_DUE))
    assert events[-1] == HardshipFamilyLiftedOut("re-employed", FILED_DUE)
    assert (state.status, state.active) == ("lifted", False)
    with pytest.raises(InvalidTransition):  # only a file is lifted out, not an application
        run(*NOTICED, LiftOut("re-employed", TODAY))
    with pytest.raises(InvalidTransition):
        run(*FILED, LiftOut("re-employed", TODAY), LiftOut("again", TODAY))


def test_rule_deregistration_ends_a_file_or_an_open_application() -> None:
    state, events = run(*FILED, Deregister("moved away", FILED_DUE))
    assert events[-1] == HardshipFileDeregistered("moved away", FILED_DUE)
    assert (state.status, state.active) == ("deregistered", False)
    state, _ = run(
        submit(temporary=True), REVIEW, establish("deep", "fire", TODAY), Deregister("x", TODAY)
    )
    assert state.status == "deregistered"
    state, _ = run(*UP_TO_NOTICE, Deregister("withdrawn", TODAY))
    assert state.status == "deregistered"
    with pytest.raises(InvalidTransition):
        run(*FILED, LiftOut("re-employed", TODAY), Deregister("x", TODAY))


def test_rule_transfer_moves_the_file_and_to_the_same_union_is_a_no_op() -> None:
    state, events = run(*FILED, TransferFile("U2", "employer dissolved"))
    assert events[-1] == HardshipFileTransferred("U1", "U2", "employer dissolved")
    assert (state.union_id, state.status) == ("U2", "filed")
    _, events = run(*FILED, TransferFile("U1", "no change"))
    assert kinds(events)[-1] == "HardshipFileEstablished"
    with pytest.raises(InvalidTransition):
        run(*FILED, LiftOut("re-employed", TODAY), TransferFile("U2", "closed file"))


def test_full_path_reaches_every_file_event() -> None:
    state, events = run(*FULL_PATH)
    assert state.status == "lifted"
    assert {
        "HardshipPublicNoticeObjectionRaised",
        "HardshipCategoryChanged",
        "AnnualReviewDue",
        "HardshipFileReviewed",
        "HardshipFileTransferred",
        "HardshipFamilyLiftedOut",
    } <= set(kinds(events))


# -- replay equals live state ----------------------------------------------------------

PROGRESS: tuple[object, ...] = (
    REVIEW,
    VISIT,
    VERIFY,
    RequestVerification("verify-2"),
    result(),
    result("verify-2", per_capita=100_000),
    NOTICE,
    CLOSE,
    establish(),
    establish("accident", "temporary", TODAY),
    ConvertTemporary("deep", TODAY, REVIEW_DAYS),
    FlagReviewDue(FILED_DUE),
    RecordAnnualReview("ok", FILED_DUE, REVIEW_DAYS),
)
"""The procedure's forward steps, weighted up in the pool so walks get far."""

FILE_COMMANDS: tuple[object, ...] = (
    *PROGRESS,
    *PROGRESS,
    *PROGRESS,
    submit(),
    submit(temporary=True),
    submit(exclusions=(EXCLUSIONS[1],)),
    submit(migrant=True, member_active=False),
    PreliminaryReview(False, "no", "chair-1"),
    RecordHomeVisit(("cw-1",), TODAY, False, ()),
    result(outcome="discrepancy"),
    result("verify-2", per_capita=200_000),
    RaiseObjection("obj-1", "x"),
    ClosePublicNotice(True, "upheld", ENDS),
    ClosePublicNotice(False, "early", TODAY),
    establish("relative"),
    establish("relative", "override"),
    Reclassify("relative", "r"),
    Reclassify("deep", "r"),
    FlagReviewDue(TODAY),
    LiftOut("out", FILED_DUE),
    Deregister("gone", FILED_DUE),
    TransferFile("U2", "t"),
    TransferFile("U1", "t"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=30))
def test_property_replaying_a_files_recorded_events_gives_the_live_state(picks: list[int]) -> None:
    log: list[object] = []
    for _, events, state in walk(HARDSHIP_FILE, FILE_COMMANDS, picks):
        log += [recorded(e) for e in events]
        assert HARDSHIP_FILE.fold(log) == state
        if state.active:  # a file in force always has a category and a review date
            assert state.category is not None
            assert state.review_due_on is not None
