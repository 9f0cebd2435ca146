"""Backups of a service's database with pg_dump, and restores that prove themselves.

A restore goes only into a database whose log is empty (a log is never
overwritten), re-applies the role's grants through ``migrate``, and verifies
the whole chain; the head must equal the one recorded when the backup was made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from shared.config import DatabaseConfig
from shared.errors import UnionError
from shared.migrate import ensure_role_and_database, migrate, require_bytewise_collation
from shared.store import head_of
from shared.verify import VerifyResult, verify


class BackupError(UnionError):
    code = "BackupError"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools)", tool=name)
    return found


def _env_args(dsn: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments for a DSN; a password travels in PGPASSWORD."""
    parts = conninfo_to_dict(dsn)
    args = ["-h", str(parts["host"]), "-p", str(parts["port"]), "-U", str(parts["user"])]
    env = {"PGPASSWORD": str(parts["password"])} if parts.get("password") else {}
    return [*args, "-d", str(parts["dbname"])], env


def backup(cfg: DatabaseConfig, target: Path) -> dict[str, object]:
    """Dump the service's database to ``target`` and record its head beside it."""
    with psycopg.connect(cfg.admin_dsn) as conn:
        head = head_of(conn)
    args, env = _env_args(cfg.admin_dsn)
    subprocess.run(
        [_tool("pg_dump"), "-Fc", "--no-owner", "--no-acl", "-f", str(target), *args],
        env={**_base_env(), **env},
        check=True,
        capture_output=True,
        timeout=3600,
    )
    record = {
        "service": cfg.service,
        "database": cfg.name,
        "head_position": head.position,
        "head_hash": head.hash,
        "file": target.name,
    }
    target.with_name(target.name + ".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


@dataclass(frozen=True)
class Restored:
    result: VerifyResult
    expected_head: tuple[int, str] | None

    @property
    def ok(self) -> bool:
        head = (self.result.head_position, self.result.head_hash)
        return self.result.ok and (self.expected_head is None or head == self.expected_head)


def restore(cfg: DatabaseConfig, source: Path) -> Restored:
    """Restore ``source`` into the service's (empty) database, then verify it."""
    ensure_role_and_database(cfg)
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as conn:
        require_bytewise_collation(conn, cfg.name)
        has_log = conn.execute("SELECT to_regclass('public.events') IS NOT NULL").fetchone()
        if has_log and has_log[0]:
            row = conn.execute("SELECT count(*) FROM events").fetchone()
            if row and row[0]:
                raise BackupError(
                    f"{cfg.name} already holds a log of {row[0]} events; restore into a new"
                    " database (set UNION_DB_PREFIX)",
                    database=cfg.name,
                )
            raise BackupError(f"{cfg.name} already has its tables; restore into a new database")
    args, env = _env_args(cfg.admin_dsn)
    done = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", *args, str(source)],
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}", file=str(source))
    migrate(cfg)  # nothing to apply; gives the service role its grants again
    with psycopg.connect(cfg.service_dsn, options="-c TimeZone=UTC") as conn:
        result = verify(conn, 1)
    sidecar = source.with_name(source.name + ".json")
    expected = None
    if sidecar.exists():
        record = json.loads(sidecar.read_text())
        expected = (int(record["head_position"]), str(record["head_hash"]))
    return Restored(result, expected)


def _base_env() -> dict[str, str]:
    return dict(os.environ)
