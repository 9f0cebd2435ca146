"""The funds service under nameko, on real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields
from nameko.standalone.rpc import ClusterRpcProxy

from shared.broker import INBOUND_DEAD_LETTER, INBOUND_EXCHANGE, events_exchange
from shared.nameko_ext import RemoteUnionError
from shared.registry import EventRegistry, NewEvent
from shared.store import ANY_VERSION
from tests.mq import UNIONCTL, World, drain, free_port, publish, queue_info, wait_for

pytestmark = pytest.mark.integration

EMPLOYER = "91341522MA2T5K8X0Y"
ACTOR = {"actor": "finance-1", "role": "finance_officer"}


def rpc(mq: World, context: dict[str, str] | None = None) -> ClusterRpcProxy:
    return ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=context or ACTOR)


def test_twenty_concurrent_requests_on_room_for_twelve_grant_exactly_twelve(mq: World) -> None:
    mq.start_service("funds")
    with rpc(mq) as funds:
        funds.funds.allocate(
            {
                "appropriation_id": "2026-golden-autumn",
                "fiscal_year": 2026,
                "line": "golden_autumn",
                "name": "金秋助学",
                "source": "union_funds",
                "amount_fen": 1_200_000,
                "basis": "2026 budget",
            }
        )
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def request(i: int) -> None:
        try:
            with rpc(mq, {"actor": f"caseworker-{i}"}) as caller:
                start.wait()
                answers.append(
                    caller.funds.reserve_funds(
                        {
                            "request_id": f"aid-{i}",
                            "fiscal_year": 2026,
                            "line": "golden_autumn",
                            "amount_fen": 100_000,
                            "reference": f"AidCase-{i}",
                        }
                    )
                )
        except BaseException as exc:  # collected and failed on below
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    statuses = [a["status"] for a in answers]
    assert statuses.count("reserved") == 12
    assert statuses.count("refused") == 8
    assert {a["reason"] for a in answers if a["status"] == "refused"} == {"LineExhausted"}
    assert mq.count("funds", "FundsReserved") == 12
    assert mq.count("funds", "BudgetReservationRefused") == 8  # refusals are events too
    with rpc(mq) as funds:
        (line,) = funds.funds.budget_execution(2026)
    assert (line["allocated_fen"], line["reserved_fen"], line["available_fen"]) == (
        1_200_000,
        1_200_000,
        0,
    )
    assert (line["refused_count"], line["refused_fen"]) == (8, 800_000)


def test_fiscal_lines_maker_checker_and_coded_errors_over_rpc(mq: World) -> None:
    mq.start_service("funds")
    with rpc(mq) as funds:
        opened = funds.funds.open_fiscal_year({"fiscal_year": 2027})
        assert {o["line"]: o["amount_fen"] for o in opened} == {
            "hardship_aid": 4_000_000,  # 40,000 yuan (notice 十二)
            "warmth": 60_000_000,  # 600,000 yuan
        }
        funds.funds.open_fiscal_year({"fiscal_year": 2027})  # a second time changes nothing
        with pytest.raises(RemoteUnionError) as bad:
            funds.funds.reserve_funds({"request_id": "x", "fiscal_year": 2027, "line": "Warmth!"})
        assert bad.value.code == "ValidationFailed"
        assert set(bad.value.details["fields"]) == {"line", "amount_fen", "reference"}
        ask = {
            "adjustment_id": "a1",
            "fiscal_year": 2027,
            "line": "warmth",
            "delta_fen": -100,
            "reason": "county revision",
        }
        funds.funds.request_adjustment(ask)
        with pytest.raises(RemoteUnionError) as same:
            funds.funds.approve_adjustment(
                {"adjustment_id": "a1", "fiscal_year": 2027, "line": "warmth"}
            )
        assert same.value.code == "MakerCheckerViolation"
        move = {
            "transfer_id": "t1",
            "fiscal_year": 2027,
            "from_line": "warmth",
            "to_line": "hardship_aid",
        }
        funds.funds.request_transfer({**move, "amount_fen": 1_000_000, "reason": "more hardship"})
        with pytest.raises(RemoteUnionError) as own:
            funds.funds.approve_transfer(move)
        assert own.value.code == "MakerCheckerViolation"
    with rpc(mq, {"actor": "leader-1"}) as leader:
        line = leader.funds.approve_adjustment(
            {"adjustment_id": "a1", "fiscal_year": 2027, "line": "warmth"}
        )
        assert line["allocated_fen"] == 60_000_000 - 100
        leader.funds.approve_transfer(move)
    execution = {row["line"]: row for row in mq_execution(mq, 2027)}
    assert execution["hardship_aid"]["allocated_fen"] == 5_000_000
    assert execution["warmth"]["allocated_fen"] == 59_000_000 - 100


def mq_execution(mq: World, year: int) -> list[dict[str, Any]]:
    with rpc(mq) as funds:
        rows: list[dict[str, Any]] = funds.funds.budget_execution(year)
    return rows


class UnionFoundedSchema(Schema):
    union_id = fields.String(required=True)
    employer_ids = fields.List(fields.String(), required=True)
    founded_on = fields.String(required=True)
    committee_size = fields.Integer()


def tax(amount: int, period: str, kind: str, **changes: Any) -> bytes:
    body = {
        "employer_id": EMPLOYER,
        "period": period,
        "kind": kind,
        "payroll_base_fen": amount * 50,
        "amount_fen": amount,
        "collected_on": "2026-10-15",
        "tax_voucher_no": f"T-{period}-{kind}",
        **changes,
    }
    return json.dumps(body).encode()


def send_tax(mq: World, body: bytes, message_id: str) -> None:
    publish(
        mq.broker,
        INBOUND_EXCHANGE,
        "tax.DuesCollected",
        body,
        content_type="application/json",
        message_id=message_id,
    )


def test_a_union_founded_in_orgs_converts_the_account_and_refunds_the_fund(mq: World) -> None:
    mq.start_service("funds")
    send_tax(mq, tax(2_000_000, "2026-08", "preparatory_fund"), "t1")
    send_tax(mq, tax(2_000_000, "2026-09", "preparatory_fund", amount_fen="lots"), "t-bad")
    send_tax(mq, tax(2_000_000, "2026-09", "preparatory_fund"), "t2")
    wait_for(
        "the malformed one dead-lettered",
        lambda: queue_info(mq.broker, INBOUND_DEAD_LETTER)[0] == 1,
    )
    wait_for("two collections", lambda: mq.count("funds", "PreparatoryFundCollected") == 2)
    (letter,) = drain(mq.broker, INBOUND_DEAD_LETTER)
    assert letter.headers["x-union-reason"] == "schema"

    orgs_events = EventRegistry()
    orgs_events.register("UnionFounded", UnionFoundedSchema)
    with mq.store("orgs", orgs_events) as orgs:  # published as orgs would: its log, its relay
        mq.start_relay_thread("orgs")
        founded = {
            "union_id": "U-341522-0099",
            "employer_ids": [EMPLOYER],
            "founded_on": "2026-11-01",
            "committee_size": 5,
        }
        orgs.append(
            "Union-U-341522-0099",
            [NewEvent("UnionFounded", founded)],
            ANY_VERSION,
            {"actor": "organiser-3", "correlation_id": "founding-99"},
        )
        wait_for("the refund", lambda: mq.count("funds", "PreparatoryFundRefundIssued") == 1)
    (refund,) = mq.data_of("funds", "PreparatoryFundRefundIssued")
    assert (refund["collected_fen"], refund["amount_fen"], refund["refund_bp"]) == (
        4_000_000,
        2_400_000,
        6000,
    )
    with rpc(mq) as funds:
        account = funds.funds.dues_reconciliation(EMPLOYER)
        ledger = funds.funds.trial_balance(2026)
    books = {a["account"]: (a["debit_fen"], a["credit_fen"]) for a in ledger["accounts"]}
    assert books["4301"] == (2_400_000, 4_000_000)  # 建会筹备金 in, 60 % of it refunded
    assert books["2102"] == (0, 2_400_000)  # owed to the new union
    assert ledger["balanced"]
    assert (account["mode"], account["union_id"]) == ("union_funds", "U-341522-0099")
    assert account["periods"]["2026-08"]["assessed_fen"] == 2_000_000  # 2 % of payroll
    assert account["refunds"] == [
        {"union_id": "U-341522-0099", "collected_fen": 4_000_000, "amount_fen": 2_400_000}
    ]


def test_a_reservation_saga_from_aids_log_is_answered_on_funds_events(mq: World) -> None:
    copy = "aid-answers"
    conn = mq.broker.connect()
    channel = conn.channel()
    channel.exchange_declare(events_exchange("funds"), "topic", durable=True, auto_delete=False)
    channel.queue_declare(copy, durable=True, auto_delete=False)
    for key in ("FundsReserved", "BudgetReservationRefused"):
        channel.queue_bind(copy, events_exchange("funds"), key)
    conn.close()
    mq.start_service("funds")
    with rpc(mq) as funds:
        funds.funds.open_fiscal_year({"fiscal_year": 2026})
    aid_events = EventRegistry()

    class Request(Schema):
        request_id = fields.String()
        fiscal_year = fields.Integer()
        line = fields.String()
        amount_fen = fields.Integer()
        reference = fields.String()

    aid_events.register("FundsReservationRequested", Request)
    with mq.store("aid", aid_events) as aid:
        mq.start_relay_thread("aid")
        for rid, amount in (("r-1", 3_000_000), ("r-2", 3_000_000)):
            data = {
                "request_id": rid,
                "fiscal_year": 2026,
                "line": "hardship_aid",
                "amount_fen": amount,
                "reference": f"AidCase-{rid}",
            }
            aid.append(
                f"AidCase-{rid}",
                [NewEvent("FundsReservationRequested", data)],
                ANY_VERSION,
                {"actor": "caseworker-1"},
            )
        wait_for("two answers", lambda: queue_info(mq.broker, copy)[0] == 2)
    answers = {}
    for message in drain(mq.broker, copy):
        envelope = json.loads(message.body)
        answers[envelope["data"]["reservation_id"]] = envelope["event_type"]
    # 30,000 yuan each from the 40,000-yuan line: whichever comes first is granted.
    assert set(answers) == {"aid:r-1", "aid:r-2"}  # ids are the requester's, prefixed
    assert sorted(answers.values()) == ["BudgetReservationRefused", "FundsReserved"]


class DecisionSchema(Schema):
    decision_id = fields.String(required=True)
    budget_impact = fields.Dict(allow_none=True)
    summary = fields.String()


def test_money_from_the_joint_meeting_to_a_voucher_and_a_balanced_ledger(mq: World) -> None:
    mq.start_service("funds")
    orgs_events = EventRegistry()
    orgs_events.register("JointMeetingDecisionRecorded", DecisionSchema)
    with mq.store("orgs", orgs_events) as orgs:
        mq.start_relay_thread("orgs")
        decision = {
            "decision_id": "2026-1-3",
            "budget_impact": {"fiscal_year": 2026, "line": "warmth", "amount_fen": 60_000_000},
            "summary": "县财政安排送温暖资金60万元",
        }
        orgs.append(
            "JointMeeting-2026-1",
            [NewEvent("JointMeetingDecisionRecorded", decision)],
            ANY_VERSION,
            {"actor": "secretary-1"},
        )
        wait_for("the line allocated", lambda: mq.count("funds", "BudgetLineAllocated") == 1)
    with rpc(mq) as funds:
        funds.funds.reserve_funds(
            {
                "request_id": "w-1",
                "fiscal_year": 2026,
                "line": "warmth",
                "amount_fen": 500_000,
                "reference": "Campaign-2026",
            }
        )
        funds.funds.confirm_spend(
            {
                "request_id": "w-1",
                "fiscal_year": 2026,
                "line": "warmth",
                "amount_fen": 480_000,
                "voucher_ref": "BANK-77",
            }
        )
        funds.funds.record_collection(
            {
                "employer_id": EMPLOYER,
                "period": "2026-10",
                "kind": "dues",
                "channel": "direct",
                "payroll_fen": 10_000_000,
                "amount_fen": 200_000,
                "voucher_no": "D-1",
                "collected_on": "2026-11-02",
            }
        )
        account = funds.funds.record_dues_transfer(
            {
                "employer_id": EMPLOYER,
                "direction": "down",
                "amount_fen": 120_000,
                "to": "U-341522-0099",
                "voucher_ref": "BANK-78",
                "transferred_on": "2026-11-20",
            }
        )
        assert (account["owed_down_fen"], account["owed_up_fen"]) == (0, 80_000)
        balance = funds.funds.trial_balance(2026)
        (line,) = funds.funds.budget_execution(2026)
        funds.funds.request_asset_change(
            {
                "asset_id": "palace-1",
                "request_id": "a1",
                "change": "acquire",
                "name": "工人文化宫",
                "category": "real_estate",
                "value_fen": 100,
                "holder": "county-federation",
                "holder_kind": "union",
                "purpose": "union",
            }
        )
    with rpc(mq, {"actor": "leader-1"}) as leader:
        leader.funds.approve_asset_change({"asset_id": "palace-1", "request_id": "a1"})
        refused = leader.funds.request_asset_change(
            {
                "asset_id": "palace-1",
                "request_id": "a2",
                "change": "transfer",
                "holder": "Hotel Co.",
                "holder_kind": "non_union",
                "purpose": "non_union",
                "value_fen": 0,
            }
        )
        register = leader.funds.asset_register()
    assert (line["allocated_fen"], line["spent_fen"], line["released_fen"]) == (
        60_000_000,
        480_000,
        20_000,
    )
    accounts = {a["account"]: a for a in balance["accounts"]}
    assert balance["balanced"] and balance["vouchers"] == 3
    assert accounts["5101"]["debit_fen"] == 480_000  # the 送温暖 spend
    # the grassroots union's 60 % is owed down to it (and paid), the 40 % upward
    assert (accounts["2102"]["credit_fen"], accounts["2101"]["credit_fen"]) == (120_000, 80_000)
    assert accounts["2102"]["debit_fen"] == 120_000
    assert refused["recorded"] == ["AssetTransferRefused"]
    (asset,) = register
    assert asset["holder"] == "county-federation"
    assert [h["change"] for h in asset["history"]] == ["acquire", "transfer refused"]
    (grant,) = mq.data_of("funds", "FiscalGrantCommitted")
    assert grant["decision_ref"] == "orgs:JointMeeting-2026-1:2026-1-3"


def test_deadlines_expire_reservations_on_the_services_clock(mq: World) -> None:
    first = mq.start_service("funds", UNION_CLOCK_START="2026-01-10T09:00:00+08:00")
    with rpc(mq) as funds:
        funds.funds.open_fiscal_year({"fiscal_year": 2026})
        answer = funds.funds.reserve_funds(
            {
                "request_id": "r-1",
                "fiscal_year": 2026,
                "line": "hardship_aid",
                "amount_fen": 100_000,
                "reference": "AidCase-1",
            }
        )
        assert answer["expires_on"] == "2026-02-09"  # 30 days on the service's clock
        assert funds.funds.run_deadlines() == {"expired": 0, "arrears": 0}
    first.stop()
    mq.start_service("funds", UNION_CLOCK_START="2026-03-01T09:00:00+08:00")
    with rpc(mq) as funds:
        assert funds.funds.run_deadlines() == {"expired": 1, "arrears": 0}
        assert funds.funds.run_deadlines() == {"expired": 0, "arrears": 0}
        (line,) = [r for r in funds.funds.budget_execution(2026) if r["line"] == "hardship_aid"]
    assert (line["reserved_fen"], line["released_fen"], line["available_fen"]) == (
        0,
        100_000,
        4_000_000,
    )


def test_status_shows_the_relay_lag_and_dead_letters(mq: World) -> None:
    mq.start_service("funds")
    send_tax(mq, b"not json", "bad-1")
    wait_for("the dead letter", lambda: queue_info(mq.broker, INBOUND_DEAD_LETTER)[0] == 1)
    with rpc(mq) as funds:
        funds.funds.open_fiscal_year({"fiscal_year": 2026})

    def status() -> str:
        done = subprocess.run(
            [UNIONCTL, "status", "funds"],
            env=mq.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.stdout

    wait_for("the relay to catch up", lambda: "lag 0" in status())
    text = status()
    assert "funds: UP, log head 2, relay leading, lag 0, dead letters 0" in text, text
    assert "inbound: dead letters 1" in text

    with rpc(mq) as funds, pytest.raises(RemoteUnionError):
        funds.funds.allocate({"fiscal_year": 1})
    base = f"http://127.0.0.1:{mq.http_port}"
    with urllib.request.urlopen(f"{base}/health", timeout=10) as answer:
        assert json.load(answer) == {
            "service": "funds",
            "head_position": 2,
            "relay_leader": True,
            "relay_lag": 0,
        }
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    assert 'union_log_head_position{service="funds"} 2.0' in metrics
    assert 'union_relay_lag_events{service="funds"} 0.0' in metrics
    commits = re.search(r'union_append_commits\{service="funds"\} (\d+)', metrics)
    requests = re.search(r'union_append_requests\{service="funds"\} (\d+)', metrics)
    assert commits and requests, metrics
    assert 1 <= int(commits[1]) <= int(requests[1])
    assert 'union_commands_refused_total{code="ValidationFailed",service="funds"} 1.0' in metrics
    assert (
        'union_dead_letters_total{queue="inbound.funds.tax.DuesCollected",reason="not-json"} 1.0'
        in metrics
    )
    assert (
        'union_worker_seconds_count{entrypoint="open_fiscal_year",outcome="ok",service="funds"} 1.0'
        in metrics
    )


def test_up_starts_the_services_a_second_up_is_harmless_and_down_stops_them(
    mq: World, tmp_path: Path
) -> None:
    env = {
        **mq.env,
        "UNION_RUN_DIR": str(tmp_path / "var"),
        **{
            f"UNION_{service.upper()}_HTTP_ADDRESS": f"127.0.0.1:{free_port()}"
            for service in ("aid", "competitions", "orgs", "funds")
        },
    }

    def unionctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [UNIONCTL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    first = unionctl("up")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "funds: started" in first.stdout and "healthy" in first.stdout
    pid = int((tmp_path / "var" / "funds.pid").read_text())
    again = unionctl("up")
    assert f"funds: already running (pid {pid})" in again.stdout
    stopped = unionctl("down")
    assert f"funds: stopped (pid {pid})" in stopped.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # nothing left behind
    assert not (tmp_path / "var" / "funds.pid").exists()


class UnionMergedSchema(Schema):
    union_id = fields.String(required=True)
    into_union_id = fields.String(required=True)
    reason = fields.String(required=True)
    approved_by = fields.String(required=True)
    merged_on = fields.String(required=True)


class UnionDissolvedSchema(Schema):
    union_id = fields.String(required=True)
    reason = fields.String(required=True)
    approved_by = fields.String(required=True)
    dissolved_on = fields.String(required=True)


def test_accounts_follow_a_merger_even_one_that_arrives_before_the_founding(mq: World) -> None:
    mq.start_service("funds")
    send_tax(mq, tax(1_000_000, "2026-08", "preparatory_fund"), "p1")
    wait_for("the 筹备金", lambda: mq.count("funds", "PreparatoryFundCollected") == 1)
    orgs_events = EventRegistry()
    orgs_events.register("UnionFounded", UnionFoundedSchema)
    orgs_events.register("UnionMerged", UnionMergedSchema)
    orgs_events.register("UnionDissolved", UnionDissolvedSchema)
    meta = {"actor": "county-federation", "correlation_id": "reorganisation-7"}
    with mq.store("orgs", orgs_events) as orgs:
        mq.start_relay_thread("orgs")
        # The merger reaches funds first (its handlers take orgs' messages in no
        # guaranteed order): the account converted to U-A afterwards follows it.
        merged = {
            "union_id": "U-A",
            "into_union_id": "U-B",
            "reason": "employer_merged",
            "approved_by": "county-federation",
            "merged_on": "2026-11-10",
        }
        orgs.append("Union-U-A", [NewEvent("UnionMerged", merged)], ANY_VERSION, meta)
        wait_for("the ending noted", lambda: mq.count("funds", "UnionEndingNoted") == 1)
        assert mq.count("funds", "DuesAccountUnionChanged") == 0  # no account with U-A yet
        founded = {"union_id": "U-A", "employer_ids": [EMPLOYER], "founded_on": "2026-11-01"}
        orgs.append("Union-U-A", [NewEvent("UnionFounded", founded)], ANY_VERSION, meta)
        wait_for("the account follows", lambda: mq.count("funds", "DuesAccountUnionChanged") == 1)
        send_tax(mq, tax(500_000, "2026-09", "preparatory_fund"), "p2-late")
        wait_for("the late refund", lambda: mq.count("funds", "PreparatoryFundRefundIssued") == 2)
        with rpc(mq) as funds:
            account = funds.funds.dues_reconciliation(EMPLOYER)
        assert (account["mode"], account["union_id"]) == ("union_funds", "U-B")
        assert [u["change"] for u in account["unions"]] == ["founded", "merged"]
        assert [r["union_id"] for r in account["refunds"]] == ["U-A", "U-B"]
        assert account["owed_down_fen"] == 900_000  # 60 % of both, all now the merged union's

        dissolved = {
            "union_id": "U-B",
            "reason": "employer_closed",
            "approved_by": "county-federation",
            "dissolved_on": "2026-11-20",
        }
        orgs.append("Union-U-B", [NewEvent("UnionDissolved", dissolved)], ANY_VERSION, meta)
        wait_for("the union ends", lambda: mq.count("funds", "DuesAccountUnionEnded") == 1)
    (ended,) = mq.data_of("funds", "DuesAccountUnionEnded")
    assert (ended["union_id"], ended["held_fen"]) == ("U-B", 900_000)
    with rpc(mq) as funds:
        account = funds.funds.dues_reconciliation(EMPLOYER)
        ledger = funds.funds.trial_balance(2026)
    assert (account["mode"], account["union_id"], account["owed_down_fen"]) == (
        "preparatory_fund",
        None,
        0,
    )
    books = {a["account"]: (a["debit_fen"], a["credit_fen"]) for a in ledger["accounts"]}
    assert books["2102"] == (900_000, 900_000)  # no longer owed down: the county's income
    assert ledger["balanced"]
    assert [u["change"] for u in account["unions"]] == ["founded", "merged", "dissolved"]
    assert mq.count("funds", "UnionEndingNoted") == 2
