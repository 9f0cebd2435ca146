"""competitions with funds and aid under nameko, on real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.nameko_ext import RemoteUnionError
from tests.kit import county_today
from tests.mq import World, wait_for

pytestmark = pytest.mark.integration

HONOURS = {"actor": "honours-1", "role": "organising_staff"}
REVIEWER = {"actor": "reviewer-1", "role": "leader"}
FINANCE = {"actor": "finance-1", "role": "finance_officer"}
TODAY = county_today()


def call(mq: World, who: dict[str, str], service: str, method: str, *args: Any) -> Any:
    with ClusterRpcProxy({"AMQP_URI": mq.broker.uri}, context_data=who) as proxy:
        return getattr(getattr(proxy, service), method)(*args)


def studio(mq: World, studio_id: str, leader: str, team: int) -> dict[str, Any]:
    call(
        mq,
        HONOURS,
        "competitions",
        "apply_studio",
        {
            "studio_id": studio_id,
            "kind": "model_worker_studio",
            "name": f"{studio_id} 劳模创新工作室",
            "unit_id": "91341522MA2T5K8X0Y",
            "leader_id": leader,
            "team_ids": [f"{studio_id}-T{i}" for i in range(team)],
            "level": "city",
            "applied_on": TODAY.isoformat(),
        },
    )
    call(mq, REVIEWER, "competitions", "review_studio", {"studio_id": studio_id, "opinion": "ok"})
    named: dict[str, Any] = call(
        mq,
        REVIEWER,
        "competitions",
        "name_studio",
        {"studio_id": studio_id, "on": TODAY.isoformat()},
    )
    return named


def subsidy(mq: World, studio_id: str) -> str:
    state: str = call(mq, HONOURS, "competitions", "studio", studio_id)["subsidy"]
    return state


def test_a_studio_subsidy_is_reserved_or_left_pending_and_a_hardship_flag_opens_aid(
    mq: World,
) -> None:
    mq.start_service("funds")
    mq.start_service("competitions")
    mq.start_service("aid")
    call(
        mq,
        FINANCE,
        "funds",
        "allocate",
        {
            "appropriation_id": f"{TODAY.year}-studios",
            "fiscal_year": TODAY.year,
            "line": "innovation_studios",
            "name": "创新工作室补助",
            "source": "union_funds",
            "amount_fen": 5_000_000,
            "basis": "county union budget",
        },
    )
    worker = {"person_id": "P-L", "title": "六安市劳动模范", "level": "city", "year": 2024}
    call(mq, HONOURS, "competitions", "register_model_worker", worker)

    assert studio(mq, "S-0", "P-nobody", 5)["status"] == "refused"  # not a model worker
    assert studio(mq, "S-small", "P-L", 4)["status"] == "refused"  # a team of at least 5
    named = studio(mq, "S-1", "P-L", 5)
    assert (named["status"], named["subsidy_fen"]) == ("named", 5_000_000)  # 50,000 yuan
    wait_for("the subsidy reserved", lambda: subsidy(mq, "S-1") == "reserved")
    (reserved,) = mq.data_of("funds", "FundsReserved")
    assert reserved["reservation_id"] == "competitions:studio:S-1.1"

    studio(mq, "S-2", "P-L", 6)  # the line is now spent
    wait_for("the subsidy pending", lambda: subsidy(mq, "S-2") == "refused")
    assert call(mq, HONOURS, "competitions", "studio", "S-2")["status"] == "named"
    with pytest.raises(RemoteUnionError) as unpaid:
        call(mq, FINANCE, "competitions", "pay_subsidy", {"studio_id": "S-2", "voucher_ref": "B-2"})
    assert unpaid.value.code == "InvalidTransition"

    call(mq, FINANCE, "competitions", "pay_subsidy", {"studio_id": "S-1", "voucher_ref": "B-1"})
    wait_for("the expenditure", lambda: mq.count("funds", "ExpenditureRecorded") == 1)

    flag = {
        "person_id": "P-L",
        "flag_id": "F-1",
        "fiscal_year": TODAY.year,
        "amount_fen": 300_000,
        "reason": "low_income",
    }
    call(mq, HONOURS, "competitions", "flag_model_worker_hardship", flag)
    wait_for("aid's case", lambda: mq.count("aid", "AidRequested") == 1)
    case = call(
        mq, {"actor": "caseworker-1", "role": "caseworker"}, "aid", "assistance_case", "MW-F-1"
    )
    assert (case["programme"], case["person_id"], case["amount_fen"]) == (
        "model_worker",
        "P-L",
        300_000,
    )


def test_a_second_most_beautiful_selection_in_one_cycle_is_refused(mq: World) -> None:
    mq.start_service("competitions")
    plan = {
        "selection_id": "MB-2026",
        "kind": "most_beautiful",
        "level": "county",
        "year": 2026,
        "quota": 10,
        "planned_on": "2026-03-01",
    }
    call(mq, HONOURS, "competitions", "plan_selection", plan)
    with pytest.raises(RemoteUnionError) as again:
        call(
            mq,
            HONOURS,
            "competitions",
            "plan_selection",
            {**plan, "selection_id": "MB-2027", "year": 2027},
        )
    assert again.value.code == "SelectionCycleTaken"  # 2026-2027 is one cycle (notice 五)
    nxt = {**plan, "selection_id": "MB-2028", "year": 2028, "planned_on": "2028-03-01"}
    assert call(mq, HONOURS, "competitions", "plan_selection", nxt)["status"] == "planned"
