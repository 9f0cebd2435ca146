"""The vault's record of itself (shared.privacy): reads checked against a role table (§4.3),
refusals recorded as well as reads, and nothing recorded for an erased subject.

Pure: ``subject_decider`` and ``access_refusal`` only (``PersonalData`` needs a
database). Every event goes through a registry where ``shared.privacy.register``
was called, the way the store records it (dump, JSON, decode).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import DomainError
from shared.privacy import (
    EVENT_CLASSES,
    OWN_DATA_ROLE,
    UNION_SCOPED_ROLE,
    EraseSubject,
    PersonalDataAccessed,
    PersonalDataAccessRefused,
    PersonalDataRecorded,
    Readable,
    ReadPersonal,
    RecordPersonal,
    Subject,
    SubjectErased,
    SubjectGone,
    UsePersonal,
    access_refusal,
    register,
    subject_decider,
    subject_stream,
)
from shared.registry import EventRegistry

READABLE: Readable = {
    "organising_staff": None,  # members' data in full (orgs)
    "subject": None,  # their own record, all of it
    "grassroots_chair": frozenset({"name", "phone", "member_no"}),
    "leader": frozenset({"name", "member_no"}),  # a summary
    "auditor": frozenset({"name", "member_no", "id_number"}),
}
"""A service's table in the shape of domain reference §4.3. Not listed: no personal data."""

SUBJECT = subject_decider(READABLE)

EVENTS = EventRegistry()
register(EVENTS)


def recorded(event: object) -> Any:
    """The event as a reader of the log gets it back: dumped, stored as JSON, decoded."""
    new = EVENTS.new_event(event)
    version = EVENTS.prepare(new)
    return EVENTS.decode(new.event_type, version, json.loads(json.dumps(new.data)))


def run(*commands: object, state: Subject | None = None) -> tuple[Subject, list[object]]:
    """Decide and fold each command in turn; the state and every event (each round-tripped)."""
    s = SUBJECT.initial_state if state is None else state
    events: list[object] = []
    for c in commands:
        new = list(SUBJECT.decide(c, s))
        for e in new:
            assert recorded(e) == e, f"{type(e).__name__} does not survive the log"
        events += new
        s = SUBJECT.fold(new, s)
    return s, events


RECORD = RecordPersonal("P1", ("name", "id_number", "phone"), "membership application")
ERASE = EraseSubject("P1", "member withdrew and asked for deletion")


def read(
    role: str,
    fields: tuple[str, ...] = ("name", "phone"),
    accessor: str = "staff-1",
    same_union: bool = False,
) -> ReadPersonal:
    return ReadPersonal("P1", fields, "member services", accessor, role, same_union)


def accessed(
    role: str, fields: tuple[str, ...] = ("name", "phone"), accessor: str = "staff-1"
) -> PersonalDataAccessed:
    return PersonalDataAccessed("P1", fields, "member services", accessor, role)


def refused(
    role: str, reason: str, fields: tuple[str, ...] = ("name", "phone"), accessor: str = "staff-1"
) -> PersonalDataAccessRefused:
    return PersonalDataAccessRefused("P1", fields, accessor, role, reason)


def test_the_roles_with_a_scope_are_named_in_the_module() -> None:
    assert (OWN_DATA_ROLE, UNION_SCOPED_ROLE) == ("subject", "grassroots_chair")
    assert subject_stream("P1") == "Subject-P1"


# -- recording -------------------------------------------------------------------------------


def test_rule_recording_names_the_fields_never_the_values() -> None:
    state, events = run(RECORD, RecordPersonal("P1", ("bank_account",), "dues refund"))
    assert events == [
        PersonalDataRecorded("P1", ("name", "id_number", "phone"), "membership application"),
        PersonalDataRecorded("P1", ("bank_account",), "dues refund"),
    ]
    assert state == Subject(frozenset({"name", "id_number", "phone", "bank_account"}), False)


def test_rule_nothing_is_recorded_for_an_erased_subject() -> None:
    with pytest.raises(SubjectGone) as gone:
        run(RECORD, ERASE, RECORD)
    assert gone.value.code == "SubjectErased"
    assert gone.value.details == {"subject_id": "P1"}
    assert isinstance(gone.value, DomainError)


def test_rule_erasing_is_recorded_once() -> None:
    state, events = run(RECORD, ERASE, ERASE, EraseSubject("P1", "again"))
    assert events[1:] == [SubjectErased("P1", "member withdrew and asked for deletion")]
    assert state.erased
    assert state.fields == {"name", "id_number", "phone"}  # which fields were held, not values


def test_rule_a_subject_never_recorded_may_still_be_erased() -> None:
    state, events = run(ERASE)
    assert events == [SubjectErased("P1", "member withdrew and asked for deletion")]
    assert state == Subject(frozenset(), True)


# -- reading against the role table ----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "fields"),
    [
        ("organising_staff", ("name", "id_number", "phone", "bank_account")),
        ("leader", ("name",)),
        ("leader", ("name", "member_no")),
        ("auditor", ("id_number",)),
    ],
)
def test_rule_a_role_reads_the_fields_its_row_allows_and_the_read_is_recorded(
    role: str, fields: tuple[str, ...]
) -> None:
    c = read(role, fields)
    assert access_refusal(c, READABLE) is None
    _, events = run(RECORD, c)
    assert events[-1] == accessed(role, fields)


@pytest.mark.parametrize("role", ["caseworker", "finance_officer", "", "Organising_Staff"])
def test_rule_a_role_not_in_the_table_reads_nothing_and_the_refusal_is_recorded(
    role: str,
) -> None:
    reason = f"role {role} may not read personal data"
    assert access_refusal(read(role), READABLE) == reason
    _, events = run(RECORD, read(role))
    assert events[-1] == refused(role, reason)


def test_rule_a_field_restricted_role_reads_only_its_fields() -> None:
    c = read("leader", ("name", "id_number"))
    reason = "role leader may read only member_no, name"
    assert access_refusal(c, READABLE) == reason
    _, events = run(RECORD, c)
    assert events[-1] == refused("leader", reason, ("name", "id_number"))
    _, events = run(RECORD, read("auditor", ("phone",)))
    assert events[-1] == refused(
        "auditor", "role auditor may read only id_number, member_no, name", ("phone",)
    )


def test_rule_a_person_reads_only_their_own_data() -> None:
    all_fields = ("name", "id_number", "bank_account")
    _, events = run(RECORD, read(OWN_DATA_ROLE, all_fields, accessor="P1"))
    assert events[-1] == accessed(OWN_DATA_ROLE, all_fields, "P1")
    other = read(OWN_DATA_ROLE, ("name",), accessor="P2")
    reason = "a person may read only their own data"
    assert access_refusal(other, READABLE) == reason
    _, events = run(RECORD, other)
    assert events[-1] == refused(OWN_DATA_ROLE, reason, ("name",), "P2")


def test_rule_a_grassroots_chair_reads_only_their_own_unions_members() -> None:
    _, events = run(RECORD, read(UNION_SCOPED_ROLE, accessor="chair-1", same_union=True))
    assert events[-1] == accessed(UNION_SCOPED_ROLE, accessor="chair-1")
    reason = "a grassroots chair may read only their own union's members"
    other_union = read(UNION_SCOPED_ROLE, accessor="chair-1", same_union=False)
    assert access_refusal(other_union, READABLE) == reason
    _, events = run(RECORD, other_union)
    assert events[-1] == refused(UNION_SCOPED_ROLE, reason, accessor="chair-1")


def test_rule_a_grassroots_chair_in_the_same_union_still_reads_only_its_fields() -> None:
    c = read(UNION_SCOPED_ROLE, ("name", "id_number"), "chair-1", same_union=True)
    assert access_refusal(c, READABLE) == (
        "role grassroots_chair may read only member_no, name, phone"
    )


def test_rule_same_union_matters_only_for_the_union_scoped_role() -> None:
    for same_union in (True, False):
        assert access_refusal(read("leader", ("name",), same_union=same_union), READABLE) is None


def test_rule_a_scoped_role_left_out_of_the_table_reads_nothing() -> None:
    table: Readable = {"organising_staff": None}
    assert access_refusal(read(OWN_DATA_ROLE, accessor="P1"), table) == (
        "role subject may not read personal data"
    )
    c = read(UNION_SCOPED_ROLE, same_union=True)
    assert access_refusal(c, table) == "role grassroots_chair may not read personal data"


def test_rule_an_empty_field_set_reads_nothing_for_a_listed_role() -> None:
    table: Readable = {"guest": frozenset()}
    assert access_refusal(read("guest", ("name",)), table) is not None
    assert access_refusal(read("guest", ()), table) is None


def test_rule_a_read_of_an_erased_subject_is_still_recorded() -> None:
    """The vault answers '[erased]'; the record still says who asked (PIPL Art. 54)."""
    state, events = run(RECORD, ERASE, read("organising_staff"), read("caseworker"))
    assert events[-2:] == [
        accessed("organising_staff"),
        refused("caseworker", "role caseworker may not read personal data"),
    ]
    assert state.erased


def test_rule_the_services_own_use_is_recorded_as_the_service_role() -> None:
    use = UsePersonal("P1", ("bank_account",), "dues refund R7", "staff-9")
    state, events = run(RECORD, use)
    assert events[-1] == PersonalDataAccessed(
        "P1", ("bank_account",), "dues refund R7", "staff-9", "service"
    )
    assert state == run(RECORD)[0]  # a read changes nothing


def test_rule_a_command_of_another_kind_is_a_crash_not_a_refusal() -> None:
    with pytest.raises(TypeError):
        SUBJECT.decide(object(), Subject())


# -- the log -----------------------------------------------------------------------------------


def test_every_privacy_event_is_registered_and_survives_the_log() -> None:
    samples = [
        PersonalDataRecorded("P1", ("name",), "x"),
        PersonalDataAccessed("P1", ("name",), "x", "staff-1", "leader"),
        PersonalDataAccessRefused("P1", ("name",), "staff-1", "caseworker", "no"),
        SubjectErased("P1", "asked"),
    ]
    assert {type(e) for e in samples} == set(EVENT_CLASSES)
    for e in samples:
        assert type(e).__name__ in EVENTS
        assert recorded(e) == e


def test_orgs_registers_the_privacy_events_in_its_own_registry() -> None:
    from services.orgs.events import EVENTS as ORGS_EVENTS

    for cls in EVENT_CLASSES:
        assert cls.__name__ in ORGS_EVENTS


# -- properties ----------------------------------------------------------------------

ROLES = ("organising_staff", "subject", "grassroots_chair", "leader", "auditor", "caseworker")
FIELDS = ("name", "phone", "member_no", "id_number", "bank_account")

commands = st.one_of(
    st.builds(
        RecordPersonal,
        st.just("P1"),
        st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True).map(tuple),
        st.sampled_from(("application", "dues")),
    ),
    st.builds(
        ReadPersonal,
        st.just("P1"),
        st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True).map(tuple),
        st.just("member services"),
        st.sampled_from(("P1", "P2", "staff-1", "chair-1")),
        st.sampled_from(ROLES),
        st.booleans(),
    ),
    st.builds(
        UsePersonal,
        st.just("P1"),
        st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True).map(tuple),
        st.just("classification"),
        st.just("staff-1"),
    ),
    st.builds(EraseSubject, st.just("P1"), st.just("asked")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=20))
def test_property_replaying_a_subjects_recorded_events_gives_the_live_state(
    sequence: list[object],
) -> None:
    state = SUBJECT.initial_state
    log: list[object] = []
    for c in sequence:
        try:
            events = list(SUBJECT.decide(c, state))
        except DomainError:
            assert isinstance(c, RecordPersonal) and state.erased  # the only refusal
            continue
        log += [recorded(e) for e in events]
        state = SUBJECT.fold(events, state)
        assert SUBJECT.fold(log) == state
        if isinstance(c, ReadPersonal):  # every read leaves exactly one record, as decided
            reason = access_refusal(c, READABLE)
            expected = (
                PersonalDataAccessed(c.subject_id, c.fields, c.purpose, c.accessor, c.role)
                if reason is None
                else PersonalDataAccessRefused(c.subject_id, c.fields, c.accessor, c.role, reason)
            )
            assert events == [expected]
    assert sum(isinstance(e, SubjectErased) for e in log) <= 1
    erased_at = next((i for i, e in enumerate(log) if isinstance(e, SubjectErased)), len(log))
    assert not any(isinstance(e, PersonalDataRecorded) for e in log[erased_at:])
