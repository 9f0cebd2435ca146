"""Running commands through a decider: load, decide, append, bounded retry, idempotent ids."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from shared.decider import Decider, execute, load
from shared.errors import ConcurrencyConflict, DomainError
from shared.store import NO_STREAM
from tests.kit import META, Deposited, LogFixture, Withdrawn

pytestmark = pytest.mark.integration


class InsufficientBalance(DomainError):
    code = "InsufficientBalance"


@dataclass(frozen=True)
class Deposit:
    amount_fen: int


@dataclass(frozen=True)
class Withdraw:
    amount_fen: int


def evolve(balance: int, event: object) -> int:
    if isinstance(event, Deposited):
        return balance + event.amount_fen
    if isinstance(event, Withdrawn):
        return balance - event.amount_fen
    return balance


def decide(command: object, balance: int) -> list[object]:
    if isinstance(command, Deposit):
        return [Deposited(command.amount_fen)]
    if isinstance(command, Withdraw):
        # The rule this aggregate exists for: never below zero.
        if command.amount_fen > balance:
            raise InsufficientBalance("balance too low", balance=balance)
        return [Withdrawn(command.amount_fen)]
    return []


ACCOUNT: Decider[object, int, object] = Decider(0, evolve, decide)


def test_execute_appends_what_decide_returns(log: LogFixture) -> None:
    done = execute(log.store, ACCOUNT, "Account-1", Deposit(500), command_id="c1", metadata=META)
    assert done.state == 500
    assert done.append is not None and done.append.positions == (1,)
    recorded = log.store.read_stream("Account-1")
    assert recorded[0].metadata["command_id"] == "c1"
    assert load(log.store, ACCOUNT, "Account-1").state == 500


def test_a_domain_error_writes_nothing(log: LogFixture) -> None:
    with pytest.raises(InsufficientBalance):
        execute(log.store, ACCOUNT, "Account-1", Withdraw(1), command_id="c1", metadata=META)
    assert log.count() == 0


def test_the_same_command_id_is_not_decided_twice(log: LogFixture) -> None:
    execute(log.store, ACCOUNT, "Account-1", Deposit(500), command_id="c1", metadata=META)
    again = execute(log.store, ACCOUNT, "Account-1", Deposit(500), command_id="c1", metadata=META)
    assert again.duplicate
    assert again.state == 500
    assert log.count() == 1


def test_concurrent_withdrawals_never_overdraw(log: LogFixture) -> None:
    execute(log.store, ACCOUNT, "Account-1", Deposit(1000), command_id="seed", metadata=META)
    outcomes: list[str] = []
    lock = threading.Lock()

    def withdraw(n: int) -> None:
        try:
            execute(
                log.store,
                ACCOUNT,
                "Account-1",
                Withdraw(300),
                command_id=f"w{n}",
                metadata=META,
                max_attempts=20,
            )
            result = "ok"
        except InsufficientBalance:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=withdraw, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 3
    assert load(log.store, ACCOUNT, "Account-1").state == 100


def test_retries_are_bounded(log: LogFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that moves on every time ends in ConcurrencyConflict, not a loop."""
    real_append = log.store.append
    calls = 0

    def racing_append(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        real_append("Account-1", [log.store.registry.new_event(Deposited(1))], calls - 1, META)
        return real_append(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(log.store, "append", racing_append)
    with pytest.raises(ConcurrencyConflict):
        execute(
            log.store,
            ACCOUNT,
            "Account-1",
            Deposit(5),
            command_id="c",
            metadata=META,
            max_attempts=3,
        )
    assert calls == 3
    assert [e.data for e in log.store.read_stream("Account-1")] == [{"amount_fen": 1}] * 3


def test_load_of_a_missing_stream_is_the_initial_state(log: LogFixture) -> None:
    loaded = load(log.store, ACCOUNT, "Account-none")
    assert (loaded.state, loaded.version, loaded.command_ids) == (0, NO_STREAM, frozenset())
