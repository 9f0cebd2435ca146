"""A dump restored into a new database verifies there, with the same head."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.config import database_config
from shared.db import open_pool
from shared.migrate import drop, migrate
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EventStore
from tests.kit import META, RUN_PREFIX, registry

pytestmark = pytest.mark.integration

UNIONCTL = str(Path(sys.executable).with_name("unionctl"))


def test_a_backup_restores_into_a_new_database_and_verifies(tmp_path: Path) -> None:
    original = {**os.environ, "UNION_DB_PREFIX": f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"}
    copy = {**os.environ, "UNION_DB_PREFIX": f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"}
    other = {**os.environ, "UNION_DB_PREFIX": f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"}
    source, target = database_config("funds", original), database_config("funds", copy)
    elsewhere = database_config("funds", other)
    migrate(source)
    try:
        pool = open_pool(source.service_dsn, min_size=1, max_size=2)
        store = EventStore(pool, registry())
        for i in range(30):
            store.append(
                f"Account-{i % 4}", [NewEvent("Deposited", {"amount_fen": i})], ANY_VERSION, META
            )
        head = store.head()
        pool.close()

        def unionctl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [UNIONCTL, *args],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        made = unionctl(original, "db", "backup", "funds", "--output", "funds.dump")
        assert made.returncode == 0, made.stderr
        restored = unionctl(copy, "db", "restore", "funds", "funds.dump")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "verify: OK: 30 events" in restored.stdout and "matches" in restored.stdout

        with psycopg.connect(target.service_dsn) as conn:  # the service role works there
            row = conn.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            assert row == (head.position, head.hash)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM events")  # still append-only

        again = unionctl(copy, "db", "restore", "funds", "funds.dump")
        assert again.returncode == 2 and "already holds a log of 30 events" in again.stderr

        # A database made by hand in another collation: refused before anything is restored.
        with psycopg.connect(elsewhere.maintenance_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                ).format(sql.Identifier(elsewhere.name))
            )
        refused = unionctl(other, "db", "restore", "funds", "funds.dump")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "the libc locale 'C.UTF-8'; the event log needs the C collation" in refused.stderr
        with psycopg.connect(elsewhere.admin_dsn) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone() == (0,)
    finally:
        drop(source)
        drop(target)
        drop(elsewhere)
