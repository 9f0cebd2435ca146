"""aid and funds under nameko, on real RabbitMQ and PostgreSQL: the sagas and the vault."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from marshmallow import Schema, fields
from nameko.standalone.rpc import ClusterRpcProxy

from shared.broker import INBOUND_EXCHANGE
from shared.nameko_ext import RemoteUnionError
from shared.registry import EventRegistry, NewEvent
from shared.store import ANY_VERSION
from tests.kit import county_today
from tests.mq import NAMEKO, ROOT, UNIONCTL, World, publish, queue_info, wait_for

pytestmark = pytest.mark.integration

CASEWORKER = {"actor": "caseworker-1", "role": "caseworker"}
ASSESSOR = {"actor": "caseworker-2", "role": "caseworker"}
LEADER = {"actor": "leader-1", "role": "leader"}
FINANCE = {"actor": "finance-1", "role": "finance_officer"}
YEAR = county_today().year


def rpc(mq: World, who: dict[str, str]) -> ClusterRpcProxy:
    return ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=who)


def call(mq: World, who: dict[str, str], method: str, *args: Any) -> Any:
    with rpc(mq, who) as proxy:
        return getattr(proxy.aid, method)(*args)


def start_both(mq: World) -> None:
    mq.start_service("funds")
    mq.start_service("aid")
    with rpc(mq, FINANCE) as proxy:
        proxy.funds.open_fiscal_year({"fiscal_year": YEAR})


def case_status(mq: World, case_id: str) -> str:
    status: str = call(mq, CASEWORKER, "assistance_case", case_id)["status"]
    return status


def request_and_assess(mq: World, case_id: str, person: str, amount: int) -> None:
    call(
        mq,
        CASEWORKER,
        "request_aid",
        {
            "case_id": case_id,
            "programme": "model_worker",
            "person_id": person,
            "fiscal_year": YEAR,
            "amount_fen": amount,
            "reason": "劳模困难帮扶",
        },
    )
    call(mq, ASSESSOR, "assess_aid", {"case_id": case_id, "amount_fen": amount, "opinion": "ok"})


def test_approval_saga_reserves_blocks_when_exhausted_and_cancel_releases(mq: World) -> None:
    start_both(mq)
    request_and_assess(mq, "C-1", "P-1", 3_000_000)  # 30,000 of the 40,000-yuan line
    request_and_assess(mq, "C-2", "P-2", 2_000_000)

    with pytest.raises(RemoteUnionError) as own:
        call(mq, ASSESSOR, "approve_aid", {"case_id": "C-1"})
    assert own.value.code == "MakerCheckerViolation"
    with pytest.raises(RemoteUnionError) as twice:
        request_and_assess(mq, "C-1b", "P-1", 100)  # same person, programme, year
    assert twice.value.code == "DuplicateAid"

    assert call(mq, LEADER, "approve_aid", {"case_id": "C-1"})["status"] == "awaiting_funds"
    wait_for("C-1 approved", lambda: case_status(mq, "C-1") == "approved")
    call(mq, LEADER, "approve_aid", {"case_id": "C-2"})
    wait_for("C-2 blocked", lambda: case_status(mq, "C-2") == "blocked")
    (blocked,) = mq.data_of("aid", "AidApprovalBlocked")
    assert (blocked["request_id"], blocked["reason"]) == ("case:C-2.1", "BudgetExhausted")
    assert [r["reservation_id"] for r in mq.data_of("funds", "FundsReserved")] == ["aid:case:C-1.1"]

    call(mq, CASEWORKER, "cancel_aid", {"case_id": "C-1", "reason": "family moved away"})
    wait_for("the release", lambda: mq.count("funds", "ReservationReleased") == 1)
    (released,) = mq.data_of("funds", "ReservationReleased")
    assert (released["reservation_id"], released["amount_fen"]) == ("aid:case:C-1.1", 3_000_000)

    # The money is back: C-2 approved on a second try, then paid with maker-checker.
    assert call(mq, LEADER, "approve_aid", {"case_id": "C-2"})["request_id"] == "case:C-2.2"
    wait_for("C-2 approved", lambda: case_status(mq, "C-2") == "approved")
    with pytest.raises(RemoteUnionError) as payer:
        call(mq, LEADER, "order_payment", {"case_id": "C-2"})
    assert payer.value.code == "MakerCheckerViolation"


def submit_and_file(mq: World, household: str, person: str) -> None:
    """A household through the whole 一户一档 procedure, civil affairs' answer included."""
    call(
        mq,
        CASEWORKER,
        "submit_application",
        {
            "household_id": household,
            "applicant_id": person,
            "union_id": "U-1",
            "member_ids": [person, f"{person}-child"],
            "causes": ["illness"],
            "personal": {
                "name": "张三丰",
                "id_number": "34152219800101123X",
                "bank_account": "6222020200112233445",
                "illness": "尿毒症",
            },
        },
    )
    call(
        mq,
        LEADER,
        "review_application",
        {"household_id": household, "passed": True, "opinion": "属实"},
    )
    call(
        mq,
        CASEWORKER,
        "record_home_visit",
        {
            "household_id": household,
            "visitors": ["caseworker-1", "chair-7"],
            "visited_on": (county_today() - timedelta(days=20)).isoformat(),
            "findings": "两人家庭, 一人重病",
            "forms_signed": True,
            "personal": {"rigid_expenditure_yearly_fen": 2_400_000},
        },
    )
    request_id = call(mq, CASEWORKER, "request_income_verification", {"household_id": household})[
        "request_id"
    ]
    body = {
        "request_id": request_id,
        "household_ref": household,
        "result": "verified",
        "household_size": 2,
        "per_capita_monthly_income_fen": 150_000,
        "completed_on": (county_today() - timedelta(days=15)).isoformat(),
    }
    publish(
        mq.broker,
        INBOUND_EXCHANGE,
        "civil.IncomeVerificationCompleted",
        json.dumps(body).encode(),
        content_type="application/json",
        message_id=f"civil-{household}",
    )
    wait_for(
        "the verification",
        lambda: call(mq, CASEWORKER, "hardship_file", household)["status"] == "verified",
    )
    file = call(mq, CASEWORKER, "hardship_file", household)
    # (1,500 x 12 x 2 - 24,000) / 12 / 2 = 500 yuan a head < 780 (1x 低保): 深度困难.
    assert file["computed_category"] == "deep"
    starts = (county_today() - timedelta(days=10)).isoformat()
    call(
        mq,
        CASEWORKER,
        "start_public_notice",
        {"household_id": household, "starts_on": starts, "channel": "union notice board"},
    )
    call(
        mq,
        CASEWORKER,
        "close_public_notice",
        {"household_id": household, "upheld": False, "finding": "无异议"},
    )
    assert call(mq, LEADER, "establish_file", {"household_id": household})["status"] == "filed"


def test_a_winter_campaign_reserves_its_envelope_and_returns_what_was_not_used(
    mq: World,
) -> None:
    start_both(mq)
    submit_and_file(mq, "H-1", "P-1")
    (notice,) = mq.data_of("aid", "HardshipPublicNoticeStarted")
    assert notice["masked_name"] == "张**"  # the public notice shows no more
    call(
        mq,
        CASEWORKER,
        "plan_campaign",
        {
            "campaign_id": f"winter-{YEAR}",
            "season": "winter",
            "fiscal_year": YEAR,
            "envelope_fen": 1_000_000,
            "opens_on": f"{YEAR}-12-01",
            "closes_on": f"{YEAR + 1}-02-28",
        },
    )
    call(mq, CASEWORKER, "open_campaign", {"campaign_id": f"winter-{YEAR}"})
    wait_for(
        "the envelope",
        lambda: call(mq, CASEWORKER, "campaign", f"winter-{YEAR}")["status"] == "open",
    )
    (reserved,) = mq.data_of("funds", "FundsReserved")
    # Held until the campaign closes, and a month more for the last payments to settle.
    assert reserved["expires_on"] == (date(YEAR + 1, 2, 28) + timedelta(days=30)).isoformat()
    with pytest.raises(RemoteUnionError) as unfiled:
        call(
            mq,
            CASEWORKER,
            "add_beneficiary",
            {"campaign_id": f"winter-{YEAR}", "household_id": "H-none", "amount_fen": 100},
        )
    assert unfiled.value.code == "NotEligible"
    add = {"campaign_id": f"winter-{YEAR}", "household_id": "H-1", "amount_fen": 250_000}
    call(mq, CASEWORKER, "add_beneficiary", add)
    call(mq, CASEWORKER, "publish_roster", {"campaign_id": f"winter-{YEAR}"})
    pay = {"campaign_id": f"winter-{YEAR}", "household_id": "H-1", "voucher_ref": "BANK-1"}
    call(mq, FINANCE, "pay_beneficiary", pay)
    call(mq, CASEWORKER, "close_campaign", {"campaign_id": f"winter-{YEAR}"})
    wait_for("the remainder released", lambda: mq.count("funds", "ReservationReleased") == 1)
    (spent,) = mq.data_of("funds", "ExpenditureRecorded")
    (returned,) = mq.data_of("funds", "ReservationReleased")
    assert (spent["amount_fen"], returned["amount_fen"]) == (250_000, 750_000)
    with rpc(mq, FINANCE) as proxy:
        lines = {row["line"]: row for row in proxy.funds.budget_execution(YEAR)}
    assert (lines["warmth"]["spent_fen"], lines["warmth"]["reserved_fen"]) == (250_000, 0)


class MemberSchema(Schema):
    person_id = fields.String()
    union_id = fields.String()
    occurred_on = fields.String()


def test_a_member_lapse_published_by_orgs_blocks_mutual_aid_enrolment(mq: World) -> None:
    mq.start_service("aid")
    orgs_events = EventRegistry()
    orgs_events.register("MemberAdmitted", MemberSchema)
    orgs_events.register("MemberLapsed", MemberSchema)
    with mq.store("orgs", orgs_events) as orgs:  # published as orgs would: its log, its relay
        mq.start_relay_thread("orgs")
        for person in ("P-7", "P-8"):
            admitted = {"person_id": person, "union_id": "U-3", "occurred_on": "2025-01-10"}
            orgs.append(
                f"Member-{person}",
                [NewEvent("MemberAdmitted", admitted)],
                ANY_VERSION,
                {"actor": "organiser-1"},
            )
        lapsed = {"person_id": "P-8", "union_id": "U-3", "occurred_on": "2026-06-30"}
        orgs.append(
            "Member-P-8", [NewEvent("MemberLapsed", lapsed)], ANY_VERSION, {"actor": "system"}
        )
        wait_for(
            "P-8 lapsed in aid",
            lambda: call(mq, CASEWORKER, "member_eligibility", "P-8")["member_status"] == "lapsed",
        )
    enrolled = call(mq, CASEWORKER, "enroll_mutual_aid", {"plan_year": YEAR, "person_id": "P-7"})
    assert enrolled["enrolled"]
    with pytest.raises(RemoteUnionError) as lapsed_member:
        call(mq, CASEWORKER, "enroll_mutual_aid", {"plan_year": YEAR, "person_id": "P-8"})
    assert lapsed_member.value.code == "NotAnActiveMember"


def test_erasing_a_subject_shreds_its_data_and_the_chain_still_verifies(mq: World) -> None:
    mq.start_service("aid")
    call(
        mq,
        CASEWORKER,
        "submit_application",
        {
            "household_id": "H-9",
            "applicant_id": "P-9",
            "union_id": "U-1",
            "member_ids": ["P-9"],
            "causes": ["accident"],
            "temporary": True,
            "exclusions": ["non_essential_motor_vehicle"],
            "personal": {"name": "李四", "id_number": "341522199001011234"},
        },
    )
    (rejected,) = mq.data_of("aid", "HardshipApplicationRejected")
    assert rejected["reason"] == "Excluded" and "exclusions" not in rejected
    assert rejected["exclusions_ref"] == ["P-9/property_exclusions@1"]
    read = {
        "subject_id": "P-9",
        "fields": ["name", "id_number", "property_exclusions"],
        "purpose": "case review",
    }
    values = call(mq, CASEWORKER, "read_personal_data", read)["values"]
    assert values == {
        "name": "李四",
        "id_number": "341522199001011234",
        "property_exclusions": ["non_essential_motor_vehicle"],
    }
    with pytest.raises(RemoteUnionError) as leader:
        call(mq, LEADER, "read_personal_data", read)
    assert leader.value.code == "AccessDenied"
    # Nothing personal is in the log: not in any event's data.
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        log = conn.execute("SELECT string_agg(data::text, ' ') FROM events").fetchone()
    assert log is not None and "341522199001011234" not in log[0] and "李四" not in log[0]
    assert "non_essential_motor_vehicle" not in log[0]  # a household's finances, too

    with pytest.raises(RemoteUnionError) as not_theirs:
        call(mq, FINANCE, "erase_subject", {"subject_id": "P-9", "reason": "tidying up"})
    assert not_theirs.value.code == "AccessDenied"  # only the controller's roles erase
    call(mq, CASEWORKER, "erase_subject", {"subject_id": "P-9", "reason": "retention ended"})
    after = call(mq, CASEWORKER, "read_personal_data", read)
    assert after == {
        "subject_id": "P-9",
        "status": "erased",
        "values": {
            "name": "[erased]",
            "id_number": "[erased]",
            "property_exclusions": "[erased]",
        },
    }
    accessed = mq.data_of("aid", "PersonalDataAccessed")
    refused = mq.data_of("aid", "PersonalDataAccessRefused")
    assert [(a["accessor"], a["role"]) for a in accessed][-2:] == [
        ("caseworker-1", "caseworker"),
        ("caseworker-1", "caseworker"),
    ]
    assert [(r["accessor"], r["role"]) for r in refused] == [("leader-1", "leader")]
    assert mq.count("aid", "SubjectErased") == 1
    verified = subprocess.run(
        [UNIONCTL, "audit", "verify", "--service", "aid"],
        env=mq.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_reply_that_never_comes_shows_overdue_and_a_late_reply_still_settles_it(
    mq: World,
) -> None:
    setup = subprocess.run(
        [UNIONCTL, "broker", "setup"], env=mq.env, capture_output=True, text=True, check=False
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr  # funds' queues exist already
    aid = mq.start_service("aid")
    request_and_assess(mq, "C-5", "P-5", 1_000_000)
    call(mq, LEADER, "approve_aid", {"case_id": "C-5"})
    assert call(mq, CASEWORKER, "run_deadlines")["approvals_timed_out"] == 0

    aid.stop()  # three days on, funds has still said nothing
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    mq.start_service("aid", UNION_CLOCK_START=later)
    assert call(mq, CASEWORKER, "run_deadlines")["approvals_timed_out"] == 1
    case = call(mq, CASEWORKER, "assistance_case", "C-5")
    assert (case["status"], case["funds_reply_overdue"]) == ("awaiting_funds", True)
    assert call(mq, CASEWORKER, "run_deadlines")["approvals_timed_out"] == 0  # once

    mq.start_service("funds")  # the request waited in funds' queue; no year is open
    wait_for("the late answer", lambda: case_status(mq, "C-5") == "blocked")
    (blocked,) = mq.data_of("aid", "AidApprovalBlocked")
    assert (blocked["request_id"], blocked["reason"]) == ("case:C-5.1", "LineNotAllocated")


class Loose(Schema):
    """Another service's event as the test publishes it: whatever fields it is given."""

    class Meta:
        unknown = "include"


def test_orgs_and_competitions_events_move_files_open_legal_aid_and_model_worker_cases(
    mq: World,
) -> None:
    mq.start_service("aid")
    call(
        mq,
        CASEWORKER,
        "submit_application",
        {
            "household_id": "H-4",
            "applicant_id": "P-4",
            "union_id": "U-1",
            "member_ids": ["P-4"],
            "causes": ["illness"],
            "personal": {"name": "王五", "id_number": "341522198501011111"},
        },
    )
    call(
        mq,
        CASEWORKER,
        "plan_recuperation",
        {
            "programme_id": f"rest-{YEAR}",
            "fiscal_year": YEAR,
            "quota": 2,
            "budget_fen": 600_000,
            "per_person_fen": 300_000,
        },
    )
    general = {"programme_id": f"rest-{YEAR}", "person_id": "P-8", "priority": "general"}
    call(mq, CASEWORKER, "nominate_for_recuperation", general)
    call(mq, CASEWORKER, "nominate_for_recuperation", general)  # a retry records nothing
    front = {**general, "priority": "front_line"}  # nominated again, higher: raised
    call(mq, CASEWORKER, "nominate_for_recuperation", front)
    orgs_events, competitions_events = EventRegistry(), EventRegistry()
    for name in ("MemberTransferred", "ContractViolationReported"):
        orgs_events.register(name, Loose)
    for name in ("ModelWorkerHardshipFlagged", "ModelWorkerRegistered"):
        competitions_events.register(name, Loose)
    with (
        mq.store("orgs", orgs_events) as orgs,
        mq.store("competitions", competitions_events) as competitions,
    ):
        mq.start_relay_thread("orgs")
        mq.start_relay_thread("competitions")
        moved = {
            "person_id": "P-4",
            "from_union": "U-1",
            "to_union": "U-2",
            "occurred_on": "2026-09-01",
        }
        breach = {
            "report_id": "R-1",
            "union_id": "U-2",
            "person_ids": ["P-4", "P-6"],
            "summary": "加班费未按集体合同支付",
            "known_on": "2026-03-01",
        }
        orgs.append(
            "Member-P-4", [NewEvent("MemberTransferred", moved)], ANY_VERSION, {"actor": "o"}
        )
        orgs.append(
            "Contract-7",
            [NewEvent("ContractViolationReported", breach)],
            ANY_VERSION,
            {"actor": "labour-relations-1"},
        )
        flagged = {
            "person_id": "P-6",
            "flag_id": "F-1",
            "fiscal_year": YEAR,
            "amount_fen": 500_000,
        }
        competitions.append(
            "ModelWorker-P-6",
            [NewEvent("ModelWorkerHardshipFlagged", flagged)],
            ANY_VERSION,
            {"actor": "honours-1"},
        )
        competitions.append(
            "ModelWorker-P-8",
            [NewEvent("ModelWorkerRegistered", {"person_id": "P-8", "level": "city"})],
            ANY_VERSION,
            {"actor": "honours-1"},
        )
        wait_for("the file moved", lambda: mq.count("aid", "HardshipFileTransferred") == 1)
        wait_for("two legal aid cases", lambda: mq.count("aid", "LegalAidRequested") == 2)
        wait_for("the model worker's case", lambda: mq.count("aid", "AidRequested") == 1)
        # Flagged again the same year: no second case (one a year), and nothing dead-lettered.
        competitions.append(
            "ModelWorker-P-6",
            [NewEvent("ModelWorkerHardshipFlagged", {**flagged, "flag_id": "F-2"})],
            ANY_VERSION,
            {"actor": "honours-1"},
        )
        handler = "evt-competitions-ModelWorkerHardshipFlagged--aid.on_model_worker_hardship"
        wait_for("the second flag handled", lambda: _handled(mq, "on_model_worker_hardship", 2))
        assert queue_info(mq.broker, handler) == (0, 1)
        assert queue_info(mq.broker, "aid.dead-letter")[0] == 0
        assert mq.count("aid", "AidRequested") == 1
    assert call(mq, CASEWORKER, "hardship_file", "H-4")["union_id"] == "U-2"
    legal = call(mq, CASEWORKER, "legal_aid_case", "R-1.P-4")
    assert (legal["status"], legal["arbitration_limit_on"]) == ("requested", "2027-03-01")
    case = call(mq, CASEWORKER, "assistance_case", "MW-F-1")
    assert (case["programme"], case["status"], case["line"]) == (
        "model_worker",
        "requested",
        "hardship_aid",
    )
    nominated = {n["person_id"]: n["priority"] for n in mq.data_of("aid", "RecuperationNominated")}
    assert nominated == {"P-8": "general", "P-6": "model_worker"}
    # Nominated as general, registered a model worker since: ranks first now (F8).
    wait_for("P-8 raised", lambda: mq.count("aid", "RecuperationPriorityRaised") == 2)
    raised = [
        (r["from_priority"], r["to_priority"])
        for r in mq.data_of("aid", "RecuperationPriorityRaised")
    ]
    assert raised == [("general", "front_line"), ("front_line", "model_worker")]


def test_erasing_a_person_shreds_their_mutual_aid_claims_and_a_refiled_claim_keeps_its_figures(
    mq: World,
) -> None:
    mq.start_service("aid")
    orgs_events = EventRegistry()
    orgs_events.register("MemberAdmitted", MemberSchema)
    with mq.store("orgs", orgs_events) as orgs:
        mq.start_relay_thread("orgs")
        admitted = {"person_id": "P-3", "union_id": "U-3", "occurred_on": "2025-01-10"}
        orgs.append(
            "Member-P-3", [NewEvent("MemberAdmitted", admitted)], ANY_VERSION, {"actor": "o"}
        )
        wait_for(
            "P-3 a member in aid",
            lambda: call(mq, CASEWORKER, "member_eligibility", "P-3")["member_status"] == "active",
        )
    call(mq, CASEWORKER, "enroll_mutual_aid", {"plan_year": YEAR, "person_id": "P-3"})
    personal: dict[str, Any] = {
        "medical_cost_fen": 800_000,
        "insurance_paid_fen": 500_000,
        "diagnosis": "肺炎",
    }
    claim = {
        "plan_year": YEAR,
        "person_id": "P-3",
        "claim_id": "MC-1",
        "treated_on": county_today().isoformat(),
        "personal": personal,
    }
    call(mq, CASEWORKER, "file_mutual_aid_claim", claim)
    # The same claim again (a retry, or figures changed after filing): nothing is replaced.
    again = {**claim, "personal": {**personal, "medical_cost_fen": 9_000_000}}
    call(mq, CASEWORKER, "file_mutual_aid_claim", again)
    read = {"subject_id": "P-3.claim.MC-1", "fields": ["medical_cost_fen"], "purpose": "review"}
    assert call(mq, CASEWORKER, "read_personal_data", read)["values"] == {
        "medical_cost_fen": 800_000
    }
    assert mq.count("aid", "PersonalDataRecorded") == 1

    call(mq, CASEWORKER, "erase_subject", {"subject_id": "P-3", "reason": "retention ended"})
    after = call(mq, CASEWORKER, "read_personal_data", read)
    assert (after["status"], after["values"]) == ("erased", {"medical_cost_fen": "[erased]"})
    erased = [e["subject_id"] for e in mq.data_of("aid", "SubjectErased")]
    assert erased == ["P-3", "P-3.claim.MC-1"]
    with pytest.raises(RemoteUnionError) as gone:
        call(mq, CASEWORKER, "file_mutual_aid_claim", {**claim, "claim_id": "MC-2"})
    assert gone.value.code == "SubjectErased"


def test_a_stage_revisited_is_recorded_and_each_verification_request_has_its_own_id(
    mq: World,
) -> None:
    mq.start_service("aid")
    call(
        mq,
        CASEWORKER,
        "request_legal_aid",
        {
            "case_id": "L-1",
            "person_id": "P-1",
            "union_id": "U-1",
            "matter": "欠薪",
            "knew_of_infringement_on": county_today().isoformat(),
        },
    )
    call(mq, LEADER, "decide_legal_aid", {"case_id": "L-1", "accept": True, "reason": "属实"})
    call(mq, CASEWORKER, "assign_legal_aid", {"case_id": "L-1", "assignee": "lawyer-1"})
    for stage, days_ago in (("mediation", 30), ("arbitration", 20), ("mediation", 5)):
        started = (county_today() - timedelta(days=days_ago)).isoformat()
        change = {"case_id": "L-1", "stage": stage, "started_on": started}
        view = call(mq, CASEWORKER, "change_legal_stage", change)
    assert (view["stage"], view["award_due_on"]) == ("mediation", None)
    assert [e["stage"] for e in mq.data_of("aid", "LegalAidStageChanged")] == [
        "mediation",
        "arbitration",
        "mediation",
    ]

    household = "H-" + "9" * 60  # ids may be 64 characters long
    call(
        mq,
        CASEWORKER,
        "submit_application",
        {
            "household_id": household,
            "applicant_id": "P-2",
            "union_id": "U-1",
            "member_ids": ["P-2"],
            "causes": ["illness"],
            "personal": {"name": "赵六", "id_number": "341522198501012222"},
        },
    )
    call(
        mq,
        LEADER,
        "review_application",
        {"household_id": household, "passed": True, "opinion": "属实"},
    )
    visit = {
        "household_id": household,
        "visitors": ["caseworker-1", "chair-7"],
        "visited_on": county_today().isoformat(),
        "findings": "已入户",
        "forms_signed": True,
        "personal": {"rigid_expenditure_yearly_fen": 0},
    }
    call(mq, CASEWORKER, "record_home_visit", visit)
    ref = {"household_id": household}
    first = call(mq, CASEWORKER, "request_income_verification", ref)["request_id"]
    body = {
        "request_id": first,
        "household_ref": household,
        "result": "incomplete",
        "household_size": 1,
        "per_capita_monthly_income_fen": 0,
        "completed_on": county_today().isoformat(),
    }
    publish(
        mq.broker,
        INBOUND_EXCHANGE,
        "civil.IncomeVerificationCompleted",
        json.dumps(body).encode(),
        content_type="application/json",
        message_id="civil-incomplete-1",
    )
    wait_for(
        "the incomplete answer",
        lambda: call(mq, CASEWORKER, "hardship_file", household)["status"] == "visited",
    )
    second = call(mq, CASEWORKER, "request_income_verification", ref)["request_id"]
    assert second != first and len(first) <= 64 and len(second) <= 64


def test_aid_will_not_start_with_a_new_key_once_the_vault_holds_keys(mq: World) -> None:
    aid = mq.start_service("aid")
    call(
        mq,
        CASEWORKER,
        "submit_application",
        {
            "household_id": "H-K",
            "applicant_id": "P-K",
            "union_id": "U-1",
            "member_ids": ["P-K"],
            "causes": ["illness"],
            "personal": {"name": "赵六", "id_number": "341522199201011234"},
        },
    )
    aid.stop()
    (mq.tmp / "vault.key").unlink()  # a volume that was not mounted, a lost file
    config = str(ROOT / "services" / "aid" / "config.yaml")
    again = mq._spawn(
        [NAMEKO, "run", "--config", config, "services.aid.service:Aid"],
        "aid-without-key",
        {"AMQP_URI": mq.broker.uri},
    )
    wait_for("aid to refuse to start", lambda: again.popen.poll() is not None, timeout=60)
    assert "master key file" in again.output()
    assert not (mq.tmp / "vault.key").exists()  # no new key was made


def _handled(mq: World, handler: str, count: int) -> bool:
    """The inbox rows of a handler: each message it finished, once."""
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM inbox WHERE handler = %s", (handler,)).fetchone()
    return row is not None and row[0] == count


def test_a_households_dibao_status_is_kept_in_the_vault_not_in_the_log(mq: World) -> None:
    """Domain §4.1: 低保 status is a household's financial situation."""
    mq.start_service("aid")

    def status(message_id: str, value: str, effective_on: str) -> None:
        body = {
            "household_ref": "H-D",
            "status": value,
            "effective_on": effective_on,
            "dibao_standard_fen": 78_000,
        }
        publish(
            mq.broker,
            INBOUND_EXCHANGE,
            "civil.SubsistenceAllowanceStatusChanged",
            json.dumps(body).encode(),
            content_type="application/json",
            message_id=message_id,
        )

    status("civil-d-2", "ceased", "2026-09-01")
    wait_for("the status", lambda: mq.count("aid", "SubsistenceAllowanceNoted") == 1)
    (noted,) = mq.data_of("aid", "SubsistenceAllowanceNoted")
    assert noted["status_ref"] == ["H-D/dibao_status@1"] and "status" not in noted
    # An older status delivered late changes neither the log nor the vault's current value.
    status("civil-d-1", "granted", "2026-01-01")

    def handled(message_id: str) -> bool:
        with psycopg.connect(mq.db("aid").admin_dsn) as conn:
            row = conn.execute("SELECT 1 FROM inbox WHERE message_id = %s", (message_id,))
            return row.fetchone() is not None

    wait_for("the late one handled", lambda: handled("civil-d-1"))
    read = {"subject_id": "H-D", "fields": ["dibao_status"], "purpose": "case review"}
    assert call(mq, CASEWORKER, "read_personal_data", read)["values"] == {"dibao_status": "ceased"}
    assert mq.count("aid", "SubsistenceAllowanceNoted") == 1
    with psycopg.connect(mq.db("aid").admin_dsn) as conn:
        log = conn.execute("SELECT string_agg(data::text, ' ') FROM events").fetchone()
    assert log is not None and "ceased" not in log[0] and "granted" not in log[0]
