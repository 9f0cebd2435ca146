"""Every event aid's deciders produce survives the log: schema dump, JSON, decode."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

import tests.unit.aid.test_assistance_case as case
import tests.unit.aid.test_campaign as campaign
import tests.unit.aid.test_claim as claim
import tests.unit.aid.test_hardship_file as hardship
import tests.unit.aid.test_legal_aid as legal
import tests.unit.aid.test_mutual_aid as mutual
import tests.unit.aid.test_person_and_subject as people
import tests.unit.aid.test_recuperation as recuperation
from services.aid import events as aid_events
from services.aid.domain import (
    CASE,
    CLAIM,
    HARDSHIP_FILE,
    ApproveAid,
    AssessAid,
    CancelAid,
    ClosePublicNotice,
    ConvertTemporary,
    Deregister,
    EstablishFile,
    OrderRecovery,
    RaiseObjection,
    RecordRecovery,
    RejectAid,
    ReservationLapsed,
    TimeOutApproval,
)
from services.aid.events import EVENTS
from services.aid.programmes import (
    ALLOWANCE,
    CAMPAIGN,
    ENROLLMENT,
    LEGAL_AID,
    PERSON,
    RECUPERATION,
    SUBJECT,
    DecideLegalAid,
)
from shared.decider import Decider
from tests.unit.aid.kit import NOW, TODAY, recorded, run_with

NOT_FROM_A_DECIDER: frozenset[str] = frozenset()
"""Registered event types no decider produces (none today: keep it that way or say why)."""

SCENARIOS: list[tuple[str, Decider[object, Any, object], tuple[object, ...]]] = [
    ("file: objection, reclassify, review, transfer, lift out", HARDSHIP_FILE, hardship.FULL_PATH),
    (
        "file: excluded, then temporary, converted and deregistered",
        HARDSHIP_FILE,
        (
            hardship.submit(exclusions=("owns_two_or_more_homes",)),
            hardship.submit(temporary=True),
            hardship.REVIEW,
            EstablishFile("accident", "house fire", "county", TODAY, 365),
            ConvertTemporary("relative", TODAY, 365),
            Deregister("moved away", TODAY),
        ),
    ),
    (
        "file: discrepancy, above every threshold, upheld objection",
        HARDSHIP_FILE,
        (
            *hardship.UP_TO_NOTICE[:4],
            hardship.result(outcome="discrepancy"),
            hardship.VERIFY,
            hardship.result(per_capita=500_000),
            hardship.NOTICE,
            RaiseObjection("obj-1", "owns a shop"),
            ClosePublicNotice(True, "confirmed", hardship.ENDS),
        ),
    ),
    ("case: request to close", CASE, case.FULL_PATH),
    (
        "case: blocked, timed out, lapsed, recovered",
        CASE,
        (
            case.request(),
            case.ASSESS,
            case.approve(),
            case.no(),
            case.approve("leader-2"),
            TimeOutApproval(NOW + timedelta(days=3)),
            case.yes(case.R2),
            ReservationLapsed(case.R2),
            ApproveAid("leader-1", NOW + timedelta(days=4), 48),
            case.yes("case:C1.3"),
            case.ORDER,
            case.DISBURSE,
            case.SIGN,
            OrderRecovery(150_000, "income concealed", "leader-1"),
            RecordRecovery(150_000, "V-REC-1"),
        ),
    ),
    (
        "case: a service approved without money",
        CASE,
        (
            case.request(programme="spring_jobs", amount=0, household=None, needs_file=False),
            AssessAid("cw-2", 0, "job fair"),
            case.approve(),
            case.CLOSE,
        ),
    ),
    (
        "case: cancelled while awaiting funds, late yes released",
        CASE,
        (case.request(), case.ASSESS, case.approve(), CancelAid("withdrawn", "cw-1"), case.yes()),
    ),
    ("case: rejected", CASE, (case.request(), RejectAid("not in hardship", "leader-1"))),
    ("claim", CLAIM, claim.FULL_PATH),
    ("campaign: refused, reopened, paid, closed", CAMPAIGN, campaign.FULL_PATH),
    ("campaign: closed unused", CAMPAIGN, (*campaign.ROSTER, campaign.CLOSE)),
    ("mutual aid", ENROLLMENT, mutual.FULL_PATH),
    ("legal aid", LEGAL_AID, legal.FULL_PATH),
    ("legal aid: declined", LEGAL_AID, (legal.REQUEST, DecideLegalAid(False, "legal-1", "no"))),
    ("recuperation", RECUPERATION, recuperation.FULL_PATH),
    (
        "recuperation: a nominee registered a model worker since",
        RECUPERATION,
        (
            recuperation.PLAN,
            recuperation.nominate("p1", "general"),
            recuperation.nominate("p1", "model_worker"),
        ),
    ),
    ("person", PERSON, people.PERSON_PATH),
    ("subject", SUBJECT, people.SUBJECT_PATH),
    ("allowance", ALLOWANCE, people.ALLOWANCE_PATH),
]


def produced() -> list[object]:
    out: list[object] = []
    for _, decider, commands in SCENARIOS:
        out += run_with(decider, *commands)[1]
    return out


@pytest.mark.parametrize(
    ("decider", "commands"), [(d, c) for _, d, c in SCENARIOS], ids=[n for n, _, _ in SCENARIOS]
)
def test_every_event_of_a_scenario_decodes_to_an_equal_object(
    decider: Decider[object, Any, object], commands: tuple[object, ...]
) -> None:
    for event in run_with(decider, *commands)[1]:
        assert recorded(event) == event


def test_the_scenarios_produce_every_registered_event_type() -> None:
    registered = {name for name, _, _ in EVENTS.schemas()}
    seen = {type(e).__name__ for e in produced()}
    assert registered - seen == NOT_FROM_A_DECIDER
    assert seen <= registered  # nothing a decider emits is missing from the registry


def test_every_registered_schema_names_exactly_its_events_fields() -> None:
    for name, version, schema in EVENTS.schemas():
        if version < EVENTS.current_version(name):
            continue  # an earlier shape, read through its upcaster
        cls = getattr(aid_events, name)
        assert set(schema.fields) == {f.name for f in dataclasses.fields(cls)}, name


def test_a_v1_rejection_is_read_without_the_exclusions_it_carried() -> None:
    v1 = {
        "stage": "submission",
        "reason": "Excluded",
        "opinion": "",
        "exclusions": ["owns_two_or_more_homes"],
    }
    assert EVENTS.current_version("HardshipApplicationRejected") == 2
    decoded = EVENTS.decode("HardshipApplicationRejected", 1, v1)
    assert decoded == aid_events.HardshipApplicationRejected("submission", "Excluded", "", ())


def test_dates_and_aware_datetimes_survive_the_log_as_such() -> None:
    requested = next(e for e in produced() if isinstance(e, aid_events.AidApprovalRequested))
    back = recorded(requested)
    assert back.reply_due.tzinfo is not None
    assert back.reply_due == requested.reply_due
    established = next(e for e in produced() if isinstance(e, aid_events.HardshipFileEstablished))
    assert type(recorded(established).review_due_on) is date
