"""Migrations are history: once released, a file's text never changes.

A database records the checksum of each migration it applied, and refuses to
run code whose migration of the same name reads otherwise (``migrate`` and
``require_migrated``). Editing a released file, even a comment, would leave
every such database unable to upgrade: write a new migration instead.
"""

from __future__ import annotations

from shared.migrate import kit_migrations

RELEASED = {
    "0001_event_log.sql": "ad37cbc1006892267750ef51781e404ce676993370cdc80e43f77a63c0ded588",
    "0002_append_plans.sql": "4759dc75f28f75dc571f3797e4794b0315218cb0bfd4f706727f9a0142469a2d",
    "0003_messaging.sql": "6e7668ffe509064b95eeba12fc8b1f7b8ef92b140e3fca5131516888990a2ae1",
    "0004_vault.sql": "2d1c9f0637e0f8501604530120af89ede52b0e584c6888f330f1d4be88273dae",
    "0005_append_batch.sql": "6dbe6331303e1c8036bb829eeb29c245933f0de176e628891a0ab0729e4d95e7",
    "0006_append_event.sql": "39e27ef0cbf5c930433ce1316f8dc137011e96297d62ffd4934817506f63c6af",
    "0007_append_batch_together.sql": (
        "f91917564bdbbfd3ef6c588e591e9d433252d77bd762721ec130410fc1f608c1"
    ),
    "0008_cheaper_checks.sql": "c16bf3b106a95eadeb7bf5ef599303c4b29cf1cf3d5936ae4da4f5ffcfe364f6",
}
"""Each released file of shared/migrations and the SHA-256 of its text."""


def _name(migration_id: str) -> str:
    return migration_id.removeprefix("shared/")


def test_released_migrations_keep_their_text() -> None:
    current = {_name(m.id): m.checksum for m in kit_migrations()}
    changed = sorted(name for name, checksum in RELEASED.items() if current.get(name) != checksum)
    assert not changed, f"released migrations changed or removed: {changed}; add a new one instead"


def test_a_new_migration_is_recorded_here_when_it_is_released() -> None:
    unrecorded = sorted({_name(m.id) for m in kit_migrations()} - set(RELEASED))
    assert not unrecorded, f"record {unrecorded} in RELEASED with its checksum"
