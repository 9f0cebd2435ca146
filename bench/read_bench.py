"""verify and read_all over a 200,000-event log against a raw SELECT of the same rows.

The raw baseline streams the same rows through a server-side cursor with psycopg
decoding the JSON columns; nothing else. Peak RSS is measured per phase (the
kernel's high-water mark is reset before each): run with BENCH_EVENTS at two sizes
to see that it does not grow with the log.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import psycopg

from bench._common import METADATA, median, paired_ratio, report, sample_data, scratch_store
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EventStore
from shared.verify import verify

EVENTS = int(os.environ.get("BENCH_EVENTS", "200000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
BATCH = 5000


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def populate(store: EventStore, count: int) -> None:
    per_append = 1000
    for start in range(0, count, per_append):
        events = [
            NewEvent("PaymentRecorded", sample_data(i), uuid.uuid4())
            for i in range(start, min(start + per_append, count))
        ]
        store.append(f"Case-{start // per_append % 97}", events, ANY_VERSION, METADATA)


def raw_scan(dsn: str, upto: int) -> int:
    n = 0
    with psycopg.connect(dsn, options="-c TimeZone=UTC") as conn, conn.cursor(name="raw") as cur:
        cur.itersize = BATCH
        cur.execute(
            "SELECT position, stream_id, stream_type, version, event_id, event_type,"
            " schema_version, data, metadata, recorded_at, prev_hash, hash FROM events"
            " WHERE position <= %s ORDER BY position",
            (upto,),
        )
        for _ in cur:
            n += 1
    return n


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    with scratch_store() as (cfg, store, _pool):
        start = time.perf_counter()
        populate(store, EVENTS)
        populate_s = time.perf_counter() - start

        def do_verify() -> None:
            with psycopg.connect(cfg.service_dsn, options="-c TimeZone=UTC") as conn:
                result = verify(conn, batch_size=BATCH)
            assert result.ok and result.checked == EVENTS, result

        def do_read() -> None:
            n = sum(1 for _ in store.read_all(batch_size=BATCH))
            assert n == EVENTS

        raw_t, read_t, verify_t = [], [], []
        for _ in range(ROUNDS):
            raw_t.append(timed(lambda: raw_scan(cfg.service_dsn, EVENTS)))
            read_t.append(timed(do_read))
            verify_t.append(timed(do_verify))

        reset_peak_rss()
        do_verify()
        verify_rss = peak_rss_mb()
        reset_peak_rss()
        raw_scan(cfg.service_dsn, EVENTS)
        raw_rss = peak_rss_mb()

        report(
            "read",
            {
                "events": EVENTS,
                "rounds": ROUNDS,
                "populate_events_per_s": round(EVENTS / populate_s),
                "raw_select_events_per_s": round(EVENTS / median(raw_t)),
                "read_all_events_per_s": round(EVENTS / median(read_t)),
                "verify_events_per_s": round(EVENTS / median(verify_t)),
                "read_vs_raw": paired_ratio(raw_t, read_t),
                "verify_vs_raw": paired_ratio(raw_t, verify_t),
                "verify_peak_rss_mb": round(verify_rss, 1),
                "raw_peak_rss_mb": round(raw_rss, 1),
            },
        )


if __name__ == "__main__":
    main()
