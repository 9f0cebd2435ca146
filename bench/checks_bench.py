"""What the log table's checks cost, now and as migration 0001 made them.

Rows: three tables with the log's columns and keys, a copy of the log's table
(its domains' checks and its own, migration 0008), one with the columns' base
types and 0001's eight checks (two patterns with bounded repeats), and one with
no checks. The server inserts N rows into each in a DO block, in one
transaction, so only the statement's own work is timed: no commit, no client.

Appends: ``append_event()`` into the log, against the same function into a
table as 0001 made it (schema ``r0001``, first on the search path, with the
log's NOTIFY trigger), each append with its own commit, on the server alone.
Once with a stream id of 7 characters, as append_bench uses, and once with one
of 49 (a type and a UUID): the cost of a bounded repeat grows with the text it
scans. Rounds alternate; the figures are the medians of each round's ratio.
"""

from __future__ import annotations

import os
import time

import psycopg

from bench._common import (
    METADATA,
    commit_loop,
    median,
    paired_ratio,
    report,
    sample_data,
    scratch_store,
)
from shared.canonical import canonical_json

N = int(os.environ.get("BENCH_APPENDS", "1000")) * 5
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
STREAM_ID = "CaseFileWithLongName-case-2026-000123:worker@x"
SHORT_STREAM, LONG_STREAM = "Case-s0", "HardshipFile-0f8e2b1c-3d4a-4e5f-9a6b-7c8d9e0f1a2b"

PLAIN = """
CREATE TABLE {name} (
    position bigint PRIMARY KEY, stream_id text NOT NULL, stream_type text NOT NULL,
    version integer NOT NULL, event_id uuid NOT NULL UNIQUE, event_type text NOT NULL,
    schema_version integer NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
    UNIQUE (stream_id, version){checks})
"""
CHECKS_0001 = """,
    CHECK (position > 0),
    CHECK (stream_id ~ '^[A-Z][A-Za-z0-9]{0,63}-[A-Za-z0-9_.:@-]{1,135}$'),
    CHECK (stream_type = split_part(stream_id, '-', 1)),
    CHECK (version > 0),
    CHECK (event_type ~ '^[A-Z][A-Za-z0-9]{0,99}$'),
    CHECK (schema_version > 0),
    CHECK (jsonb_typeof(data) = 'object'),
    CHECK (jsonb_typeof(metadata) = 'object')"""
TABLES = (
    "CREATE TABLE t_now (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);"
    + PLAIN.replace("{name}", "t_0001").replace("{checks}", CHECKS_0001)
    + ";"
    + PLAIN.replace("{name}", "t_none").replace("{checks}", "")
)
LOOP = """
DO $$ BEGIN
    FOR i IN {first} .. {last} LOOP
        INSERT INTO {table} VALUES (i, '{stream}', split_part('{stream}', '-', 1), i,
            gen_random_uuid(), 'PaymentRecorded', 1, '{data}'::jsonb, '{meta}'::jsonb, now(),
            repeat('0', 64), repeat('0', 64));
    END LOOP;
END $$
"""

RELEASED_LOG = (
    "CREATE SCHEMA r0001;"
    + PLAIN.replace("{name}", "r0001.events").replace("{checks}", CHECKS_0001)
    + "; CREATE TRIGGER events_appended AFTER INSERT ON r0001.events"
    " FOR EACH STATEMENT EXECUTE FUNCTION public.events_notify();"
)
APPEND = (
    "PERFORM append_event({stream}, -1, gen_random_uuid(), 'PaymentRecorded', 1, {data}, {meta})"
)


def appends(conn: psycopg.Connection, path: str, stream: str, data: str, meta: str) -> float:
    """Appends per second through append_event() into the ``events`` that ``path`` finds."""
    block = commit_loop(APPEND, N // 5, stream=stream, data=data, meta=meta)
    # Its own statement: a DO block that commits cannot share a query string.
    conn.execute(f"SET search_path = {path}".encode())
    start = time.perf_counter()
    conn.execute(block)
    rate = N // 5 / (time.perf_counter() - start)
    conn.execute("RESET search_path")
    return rate


def main() -> None:
    data, meta = canonical_json(sample_data(0)), canonical_json(METADATA)
    assert "'" not in data + meta + STREAM_ID  # spliced into the block as literals
    with scratch_store() as (cfg, _, _pool), psycopg.connect(cfg.admin_dsn) as conn:
        conn.execute(TABLES)
        conn.commit()
        rates: dict[str, list[float]] = {"t_now": [], "t_0001": [], "t_none": []}
        for r in range(ROUNDS + 1):  # the first round warms up
            for table, table_rates in rates.items():
                block = LOOP.format(
                    first=r * N + 1,
                    last=(r + 1) * N,
                    table=table,
                    stream=STREAM_ID,
                    data=data,
                    meta=meta,
                )
                start = time.perf_counter()
                conn.execute(block)
                elapsed = time.perf_counter() - start
                conn.commit()
                if r:
                    table_rates.append(N / elapsed)
        conn.execute(RELEASED_LOG)
        conn.commit()
        conn.autocommit = True  # the appends' DO blocks commit
        logs: dict[tuple[str, str], list[float]] = {}
        for r in range(ROUNDS + 1):
            for stream in (SHORT_STREAM, LONG_STREAM):
                for path in ("public", "r0001, public")[:: 1 if r % 2 else -1]:
                    rate = appends(conn, path, stream, data, meta)
                    if r:
                        logs.setdefault((path, stream), []).append(rate)
        count = conn.execute(
            "SELECT (SELECT count(*) FROM public.events), (SELECT count(*) FROM r0001.events)"
        ).fetchone()
        if count != ((ROUNDS + 1) * 2 * (N // 5),) * 2:
            raise SystemExit(f"the appends went elsewhere: (log, r0001) {count}")
        now, released, none = rates["t_now"], rates["t_0001"], rates["t_none"]
        report(
            "checks",
            {
                "rows_per_round": N,
                "rounds": ROUNDS,
                "stream_id_length": len(STREAM_ID),
                "insert_no_checks_us": round(1e6 / median(none), 1),
                "checks_vs_no_checks": paired_ratio(now, none),
                "checks_0001_vs_no_checks": paired_ratio(released, none),
                "checks_vs_checks_0001": paired_ratio(now, released),
                "server_append_per_s": round(median(logs["public", SHORT_STREAM])),
                "server_append_vs_0001": paired_ratio(
                    logs["public", SHORT_STREAM], logs["r0001, public", SHORT_STREAM]
                ),
                "long_stream_id_length": len(LONG_STREAM),
                "server_append_vs_0001_long_id": paired_ratio(
                    logs["public", LONG_STREAM], logs["r0001, public", LONG_STREAM]
                ),
            },
        )


if __name__ == "__main__":
    main()
