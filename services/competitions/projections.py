"""competitions' read models, computed from its own log on demand (as the others' are).

People appear by id only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from services.competitions import domain as d
from services.competitions import honours as h
from shared.decider import load, load_all
from shared.readmodels import local_day
from shared.store import EventStore

county_day = local_day


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def competition_view(s: d.Competition) -> dict[str, Any]:
    return {
        "competition_id": s.competition_id,
        "status": s.status or "none",
        "kind": s.kind,
        "fiscal_year": s.fiscal_year,
        "participants": len(s.participants),
        "scores": dict(sorted(s.scores.items())),
        "vetoed": sorted(s.fatal),
        "awards": [
            {"participant_id": a.participant_id, "award": a.award, "prize_fen": a.prize_fen}
            for a in s.awards
        ],
        "notice_ends_on": _iso(s.notice_ends_on),
        "prize_funding": s.funding,
        "request_id": s.request_id,
    }


def competitions(store: EventStore, fiscal_year: int) -> list[dict[str, Any]]:
    out = []
    for competition in load_all(store, d.COMPETITION, "Competition").values():
        s = competition.state
        if s.fiscal_year == fiscal_year:
            out.append(competition_view(s))
    return out


def studio_view(s: d.Studio) -> dict[str, Any]:
    return {
        "studio_id": s.studio_id,
        "status": s.status or "none",
        "kind": s.kind,
        "level": s.level,
        "leader_id": s.leader_id,
        "team_size": len(set(s.team_ids)),
        "named_on": _iso(s.named_on),
        "reconfirm_due_on": _iso(s.reconfirm_due_on),
        "subsidy": s.subsidy,
        "subsidy_fen": s.subsidy_fen,
        "request_id": s.request_id,
        "project_years": sorted(s.projects),
    }


def studios(store: EventStore, level: str | None) -> list[dict[str, Any]]:
    out = []
    for studio in load_all(store, d.STUDIO, "Studio").values():
        s = studio.state
        if level is None or s.level == level:
            out.append(studio_view(s))
    return out


def selection_view(s: h.Selection) -> dict[str, Any]:
    return {
        "selection_id": s.selection_id,
        "status": s.status or "none",
        "kind": s.kind,
        "level": s.level,
        "year": s.year,
        "quota": s.quota,
        "nominations": {n: x.status for n, x in sorted(s.nominations.items())},
        "notice_ends_on": _iso(s.notice_ends_on),
        "approved": list(s.approved_ids),
        "conferred": list(s.conferred_ids),
    }


def selections(store: EventStore) -> list[dict[str, Any]]:
    return [selection_view(s.state) for s in load_all(store, h.SELECTION, "Selection").values()]


_TAKES_ENDORSEMENTS = ("nominations_open", "screening")
"""Selection stages in which a late congress resolution still makes a nomination eligible."""


def selections_nominating(
    store: EventStore, nominee_id: str, conn: psycopg.Connection
) -> list[str]:
    """Selections where this nominee waits for a congress's endorsement (flow F11)."""
    rows = conn.execute(
        "SELECT DISTINCT stream_id FROM events WHERE event_type = 'CandidateNominated'"
        " AND data->>'nominee_id' = %s ORDER BY stream_id",
        (nominee_id,),
    ).fetchall()
    waiting = []
    for (stream,) in rows:
        s = load(store, h.SELECTION, stream, conn).state
        # Only where the nomination is not endorsed yet and the selection still takes it
        # (honours.NoteEndorsement): a finished or cancelled selection that once named
        # the nominee would refuse the note and, with it, the whole resolution.
        if not s.nominations[nominee_id].endorsed and s.status in _TAKES_ENDORSEMENTS:
            waiting.append(stream.split("-", 1)[1])
    return waiting


def worker_view(person_id: str, s: h.ModelWorker) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "status": s.status or "none",
        "titles": [{"title": t.title, "level": t.level, "year": t.year} for t in s.titles],
        "highest_level": h.highest_title_level(s),
        "hardship_flags": sorted(s.flags),
        "health_check_years": sorted(s.health_checks),
    }


def model_workers(store: EventStore) -> list[dict[str, Any]]:
    return [
        worker_view(pid, w.state)
        for pid, w in load_all(store, h.MODEL_WORKER, "ModelWorker").items()
    ]


def skills_view(s: h.Skills) -> dict[str, Any]:
    return {
        "person_id": s.person_id,
        "trainings": sorted(s.trainings),
        "appraisals": {
            cert: {"occupation": a.occupation, "level": a.level}
            for cert, a in sorted(s.appraisals.items())
        },
        "highest_level": h.highest_level(s),
    }
