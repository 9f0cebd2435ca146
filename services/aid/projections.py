"""aid's read models, computed from its own log on demand (as funds' are).

None of them holds personal data: ids, statuses, categories and amounts only.
"""

from __future__ import annotations

from typing import Any

import psycopg

from services.aid import domain as d
from services.aid import programmes as pg
from shared.decider import load, load_all
from shared.readmodels import local_day
from shared.store import EventStore

county_day = local_day


def _query(
    store: EventStore, sql: str, params: tuple[Any, ...], conn: psycopg.Connection | None
) -> list[tuple[Any, ...]]:
    if conn is not None:
        return conn.execute(sql, params).fetchall()
    with store.pool.connection() as own:
        return own.execute(sql, params).fetchall()


def subjects_under(
    store: EventStore, prefix: str, conn: psycopg.Connection | None = None
) -> list[str]:
    """Vault subjects (``Subject-`` streams) whose id starts with ``prefix``."""
    rows = _query(
        store,
        "SELECT DISTINCT stream_id FROM events"
        " WHERE stream_type = 'Subject' AND starts_with(stream_id, %s) ORDER BY stream_id",
        (f"Subject-{prefix}",),
        conn,
    )
    return [r[0].split("-", 1)[1] for r in rows]


def _with_event(
    store: EventStore,
    event_type: str,
    where: str,
    params: tuple[Any, ...],
    conn: psycopg.Connection | None,
) -> list[str]:
    rows = _query(
        store,
        "SELECT DISTINCT stream_id FROM events WHERE event_type = %s AND "
        + where
        + " ORDER BY stream_id",
        (event_type, *params),
        conn,
    )
    return [r[0].split("-", 1)[1] for r in rows]


def files_held_by(
    store: EventStore, person_id: str, conn: psycopg.Connection | None = None
) -> list[str]:
    """Open files whose applicant (the household's primary hardship worker) is the person.

    A file follows its applicant's membership; another household member's
    transfer does not move the household's file.
    """
    found = _with_event(
        store,
        "HardshipApplicationSubmitted",
        "data->>'applicant_id' = %s",
        (person_id,),
        conn,
    )
    return [
        h
        for h in found
        if (f := _file(store, h, conn)).status not in _CLOSED and f.applicant_id == person_id
    ]


def open_files_of_union(
    store: EventStore, union_id: str, conn: psycopg.Connection | None = None
) -> list[str]:
    return [
        household
        for household, f in load_all(store, d.HARDSHIP_FILE, "HardshipFile", conn).items()
        if f.state.union_id == union_id and f.state.status not in _CLOSED
    ]


_CLOSED = ("rejected", "lifted", "deregistered")


def _file(store: EventStore, household: str, conn: psycopg.Connection | None) -> d.File:
    return load(store, d.HARDSHIP_FILE, d.file_stream(household), conn).state


def files(store: EventStore, status: str | None = None) -> list[dict[str, Any]]:
    """The file register (一户一档): the national system's lists are filters of it."""
    out = []
    for household, f in load_all(store, d.HARDSHIP_FILE, "HardshipFile").items():
        s = f.state
        if status is None or s.status == status:
            out.append(
                {
                    "household_id": household,
                    "status": s.status,
                    "union_id": s.union_id,
                    "temporary": s.temporary,
                    "category": s.category,
                    "review_due_on": s.review_due_on.isoformat() if s.review_due_on else None,
                    "review_flagged": s.review_flagged,
                }
            )
    return out


def cases(store: EventStore, fiscal_year: int) -> list[dict[str, Any]]:
    found = _with_event(
        store, "AidRequested", "(data->>'fiscal_year')::int = %s", (fiscal_year,), None
    )
    out = []
    for case_id in found:
        s = load(store, d.CASE, d.case_stream(case_id)).state
        out.append(
            {
                "case_id": case_id,
                "programme": s.programme,
                "person_id": s.person_id,
                "household_id": s.household_id,
                "status": s.status,
                "amount_fen": s.amount_fen,
                "line": s.line,
                "funds_reply_overdue": s.timed_out,
            }
        )
    return out


def awaiting_funds(store: EventStore) -> list[str]:
    """Cases whose latest approval request has no answer yet (for the timeout timer)."""
    found = _with_event(store, "AidApprovalRequested", "TRUE", (), None)
    return [
        c for c in found if load(store, d.CASE, d.case_stream(c)).state.status == "awaiting_funds"
    ]


def recuperation_programmes(
    store: EventStore, fiscal_year: int, conn: psycopg.Connection | None = None
) -> list[str]:
    """The year's programmes still taking nominations."""
    found = _with_event(
        store, "RecuperationPlanned", "(data->>'fiscal_year')::int = %s", (fiscal_year,), conn
    )
    return [
        p
        for p in found
        if load(store, pg.RECUPERATION, pg.recuperation_stream(p), conn).state.status == "planned"
    ]
