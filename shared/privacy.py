"""The vault's record of itself: what personal data was stored, who read it, what was erased.

A service keeps these events on ``Subject-<id>`` streams in its own log, in
the same transaction as the vault rows they describe (PIPL Arts. 51, 54). The
events name fields, never values. Which role may read which fields is the
service's table (domain reference §4.3), passed to ``subject_decider``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from shared.decider import Decider, execute, load
from shared.errors import DomainError
from shared.registry import EventRegistry
from shared.schemas import event_schema
from shared.store import EventStore
from shared.vault import Vault

Readable = Mapping[str, frozenset[str] | None]
"""Role → the personal fields it may read (None: all of them). Roles not listed: none."""

OWN_DATA_ROLE = "subject"
"""The person reading their own data (PIPL Art. 45): only with their own id."""

UNION_SCOPED_ROLE = "grassroots_chair"
"""Reads only the members of the accessor's own union."""


class AccessDenied(DomainError):
    """This role may not read these personal fields (the refusal is recorded too)."""

    code = "AccessDenied"


class SubjectGone(DomainError):
    code = "SubjectErased"


@dataclass(frozen=True)
class PersonalDataRecorded:
    subject_id: str
    fields: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class PersonalDataAccessed:
    """Every read of personal data, by whom, in which role, for what (PIPL Art. 54)."""

    subject_id: str
    fields: tuple[str, ...]
    purpose: str
    accessor: str
    role: str


@dataclass(frozen=True)
class PersonalDataAccessRefused:
    subject_id: str
    fields: tuple[str, ...]
    accessor: str
    role: str
    reason: str


@dataclass(frozen=True)
class SubjectErased:
    """The subject's key is destroyed: its vault values are unreadable for ever."""

    subject_id: str
    reason: str


EVENT_CLASSES = (
    PersonalDataRecorded,
    PersonalDataAccessed,
    PersonalDataAccessRefused,
    SubjectErased,
)


def register(reg: EventRegistry) -> None:
    for cls in EVENT_CLASSES:
        reg.register(cls.__name__, event_schema(cls), event_class=cls)


@dataclass(frozen=True)
class Subject:
    fields: frozenset[str] = frozenset()
    erased: bool = False


@dataclass(frozen=True)
class RecordPersonal:
    subject_id: str
    fields: tuple[str, ...]
    purpose: str


@dataclass(frozen=True)
class ReadPersonal:
    subject_id: str
    fields: tuple[str, ...]
    purpose: str
    accessor: str
    role: str
    same_union: bool
    """The accessor's union holds the subject (for a union-scoped role)."""


@dataclass(frozen=True)
class UsePersonal:
    """The service itself reads values for a decision (a classification, a payment)."""

    subject_id: str
    fields: tuple[str, ...]
    purpose: str
    accessor: str


@dataclass(frozen=True)
class EraseSubject:
    subject_id: str
    reason: str


def evolve_subject(s: Subject, e: object) -> Subject:
    match e:
        case PersonalDataRecorded():
            return replace(s, fields=s.fields | set(e.fields))
        case SubjectErased():
            return replace(s, erased=True)
    return s


def access_refusal(c: ReadPersonal, readable: Readable) -> str | None:
    if c.role not in readable:
        return f"role {c.role} may not read personal data"
    allowed = readable[c.role]
    if allowed is not None and not set(c.fields) <= allowed:
        return f"role {c.role} may read only {', '.join(sorted(allowed))}"
    if c.role == OWN_DATA_ROLE and c.accessor != c.subject_id:
        return "a person may read only their own data"
    if c.role == UNION_SCOPED_ROLE and not c.same_union:
        return "a grassroots chair may read only their own union's members"
    return None


def subject_decider(readable: Readable) -> Decider[object, Subject, object]:
    def decide(c: object, s: Subject) -> list[object]:
        match c:
            case RecordPersonal():
                if s.erased:
                    raise SubjectGone("this subject was erased", subject_id=c.subject_id)
                return [PersonalDataRecorded(c.subject_id, c.fields, c.purpose)]
            case ReadPersonal():
                if reason := access_refusal(c, readable):
                    # Denials are logged as well as reads (audit need 1).
                    return [
                        PersonalDataAccessRefused(
                            c.subject_id, c.fields, c.accessor, c.role, reason
                        )
                    ]
                return [PersonalDataAccessed(c.subject_id, c.fields, c.purpose, c.accessor, c.role)]
            case UsePersonal():
                return [
                    PersonalDataAccessed(c.subject_id, c.fields, c.purpose, c.accessor, "service")
                ]
            case EraseSubject():
                return [] if s.erased else [SubjectErased(c.subject_id, c.reason)]
        raise TypeError(f"not a subject command: {c!r}")

    return Decider(Subject(), evolve_subject, decide)


def subject_stream(subject_id: str) -> str:
    return f"Subject-{subject_id}"


ERASED = "[erased]"


@dataclass(frozen=True)
class ReadAnswer:
    subject_id: str
    status: str
    values: dict[str, Any]
    refused: str | None
    """Why the read was refused (recorded all the same); None when it was allowed."""


class PersonalData:
    """The vault and its record, written together in the caller's transaction."""

    def __init__(
        self,
        store: EventStore,
        vault: Vault,
        readable: Readable,
        erasers: frozenset[str] = frozenset(),
    ) -> None:
        self.store = store
        self.vault = vault
        self.readable = readable
        self.erasers = erasers
        """The roles that may destroy a subject's data (the controller's, not any caller's)."""
        self.decider = subject_decider(readable)

    def put(
        self,
        conn: psycopg.Connection,
        subject_id: str,
        values: Mapping[str, Any],
        purpose: str,
        *,
        metadata: Mapping[str, Any],
        command_id: str,
    ) -> tuple[str, ...]:
        """Store values; the event names the fields. Empty values store nothing."""
        if not values:
            return ()
        fields = tuple(sorted(values))
        key = f"{command_id}:{','.join(fields)}"
        stream = subject_stream(subject_id)
        if key in load(self.store, self.decider, stream, conn).command_ids:
            return fields  # the same call again: the values stored then stand
        stored = self.vault.put(conn, subject_id, values)
        self._record(conn, subject_id, RecordPersonal(subject_id, stored, purpose), metadata, key)
        return stored

    def use(
        self,
        conn: psycopg.Connection,
        subject_id: str,
        fields: Iterable[str],
        purpose: str,
        *,
        metadata: Mapping[str, Any],
        command_id: str,
    ) -> dict[str, Any]:
        """Values for a decision the service makes, recorded as a read by the service."""
        wanted = tuple(fields)
        values = self.vault.get(conn, subject_id, wanted)  # SubjectErased if shredded
        accessor = str(metadata.get("actor", "service"))
        c = UsePersonal(subject_id, wanted, purpose, accessor)
        self._record(conn, subject_id, c, metadata, f"{command_id}:{purpose}")
        return values

    def read(
        self,
        conn: psycopg.Connection,
        subject_id: str,
        fields: Iterable[str],
        purpose: str,
        *,
        role: str,
        same_union: bool,
        metadata: Mapping[str, Any],
        command_id: str,
    ) -> ReadAnswer:
        """A person's read: checked against the role table and recorded either way.

        The caller commits before it tells the reader of a refusal, so the
        refusal stays in the log (audit need 7).
        """
        wanted = tuple(fields)
        accessor = str(metadata.get("actor", ""))
        c = ReadPersonal(subject_id, wanted, purpose, accessor, role, same_union)
        self._record(conn, subject_id, c, metadata, command_id)
        # Decided again here, not read off the events: a retried call records nothing new.
        if refused := access_refusal(c, self.readable):
            return ReadAnswer(subject_id, "refused", {}, refused)
        status = self.vault.status(conn, subject_id)
        if status == "erased":
            return ReadAnswer(subject_id, status, dict.fromkeys(wanted, ERASED), None)
        got = self.vault.get(conn, subject_id, wanted)
        return ReadAnswer(subject_id, status, {f: got.get(f) for f in wanted}, None)

    def erase(
        self,
        conn: psycopg.Connection,
        subject_ids: Sequence[str],
        reason: str,
        *,
        role: str,
        metadata: Mapping[str, Any],
        command_id: str,
    ) -> None:
        """Crypto-shredding: the keys go and the log says so, in one transaction.

        Every key before any event: a put takes the subject's vault lock and then
        the log's, so taking them the other way round could deadlock with it.
        """
        if role not in self.erasers:
            raise AccessDenied(
                f"role {role or 'none'} may not erase personal data",
                role=role,
                allowed_roles=sorted(self.erasers),
            )
        for subject_id in subject_ids:
            self.vault.erase(conn, subject_id)
        for subject_id in subject_ids:
            c = EraseSubject(subject_id, reason)
            self._record(conn, subject_id, c, metadata, command_id)

    def _record(
        self,
        conn: psycopg.Connection,
        subject_id: str,
        command: object,
        metadata: Mapping[str, Any],
        command_id: str,
    ) -> tuple[object, ...]:
        meta = {**metadata, "command_type": type(command).__name__}
        done = execute(
            self.store,
            self.decider,
            subject_stream(subject_id),
            command,
            command_id=command_id,
            metadata=meta,
            conn=conn,
        )
        return done.events
