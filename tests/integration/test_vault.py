"""The vault: personal data per subject, readable only with its key, erased by destroying it."""

from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path

import psycopg
import pytest

from shared.errors import DomainError, StoreError, ValidationFailed
from shared.vault import (
    KEY_BYTES,
    SubjectErased,
    Vault,
    VaultCorrupted,
    VaultKeyInvalid,
    load_master_key,
    master_key_path,
)
from tests.kit import LogFixture

pytestmark = pytest.mark.integration

PERSON = "Person-1"
OTHER = "Person-2"
HOUSEHOLD = {
    "name": "张三",
    "id_number": "110101199003077777",
    "diagnosis": "慢性肾衰竭，需每周透析三次",
    "monthly_income_fen": 123_456,
    "household": [{"relation": "女儿", "age": 9}],
}


@pytest.fixture
def vault() -> Vault:
    return Vault(os.urandom(KEY_BYTES))


def raw_rows(log: LogFixture, subject_id: str) -> list[tuple[str, int, bytes]]:
    with log.admin() as conn:
        rows = conn.execute(
            "SELECT field, version, ciphertext FROM vault_values WHERE subject_id = %s"
            " ORDER BY field, version",
            (subject_id,),
        ).fetchall()
    return [(f, v, bytes(c)) for f, v, c in rows]


def tamper(log: LogFixture, *statements: str) -> None:
    """As a superuser who first switches off the insert-only trigger."""
    with log.admin() as conn, conn.transaction():
        conn.execute("ALTER TABLE vault_values DISABLE TRIGGER ALL")
        for s in statements:
            conn.execute(s.encode())
        conn.execute("ALTER TABLE vault_values ENABLE TRIGGER ALL")


def test_values_come_back_as_they_were_put_chinese_text_and_integers_included(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        assert vault.put(conn, PERSON, HOUSEHOLD) == tuple(sorted(HOUSEHOLD))
        assert vault.get(conn, PERSON) == HOUSEHOLD
        assert vault.get(conn, PERSON, ["name", "monthly_income_fen", "no_such_field"]) == {
            "name": "张三",
            "monthly_income_fen": 123_456,
        }
        assert vault.status(conn, PERSON) == "held"


def test_only_ciphertext_is_stored(log: LogFixture, vault: Vault) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, HOUSEHOLD)
    for _, _, ciphertext in raw_rows(log, PERSON):
        assert "张三".encode() not in ciphertext
        assert b"110101199003077777" not in ciphertext


def test_an_unknown_subject_is_absent_and_reads_as_empty(log: LogFixture, vault: Vault) -> None:
    with log.service() as conn:
        assert vault.get(conn, "Person-nobody") == {}
        assert vault.status(conn, "Person-nobody") == "absent"
        assert vault.erase(conn, "Person-nobody") is False


def test_a_new_version_of_a_field_wins_and_the_old_one_is_kept(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"phone": "13800000001", "name": "张三"})
        assert vault.put(conn, PERSON, {"phone": "13900000002"}) == ("phone",)
        assert vault.get(conn, PERSON) == {"phone": "13900000002", "name": "张三"}
    assert [(f, v) for f, v, _ in raw_rows(log, PERSON)] == [
        ("name", 1),
        ("phone", 1),
        ("phone", 2),
    ]


def test_a_put_commits_or_rolls_back_with_the_callers_transaction(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        with conn.transaction():
            vault.put(conn, PERSON, {"name": "张三"})
            raise psycopg.Rollback()
        assert vault.status(conn, PERSON) == "absent"
        assert raw_rows(log, PERSON) == []


def test_holding_a_subject_makes_another_writer_wait_for_the_holders_commit(
    log: LogFixture, vault: Vault
) -> None:
    """A check of what is held and the write that depends on it, not interleaved."""
    written = threading.Event()

    def other_writer() -> None:
        with log.service() as other, other.transaction():
            vault.put(other, PERSON, {"name": "李四"})
        written.set()

    with log.service() as conn:
        with conn.transaction():
            vault.hold(conn, PERSON)
            writer = threading.Thread(target=other_writer)
            writer.start()
            assert not written.wait(0.5)  # blocked on the subject's lock
            vault.put(conn, PERSON, {"name": "张三"})
        writer.join(timeout=10)
        assert written.is_set()
        assert vault.get(conn, PERSON, ["name"]) == {"name": "李四"}  # the later write
    assert [v for _, v, _ in raw_rows(log, PERSON)] == [1, 2]


def test_a_value_that_is_not_json_is_refused_and_nothing_is_written(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        with pytest.raises(ValidationFailed, match="income"):
            vault.put(conn, PERSON, {"name": "张三", "income": float("nan")})
        with pytest.raises(ValidationFailed, match="income"):
            vault.put(conn, PERSON, {"name": "张三", "income": object()})
        assert vault.status(conn, PERSON) == "absent"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE vault_values SET ciphertext = '\\x00'",
        "DELETE FROM vault_values",
        "TRUNCATE vault_values",
        "UPDATE vault_keys SET wrapped_key = '\\x00'",
    ],
)
def test_the_service_role_cannot_rewrite_or_remove_values_nor_replace_a_key(
    log: LogFixture, vault: Vault, statement: str
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        assert vault.get(conn, PERSON) == {"name": "张三"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE vault_values SET ciphertext = '\\x00'",
        "DELETE FROM vault_values",
        "TRUNCATE vault_values",
    ],
)
def test_even_the_owner_is_stopped_by_the_insert_only_trigger(
    log: LogFixture, vault: Vault, statement: str
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
    with (
        log.admin() as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="keeps every version"),
    ):
        conn.execute(statement.encode())
    assert len(raw_rows(log, PERSON)) == 1


def test_the_service_role_has_exactly_the_vault_privileges_it_needs(log: LogFixture) -> None:
    checked = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    with log.service() as conn:
        granted = {
            table: {
                p
                for p in checked
                if conn.execute("SELECT has_table_privilege(%s, %s)", (table, p)).fetchone()
                == (True,)
            }
            for table in ("vault_keys", "vault_values")
        }
    assert granted == {
        "vault_keys": {"SELECT", "INSERT", "DELETE"},
        "vault_values": {"SELECT", "INSERT"},
    }


def test_erasing_a_subject_destroys_its_key_and_leaves_the_ciphertexts_unreadable(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, HOUSEHOLD)
        vault.put(conn, OTHER, {"name": "李四"})
        before = raw_rows(log, PERSON)

        assert vault.erase(conn, PERSON) is True
        assert vault.erase(conn, PERSON) is False

        assert vault.status(conn, PERSON) == "erased"
        with pytest.raises(SubjectErased) as caught:
            vault.get(conn, PERSON)
        assert caught.value.code == "SubjectErased"
        assert caught.value.details == {"subject_id": PERSON}
        assert isinstance(caught.value, DomainError)
        with pytest.raises(SubjectErased):
            vault.get(conn, PERSON, ["no_such_field"])
        assert raw_rows(log, PERSON) == before
        row = conn.execute("SELECT count(*) FROM vault_keys WHERE subject_id = %s", (PERSON,))
        assert row.fetchone() == (0,)

        assert vault.get(conn, OTHER) == {"name": "李四"}
        assert vault.status(conn, OTHER) == "held"


def test_an_erased_subject_takes_no_new_values(log: LogFixture, vault: Vault) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
        vault.erase(conn, PERSON)
        with pytest.raises(SubjectErased):
            vault.put(conn, PERSON, {"name": "张三"})
        assert vault.status(conn, PERSON) == "erased"
        assert len(raw_rows(log, PERSON)) == 1


def test_no_new_decision_can_reference_an_erased_subjects_values(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"bank_account": "6222020200112233445"})
        assert vault.refs(conn, PERSON, ["bank_account"]) == (f"{PERSON}/bank_account@1",)
        vault.erase(conn, PERSON)
        with pytest.raises(SubjectErased):
            vault.refs(conn, PERSON, ["bank_account"])
        assert vault.refs(conn, OTHER, ["bank_account"]) == ()  # nothing held: nothing to cite


def test_another_master_key_cannot_read_a_subject(log: LogFixture, vault: Vault) -> None:
    intruder = Vault(os.urandom(KEY_BYTES))
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
        with pytest.raises(VaultCorrupted, match="master key") as caught:
            intruder.get(conn, PERSON)
        assert isinstance(caught.value, StoreError)
        with pytest.raises(VaultCorrupted):
            intruder.put(conn, PERSON, {"name": "王五"})
        assert vault.get(conn, PERSON) == {"name": "张三"}


def test_a_tampered_ciphertext_is_detected(log: LogFixture, vault: Vault) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三", "phone": "13800000001"})
    tamper(
        log,
        "UPDATE vault_values SET ciphertext = set_byte(ciphertext, 14,"
        " (get_byte(ciphertext, 14) + 1) % 256)"
        f" WHERE subject_id = '{PERSON}' AND field = 'name'",
    )
    with log.service() as conn:
        with pytest.raises(VaultCorrupted, match="name") as caught:
            vault.get(conn, PERSON)
        assert caught.value.details == {"subject_id": PERSON, "field": "name", "version": 1}
        assert vault.get(conn, PERSON, ["phone"]) == {"phone": "13800000001"}


def test_a_ciphertext_moved_to_another_field_does_not_decrypt(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三", "bank_account": "6222020000000000000"})
    tamper(
        log,
        "UPDATE vault_values SET ciphertext = (SELECT ciphertext FROM vault_values"
        f" WHERE subject_id = '{PERSON}' AND field = 'bank_account')"
        f" WHERE subject_id = '{PERSON}' AND field = 'name'",
    )
    with log.service() as conn, pytest.raises(VaultCorrupted, match="name"):
        vault.get(conn, PERSON, ["name"])


def test_an_old_version_replayed_as_the_newest_does_not_decrypt(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"bank_account": "6222020000000000000"})
        vault.put(conn, PERSON, {"bank_account": "6222021111111111111"})
        # The service role may insert: copying version 1 forward is in its reach.
        conn.execute(
            "INSERT INTO vault_values (subject_id, field, version, ciphertext)"
            " SELECT subject_id, field, 3, ciphertext FROM vault_values"
            " WHERE subject_id = %s AND field = 'bank_account' AND version = 1",
            (PERSON,),
        )
        with pytest.raises(VaultCorrupted, match="version 3"):
            vault.get(conn, PERSON)


def test_a_ciphertext_moved_to_another_subject_does_not_decrypt(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
        vault.put(conn, OTHER, {"name": "李四"})
        conn.execute(
            "INSERT INTO vault_values (subject_id, field, version, ciphertext)"
            " SELECT %s, field, 2, ciphertext FROM vault_values"
            " WHERE subject_id = %s AND field = 'name'",
            (OTHER, PERSON),
        )
        with pytest.raises(VaultCorrupted, match=OTHER):
            vault.get(conn, OTHER)


def test_a_key_grafted_onto_another_subject_does_not_unwrap(log: LogFixture, vault: Vault) -> None:
    with log.service() as conn:
        vault.put(conn, PERSON, {"name": "张三"})
        vault.put(conn, OTHER, {"name": "李四"})
        # With DELETE and INSERT on vault_keys, the service role could try this.
        with conn.transaction():
            conn.execute("DELETE FROM vault_keys WHERE subject_id = %s", (OTHER,))
            conn.execute(
                "INSERT INTO vault_keys (subject_id, wrapped_key)"
                " SELECT %s, wrapped_key FROM vault_keys WHERE subject_id = %s",
                (OTHER, PERSON),
            )
        with pytest.raises(VaultCorrupted, match="does not unwrap"):
            vault.get(conn, OTHER)


def test_concurrent_puts_to_a_new_subject_agree_on_one_key_and_on_versions(
    log: LogFixture, vault: Vault
) -> None:
    writers = 8
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with log.service() as conn:
                start.wait(timeout=30)
                vault.put(conn, PERSON, {f"field{n}": n, "shared": n})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert not errors, errors

    with log.service() as conn:
        got = vault.get(conn, PERSON)
        keys = conn.execute("SELECT count(*) FROM vault_keys").fetchone()
    assert {k: v for k, v in got.items() if k != "shared"} == {
        f"field{n}": n for n in range(writers)
    }
    assert keys == (1,)
    shared_versions = [v for f, v, _ in raw_rows(log, PERSON) if f == "shared"]
    assert shared_versions == list(range(1, writers + 1))


def test_names_that_would_blur_the_associated_data_are_refused(
    log: LogFixture, vault: Vault
) -> None:
    with log.service() as conn:
        with pytest.raises(ValidationFailed):
            vault.put(conn, PERSON, {"a\nb": 1})
        with pytest.raises(ValidationFailed):
            vault.put(conn, "", {"a": 1})
        assert vault.status(conn, PERSON) == "absent"


def test_a_missing_key_file_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sub" / "vault-aid.key"
    key = load_master_key(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text()) == key
    assert load_master_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["vault-aid.key"]


@pytest.mark.parametrize("content", [base64.b64encode(b"short").decode(), "not base64!", ""])
def test_a_key_file_that_is_not_a_32_byte_key_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "vault.key"
    path.write_text(content)
    with pytest.raises(VaultKeyInvalid, match=str(path)):
        load_master_key(path)


def test_a_master_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(VaultKeyInvalid, match="32 bytes"):
        Vault(b"\x00" * 16)


def test_the_key_file_is_configured_by_environment_with_a_local_default() -> None:
    assert master_key_path("aid", {}) == Path("var/vault-aid.key")
    assert master_key_path("aid", {"UNION_VAULT_KEY_FILE": "/etc/union/k"}) == Path("/etc/union/k")
