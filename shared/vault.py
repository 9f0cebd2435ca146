"""The vault: a service's personal data, encrypted per subject, erasable by destroying a key.

Events never carry personal data; they carry a subject id, and the values live
here (docs: ARCHITECTURE "The log", domain reference §4.4). Each subject has a
random AES-256-GCM key of its own, stored wrapped by the service's master key
in ``vault_keys``. Each field is stored in ``vault_values`` as a new version,
encrypted with the subject's key; rows there are never changed or deleted.

Erasing a subject deletes its key row (crypto-shredding). The ciphertexts stay,
so the insert-only tables and the event log that refers to them stay intact,
but nobody can read them any more. The key row still exists in backups taken
before the erasure, and until then in WAL and dead tuples: erasure is complete
once those have aged out.

Associated data binds every ciphertext to where it belongs: a wrapped key to
its subject, and a value to its subject, field and version. Someone who can
write the tables (the service role can INSERT) therefore cannot graft one
subject's key onto another, move a value to another field, or replay an old
version as the newest one: reading it fails with ``VaultCorrupted``.

Every method takes the caller's connection and works in the caller's
transaction, so a put or an erase commits or vanishes with the event that
records it. On an autocommit connection outside a transaction the method
opens one of its own.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import pq

from shared.errors import DomainError, StoreError, UnionError, ValidationFailed

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
"""96-bit random nonces: with one key per subject, a key encrypts few enough
values that random nonces never come near the collision bound."""

# Classid of the per-subject advisory lock: put and erase of one subject take
# turns, so versions never collide and a put after an erase sees the erasure.
_VAULT_LOCK: Final = 1970170225

Status = Literal["absent", "held", "erased"]


class SubjectErased(DomainError):
    """The subject's key was destroyed: its values can no longer be read or added to."""

    code = "SubjectErased"


class VaultCorrupted(StoreError):
    """A key or value does not decrypt: a different master key, or the row was altered."""

    code = "VaultCorrupted"


class VaultKeyInvalid(UnionError):
    """The master key (or its file) is not a base64-encoded 32-byte key."""

    code = "VaultKeyInvalid"


def master_key_path(service: str, env: Mapping[str, str] | None = None) -> Path:
    """``UNION_<SERVICE>_VAULT_KEY_FILE``, else ``UNION_VAULT_KEY_FILE``, else
    ``var/vault-<service>.key`` under the cwd: each service its own key by default."""
    env = os.environ if env is None else env
    configured = env.get(f"UNION_{service.upper()}_VAULT_KEY_FILE") or env.get(
        "UNION_VAULT_KEY_FILE"
    )
    if configured:
        return Path(configured)
    return Path("var") / f"vault-{service}.key"


def load_master_key(path: Path) -> bytes:
    """The master key in ``path``; a new random one, written there (0600), if there is none.

    Losing this file makes every subject in the vault unreadable, exactly as if
    all of them had been erased: back it up, apart from the database.
    """
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        text = _create_key_file(path)
    except ValueError as e:
        raise VaultKeyInvalid(f"vault key file {path} is not base64 text", path=str(path)) from e
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as e:
        raise VaultKeyInvalid(f"vault key file {path} is not valid base64", path=str(path)) from e
    if len(key) != KEY_BYTES:
        raise VaultKeyInvalid(
            f"vault key file {path} holds {len(key)} bytes, a vault key has {KEY_BYTES}",
            path=str(path),
            length=len(key),
        )
    return key


def _create_key_file(path: Path) -> str:
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name (mkstemp makes it 0600), then linked
    # into place, which fails if the name exists: two processes starting at once
    # end up with the same key, and no reader ever sees a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii")
    finally:
        os.unlink(tmp)
    return text


class Vault:
    """Personal data of subjects, each under a key of its own, wrapped by ``master_key``."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise VaultKeyInvalid(
                f"a vault master key has {KEY_BYTES} bytes, not {len(master_key)}",
                length=len(master_key),
            )
        self._master = AESGCM(master_key)

    def put(
        self, conn: psycopg.Connection, subject_id: str, values: Mapping[str, Any]
    ) -> tuple[str, ...]:
        """Record each value as the newest version of its field; return the fields, sorted."""
        _check_name(subject_id, "subject_id")
        plaintexts = {field: _encode(subject_id, field, values[field]) for field in sorted(values)}
        with _transaction(conn):
            _lock(conn, subject_id)
            wrapped, has_values = _key_state(conn, subject_id)
            if wrapped is None and has_values:
                raise _erased(subject_id)
            if not plaintexts:
                return ()
            if wrapped is None:
                wrapped = self._create_key(conn, subject_id)
            cipher = AESGCM(self._unwrap(subject_id, wrapped))
            latest: dict[str, int] = dict(
                conn.execute(
                    "SELECT field, max(version) FROM vault_values"
                    " WHERE subject_id = %s AND field = ANY(%s) GROUP BY field",
                    (subject_id, list(plaintexts)),
                ).fetchall()
            )
            rows: list[tuple[str, str, int, bytes]] = []
            for field, plaintext in plaintexts.items():
                version = latest.get(field, 0) + 1
                nonce = secrets.token_bytes(NONCE_BYTES)
                sealed = cipher.encrypt(nonce, plaintext, _value_aad(subject_id, field, version))
                rows.append((subject_id, field, version, nonce + sealed))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO vault_values (subject_id, field, version, ciphertext)"
                    " VALUES (%s, %s, %s, %s)",
                    rows,
                )
        return tuple(plaintexts)

    def get(
        self,
        conn: psycopg.Connection,
        subject_id: str,
        fields: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """The newest version of each field asked for (all if None); unknown fields are absent."""
        _check_name(subject_id, "subject_id")
        if isinstance(fields, str):
            raise TypeError("fields is an iterable of field names, not one name")
        wrapped, has_values = _key_state(conn, subject_id)
        if wrapped is None:
            if has_values:
                raise _erased(subject_id)
            return {}
        query = (
            "SELECT DISTINCT ON (field) field, version, ciphertext FROM vault_values"
            " WHERE subject_id = %s"
        )
        params: list[Any] = [subject_id]
        if fields is not None:
            query += " AND field = ANY(%s)"
            params.append(list(fields))
        rows = conn.execute(query + " ORDER BY field, version DESC", params).fetchall()
        if not rows:
            return {}
        cipher = AESGCM(self._unwrap(subject_id, wrapped))
        result: dict[str, Any] = {}
        for field, version, ciphertext in rows:
            blob = bytes(ciphertext)
            try:
                plaintext = cipher.decrypt(
                    blob[:NONCE_BYTES], blob[NONCE_BYTES:], _value_aad(subject_id, field, version)
                )
            except InvalidTag as e:
                raise VaultCorrupted(
                    f"{field} (version {version}) of subject {subject_id} does not decrypt:"
                    " the row was altered, or moved from another field, version or subject",
                    subject_id=subject_id,
                    field=field,
                    version=version,
                ) from e
            result[field] = json.loads(plaintext)
        return result

    def hold(self, conn: psycopg.Connection, subject_id: str) -> None:
        """Take the subject's lock until the caller's transaction ends (``put`` takes the
        same one), so a check of what is held and the write that depends on it are not
        interleaved with another writer of the subject."""
        _check_name(subject_id, "subject_id")
        _lock(conn, subject_id)

    def refs(
        self, conn: psycopg.Connection, subject_id: str, fields: Iterable[str]
    ) -> tuple[str, ...]:
        """``field@version`` of the newest value of each field: what a decision read.

        Events record these instead of the values, so an auditor with the right
        role can fetch exactly the inputs a decision used, and after erasure the
        reference remains while the value is gone. A new decision cannot rest on
        erased values: for an erased subject this raises ``SubjectErased``, as
        ``get`` does.
        """
        _check_name(subject_id, "subject_id")
        wrapped, has_values = _key_state(conn, subject_id)
        if wrapped is None and has_values:
            raise _erased(subject_id)
        rows = conn.execute(
            "SELECT field, max(version) FROM vault_values"
            " WHERE subject_id = %s AND field = ANY(%s) GROUP BY field ORDER BY field",
            (subject_id, list(fields)),
        ).fetchall()
        return tuple(f"{subject_id}/{field}@{version}" for field, version in rows)

    def erase(self, conn: psycopg.Connection, subject_id: str) -> bool:
        """Destroy the subject's key; True if there was one. Its values stay, unreadable."""
        _check_name(subject_id, "subject_id")
        with _transaction(conn):
            _lock(conn, subject_id)
            row = conn.execute(
                "DELETE FROM vault_keys WHERE subject_id = %s RETURNING 1", (subject_id,)
            ).fetchone()
        return row is not None

    def status(self, conn: psycopg.Connection, subject_id: str) -> Status:
        """Held while the key exists, erased once values outlive it, else absent."""
        _check_name(subject_id, "subject_id")
        wrapped, has_values = _key_state(conn, subject_id)
        if wrapped is not None:
            return "held"
        return "erased" if has_values else "absent"

    def _create_key(self, conn: psycopg.Connection, subject_id: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + self._master.encrypt(
            nonce, AESGCM.generate_key(bit_length=256), subject_id.encode()
        )
        # Under the lock no one else can be creating this key; DO NOTHING and the
        # re-read still make a writer that skipped the lock agree on one key.
        conn.execute(
            "INSERT INTO vault_keys (subject_id, wrapped_key) VALUES (%s, %s)"
            " ON CONFLICT (subject_id) DO NOTHING",
            (subject_id, wrapped),
        )
        row = conn.execute(
            "SELECT wrapped_key FROM vault_keys WHERE subject_id = %s", (subject_id,)
        ).fetchone()
        if row is None:
            # Erased by a writer that skipped the lock between the insert and the read.
            raise _erased(subject_id)
        return bytes(row[0])

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject_id.encode()
            )
        except InvalidTag as e:
            raise VaultCorrupted(
                f"the key of subject {subject_id} does not unwrap: the master key is not the"
                " one it was made with, or the key row was altered or copied from another subject",
                subject_id=subject_id,
            ) from e


def _key_state(conn: psycopg.Connection, subject_id: str) -> tuple[bytes | None, bool]:
    # One statement, one snapshot: read separately, a first put committing in
    # between would look like values without a key, that is, an erasure.
    row = conn.execute(
        "SELECT (SELECT wrapped_key FROM vault_keys WHERE subject_id = %s),"
        " EXISTS (SELECT 1 FROM vault_values WHERE subject_id = %s)",
        (subject_id, subject_id),
    ).fetchone()
    assert row is not None
    wrapped, has_values = row
    return (None if wrapped is None else bytes(wrapped)), bool(has_values)


def _lock(conn: psycopg.Connection, subject_id: str) -> None:
    conn.execute(
        "SELECT pg_advisory_xact_lock(%s::integer, hashtext(%s::text))", (_VAULT_LOCK, subject_id)
    )


@contextlib.contextmanager
def _transaction(conn: psycopg.Connection) -> Iterator[None]:
    # Only where there is no transaction at all: inside the caller's, the work
    # must commit or roll back with it, and in a non-autocommit connection the
    # first statement opens one that the caller then ends.
    if conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        with conn.transaction():
            yield
    else:
        yield


def _value_aad(subject_id: str, field: str, version: int) -> bytes:
    return f"{subject_id}\n{field}\n{version}".encode()


def _encode(subject_id: str, field: str, value: Any) -> bytes:
    _check_name(field, "field")
    try:
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise ValidationFailed(
            f"{field} of subject {subject_id} is not JSON: {e}",
            fields={field: [str(e)]},
        ) from e


def _check_name(name: object, what: str) -> None:
    # A newline would blur the associated data's field boundaries, and
    # PostgreSQL text cannot hold NUL.
    if not isinstance(name, str) or not name or "\n" in name or "\x00" in name:
        raise ValidationFailed(
            f"{what} must be a non-empty string without newline or NUL, not {name!r}",
            fields={what: ["empty, not a string, or has a newline or NUL"]},
        )


def _erased(subject_id: str) -> SubjectErased:
    return SubjectErased(
        f"subject {subject_id} was erased: its key is destroyed", subject_id=subject_id
    )
