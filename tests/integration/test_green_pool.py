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
