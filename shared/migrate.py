"""Idempotent migrations: a service's database, its login role, and its schema.

Run as the admin role (``unionctl db migrate <service>`` and on service start).
Each migration file is applied once, in name order, inside one transaction
that holds an advisory lock, so concurrent starts do not race. An applied file
whose text later changed is refused: migrations are history too.

The service role gets INSERT and SELECT on ``events`` and nothing else there.
Migration SQL can grant more to it through ``current_setting('union.service_role')``.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql

from shared.config import DatabaseConfig
from shared.errors import MigrationError

_MIGRATION_LOCK = 1970170224


@dataclass(frozen=True)
class Migration:
    id: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def kit_migrations() -> list[Migration]:
    folder = resources.files("shared") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [Migration(f"shared/{n}", (folder / n).read_text(encoding="utf-8")) for n in names]


def folder_migrations(source: str, folder: Path) -> list[Migration]:
    return [
        Migration(f"{source}/{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.sql"))
    ]


def migrate(cfg: DatabaseConfig, extra: list[Migration] | None = None) -> list[str]:
    """Create what is missing and apply pending migrations; return the ids applied."""
    ensure_role_and_database(cfg)
    migrations = kit_migrations() + (extra or [])
    applied: list[str] = []
    with psycopg.connect(cfg.admin_dsn) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        require_bytewise_collation(conn, cfg.name)
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   id text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        conn.execute("SELECT set_config('union.service_role', %s, true)", (cfg.role,))
        done: dict[str, str] = dict(
            conn.execute("SELECT id, checksum FROM schema_migrations").fetchall()
        )
        for m in migrations:
            if m.id in done:
                if done[m.id] != m.checksum:
                    raise MigrationError(
                        f"migration {m.id} was changed after it was applied",
                        migration=m.id,
                    )
                continue
            conn.execute(m.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (id, checksum) VALUES (%s, %s)",
                (m.id, m.checksum),
            )
            applied.append(m.id)
        _grant(conn, cfg.role)
    return applied


def require_ready(cfg: DatabaseConfig, migrations: list[Migration]) -> None:
    """As :func:`require_migrated`, connecting as the service role itself.

    A database or role that does not exist is named at once, rather than after
    a pool's thirty seconds of retrying.
    """
    try:
        conn = psycopg.connect(cfg.service_dsn, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise MigrationError(
            f"cannot connect to database {cfg.name} as {cfg.role} ({reason});"
            " if they do not exist yet, run `unionctl db migrate` for this service",
            database=cfg.name,
            role=cfg.role,
        ) from exc
    with conn:
        require_migrated(conn, migrations)


def require_migrated(conn: psycopg.Connection, migrations: list[Migration]) -> None:
    """Refuse a database that lacks a migration this code needs, or holds a changed one.

    For services that leave migrating to ``unionctl db migrate``
    (``UNION_MIGRATE_ON_START=0``): they stop at start-up, naming what is
    missing, instead of failing on a function or table at the first command.
    Migrations the database has and this code does not know are let be. On
    an undefined table the connection's transaction is rolled back: call it
    before starting one.
    """
    name = conn.info.dbname
    try:
        done: dict[str, str] = dict(
            conn.execute("SELECT id, checksum FROM schema_migrations").fetchall()
        )
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        done = {}
    missing = [m.id for m in migrations if m.id not in done]
    changed = [m.id for m in migrations if m.id in done and done[m.id] != m.checksum]
    problems = []
    if missing:
        problems.append(
            f"lacks migrations {', '.join(missing)}: run `unionctl db migrate` for this service"
        )
    if changed:
        problems.append(
            f"holds migrations that differ from this code's: {', '.join(changed)}"
            " (a migration is never edited once applied)"
        )
    if problems:
        raise MigrationError(
            f"database {name} {'; and '.join(problems)}",
            database=name,
            migrations=missing + changed,
            missing=missing,
            changed=changed,
        )


def require_bytewise_collation(conn: psycopg.Connection, name: str) -> None:
    """Refuse a database whose text does not sort byte by byte (the C collation).

    The store reads all streams of a type as one range of stream ids
    (``Type-`` up to ``Type.``), which holds only where ``-`` and ``.`` sort as
    their bytes do; a locale that ignores punctuation would mix types. The
    databases this project creates are "C"; one made otherwise is refused
    before any table is made or restored into it.
    """
    # The locale provider (libc, icu, …) is recorded from PostgreSQL 15 on; before, always libc.
    provider = "datlocprovider" if conn.info.server_version >= 150000 else "'c'::\"char\""
    row = conn.execute(
        f"SELECT {provider}, datcollate FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    assert row is not None, "the connected database is in pg_database"
    kind, collate = str(row[0]), str(row[1])
    if kind == "c" and collate in ("C", "POSIX"):
        return
    sorts_by = (
        f"the libc locale {collate!r}"
        if kind == "c"
        else f"the {_PROVIDERS.get(kind, kind)} locale provider"
    )
    raise MigrationError(
        f"database {name} sorts text by {sorts_by}; the event log needs the C collation."
        " Restore a backup under a new UNION_DB_PREFIX: its databases are made in C",
        database=name,
    )


_PROVIDERS = {"i": "ICU", "b": "builtin"}


def _grant(conn: psycopg.Connection, role: str) -> None:
    r = sql.Identifier(role)
    for stmt in (
        "REVOKE ALL ON events, schema_migrations FROM PUBLIC",
        "REVOKE ALL ON events FROM {r}",
        "GRANT USAGE ON SCHEMA public TO {r}",
        "GRANT SELECT, INSERT ON events TO {r}",
        "GRANT SELECT ON schema_migrations TO {r}",
    ):
        conn.execute(sql.SQL(stmt).format(r=r))


def ensure_role_and_database(cfg: DatabaseConfig) -> None:
    """The service's login role and an empty database, if they do not exist yet."""
    role, db = sql.Identifier(cfg.role), sql.Identifier(cfg.name)
    with psycopg.connect(cfg.maintenance_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (cfg.role,)).fetchone():
            # A concurrent migrate may have created it since the check.
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        if cfg.role_password:
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    role, sql.Literal(cfg.role_password)
                )
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cfg.name,)).fetchone():
            # Named from PostgreSQL 15 on, where a cluster may default to ICU.
            libc = " LOCALE_PROVIDER libc" if conn.info.server_version >= 150000 else ""
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(
                    sql.SQL(
                        "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'"
                        + libc
                        + " LC_COLLATE 'C' LC_CTYPE 'C'"
                    ).format(db)
                )
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, role))


def drop(cfg: DatabaseConfig) -> None:
    """Remove the service's database and role (test runs and scratch checks only)."""
    with psycopg.connect(cfg.maintenance_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg.name))
        )
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(cfg.role)))
