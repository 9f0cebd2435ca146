"""Event types: a marshmallow schema per (type, schema version), and upcasters.

Writing always uses a type's newest version. Reading lifts an old payload one
version at a time through the upcasters, then loads it with the newest schema;
stored rows are never rewritten.

A schema's ``load`` turns JSON data into the domain's event object (usually a
frozen dataclass, via ``@post_load``); its ``dump`` turns the object back into
JSON data. Writing checks the round trip: what is recorded must load again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from marshmallow import Schema, ValidationError

from shared.errors import InvalidEvent, UnknownEventType

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: its type, its JSON data, and its id (the idempotency key)."""

    event_type: str
    data: Mapping[str, Any]
    event_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class _Version:
    schema: Schema
    upcast: Upcaster | None  # lifts data of the previous version to this one


class EventRegistry:
    def __init__(self) -> None:
        self._versions: dict[str, dict[int, _Version]] = {}
        self._names: dict[type, str] = {}

    def register(
        self,
        event_type: str,
        schema: Schema | type[Schema],
        *,
        version: int = 1,
        event_class: type | None = None,
        upcast: Upcaster | None = None,
    ) -> None:
        """Register ``schema`` for ``event_type`` at ``version``.

        ``upcast`` lifts data of ``version - 1`` to this version; it is required
        for every version after the first.
        """
        versions = self._versions.setdefault(event_type, {})
        if version in versions:
            raise ValueError(f"{event_type} v{version} is already registered")
        if version > 1 and version - 1 not in versions:
            raise ValueError(f"{event_type} v{version} registered before v{version - 1}")
        if version > 1 and upcast is None:
            raise ValueError(f"{event_type} v{version} needs an upcaster from v{version - 1}")
        instance = schema() if isinstance(schema, type) else schema
        versions[version] = _Version(instance, upcast)
        if event_class is not None:
            self._names[event_class] = event_type

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._versions

    def schemas(self) -> Iterator[tuple[str, int, Schema]]:
        """Every registered (event type, version, schema), in name and version order."""
        for name in sorted(self._versions):
            for version, entry in sorted(self._versions[name].items()):
                yield name, version, entry.schema

    def current_version(self, event_type: str) -> int:
        return max(self._lookup(event_type))

    def new_event(self, event: object, event_id: UUID | None = None) -> NewEvent:
        """Wrap a domain event object registered with ``event_class``."""
        try:
            name = self._names[type(event)]
        except KeyError:
            raise UnknownEventType(
                f"no event type is registered for class {type(event).__name__}",
                event_class=type(event).__name__,
            ) from None
        schema = self._lookup(name)[self.current_version(name)].schema
        data = schema.dump(event)
        return NewEvent(name, data, event_id or uuid4())

    def prepare(self, event: NewEvent) -> int:
        """Check data loads with the newest schema (so it will load when read); its version."""
        versions = self._lookup(event.event_type)
        version = max(versions)
        try:
            versions[version].schema.load(event.data)
        except ValidationError as exc:
            raise InvalidEvent(
                f"{event.event_type} payload failed its schema v{version}",
                event_type=event.event_type,
                fields=exc.messages,
            ) from None
        return version

    def decode(self, event_type: str, schema_version: int, data: Mapping[str, Any]) -> Any:
        """Upcast recorded data to the newest version and load it."""
        versions = self._lookup(event_type)
        if schema_version not in versions:
            raise UnknownEventType(
                f"{event_type} v{schema_version} is not registered",
                event_type=event_type,
                schema_version=schema_version,
            )
        lifted = dict(data)
        newest = max(versions)
        for v in range(schema_version + 1, newest + 1):
            upcast = versions[v].upcast
            assert upcast is not None  # register() requires one
            lifted = upcast(lifted)
        return versions[newest].schema.load(lifted)

    def _lookup(self, event_type: str) -> dict[int, _Version]:
        try:
            return self._versions[event_type]
        except KeyError:
            raise UnknownEventType(
                f"unknown event type {event_type!r}", event_type=event_type
            ) from None
