"""Helpers shared by the tests: a small event vocabulary and a log opened on a scratch database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from marshmallow import Schema, fields, post_load
from psycopg_pool import ConnectionPool

from shared.config import DatabaseConfig, database_config
from shared.db import open_pool
from shared.registry import EventRegistry
from shared.store import EventStore

META: dict[str, Any] = {"actor": "tester", "role": "caseworker"}

RUN_PREFIX = f"union_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
"""Names of this run's databases, roles and vhosts; a later run sweeps them if we die."""


def scratch_config(service: str = "aid") -> DatabaseConfig:
    """A database and role of this run's own, for one test (dropped after it)."""
    name = f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}_{service}"
    return replace(database_config(service), name=name, role=name)


@dataclass(frozen=True)
class Deposited:
    amount_fen: int


@dataclass(frozen=True)
class Withdrawn:
    amount_fen: int


@dataclass(frozen=True)
class Noted:
    """Carries arbitrary JSON: exercises the canonical encoding with any shape."""

    payload: Any


class DepositedSchema(Schema):
    amount_fen = fields.Integer(required=True, strict=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Deposited:
        return Deposited(**data)


class WithdrawnSchema(Schema):
    amount_fen = fields.Integer(required=True, strict=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Withdrawn:
        return Withdrawn(**data)


class NotedSchema(Schema):
    payload = fields.Raw(required=True, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Noted:
        return Noted(**data)


def registry() -> EventRegistry:
    reg = EventRegistry()
    reg.register("Deposited", DepositedSchema, event_class=Deposited)
    reg.register("Withdrawn", WithdrawnSchema, event_class=Withdrawn)
    reg.register("Noted", NotedSchema, event_class=Noted)
    return reg


@dataclass
class LogFixture:
    cfg: DatabaseConfig
    pool: ConnectionPool
    store: EventStore

    def admin(self) -> psycopg.Connection:
        """A superuser connection to the log's database (for tampering, as an attacker would)."""
        return psycopg.connect(self.cfg.admin_dsn, autocommit=True, options="-c TimeZone=UTC")

    def service(self) -> psycopg.Connection:
        return psycopg.connect(self.cfg.service_dsn, autocommit=True, options="-c TimeZone=UTC")

    def count(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT count(*) FROM events").fetchone()
        assert row is not None
        return int(row[0])


@contextmanager
def open_log(cfg: DatabaseConfig, max_size: int = 12) -> Iterator[LogFixture]:
    pool = open_pool(cfg.service_dsn, min_size=1, max_size=max_size)
    try:
        yield LogFixture(cfg, pool, EventStore(pool, registry()))
    finally:
        pool.close()


def county_today() -> date:
    """The services' today: the county's calendar day (Asia/Shanghai), not the machine's."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
