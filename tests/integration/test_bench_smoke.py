"""The benchmarks still run and report their figures (tiny sizes: this checks them, not speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SMALL = {
    "BENCH_APPENDS": "16",
    "BENCH_ROUNDS": "1",
    "BENCH_EVENTS": "2000",
    "BENCH_RELAY_EVENTS": "200",
    "BENCH_LATENCY_SECONDS": "1",
}


def run(module: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", module],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, **SMALL},
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def test_append_bench_reports_every_ratio() -> None:
    figures = run("bench.append_bench")
    assert figures["bench"] == "append"
    for key in ("append_vs_raw", "indexed_vs_raw", "ceiling_vs_raw", "append_8_vs_raw_8"):
        assert figures[key] > 0, key


def test_read_bench_reports_its_ratios_and_memory() -> None:
    figures = run("bench.read_bench")
    assert figures["bench"] == "read"
    assert figures["read_vs_raw"] > 0
    assert figures["verify_vs_raw"] > 0


def test_relay_bench_reports_throughput_and_latency() -> None:
    figures = run("bench.relay_bench")
    assert figures["bench"] == "relay"
    assert figures["relay_vs_raw"] > 0
