"""Loading every stream of a type in one walk of the log: the same as a load per stream."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from shared.decider import Decider, Loaded, execute, load, load_all, sweep, would_change
from shared.errors import InvalidEvent
from shared.registry import NewEvent
from shared.store import ANY_VERSION
from tests.integration.test_execute import ACCOUNT, Deposit, InsufficientBalance
from tests.kit import META, LogFixture, Withdrawn

pytestmark = pytest.mark.integration


def deposit(log: LogFixture, stream_id: str, *amounts: int) -> None:
    events = [NewEvent("Deposited", {"amount_fen": a}) for a in amounts]
    log.store.append(stream_id, events, ANY_VERSION, META)


def test_read_type_walks_one_type_by_stream_and_version_across_batches(log: LogFixture) -> None:
    # Interleaved appends, and neighbours whose names share the type's prefix.
    deposit(log, "Account-b", 1, 2)
    deposit(log, "Accounts-x", 99)
    deposit(log, "Account-a", 3)
    deposit(log, "Accoun-y", 98)
    deposit(log, "Account-b", 4)
    deposit(log, "Account-a.1", 5, 6, 7)
    deposit(log, "AccountX-z", 97)
    walked = [
        (e.stream_id, e.version, e.data["amount_fen"])
        for e in log.store.read_type("Account", batch_size=2)
    ]
    assert walked == [
        ("Account-a", 1, 3),
        ("Account-a.1", 1, 5),
        ("Account-a.1", 2, 6),
        ("Account-a.1", 3, 7),
        ("Account-b", 1, 1),
        ("Account-b", 2, 2),
        ("Account-b", 3, 4),
    ]
    assert list(log.store.read_type("Nothing")) == []


def test_a_stream_appended_to_between_batches_comes_with_its_new_events(log: LogFixture) -> None:
    deposit(log, "Account-a", 1, 2)
    deposit(log, "Account-b", 3)
    walk = log.store.read_type("Account", batch_size=2)
    assert next(walk).version == 1  # the first batch: Account-a 1 and 2
    deposit(log, "Account-a", 4)  # lands while the walk is between batches
    deposit(log, "Account-0", 5)  # behind the walk: not seen, as if appended after it
    rest = [(e.stream_id, e.version) for e in walk]
    assert rest == [("Account-a", 2), ("Account-a", 3), ("Account-b", 1)]


def test_load_all_equals_a_load_of_each_stream(log: LogFixture) -> None:
    for i, key in enumerate(["c", "a", "b.2", "a-1"]):
        for n in range(i + 1):
            execute(
                log.store,
                ACCOUNT,
                f"Account-{key}",
                Deposit(100 * (n + 1)),
                command_id=f"{key}-{n}",
                metadata=META,
            )
    deposit(log, "Accounts-x", 7)
    loaded = load_all(log.store, ACCOUNT, "Account")
    assert list(loaded) == ["a", "a-1", "b.2", "c"]
    for key, got in loaded.items():
        assert got == load(log.store, ACCOUNT, f"Account-{key}")
    assert loaded["a-1"].state == 100 + 200 + 300 + 400
    assert loaded["a-1"].command_ids == {"a-1-0", "a-1-1", "a-1-2", "a-1-3"}
    with log.pool.connection() as conn:  # through a caller's connection too
        assert load_all(log.store, ACCOUNT, "Account", conn) == loaded


def test_a_stream_type_or_batch_size_that_is_not_one_is_refused(log: LogFixture) -> None:
    for bad in ["", "account", "Acc-ount", "Account%", "A" * 65]:
        with pytest.raises(InvalidEvent) as caught:
            list(log.store.read_type(bad))
        assert caught.value.details["field"] == "stream_type"
    for size in [0, -1]:
        with pytest.raises(InvalidEvent) as caught:
            list(log.store.read_type("Account", batch_size=size))
        assert caught.value.details["field"] == "batch_size"


def test_a_walk_in_a_transaction_sees_what_the_transaction_appended(log: LogFixture) -> None:
    """A reaction reads and appends in one transaction (with its inbox row)."""
    deposit(log, "Account-a", 1)
    with log.pool.connection() as conn, conn.transaction():
        log.store.append(
            "Account-b", [NewEvent("Deposited", {"amount_fen": 2})], ANY_VERSION, META, conn=conn
        )
        inside = {k: v.state for k, v in load_all(log.store, ACCOUNT, "Account", conn).items()}
        outside = {k: v.state for k, v in load_all(log.store, ACCOUNT, "Account").items()}
    assert inside == {"a": 1, "b": 2}
    assert outside == {"a": 1}  # not committed yet when it was read


@dataclass(frozen=True)
class Skim:
    """Takes 10 fen from balances of 300 or more; refuses a negative balance outright."""


def decide_skim(command: object, balance: int) -> Sequence[object]:
    if isinstance(command, Skim):
        if balance < 0:
            raise InsufficientBalance("negative", balance=balance)
        return [Withdrawn(10)] if balance >= 300 else []
    return ACCOUNT.decide(command, balance)


SKIMMED: Decider[object, int, object] = Decider(0, ACCOUNT.evolve, decide_skim)


def test_a_sweep_executes_only_the_streams_its_command_changes(
    log: LogFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, amount in [("a", 100), ("b", 300), ("c", 50), ("d", 900)]:
        deposit(log, f"Account-{key}", amount)
    real_read = log.store.read_stream
    read: list[str] = []

    def counted(stream_id: str, *args: Any, **kwargs: Any) -> Any:
        read.append(stream_id)
        return real_read(stream_id, *args, **kwargs)

    monkeypatch.setattr(log.store, "read_stream", counted)
    recorded = sweep(
        log.store, SKIMMED, "Account", lambda _: Skim(), command_id="skim:1", metadata=META
    )
    assert recorded == 2
    assert read == ["Account-b", "Account-d"]  # loaded again to execute; a and c never read
    balances = {k: v.state for k, v in load_all(log.store, SKIMMED, "Account").items()}
    assert balances == {"a": 100, "b": 290, "c": 50, "d": 890}
    skim = log.store.read_stream("Account-d")[-1]
    assert skim.metadata["command_type"] == "Skim" and skim.metadata["command_id"] == "skim:1"

    read.clear()
    again = sweep(
        log.store, SKIMMED, "Account", lambda _: Skim(), command_id="skim:1", metadata=META
    )
    assert again == 0 and read == []  # the same run again: recorded already, nothing executed


def test_would_change_leaves_a_refusal_to_execute(log: LogFixture) -> None:
    deposit(log, "Account-a", 500)
    log.store.append(
        "Account-a", [NewEvent("Withdrawn", {"amount_fen": 600})], ANY_VERSION, META
    )  # below zero, as only a bug or an old rule could leave it
    loaded = load_all(log.store, SKIMMED, "Account")["a"]
    assert would_change(SKIMMED, Skim(), "skim:1", loaded)
    with pytest.raises(InsufficientBalance):
        sweep(log.store, SKIMMED, "Account", lambda _: Skim(), command_id="skim:1", metadata=META)
    recorded_already = Loaded(0, 1, frozenset({"a-0"}))
    assert not would_change(SKIMMED, Deposit(1), "a-0", recorded_already)
    assert would_change(SKIMMED, Deposit(1), "a-1", recorded_already)


def test_the_walk_is_planned_for_the_log_as_it_is_not_as_it_was(log: LogFixture) -> None:
    """A generic plan made on a tiny log scans and sorts the whole table: never keep one."""
    deposit(log, "Account-a", 1)
    with log.pool.connection() as conn:
        for _ in range(10):  # psycopg prepares a statement run five times on a connection
            assert len(list(log.store.read_type("Account", conn=conn))) == 1
        row = conn.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ("%stream_id < $3%",),
        ).fetchone()
    assert row == (0,)
