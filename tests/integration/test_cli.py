"""unionctl as an operator runs it: migrate, verify, selfcheck, in databases of this run."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from shared.config import SERVICES, database_config
from shared.migrate import drop
from tests.kit import RUN_PREFIX

pytestmark = pytest.mark.integration


def unionctl(*args: str, prefix: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNION_DB_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", *args],
        check=False,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def prefix() -> object:
    prefix = f"{RUN_PREFIX}_cli"
    yield prefix
    for service in SERVICES:
        drop(database_config(service, {"UNION_DB_PREFIX": prefix}))


def test_migrate_all_then_verify_all(prefix: str) -> None:
    first = unionctl("db", "migrate", "all", prefix=prefix)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("shared/0001_event_log.sql") == 4
    second = unionctl("db", "migrate", "all", prefix=prefix)
    assert second.stdout.count("nothing pending") == 4
    ok = unionctl("audit", "verify", prefix=prefix)
    assert ok.returncode == 0
    assert [line.split(":")[0] for line in ok.stdout.splitlines()] == list(SERVICES)


def test_verify_exits_non_zero_and_names_the_position(prefix: str) -> None:
    assert unionctl("db", "migrate", "funds", prefix=prefix).returncode == 0
    cfg = database_config("funds", {"UNION_DB_PREFIX": prefix})
    with psycopg.connect(cfg.service_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT append_events('Budget-2026', 0, ARRAY[gen_random_uuid(), gen_random_uuid()],"
            " ARRAY['LineAppropriated', 'LineAppropriated'], ARRAY[1, 1],"
            """ ARRAY['{"fen":1}', '{"fen":2}'], ARRAY['{"actor":"x"}', '{"actor":"x"}'])"""
        )
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("""UPDATE events SET data = '{"fen": 3}' WHERE position = 2""")
    bad = unionctl("audit", "verify", "--service", "funds", prefix=prefix)
    assert bad.returncode == 1
    assert "BROKEN at position 2: changed" in bad.stdout


def test_unknown_service_is_a_clear_error(prefix: str) -> None:
    out = unionctl("db", "migrate", "payroll", prefix=prefix)
    assert out.returncode != 0
    assert "unknown service 'payroll'" in out.stderr


def test_selfcheck_passes_and_leaves_nothing_behind(prefix: str) -> None:
    out = unionctl("selfcheck", prefix=prefix)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "FAIL" not in out.stdout
    with psycopg.connect(database_config("x").maintenance_dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s", (f"{prefix}_selfcheck%",)
        ).fetchone()
    assert left == (0,)
