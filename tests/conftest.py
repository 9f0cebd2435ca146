"""Test fixtures. Integration tests get a database (and role) of their own, dropped after."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings

from shared.config import DatabaseConfig, database_config
from shared.migrate import drop, migrate
from tests.kit import LogFixture, open_log, scratch_config
from tests.mq import World, rabbitmqctl, world

# CI runs the properties on a fixed sequence of examples, so a red run can be run
# again to the same result; developers' runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_STALE = re.compile(r"^union_t(\d+)_[0-9a-f]{6}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session", autouse=True)
def _sweep_stale_test_databases() -> None:
    """Drop what a killed earlier run left behind (its pid is gone)."""
    cfg = database_config("sweep")
    try:
        with psycopg.connect(cfg.maintenance_dsn, autocommit=True, connect_timeout=5) as conn:
            names = [r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()]
            names += [r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()]
    except psycopg.OperationalError:
        return  # unit tests still run; integration tests will report the outage
    for name in set(names):
        m = _STALE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            drop(replace(cfg, name=name, role=name))


@pytest.fixture(scope="session", autouse=True)
def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """unionctl's pids, logs and last-verify notes go to the run's own folder, not ./var."""
    before = os.environ.get("UNION_RUN_DIR")
    os.environ["UNION_RUN_DIR"] = str(tmp_path_factory.mktemp("var"))
    yield
    if before is None:
        del os.environ["UNION_RUN_DIR"]
    else:
        os.environ["UNION_RUN_DIR"] = before


@pytest.fixture(scope="session", autouse=True)
def _sweep_stale_vhosts() -> None:
    try:
        vhosts = rabbitmqctl("list_vhosts", "--quiet", "--no-table-headers").split()
    except (OSError, subprocess.SubprocessError):
        return
    for name in vhosts:
        m = _STALE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            rabbitmqctl("delete_vhost", name)


@pytest.fixture
def db_config() -> Iterator[DatabaseConfig]:
    cfg = scratch_config()
    migrate(cfg)
    try:
        yield cfg
    finally:
        drop(cfg)


@pytest.fixture
def log(db_config: DatabaseConfig) -> Iterator[LogFixture]:
    with open_log(db_config) as fixture:
        yield fixture


@pytest.fixture
def mq(tmp_path: Path) -> Iterator[World]:
    """A vhost and database prefix of this test's own; services it starts are stopped after."""
    with world(tmp_path) as w:
        yield w
