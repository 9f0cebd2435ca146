"""The log's checks (migration 0008) accept exactly what migration 0001's did.

0008 moved the checks on stream ids, event types and JSON objects into domains
(the columns' types). Each domain installed in the database is tried on
boundary cases and generated strings and compared with the pattern 0001
released; the client's own patterns (``shared.store``) must agree with both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import shared.migrate as migrate_module
from shared.config import DatabaseConfig
from shared.errors import InvalidEvent
from shared.registry import NewEvent
from shared.store import ANY_VERSION, EVENT_TYPE, STREAM_ID
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration

RELEASED_0001 = {
    "stream_id": "^[A-Z][A-Za-z0-9]{0,63}-[A-Za-z0-9_.:@-]{1,135}$",
    "event_type": "^[A-Z][A-Za-z0-9]{0,99}$",
}
DOMAINS = {"stream_id": "log_stream_id", "event_type": "log_event_type"}
PYTHON = {"stream_id": STREAM_ID, "event_type": EVENT_TYPE}

# Whether each value casts to the domain: its checks, exactly as installed.
ACCEPTS = """
CREATE FUNCTION pg_temp.accepts(vals text[], domain regtype) RETURNS SETOF boolean
LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN
    FOREACH v IN ARRAY vals LOOP
        BEGIN
            EXECUTE format('SELECT %L::%s', v, domain);
            RETURN NEXT true;
        EXCEPTION WHEN check_violation THEN
            RETURN NEXT false;
        END;
    END LOOP;
END $$
"""

BOUNDARIES = [
    "A-1",
    "Z" + "a" * 63 + "-1",  # a type of 64 characters
    "Z" + "a" * 64 + "-1",  # 65
    "Case-" + "x" * 135,
    "Case-" + "x" * 136,
    "Z" + "9" * 63 + "-" + "-" * 135,  # both at their longest; the id may be all '-'
    "Z" + "9" * 63 + "-" + "-" * 136,
    "A-",
    "-1",
    "A",
    "",
    "a-1",
    "1-1",
    "A-1\n",
    "A\n-1",
    "A-1 ",
    "Ａ-1",  # a full-width letter
    "A-é",
    "Aé-1",
    "A_b-1",
    "A-b_c.d:e@f-g",
    "PaymentRecorded",
    "P" + "a" * 99,
    "P" + "a" * 100,
]

_pieces = st.sampled_from(["A", "Z", "a", "9", "-", "_", ".", ":", "@", " ", "\n", "é", "Ａ", "/"])
_runs = st.tuples(_pieces, st.integers(1, 140)).map(lambda t: t[0] * t[1])
candidates = st.lists(st.one_of(_pieces, _runs), max_size=6).map("".join)


@pytest.fixture
def admin(db_config: DatabaseConfig) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_config.admin_dsn, autocommit=True) as conn:
        conn.execute(ACCEPTS)
        yield conn


def _verdicts(conn: psycopg.Connection, column: str, values: list[str]) -> list[tuple[bool, bool]]:
    """(the column's domain, 0001's pattern) for each value, as PostgreSQL evaluates them."""
    installed = conn.execute(
        "SELECT ok FROM pg_temp.accepts(%s, %s) WITH ORDINALITY AS a(ok, n) ORDER BY n",
        (values, DOMAINS[column]),
    ).fetchall()
    released = conn.execute(
        "SELECT v ~ %s FROM unnest(%s::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n",
        (RELEASED_0001[column], values),
    ).fetchall()
    return [(a[0], b[0]) for a, b in zip(installed, released, strict=True)]


def test_the_columns_take_the_domains_as_their_types(admin: psycopg.Connection) -> None:
    types: dict[str, str] = dict(
        admin.execute(
            "SELECT attname, atttypid::regtype::text FROM pg_attribute"
            " WHERE attrelid = 'events'::regclass AND attnum > 0"
        ).fetchall()
    )
    assert {c: types[c] for c in ("stream_id", "event_type", "data", "metadata")} == {
        "stream_id": "log_stream_id",
        "event_type": "log_event_type",
        "data": "log_object",
        "metadata": "log_object",
    }


@pytest.mark.parametrize("column", ["stream_id", "event_type"])
def test_boundaries_are_judged_as_migration_0001_judged_them(
    admin: psycopg.Connection, column: str
) -> None:
    verdicts = _verdicts(admin, column, BOUNDARIES)
    for value, (installed, released) in zip(BOUNDARIES, verdicts, strict=True):
        assert installed == released, f"{column} {value!r}: now {installed}, in 0001 {released}"
        client = bool(PYTHON[column].fullmatch(value))
        assert client == released, f"the client judges {value!r} apart"
    assert any(ok for ok, _ in verdicts) and not all(ok for ok, _ in verdicts)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(candidates, min_size=1, max_size=40))
def test_generated_strings_are_judged_as_migration_0001_judged_them(
    admin: psycopg.Connection, values: list[str]
) -> None:
    for column in ("stream_id", "event_type"):
        for value, (installed, released) in zip(
            values, _verdicts(admin, column, values), strict=True
        ):
            assert installed == released, f"{column} {value!r}"
            assert bool(PYTHON[column].fullmatch(value)) == released, f"client, {column} {value!r}"


ROW = (
    "INSERT INTO events VALUES (1, %s, %s, 1, gen_random_uuid(),"
    " %s, 1, %s, '{}', now(), repeat('0', 64), repeat('0', 64))"
)


@pytest.mark.parametrize(
    ("stream", "event_type", "data", "check"),
    [
        ("Z" + "a" * 64 + "-1", "Deposited", "{}", "log_stream_id_check"),
        ("Account-" + "1" * 136, "Deposited", "{}", "log_stream_id_check"),
        ("Account-1", "deposited", "{}", "log_event_type_check"),
        ("Account-1", "Deposited", "[]", "log_object_check"),
    ],
    ids=["type too long", "id too long", "event type", "data not an object"],
)
def test_a_row_around_the_store_is_refused_by_the_table_itself(
    log: LogFixture, stream: str, event_type: str, data: str, check: str
) -> None:
    with log.service() as conn, pytest.raises(psycopg.errors.CheckViolation) as refused:
        conn.execute(ROW, (stream, stream.partition("-")[0], event_type, data))
    assert refused.value.diag.constraint_name == check


@pytest.mark.parametrize(
    ("stream", "event_type", "field"),
    [
        ("Account-1\n", "Deposited", "stream_id"),
        ("Account-1", "Deposited\n", "events[0].event_type"),
    ],
)
def test_a_trailing_newline_is_refused_by_the_client_naming_the_field(
    log: LogFixture, stream: str, event_type: str, field: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        event = NewEvent(event_type, {"amount_fen": 1}, uuid.uuid4())
        log.store.append(stream, [event], ANY_VERSION, META)
    assert refused.value.details.get("field") == field
    with pytest.raises(InvalidEvent) as refused:
        next(log.store.read_type("Account\n"))
    assert refused.value.details.get("field") == "stream_type"
    assert log.store.head().position == 0


def test_0008_keeps_the_table_and_its_indexes_and_their_statistics(
    db_config: DatabaseConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log made before 0008: the upgrade neither rewrites it nor leaves it unanalysed."""
    kit = migrate_module.kit_migrations()
    released = [m for m in kit if not m.id.endswith("0008_cheaper_checks.sql")]
    scratch = replace(db_config, name=db_config.name + "_up", role=db_config.role + "_up")
    files = (
        "SELECT relname, pg_relation_filenode(oid) FROM pg_class"
        " WHERE relname LIKE 'events%' AND relkind IN ('r', 'i') ORDER BY relname"
    )
    try:
        monkeypatch.setattr(migrate_module, "kit_migrations", lambda: released)
        migrate_module.migrate(scratch)
        monkeypatch.undo()
        with psycopg.connect(scratch.admin_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT append_event('Account-' || i % 50, -1, gen_random_uuid(), 'Deposited', 1,"
                ' \'{"amount_fen":1}\', \'{"actor":"tester"}\') FROM generate_series(1, 500) i'
            )
            conn.execute("ANALYZE events")
            before = conn.execute(files).fetchall()
        assert migrate_module.migrate(scratch) == ["shared/0008_cheaper_checks.sql"]
        with psycopg.connect(scratch.admin_dsn, autocommit=True) as conn:
            assert conn.execute(files).fetchall() == before
            analysed = conn.execute(
                "SELECT attname FROM pg_stats WHERE tablename = 'events'"
                " AND attname IN ('stream_id', 'event_type', 'data', 'metadata') ORDER BY attname"
            ).fetchall()
            assert [a for (a,) in analysed] == ["data", "event_type", "metadata", "stream_id"]
            assert conn.execute("SELECT count(*) FROM events").fetchone() == (500,)
    finally:
        migrate_module.drop(scratch)
