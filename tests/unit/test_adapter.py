"""Pure parts of the nameko adapter: error transport, call context, the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import deserialize, serialize

from shared.errors import ConcurrencyConflict, DomainError, ValidationFailed
from shared.nameko_ext import CallContext, RemoteUnionError, SettableClock


class BudgetExhausted(DomainError):
    code = "BudgetExhausted"


def test_a_domain_error_crosses_rpc_with_its_code_message_and_details() -> None:
    sent = RemoteUnionError.of(BudgetExhausted("the line is exhausted", line="送温暖", left_fen=0))
    received = deserialize(serialize(sent))
    assert isinstance(received, RemoteUnionError)
    assert received.code == "BudgetExhausted"
    assert received.message == "the line is exhausted"
    assert received.details == {"line": "送温暖", "left_fen": 0}


def test_store_errors_keep_their_code_too() -> None:
    received = deserialize(serialize(RemoteUnionError.of(ConcurrencyConflict("Case-1", 3, 4))))
    assert received.code == "ConcurrencyConflict"
    assert received.details["actual"] == 4


def test_metadata_carries_the_callers_context() -> None:
    ctx = CallContext("u-7", role="caseworker", correlation_id=None, call_id="funds.note.1")
    assert ctx.metadata(reason="late") == {
        "actor": "u-7",
        "role": "caseworker",
        "correlation_id": "funds.note.1",
        "reason": "late",
    }


def test_a_call_that_names_no_actor_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        CallContext(None).metadata()
    assert "actor" in refused.value.details["fields"]


def test_the_clock_is_aware_and_settable() -> None:
    clock = SettableClock(datetime(2027, 1, 1, tzinfo=UTC))
    assert abs(clock.now() - datetime(2027, 1, 1, tzinfo=UTC)) < timedelta(seconds=5)
    clock.advance(timedelta(days=366))
    assert clock.now().year == 2028
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2027, 1, 1))


class _Msg:
    def __init__(self, headers: dict[str, object] | None) -> None:
        self.headers = headers


def test_an_attempts_header_set_by_someone_else_counts_as_none() -> None:
    from shared.nameko_ext import _attempts

    assert _attempts(_Msg({"x-union-attempts": 2})) == 2
    for odd in ("2", -1, 10**9, None, 2.5):
        assert _attempts(_Msg({"x-union-attempts": odd})) == 0
    assert _attempts(_Msg(None)) == 0


def test_relay_properties_fit_amqp_short_strings() -> None:
    from shared.relay import _short

    long = "关联" * 200  # 1,200 bytes in UTF-8
    cut = _short(long)
    assert len(cut.encode()) <= 255 and long.startswith(cut)
    assert _short("flow-1") == "flow-1"
