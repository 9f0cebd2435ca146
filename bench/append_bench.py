"""Append throughput against a raw INSERT + commit of an equal row, same process and database.

Rounds alternate raw and append so that machine noise hits both alike; the
median of each round's ratio is the figure to watch (target append_vs_raw >= 0.8).

Two baselines: a plain table (bigserial key, nothing else), and a copy of the
log's table with its checks and unique indexes, fed from a sequence. The second
separates what the table's own integrity costs from what the append adds
(the lock, the version and idempotency checks, the hash chain, validation).

A third is an append cut down to one INSERT statement on such a table: it reads
the stream's version, takes the server's time and hashes the row with the
log's event_hash(), with the head kept by the client and gaps, forks and
stream holes refused by keys alone (foreign keys to the previous position and
hash, and to the stream's previous version). It has no lock, no idempotent
replay and no validation, and allows one writer only: a yardstick, not a design.
Its hashes are checked against the log's canonical form before it is timed.

The issue's own yardstick is the `eventsourcing` library's PostgreSQL recorder
(PostgresApplicationRecorder.insert_events, one stored event per call, the
same JSON as bytes, which it stores as bytea). Each call takes five round
trips in psycopg's pipeline mode (BEGIN; the lock timeout, an EXCLUSIVE lock
on its table, NOTIFY and the INSERT; two empty syncs; COMMIT) on its own pool,
connected as the service's role like the append (granted UPDATE as well, which
its table lock needs). Only the recorder is timed, not the library's
application and mapper above it.

Last, the server alone: a DO block that makes N raw inserts, and one that
makes N appends with append_event(), each with its own commit, one round trip
for all N. No client work and no network is in either, so their ratio is the
most any client could reach on this machine.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench._common import (
    METADATA,
    commit_loop,
    median,
    paired_ratio,
    rate,
    report,
    sample_data,
    scratch_store,
)
from shared.canonical import GENESIS_HASH, canonical_json, canonical_record, chain_hash
from shared.config import DatabaseConfig
from shared.registry import NewEvent
from shared.store import ANY_VERSION

N = int(os.environ.get("BENCH_APPENDS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WRITERS = 8

RAW_TABLE = """
CREATE TABLE raw_events (
    position bigserial PRIMARY KEY, stream_id text NOT NULL, stream_type text NOT NULL,
    version integer NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL,
    schema_version integer NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(), prev_hash text NOT NULL, hash text NOT NULL)
"""
INDEXED_TABLE = """
CREATE TABLE raw_indexed (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE SEQUENCE raw_indexed_position OWNED BY raw_indexed.position;
ALTER TABLE raw_indexed ALTER position SET DEFAULT nextval('raw_indexed_position');
"""
INDEXED_INSERT = (
    "INSERT INTO raw_indexed (stream_id, stream_type, version, event_id, event_type,"
    " schema_version, data, metadata, recorded_at, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, 1, %s::jsonb, %s::jsonb, now(), %s, %s)"
)
CHAINED_TABLE = """
CREATE TABLE raw_chained (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE raw_chained
    ADD prev_position bigint GENERATED ALWAYS AS (nullif(position - 1, 0)) STORED,
    ADD prev_version integer GENERATED ALWAYS AS (nullif(version - 1, 0)) STORED,
    ADD UNIQUE (position, hash);
ALTER TABLE raw_chained
    ADD FOREIGN KEY (prev_position, prev_hash) REFERENCES raw_chained (position, hash),
    ADD FOREIGN KEY (stream_id, prev_version) REFERENCES raw_chained (stream_id, version);
"""
CHAINED_INSERT = """
WITH v AS (
    SELECT coalesce((SELECT version FROM raw_chained WHERE stream_id = %(stream)s
                      ORDER BY version DESC LIMIT 1), 0) + 1 AS version,
           date_trunc('microseconds', clock_timestamp()) AS at,
           -- Typed text here, where first used: a parameter first cast to jsonb
           -- would come back as jsonb's rendering, not the canonical text.
           %(data)s::text AS data, %(meta)s::text AS meta)
INSERT INTO raw_chained (position, stream_id, stream_type, version, event_id, event_type,
                         schema_version, data, metadata, recorded_at, prev_hash, hash)
SELECT %(position)s, %(stream)s, 'Case', v.version, %(id)s, 'PaymentRecorded', 1,
       v.data::jsonb, v.meta::jsonb, v.at, %(prev)s,
       event_hash(%(prev)s, %(position)s, %(stream)s, 'Case', v.version, %(id)s,
                  'PaymentRecorded', 1, v.data, v.meta, v.at)
  FROM v RETURNING position, hash
"""
SERVER_RAW = (
    "INSERT INTO raw_events (stream_id, stream_type, version, event_id, event_type,"
    " schema_version, data, metadata, prev_hash, hash)"
    " VALUES ('Case-s0', 'Case', i, gen_random_uuid(), 'PaymentRecorded', 1,"
    " {data}::jsonb, {meta}::jsonb, repeat('0', 64), repeat('0', 64))"
)
SERVER_APPEND = (
    "PERFORM append_event('Case-s0', -1, gen_random_uuid(), 'PaymentRecorded', 1, {data}, {meta})"
)
RAW_INSERT = (
    "INSERT INTO raw_events (stream_id, stream_type, version, event_id, event_type,"
    " schema_version, data, metadata, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, 1, %s::jsonb, %s::jsonb, %s, %s)"
)


def library_recorder(
    cfg: DatabaseConfig, stack: contextlib.ExitStack
) -> PostgresApplicationRecorder:
    """The library's recorder: its table made by the owner, used as the service's role."""

    def datastore(user: str, password: str | None) -> PostgresDatastore:
        store = PostgresDatastore(
            dbname=cfg.name, host=cfg.host, port=cfg.port, user=user, password=password or ""
        )
        stack.callback(store.close)  # before the scratch database is dropped
        return store

    owner = datastore(cfg.admin_user, cfg.admin_password)
    PostgresApplicationRecorder(owner).create_table()
    owner.close()
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as admin:
        admin.execute(f'GRANT INSERT, SELECT, UPDATE ON stored_events TO "{cfg.role}"')
        admin.execute(f'GRANT USAGE ON SEQUENCE stored_events_notification_id_seq TO "{cfg.role}"')
    return PostgresApplicationRecorder(datastore(cfg.role, cfg.role_password))


def main() -> None:
    with (
        scratch_store(max_size=WRITERS + 2) as (cfg, store, pool),
        contextlib.ExitStack() as stack,
    ):
        with psycopg.connect(cfg.admin_dsn, autocommit=True) as admin:
            admin.execute(RAW_TABLE)
            admin.execute(INDEXED_TABLE)
            admin.execute(CHAINED_TABLE)
            admin.execute(
                f'GRANT INSERT, SELECT ON raw_events, raw_indexed, raw_chained TO "{cfg.role}"'
            )
            admin.execute(
                "GRANT USAGE ON SEQUENCE raw_events_position_seq, raw_indexed_position"
                f' TO "{cfg.role}"'
            )
        recorder = library_recorder(cfg, stack)
        meta_json = canonical_json(METADATA)
        counter = iter(range(10**9))

        def insert(statement: str, writer: int, count: int) -> None:
            with pool.connection() as conn:
                for _ in range(count):
                    i = next(counter)
                    conn.execute(
                        statement,
                        (
                            f"Case-w{writer}",
                            "Case",
                            i,
                            uuid.uuid4(),
                            "PaymentRecorded",
                            canonical_json(sample_data(i)),
                            meta_json,
                            "0" * 64,
                            "0" * 64,
                        ),
                    )

        def raw(writer: int, count: int) -> None:
            insert(RAW_INSERT, writer, count)

        def indexed(writer: int, count: int) -> None:
            insert(INDEXED_INSERT, writer, count)

        chain_head: list[Any] = [0, GENESIS_HASH]  # position, hash

        def chained(writer: int, count: int) -> None:
            with pool.connection() as conn:
                for _ in range(count):
                    i = next(counter)
                    row = conn.execute(
                        CHAINED_INSERT,
                        {
                            "position": chain_head[0] + 1,
                            "stream": f"Case-w{writer}",
                            "id": uuid.uuid4(),
                            "data": canonical_json(sample_data(i)),
                            "meta": meta_json,
                            "prev": chain_head[1],
                        },
                    ).fetchone()
                    assert row is not None
                    chain_head[:] = row

        def check_chained() -> None:
            with pool.connection() as conn:
                rows = conn.execute(
                    "SELECT position, stream_id, version, event_id, data, metadata, recorded_at,"
                    " prev_hash, hash FROM raw_chained ORDER BY position"
                ).fetchall()
            prev = GENESIS_HASH
            for pos, stream, version, event_id, data, meta, at, prev_hash, hash_ in rows:
                record = canonical_record(
                    position=pos,
                    stream_id=stream,
                    stream_type="Case",
                    version=version,
                    event_id=event_id,
                    event_type="PaymentRecorded",
                    schema_version=1,
                    recorded_at=at,
                    data_json=canonical_json(data),
                    metadata_json=canonical_json(meta),
                )
                if (prev_hash, hash_) != (prev, chain_hash(prev, record)):
                    raise SystemExit(f"raw_chained position {pos}: not the log's hash")
                prev = hash_

        library_versions = iter(range(1, 10**9))
        library_stream = uuid.uuid4()

        def library(count: int) -> None:
            for _ in range(count):
                i = next(counter)
                event = StoredEvent(
                    originator_id=library_stream,
                    originator_version=next(library_versions),
                    topic="bench:PaymentRecorded",
                    state=canonical_json(sample_data(i)).encode(),
                )
                recorder.insert_events([event])

        def append(writer: int, count: int) -> None:
            for _ in range(count):
                i = next(counter)
                store.append(
                    f"Case-w{writer}",
                    [NewEvent("PaymentRecorded", sample_data(i))],
                    ANY_VERSION,
                    METADATA,
                )

        def server_loop(statement: str) -> Callable[[], None]:
            loop = commit_loop(statement, N, data=canonical_json(sample_data(0)), meta=meta_json)

            def run() -> None:
                with pool.connection() as conn:
                    conn.execute(loop)

            return run

        server_raw, server_append = server_loop(SERVER_RAW), server_loop(SERVER_APPEND)

        def concurrent(fn: Callable[[int, int], None], count: int) -> None:
            threads = [
                threading.Thread(target=fn, args=(w, count // WRITERS)) for w in range(WRITERS)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        raw(0, 50)  # warm up connections and plans
        indexed(0, 50)
        chained(0, 50)
        check_chained()
        append(0, 50)
        library(50)
        server_raw()
        server_append()
        server_raw_rates, server_append_rates = [], []
        raw_rates, indexed_rates, chained_rates, append_rates = [], [], [], []
        raw8_rates, append8_rates, library_rates = [], [], []
        for _ in range(ROUNDS):
            raw_rates.append(rate(N, lambda: raw(0, N)))
            indexed_rates.append(rate(N, lambda: indexed(0, N)))
            chained_rates.append(rate(N, lambda: chained(0, N)))
            append_rates.append(rate(N, lambda: append(0, N)))
            library_rates.append(rate(N, lambda: library(N)))
            raw8_rates.append(rate(N, lambda: concurrent(raw, N)))
            append8_rates.append(rate(N, lambda: concurrent(append, N)))
            server_raw_rates.append(rate(N, server_raw))
            server_append_rates.append(rate(N, server_append))
        with pool.connection() as conn:
            # As many transactions as events: each append paid for its own commit.
            made = conn.execute(
                "SELECT count(*), count(DISTINCT xmin::text) FROM events"
                " WHERE stream_id = 'Case-s0'"
            ).fetchone()
        if made != ((ROUNDS + 1) * N,) * 2:
            raise SystemExit(f"the server's loop made (events, commits) {made}, not {N} per loop")
        if os.environ.get("BENCH_VERBOSE"):
            for name, rates in [("raw", raw_rates), ("append", append_rates)]:
                print(f"{name} per round:", [round(r) for r in rates])
            print("append, 8 writers, per round:", [round(r) for r in append8_rates])
        report(
            "append",
            {
                "events_per_round": N,
                "rounds": ROUNDS,
                "raw_insert_per_s": round(median(raw_rates)),
                "append_per_s": round(median(append_rates)),
                "append_vs_raw": paired_ratio(append_rates, raw_rates),
                "raw_indexed_insert_per_s": round(median(indexed_rates)),
                "indexed_vs_raw": paired_ratio(indexed_rates, raw_rates),
                "append_vs_indexed_raw": paired_ratio(append_rates, indexed_rates),
                "one_statement_per_s": round(median(chained_rates)),
                "one_statement_vs_raw": paired_ratio(chained_rates, raw_rates),
                "eventsourcing_per_s": round(median(library_rates)),
                "eventsourcing_vs_raw": paired_ratio(library_rates, raw_rates),
                "append_vs_eventsourcing": paired_ratio(append_rates, library_rates),
                "raw_insert_8_writers_per_s": round(median(raw8_rates)),
                "append_8_writers_per_s": round(median(append8_rates)),
                "append_8_vs_raw_8": paired_ratio(append8_rates, raw8_rates),
                "server_raw_insert_per_s": round(median(server_raw_rates)),
                "server_append_per_s": round(median(server_append_rates)),
                "server_append_vs_raw": paired_ratio(server_append_rates, server_raw_rates),
            },
        )


if __name__ == "__main__":
    main()
