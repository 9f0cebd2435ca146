"""funds' read models, computed from its own log: budget execution and dues reconciliation.

They fold the relevant streams on demand. At a county's volume (tens of lines,
thousands of employers) that is milliseconds; a table kept by a projection
runner is the step when it is not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import psycopg

from services.funds import domain as d
from services.funds import ledger as lg
from services.funds.events import (
    ArrearsDetected,
    BudgetAdjusted,
    BudgetLineAllocated,
    BudgetReservationRefused,
    DuesAccountConverted,
    DuesAccountUnionChanged,
    DuesAccountUnionEnded,
    DuesAssessed,
    DuesCollected,
    DuesSplitAllocated,
    DuesTransferred,
    EducationTransferAssessed,
    ExpenditureRecorded,
    FundsReserved,
    PreparatoryFundCollected,
    PreparatoryFundRefundIssued,
    ReservationExpired,
    ReservationReleased,
)
from services.funds.ledger_events import (
    AssetChangeApproved,
    AssetTransferRefused,
    VoucherPosted,
)
from shared.decider import load_all
from shared.readmodels import LOCAL_TIME
from shared.store import EventStore, RecordedEvent

COUNTY_TIME = LOCAL_TIME
"""Months in reports are the county's months, not UTC's."""


def _streams(store: EventStore, stream_type: str, prefix: str = "") -> list[str]:
    with store.pool.connection() as conn:
        rows = conn.execute(
            "SELECT DISTINCT stream_id FROM events WHERE stream_type = %s AND stream_id LIKE %s"
            " ORDER BY stream_id",
            (stream_type, f"{stream_type}-{prefix}%"),
        ).fetchall()
    return [r[0] for r in rows]


def _decoded(
    store: EventStore, recorded: Iterable[RecordedEvent]
) -> Iterable[tuple[RecordedEvent, Any]]:
    for r in recorded:
        yield r, store.registry.decode(r.event_type, r.schema_version, r.data)


def lines(store: EventStore, years: Iterable[int]) -> list[tuple[int, str]]:
    out = []
    for year in years:
        for stream in _streams(store, "BudgetLine", f"{year}."):
            out.append((year, stream.split(".", 1)[1]))
    return out


def employers(store: EventStore) -> list[str]:
    return [s.split("-", 1)[1] for s in _streams(store, "DuesAccount")]


def accounts(store: EventStore, conn: psycopg.Connection | None = None) -> dict[str, d.Account]:
    """Every dues account's state, by employer."""
    return {
        employer: account.state
        for employer, account in load_all(store, d.DUES_ACCOUNT, "DuesAccount", conn).items()
    }


def budget_execution(store: EventStore, fiscal_year: int) -> list[dict[str, Any]]:
    """Audit need 3 (§4.5): by line and month, every movement, refusals included."""
    out = []
    for stream in _streams(store, "BudgetLine", f"{fiscal_year}."):
        months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        held: dict[str, int] = {}
        name = ""
        for r, e in _decoded(store, store.read_stream(stream)):
            m = months[r.recorded_at.astimezone(COUNTY_TIME).strftime("%Y-%m")]
            match e:
                case BudgetLineAllocated():
                    m["allocated_fen"] += e.amount_fen
                    name = e.name or name
                case BudgetAdjusted():
                    m["adjusted_fen"] += e.delta_fen
                case FundsReserved():
                    m["reserved_fen"] += e.amount_fen
                    held[e.reservation_id] = e.amount_fen
                case BudgetReservationRefused():
                    m["refused_count"] += 1
                    m["refused_fen"] += e.amount_fen
                case ExpenditureRecorded():
                    m["spent_fen"] += e.amount_fen
                case ReservationReleased() | ReservationExpired():
                    m["released_fen"] += e.amount_fen
        state = d.BUDGET_LINE.fold(e for _, e in _decoded(store, store.read_stream(stream)))
        out.append(
            {
                "line": stream.split(".", 1)[1],
                "name": name,
                "allocated_fen": state.allocated,
                "reserved_fen": state.reserved,
                "spent_fen": state.spent,
                "released_fen": state.released,
                "available_fen": state.available,
                "refused_count": state.refused_count,
                "refused_fen": state.refused_fen,
                "months": {k: dict(v) for k, v in sorted(months.items())},
            }
        )
    return out


def dues_reconciliation(store: EventStore, employer_id: str) -> dict[str, Any]:
    """Audit need 4 (§4.5): payroll, 2 % assessed, collected, split, refunds, arrears."""
    periods: dict[str, dict[str, Any]] = defaultdict(dict)
    summary: dict[str, Any] = {
        "employer_id": employer_id,
        "refunds": [],
        "arrears": [],
        "education_transfers": {},
        "transfers": [],
        "unions": [],
    }
    for _, e in _decoded(store, store.read_stream(d.account_stream(employer_id))):
        match e:
            case DuesAssessed():
                periods[e.period].update(
                    kind=e.kind,
                    payroll_fen=e.payroll_fen,
                    assessed_fen=e.amount_fen,
                    due_fen=e.due_fen,
                )
            case DuesCollected() | PreparatoryFundCollected():
                row = periods[e.period]
                row["collected_fen"] = row.get("collected_fen", 0) + e.amount_fen
                by_channel = row.setdefault("by_channel", {})
                by_channel[e.channel] = by_channel.get(e.channel, 0) + e.amount_fen
            case DuesSplitAllocated():
                row = periods[e.period]
                row["retained_fen"] = row.get("retained_fen", 0) + e.retained_fen
                row["upward_fen"] = row.get("upward_fen", 0) + e.upward_fen
                row["split_rule"] = e.rule
            case PreparatoryFundRefundIssued():
                summary["refunds"].append(
                    {
                        "union_id": e.union_id,
                        "collected_fen": e.collected_fen,
                        "amount_fen": e.amount_fen,
                    }
                )
            case DuesAccountConverted():
                summary["unions"].append(
                    {"union_id": e.union_id, "change": "founded", "on": e.converted_on.isoformat()}
                )
            case DuesAccountUnionChanged():
                summary["unions"].append(
                    {
                        "union_id": e.union_id,
                        "change": "merged",
                        "from_union_id": e.from_union_id,
                        "on": e.changed_on.isoformat(),
                    }
                )
            case DuesAccountUnionEnded():
                summary["unions"].append(
                    {
                        "union_id": e.union_id,
                        "change": "dissolved",
                        "held_fen": e.held_fen,
                        "on": e.ended_on.isoformat(),
                    }
                )
            case ArrearsDetected():
                summary["arrears"].append({"periods": list(e.periods), "amount_fen": e.amount_fen})
            case DuesTransferred():
                summary["transfers"].append(
                    {
                        "direction": e.direction,
                        "to": e.to,
                        "amount_fen": e.amount_fen,
                        "voucher_ref": e.voucher_ref,
                        "on": e.transferred_on.isoformat(),
                    }
                )
            case EducationTransferAssessed():
                summary["education_transfers"][e.fiscal_year] = {
                    "budgeted_fen": e.budgeted_fen,
                    "county_bp": e.county_bp,
                    "amount_fen": e.amount_fen,
                }
    state = d.DUES_ACCOUNT.fold(
        e for _, e in _decoded(store, store.read_stream(d.account_stream(employer_id)))
    )
    summary.update(
        owed_down_fen=state.owed_down,
        owed_up_fen=state.owed_up,
        mode=state.mode,
        union_id=state.union_id,
        sector=state.sector,
        periods={k: periods[k] for k in sorted(periods)},
    )
    return summary


def answer(e: object) -> dict[str, Any] | None:
    """What a reservation request was told, from funds' answering event."""
    if isinstance(e, FundsReserved):
        return {
            "status": "reserved",
            "reservation_id": e.reservation_id,
            "amount_fen": e.amount_fen,
            "available_after_fen": e.available_after_fen,
            "expires_on": e.expires_on.isoformat(),
        }
    if isinstance(e, BudgetReservationRefused):
        return {
            "status": "refused",
            "reservation_id": e.reservation_id,
            "reason": e.reason,
            "amount_fen": e.amount_fen,
            "available_fen": e.available_fen,
        }
    return None


def first_answer(events: Iterable[object]) -> dict[str, Any] | None:
    return next((a for e in events if (a := answer(e)) is not None), None)


def reservation_answer(store: EventStore, stream: str, reservation_id: str) -> dict[str, Any]:
    """The answer first given to a reservation request (for a repeated request)."""
    found = first_answer(
        e
        for _, e in _decoded(store, store.read_stream(stream))
        if getattr(e, "reservation_id", None) == reservation_id
    )
    return found or {"status": "unknown", "reservation_id": reservation_id}


def trial_balance(store: EventStore, fiscal_year: int) -> dict[str, Any]:
    """Year-end need 8 (§4.5): debits and credits per account; they must agree."""
    accounts: dict[str, dict[str, Any]] = {}
    for _, e in _decoded(store, store.read_stream(lg.ledger_stream(fiscal_year))):
        if isinstance(e, VoucherPosted):
            for p in e.postings:
                row = accounts.setdefault(
                    p.account,
                    {
                        "account": p.account,
                        "name": lg.CHART[p.account][0],
                        "kind": lg.CHART[p.account][1],
                        "debit_fen": 0,
                        "credit_fen": 0,
                    },
                )
                row["debit_fen"] += p.debit_fen
                row["credit_fen"] += p.credit_fen
    rows = [accounts[k] for k in sorted(accounts)]
    debit = sum(r["debit_fen"] for r in rows)
    credit = sum(r["credit_fen"] for r in rows)
    state = lg.LEDGER.fold(
        e for _, e in _decoded(store, store.read_stream(lg.ledger_stream(fiscal_year)))
    )
    return {
        "fiscal_year": fiscal_year,
        "accounts": rows,
        "debit_fen": debit,
        "credit_fen": credit,
        "balanced": debit == credit,
        "vouchers": len(state.vouchers),
        "reversed": sorted(state.reversed),
        "closed_periods": sorted(state.closed),
    }


def asset_register(store: EventStore) -> list[dict[str, Any]]:
    """Union assets with every approved change and every refused transfer (工会法 Art. 47)."""
    out = []
    for stream in _streams(store, "Asset"):
        history: list[dict[str, Any]] = []
        for r, e in _decoded(store, store.read_stream(stream)):
            if isinstance(e, AssetChangeApproved):
                history.append(
                    {
                        "change": e.change,
                        "holder": e.holder,
                        "value_fen": e.value_fen,
                        "approved_by": e.approved_by,
                        "at": r.recorded_at.isoformat(),
                    }
                )
            elif isinstance(e, AssetTransferRefused):
                history.append(
                    {
                        "change": "transfer refused",
                        "holder": e.holder,
                        "holder_kind": e.holder_kind,
                        "purpose": e.purpose,
                        "requested_by": e.requested_by,
                        "at": r.recorded_at.isoformat(),
                    }
                )
        state = lg.ASSET.fold(e for _, e in _decoded(store, store.read_stream(stream)))
        out.append(
            {
                "asset_id": stream.split("-", 1)[1],
                "holder": state.holder,
                "value_fen": state.value_fen,
                "disposed": state.disposed,
                "pending": sorted(state.pending),
                "history": history,
            }
        )
    return out
