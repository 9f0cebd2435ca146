"""``unionctl demo``: a county year of the notice, driven through the running services.

Everything goes the way users and other systems would send it: RPC calls with
an actor, a role and an idempotency key (so a second run records nothing new),
and messages from the tax bureau, 人社 and civil affairs on ``inbound.events``.
It ends by verifying every log and printing a summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from types import TracebackType
from typing import Any

import amqp
import psycopg
from nameko.standalone.rpc import ClusterRpcProxy

from shared.broker import INBOUND_EXCHANGE, BrokerConfig
from shared.config import SERVICES, database_config
from shared.nameko_ext import RemoteUnionError
from shared.relay import lag_of
from shared.verify import verify

UNIONS = 30
EDUCATION_EVERY = 10
"""Every tenth union is a school's (完职师学校): funds' 40 % rule applies (notice 十一)."""
ALREADY = {"InvalidTransition", "AlreadyRecorded"}
"""A step a previous run already took answers one of these: it is done, not failed."""


class Caller:
    """One actor's RPC proxy; each call carries its own idempotency key."""

    def __init__(self, uri: str, prefix: str, actor: str, role: str) -> None:
        self.data: dict[str, str] = {"actor": actor, "role": role}
        self.prefix = prefix
        self._rpc = ClusterRpcProxy({"AMQP_URI": uri}, context_data=self.data, timeout=120)
        self._proxy: Any = None

    def __enter__(self) -> Caller:
        self._proxy = self._rpc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._rpc.stop()

    def __call__(self, key: str, service: str, method: str, *args: Any) -> Any:
        self.data["idempotency_key"] = f"{self.prefix}:{key}"
        try:
            return getattr(getattr(self._proxy, service), method)(*args)
        except RemoteUnionError as exc:
            if exc.code in ALREADY:
                return None
            raise


@dataclass
class Demo:
    uri: str
    year: int
    today: date
    say: Callable[[str], None]

    def run(self) -> int:
        prefix = f"demo-{self.year}"
        with (
            Caller(self.uri, prefix, "finance-1", "finance_officer") as finance,
            Caller(self.uri, prefix, "organiser-1", "organising_staff") as organiser,
            Caller(self.uri, prefix, "chair-1", "grassroots_chair") as chair,
            Caller(self.uri, prefix, "caseworker-1", "caseworker") as caseworker,
            Caller(self.uri, prefix, "leader-1", "leader") as leader,
            Caller(self.uri, prefix, "honours-1", "organising_staff") as honours,
            _Publisher(BrokerConfig(self.uri), prefix) as inbound,
        ):
            self.budget(finance, organiser)
            self.organise(organiser, inbound)
            self.dues(inbound)
            households = self.hardship(caseworker, leader, inbound)
            self.warmth(caseworker, leader, households)
            self.contract(chair, organiser, inbound)
            self.studio(finance, honours, leader)
        return self.verify_and_summarise()

    def budget(self, finance: Caller, organiser: Caller) -> None:
        self.say("1. the joint meeting and the county's budget lines (notice 一, 十二)")
        finance("open-year", "funds", "open_fiscal_year", {"fiscal_year": self.year})
        meeting = f"JM-{self.year}"
        organiser(
            "meeting",
            "orgs",
            "hold_joint_meeting",
            {
                "meeting_id": meeting,
                "held_on": date(self.year, 3, 20).isoformat(),
                "chaired_by": "县长",
                "attendees": ["县政府", "县总工会", "县财政局", "县人社局", "县教育局"],
            },
        )
        organiser(
            "decision-1",
            "orgs",
            "record_joint_decision",
            {
                "meeting_id": meeting,
                "decision_id": f"{meeting}-1",
                "summary": "县财政每年预算配套送温暖资金60万元",
                "owner": "县财政局",
                "due_on": date(self.year, 6, 30).isoformat(),
                "budget_impact": {
                    "fiscal_year": self.year,
                    "line": "warmth",
                    "amount_fen": 60_000_000,
                    "name": "送温暖 (county fiscal)",
                },
            },
        )
        finance(
            "studios-line",
            "funds",
            "allocate",
            {
                "appropriation_id": f"{self.year}-studios",
                "fiscal_year": self.year,
                "line": "innovation_studios",
                "name": "创新工作室补助",
                "source": "union_funds",
                "amount_fen": 10_000_000,
                "basis": f"{self.year} county union budget",
            },
        )

    def organise(self, organiser: Caller, inbound: _Publisher) -> None:
        self.say(f"2. {UNIONS} unions founded in non-public enterprises, with members and cards")
        for i in range(1, UNIONS + 1):
            employer = _employer(i)
            inbound.send(
                "hrss.EmployerRegistered",
                f"employer-{i}",
                {
                    "employer_id": employer,
                    "name": f"霍邱县第{i}号企业",
                    "kind": "non_public_enterprise",
                    "started_on": date(self.year - 2, 1, 1).isoformat(),
                    "employees": 30 + i,
                    "division_code": "341522",
                },
            )
        for i in range(1, UNIONS + 1):
            union = f"U-{self.year}-{i:02d}"
            organiser(
                f"prepare-{i}",
                "orgs",
                "approve_preparatory_committee",
                {
                    "union_id": union,
                    "name": f"霍邱县第{i}号企业工会",
                    "kind": "enterprise",
                    "parent_id": "county",
                    "employer_ids": [_employer(i)],
                    "approved_on": date(self.year, 4, 1).isoformat(),
                },
            )
            founded = date(self.year, 5, 1).isoformat()
            election = {"on": founded, "member_count": 30, "committee_size": 5, "term_years": 5}
            organiser(f"found-{i}", "orgs", "found_union", {"union_id": union, **election})
            if i % EDUCATION_EVERY == 0:
                sector = {"union_id": union, "sector": "education"}
                organiser(f"sector-{i}", "orgs", "assign_sector", sector)
            for m in range(1, 3):
                person = f"M-{self.year}-{i:02d}-{m}"
                organiser(
                    f"apply-{i}-{m}",
                    "orgs",
                    "apply_membership",
                    {
                        "person_id": person,
                        "union_id": union,
                        "applied_on": founded,
                        "personal": {"name": f"会员{i}-{m}"},
                    },
                )
                admit = {"person_id": person, "member_no": f"{i:02d}{m:03d}", "on": founded}
                organiser(f"admit-{i}-{m}", "orgs", "admit_member", admit)
                card = {"person_id": person, "card_id": f"C{i:02d}{m:03d}", "on": founded}
                organiser(f"card-{i}-{m}", "orgs", "issue_card", card)

    def dues(self, inbound: _Publisher) -> None:
        self.say("3. union dues from the tax bureau, split 60/40 (工会法 Art. 43)")
        for i in range(1, UNIONS + 1):
            payroll = (30 + i) * 500_000
            inbound.send(
                "tax.DuesCollected",
                f"dues-{i}",
                {
                    "employer_id": _employer(i),
                    "period": f"{self.year}-06",
                    "kind": "dues",
                    "payroll_base_fen": payroll,
                    "amount_fen": payroll * 2 // 100,
                    "collected_on": date(self.year, 7, 15).isoformat(),
                    "tax_voucher_no": f"T-{self.year}-06-{i:02d}",
                },
            )

    def hardship(self, caseworker: Caller, leader: Caller, inbound: _Publisher) -> list[str]:
        self.say("4. hardship families filed (一户一档) after civil affairs' verification")
        households = []
        for i in range(1, 6):
            household, person = f"H-{self.year}-{i}", f"M-{self.year}-{i:02d}-1"
            households.append(household)
            caseworker(
                f"submit-{i}",
                "aid",
                "submit_application",
                {
                    "household_id": household,
                    "applicant_id": person,
                    "union_id": f"U-{self.year}-{i:02d}",
                    "member_ids": [person],
                    "causes": ["illness"],
                    "personal": {"name": f"张{i}", "id_number": f"34152219800101{i:03d}X"},
                },
            )
            review = {"household_id": household, "passed": True, "opinion": "属实"}
            leader(f"review-{i}", "aid", "review_application", review)
            caseworker(
                f"visit-{i}",
                "aid",
                "record_home_visit",
                {
                    "household_id": household,
                    "visitors": ["caseworker-1", "chair-1"],
                    "visited_on": (self.today - timedelta(days=30)).isoformat(),
                    "findings": "家庭困难属实",
                    "forms_signed": True,
                    "personal": {"rigid_expenditure_yearly_fen": 1_200_000},
                },
            )
            asked = caseworker(
                f"verify-{i}",
                "aid",
                "request_income_verification",
                {"household_id": household},
            )
            if asked is not None and asked["status"] == "verifying":
                inbound.send(
                    "civil.IncomeVerificationCompleted",
                    f"civil-{household}",
                    {
                        "request_id": asked["request_id"],
                        "household_ref": household,
                        "result": "verified",
                        "household_size": 3,
                        "per_capita_monthly_income_fen": 50_000 + 10_000 * i,
                        "completed_on": (self.today - timedelta(days=20)).isoformat(),
                    },
                )
        for i, household in enumerate(households, start=1):
            self.wait(f"{household} verified", partial(self._verified, caseworker, household))
            notice = {
                "household_id": household,
                "starts_on": (self.today - timedelta(days=10)).isoformat(),
                "channel": "工会公示栏",
            }
            caseworker(f"notice-{i}", "aid", "start_public_notice", notice)
            close = {"household_id": household, "upheld": False, "finding": "无异议"}
            caseworker(f"close-{i}", "aid", "close_public_notice", close)
            leader(f"establish-{i}", "aid", "establish_file", {"household_id": household})
        return households

    def warmth(self, caseworker: Caller, leader: Caller, households: list[str]) -> None:
        self.say("5. 送温暖: a campaign that takes the whole line; a later request is refused")
        campaign = f"winter-{self.year}"
        caseworker(
            "campaign",
            "aid",
            "plan_campaign",
            {
                "campaign_id": campaign,
                "season": "winter",
                "fiscal_year": self.year,
                "envelope_fen": 60_000_000,
                "opens_on": date(self.year, 12, 1).isoformat(),
                "closes_on": date(self.year + 1, 2, 28).isoformat(),
            },
        )
        caseworker("campaign-open", "aid", "open_campaign", {"campaign_id": campaign})
        self.wait(
            "the envelope reserved",
            lambda: caseworker("campaign-look", "aid", "campaign", campaign)["status"] == "open",
        )
        for i, household in enumerate(households, start=1):
            add = {"campaign_id": campaign, "household_id": household, "amount_fen": 250_000}
            caseworker(f"beneficiary-{i}", "aid", "add_beneficiary", add)
        caseworker("roster", "aid", "publish_roster", {"campaign_id": campaign})
        late = f"W-{self.year}-late"
        caseworker(
            "late-request",
            "aid",
            "request_aid",
            {
                "case_id": late,
                "programme": "winter_warmth",
                "person_id": f"M-{self.year}-05-1",
                "household_id": households[-1],
                "fiscal_year": self.year,
                "amount_fen": 100_000,
                "reason": "冬送温暖 outside the campaign",
            },
        )
        assess = {"case_id": late, "amount_fen": 100_000, "opinion": "属实"}
        caseworker("late-assess", "aid", "assess_aid", assess)
        leader("late-approve", "aid", "approve_aid", {"case_id": late})
        self.wait(
            "funds' refusal",
            lambda: caseworker("late-look", "aid", "assistance_case", late)["status"] == "blocked",
        )

    def contract(self, chair: Caller, organiser: Caller, inbound: _Publisher) -> None:
        self.say("6. a collective contract, voted by the workers' congress, takes effect")
        contract, union, employer = f"CC-{self.year}-1", f"U-{self.year}-01", _employer(1)
        organiser(
            "congress",
            "orgs",
            "establish_congress",
            {
                "congress_id": f"K-{self.year}-1",
                "kind": "enterprise",
                "unit_id": employer,
                "union_id": union,
                "term_years": 3,
                "established_on": date(self.year, 5, 10).isoformat(),
            },
        )
        delegates = [{"person_id": f"D-{d}", "is_manager": d < 4} for d in range(30)]
        organiser(
            "delegates",
            "orgs",
            "elect_delegates",
            {
                "congress_id": f"K-{self.year}-1",
                "term_no": 1,
                "elected_on": date(self.year, 5, 20).isoformat(),
                "delegates": delegates,
            },
        )
        day = date(self.year, 6, 1)
        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "propose_negotiation",
                {
                    "contract_id": contract,
                    "kind": "safety",
                    "union_id": union,
                    "employer_ids": [employer],
                    "proposed_by": "union",
                    "proposed_on": day.isoformat(),
                },
            ),
            (
                "respond_negotiation",
                {"contract_id": contract, "on": (day + timedelta(10)).isoformat()},
            ),
            (
                "appoint_negotiators",
                {
                    "contract_id": contract,
                    "union_side": ["A1", "A2", "A3"],
                    "employer_side": ["B1", "B2", "B3"],
                    "union_chief": "A1",
                    "employer_chief": "B1",
                },
            ),
            (
                "hold_negotiation_round",
                {
                    "contract_id": contract,
                    "held_on": (day + timedelta(20)).isoformat(),
                    "summary": "劳动安全卫生",
                },
            ),
            (
                "agree_draft",
                {
                    "contract_id": contract,
                    "agreed_on": (day + timedelta(25)).isoformat(),
                    "term_years": 3,
                    "summary": "劳动安全卫生专项集体合同草案",
                },
            ),
            (
                "record_congress_vote",
                {
                    "contract_id": contract,
                    "congress_id": f"K-{self.year}-1",
                    "voted_on": (day + timedelta(30)).isoformat(),
                    "present": 28,
                    "yes": 25,
                    "no": 2,
                    "abstain": 1,
                },
            ),
            ("sign_contract", {"contract_id": contract, "on": (day + timedelta(31)).isoformat()}),
            ("file_contract", {"contract_id": contract, "on": (day + timedelta(35)).isoformat()}),
        ]
        for n, (method, payload) in enumerate(steps):
            chair(f"contract-{n}", "orgs", method, payload)
        inbound.send(
            "hrss.CollectiveContractReviewed",
            f"review-{contract}",
            {
                "contract_id": contract,
                "employer_id": employer,
                "opinion": "approved",
                "reviewed_on": (day + timedelta(40)).isoformat(),
            },
        )
        self.wait(
            "the contract in force",
            lambda: (
                chair("contract-look", "orgs", "collective_contract", contract)["status"]
                == "effective"
            ),
        )

    def studio(self, finance: Caller, honours: Caller, leader: Caller) -> None:
        self.say("7. a model worker's innovation studio named, its subsidy reserved in funds")
        person = f"M-{self.year}-02-1"
        worker = {
            "person_id": person,
            "title": "六安市劳动模范",
            "level": "city",
            "year": self.year - 1,
        }
        honours("model-worker", "competitions", "register_model_worker", worker)
        studio = f"S-{self.year}-1"
        honours(
            "studio",
            "competitions",
            "apply_studio",
            {
                "studio_id": studio,
                "kind": "model_worker_studio",
                "name": "劳模创新工作室",
                "unit_id": _employer(2),
                "leader_id": person,
                "team_ids": [f"{person}-T{t}" for t in range(6)],
                "level": "city",
                "applied_on": self.today.isoformat(),
            },
        )
        leader(
            "studio-review",
            "competitions",
            "review_studio",
            {"studio_id": studio, "opinion": "同意"},
        )
        leader(
            "studio-name",
            "competitions",
            "name_studio",
            {"studio_id": studio, "on": self.today.isoformat()},
        )
        self.wait(
            "the subsidy reserved",
            lambda: (
                honours("studio-look", "competitions", "studio", studio)["subsidy"]
                in ("reserved", "paid")
            ),
        )
        pay = {"studio_id": studio, "voucher_ref": f"BANK-{self.year}-S1"}
        finance("studio-pay", "competitions", "pay_subsidy", pay)

    def verify_and_summarise(self) -> int:
        self.wait("every relay caught up", _relays_caught_up, timeout=120)
        self.say("")
        self.say(f"{'service':<14}{'events':>8}{'streams':>9}  chain")
        broken = 0
        for service in SERVICES:
            dsn = database_config(service).service_dsn
            with psycopg.connect(dsn) as conn:
                events, streams = conn.execute(
                    "SELECT count(*), count(DISTINCT stream_id) FROM events"
                ).fetchone() or (0, 0)
            with psycopg.connect(dsn) as conn:
                report = verify(conn)
            broken += 0 if report.ok else 1
            chain = "OK" if report.ok else f"BROKEN at {report.first_bad_position}"
            self.say(f"{service:<14}{events:>8}{streams:>9}  {chain}")
        with ClusterRpcProxy({"AMQP_URI": self.uri}, context_data={"actor": "demo"}) as rpc:
            lines = rpc.funds.budget_execution(self.year)
        self.say("")
        self.say(f"{'line':<20}{'allocated':>14}{'reserved':>14}{'spent':>14}{'refused':>9} (yuan)")
        for row in lines:
            self.say(
                f"{row['line']:<20}{_yuan(row['allocated_fen']):>14}{_yuan(row['reserved_fen']):>14}"
                f"{_yuan(row['spent_fen']):>14}{row['refused_count']:>9}"
            )
        return 1 if broken else 0

    def wait(self, what: str, done: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the demo waited {timeout:.0f}s for {what}")
            time.sleep(0.2)

    def _verified(self, caseworker: Caller, household: str) -> bool:
        file = caseworker(f"look-{household}", "aid", "hardship_file", household)
        return bool(file["status"] != "verifying")


class _Publisher:
    """Messages as the county's other systems send them: JSON, persistent, with an id."""

    def __init__(self, broker: BrokerConfig, prefix: str) -> None:
        self.broker = broker
        self.prefix = prefix
        self._conn: amqp.Connection | None = None
        self._channel: Any = None

    def __enter__(self) -> _Publisher:
        self._conn = self.broker.connect()
        self._channel = self._conn.channel()
        self._channel.confirm_select()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            self._conn.close()

    def send(self, kind: str, message_id: str, body: dict[str, Any]) -> None:
        message = amqp.Message(
            json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json",
            delivery_mode=2,
            message_id=f"{self.prefix}:{message_id}",
        )
        self._channel.basic_publish_confirm(message, exchange=INBOUND_EXCHANGE, routing_key=kind)


def _employer(i: int) -> str:
    return f"91341522MA2T{i:04d}0X"


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _relays_caught_up() -> bool:
    for service in SERVICES:
        with psycopg.connect(database_config(service).service_dsn) as conn:
            head, published = lag_of(conn)
        if head != published:
            return False
    return True


def run(uri: str, today: date, say: Callable[[str], None] = print) -> int:
    return Demo(uri, today.year, today, say).run()
