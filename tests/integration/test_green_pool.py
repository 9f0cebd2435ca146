"""The pool under eventlet (as inside nameko): concurrent queries overlap."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from shared.config import DatabaseConfig

pytestmark = pytest.mark.integration


def probe(dsn: str, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "tests.integration.green_pool_probe", dsn, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_two_green_threads_sleep_one_second_together(db_config: DatabaseConfig) -> None:
    green = probe(db_config.service_dsn, "green")
    assert green["elapsed"] < 1.6
    assert green["pool_size"] == 2


def test_without_green_waiting_they_run_one_after_the_other(db_config: DatabaseConfig) -> None:
    """The control: proves the test above can fail, and why the kit sets the wait function."""
    default = probe(db_config.service_dsn, "default")
    assert default["elapsed"] >= 1.9


def test_green_appenders_share_a_commit(db_config: DatabaseConfig) -> None:
    """Followers wait on green events while the leader's query waits on its socket."""
    group = probe(db_config.service_dsn, "group")
    assert group["head"] == group["appends"] == 8
    # The first alone while the lock was held, the other seven behind it together.
    assert group["commits"] == 2


def test_a_killed_follower_does_not_stall_the_queue(db_config: DatabaseConfig) -> None:
    """nameko kills workers' green threads; one killed while queued must drop out cleanly."""
    result = probe(db_config.service_dsn, "abandon")
    assert result["queued"] == 2
    assert result["positions"] == [1, 2]  # the killed append was never recorded
    assert result["head"] == 2


def test_followers_of_a_killed_leader_get_their_true_outcome(db_config: DatabaseConfig) -> None:
    """The leader's batch may commit after it dies: followers read it under the log's lock
    and get those rows, or queue again and are recorded by the next leader."""
    result = probe(db_config.service_dsn, "killed-leader")
    recorded = result["recorded"]
    for n, positions in zip((2, 3), result["positions"], strict=True):
        assert positions == [recorded[f"Account-l{n}"]]
    assert result["after"] == [recorded["Account-l9"]] == [max(recorded.values())]
    assert sorted(recorded.values()) == list(range(1, len(recorded) + 1))
    assert result["verified"] and result["queued"] == 0
