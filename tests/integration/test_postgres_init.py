"""compose's PostgreSQL init script: the databases and roles migrations expect."""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import replace

import psycopg
import pytest

from shared.config import SERVICES, database_config
from shared.migrate import drop, migrate
from tests.kit import RUN_PREFIX
from tests.mq import ROOT

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "docker" / "postgres" / "10-union-databases.sh"


def test_the_init_script_makes_each_services_database_and_role_and_migrate_agrees() -> None:
    prefix = f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "UNION_DB_PREFIX": prefix}
    configs = [database_config(s, env) for s in SERVICES]
    try:
        for _ in range(2):  # a second run (a restart on a kept volume) changes nothing
            subprocess.run(
                ["sh", str(SCRIPT)],
                env={
                    **env,
                    "POSTGRES_USER": configs[0].admin_user,
                    "PGHOST": configs[0].host,
                    "PGPORT": str(configs[0].port),
                    **{f"UNION_{s.upper()}_DB_PASSWORD": f"{s}-pw" for s in SERVICES},
                },
                check=True,
                capture_output=True,
                timeout=60,
            )
        with psycopg.connect(configs[0].maintenance_dsn) as conn:
            names = [c.name for c in configs]
            databases = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", (names,)
            ).fetchone()
            roles = conn.execute(
                "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s) AND rolcanlogin", (names,)
            ).fetchone()
        assert databases == (4,) and roles == (4,)
        for cfg in configs:
            migrate(cfg)  # on top of what the script made
            with_password = replace(cfg, role_password=f"{cfg.service}-pw")
            with psycopg.connect(with_password.service_dsn) as conn:
                assert conn.execute("SELECT count(*) FROM events").fetchone() == (0,)
    finally:
        for cfg in configs:
            drop(cfg)
