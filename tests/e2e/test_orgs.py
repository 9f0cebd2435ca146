"""orgs and funds under nameko, on real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.orgs.events import EVENTS as ORGS_EVENTS
from services.orgs.events import UnionDissolved
from shared.broker import INBOUND_EXCHANGE
from shared.nameko_ext import RemoteUnionError
from shared.store import ANY_VERSION
from tests.kit import county_today
from tests.mq import World, publish, wait_for

pytestmark = pytest.mark.integration

ORGANISER = {"actor": "organiser-1", "role": "organising_staff"}
CHAIR = {"actor": "chair-1", "role": "grassroots_chair"}
FINANCE = {"actor": "finance-1", "role": "finance_officer"}
SCHOOL = "12341522MB1234567X"
FIRM = "91341522MA2T5K8X0Y"
FIRM_REGISTERED = {
    "employer_id": FIRM,
    "name": "霍邱某物流有限公司",
    "kind": "non_public_enterprise",
    "started_on": "2025-01-01",
    "employees": 40,
    "division_code": "341522",
}


def call(mq: World, who: dict[str, str], service: str, method: str, *args: Any) -> Any:
    with ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=who) as proxy:
        return getattr(getattr(proxy, service), method)(*args)


def inbound(mq: World, kind: str, body: dict[str, Any], message_id: str) -> None:
    publish(
        mq.broker,
        INBOUND_EXCHANGE,
        kind,
        json.dumps(body).encode(),
        content_type="application/json",
        message_id=message_id,
    )


def found(mq: World, union_id: str, employer: str, members: int, committee: int) -> None:
    call(
        mq,
        ORGANISER,
        "orgs",
        "approve_preparatory_committee",
        {
            "union_id": union_id,
            "name": f"{union_id} 工会",
            "kind": "enterprise",
            "parent_id": "county",
            "employer_ids": [employer],
            "approved_on": "2026-09-01",
        },
    )
    call(
        mq,
        ORGANISER,
        "orgs",
        "found_union",
        {
            "union_id": union_id,
            "on": "2026-10-01",
            "member_count": members,
            "committee_size": committee,
            "term_years": 5,
        },
    )


def test_founding_a_union_refunds_the_fund_and_the_education_sector_reaches_funds(
    mq: World,
) -> None:
    mq.start_service("funds")
    mq.start_service("orgs")
    inbound(mq, "hrss.EmployerRegistered", FIRM_REGISTERED, "reg-1")
    inbound(mq, "hrss.EmployerRegistered", FIRM_REGISTERED, "reg-2")  # 人社 sent it twice
    collected = {
        "employer_id": FIRM,
        "period": "2026-08",
        "kind": "preparatory_fund",
        "payroll_base_fen": 100_000_000,
        "amount_fen": 2_000_000,
        "collected_on": "2026-09-15",
        "tax_voucher_no": "T-1",
    }
    inbound(mq, "tax.DuesCollected", collected, "tax-1")
    wait_for("the target", lambda: mq.count("orgs", "OrganizingTargetIdentified") == 1)
    wait_for("the 筹备金", lambda: mq.count("funds", "PreparatoryFundCollected") == 1)
    assert mq.count("orgs", "EmployerRegistered") == 1

    with pytest.raises(RemoteUnionError) as chair:
        call(
            mq,
            CHAIR,
            "orgs",
            "approve_preparatory_committee",
            {
                "union_id": "U-9",
                "name": "x",
                "kind": "enterprise",
                "parent_id": "county",
                "employer_ids": [FIRM],
                "approved_on": "2026-09-01",
            },
        )
    assert chair.value.code == "ApprovalRequired"  # the higher-level union approves
    with pytest.raises(RemoteUnionError) as even:
        found(mq, "U-1", FIRM, 40, 4)
    assert even.value.code == "CommitteeSizeInvalid"  # odd, and 3 to 5 for 26-100 members
    call(
        mq,
        ORGANISER,
        "orgs",
        "found_union",
        {
            "union_id": "U-1",
            "on": "2026-10-01",
            "member_count": 40,
            "committee_size": 5,
            "term_years": 5,
        },
    )
    wait_for("the refund", lambda: mq.count("funds", "PreparatoryFundRefundIssued") == 1)
    (refund,) = mq.data_of("funds", "PreparatoryFundRefundIssued")
    assert (refund["union_id"], refund["amount_fen"]) == ("U-1", 1_200_000)  # 60 %
    coverage = call(mq, ORGANISER, "orgs", "coverage")
    assert coverage["by_kind"]["non_public_enterprise"] == {"with_union": 1, "without": 0}
    assert coverage["open_targets"] == []

    found(mq, "U-2", SCHOOL, 120, 7)
    budget = {"employer_id": SCHOOL, "fiscal_year": 2026, "budgeted_fen": 1_000_000}
    with pytest.raises(RemoteUnionError) as general:
        call(mq, FINANCE, "funds", "declare_school_budget", budget)
    assert general.value.code == "NotEducationSector"
    call(mq, ORGANISER, "orgs", "assign_sector", {"union_id": "U-2", "sector": "education"})
    wait_for("funds knows the sector", lambda: mq.count("funds", "DuesSectorAssigned") == 1)
    answer = call(mq, FINANCE, "funds", "declare_school_budget", budget)
    assert answer["education_transfers"]["2026"]["amount_fen"] == 400_000  # notice 十一: 40 %

    meeting = {
        "meeting_id": "JM-2026",
        "held_on": "2026-03-20",
        "chaired_by": "县长",
        "attendees": ["县总工会", "县财政局", "县人社局"],
    }
    call(mq, ORGANISER, "orgs", "hold_joint_meeting", meeting)
    impact = {"fiscal_year": 2026, "line": "warmth", "amount_fen": 60_000_000, "name": "送温暖"}
    decision = {
        "meeting_id": "JM-2026",
        "decision_id": "JM-2026-1",
        "summary": "县财政安排送温暖资金60万元",
        "owner": "县财政局",
        "due_on": "2026-06-30",
        "budget_impact": impact,
    }
    call(mq, ORGANISER, "orgs", "record_joint_decision", decision)
    wait_for("the line in funds", lambda: mq.count("funds", "BudgetLineAllocated") == 1)
    (line,) = mq.data_of("funds", "BudgetLineAllocated")
    assert (line["line"], line["amount_fen"], line["grant_id"]) == (
        "warmth",
        60_000_000,
        "JM-JM-2026-1",
    )

    # Merged into U-2, the firm is U-2's; merging into a union that does not exist is refused.
    merger = {"union_id": "U-1", "reason": "employer_merged", "on": "2026-11-01"}
    with pytest.raises(RemoteUnionError) as nowhere:
        call(mq, ORGANISER, "orgs", "end_union", {**merger, "into_union_id": "U-404"})
    assert nowhere.value.code == "InvalidTransition"
    merged = call(mq, ORGANISER, "orgs", "end_union", {**merger, "into_union_id": "U-2"})
    assert merged["status"] == "merged"
    u2 = call(mq, ORGANISER, "orgs", "union", "U-2")
    assert (u2["employer_ids"], u2["employers_now"]) == ([SCHOOL], [SCHOOL, FIRM])
    tree = {u["union_id"]: u for u in call(mq, ORGANISER, "orgs", "union_tree")}
    assert (tree["U-1"]["employer_ids"], tree["U-1"]["employers_now"]) == ([FIRM], [])
    coverage = call(mq, ORGANISER, "orgs", "coverage")
    assert coverage["by_kind"]["non_public_enterprise"] == {"with_union": 1, "without": 0}
    # U-2 dissolved: the firm it took over has no union again, and is a target again.
    ending = {"union_id": "U-2", "reason": "reorganised_by_higher_union", "on": "2026-11-02"}
    assert call(mq, ORGANISER, "orgs", "end_union", ending)["status"] == "dissolved"
    coverage = call(mq, ORGANISER, "orgs", "coverage")
    assert coverage["by_kind"]["non_public_enterprise"] == {"with_union": 0, "without": 1}
    assert coverage["open_targets"] == [FIRM]
    ended = {e["union_id"] for e in mq.data_of("orgs", "EmployerUnionEnded")}
    assert ended == {"U-2"} and mq.count("orgs", "EmployerUnionEnded") == 2  # firm and school
    # funds' dues accounts follow the same way: the firm's 60 % refund went with it to U-2.
    wait_for("funds follows", lambda: mq.count("funds", "DuesAccountUnionEnded") == 2)
    assert mq.count("funds", "DuesAccountUnionChanged") == 1
    firm = call(mq, FINANCE, "funds", "dues_reconciliation", FIRM)
    assert (firm["mode"], firm["union_id"]) == ("preparatory_fund", None)
    assert [(u["change"], u["union_id"]) for u in firm["unions"]] == [
        ("founded", "U-1"),
        ("merged", "U-2"),
        ("dissolved", "U-2"),
    ]
    assert firm["sector"] == "education"  # merged into the school's union, it took its sector
    # What was held for the dissolved union is the county's to dispose of (工会法).
    assert (firm["unions"][-1]["held_fen"], firm["owed_down_fen"]) == (1_200_000, 0)


def test_employers_of_a_union_that_ended_without_them_follow_at_the_daily_review(
    mq: World,
) -> None:
    """A union ended before its employers followed endings: the daily review moves them."""
    mq.start_service("orgs")
    inbound(mq, "hrss.EmployerRegistered", FIRM_REGISTERED, "reg-1")
    wait_for("the employer", lambda: mq.count("orgs", "EmployerRegistered") == 1)
    found(mq, "U-5", FIRM, 40, 5)
    # As the union's ending was recorded before: on its stream only.
    gone = UnionDissolved("U-5", "employer_closed", "organiser-1", date(2026, 10, 20))
    with mq.store("orgs", ORGS_EVENTS) as orgs:
        orgs.append("Union-U-5", [ORGS_EVENTS.new_event(gone)], ANY_VERSION, {"actor": "old"})
    assert call(mq, ORGANISER, "orgs", "coverage")["by_kind"]["non_public_enterprise"] == {
        "with_union": 1,
        "without": 0,
    }
    assert call(mq, ORGANISER, "orgs", "run_deadlines")["handed_over"] == 1
    coverage = call(mq, ORGANISER, "orgs", "coverage")
    assert coverage["by_kind"]["non_public_enterprise"] == {"with_union": 0, "without": 1}
    (ended,) = mq.data_of("orgs", "EmployerUnionEnded")
    assert (ended["union_id"], ended["on"]) == ("U-5", "2026-10-20")
    assert call(mq, ORGANISER, "orgs", "run_deadlines")["handed_over"] == 0  # once


def test_a_contract_filed_without_objection_takes_effect_after_fifteen_days(mq: World) -> None:
    orgs = mq.start_service("orgs")
    found(mq, "U-3", FIRM, 60, 5)
    delegates = [{"person_id": f"D{i}", "is_manager": i < 6} for i in range(40)]
    call(
        mq,
        ORGANISER,
        "orgs",
        "establish_congress",
        {
            "congress_id": "K-1",
            "kind": "enterprise",
            "unit_id": FIRM,
            "union_id": "U-3",
            "term_years": 3,
            "established_on": "2026-01-10",
        },
    )
    elect = {"congress_id": "K-1", "term_no": 1, "elected_on": "2026-01-20", "delegates": delegates}
    call(mq, ORGANISER, "orgs", "elect_delegates", elect)
    today = county_today()  # the service's days are the county's, not the machine's
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "propose_negotiation",
            {
                "contract_id": "CC-1",
                "kind": "comprehensive",
                "union_id": "U-3",
                "employer_ids": [FIRM],
                "proposed_by": "union",
                "proposed_on": (today - timedelta(days=40)).isoformat(),
            },
        ),
        (
            "respond_negotiation",
            {"contract_id": "CC-1", "on": (today - timedelta(days=30)).isoformat()},
        ),
        (
            "appoint_negotiators",
            {
                "contract_id": "CC-1",
                "union_side": ["A1", "A2", "A3"],
                "employer_side": ["B1", "B2", "B3"],
                "union_chief": "A1",
                "employer_chief": "B1",
            },
        ),
        (
            "hold_negotiation_round",
            {"contract_id": "CC-1", "held_on": today.isoformat(), "summary": "工资"},
        ),
        (
            "agree_draft",
            {
                "contract_id": "CC-1",
                "agreed_on": today.isoformat(),
                "term_years": 3,
                "summary": "草案",
            },
        ),
    ]
    for method, payload in steps:
        call(mq, CHAIR, "orgs", method, payload)
    vote = {"contract_id": "CC-1", "congress_id": "K-1", "voted_on": today.isoformat()}
    _congress(mq, "K-9", "U-9")  # another union's congress may not adopt U-3's contract
    with pytest.raises(RemoteUnionError) as wrong:
        call(
            mq,
            CHAIR,
            "orgs",
            "record_congress_vote",
            {**vote, "congress_id": "K-9", "present": 30, "yes": 30, "no": 0, "abstain": 0},
        )
    assert wrong.value.code == "WrongCongress"
    # 26 of 40 present is short of two thirds; 30 present, 20 yes is not more than half of 40.
    assert (
        call(
            mq,
            CHAIR,
            "orgs",
            "record_congress_vote",
            {**vote, "present": 26, "yes": 26, "no": 0, "abstain": 0},
        )["status"]
        == "negotiating"
    )
    for method, payload in steps[3:]:
        call(mq, CHAIR, "orgs", method, payload)
    rejected = call(
        mq,
        CHAIR,
        "orgs",
        "record_congress_vote",
        {**vote, "present": 30, "yes": 20, "no": 10, "abstain": 0},
    )
    assert rejected["status"] == "negotiating"
    for method, payload in steps[3:]:
        call(mq, CHAIR, "orgs", method, payload)
    adopted = call(
        mq,
        CHAIR,
        "orgs",
        "record_congress_vote",
        {**vote, "present": 30, "yes": 21, "no": 9, "abstain": 0},
    )
    assert adopted["status"] == "adopted"
    reasons = [r["reason"] for r in mq.data_of("orgs", "DraftRejectedByCongress")]
    assert reasons == ["NoQuorum", "NotMajorityOfAll"]
    call(mq, CHAIR, "orgs", "sign_contract", {"contract_id": "CC-1", "on": today.isoformat()})
    filed = call(
        mq, CHAIR, "orgs", "file_contract", {"contract_id": "CC-1", "on": today.isoformat()}
    )
    assert filed["review_ends_on"] == (today + timedelta(days=15)).isoformat()

    orgs.stop()  # fifteen days on: no objection from 人社
    later = datetime.now(UTC) + timedelta(days=15)
    orgs = mq.start_service("orgs", UNION_CLOCK_START=later.isoformat())
    call(mq, ORGANISER, "orgs", "run_deadlines")
    assert call(mq, CHAIR, "orgs", "collective_contract", "CC-1")["status"] == "under_review"
    orgs.stop()
    mq.start_service("orgs", UNION_CLOCK_START=(later + timedelta(days=1)).isoformat())
    assert call(mq, ORGANISER, "orgs", "run_deadlines")["contracts"] == 1
    contract = call(mq, CHAIR, "orgs", "collective_contract", "CC-1")
    assert (contract["status"], contract["effective_on"]) == (
        "effective",
        (today + timedelta(days=16)).isoformat(),
    )
    (took,) = mq.data_of("orgs", "ContractTookEffect")
    assert took["basis"] == "no objection"

    # 人社's objection, dated on the last review day, arrives after the timer acted: the
    # contract never lawfully took effect. One dated later would only be noted.
    review = {"contract_id": "CC-1", "employer_id": FIRM, "opinion": "objections"}
    last_day = (today + timedelta(days=15)).isoformat()
    inbound(
        mq,
        "hrss.CollectiveContractReviewed",
        {**review, "objections": ["工时条款"], "reviewed_on": last_day},
        "rv-late",
    )
    wait_for("the withdrawal", lambda: mq.count("orgs", "ContractEffectWithdrawn") == 1)
    contract = call(mq, CHAIR, "orgs", "collective_contract", "CC-1")
    assert (contract["status"], contract["effective_on"]) == ("negotiating", None)
    assert mq.count("orgs", "ReviewObjectionRaised") == 1


def _congress(mq: World, congress_id: str, union_id: str) -> None:
    call(
        mq,
        ORGANISER,
        "orgs",
        "establish_congress",
        {
            "congress_id": congress_id,
            "kind": "enterprise",
            "unit_id": FIRM,
            "union_id": union_id,
            "term_years": 3,
            "established_on": "2026-01-10",
        },
    )
    delegates = [{"person_id": f"D{i}", "is_manager": False} for i in range(30)]
    elect = {"congress_id": congress_id, "term_no": 1, "elected_on": "2026-01-20"}
    call(mq, ORGANISER, "orgs", "elect_delegates", {**elect, "delegates": delegates})


def _to_adoption(mq: World, contract_id: str, congress_id: str, on: str) -> dict[str, Any]:
    call(
        mq,
        CHAIR,
        "orgs",
        "hold_negotiation_round",
        {"contract_id": contract_id, "held_on": on, "summary": "工资"},
    )
    draft = {"contract_id": contract_id, "agreed_on": on, "term_years": 1, "summary": "草案"}
    call(mq, CHAIR, "orgs", "agree_draft", draft)
    vote = {"contract_id": contract_id, "congress_id": congress_id, "voted_on": on}
    votes = {"present": 30, "yes": 25, "no": 5, "abstain": 0}
    adopted: dict[str, Any] = call(mq, CHAIR, "orgs", "record_congress_vote", {**vote, **votes})
    return adopted


def _open_contract(mq: World, contract_id: str, on: str) -> None:
    proposal = {
        "contract_id": contract_id,
        "kind": "safety",
        "union_id": "U-5",
        "employer_ids": [FIRM],
        "proposed_by": "union",
        "proposed_on": on,
    }
    assert call(mq, CHAIR, "orgs", "propose_negotiation", proposal)["status"] == "proposed"
    responded = call(
        mq, CHAIR, "orgs", "respond_negotiation", {"contract_id": contract_id, "on": on}
    )
    assert responded["status"] == "responded"
    sides = {
        "contract_id": contract_id,
        "union_side": ["A1", "A2", "A3"],
        "employer_side": ["B1", "B2", "B3"],
        "union_chief": "A1",
        "employer_chief": "B1",
    }
    assert call(mq, CHAIR, "orgs", "appoint_negotiators", sides)["status"] == "negotiating"


def test_the_same_step_taken_again_later_is_recorded_not_dropped_as_a_retry(mq: World) -> None:
    """A command id names one call: the next signing, leaving or enrolment is a new command."""
    orgs = mq.start_service("orgs")
    found(mq, "U-5", FIRM, 60, 5)
    today = county_today()
    day = today.isoformat()

    # A contract sent back by 人社's objections is renegotiated, signed and filed again.
    _congress(mq, "K-5", "U-5")
    _open_contract(mq, "CC-5", day)
    assert _to_adoption(mq, "CC-5", "K-5", day)["status"] == "adopted"
    assert (
        call(mq, CHAIR, "orgs", "sign_contract", {"contract_id": "CC-5", "on": day})["status"]
        == "signed"
    )
    call(mq, CHAIR, "orgs", "file_contract", {"contract_id": "CC-5", "on": day})
    review = {"contract_id": "CC-5", "employer_id": FIRM, "reviewed_on": day}
    inbound(
        mq,
        "hrss.CollectiveContractReviewed",
        {**review, "opinion": "objections", "objections": ["工时"]},
        "rv-1",
    )
    wait_for("the objection", lambda: mq.count("orgs", "ReviewObjectionRaised") == 1)
    assert _to_adoption(mq, "CC-5", "K-5", day)["status"] == "adopted"
    signed = call(mq, CHAIR, "orgs", "sign_contract", {"contract_id": "CC-5", "on": day})
    assert signed["status"] == "signed"
    assert mq.count("orgs", "ContractSigned") == 2
    call(mq, CHAIR, "orgs", "file_contract", {"contract_id": "CC-5", "on": day})
    inbound(mq, "hrss.CollectiveContractReviewed", {**review, "opinion": "approved"}, "rv-2")
    wait_for("in force", lambda: mq.count("orgs", "ContractTookEffect") == 1)
    published = {"contract_id": "CC-5", "published_on": day, "channel": "notice_board"}
    assert call(mq, CHAIR, "orgs", "publish_contract", published)["status"] == "published"

    # The contract expires after its year; the next one is negotiated on the same stream.
    orgs.stop()
    later = datetime.now(UTC) + timedelta(days=400)
    orgs = mq.start_service("orgs", UNION_CLOCK_START=later.isoformat())
    call(mq, ORGANISER, "orgs", "run_deadlines")
    assert call(mq, CHAIR, "orgs", "collective_contract", "CC-5")["status"] == "expired"
    _open_contract(mq, "CC-5", (today + timedelta(days=400)).isoformat())

    # A member who left, joined again and left again.
    def apply(on: str) -> None:
        application = {
            "person_id": "P-5",
            "union_id": "U-5",
            "applied_on": on,
            "personal": {"name": "张三"},
        }
        call(mq, CHAIR, "orgs", "apply_membership", application)

    leave = {"person_id": "P-5", "how": "withdrawn", "on": day, "reason": "换工作"}
    apply(day)
    call(
        mq,
        CHAIR,
        "orgs",
        "admit_member",
        {"person_id": "P-5", "member_no": "M-5", "on": "2026-10-02"},
    )
    call(mq, CHAIR, "orgs", "issue_card", {"person_id": "P-5", "card_id": "C-5", "on": day})
    assert call(mq, CHAIR, "orgs", "leave_union", leave)["status"] == "withdrawn"
    apply(day)
    again = {"person_id": "P-5", "member_no": "M-5", "on": "2026-12-01"}
    assert call(mq, CHAIR, "orgs", "admit_member", again)["status"] == "active"
    card = call(mq, CHAIR, "orgs", "issue_card", {"person_id": "P-5", "card_id": "C-5", "on": day})
    assert card["card_status"] == "issued"
    (row,) = call(mq, ORGANISER, "orgs", "member_export", "U-5")
    assert (row["member_no"], row["admitted_on"]) == ("M-5", "2026-12-01")
    assert call(mq, CHAIR, "orgs", "leave_union", leave)["status"] == "withdrawn"
    assert mq.count("orgs", "MemberWithdrawn") == 2  # aid hears of both

    # A sector assigned, changed and changed back reaches funds each time (F14).
    for sector in ("education", "general", "education"):
        union = call(mq, ORGANISER, "orgs", "assign_sector", {"union_id": "U-5", "sector": sector})
        assert union["sector"] == sector
    assert mq.count("orgs", "UnionSectorAssigned") == 3

    # A merchant withdrawn from the programme enrols again.
    programme = {"programme_id": "B-5", "union_id": "U-5", "name": "会员卡普惠", "launched_on": day}
    call(mq, ORGANISER, "orgs", "launch_benefit_programme", programme)
    merchant = {
        "programme_id": "B-5",
        "merchant_id": "S-1",
        "name": "超市",
        "category": "retail",
        "enrolled_on": day,
    }
    withdrawal = {
        "programme_id": "B-5",
        "merchant_id": "S-1",
        "reason": "停业",
        "withdrawn_on": day,
    }
    for _ in range(2):
        assert call(mq, ORGANISER, "orgs", "enrol_merchant", merchant)["merchants"] == ["S-1"]
        assert call(mq, ORGANISER, "orgs", "withdraw_merchant", withdrawal)["merchants"] == []


def test_a_session_without_quorum_does_not_keep_the_yearly_congress_rule(mq: World) -> None:
    """企业民主管理规定: at least one session a year, and one without quorum decided nothing."""
    mq.start_service("orgs")
    found(mq, "U-6", FIRM, 60, 5)
    _congress(mq, "K-6", "U-6")  # established in 2026, 30 delegates
    session = {"congress_id": "K-6", "held_on": "2026-03-01"}
    few = [f"D{i}" for i in range(19)]  # 19 of 30 is short of two thirds
    call(
        mq, CHAIR, "orgs", "hold_congress_session", {**session, "session_id": "S1", "present": few}
    )
    # The same session again records nothing; other attendance under its id is refused.
    call(
        mq, CHAIR, "orgs", "hold_congress_session", {**session, "session_id": "S1", "present": few}
    )
    assert mq.count("orgs", "CongressSessionHeld") == 1
    with pytest.raises(RemoteUnionError) as clash:
        other = {**session, "session_id": "S1", "present": few[1:]}
        call(mq, CHAIR, "orgs", "hold_congress_session", other)
    assert clash.value.code == "AlreadyRecorded"
    missing = call(mq, ORGANISER, "orgs", "congress_compliance", 2026)
    assert [c["congress_id"] for c in missing] == ["K-6"]
    assert call(mq, ORGANISER, "orgs", "congress_compliance", 2025) == []  # not yet established
    enough = [f"D{i}" for i in range(20)]
    call(
        mq,
        CHAIR,
        "orgs",
        "hold_congress_session",
        {**session, "session_id": "S2", "present": enough},
    )
    assert call(mq, ORGANISER, "orgs", "congress_compliance", 2026) == []
