"""The accounts each money event is booked to: every voucher balances."""

from __future__ import annotations

from datetime import date

from services.aid.policy import POLICY as AID_POLICY
from services.competitions.policy import BASE as COMPETITIONS_POLICY
from services.funds import books
from services.funds.events import (
    DuesAccountUnionEnded,
    DuesSplitAllocated,
    PreparatoryFundRefundIssued,
)
from services.funds.ledger_events import Posting


def balanced(postings: tuple[Posting, ...]) -> bool:
    return sum(p.debit_fen for p in postings) == sum(p.credit_fen for p in postings)


def test_rule_a_collection_credits_each_share_where_it_belongs() -> None:
    split = DuesSplitAllocated("2026-10", 1_001, 601, 400, "default", 6000, "full", "v")
    remit = DuesSplitAllocated("2026-10", 500, 0, 500, "fiscal_remittance", 0, "fiscal", "v")
    voucher = books.collection([split, remit], "tax T-1")
    assert [(p.account, p.debit_fen, p.credit_fen) for p in voucher] == [
        ("1002", 1_501, 0),
        ("2102", 0, 601),  # owed down to the grassroots union
        ("2101", 0, 400),  # owed upward
        ("4001", 0, 500),  # the county's own (fiscal remittance; the zero share is left out)
    ]
    assert balanced(voucher)


def test_rule_a_dissolved_unions_held_funds_become_the_countys() -> None:
    ended = DuesAccountUnionEnded("U-1", "employer_closed", date(2026, 11, 2), 1_200_000)
    voucher = books.union_ended([ended])
    assert [(p.account, p.debit_fen, p.credit_fen) for p in voucher] == [
        ("2102", 1_200_000, 0),  # no longer owed down
        ("4001", 0, 1_200_000),
    ]
    nothing = DuesAccountUnionEnded("U-2", "employer_closed", date(2026, 11, 2), 0)
    assert books.union_ended([nothing]) == ()


def test_rule_refunds_and_revised_education_transfers_balance() -> None:
    refund = PreparatoryFundRefundIssued("U-1", 1_000, 6000, 600, "v")
    assert balanced(books.refunds([refund]))
    cut = books.education_transfer(-2_000, 2026)  # a lower revised budget
    assert [(p.account, p.debit_fen, p.credit_fen) for p in cut] == [
        ("1201", 0, 2_000),
        ("4001", 2_000, 0),
    ]
    assert books.spend("warmth", 5, "m", "B")[0].account == "5101"
    assert books.spend("unknown_line", 5, "m", "B")[0].account == "5001"


def test_rule_the_lines_other_services_spend_from_are_booked_to_their_expense_accounts() -> None:
    lines = {
        row.value
        for row in (*AID_POLICY.rows(), *COMPETITIONS_POLICY)
        if row.key.startswith("aid.line.") or row.key in ("studio.line", "competition.line")
    }
    assert lines <= set(books.LINE_ACCOUNTS)
    assert books.LINE_ACCOUNTS["innovation_studios"] == "5401"
    assert books.LINE_ACCOUNTS["competitions"] == "5201"
