"""Shared set-up for benchmarks: a scratch database per run, dropped afterwards."""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from marshmallow import Schema, fields
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.config import DatabaseConfig, database_config
from shared.db import open_pool
from shared.migrate import drop, migrate
from shared.registry import EventRegistry
from shared.store import EventStore


class PaymentRecorded(Schema):
    """A payload of typical size: a few ids, an amount in fen, a short text."""

    case_id = fields.String(required=True)
    programme = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    approved_by = fields.String(required=True)
    note = fields.String()


def sample_data(i: int) -> dict[str, object]:
    return {
        "amount_fen": 50_000 + i,
        "approved_by": "leader-007",
        "case_id": f"case-{i:08d}",
        "note": "冬送温暖 2026 慰问金",
        "programme": "WinterWarmth",
    }


METADATA = {"actor": "bench", "role": "caseworker", "correlation_id": "bench-run"}


def registry() -> EventRegistry:
    reg = EventRegistry()
    reg.register("PaymentRecorded", PaymentRecorded)
    return reg


def scratch_config(pid: int) -> DatabaseConfig:
    """The scratch database and role of the benchmark run in process ``pid``."""
    return replace(database_config("bench"), name=f"union_bench_{pid}", role=f"union_bench_{pid}")


@contextmanager
def scratch_store(
    max_size: int = 10,
) -> Iterator[tuple[DatabaseConfig, EventStore, ConnectionPool]]:
    cfg = scratch_config(os.getpid())
    migrate(cfg)
    pool = open_pool(cfg.service_dsn, min_size=1, max_size=max_size)
    try:
        yield cfg, EventStore(pool, registry()), pool
    finally:
        pool.close()
        drop(cfg)


COMMIT_LOOP = """
DO $$
BEGIN
    FOR i IN 1 .. {count} LOOP
        {statement};
        COMMIT;
    END LOOP;
END $$
"""


def commit_loop(statement: str, count: int, **literals: object) -> sql.Composed:
    """A DO block running ``statement`` ``count`` times, each in a transaction of its own.

    One round trip for all of them: the server's own cost of a statement and its
    commit, with no client or network in it. ``{name}`` placeholders in
    ``statement`` take ``literals`` as SQL literals; ``i`` counts from 1.
    """
    body = sql.SQL(statement).format(**{k: sql.Literal(v) for k, v in literals.items()})
    return sql.SQL(COMMIT_LOOP).format(count=sql.Literal(count), statement=body)


def rate(count: int, fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return count / (time.perf_counter() - start)


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median over rounds of each round's own ratio, rounded to three places.

    Both sides of a round run seconds apart, so a slow spell of the machine
    hits both; a ratio of medians would pair one round's figure with another's.
    """
    return round(median([n / d for n, d in zip(numerators, denominators, strict=True)]), 3)


def report(name: str, figures: dict[str, object]) -> None:
    print(json.dumps({"bench": name, **figures}, ensure_ascii=False))
