"""Dated, versioned policy parameters: the numbers below national law.

A decision looks a parameter up for the day it applies to and records the
parameter's version (in the event's data and in ``metadata.policy``), so an
auditor can tell which rule produced it. A change is a new row with a later
``effective_from`` and a new version; old rows stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.errors import DomainError


@dataclass(frozen=True)
class Parameter:
    key: str
    value: int | str
    effective_from: date
    version: str
    source: str


class UnknownParameter(DomainError):
    """No row of a parameter is in force on the day asked: the decision cannot be made."""

    code = "UnknownParameter"


class PolicyTable:
    def __init__(self, rows: list[Parameter]) -> None:
        self._rows = sorted(rows, key=lambda p: (p.key, p.effective_from))

    def at(self, key: str, on: date) -> Parameter:
        """The row of ``key`` in force on ``on``."""
        found = None
        for row in self._rows:
            if row.key == key and row.effective_from <= on:
                found = row
        if found is None:
            raise UnknownParameter(
                f"no {key} in force on {on.isoformat()}", key=key, on=on.isoformat()
            )
        return found

    def number(self, key: str, on: date) -> tuple[int, str]:
        """(value, version) of an integer parameter."""
        row = self.at(key, on)
        if not isinstance(row.value, int):
            raise TypeError(f"{key} is not a number")
        return row.value, row.version

    def rows(self) -> list[Parameter]:
        return list(self._rows)

    def text(self, key: str, on: date) -> tuple[str, str]:
        """(value, version) of a text parameter."""
        row = self.at(key, on)
        if not isinstance(row.value, str):
            raise TypeError(f"{key} is not text")
        return row.value, row.version
