"""Marshmallow schemas for frozen event dataclasses, from their annotations.

``event_schema(SomethingHappened, amount_fen=money())`` gives a schema whose
fields follow the dataclass (``int`` strict, ``str``, ``bool``, ``date``,
aware ``datetime``, ``X | None``, ``tuple[str, ...]``) with the overrides for
fields that need rules, and whose ``load`` builds the dataclass.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields, post_load, validate


def money() -> fields.Integer:
    """An amount in fen, never negative."""
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


def one_of(*choices: str) -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(choices))


def _field_for(hint: Any) -> fields.Field[Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        field = _field_for(inner)
        field.allow_none = True
        field.required = False
        field.load_default = None
        return field
    if origin is tuple:
        return fields.List(_field_for(typing.get_args(hint)[0]), required=True)
    simple: dict[Any, type[fields.Field[Any]]] = {
        str: fields.String,
        bool: fields.Boolean,
        date: fields.Date,
    }
    if hint is int:
        return fields.Integer(required=True, strict=True)
    if hint is datetime:
        return fields.AwareDateTime(required=True)
    if hint in simple:
        return simple[hint](required=True)
    raise TypeError(f"no schema field for {hint!r}")


def event_schema(cls: type, **overrides: fields.Field[Any]) -> type[Schema]:
    hints = typing.get_type_hints(cls)
    attrs: dict[str, Any] = {}
    tuples = []
    for f in dataclasses.fields(cls):
        attrs[f.name] = overrides.get(f.name) or _field_for(hints[f.name])
        if typing.get_origin(hints[f.name]) is tuple:
            tuples.append(f.name)

    def make(self: Schema, data: dict[str, Any], **_: Any) -> Any:
        for name in tuples:
            data[name] = tuple(data[name])
        return cls(**data)

    attrs["make"] = post_load(make)
    return type(f"{cls.__name__}Schema", (Schema,), attrs)


# -- command fields every service writes the same way -------------------------------


def ident(most: int = 64) -> fields.String:
    """A required id: stream keys, people, cases (never empty, bounded for command ids)."""
    return fields.String(required=True, validate=validate.Length(min=1, max=most))


def text(most: int = 500) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=most))


def count(least: int = 0) -> fields.Integer:
    """A required whole number (fen, people, days) of at least ``least``."""
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=least))


def year() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))


def day() -> fields.Date:
    return fields.Date(required=True)


def idents(least: int = 1) -> fields.List[str]:
    return fields.List(ident(), required=True, validate=validate.Length(min=least))
