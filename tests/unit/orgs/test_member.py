"""Member (O2): applied, admitted to an active union, carded; lapses only after a reminder."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orgs.domain import (
    MEMBER,
    Admit,
    Apply,
    CardNotActive,
    ChangeCard,
    CheckLapse,
    InvalidTransition,
    IssueCard,
    Leave,
    Member,
    RecordActivity,
    TransferMember,
    member_stream,
)
from services.orgs.events import (
    MemberActivityRecorded,
    MemberAdmitted,
    MemberCardActivated,
    MemberCardCancelled,
    MemberCardIssued,
    MemberCardSuspended,
    MemberExpelled,
    MemberLapsed,
    MemberLapseReminderSent,
    MembershipApplied,
    MemberTransferred,
    MemberWithdrawn,
)
from tests.unit.orgs.kit import kinds, number, replayed_log, run_with, version

LAPSE_MONTHS = number("member.lapse_months")
GRACE_DAYS = number("member.lapse_grace_days")
LAPSE_VERSIONS = (version("member.lapse_months"), version("member.lapse_grace_days"))
ADMITTED_ON = date(2026, 1, 10)
REMIND_ON = date(2026, 7, 10)
"""ADMITTED_ON + LAPSE_MONTHS months: the first day of six months without dues or activity."""
LAPSE_ON = date(2026, 8, 9)
"""REMIND_ON + GRACE_DAYS (30)."""
FIELDS = ("name", "id_number", "phone")

APPLY = Apply("P1", "U1", date(2026, 1, 5), FIELDS)
ADMIT = Admit("P1", "M-0001", ADMITTED_ON, True)
ISSUE = IssueCard("P1", "CARD-1", date(2026, 1, 12))
ACTIVATE = ChangeCard("P1", "activate", "")
SUSPEND = ChangeCard("P1", "suspend", "card reported lost")
CANCEL = ChangeCard("P1", "cancel", "replaced")

ADMITTED: tuple[object, ...] = (APPLY, ADMIT)
CARDED: tuple[object, ...] = (*ADMITTED, ISSUE, ACTIVATE)


def run(*commands: object) -> tuple[Member, list[object]]:
    return run_with(MEMBER, *commands)


def check(today: date) -> CheckLapse:
    return CheckLapse("P1", today, LAPSE_MONTHS, GRACE_DAYS, LAPSE_VERSIONS)


def activity(on: date, kind: str = "dues") -> RecordActivity:
    return RecordActivity("P1", kind, on)


def leave(how: str, on: date = date(2026, 5, 1)) -> Leave:
    return Leave("P1", how, on, "left the company" if how == "withdrawn" else "embezzled dues")


def test_policy_six_months_and_thirty_days_grace() -> None:
    assert (LAPSE_MONTHS, GRACE_DAYS) == (6, 30)
    assert LAPSE_VERSIONS == (
        "member.lapse_months@2022-01-01",
        "member.lapse_grace_days@2022-01-01",
    )
    assert member_stream("P1") == "Member-P1"


# -- joining and the card ------------------------------------------------------------------


def test_rule_a_member_applies_is_admitted_and_gets_an_activated_card() -> None:
    state, events = run(*CARDED)
    assert events == [
        MembershipApplied("P1", "U1", date(2026, 1, 5), FIELDS),
        MemberAdmitted("P1", "U1", "M-0001", ADMITTED_ON),
        MemberCardIssued("P1", "CARD-1", date(2026, 1, 12)),
        MemberCardActivated("P1", "CARD-1"),
    ]
    assert state == Member("active", "U1", "CARD-1", "active", ADMITTED_ON, None)


def test_rule_only_an_active_union_admits_members() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(APPLY, Admit("P1", "M-0001", ADMITTED_ON, False))
    assert refused.value.details == {"field": "union_id"}


def test_rule_a_member_is_admitted_on_an_application_and_once() -> None:
    with pytest.raises(InvalidTransition):
        run(ADMIT)
    with pytest.raises(InvalidTransition):
        run(*ADMITTED, ADMIT)


def test_rule_applying_again_while_applied_or_a_member_is_a_no_op() -> None:
    _, events = run(APPLY, APPLY, ADMIT, APPLY)
    assert kinds(events) == ["MembershipApplied", "MemberAdmitted"]


def test_rule_a_card_is_issued_to_an_active_member_once() -> None:
    with pytest.raises(InvalidTransition):
        run(APPLY, ISSUE)
    _, events = run(*ADMITTED, ISSUE, ISSUE, ACTIVATE, ISSUE)
    assert kinds(events).count("MemberCardIssued") == 1


def test_rule_a_cancelled_card_is_replaced_by_a_new_one() -> None:
    state, events = run(*CARDED, CANCEL, IssueCard("P1", "CARD-2", date(2026, 3, 1)))
    assert events[-1] == MemberCardIssued("P1", "CARD-2", date(2026, 3, 1))
    assert (state.card_id, state.card_status) == ("CARD-2", "issued")


def test_rule_a_card_is_changed_only_once_issued() -> None:
    for change in (ACTIVATE, SUSPEND, CANCEL):
        with pytest.raises(InvalidTransition) as refused:
            run(*ADMITTED, change)
        assert refused.value.details == {"field": "card_id"}


def test_rule_only_an_active_card_is_suspended() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*ADMITTED, ISSUE, SUSPEND)
    assert refused.value.details == {"card_status": "issued"}
    state, events = run(*CARDED, SUSPEND)
    assert events[-1] == MemberCardSuspended("P1", "CARD-1", "card reported lost")
    assert state.card_status == "suspended"
    _, events = run(*CARDED, SUSPEND, SUSPEND)
    assert kinds(events).count("MemberCardSuspended") == 1  # suspended already: a no-op
    with pytest.raises(InvalidTransition):
        run(*CARDED, CANCEL, SUSPEND)


def test_rule_a_card_is_activated_from_issued_or_suspended() -> None:
    state, _ = run(*ADMITTED, ISSUE, ACTIVATE)
    assert state.card_status == "active"
    state, events = run(*CARDED, SUSPEND, ACTIVATE)
    assert events[-1] == MemberCardActivated("P1", "CARD-1")
    assert state.card_status == "active"
    _, events = run(*CARDED, ACTIVATE)
    assert kinds(events).count("MemberCardActivated") == 1  # active already: a no-op
    with pytest.raises(InvalidTransition) as refused:
        run(*CARDED, CANCEL, ACTIVATE)
    assert refused.value.details == {"card_status": "cancelled"}


def test_rule_cancelling_a_card_is_idempotent() -> None:
    state, events = run(*CARDED, CANCEL, CANCEL)
    assert events[-1] == MemberCardCancelled("P1", "CARD-1", "replaced")
    assert kinds(events).count("MemberCardCancelled") == 1
    assert state.card_status == "cancelled"
    _, events = run(*ADMITTED, ISSUE, CANCEL)  # an issued card is cancelled too
    assert kinds(events)[-1] == "MemberCardCancelled"


def test_rule_only_an_active_members_card_is_activated() -> None:
    with pytest.raises(CardNotActive) as refused:
        run(*ADMITTED, ISSUE, leave("withdrawn"), ACTIVATE)
    assert refused.value.details == {"status": "withdrawn"}


# -- the lapse rule (章程 Art. 5) ------------------------------------------------------------


def test_rule_no_reminder_before_lapse_months_without_activity() -> None:
    state, events = run(*ADMITTED, check(REMIND_ON - timedelta(days=1)))
    assert kinds(events) == ["MembershipApplied", "MemberAdmitted"]
    assert state.reminded_on is None


def test_rule_the_first_check_after_lapse_months_sends_a_reminder_not_a_lapse() -> None:
    state, events = run(*ADMITTED, check(REMIND_ON))
    assert events[-1] == MemberLapseReminderSent("P1", REMIND_ON, ADMITTED_ON)
    assert (state.status, state.reminded_on) == ("active", REMIND_ON)
    much_later = date(2027, 6, 1)
    state, events = run(*ADMITTED, check(much_later))
    assert events[-1] == MemberLapseReminderSent("P1", much_later, ADMITTED_ON)
    assert state.status == "active"  # never lapsed without a reminder first


def test_rule_a_member_lapses_only_grace_days_after_the_reminder() -> None:
    reminded = (*ADMITTED, check(REMIND_ON))
    _, events = run(*reminded, check(LAPSE_ON - timedelta(days=1)))
    assert kinds(events)[-1] == "MemberLapseReminderSent"
    state, events = run(*reminded, check(LAPSE_ON))
    assert events[-1] == MemberLapsed("P1", "U1", LAPSE_ON, ADMITTED_ON, LAPSE_VERSIONS)
    assert state.status == "lapsed"
    _, events = run(*reminded, check(LAPSE_ON), check(date(2027, 1, 1)))
    assert kinds(events).count("MemberLapsed") == 1


@pytest.mark.parametrize(
    ("last_active", "first_reminder"),
    [
        (date(2026, 1, 31), date(2026, 7, 31)),
        (date(2026, 3, 31), date(2026, 9, 30)),  # September has 30 days
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 29), date(2028, 2, 29)),  # a leap year
        (date(2026, 7, 15), date(2027, 1, 15)),  # across the new year
    ],
)
def test_rule_six_months_are_counted_in_calendar_months_to_the_day(
    last_active: date, first_reminder: date
) -> None:
    active = (*ADMITTED, activity(last_active))
    _, events = run(*active, check(first_reminder - timedelta(days=1)))
    assert kinds(events)[-1] == "MemberActivityRecorded"
    _, events = run(*active, check(first_reminder))
    assert events[-1] == MemberLapseReminderSent("P1", first_reminder, last_active)


def test_rule_activity_after_the_reminder_resets_it() -> None:
    paid = date(2026, 7, 20)
    state, events = run(*ADMITTED, check(REMIND_ON), activity(paid), check(LAPSE_ON))
    assert events[-1] == MemberActivityRecorded("P1", "dues", paid)
    assert (state.status, state.last_active, state.reminded_on) == ("active", paid, None)
    # Six months from the new activity, a new reminder, and only then a lapse.
    again = (*ADMITTED, check(REMIND_ON), activity(paid, "activity"))
    _, events = run(*again, check(date(2027, 1, 19)))
    assert kinds(events)[-1] == "MemberActivityRecorded"
    _, events = run(*again, check(date(2027, 1, 20)), check(date(2027, 2, 19)))
    assert events[-2:] == [
        MemberLapseReminderSent("P1", date(2027, 1, 20), paid),
        MemberLapsed("P1", "U1", date(2027, 2, 19), paid, LAPSE_VERSIONS),
    ]


def test_rule_activity_no_later_than_the_last_is_a_no_op() -> None:
    _, events = run(*ADMITTED, activity(date(2026, 3, 1)), activity(date(2026, 2, 1)))
    assert kinds(events).count("MemberActivityRecorded") == 1
    _, events = run(*ADMITTED, activity(ADMITTED_ON))
    assert kinds(events) == ["MembershipApplied", "MemberAdmitted"]
    with pytest.raises(InvalidTransition):
        run(APPLY, activity(date(2026, 3, 1)))  # only a member's activity counts


def test_rule_only_an_active_member_lapses() -> None:
    for before in [(), (APPLY,), (*ADMITTED, leave("withdrawn"))]:
        _, events = run(*before, check(date(2030, 1, 1)), check(date(2031, 1, 1)))
        assert not any(isinstance(e, MemberLapseReminderSent | MemberLapsed) for e in events)


# -- leaving and moving ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["lapsed", "withdrawn", "expelled"])
def test_rule_lapsing_withdrawing_or_expelling_cancels_the_card(how: str) -> None:
    for card in [(ISSUE,), (ISSUE, ACTIVATE), (ISSUE, ACTIVATE, SUSPEND)]:
        ending = (check(REMIND_ON), check(LAPSE_ON)) if how == "lapsed" else (leave(how),)
        state, _ = run(*ADMITTED, *card, *ending)
        assert (state.status, state.card_status) == (how, "cancelled")
    state, _ = run(*ADMITTED, leave("withdrawn"))
    assert state.card_status == "none"  # no card, nothing to cancel


def test_rule_a_member_withdraws_or_is_expelled_from_their_union() -> None:
    _, events = run(*ADMITTED, leave("withdrawn"))
    assert events[-1] == MemberWithdrawn("P1", "U1", date(2026, 5, 1))
    _, events = run(*ADMITTED, leave("expelled"))
    assert events[-1] == MemberExpelled("P1", "U1", date(2026, 5, 1), "embezzled dues")
    state, _ = run(APPLY, leave("withdrawn"))  # an application is withdrawn too
    assert state.status == "withdrawn"
    with pytest.raises(InvalidTransition):
        run(*ADMITTED, leave("withdrawn"), leave("expelled"))


def test_rule_a_former_member_applies_afresh() -> None:
    state, events = run(*CARDED, leave("withdrawn"), Apply("P1", "U2", date(2026, 9, 1), FIELDS))
    assert events[-1] == MembershipApplied("P1", "U2", date(2026, 9, 1), FIELDS)
    assert state == Member("applied", "U2")


def test_rule_a_member_transfers_to_another_active_union() -> None:
    move = TransferMember("P1", "U2", date(2026, 4, 1), True)
    state, events = run(*CARDED, move)
    assert events[-1] == MemberTransferred("P1", "U1", "U2", date(2026, 4, 1))
    assert (state.union_id, state.card_status) == ("U2", "active")
    _, events = run(*CARDED, move, check(date(2026, 7, 10)), check(date(2026, 8, 9)))
    lapsed = events[-1]
    assert isinstance(lapsed, MemberLapsed)
    assert lapsed.union_id == "U2"


def test_rule_a_transfer_to_an_inactive_union_is_refused() -> None:
    with pytest.raises(InvalidTransition) as refused:
        run(*ADMITTED, TransferMember("P1", "U2", date(2026, 4, 1), False))
    assert refused.value.details == {"field": "to_union"}


def test_rule_a_transfer_to_the_same_union_is_a_no_op() -> None:
    _, events = run(*ADMITTED, TransferMember("P1", "U1", date(2026, 4, 1), True))
    assert kinds(events) == ["MembershipApplied", "MemberAdmitted"]


def test_rule_only_an_active_member_transfers() -> None:
    with pytest.raises(InvalidTransition):
        run(APPLY, TransferMember("P1", "U2", date(2026, 4, 1), True))


def test_rule_a_command_of_another_aggregate_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        MEMBER.decide(object(), Member())


# -- properties ----------------------------------------------------------------------

CHECK_DAYS = (
    REMIND_ON - timedelta(days=1),
    REMIND_ON,
    LAPSE_ON - timedelta(days=1),
    LAPSE_ON,
    date(2027, 1, 20),
    date(2027, 3, 1),
    date(2027, 9, 1),
)
MEMBER_COMMANDS: tuple[object, ...] = (
    APPLY,
    Apply("P1", "U2", date(2026, 9, 1), FIELDS),
    ADMIT,
    Admit("P1", "M-0002", date(2026, 9, 5), True),
    Admit("P1", "M-0003", date(2026, 9, 5), False),
    ISSUE,
    IssueCard("P1", "CARD-2", date(2026, 9, 10)),
    ACTIVATE,
    SUSPEND,
    CANCEL,
    *(activity(d) for d in (date(2026, 3, 1), date(2026, 7, 20), date(2026, 12, 1))),
    TransferMember("P1", "U2", date(2026, 4, 1), True),
    TransferMember("P1", "U3", date(2026, 4, 1), False),
    TransferMember("P1", "U1", date(2026, 6, 1), True),
    *(check(d) for d in CHECK_DAYS),
    *(check(d) for d in CHECK_DAYS),
    leave("withdrawn"),
    leave("expelled"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=25))
def test_property_replaying_a_members_recorded_events_gives_the_live_state(
    picks: list[int],
) -> None:
    log, state = replayed_log(MEMBER, MEMBER_COMMANDS, picks)
    reminded: date | None = None
    for e in log:  # a lapse follows a reminder, by the grace days, with no activity between
        if isinstance(e, MemberLapseReminderSent):
            reminded = e.reminded_on
        elif isinstance(e, MemberActivityRecorded | MemberAdmitted | MembershipApplied):
            reminded = None
        elif isinstance(e, MemberLapsed):
            assert reminded is not None
            assert e.occurred_on >= reminded + timedelta(days=GRACE_DAYS)
    if state.status in ("lapsed", "withdrawn", "expelled"):
        assert state.card_status in ("none", "cancelled")
