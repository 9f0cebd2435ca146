"""Run under eventlet: two green threads each run pg_sleep(1) through one pool.

Usage: python -m tests.integration.green_pool_probe DSN green|default
Prints one JSON line: elapsed seconds and the pool's connection count.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from shared.db import cooperate_with_green_threads, open_pool  # noqa: E402


def main(dsn: str, mode: str) -> None:
    if mode == "green":
        cooperate_with_green_threads()
    pool = open_pool(dsn, min_size=1, max_size=4)

    def sleep_one_second() -> None:
        with pool.connection() as conn:
            conn.execute("SELECT pg_sleep(1)")

    start = time.monotonic()
    threads = [eventlet.spawn(sleep_one_second) for _ in range(2)]
    for t in threads:
        t.wait()
    elapsed = time.monotonic() - start
    stats = pool.get_stats()
    pool.close()
    print(json.dumps({"elapsed": elapsed, "pool_size": stats.get("pool_size")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
