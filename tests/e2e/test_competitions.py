"""competitions with funds and aid under nameko, on real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import worker_factory

from services.competitions import service as competitions
from services.competitions.domain import SAFETY, safety_stream
from services.competitions.events import EVENTS
from shared.config import DatabaseConfig
from shared.db import open_pool
from shared.decider import load as load_stream
from shared.envelope import Envelope
from shared.nameko_ext import CallContext, RemoteUnionError, ServiceStore, SettableClock
from shared.store import EventStore
from tests.kit import county_today
from tests.mq import World, wait_for

pytestmark = pytest.mark.integration

HONOURS = {"actor": "honours-1", "role": "organising_staff"}
REVIEWER = {"actor": "reviewer-1", "role": "leader"}
FINANCE = {"actor": "finance-1", "role": "finance_officer"}
CHAIR = {"actor": "chair-1", "role": "grassroots_chair"}
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


def test_two_titles_of_one_year_are_both_registered_and_a_studio_named_again_can_be_revoked_again(
    mq: World,
) -> None:
    mq.start_service("competitions")
    worker = {"person_id": "P-T", "title": "六安市劳动模范", "level": "city", "year": 2024}
    call(mq, HONOURS, "competitions", "register_model_worker", worker)
    medal = {**worker, "title": "六安市五一劳动奖章"}  # the same level and year, another title
    titles = call(mq, HONOURS, "competitions", "register_model_worker", medal)["titles"]
    assert [t["title"] for t in titles] == ["六安市劳动模范", "六安市五一劳动奖章"]
    assert mq.count("competitions", "ModelWorkerRegistered") == 2  # aid hears of both (F8)

    assert studio(mq, "S-R", "P-T", 5)["status"] == "named"
    revoke = {"studio_id": "S-R", "reason": "停止运行", "on": TODAY.isoformat()}
    assert call(mq, REVIEWER, "competitions", "revoke_studio", revoke)["status"] == "revoked"
    assert studio(mq, "S-R", "P-T", 5)["status"] == "named"  # applied again after revocation
    again = {**revoke, "reason": "再次停止运行"}
    assert call(mq, REVIEWER, "competitions", "revoke_studio", again)["status"] == "revoked"
    assert mq.count("competitions", "StudioRevoked") == 2
    # Each life's pending subsidy request is given back (flow F9).
    released = [r["request_id"] for r in mq.data_of("competitions", "FundsReleaseRequested")]
    assert released == ["studio:S-R.1", "studio:S-R.2"]


def test_a_resolution_for_a_nominee_of_a_cancelled_selection_still_endorses_the_open_one(
    mq: World,
) -> None:
    mq.start_service("orgs")
    mq.start_service("competitions")
    unit = "91341522MA2T5K8X0Y"
    plan = {
        "selection_id": "MW-A",
        "kind": "model_worker",
        "level": "county",
        "year": 2026,
        "quota": 1,
        "planned_on": "2026-01-05",
    }
    nominee = {"selection_id": "MW-A", "nominee_id": "P-N", "unit_id": unit}
    call(mq, HONOURS, "competitions", "plan_selection", plan)
    call(
        mq,
        HONOURS,
        "competitions",
        "open_nominations",
        {"selection_id": "MW-A", "on": "2026-01-06"},
    )
    call(mq, HONOURS, "competitions", "nominate", nominee)
    cancel = {"selection_id": "MW-A", "reason": "重新组织"}
    call(mq, HONOURS, "competitions", "cancel_selection", cancel)
    call(mq, HONOURS, "competitions", "plan_selection", {**plan, "selection_id": "MW-B"})
    call(
        mq,
        HONOURS,
        "competitions",
        "open_nominations",
        {"selection_id": "MW-B", "on": "2026-01-06"},
    )
    pending = call(mq, HONOURS, "competitions", "nominate", {**nominee, "selection_id": "MW-B"})
    assert pending["nominations"] == {"P-N": "pending"}  # F11: no congress has adopted it

    congress = {
        "congress_id": "K-N",
        "kind": "enterprise",
        "unit_id": unit,
        "union_id": "U-N",
        "term_years": 3,
        "established_on": "2026-01-01",
    }
    call(mq, HONOURS, "orgs", "establish_congress", congress)
    delegates = [{"person_id": f"D{i}", "is_manager": False} for i in range(30)]
    elect = {"congress_id": "K-N", "term_no": 1, "elected_on": "2026-01-02", "delegates": delegates}
    call(mq, HONOURS, "orgs", "elect_delegates", elect)
    session = {"congress_id": "K-N", "session_id": "S1", "held_on": "2026-01-10"}
    call(
        mq,
        CHAIR,
        "orgs",
        "hold_congress_session",
        {**session, "present": [f"D{i}" for i in range(30)]},
    )
    vote = {
        "congress_id": "K-N",
        "session_id": "S1",
        "item_id": "I-1",
        "title": "推荐P-N为县劳动模范候选人",
        "yes": 28,
        "no": 1,
        "abstain": 1,
        "subject_ref": "P-N",
    }
    call(mq, CHAIR, "orgs", "vote_resolution", vote)
    # The cancelled selection, which named the nominee too, does not refuse the resolution.
    wait_for(
        "the nomination endorsed",
        lambda: (
            call(mq, HONOURS, "competitions", "selection", "MW-B")["nominations"]
            == {"P-N": "eligible"}
        ),
    )
    assert call(mq, HONOURS, "competitions", "selection", "MW-A")["status"] == "cancelled"


def test_a_resolution_noted_while_the_nomination_is_recorded_still_endorses_it(
    db_config: DatabaseConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F11 in the interleaving no broker timing reproduces reliably: orgs' resolution is
    noted after ``nominate`` read the endorsements and before it appended the nomination."""
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    store = ServiceStore(EventStore(pool, EVENTS), "competitions")
    clock = SettableClock(None)

    def worker(actor: str) -> Any:
        context = CallContext(actor=actor, call_id=uuid.uuid4().hex)
        return worker_factory(competitions.Competitions, store=store, context=context, clock=clock)

    adopted = Envelope(
        str(uuid.uuid4()),
        "ResolutionAdopted",
        1,
        "orgs",
        "Congress-K",
        1,
        1,
        datetime.now(UTC),
        None,
        None,
        "chair-1",
        {"congress_id": "K", "unit_id": "U", "item_id": "I-1", "subject_ref": "P-N"},
        "0" * 64,
    )

    def resolution_meanwhile(*args: Any) -> Any:
        loaded = load_stream(*args)
        if args[2] == "Endorsement-P-N" and not loaded.state.by:
            worker("system:competitions").on_resolution_adopted(adopted)  # commits on its own
        return loaded

    try:
        plan = {
            "selection_id": "MW-R",
            "kind": "model_worker",
            "level": "county",
            "year": 2026,
            "quota": 1,
            "planned_on": "2026-01-05",
        }
        worker("honours-1").plan_selection(plan)
        worker("honours-1").open_nominations({"selection_id": "MW-R", "on": "2026-01-06"})
        monkeypatch.setattr(f"{competitions.__name__}.load_stream", resolution_meanwhile)
        nominee = {"selection_id": "MW-R", "nominee_id": "P-N", "unit_id": "U"}
        assert worker("honours-1").nominate(nominee)["nominations"] == {"P-N": "eligible"}
    finally:
        pool.close()


def test_only_the_nominating_units_congress_endorses_a_nomination(
    db_config: DatabaseConfig,
) -> None:
    """F11: a resolution naming the nominee, adopted by another unit's congress, is noted
    but does not make the nomination eligible, before or after the nomination."""
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    store = ServiceStore(EventStore(pool, EVENTS), "competitions")

    def worker(actor: str) -> Any:
        context = CallContext(actor=actor, call_id=uuid.uuid4().hex)
        return worker_factory(
            competitions.Competitions, store=store, context=context, clock=SettableClock(None)
        )

    def resolution(congress: str, unit: str) -> Envelope:
        data = {"congress_id": congress, "unit_id": unit, "item_id": "I-1", "subject_ref": "P-N"}
        stream = f"Congress-{congress}"
        now = datetime.now(UTC)
        return Envelope(
            str(uuid.uuid4()), "ResolutionAdopted", 1, "orgs", stream, 1, 1, now,
            None, None, "chair-1", data, "0" * 64,
        )  # fmt: skip

    try:
        plan = {
            "selection_id": "MW-U",
            "kind": "model_worker",
            "level": "county",
            "year": 2026,
            "quota": 1,
            "planned_on": "2026-01-05",
        }
        worker("honours-1").plan_selection(plan)
        worker("honours-1").open_nominations({"selection_id": "MW-U", "on": "2026-01-06"})
        worker("system:competitions").on_resolution_adopted(resolution("K-OTHER", "OTHER"))
        nominee = {"selection_id": "MW-U", "nominee_id": "P-N", "unit_id": "U"}
        assert worker("honours-1").nominate(nominee)["nominations"] == {"P-N": "pending"}
        worker("system:competitions").on_resolution_adopted(resolution("K-ELSE", "ELSE"))
        view = worker("honours-1").selection("MW-U")
        assert view["nominations"] == {"P-N": "pending"}
        worker("system:competitions").on_resolution_adopted(resolution("K-U", "U"))
        assert worker("honours-1").selection("MW-U")["nominations"] == {"P-N": "eligible"}
    finally:
        pool.close()


def test_a_safety_agreement_whose_effect_orgs_withdrew_no_longer_counts(
    db_config: DatabaseConfig,
) -> None:
    """F13: 人社's timely objection arrived after orgs' timer: the agreement never counted."""
    pool = open_pool(db_config.service_dsn, min_size=1, max_size=4)
    store = ServiceStore(EventStore(pool, EVENTS), "competitions")
    worker = worker_factory(
        competitions.Competitions,
        store=store,
        context=CallContext(actor="system:competitions", call_id=uuid.uuid4().hex),
        clock=SettableClock(None),
    )

    def from_orgs(event_type: str, data: dict[str, Any]) -> Envelope:
        now = datetime.now(UTC)
        return Envelope(
            str(uuid.uuid4()), event_type, 1, "orgs", "Contract-CC-S", 1, 1, now,
            None, None, "system:orgs", data, "0" * 64,
        )  # fmt: skip

    contract = {"contract_id": "CC-S", "employer_ids": ["E-S"], "kind": "safety"}
    try:
        effective = {**contract, "effective_on": "2026-07-01", "expires_on": "2029-07-01"}
        worker.on_contract_in_force(from_orgs("ContractTookEffect", effective))
        agreements = load_stream(store.store, SAFETY, safety_stream("E-S")).state
        assert agreements.in_force(date(2026, 8, 1))
        withdrawn = {
            **contract,
            "effective_on": "2026-07-01",
            "union_id": "U",
            "reviewed_on": "2026-07-15",
        }
        worker.on_contract_withdrawn(from_orgs("ContractEffectWithdrawn", withdrawn))
        agreements = load_stream(store.store, SAFETY, safety_stream("E-S")).state
        assert not agreements.in_force(date(2026, 8, 1))
    finally:
        pool.close()
