"""unionctl audit export, keygen, checkpoint, verify --against and as-of, on a funds log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from services.funds import domain as d
from services.funds.events import EVENTS
from shared.config import DatabaseConfig, database_config
from shared.db import open_pool
from shared.decider import execute
from shared.migrate import drop, migrate
from shared.store import EventStore
from tests.kit import RUN_PREFIX

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
UNIONCTL = str(Path(sys.executable).with_name("unionctl"))
VERIFIER = ROOT / "docs" / "verify_chain.py"
META = {"actor": "finance-1"}


@pytest.fixture
def funds_log() -> Iterator[tuple[DatabaseConfig, dict[str, str]]]:
    prefix = f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "UNION_DB_PREFIX": prefix}
    cfg = database_config("funds", env)
    migrate(cfg)
    pool = open_pool(cfg.service_dsn, min_size=1, max_size=2)
    store = EventStore(pool, EVENTS)
    stream = d.line_stream(2026, "warmth")
    allocate = d.Allocate(2026, "warmth", "送温暖", "fiscal_allocation", 60_000_000, "notice 十二")
    execute(store, d.BUDGET_LINE, stream, allocate, command_id="a", metadata=META)
    for i in range(5):
        reserve = d.Reserve(f"r{i}", 100_000, f"Campaign-{i}", "caseworker-1", date(2026, 11, 1))
        execute(store, d.BUDGET_LINE, stream, reserve, command_id=f"r{i}", metadata=META)
    pool.close()
    try:
        yield cfg, env
    finally:
        drop(cfg)


def run(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UNIONCTL, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def verifier(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def tamper(cfg: DatabaseConfig, position: int) -> None:
    with psycopg.connect(cfg.admin_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_delete")
        conn.execute(
            "UPDATE events SET data = jsonb_set(data, '{amount_fen}', '1') WHERE position = %s",
            (position,),
        )
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update_delete")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_export_verifies_from_the_files_alone(
    funds_log: tuple[DatabaseConfig, dict[str, str]], tmp_path: Path, fmt: str
) -> None:
    _, env = funds_log
    done = run(env, "audit", "export", "funds", "--format", fmt, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    export = tmp_path / f"funds-events-1-head.{fmt}"
    checkpoint = tmp_path / f"{export.name}.checkpoint.json"
    assert json.loads(checkpoint.read_text())["events"] == 6
    ok = verifier(str(export), "--checkpoint", str(checkpoint))
    assert ok.returncode == 0 and "OK 6 events" in ok.stdout and "matches" in ok.stdout, ok.stdout

    export.write_text(export.read_text().replace("100000", "100001", 1))
    edited = verifier(str(export), "--checkpoint", str(checkpoint))
    assert edited.returncode == 1 and "position 2: changed" in edited.stdout


def test_a_later_part_is_anchored_by_the_checkpoint_of_the_part_before(
    funds_log: tuple[DatabaseConfig, dict[str, str]], tmp_path: Path
) -> None:
    _, env = funds_log
    assert run(env, "audit", "export", "funds", "--to", "3", cwd=tmp_path).returncode == 0
    assert run(env, "audit", "export", "funds", "--from", "4", cwd=tmp_path).returncode == 0
    first = json.loads((tmp_path / "funds-events-1-3.jsonl.checkpoint.json").read_text())
    second = json.loads((tmp_path / "funds-events-4-head.jsonl.checkpoint.json").read_text())
    assert second["first_prev_hash"] == first["last_hash"]  # the two parts join
    part = verifier(str(tmp_path / "funds-events-4-head.jsonl"))
    assert part.returncode == 0 and "OK 3 events, head 6" in part.stdout


def test_the_verifier_names_a_row_changed_in_the_database(
    funds_log: tuple[DatabaseConfig, dict[str, str]], tmp_path: Path
) -> None:
    cfg, env = funds_log
    tamper(cfg, 4)
    assert run(env, "audit", "export", "funds", cwd=tmp_path).returncode == 0
    found = verifier(str(tmp_path / "funds-events-1-head.jsonl"))
    assert found.returncode == 1 and "position 4: changed" in found.stdout
    ours = run(env, "audit", "verify", "--service", "funds", cwd=tmp_path)
    assert ours.returncode == 1 and "position 4" in ours.stdout  # and they agree


def test_a_signed_checkpoint_proves_nothing_before_it_changed(
    funds_log: tuple[DatabaseConfig, dict[str, str]], tmp_path: Path
) -> None:
    cfg, env = funds_log
    assert run(env, "audit", "keygen", cwd=tmp_path).returncode == 0
    made = run(
        env,
        "audit",
        "checkpoint",
        "--key",
        "checkpoint-key.pem",
        "--service",
        "funds",
        "--output",
        "cp.json",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    against = (
        "audit",
        "verify",
        "--service",
        "funds",
        "--against",
        "cp.json",
        "--public-key",
        "checkpoint-key.pub.pem",
    )
    good = run(env, *against, cwd=tmp_path)
    assert good.returncode == 0 and "funds: OK: unchanged up to position 6" in good.stdout

    forged = json.loads((tmp_path / "cp.json").read_text())
    forged["claims"]["heads"]["funds"]["position"] = 5
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    bad = run(
        env,
        "audit",
        "verify",
        "--against",
        "forged.json",
        "--public-key",
        "checkpoint-key.pub.pem",
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "NOT TRUSTED" in bad.stdout

    (tmp_path / "other").mkdir()
    assert run(env, "audit", "keygen", cwd=tmp_path / "other").returncode == 0
    stranger = run(
        env,
        "audit",
        "verify",
        "--against",
        "cp.json",
        "--public-key",
        "other/checkpoint-key.pub.pem",
        cwd=tmp_path,
    )
    assert stranger.returncode == 1 and "NOT TRUSTED" in stranger.stdout

    tamper(cfg, 3)
    changed = run(env, *against, cwd=tmp_path)
    assert changed.returncode == 1 and "funds: CHANGED" in changed.stdout


def test_as_of_shows_the_state_before_and_after_a_change(
    funds_log: tuple[DatabaseConfig, dict[str, str]], tmp_path: Path
) -> None:
    _, env = funds_log
    stream = "BudgetLine-2026.warmth"
    before = run(env, "audit", "as-of", "funds", stream, "--position", "1", cwd=tmp_path)
    after = run(env, "audit", "as-of", "funds", stream, "--position", "6", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    old, new = json.loads(before.stdout), json.loads(after.stdout)
    assert (old["version"], old["state"]["reserved"], len(old["history"])) == (1, 0, 1)
    assert old["state"]["available"] == 60_000_000
    assert (new["version"], new["state"]["reserved"]) == (6, 500_000)
    assert new["history"][-1]["event_type"] == "FundsReserved"
    assert sorted(new["state"]["open"]) == ["r0", "r1", "r2", "r3", "r4"]
    late = run(
        env, "audit", "as-of", "funds", stream, "--at", "2000-01-01T00:00:00+08:00", cwd=tmp_path
    )
    assert json.loads(late.stdout)["version"] == 0
    naive = run(env, "audit", "as-of", "funds", stream, "--at", "2026-01-01T00:00:00", cwd=tmp_path)
    assert naive.returncode == 2 and "time zone" in naive.stderr
