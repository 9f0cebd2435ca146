"""The refusals every decider makes, with one set of codes across the services."""

from __future__ import annotations

from typing import Any

from shared.errors import DomainError


class InvalidTransition(DomainError):
    """The command does not apply in the aggregate's current state."""

    code = "InvalidTransition"


class InvalidValue(DomainError):
    """A value outside what the rules allow: a kind, a term, a topic, a date order."""

    code = "InvalidValue"


class AlreadyRecorded(DomainError):
    """An id already recorded with other content (the same content again records nothing)."""

    code = "AlreadyRecorded"


class UnknownReference(DomainError):
    """The command names something (a session, an item, an offer) the aggregate does not have."""

    code = "UnknownReference"


def refuse(state: str, command: object, *allowed: str) -> InvalidTransition:
    return InvalidTransition(
        f"{type(command).__name__} does not apply to a {state or 'missing'} record",
        state=state or "none",
        allowed=list(allowed),
    )


def need(state: str, command: object, *allowed: str) -> None:
    if state not in allowed:
        raise refuse(state, command, *allowed)


def one_of(name: str, value: object, allowed: tuple[Any, ...]) -> None:
    if value not in allowed:
        raise InvalidValue(f"{name} must be one of {allowed}", field=name, allowed=list(allowed))


def same_or_clash(recorded: object, again: object, kind: str, ident: str) -> list[object]:
    """A repeat of what is recorded records nothing; the id with other content is refused."""
    if recorded == again:
        return []
    raise AlreadyRecorded(f"{kind} {ident} is already recorded differently", **{kind: ident})
