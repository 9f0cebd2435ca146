"""The native run of the whole system and the county-year demo, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.kit import county_today
from tests.mq import UNIONCTL, World, free_port

pytestmark = pytest.mark.integration

SERVICES = ("aid", "competitions", "orgs", "funds")


def test_up_runs_the_demo_twice_to_the_same_logs_and_down_leaves_nothing(
    mq: World, tmp_path: Path
) -> None:
    env = {
        **mq.env,
        "UNION_RUN_DIR": str(tmp_path / "var"),
        **{f"UNION_{s.upper()}_VAULT_KEY_FILE": str(tmp_path / f"{s}.key") for s in SERVICES},
        **{f"UNION_{s.upper()}_HTTP_ADDRESS": f"127.0.0.1:{free_port()}" for s in SERVICES},
    }
    env.pop("UNION_VAULT_KEY_FILE")

    def unionctl(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [UNIONCTL, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    for step in (("db", "migrate", "all"), ("broker", "setup"), ("up",)):
        done = unionctl(*step)
        assert done.returncode == 0, done.stdout + done.stderr
    pids = [int((tmp_path / "var" / f"{s}.pid").read_text()) for s in SERVICES]
    try:
        first = unionctl("demo", timeout=600)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "warmth" in first.stdout and "OK" in first.stdout
        table = _service_table(first.stdout)
        assert set(table) == set(SERVICES)
        assert all(chain == "OK" for _, _, chain in table.values())
        # The 送温暖 line is taken whole by the campaign, so the later request was refused.
        warmth = next(line for line in first.stdout.splitlines() if line.startswith("warmth"))
        assert warmth.split()[1:4] == ["600,000.00", "600,000.00", "0.00"]
        assert warmth.split()[4] == "1"

        again = unionctl("demo", timeout=600)
        assert again.returncode == 0, again.stdout + again.stderr
        assert _service_table(again.stdout) == table  # a second run records nothing new

        year = str(county_today().year)
        report = unionctl("audit", "reconcile", "--year", year, "--out", str(tmp_path))
        assert report.returncode == 0, report.stdout + report.stderr  # the demo year agrees
        assert (tmp_path / f"reconcile-{year}.html").exists()
        verified = unionctl("audit", "verify")
        assert verified.returncode == 0, verified.stdout
        replayed = unionctl("audit", "replay", "all")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert replayed.stdout.count("replay equals live") == len(SERVICES)

        status = unionctl("status")
        assert status.returncode == 0, status.stdout
        for service in SERVICES:
            assert (
                f"{service}: UP, log head {table[service][0]}, relay leading, lag 0"
                in status.stdout
            )
        assert "inbound: dead letters 0" in status.stdout
        assert "last verify" in status.stdout and "OK" in status.stdout
    finally:
        stopped = unionctl("down")
    assert stopped.returncode == 0, stopped.stdout
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # nothing left behind
    assert not list((tmp_path / "var").glob("*.pid"))


def _service_table(out: str) -> dict[str, tuple[int, int, str]]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in SERVICES and len(parts) == 4:
            rows[parts[0]] = (int(parts[1]), int(parts[2]), parts[3])
    return rows
