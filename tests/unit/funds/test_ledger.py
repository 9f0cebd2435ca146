"""Ledger, asset register, fiscal grants and the service-centre project: each rule by name."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.funds.domain import InvalidAmount, MakerCheckerViolation
from services.funds.ledger import (
    ASSET,
    GRANT,
    LEDGER,
    PROJECT,
    ApproveAssetChange,
    ClosePeriod,
    CommitGrant,
    CommitProjectFunds,
    GrantExceeded,
    PeriodIsClosed,
    PostVoucher,
    ProjectOverspent,
    ReceiveGrant,
    RecordProjectSpend,
    RequestAssetChange,
    ReverseVoucher,
    UnbalancedVoucher,
    UnknownAccount,
)
from services.funds.ledger_events import (
    AssetChangeApproved,
    AssetTransferRefused,
    Posting,
    VoucherPosted,
    VoucherReversed,
)
from shared.decider import Decider

DAY = date(2026, 11, 24)
PAID = (Posting("5101", 50_000, 0, "冬送温暖"), Posting("1002", 0, 50_000, "bank"))


def run(decider: Decider[object, Any, object], *commands: object) -> tuple[Any, list[object]]:
    state, events = decider.initial_state, list[object]()
    for c in commands:
        new = decider.decide(c, state)
        events += new
        state = decider.fold(new, state)
    return state, events


def test_rule_double_entry_debits_equal_credits() -> None:
    _, events = run(LEDGER, PostVoucher("V1", DAY, PAID, "AidCase-1"))
    assert isinstance(events[0], VoucherPosted) and events[0].period == "2026-11"
    lopsided = (Posting("5101", 50_000, 0, ""), Posting("1002", 0, 49_999, ""))
    with pytest.raises(UnbalancedVoucher):
        run(LEDGER, PostVoucher("V2", DAY, lopsided, "x"))
    both = (Posting("5101", 1, 1, ""), Posting("1002", 0, 0, ""))
    with pytest.raises(UnbalancedVoucher):
        run(LEDGER, PostVoucher("V3", DAY, both, "x"))


def test_rule_only_accounts_in_the_chart() -> None:
    with pytest.raises(UnknownAccount):
        run(LEDGER, PostVoucher("V1", DAY, (Posting("9999", 1, 0, ""), PAID[1]), "x"))


def test_rule_a_voucher_is_never_edited_only_reversed() -> None:
    _, events = run(
        LEDGER,
        PostVoucher("V1", DAY, PAID, "AidCase-1"),
        ReverseVoucher("V1", "V1-R", DAY, "wrong payee"),
        ReverseVoucher("V1", "V1-R2", DAY, "again"),
    )
    mirror = events[1]
    assert isinstance(mirror, VoucherPosted) and mirror.reverses == "V1"
    assert [(p.account, p.debit_fen, p.credit_fen) for p in mirror.postings] == [
        ("5101", 0, 50_000),
        ("1002", 50_000, 0),
    ]
    assert events[2] == VoucherReversed("V1", "V1-R", "wrong payee")
    assert len(events) == 3  # reversed once


def test_rule_nothing_is_booked_into_a_closed_period() -> None:
    with pytest.raises(PeriodIsClosed):
        run(LEDGER, ClosePeriod("2026-11"), PostVoucher("V1", DAY, PAID, "x"))


def acquire(by: str = "finance-1") -> RequestAssetChange:
    return RequestAssetChange(
        "q1",
        "acquire",
        "工人文化宫 building",
        "real_estate",
        9_000_000_00,
        "county-federation",
        "union",
        "union",
        by,
    )


def test_rule_every_asset_change_needs_a_second_persons_approval() -> None:
    with pytest.raises(MakerCheckerViolation):
        run(ASSET, acquire(), ApproveAssetChange("q1", "finance-1"))
    state, events = run(ASSET, acquire(), ApproveAssetChange("q1", "leader-1"))
    assert isinstance(events[-1], AssetChangeApproved)
    assert (state.exists, state.holder) == (True, "county-federation")


def test_rule_union_assets_never_go_to_a_non_union_holder_or_purpose() -> None:
    to_company = RequestAssetChange(
        "q2", "transfer", "", "", 0, "Some Co. Ltd", "non_union", "union", "official-9"
    )
    to_other_use = RequestAssetChange(
        "q3", "transfer", "", "", 0, "township union", "union", "non_union", "official-9"
    )
    state, events = run(
        ASSET, acquire(), ApproveAssetChange("q1", "leader-1"), to_company, to_other_use
    )
    assert [type(e) for e in events[-2:]] == [AssetTransferRefused, AssetTransferRefused]
    assert state.holder == "county-federation" and not state.pending


def test_rule_grants_are_received_only_as_committed() -> None:
    commit = CommitGrant("G1", 2026, "warmth", 60_000_000, "JointMeeting-2026-1")
    state, _ = run(GRANT, commit, ReceiveGrant("G1", 30_000_000, "B-1", DAY))
    assert (state.committed, state.received) == (60_000_000, 30_000_000)
    with pytest.raises(GrantExceeded):
        run(GRANT, commit, ReceiveGrant("G1", 60_000_001, "B-1", DAY))
    _, again = run(
        GRANT, commit, ReceiveGrant("G1", 1, "B-1", DAY), ReceiveGrant("G1", 1, "B-1", DAY)
    )
    assert len(again) == 2  # one commitment, one receipt: the bank voucher counts once


def test_rule_the_service_centre_spends_only_what_is_committed() -> None:
    commit = CommitProjectFunds("P1", 5_000_000_00, "county fiscal, 十四五")
    state, _ = run(PROJECT, commit, RecordProjectSpend("P1", 1_000_000_00, "design", "B-9"))
    assert state.spent == 1_000_000_00
    with pytest.raises(ProjectOverspent):
        run(PROJECT, commit, RecordProjectSpend("P1", 5_000_000_01, "build", "B-10"))
    with pytest.raises(InvalidAmount):
        run(PROJECT, CommitProjectFunds("P1", 0, "nothing"))


def test_rule_a_closed_year_stays_closed_reversals_stay_in_their_year() -> None:
    from services.funds.ledger import DuplicateVoucher, ReversalOutsideYear

    with pytest.raises(ReversalOutsideYear):
        run(
            LEDGER,
            PostVoucher("V1", DAY, PAID, "x"),
            ReverseVoucher("V1", "R1", date(2027, 1, 5), "late"),
        )
    with pytest.raises(DuplicateVoucher):
        run(
            LEDGER,
            PostVoucher("V1", DAY, PAID, "x"),
            PostVoucher("V2", DAY, PAID, "y"),
            ReverseVoucher("V1", "V2", DAY, "id taken"),
        )
    other = (Posting("5001", 1, 0, ""), Posting("1002", 0, 1, ""))
    with pytest.raises(DuplicateVoucher):
        run(LEDGER, PostVoucher("V1", DAY, PAID, "x"), PostVoucher("V1", DAY, other, "x"))
