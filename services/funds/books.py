"""Which accounts each money event is booked to, in the county federation's ledger.

Pure: the service posts these vouchers in the same transaction as the events
they book (audit need 2: every yuan reaches the ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from services.funds.events import (
    DuesAccountUnionEnded,
    DuesSplitAllocated,
    PreparatoryFundCollected,
    PreparatoryFundRefundIssued,
)
from services.funds.ledger_events import Posting

BANK: Final = "1002"
LINE_ACCOUNTS: Final = {
    "hardship_aid": "5101",
    "warmth": "5101",
    "golden_autumn": "5101",
    "legal_aid": "5101",
    "summer_cool": "5001",
    "recuperation": "5001",
    "spring_jobs": "5001",
    "innovation_studios": "5401",
    "competitions": "5201",
}
"""The expense account a spend from each line is booked to (default 5001)."""


def paid(account: str, amount_fen: int, memo: str, bank_ref: str) -> tuple[Posting, ...]:
    """Money out of the bank, debited to ``account`` (an expense, or a payable settled)."""
    return (Posting(account, amount_fen, 0, memo), Posting(BANK, 0, amount_fen, bank_ref))


def received(account: str, amount_fen: int, memo: str, bank_ref: str) -> tuple[Posting, ...]:
    """Money into the bank, credited to ``account``."""
    return (Posting(BANK, amount_fen, 0, bank_ref), Posting(account, 0, amount_fen, memo))


def spend(line: str, amount_fen: int, memo: str, bank_ref: str) -> tuple[Posting, ...]:
    return paid(LINE_ACCOUNTS.get(line, "5001"), amount_fen, memo, bank_ref)


def dues_transfer(direction: str, amount_fen: int, memo: str, bank_ref: str) -> tuple[Posting, ...]:
    """Paying on what is held: down to the grassroots union (2102) or upward (2101)."""
    return paid("2102" if direction == "down" else "2101", amount_fen, memo, bank_ref)


def collection(events: Iterable[object], bank_ref: str) -> tuple[Posting, ...]:
    """A collection's voucher: the bank debited, each share credited where it belongs."""
    credits: list[Posting] = []
    for e in events:
        if isinstance(e, DuesSplitAllocated):
            # The grassroots union's share is owed down to it; the upward share
            # is the county's income when the county is the end of the line
            # (fiscal remittance), else owed upward.
            up = "4001" if e.rule == "fiscal_remittance" else "2101"
            credits += [
                Posting("2102", 0, e.retained_fen, f"dues {e.period} to the union"),
                Posting(up, 0, e.upward_fen, f"dues {e.period} upward ({e.rule})"),
            ]
        elif isinstance(e, PreparatoryFundCollected):
            credits.append(Posting("4301", 0, e.amount_fen, f"建会筹备金 {e.period}"))
    credits = [x for x in credits if x.credit_fen > 0]
    if not credits:
        return ()
    return (Posting(BANK, sum(x.credit_fen for x in credits), 0, bank_ref), *credits)


def refunds(events: Iterable[object]) -> tuple[Posting, ...]:
    """60 % of the 建会筹备金 back to the new union: less income, owed down to it."""
    out: list[Posting] = []
    for e in events:
        if isinstance(e, PreparatoryFundRefundIssued):
            memo = f"建会筹备金 refund to {e.union_id}"
            out += [Posting("4301", e.amount_fen, 0, memo), Posting("2102", 0, e.amount_fen, memo)]
    return tuple(out)


def union_ended(events: Iterable[object]) -> tuple[Posting, ...]:
    """A dissolved union's held funds: no longer owed down, the county's to dispose of."""
    out: list[Posting] = []
    for e in events:
        if isinstance(e, DuesAccountUnionEnded) and e.held_fen > 0:
            memo = f"held for dissolved union {e.union_id}, to the higher-level union"
            out += [Posting("2102", e.held_fen, 0, memo), Posting("4001", 0, e.held_fen, memo)]
    return tuple(out)


def education_transfer(delta_fen: int, fiscal_year: int) -> tuple[Posting, ...]:
    """What a school owes the county: a receivable and county income; a revision books
    the difference, in whichever direction."""
    memo = f"education 40 % {fiscal_year}"
    up, down = max(delta_fen, 0), max(-delta_fen, 0)
    return (Posting("1201", up, down, memo), Posting("4001", down, up, memo))
