"""A service whose consumer the broker reports idle stops itself (to be restarted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.mq import ROOT, World

pytestmark = pytest.mark.integration


def test_a_service_that_consumes_nothing_stops_itself(mq: World) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.watchdog_probe", mq.broker.uri, mq.prefix],
        cwd=ROOT,
        env=mq.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout + done.stderr[-3000:]
    assert "result: stopped: not consuming from" in done.stdout, out
    assert "evt-aid-Deposited--funds.on_deposited" in done.stdout, out
