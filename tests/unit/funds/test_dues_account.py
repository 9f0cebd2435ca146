"""DuesAccount: assessment, split, 建会筹备金 and its refund, the 40 % rule, arrears, endings."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain import (
    DUES_ACCOUNT,
    UNION_RECORD,
    Account,
    AssignSector,
    ConvertAccount,
    DeclarePayroll,
    DeclareSchoolBudget,
    DetectArrears,
    FollowUnion,
    NotEducationSector,
    NoteUnionEnding,
    NoteUnionSector,
    RecordCollection,
    TransferDues,
    TransferExceedsOwed,
    share,
)
from services.funds.events import (
    ArrearsDetected,
    DuesAccountConverted,
    DuesAccountOpened,
    DuesAccountUnionChanged,
    DuesAccountUnionEnded,
    DuesAssessed,
    DuesCollected,
    DuesSectorAssigned,
    DuesSplitAllocated,
    DuesTransferred,
    EducationTransferAssessed,
    PreparatoryFundCollected,
    PreparatoryFundRefundIssued,
    UnionEndingNoted,
    UnionSectorNoted,
)
from services.funds.policy import POLICY, Parameter, PolicyTable

EMPLOYER = "91341522MA2T5K8X0Y"


def run(*commands: object, state: Account | None = None) -> tuple[Account, list[object]]:
    state = state or DUES_ACCOUNT.initial_state
    events: list[object] = []
    for c in commands:
        new = DUES_ACCOUNT.decide(c, state)
        events += new
        state = DUES_ACCOUNT.fold(new, state)
    return state, events


def collect(
    period: str,
    amount: int,
    *,
    kind: str = "dues",
    voucher: str | None = None,
    payroll: int = 125_000_000,
    policy: PolicyTable = POLICY,
) -> RecordCollection:
    return RecordCollection(
        EMPLOYER,
        period,
        kind,
        "tax",
        payroll,
        amount,
        voucher or f"V-{period}-{kind}",
        date(2026, 11, 15),
        policy,
    )


def test_rule_dues_are_two_percent_of_payroll_rounded_half_up_to_the_fen() -> None:
    _, events = run(collect("2026-10", 2_500_000))
    assessed = next(e for e in events if isinstance(e, DuesAssessed))
    assert (assessed.rate_bp, assessed.amount_fen) == (200, 2_500_000)
    assert assessed.policy_version == "dues.rate_bp@2001-10-27"
    assert share(25, 200) == 1  # 0.5 fen rounds up
    assert share(24, 200) == 0  # 0.48 fen rounds down


def test_rule_collected_dues_split_sixty_forty_without_losing_a_fen() -> None:
    _, events = run(collect("2026-10", 1_001))
    split = next(e for e in events if isinstance(e, DuesSplitAllocated))
    assert (split.retained_fen, split.upward_fen) == (601, 400)  # 600.6 rounds to 601
    assert (split.rule, split.retained_bp, split.collection_model) == ("default", 6000, "full")


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_property_a_split_always_adds_up(amount: int, bp: int) -> None:
    kept = share(amount, bp)
    assert 0 <= kept <= amount
    assert kept + (amount - kept) == amount


def test_rule_when_tax_collects_only_the_upward_share_all_of_it_goes_up() -> None:
    only_upward = PolicyTable(
        [
            *POLICY.rows(),
            Parameter("dues.collection_model", "upward_only", date(2026, 1, 1), "m@2026", "test"),
        ]
    )
    _, events = run(collect("2026-10", 1_000_000, policy=only_upward))
    split = next(e for e in events if isinstance(e, DuesSplitAllocated))
    assert (split.retained_fen, split.upward_fen, split.collection_model) == (
        0,
        1_000_000,
        "upward_only",
    )
    assert split.policy_version.endswith("m@2026")


def test_rule_education_schools_owe_the_county_forty_percent_of_their_yearly_budget() -> None:
    school = run(AssignSector(EMPLOYER, "education"))[0]
    budget = DeclareSchoolBudget(EMPLOYER, 2026, 30_000_001, date(2026, 3, 1))
    state, events = run(budget, state=school)
    assert events == [
        EducationTransferAssessed(
            2026, 30_000_001, 4000, 12_000_000, "dues.education_county_bp@2022-01-01"
        )
    ]
    _, same = run(budget, state=state)
    assert same == []  # the same budget again assesses nothing new
    _, revised = run(DeclareSchoolBudget(EMPLOYER, 2026, 40_000_000, date(2026, 9, 1)), state=state)
    assert isinstance(revised[0], EducationTransferAssessed) and revised[0].amount_fen == 16_000_000
    _, collected = run(collect("2026-10", 1_000_000), state=school)
    split = next(e for e in collected if isinstance(e, DuesSplitAllocated))
    assert (split.rule, split.retained_fen, split.upward_fen) == ("education", 1_000_000, 0)


def test_rule_the_forty_percent_rule_is_only_for_the_education_sector() -> None:
    with pytest.raises(NotEducationSector):
        run(DeclareSchoolBudget(EMPLOYER, 2026, 1, date(2026, 3, 1)))


def test_rule_money_received_is_recorded_even_for_an_unknown_employer() -> None:
    _, events = run(collect("2026-10", 5))
    assert events[0] == DuesAccountOpened(EMPLOYER, "union_funds", "tax", None)
    assert any(isinstance(e, DuesCollected) for e in events)


def test_rule_one_tax_voucher_is_recorded_once() -> None:
    state, _ = run(collect("2026-10", 5, voucher="V1"))
    _, again = run(collect("2026-10", 5, voucher="V1"), state=state)
    assert again == []


def test_rule_preparatory_fund_is_refunded_at_sixty_percent_when_the_union_is_founded() -> None:
    state, events = run(
        collect("2026-08", 2_000_000, kind="preparatory_fund"),
        collect("2026-09", 2_000_001, kind="preparatory_fund"),
    )
    assert events[0] == DuesAccountOpened(EMPLOYER, "preparatory_fund", "tax", None)
    assert sum(isinstance(e, PreparatoryFundCollected) for e in events) == 2
    assert not any(isinstance(e, DuesSplitAllocated) for e in events)  # held for the refund
    founded = ConvertAccount(EMPLOYER, "union-77", date(2026, 11, 1))
    state, events = run(founded, state=state)
    assert events[0] == DuesAccountConverted("union-77", date(2026, 11, 1))
    refund = events[1]
    assert isinstance(refund, PreparatoryFundRefundIssued)
    assert (refund.collected_fen, refund.refund_bp, refund.amount_fen) == (
        4_000_001,
        6000,
        2_400_001,
    )
    _, again = run(founded, state=state)
    assert again == []  # the founding reported twice refunds once


def test_rule_arrears_after_n_months_assessed_and_unpaid() -> None:
    declared = [DeclarePayroll(EMPLOYER, f"2026-0{m}", "dues", 10_000_000) for m in (6, 7, 8)]
    state, _ = run(*declared, collect("2026-06", 200_000))
    _, none_yet = run(DetectArrears(date(2026, 9, 10)), state=state)
    assert none_yet == []  # two months unpaid, the parameter is three
    state, _ = run(DeclarePayroll(EMPLOYER, "2026-09", "dues", 10_000_000), state=state)
    state, events = run(DetectArrears(date(2026, 10, 10)), state=state)
    assert events == [
        ArrearsDetected(
            ("2026-07", "2026-08", "2026-09"), 3, 600_000, "dues.arrears_months@2022-01-01"
        )
    ]
    _, again = run(DetectArrears(date(2026, 10, 11)), state=state)
    assert again == []  # flagged once for the same months


def test_rule_fiscally_funded_bodies_remit_their_dues_in_full_to_the_county() -> None:
    fiscal = RecordCollection(
        EMPLOYER, "2026-10", "dues", "fiscal", 10_000_000, 200_000, "F-1", date(2026, 11, 1)
    )
    _, events = run(fiscal)
    split = next(e for e in events if isinstance(e, DuesSplitAllocated))
    assert (split.rule, split.retained_fen, split.upward_fen) == ("fiscal_remittance", 0, 200_000)
    assert split.policy_version == "dues.fiscal_remittance_bp@2022-01-01"


def upward_only() -> PolicyTable:
    return PolicyTable(
        [
            *POLICY.rows(),
            Parameter("dues.collection_model", "upward_only", date(2026, 1, 1), "m@2026", "test"),
        ]
    )


def test_rule_arrears_compare_with_what_the_channel_should_bring_in() -> None:
    # Under upward_only the tax bureau collects 40 % of the 2 %: that is not arrears.
    declared = [
        DeclarePayroll(EMPLOYER, f"2026-0{m}", "dues", 10_000_000, upward_only()) for m in (6, 7, 8)
    ]
    paid = [
        collect(f"2026-0{m}", 80_000, payroll=10_000_000, policy=upward_only()) for m in (6, 7, 8)
    ]
    state, _ = run(*declared, *paid)
    assert state.assessed["2026-06"] == 80_000  # due from the channel: the upward 40 %
    _, none = run(DetectArrears(date(2026, 10, 1)), state=state)
    assert none == []


def test_rule_a_fen_of_rounding_at_the_tax_bureau_is_not_arrears() -> None:
    declared = [DeclarePayroll(EMPLOYER, f"2026-0{m}", "dues", 10_000_000) for m in (6, 7, 8)]
    short = [collect(f"2026-0{m}", 199_999, payroll=10_000_000) for m in (6, 7, 8)]
    state, _ = run(*declared, *short)
    _, none = run(DetectArrears(date(2026, 10, 1)), state=state)
    assert none == []  # within dues.arrears_tolerance_fen


def test_rule_a_corrected_payroll_replaces_the_months_assessment() -> None:
    state, events = run(
        DeclarePayroll(EMPLOYER, "2026-06", "dues", 10_000_000),
        DeclarePayroll(EMPLOYER, "2026-06", "dues", 12_000_000),
        DeclarePayroll(EMPLOYER, "2026-06", "dues", 12_000_000),
    )
    assert sum(isinstance(e, DuesAssessed) for e in events) == 2
    assert state.assessed["2026-06"] == 240_000


def test_rule_preparatory_fund_collected_after_the_founding_is_refunded_too() -> None:
    founded, _ = run(
        collect("2026-08", 1_000_000, kind="preparatory_fund"),
        ConvertAccount(EMPLOYER, "union-77", date(2026, 10, 1)),
    )
    _, events = run(collect("2026-09", 500_000, kind="preparatory_fund"), state=founded)
    refund = events[-1]
    assert isinstance(refund, PreparatoryFundRefundIssued)
    assert (refund.union_id, refund.collected_fen, refund.amount_fen) == (
        "union-77",
        500_000,
        300_000,
    )


def test_rule_the_education_rule_comes_before_fiscal_remittance() -> None:
    school = run(AssignSector(EMPLOYER, "education"))[0]
    fiscal = RecordCollection(
        EMPLOYER, "2026-10", "dues", "fiscal", 10_000_000, 200_000, "F-1", date(2026, 11, 1)
    )
    _, events = run(fiscal, state=school)
    split = next(e for e in events if isinstance(e, DuesSplitAllocated))
    assert (split.rule, split.upward_fen) == ("education", 0)  # its 40 % is the yearly budget's


def test_rule_transfers_pay_on_at_most_what_is_held_for_each_side() -> None:
    state, _ = run(collect("2026-10", 1_000_000))  # 600,000 held for the union, 400,000 upward
    assert (state.owed_down, state.owed_up) == (600_000, 400_000)
    down = TransferDues(EMPLOYER, "down", 600_000, "union-77", "B-1", date(2026, 11, 20))
    state, events = run(down, state=state)
    assert events == [DuesTransferred("down", 600_000, "union-77", "B-1", date(2026, 11, 20))]
    assert (state.owed_down, state.owed_up) == (0, 400_000)
    _, again = run(down, state=state)
    assert again == []  # the same bank voucher once
    with pytest.raises(TransferExceedsOwed):
        run(
            TransferDues(EMPLOYER, "up", 400_001, "province", "B-2", date(2026, 11, 20)),
            state=state,
        )


def founded_with_dues() -> Account:
    """Founded with union-77 after 1,000,000 fen of 筹备金 (600,000 refunded), then dues."""
    state, _ = run(
        collect("2026-08", 1_000_000, kind="preparatory_fund"),
        ConvertAccount(EMPLOYER, "union-77", date(2026, 9, 1)),
        collect("2026-10", 1_000_000),
    )
    assert (state.union_id, state.owed_down) == ("union-77", 1_200_000)
    return state


def test_rule_a_merged_unions_account_and_what_is_held_for_it_go_to_the_union_merged_into() -> None:
    merged = FollowUnion(EMPLOYER, "union-77", "union-88", "employer_merged", date(2026, 11, 2))
    state, events = run(merged, state=founded_with_dues())
    assert events == [
        DuesAccountUnionChanged("union-77", "union-88", "employer_merged", date(2026, 11, 2))
    ]
    assert (state.mode, state.union_id, state.owed_down) == ("union_funds", "union-88", 1_200_000)
    _, late = run(
        collect("2026-08", 500_000, kind="preparatory_fund", voucher="V-late"), state=state
    )
    refund = late[-1]
    assert isinstance(refund, PreparatoryFundRefundIssued)
    assert refund.union_id == "union-88"  # a late 筹备金 refund goes to the union that exists
    assert run(merged, state=state)[1] == []  # the same merger again changes nothing


def test_rule_an_ending_of_another_union_leaves_the_account_alone() -> None:
    other = FollowUnion(EMPLOYER, "union-99", "union-88", "employer_merged", date(2026, 11, 2))
    assert run(other, state=founded_with_dues())[1] == []
    assert run(other)[1] == []  # nor an account that never had a union


def test_rule_a_dissolved_unions_account_has_no_union_and_says_what_was_held() -> None:
    dissolved = FollowUnion(EMPLOYER, "union-77", None, "employer_closed", date(2026, 11, 2))
    state, events = run(dissolved, state=founded_with_dues())
    assert events == [
        DuesAccountUnionEnded("union-77", "employer_closed", date(2026, 11, 2), 1_200_000)
    ]
    assert (state.mode, state.union_id) == ("preparatory_fund", None)
    assert state.owed_down == 0  # the higher-level union's to dispose of, not owed down
    _, after = run(collect("2026-12", 300_000, kind="preparatory_fund"), state=state)
    assert not any(isinstance(e, PreparatoryFundRefundIssued) for e in after)  # no union
    # A union founded later is refunded what was collected since, not twice the rest.
    state, _ = run(collect("2026-12", 300_000, kind="preparatory_fund"), state=state)
    _, refounded = run(ConvertAccount(EMPLOYER, "union-90", date(2027, 2, 1)), state=state)
    refund = refounded[-1]
    assert isinstance(refund, PreparatoryFundRefundIssued)
    assert (refund.union_id, refund.collected_fen) == ("union-90", 300_000)


def test_a_union_ending_is_noted_once_and_its_sector_as_it_changes() -> None:
    note = NoteUnionEnding("union-77", "union-88", "employer_merged", date(2026, 11, 2))
    events = UNION_RECORD.decide(note, UNION_RECORD.initial_state)
    assert events == [
        UnionEndingNoted("union-77", "union-88", "employer_merged", date(2026, 11, 2))
    ]
    state = UNION_RECORD.fold(events)
    assert state.ended == events[0]
    assert UNION_RECORD.decide(note, state) == []
    sector = NoteUnionSector("union-77", "education")
    assert UNION_RECORD.decide(sector, state) == [UnionSectorNoted("union-77", "education")]
    state = UNION_RECORD.fold([UnionSectorNoted("union-77", "education")], state)
    assert UNION_RECORD.decide(sector, state) == []


def test_rule_a_merged_account_takes_the_sector_of_the_union_merged_into() -> None:
    school = run(AssignSector(EMPLOYER, "education"), state=founded_with_dues())[0]
    into_general = FollowUnion(
        EMPLOYER, "union-77", "union-88", "employer_merged", date(2026, 11, 2)
    )
    state, events = run(into_general, state=school)
    assert events[-1] == DuesSectorAssigned("general")  # no sector noted for union-88
    assert state.sector == "general"
    into_school = FollowUnion(
        EMPLOYER, "union-77", "union-89", "employer_merged", date(2026, 11, 2), "education"
    )
    assert [type(e) for e in run(into_school, state=school)[1]] == [DuesAccountUnionChanged]


def test_rule_a_founding_that_arrives_after_its_union_ended_does_not_undo_a_newer_union() -> None:
    with_newer = founded_with_dues()  # with union-77, founded after the ended union-66
    late = ConvertAccount(EMPLOYER, "union-66", date(2026, 8, 1), union_ended=True)
    assert run(late, state=with_newer)[1] == []
    # With no union yet, it is converted (and refunded), then follows the ending.
    state, events = run(
        collect("2026-08", 1_000_000, kind="preparatory_fund"),
        ConvertAccount(EMPLOYER, "union-66", date(2026, 8, 1), union_ended=True),
    )
    assert state.union_id == "union-66"
    assert any(isinstance(e, PreparatoryFundRefundIssued) for e in events)
