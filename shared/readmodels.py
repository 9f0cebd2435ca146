"""Read models: what every service's are built on, and the auditors' replay of them.

A service's read models are functions of its log alone (``READ_MODELS`` in its
``contract.py``: name → function of an ``EventStore``). ``replay`` proves it:
it copies the log into a scratch database, computes every read model there and
on the live database, and reports each difference.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from shared.config import DatabaseConfig
from shared.db import open_pool
from shared.migrate import migrate
from shared.registry import EventRegistry
from shared.store import EventStore

LOCAL_TIME = ZoneInfo(os.environ.get("UNION_TIME_ZONE", "Asia/Shanghai"))
"""Deadlines, fiscal years and report months are the county's, not UTC's."""

ReadModel = Callable[[EventStore], Any]


def local_day(instant: datetime) -> date:
    return instant.astimezone(LOCAL_TIME).date()


def stream_keys(
    store: EventStore, stream_type: str, conn: psycopg.Connection | None = None
) -> list[str]:
    """The ids of every stream of a type (``Type-<id>``), in order."""
    sql = "SELECT DISTINCT stream_id FROM events WHERE stream_type = %s ORDER BY stream_id"
    if conn is not None:
        rows = conn.execute(sql, (stream_type,)).fetchall()
    else:
        with store.pool.connection() as own:
            rows = own.execute(sql, (stream_type,)).fetchall()
    return [r[0].split("-", 1)[1] for r in rows]


@dataclass(frozen=True)
class Difference:
    read_model: str
    path: str
    live: Any
    replayed: Any


@dataclass(frozen=True)
class ReplayReport:
    service: str
    events: int
    read_models: tuple[str, ...]
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def replay(
    cfg: DatabaseConfig, registry: EventRegistry, read_models: Mapping[str, ReadModel]
) -> ReplayReport:
    """Rebuild every read model from a copy of the log and compare it with the live one."""
    scratch = replace(cfg, name=f"{cfg.name}_replay_{uuid.uuid4().hex[:8]}", role_password=None)
    with _scratch_database(scratch):
        events = _copy_log(cfg, scratch)
        with _store(cfg.admin_dsn, registry) as live, _store(scratch.admin_dsn, registry) as copy:
            differences: list[Difference] = []
            for name, model in read_models.items():
                differences += _diff(name, "", _plain(model(live)), _plain(model(copy)))
    return ReplayReport(cfg.service, events, tuple(read_models), tuple(differences))


@contextmanager
def _scratch_database(scratch: DatabaseConfig) -> Iterator[None]:
    # The scratch database has its own name but the live role: migrate grants to it.
    migrate(scratch)
    try:
        yield
    finally:
        # Only the database: the role is the live service's and stays.
        with psycopg.connect(scratch.maintenance_dsn, autocommit=True) as conn:
            name = sql.Identifier(scratch.name)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _copy_log(live: DatabaseConfig, scratch: DatabaseConfig) -> int:
    """The rows as stored, byte for byte, through COPY: flat memory at any size."""
    columns = (
        "position, stream_id, stream_type, version, event_id, event_type, schema_version,"
        " data, metadata, recorded_at, prev_hash, hash"
    )
    with (
        psycopg.connect(live.admin_dsn) as source,
        psycopg.connect(scratch.admin_dsn) as target,
        source.cursor().copy(
            f"COPY (SELECT {columns} FROM events ORDER BY position) TO STDOUT"
        ) as out,
        target.cursor().copy(f"COPY events ({columns}) FROM STDIN") as into,
    ):
        for chunk in out:
            into.write(chunk)
    with psycopg.connect(scratch.admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def _store(dsn: str, registry: EventRegistry) -> Iterator[EventStore]:
    pool = open_pool(dsn, min_size=1, max_size=2, name="replay")
    try:
        yield EventStore(pool, registry)
    finally:
        pool.close()


def _plain(value: Any) -> Any:
    """JSON's view of a read model, as an RPC caller would see it."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _diff(model: str, path: str, live: Any, copy: Any) -> list[Difference]:
    if isinstance(live, dict) and isinstance(copy, dict):
        out: list[Difference] = []
        for key in sorted(set(live) | set(copy)):
            out += _diff(model, f"{path}.{key}", live.get(key), copy.get(key))
        return out
    if isinstance(live, list) and isinstance(copy, list) and len(live) == len(copy):
        out = []
        for i, (a, b) in enumerate(zip(live, copy, strict=True)):
            out += _diff(model, f"{path}[{i}]", a, b)
        return out
    return [] if live == copy else [Difference(model, path or ".", live, copy)]


def distinct_values(store: EventStore, event_type: str, field: str) -> list[str]:
    """Every value one field of one event type takes in the log (years, for instance)."""
    with store.pool.connection() as conn:
        rows = conn.execute(
            "SELECT DISTINCT data->>%s FROM events WHERE event_type = %s ORDER BY 1",
            (field, event_type),
        ).fetchall()
    return [r[0] for r in rows if r[0] is not None]
