"""orgs' read models, computed from its own log on demand (as funds' and aid's are).

None holds personal data: people appear by id, member number and card id only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

import psycopg

from services.orgs import democracy as dm
from services.orgs import domain as d
from shared.decider import each_stream, load, load_all, loaded_from
from shared.readmodels import LOCAL_TIME, local_day
from shared.store import EventStore

COUNTY_TIME = LOCAL_TIME

EXPORT_FIELDS = (
    "person_id",
    "member_no",
    "union_id",
    "status",
    "admitted_on",
    "card_id",
    "card_status",
    "last_active_on",
)
"""The member file for the county data platform (notice 八), one JSON object per member."""


county_day = local_day


def first_day(store: EventStore) -> date:
    """When the log began: the joint meeting's first year is counted from here."""
    with store.pool.connection() as conn:
        row = conn.execute("SELECT min(recorded_at) FROM events").fetchone()
    first = row[0] if row and row[0] else datetime.now(COUNTY_TIME)
    return county_day(first)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def employer(store: EventStore, employer_id: str) -> dict[str, Any]:
    s = load(store, d.EMPLOYER, d.employer_stream(employer_id)).state
    return {
        "employer_id": employer_id,
        "registered": s.registered,
        "kind": s.kind,
        "employees": s.employees,
        "union_id": s.union_id,
        "organizing_target": s.targeted and not s.union_id,
        "deregistered": s.deregistered,
    }


def union_view(s: d.Union) -> dict[str, Any]:
    return {
        "union_id": s.union_id,
        "status": s.status or "none",
        "kind": s.kind,
        "parent_id": s.parent_id,
        "employer_ids": list(s.employer_ids),
        "sector": s.sector,
        "uscc": s.uscc,
        "term_ends_on": _iso(s.term_ends_on),
        "re_election_due": s.re_election_flagged,
    }


def _members(store: EventStore) -> list[tuple[str, d.Member]]:
    return [(person, m.state) for person, m in load_all(store, d.MEMBER, "Member").items()]


def union_tree(store: EventStore) -> list[dict[str, Any]]:
    members = Counter(m.union_id for _, m in _members(store) if m.status == "active")
    employers = union_employers(store)
    out = []
    for union_id, union in load_all(store, d.UNION, "Union").items():
        view = union_view(union.state)
        out.append(
            {
                **view,
                "employers_now": employers.get(union_id, []),
                "active_members": members.get(union_id, 0),
            }
        )
    return out


def union_employers(
    store: EventStore, conn: psycopg.Connection | None = None
) -> dict[str, list[str]]:
    """Each union's employers now, by their own streams (a merger moves them); as
    coverage counts them, deregistered employers are left out."""
    out: dict[str, list[str]] = defaultdict(list)
    for employer_id, employer in load_all(store, d.EMPLOYER, "Employer", conn).items():
        s = employer.state
        if s.union_id is not None and not s.deregistered:
            out[s.union_id].append(employer_id)
    return out


def employers_of(
    store: EventStore, union_id: str, conn: psycopg.Connection | None = None
) -> list[str]:
    """Employers whose union is ``union_id`` now."""
    return union_employers(store, conn).get(union_id, [])


def coverage(store: EventStore) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"with_union": 0, "without": 0})
    targets = []
    for employer_id, employer in load_all(store, d.EMPLOYER, "Employer").items():
        s = employer.state
        if s.deregistered:
            continue
        by_kind[s.kind]["with_union" if s.union_id else "without"] += 1
        if s.targeted and not s.union_id:
            targets.append(employer_id)
    return {"by_kind": dict(sorted(by_kind.items())), "open_targets": targets}


def member_view(person_id: str, s: d.Member) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "status": s.status or "none",
        "union_id": s.union_id,
        "card_id": s.card_id,
        "card_status": s.card_status,
        "last_active_on": _iso(s.last_active),
        "lapse_reminder_sent_on": _iso(s.reminded_on),
    }


def member_register(store: EventStore, union_id: str | None) -> list[dict[str, Any]]:
    return [
        member_view(person, s)
        for person, s in _members(store)
        if union_id is None or s.union_id == union_id
    ]


def member_export(store: EventStore, union_id: str | None) -> list[dict[str, Any]]:
    """``EXPORT_FIELDS`` per member, from the member streams' events."""
    out = []
    for person, recorded in each_stream(store, "Member"):
        # The latest admission: a member who lapsed or left may be admitted again.
        admitted = next((r for r in reversed(recorded) if r.event_type == "MemberAdmitted"), None)
        s = loaded_from(store, d.MEMBER, recorded).state
        if union_id is not None and s.union_id != union_id:
            continue
        row = {
            "person_id": person,
            "member_no": admitted.data["member_no"] if admitted else None,
            "union_id": s.union_id,
            "status": s.status,
            "admitted_on": admitted.data["occurred_on"] if admitted else None,
            "card_id": s.card_id,
            "card_status": s.card_status,
            "last_active_on": _iso(s.last_active),
        }
        out.append({k: row[k] for k in EXPORT_FIELDS})
    return out


def contract_view(s: d.Contract) -> dict[str, Any]:
    return {
        "contract_id": s.contract_id,
        "status": s.status or "none",
        "kind": s.kind,
        "union_id": s.union_id,
        "employer_ids": list(s.employer_ids),
        "reply_due_on": _iso(s.reply_due_on),
        "reply_overdue": s.reply_overdue,
        "rounds": s.rounds,
        "filing_due_on": _iso(s.filing_due_on),
        "filing_overdue": s.filing_overdue,
        "review_ends_on": _iso(s.review_ends_on),
        "effective_on": _iso(s.effective_on),
        "expires_on": _iso(s.expires_on),
        "renewal_window_open": s.renewal_open,
        "violation_reports": list(s.reports),
    }


def contracts(store: EventStore, status: str | None) -> list[dict[str, Any]]:
    out = []
    for contract in load_all(store, d.CONTRACT, "Contract").values():
        view = contract_view(contract.state)
        if status is None or view["status"] == status:
            out.append(view)
    return out


def series_view(s: d.Series, today: date) -> dict[str, Any]:
    return {
        "last_held_on": _iso(s.last_held_on),
        "meetings": sorted(s.meetings),
        "open_decisions": [
            {"decision_id": i, "due_on": on.isoformat(), "overdue": today > on}
            for i, on in s.open_items
        ],
    }


def congress_view(s: dm.Congress) -> dict[str, Any]:
    return {
        "congress_id": s.congress_id,
        "status": s.status or "none",
        "kind": s.kind,
        "unit_id": s.unit_id,
        "term_no": s.term_no,
        "delegates": len(s.delegate_ids),
        "managers": len(s.manager_ids),
        "last_session_on": _iso(s.last_session_on),
        "sessions": {
            sid: {
                "held_on": x.held_on.isoformat(),
                "present": len(x.present_ids),
                "quorum": x.quorum_met,
            }
            for sid, x in sorted(s.sessions.items())
        },
        "results": {
            item: {
                "session_id": r.session_id,
                "adopted": r.adopted,
                "yes": r.yes,
                "no": r.no,
                "abstain": r.abstain,
            }
            for item, r in sorted(s.results.items())
        },
    }


def congress_compliance(store: EventStore, year: int) -> list[dict[str, Any]]:
    out = []
    for congress_id, congress in load_all(store, dm.CONGRESS, "Congress").items():
        s = congress.state
        if s.established_on is None or s.established_on.year > year:
            continue  # not yet there that year
        # A session without quorum decided nothing: it does not keep the yearly rule.
        held = [x for x in s.sessions.values() if x.held_on.year == year and x.quorum_met]
        if not held:
            out.append(
                {
                    "congress_id": congress_id,
                    "unit_id": s.unit_id,
                    "kind": s.kind,
                    "last_session_on": _iso(s.last_session_on),
                }
            )
    return out


def disclosure_view(s: dm.Disclosure) -> dict[str, Any]:
    return {
        "unit_id": s.unit_id,
        "items": {
            i: {"topic": x.topic, "period": x.period, "channel": x.channel}
            for i, x in sorted(s.items.items())
        },
        "open_complaints": sorted(c for c, x in s.complaints.items() if x.resolution is None),
    }


def tripartite_view(s: dm.Tripartite) -> dict[str, Any]:
    return {
        "committee_id": s.committee_id,
        "status": s.status or "none",
        "members": {side: list(ids) for side, ids in sorted(s.members.items())},
        "meetings": sorted(s.meetings),
        "open_issues": sorted(i for i, x in s.issues.items() if x.resolution is None),
    }


def benefits_view(s: dm.Benefits) -> dict[str, Any]:
    return {
        "programme_id": s.programme_id,
        "status": s.status or "none",
        "merchants": sorted(m for m, x in s.merchants.items() if x.enrolled),
        "offers": sorted(s.offers),
        "redemptions": len(s.redemptions),
    }
