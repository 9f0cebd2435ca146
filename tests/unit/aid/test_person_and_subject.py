"""What aid knows of a person (flows F4, F8), 低保 status, and the vault's subjects (§4.3)."""

from __future__ import annotations

from datetime import date

import pytest

from services.aid.events import (
    MembershipNoted,
    ModelWorkerNoted,
    PersonalDataAccessed,
    PersonalDataAccessRefused,
    PersonalDataRecorded,
    SubjectErased,
    SubsistenceAllowanceNoted,
)
from services.aid.programmes import (
    ALLOWANCE,
    PERSON,
    READABLE,
    SUBJECT,
    Allowance,
    NoteAllowance,
    NoteMembership,
    NoteModelWorker,
    Person,
    is_stale,
)
from shared.privacy import EraseSubject, ReadPersonal, RecordPersonal, Subject, SubjectGone
from tests.unit.aid.kit import run_with

JOINED = NoteMembership("P1", "U1", "active", date(2024, 3, 1), "orgs:evt-1")
LAPSED = NoteMembership("P1", "U1", "lapsed", date(2026, 6, 1), "orgs:evt-2")
RECORD = RecordPersonal("P1", ("id_number", "bank_account"), "hardship file H1")


def person(*commands: object) -> tuple[Person, list[object]]:
    return run_with(PERSON, *commands)


def subject(*commands: object) -> tuple[Subject, list[object]]:
    return run_with(SUBJECT, *commands)


def allowance(*commands: object) -> tuple[Allowance, list[object]]:
    return run_with(ALLOWANCE, *commands)


def read(
    role: str,
    fields: tuple[str, ...] = ("id_number", "per_capita_monthly_income_fen"),
    accessor: str = "staff-1",
    same_union: bool = False,
) -> ReadPersonal:
    return ReadPersonal("P1", fields, "case C1", accessor, role, same_union)


PERSON_PATH: tuple[object, ...] = (JOINED, LAPSED, NoteModelWorker("P1", "provincial", "comp:1"))
SUBJECT_PATH: tuple[object, ...] = (
    RECORD,
    read("caseworker"),
    read("leader"),
    EraseSubject("P1", "retention ended"),
)
ALLOWANCE_PATH: tuple[object, ...] = (
    NoteAllowance("H1", ("H1/dibao_status@1",), date(2026, 1, 1), 78_000),
)
"""For the log round-trip test."""


# -- Person ---------------------------------------------------------------------------


def test_rule_a_membership_change_is_noted() -> None:
    state, events = person(JOINED, LAPSED)
    assert events == [
        MembershipNoted("P1", "U1", "active", date(2024, 3, 1), "orgs:evt-1"),
        MembershipNoted("P1", "U1", "lapsed", date(2026, 6, 1), "orgs:evt-2"),
    ]
    assert (state.member_status, state.since) == ("lapsed", date(2026, 6, 1))


def test_rule_an_older_membership_change_delivered_late_does_not_undo_a_newer_one() -> None:
    state, events = person(LAPSED, JOINED)
    assert len(events) == 1
    assert (state.member_status, state.since) == ("lapsed", date(2026, 6, 1))


def test_rule_a_duplicate_membership_note_is_a_no_op() -> None:
    _, events = person(JOINED, JOINED)
    assert len(events) == 1


def test_rule_a_move_to_another_union_is_noted() -> None:
    moved = NoteMembership("P1", "U2", "active", date(2026, 6, 1), "orgs:evt-3")
    state, _ = person(JOINED, moved)
    assert state.union_id == "U2"


def test_rule_a_model_worker_is_noted_at_the_highest_level_held() -> None:
    state, events = person(
        NoteModelWorker("P1", "county", "comp:1"),
        NoteModelWorker("P1", "county", "comp:1"),
        NoteModelWorker("P1", "province", "comp:2"),
        NoteModelWorker("P1", "city", "comp:3"),  # a lower title later: still province
    )
    assert events == [
        ModelWorkerNoted("P1", "county", "comp:1"),
        ModelWorkerNoted("P1", "province", "comp:2"),
    ]
    assert state.model_worker == "province"


# -- 低保 status ---------------------------------------------------------------------


def test_rule_an_older_allowance_status_delivered_late_is_ignored() -> None:
    assert not is_stale(Allowance(), date(2020, 1, 1))
    assert is_stale(Allowance(("H1/dibao_status@1",), date(2026, 9, 1)), date(2026, 8, 31))
    newer = NoteAllowance("H1", ("H1/dibao_status@2",), date(2026, 9, 1), 78_000)
    older = NoteAllowance("H1", ("H1/dibao_status@1",), date(2026, 1, 1), 78_000)
    state, events = allowance(newer, older)
    assert events == [
        SubsistenceAllowanceNoted("H1", ("H1/dibao_status@2",), date(2026, 9, 1), 78_000)
    ]
    assert state == Allowance(("H1/dibao_status@2",), date(2026, 9, 1))


# -- the vault's subjects --------------------------------------------------------------

BANK = ("bank_account",)


@pytest.mark.parametrize(
    ("role", "fields", "accessor", "same_union", "allowed"),
    [
        ("caseworker", ("id_number", "illness", "bank_account"), "staff-1", False, True),
        ("auditor", ("illness",), "audit-1", False, True),
        ("finance_officer", BANK, "fin-1", False, True),
        ("finance_officer", ("bank_account", "id_number"), "fin-1", False, False),
        ("finance_officer", ("illness",), "fin-1", False, False),
        ("leader", ("id_number",), "leader-1", False, False),
        ("organising_staff", ("id_number",), "org-1", False, False),
        ("subject", ("id_number", "illness"), "P1", False, True),
        ("subject", ("id_number",), "P2", False, False),
        ("grassroots_chair", ("id_number",), "chair-1", True, True),
        ("grassroots_chair", ("id_number",), "chair-9", False, False),
    ],
)
def test_rule_who_may_read_which_personal_fields_and_every_attempt_is_logged(
    role: str, fields: tuple[str, ...], accessor: str, same_union: bool, allowed: bool
) -> None:
    _, events = subject(RECORD, read(role, fields, accessor, same_union))
    logged = events[-1]
    if allowed:
        assert logged == PersonalDataAccessed("P1", fields, "case C1", accessor, role)
    else:
        assert isinstance(logged, PersonalDataAccessRefused)
        assert (logged.subject_id, logged.fields, logged.accessor, logged.role) == (
            "P1",
            fields,
            accessor,
            role,
        )
        assert logged.reason


def test_rule_the_role_table_names_exactly_the_roles_that_may_read() -> None:
    assert set(READABLE) == {
        "caseworker",
        "auditor",
        "grassroots_chair",
        "finance_officer",
        "subject",
    }
    assert READABLE["finance_officer"] == frozenset({"bank_account"})


def test_rule_recording_personal_data_is_logged_by_field_name() -> None:
    state, events = subject(RECORD, RecordPersonal("P1", ("illness",), "medical aid C2"))
    assert events[0] == PersonalDataRecorded(
        "P1", ("id_number", "bank_account"), "hardship file H1"
    )
    assert state.fields == {"id_number", "bank_account", "illness"}


def test_rule_nothing_is_recorded_about_an_erased_subject() -> None:
    with pytest.raises(SubjectGone) as refused:
        subject(RECORD, EraseSubject("P1", "retention ended"), RECORD)
    assert refused.value.code == "SubjectErased"
    assert refused.value.details == {"subject_id": "P1"}


def test_rule_erasing_twice_is_a_no_op() -> None:
    state, events = subject(RECORD, EraseSubject("P1", "asked"), EraseSubject("P1", "again"))
    assert events[-1] == SubjectErased("P1", "asked")
    assert len(events) == 2
    assert state.erased
