"""Inbound messages: each rule that refuses one, and the reason it gives."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from services.funds.contract import DUES_COLLECTED
from shared.inbound import CREDIT_CODE, MAX_INBOUND_BYTES, REASONS, Refused, check

GOOD: dict[str, Any] = {
    "employer_id": "91341522MA2T5K8X0Y",
    "period": "2026-10",
    "kind": "dues",
    "payroll_base_fen": 125_000_000,
    "amount_fen": 2_500_000,
    "collected_on": "2026-11-15",
    "tax_voucher_no": "341522202611150001",
}


def body(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def reason(raw: bytes | str, message_id: str | None = "m-1", encoding: str | None = None) -> str:
    with pytest.raises(Refused) as refused:
        check(DUES_COLLECTED, raw, message_id, encoding)
    assert refused.value.reason in REASONS
    return refused.value.reason


def test_a_good_message_loads_with_typed_fields() -> None:
    data = check(DUES_COLLECTED, body(), "m-1")
    assert data["amount_fen"] == 2_500_000
    assert data["collected_on"].isoformat() == "2026-11-15"
    assert check(DUES_COLLECTED, body().decode(), "m-1") == data  # text already decoded


def test_rule_body_size_is_bounded() -> None:
    assert reason(body(tax_voucher_no="x" * MAX_INBOUND_BYTES)) == "too-large"


def test_rule_every_message_needs_an_id_to_ignore_duplicates() -> None:
    assert reason(body(), message_id=None) == "missing-message-id"
    assert reason(body(), message_id="") == "missing-message-id"


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe", b"not json", b"[1, 2]", b'"text"', b'{"a": 1'], ids=repr
)
def test_rule_the_body_is_a_utf8_json_object(raw: bytes) -> None:
    assert reason(raw) == "not-json"


def test_rule_only_utf8_encodings_are_taken() -> None:
    assert reason(body(), encoding="gbk") == "not-json"


def test_rule_fields_follow_the_schema_and_each_problem_is_named() -> None:
    with pytest.raises(Refused) as refused:
        check(DUES_COLLECTED, body(amount_fen="12", period="2026-13", extra=1), "m-1")
    assert refused.value.reason == "schema"
    assert set(json.loads(refused.value.detail)) == {"amount_fen", "period", "extra"}


def test_rule_money_is_integer_fen() -> None:
    assert reason(body(amount_fen=12.5)) == "schema"
    assert reason(body(amount_fen=-1)) == "schema"


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("91341522MA2T5K8X0Y", True),
        ("91341522MA2T5K8X0", False),  # 17 characters
        ("91341522MA2T5K8XOY", False),  # the letter O is never used
        ("9134152AMA2T5K8X0Y", False),  # the region part is digits
    ],
)
def test_employers_are_named_by_unified_social_credit_code(code: str, ok: bool) -> None:
    assert bool(re.match(CREDIT_CODE, code)) is ok


def test_rule_message_ids_fit_the_inbox() -> None:
    assert reason(body(), message_id="x" * 201) == "invalid-message-id"
    assert check(DUES_COLLECTED, body(), "x" * 200)["amount_fen"] == 2_500_000
