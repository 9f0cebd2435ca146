"""The inbox on real PostgreSQL: once per (source, message, handler), effects and row together."""

from __future__ import annotations

import threading

import psycopg
import pytest

from shared.decider import execute
from shared.inbox import handle_once
from tests.integration.test_execute import ACCOUNT, Deposit
from tests.kit import META, LogFixture

pytestmark = pytest.mark.integration


def test_a_message_takes_effect_once_per_handler(log: LogFixture) -> None:
    def deposit(conn: psycopg.Connection) -> int:
        done = execute(
            log.store, ACCOUNT, "Account-1", Deposit(5), command_id="c-1", metadata=META, conn=conn
        )
        return done.state

    first = handle_once(log.pool, deposit, source="aid", message_id="m-1", handler="h")
    again = handle_once(log.pool, deposit, source="aid", message_id="m-1", handler="h")
    other = handle_once(log.pool, lambda conn: 1, source="aid", message_id="m-1", handler="h2")
    assert (first.first_time, first.result) == (True, 5)
    assert (again.first_time, again.result) == (False, None)
    assert other.first_time  # another handler of the same message acts too
    assert log.count() == 1


def test_a_failing_reaction_leaves_neither_effects_nor_inbox_row(log: LogFixture) -> None:
    def fails(conn: psycopg.Connection) -> None:
        execute(
            log.store, ACCOUNT, "Account-1", Deposit(5), command_id="c-1", metadata=META, conn=conn
        )
        raise RuntimeError("after the append")

    with pytest.raises(RuntimeError):
        handle_once(log.pool, fails, source="aid", message_id="m-1", handler="h")
    assert log.count() == 0
    retried = handle_once(log.pool, lambda conn: "ok", source="aid", message_id="m-1", handler="h")
    assert retried.first_time  # nothing was recorded, so the retry runs


def test_two_commands_on_one_stream_in_one_reaction_see_each_other(log: LogFixture) -> None:
    def twice(conn: psycopg.Connection) -> int:
        execute(
            log.store, ACCOUNT, "Account-1", Deposit(5), command_id="c-1", metadata=META, conn=conn
        )
        done = execute(
            log.store, ACCOUNT, "Account-1", Deposit(7), command_id="c-2", metadata=META, conn=conn
        )
        return done.state

    assert handle_once(log.pool, twice, source="aid", message_id="m-1", handler="h").result == 12


def test_racing_deliveries_of_one_message_act_once(log: LogFixture) -> None:
    results: list[bool] = []
    start = threading.Barrier(6)

    def deliver(i: int) -> None:
        start.wait()
        handled = handle_once(
            log.pool,
            lambda conn: execute(
                log.store,
                ACCOUNT,
                "Account-1",
                Deposit(1),
                command_id=f"c-{i}",
                metadata=META,
                conn=conn,
            ),
            source="aid",
            message_id="m-1",
            handler="h",
        )
        results.append(handled.first_time)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False] * 5 + [True]
    assert log.count() == 1
