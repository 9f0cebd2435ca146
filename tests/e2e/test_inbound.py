"""Messages other systems publish into inbound.events: taken once, or dead-lettered."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from shared.broker import INBOUND_DEAD_LETTER, INBOUND_EXCHANGE
from tests.mq import ROOT, UNIONCTL, World, drain, publish, queue_info, wait_for

pytestmark = pytest.mark.integration

GOOD: dict[str, Any] = {
    "employer_id": "91341522MA2T5K8X0Y",
    "period": "2026-10",
    "kind": "dues",
    "payroll_base_fen": 125_000_000,
    "amount_fen": 2_500_000,
    "collected_on": "2026-11-15",
    "tax_voucher_no": "341522202611150001",
}
JSON = {"content_type": "application/json", "content_encoding": "utf-8"}


def send(mq: World, key: str, body: bytes, **props: Any) -> None:
    publish(mq.broker, INBOUND_EXCHANGE, key, body, **{**JSON, **props})


def good(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def test_each_invalid_shape_is_dead_lettered_with_its_reason(mq: World) -> None:
    probe = mq.start_probe()
    send(mq, "tax.DuesCollected", b"<xml>not json</xml>", message_id="bad-json")
    send(mq, "tax.DuesUnheardOf", good(), message_id="bad-type")
    send(mq, "tax.DuesCollected", good(amount_fen="12", period=None), message_id="bad-schema")
    send(mq, "tax.DuesCollected", good())  # no message_id
    send(mq, "tax.DuesCollected", good(tax_voucher_no="x" * 70_000), message_id="bad-size")
    send(mq, "tax.DuesCollected", good(amount_fen=1), message_id="dup")
    send(mq, "tax.DuesCollected", good(amount_fen=1), message_id="dup")
    send(mq, "tax.DuesCollected", good(amount_fen=2), message_id="fine")
    wait_for("five dead letters", lambda: queue_info(mq.broker, INBOUND_DEAD_LETTER)[0] == 5)
    wait_for("two messages taken", lambda: mq.count("funds", "DuesNoted") == 2)
    letters = drain(mq.broker, INBOUND_DEAD_LETTER)
    reasons = {m.properties.get("message_id", "(none)"): m.headers for m in letters}
    assert {k: h["x-union-reason"] for k, h in reasons.items()} == {
        "bad-json": "not-json",
        "bad-type": "unknown-type",
        "bad-schema": "schema",
        "(none)": "missing-message-id",
        "bad-size": "too-large",
    }
    fields = json.loads(reasons["bad-schema"]["x-union-detail"])
    assert set(fields) == {"amount_fen", "period"}
    assert reasons["bad-type"]["x-union-routing-key"] == "tax.DuesUnheardOf"
    noted = mq.data_of("funds", "DuesNoted")
    assert sorted((n["message_id"], n["amount_fen"]) for n in noted) == [("dup", 1), ("fine", 2)]
    assert probe.popen.poll() is None


def test_the_readme_publisher_works_and_messages_wait_for_their_consumer(mq: World) -> None:
    setup = subprocess.run(
        [UNIONCTL, "broker", "setup"],
        env=mq.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    # funds' handler queues exist before funds first runs, so nothing aid publishes is missed
    assert (
        queue_info(mq.broker, "evt-aid-FundsReservationRequested--funds.on_aid_reservation")[0] == 0
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("A publisher in plain") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    run = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        env={**mq.env, "AMQP_URL": mq.broker.uri},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert queue_info(mq.broker, "inbound.funds.tax.DuesCollected")[0] == 1  # waiting
    mq.start_probe()
    wait_for("the message to be taken", lambda: mq.count("funds", "DuesNoted") == 1)
    (noted,) = mq.data_of("funds", "DuesNoted")
    assert noted["amount_fen"] == 2_500_000
    assert queue_info(mq.broker, INBOUND_DEAD_LETTER)[0] == 0
