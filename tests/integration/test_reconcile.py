"""``unionctl audit reconcile``: a consistent year has no findings; each injected break is named.

The consistent year is what the services would record, decided by their own
deciders: a household filed after a public notice, a cash aid case from request
to closing with its reservation, spend and voucher in funds, a job referral, a
studio named and subsidised, a competition's prize, and a month's dues with its
split. Each inconsistency is then appended directly as events, the way only a
bug or a tamperer could, and the report must name exactly it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services import reconcile as rc
from services.aid import domain as ad
from services.aid import events as ae
from services.aid import programmes as ap
from services.aid.policy import line_of
from services.competitions import domain as cd
from services.competitions import events as ce
from services.funds import books
from services.funds import domain as fd
from services.funds import events as fe
from services.funds import ledger as lg
from services.funds import ledger_events as le
from shared.config import SERVICES, database_config
from shared.db import open_pool
from shared.decider import Decider, execute
from shared.migrate import drop, migrate
from shared.registry import EventRegistry
from shared.store import ANY_VERSION, EventStore
from tests.kit import RUN_PREFIX

pytestmark = pytest.mark.integration

UNIONCTL = str(Path(sys.executable).with_name("unionctl"))
YEAR = 2026
LIVING_LINE = line_of("living", date(YEAR, 1, 1))[0]
REGISTRIES = {
    "aid": ae.EVENTS,
    "competitions": ce.EVENTS,
    "funds": fe.EVENTS,
    "orgs": EventRegistry(),  # migrated like the others; reconcile does not read it
}
POLICY = ad.ClassifierPolicy(78_000, 10_000, 20_000, 8_000, ("aid.dibao_standard_fen@2022-01-01",))


@dataclass
class Logs:
    """The four services' databases under one prefix of this test's own."""

    env: dict[str, str]
    stores: dict[str, EventStore]

    def run(
        self,
        service: str,
        decider: Decider[object, Any, object],
        stream: str,
        *commands: object,
    ) -> None:
        for command in commands:
            key = f"{stream}:{type(command).__name__}:{uuid.uuid4().hex[:8]}"
            execute(
                self.stores[service],
                decider,
                stream,
                command,
                command_id=key,
                metadata={"actor": "tester"},
            )

    def inject(self, service: str, stream: str, *events: object) -> list[int]:
        """Append as a tamperer would: no decider, no rule, just rows in the log."""
        store = self.stores[service]
        new = [store.registry.new_event(e) for e in events]
        return list(store.append(stream, new, ANY_VERSION, {"actor": "intruder"}).positions)

    def report(self, year: int | None = YEAR) -> rc.Report:
        return rc.reconcile(year, env=self.env)


@pytest.fixture
def logs() -> Iterator[Logs]:
    prefix = f"{RUN_PREFIX}_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "UNION_DB_PREFIX": prefix}
    configs = [database_config(service, env) for service in SERVICES]
    pools = []
    try:
        stores = {}
        for cfg in configs:
            migrate(cfg)
            pool = open_pool(cfg.service_dsn, min_size=1, max_size=2)
            pools.append(pool)
            stores[cfg.service] = EventStore(pool, REGISTRIES[cfg.service])
        world = Logs(env, stores)
        consistent_year(world)
        yield world
    finally:
        for pool in pools:
            pool.close()
        for cfg in configs:
            drop(cfg)


# -- the consistent year ---------------------------------------------------------------


def consistent_year(w: Logs) -> None:
    allocate_lines(w)
    file_household(w, "H1", "P1")
    w.run(
        "aid",
        ap.PERSON,
        ap.person_stream("P1"),
        ap.NoteMembership("P1", "U1", "active", date(2025, 1, 1), "orgs:MemberAdmitted"),
    )
    cash_case(w, "C-1", programme="living", person="P1", household="H1", amount=200_000)
    job_referral(w, "C-2", "P2")
    studio(w, "S-1", 2_000_000)
    competition(w, "K-1", 300_000)
    w.run(
        "funds",
        fd.DUES_ACCOUNT,
        fd.account_stream("E1"),
        fd.RecordCollection(
            "E1", "2026-01", "dues", "tax", 10_000_000, 200_000, "TAX-1", date(2026, 2, 15)
        ),
    )


def allocate_lines(w: Logs) -> None:
    for line, amount in ((LIVING_LINE, 4_000_000), ("innovation_studios", 5_000_000)):
        allocate = fd.Allocate(YEAR, line, line, "union_funds", amount, "budget 2026")
        w.run("funds", fd.BUDGET_LINE, fd.line_stream(YEAR, line), allocate)
    allocate = fd.Allocate(YEAR, "competitions", "prizes", "union_funds", 1_000_000, "budget")
    w.run("funds", fd.BUDGET_LINE, fd.line_stream(YEAR, "competitions"), allocate)


def file_household(w: Logs, household: str, applicant: str) -> None:
    """一户一档: application, review, visit, verification, public notice, filing."""
    finances = ad.HouseholdFinances(3, 50_000, 0, 0, ("household_size@1",))
    w.run(
        "aid",
        ad.HARDSHIP_FILE,
        ad.file_stream(household),
        ad.SubmitApplication(
            household,
            applicant,
            "U1",
            (applicant,),
            ("illness",),
            False,
            (),
            (f"{applicant}/property_exclusions@1",),
            False,
            True,
            ("name",),
            date(2026, 1, 5),
        ),
        ad.PreliminaryReview(True, "困难属实", "chair-1"),
        ad.RecordHomeVisit(("cw-1", "cw-2"), date(2026, 1, 10), True, ("home_visit_findings",)),
        ad.RequestVerification(f"verify-{household}"),
        ad.RecordVerification(
            f"verify-{household}", "verified", date(2026, 1, 20), finances, POLICY
        ),
        ad.StartPublicNotice(date(2026, 1, 21), "notice board", "张*", 5, "aid.public@1"),
        ad.ClosePublicNotice(False, "no objection", date(2026, 1, 27)),
        ad.EstablishFile(None, None, "county", date(2026, 1, 28), 365),
    )


def cash_case(
    w: Logs, case_id: str, *, programme: str, person: str, household: str | None, amount: int
) -> None:
    """Request → assessment → approval held by a funds reservation → order → payment,
    its spend and voucher in funds → receipt → closed (audit need 2)."""
    stream = ad.case_stream(case_id)
    request = ad.RequestAid(
        case_id,
        programme,
        person,
        household,
        YEAR,
        amount,
        LIVING_LINE,
        "hospital bills",
        "cw-1",
        (),
        True,
        "filed",
    )
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    w.run("aid", ad.CASE, stream, request, ad.AssessAid("assessor-1", amount, "属实"))
    w.run("aid", ad.CASE, stream, ad.ApproveAid("approver-1", now, 48))
    request_id = f"case:{case_id}.1"
    rid = f"aid:{request_id}"
    line = fd.line_stream(YEAR, LIVING_LINE)
    reserve = fd.Reserve(rid, amount, stream, "aid:approver-1", date(2026, 3, 1))
    w.run("funds", fd.BUDGET_LINE, line, reserve)
    w.run("aid", ad.CASE, stream, ad.FundsAnswer(request_id, True, "", ""))
    w.run(
        "aid",
        ad.CASE,
        stream,
        ad.OrderPayment("finance-1", "bank_account@1"),
        ad.RecordDisbursement(f"BANK-{case_id}", date(2026, 3, 5)),
    )
    spend_with_voucher(w, LIVING_LINE, rid, amount, f"BANK-{case_id}")
    w.run(
        "aid",
        ad.CASE,
        stream,
        ad.SignReceipt(date(2026, 3, 6), person),
        ad.CloseCase(date(2026, 3, 7)),
    )


def spend_with_voucher(w: Logs, line: str, rid: str, amount: int, bank_ref: str) -> None:
    """What funds' ``_spend`` records: the spend, and its voucher in the same year's ledger."""
    w.run(
        "funds", fd.BUDGET_LINE, fd.line_stream(YEAR, line), fd.ConfirmSpend(rid, amount, bank_ref)
    )
    voucher = lg.PostVoucher(
        f"SPEND-{YEAR}-{line}-{rid}",
        date(2026, 3, 5),
        books.spend(line, amount, f"{line} {rid}", bank_ref),
        rid,
    )
    w.run("funds", lg.LEDGER, lg.ledger_stream(YEAR), voucher)


def job_referral(w: Logs, case_id: str, person: str) -> None:
    """春送岗位: a service, approved with no money and closed when given."""
    stream = ad.case_stream(case_id)
    request = ad.RequestAid(
        case_id, "spring_jobs", person, None, YEAR, 0, "spring_jobs", "job", "cw-1", (), False, None
    )
    now = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    w.run(
        "aid",
        ad.CASE,
        stream,
        request,
        ad.AssessAid("assessor-1", 0, "referral"),
        ad.ApproveAid("approver-1", now, 48),
        ad.CloseCase(date(2026, 2, 2)),
    )


def studio(w: Logs, studio_id: str, subsidy: int) -> None:
    """Flow F9: named, its subsidy reserved, paid, spent and vouchered."""
    stream = cd.studio_stream(studio_id)
    team = tuple(f"T{i}" for i in range(5))
    w.run(
        "competitions",
        cd.STUDIO,
        stream,
        cd.ApplyStudio(
            studio_id,
            "model_worker_studio",
            "创新工作室",
            "E1",
            "P5",
            team,
            "county",
            date(2026, 2, 1),
        ),
        cd.ReviewStudio("reviewer-1", "good"),
        cd.NameStudio(
            date(2026, 3, 1), "county", True, 5, 3, subsidy, "s@1", "innovation_studios", ()
        ),
    )
    rid = f"competitions:studio:{studio_id}.1"
    reserve = fd.Reserve(rid, subsidy, stream, "competitions:x", date(2026, 3, 1))
    w.run("funds", fd.BUDGET_LINE, fd.line_stream(YEAR, "innovation_studios"), reserve)
    w.run(
        "competitions",
        cd.STUDIO,
        stream,
        cd.SubsidyAnswer(f"studio:{studio_id}.1", True, ""),
        cd.PaySubsidy(f"BANK-{studio_id}"),
    )
    spend_with_voucher(w, "innovation_studios", rid, subsidy, f"BANK-{studio_id}")


def competition(w: Logs, competition_id: str, prize: int) -> None:
    """Flow F10: results under public notice, awards conferred, the prize paid."""
    stream = cd.competition_stream(competition_id)
    award = ce.Award("P6", "一等奖", prize)
    w.run(
        "competitions",
        cd.COMPETITION,
        stream,
        cd.Announce(
            competition_id, "labour", "劳动竞赛", YEAR, "2026", "competitions", date(2026, 1, 2)
        ),
        cd.OpenRegistration(date(2026, 1, 3)),
        cd.RegisterParticipant("P6", "E1"),
        cd.StartCompetition(date(2026, 2, 1)),
        cd.RecordScore("P6", 95, "judge-1"),
        cd.PublishResults((award,), date(2026, 4, 1), 7, 90, frozenset(), ()),
        cd.ConferAwards(date(2026, 4, 10)),
    )
    rid = f"competitions:prize:{competition_id}.1"
    reserve = fd.Reserve(rid, prize, stream, "competitions:x", date(2026, 4, 10))
    w.run("funds", fd.BUDGET_LINE, fd.line_stream(YEAR, "competitions"), reserve)
    w.run(
        "competitions",
        cd.COMPETITION,
        stream,
        cd.PrizeFunds(f"prize:{competition_id}.1", True, ""),
        cd.PayPrizes(f"BANK-{competition_id}"),
    )
    spend_with_voucher(w, "competitions", rid, prize, f"BANK-{competition_id}")


def rules(report: rc.Report) -> list[str]:
    return [f.rule for f in report.findings]


def evidence_of(finding: rc.Finding) -> set[tuple[str, str, int]]:
    return {(x.service, x.stream_id, x.position) for x in finding.evidence}


# -- the tests -----------------------------------------------------------------------


def test_a_consistent_year_has_no_findings(logs: Logs) -> None:
    report = logs.report()
    assert report.findings == (), [f.message for f in report.findings]
    # Not an empty run: every kind of record was looked at.
    assert report.checked == {
        "aid cases": 2,
        "aid approvals": 2,
        "aid payments": 1,
        "budget lines": 3,
        "funds spends": 3,
        "dues accounts": 1,
    }
    assert {s: h.position > 0 for s, h in report.heads.items()} == {
        "aid": True,
        "competitions": True,
        "funds": True,
    }
    assert logs.report(None).findings == ()  # every year at once agrees too


def test_a_payment_with_no_reservation_in_funds(logs: Logs) -> None:
    stream = ad.case_stream("C-9")
    due = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
    positions = logs.inject(
        "aid",
        stream,
        ae.AidRequested("C-9", "medical", "P1", "H1", YEAR, 50_000, LIVING_LINE, "x", "cw-1", ()),
        ae.AidAssessed("assessor-1", 50_000, "ok"),
        ae.AidApprovalRequested("approver-1", "case:C-9.1", 50_000, due),
        ae.FundsReservationRequested("case:C-9.1", YEAR, LIVING_LINE, 50_000, stream, None),
        ae.AidApproved("case:C-9.1", 50_000, "approver-1"),
        ae.AidPaymentOrdered("finance-1", 50_000, "bank_account@1"),
        ae.AidDisbursed(50_000, "BANK-C-9", date(2026, 5, 4)),
    )
    report = logs.report()
    assert rules(report) == ["PaymentWithoutReservation"]
    (finding,) = report.findings
    assert ("aid", stream, positions[-1]) in evidence_of(finding)
    assert "aid:case:C-9.1" in finding.message


def test_a_case_approved_by_its_requester(logs: Logs) -> None:
    stream = ad.case_stream("C-8")
    positions = logs.inject(
        "aid",
        stream,
        ae.AidRequested("C-8", "spring_jobs", "P8", None, YEAR, 0, "spring_jobs", "x", "cw-8", ()),
        ae.AidAssessed("assessor-1", 0, "ok"),
        ae.AidApproved(None, 0, "cw-8"),
    )
    report = logs.report()
    assert rules(report) == ["ApproverIsRequester"]
    assert evidence_of(report.findings[0]) == {
        ("aid", stream, positions[0]),
        ("aid", stream, positions[2]),
    }


def test_a_subsidy_with_no_naming(logs: Logs) -> None:
    rid = "competitions:studio:S-X.1"
    line = fd.line_stream(YEAR, "innovation_studios")
    # funds' side is complete (reserved, spent, vouchered); competitions never named S-X.
    logs.inject(
        "funds",
        line,
        fe.FundsReserved(rid, 100_000, "Studio-S-X", "competitions:x", date(2026, 6, 30), 0, "b@1"),
    )
    (spent,) = logs.inject("funds", line, fe.ExpenditureRecorded(rid, 100_000, "Studio-S-X", "B"))
    postings = books.spend("innovation_studios", 100_000, "subsidy", "B")
    voucher = le.VoucherPosted(
        f"SPEND-{YEAR}-innovation_studios-{rid}", date(2026, 6, 1), "2026-06", postings, rid, None
    )
    logs.inject("funds", lg.ledger_stream(YEAR), voucher)
    report = logs.report()
    assert rules(report) == ["SubsidyWithoutNaming"]
    assert evidence_of(report.findings[0]) == {("funds", line, spent)}


def test_a_duplicate_case(logs: Logs) -> None:
    stream = ad.case_stream("C-7")
    (requested,) = logs.inject(
        "aid",
        stream,
        ae.AidRequested("C-7", "living", "P1", "H1", YEAR, 80_000, LIVING_LINE, "x", "cw-2", ()),
    )
    report = logs.report()
    assert rules(report) == ["DuplicateAid"]  # same person and household: one finding
    (finding,) = report.findings
    assert ("aid", stream, requested) in evidence_of(finding)
    assert any(x.stream_id == "AidCase-C-1" for x in finding.evidence)
    # Another year's report does not see it; a cancelled case is no duplicate.
    assert logs.report(YEAR - 1).findings == ()
    logs.inject("aid", stream, ae.AidCancelled("entered twice", "cw-2"))
    assert logs.report().findings == ()


Injection = Callable[[Logs], None]


def _overdraw(w: Logs) -> None:
    rid = "aid:campaign:W-1.1"
    held = fe.FundsReserved(rid, 9_000_000, "Campaign-W-1", "aid:x", date(2026, 12, 31), 0, "b@1")
    w.inject("funds", fd.line_stream(YEAR, LIVING_LINE), held)


def _split_short(w: Logs) -> None:
    collected = fe.DuesCollected("2026-02", "tax", 300_000, "TAX-2", date(2026, 3, 15))
    w.inject("funds", fd.account_stream("E1"), collected)


def _lifted_then_approved(w: Logs) -> None:
    w.run(
        "aid", ad.HARDSHIP_FILE, ad.file_stream("H1"), ad.LiftOut("income rose", date(2026, 6, 1))
    )
    w.inject(
        "aid",
        ad.case_stream("C-6"),
        ae.AidRequested("C-6", "medical", "P1", "H1", YEAR, 0, LIVING_LINE, "x", "cw-1", ()),
        ae.AidAssessed("assessor-1", 0, "ok"),
        ae.AidApproved(None, 0, "approver-1"),
    )


def _lapsed_member(w: Logs) -> None:
    note = ap.NoteMembership("P4", "U1", "lapsed", date(2026, 1, 31), "orgs:MemberLapsed")
    w.run("aid", ap.PERSON, ap.person_stream("P4"), note)
    w.inject(
        "aid",
        ad.case_stream("C-5"),
        ae.AidRequested("C-5", "summer_cool", "P4", None, YEAR, 0, "summer_cool", "x", "cw-1", ()),
        ae.AidAssessed("assessor-1", 0, "ok"),
        ae.AidApproved(None, 0, "approver-1"),
    )


def _voucher_reversed(w: Logs) -> None:
    rid = "aid:case:C-1.1"
    reverse = lg.ReverseVoucher(
        f"SPEND-{YEAR}-{LIVING_LINE}-{rid}", "REV-1", date(2026, 7, 1), "posted in error"
    )
    w.run("funds", lg.LEDGER, lg.ledger_stream(YEAR), reverse)


def _prize_without_award(w: Logs) -> None:
    rid = "competitions:prize:K-X.1"
    w.inject(
        "funds", fd.line_stream(YEAR, "competitions"), fe.ExpenditureRecorded(rid, 1, "K-X", "B")
    )
    postings = books.spend("competitions", 1, "prize", "B")
    voucher = le.VoucherPosted(
        f"SPEND-{YEAR}-competitions-{rid}", date(2026, 6, 1), "2026-06", postings, rid, None
    )
    w.inject("funds", lg.ledger_stream(YEAR), voucher)


def _closed_without_receipt(w: Logs) -> None:
    # A second payment on the closed case, as if paid again and closed again unsigned.
    w.inject(
        "aid",
        ad.case_stream("C-1"),
        ae.AidDisbursed(200_000, "BANK-again", date(2026, 8, 1)),
        ae.AidClosed(date(2026, 8, 2)),
    )


def _spend_for_nothing(w: Logs) -> None:
    rid = "aid:case:C-404.1"
    spent = fe.ExpenditureRecorded(rid, 100, "AidCase-C-404", "B")
    w.inject("funds", fd.line_stream(YEAR, LIVING_LINE), spent)
    _voucher(w, LIVING_LINE, rid, 100)


def _prize_beyond_award(w: Logs) -> None:
    rid = "competitions:prize:K-1.2"
    w.inject(
        "funds", fd.line_stream(YEAR, "competitions"), fe.ExpenditureRecorded(rid, 1, "K-1", "B")
    )
    _voucher(w, "competitions", rid, 1)


def _voucher(w: Logs, line: str, rid: str, amount: int) -> None:
    postings = books.spend(line, amount, "memo", "B")
    voucher = le.VoucherPosted(
        f"SPEND-{YEAR}-{line}-{rid}", date(2026, 6, 1), "2026-06", postings, rid, None
    )
    w.inject("funds", lg.ledger_stream(YEAR), voucher)


def _assessor_approves_and_orders(w: Logs) -> None:
    w.inject(
        "aid",
        ad.case_stream("C-4"),
        ae.AidRequested("C-4", "spring_jobs", "P7", None, YEAR, 0, "spring_jobs", "x", "cw-1", ()),
        ae.AidAssessed("boss-1", 0, "ok"),
        ae.AidApproved(None, 0, "boss-1"),
        ae.AidPaymentOrdered("boss-1", 0, ""),
    )


def _reserved_never_spent(w: Logs) -> None:
    stream = ad.case_stream("C-3")
    w.inject(
        "funds",
        fd.line_stream(YEAR, LIVING_LINE),
        fe.FundsReserved("aid:case:C-3.1", 10_000, stream, "aid:x", date(2026, 7, 1), 0, "b@1"),
    )
    due = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    w.inject(
        "aid",
        stream,
        ae.AidRequested(
            "C-3", "golden_autumn", "P3", None, YEAR, 10_000, "golden_autumn", "x", "cw-1", ()
        ),
        ae.AidAssessed("assessor-1", 10_000, "ok"),
        ae.AidApprovalRequested("approver-1", "case:C-3.1", 10_000, due),
        ae.AidApproved("case:C-3.1", 10_000, "approver-1"),
        ae.AidPaymentOrdered("finance-1", 10_000, "bank_account@1"),
        ae.AidDisbursed(10_000, "BANK-C-3", date(2026, 6, 4)),
    )


def _paid_straight_away(w: Logs) -> None:
    w.inject(
        "aid",
        ad.case_stream("C-10"),
        ae.AidRequested(
            "C-10", "spring_jobs", "P10", None, YEAR, 0, "spring_jobs", "x", "cw-1", ()
        ),
        ae.AidDisbursed(0, "none", date(2026, 6, 4)),
    )


def _refund_beyond_fund(w: Logs) -> None:
    refund = fe.PreparatoryFundRefundIssued("U1", 100_000, 6000, 60_000, "prep@1")
    w.inject("funds", fd.account_stream("E1"), refund)


BREAKS: list[tuple[Injection, list[str]]] = [
    (
        _paid_straight_away,
        ["PaymentWithoutAssessment", "PaymentWithoutApproval", "PaymentWithoutOrder"],
    ),
    (_assessor_approves_and_orders, ["ApproverIsAssessor", "OrderedByApprover"]),
    (_reserved_never_spent, ["PaymentWithoutExpenditure"]),
    (_closed_without_receipt, ["PaymentAmountMismatch", "ClosedWithoutReceipt"]),
    (_voucher_reversed, ["PaymentWithoutVoucher"]),
    (_spend_for_nothing, ["SpendWithoutCase"]),
    (_prize_without_award, ["PrizeWithoutAward"]),
    (_prize_beyond_award, ["PrizeExceedsAward"]),
    (_split_short, ["DuesSplitMismatch"]),
    (_refund_beyond_fund, ["RefundExceedsFund"]),
    (_overdraw, ["LineOverdrawn"]),
    (_lifted_then_approved, ["AidToInactiveFile"]),
    (_lapsed_member, ["AidToLapsedMember"]),
]
"""Each injection and exactly the rules it must trip."""


@pytest.mark.parametrize(
    ("inject", "expected"),
    BREAKS,
    ids=[inject.__name__.strip("_") for inject, _ in BREAKS],
)
def test_each_rule_names_its_break(logs: Logs, inject: Injection, expected: list[str]) -> None:
    inject(logs)
    # Every year at once: a refund belongs to the year it is recorded in, which is today's.
    assert sorted(rules(logs.report(None))) == sorted(expected)


def test_every_rule_is_exercised() -> None:
    """The injections above, with the four tests of their own, cover every rule."""
    covered = {"PaymentWithoutReservation", "ApproverIsRequester", "SubsidyWithoutNaming"}
    covered |= {"DuplicateAid"}
    for _, expected in BREAKS:
        covered |= set(expected)
    assert covered == set(rc.RULE_CODES)


def test_the_command_writes_html_and_csv_and_exits_1_with_findings(
    logs: Logs, tmp_path: Path
) -> None:
    def unionctl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [UNIONCTL, *args],
            env=logs.env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    clean = unionctl("audit", "reconcile", "--year", str(YEAR), "--out", str(tmp_path / "a"))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "verdict: the logs agree: no findings" in clean.stdout

    stream = ad.case_stream("C-8")
    logs.inject(
        "aid",
        stream,
        ae.AidRequested("C-8", "spring_jobs", "P8", None, YEAR, 0, "spring_jobs", "x", "cw-8", ()),
        ae.AidApproved(None, 0, "cw-8"),
    )
    done = unionctl("audit", "reconcile", "--year", str(YEAR), "--out", str(tmp_path / "b"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ApproverIsRequester" in done.stdout and "verdict: 1 finding under 1 rule" in done.stdout

    page = (tmp_path / "b" / f"reconcile-{YEAR}.html").read_text(encoding="utf-8")
    assert 'id="ApproverIsRequester"' in page and "<script" not in page
    assert f"aid:{stream}@" in page
    with (tmp_path / "b" / f"reconcile-{YEAR}.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["rule"] for r in rows] == ["ApproverIsRequester"]
    assert rows[0]["evidence"].startswith(f"aid:{stream}@")
    assert "cw-8" in rows[0]["message"]
