"""Migrations: idempotent, immutable once applied, and a least-privilege service role."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

import shared.migrate
from shared.config import DatabaseConfig
from shared.errors import MigrationError
from shared.migrate import Migration, drop, kit_migrations, migrate, require_migrated
from tests.kit import scratch_config

pytestmark = pytest.mark.integration


def test_migrate_twice_applies_nothing_the_second_time(db_config: DatabaseConfig) -> None:
    assert migrate(db_config) == []


def test_an_applied_migration_that_changed_is_refused(
    db_config: DatabaseConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kit_migrations()[0]
    changed = Migration(first.id, first.sql + "\n-- edited\n")
    monkeypatch.setattr(shared.migrate, "kit_migrations", lambda: [changed])
    with pytest.raises(MigrationError, match=first.id):
        migrate(db_config)


def test_extra_migrations_can_grant_to_the_service_role(db_config: DatabaseConfig) -> None:
    extra = Migration(
        "aid/0001_read_model.sql",
        "CREATE TABLE case_list (id text PRIMARY KEY);"
        " DO $$ BEGIN EXECUTE format('GRANT SELECT, INSERT ON case_list TO %I',"
        " current_setting('union.service_role')); END $$;",
    )
    assert migrate(db_config, [extra]) == ["aid/0001_read_model.sql"]
    with psycopg.connect(db_config.service_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO case_list VALUES ('c1')")


def test_the_service_role_has_insert_and_select_only(db_config: DatabaseConfig) -> None:
    with psycopg.connect(db_config.service_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
            " WHERE rolname = current_user"
        ).fetchone()
        assert row == (db_config.role, False, False, False)
        privileges = {
            p: conn.execute("SELECT has_table_privilege('events', %s)", (p,)).fetchone()[0]  # type: ignore[index]
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
        }
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "REFERENCES": False,
        "TRIGGER": False,
    }


def test_other_roles_cannot_connect(db_config: DatabaseConfig) -> None:
    with psycopg.connect(db_config.maintenance_dsn, autocommit=True) as conn:
        allowed = conn.execute(
            "SELECT has_database_privilege('public', %s, 'CONNECT')", (db_config.name,)
        ).fetchone()
    assert allowed == (False,)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ("LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C'", "the ICU locale"),
        ("LOCALE_PROVIDER libc LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'", "locale 'C.UTF-8'"),
    ],
)
def test_a_database_that_does_not_sort_bytewise_is_refused(options: str, named: str) -> None:
    """Stream ids of one type are read as one range: only the C collation keeps it whole."""
    cfg = scratch_config()
    try:
        with psycopg.connect(cfg.maintenance_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' " + options).format(
                    sql.Identifier(cfg.name)
                )
            )
        with pytest.raises(MigrationError, match=named) as refused:
            migrate(cfg)
        assert refused.value.details == {"database": cfg.name}
        with psycopg.connect(cfg.admin_dsn, autocommit=True) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone() == (0,)  # nothing was created
    finally:
        drop(cfg)


def test_a_database_missing_a_migration_is_named_before_anything_runs(
    db_config: DatabaseConfig,
) -> None:
    """What a service started with UNION_MIGRATE_ON_START=0 checks, as its own role."""
    latest = kit_migrations()[-1]
    with psycopg.connect(db_config.service_dsn, autocommit=True) as conn:
        require_migrated(conn, kit_migrations())  # all applied: nothing to say
        with psycopg.connect(db_config.admin_dsn, autocommit=True) as admin:
            admin.execute("DELETE FROM schema_migrations WHERE id = %s", (latest.id,))
        with pytest.raises(MigrationError, match="unionctl db migrate") as missing:
            require_migrated(conn, kit_migrations())
        assert missing.value.details["missing"] == [latest.id]
        assert missing.value.details["changed"] == []
        edited = Migration(latest.id, latest.sql + "\n-- edited\n")
        with psycopg.connect(db_config.admin_dsn, autocommit=True) as admin:
            admin.execute(
                "INSERT INTO schema_migrations (id, checksum) VALUES (%s, %s)",
                (latest.id, latest.checksum),
            )
        with pytest.raises(MigrationError, match="differ") as changed:
            require_migrated(conn, [*kit_migrations()[:-1], edited])
        assert changed.value.details["changed"] == [latest.id]
        assert changed.value.details["missing"] == []
        # A database ahead of the code (a migration this code does not know) is let be.
        require_migrated(conn, kit_migrations()[:-1])


def test_a_database_never_migrated_is_refused(db_config: DatabaseConfig) -> None:
    empty = f"{db_config.name}_empty"
    with psycopg.connect(db_config.admin_dsn, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(empty))
        )
    try:
        dsn = db_config.admin_dsn.replace(f"dbname={db_config.name}", f"dbname={empty}")
        with psycopg.connect(dsn) as conn:
            with pytest.raises(MigrationError, match="lacks migrations") as refused:
                require_migrated(conn, kit_migrations())
            assert refused.value.details["migrations"] == [m.id for m in kit_migrations()]
            assert conn.execute("SELECT 1").fetchone() == (1,)  # the connection is usable
    finally:
        with psycopg.connect(db_config.admin_dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(empty))
            )
