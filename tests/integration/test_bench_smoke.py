"""The benchmarks still run and report every figure (tiny sizes: this checks them, not speed)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench._common import scratch_config
from shared.migrate import drop
from tests.mq import World

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "BENCH_APPENDS": "16",
    "BENCH_ROUNDS": "1",
    "BENCH_EVENTS": "2000",
    "BENCH_RELAY_EVENTS": "200",
    "BENCH_LATENCY_SECONDS": "1",
    "BENCH_STREAMS": "200",
}


def run(module: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", module],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **SMALL, **(env or {})},
    )
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        drop(scratch_config(proc.pid))  # gone already unless the run was cut short
    assert proc.returncode == 0, err
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


def assert_figures(figures: dict[str, Any], bench: str, expected: set[str]) -> None:
    assert figures.pop("bench") == bench
    assert set(figures) == expected
    for key, value in figures.items():
        assert isinstance(value, int | float) and value > 0, key


APPEND_FIGURES = {"events_per_round", "rounds", "raw_insert_per_s", "append_per_s"}
APPEND_FIGURES |= {"append_vs_raw", "raw_indexed_insert_per_s", "indexed_vs_raw"}
APPEND_FIGURES |= {"append_vs_indexed_raw", "one_statement_per_s", "one_statement_vs_raw"}
APPEND_FIGURES |= {"raw_insert_8_writers_per_s", "append_8_writers_per_s", "append_8_vs_raw_8"}
APPEND_FIGURES |= {"server_raw_insert_per_s", "server_append_per_s", "server_append_vs_raw"}
APPEND_FIGURES |= {"eventsourcing_per_s", "eventsourcing_vs_raw", "append_vs_eventsourcing"}


def test_append_bench_reports_every_figure() -> None:
    assert_figures(run("bench.append_bench"), "append", set(APPEND_FIGURES))


def fsync_bound(tmp: Path, *args: str) -> tuple[int, str, str, int]:
    """Run bench/fsync-bound with its temporary files under ``tmp``: (exit code, out, err, port)."""
    with socket.socket() as probe:  # a port nobody listens on now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **SMALL, "PYTHON": sys.executable, "UNION_SLOW_PG_PORT": str(port)}
    env["TMPDIR"] = str(tmp)
    # A session of its own, so a timeout stops the whole run, the bench included,
    # and the script's trap stops its server.
    proc = subprocess.Popen(
        [str(ROOT / "bench" / "fsync-bound"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc.returncode, out, err, port


def refuses(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def scratch() -> Iterator[Path]:
    """An empty directory the user postgres can reach (pytest's own are closed to it)."""
    with tempfile.TemporaryDirectory(prefix="fsync-bound-test.") as name:
        os.chmod(name, 0o755)
        yield Path(name)


def test_fsync_bound_runs_the_append_bench_on_a_server_with_slow_flushes(scratch: Path) -> None:
    code, out, err, port = fsync_bound(scratch, "2000")
    assert code == 0, err
    assert "every flush +2000 us asked" in err
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert_figures(figures, "append", set(APPEND_FIGURES))
    # Each commit waits at least 2 ms for its flush, so no server could do 500 a
    # second: these ran on the slowed server, the library loaded.
    assert figures["raw_insert_per_s"] < 500
    assert figures["server_raw_insert_per_s"] < 500
    # The server is stopped, and its cluster and the built library are gone.
    assert refuses(port)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        ("0.3ms", "EXTRA_US must be a whole number of microseconds, not '0.3ms'"),
        ("1000001", "EXTRA_US is at most 1000000 (one second), not 1000001"),
        ("99999999999999999999999", "EXTRA_US is at most 1000000"),
    ],
)
def test_fsync_bound_refuses_a_delay_before_it_builds_anything(
    tmp_path: Path, delay: str, message: str
) -> None:
    code, _, err, _ = fsync_bound(tmp_path, delay)
    assert code == 2
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_checks_bench_reports_every_figure() -> None:
    expected = {"rows_per_round", "rounds", "stream_id_length", "insert_no_checks_us"}
    expected |= {"checks_vs_no_checks", "checks_0001_vs_no_checks", "checks_vs_checks_0001"}
    expected |= {"server_append_per_s", "server_append_vs_0001", "long_stream_id_length"}
    expected |= {"server_append_vs_0001_long_id"}
    assert_figures(run("bench.checks_bench"), "checks", expected)


def test_read_bench_reports_every_figure() -> None:
    expected = {"events", "rounds", "populate_events_per_s", "raw_select_events_per_s"}
    expected |= {"read_all_events_per_s", "verify_events_per_s", "read_vs_raw"}
    expected |= {"verify_vs_raw", "verify_peak_rss_mb", "raw_peak_rss_mb"}
    assert_figures(run("bench.read_bench"), "read", expected)


def test_relay_bench_reports_every_figure(mq: World) -> None:
    """In the test's own vhost: a run cut short leaves its exchange and queue there, not on /."""
    expected = {"events_per_round", "rounds", "raw_kombu_confirmed_per_s", "relay_per_s"}
    expected |= {"relay_vs_raw", "latency_events", "latency_rate_per_s", "latency_p50_ms"}
    expected |= {"latency_p99_ms", "latency_max_ms"}
    figures = run("bench.relay_bench", {"UNION_AMQP_URI": mq.broker.uri})
    assert_figures(figures, "relay", expected)


def test_load_bench_reports_every_figure() -> None:
    expected = {"streams", "events", "rounds", "per_stream_s", "load_all_s"}
    expected |= {"load_all_vs_per_stream", "execute_each_s", "sweep_s", "sweep_vs_execute_each"}
    assert_figures(run("bench.load_bench"), "load", expected)
