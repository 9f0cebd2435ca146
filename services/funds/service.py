"""The funds service under nameko: validate, load, decide, append, answer.

Run: ``nameko run --config services/funds/config.yaml services.funds.service:Funds``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from marshmallow import EXCLUDE, Schema

from services.funds import books, projections
from services.funds import commands as cmd
from services.funds import domain as d
from services.funds import ledger as lg
from services.funds.contract import DUES_COLLECTED
from services.funds.events import (
    EVENTS,
    EducationTransferAssessed,
    ExpenditureRecorded,
)
from services.funds.ledger_events import Posting
from services.funds.policy import POLICY
from shared.decider import Executed
from shared.decider import load as load_stream
from shared.envelope import Envelope
from shared.nameko_ext import (
    EventStoreProvider,
    InboundMessage,
    ServiceStore,
    inbound_handler,
    reliable_event_handler,
    rpc,
    timer,
)
from shared.service_base import UnionService
from shared.validation import load

FISCAL_LINES = {
    "hardship_aid": ("困难职工帮扶 (county fiscal)", "budget.fiscal.hardship_aid_fen"),
    "warmth": ("送温暖 (county fiscal)", "budget.fiscal.warmth_fen"),
}
"""The county's yearly fiscal lines (notice 十二) and the parameters of their amounts."""

LINE_ATTEMPTS = 30
"""A busy line sees many concurrent requests; each conflict re-decides on fresh state."""


class Funds(UnionService):
    name = "funds"
    attempts = LINE_ATTEMPTS

    store: ServiceStore = EventStoreProvider(EVENTS)

    # -- budget lines --------------------------------------------------------

    @rpc
    def open_fiscal_year(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Allocate the county's fiscal lines for a year at the amounts policy gives."""
        year = load(cmd.OpenFiscalYear(), payload, "open_fiscal_year")["fiscal_year"]
        out = []
        for line, (name, key) in FISCAL_LINES.items():
            amount, version = POLICY.number(key, date(year, 1, 1))
            c = d.Allocate(year, line, name, "fiscal_allocation", amount, "notice 十二", version)
            self._line(year, line, c, f"open-year:{year}:{line}")
            out.append({"line": line, "amount_fen": amount, "policy_version": version})
        return out

    @rpc
    def allocate(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Allocate(), payload, "allocate")
        c = d.Allocate(
            p["fiscal_year"], p["line"], p["name"], p["source"], p["amount_fen"], p["basis"]
        )
        done = self._line(p["fiscal_year"], p["line"], c, f"allocate:{p['appropriation_id']}")
        return _line_summary(done.state)

    @rpc
    def reserve_funds(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Reserve on a line; the answer says reserved or refused (and what is left)."""
        p = load(cmd.ReservationRequest(), payload, "reserve_funds")
        return self._reserve(p, self.context.actor or "unknown")

    @rpc
    def confirm_spend(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Record the spend against its reservation and post its voucher, together."""
        p = load(cmd.SpendReport(), payload, "confirm_spend")
        with self.store.pool.connection() as conn, conn.transaction():
            done = self._spend(p, conn)
        return _line_summary(done.state)

    @rpc
    def release_reservation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ReleaseRequest(), payload, "release_reservation")
        c = d.Release(p["request_id"], p["reason"])
        done = self._line(p["fiscal_year"], p["line"], c, f"release:{p['request_id']}")
        return _line_summary(done.state)

    @rpc
    def request_adjustment(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.AdjustmentRequest(), payload, "request_adjustment")
        actor = self.context.metadata()["actor"]
        c = d.RequestAdjustment(p["adjustment_id"], p["delta_fen"], p["reason"], actor)
        done = self._line(p["fiscal_year"], p["line"], c, f"adjust:{p['adjustment_id']}")
        return _line_summary(done.state)

    @rpc
    def approve_adjustment(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.AdjustmentApproval(), payload, "approve_adjustment")
        actor = self.context.metadata()["actor"]
        c = d.ApproveAdjustment(p["adjustment_id"], actor)
        done = self._line(p["fiscal_year"], p["line"], c, f"approve:{p['adjustment_id']}")
        return _line_summary(done.state)

    @rpc
    def request_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Move money between lines: an adjustment out of one and into the other, pending."""
        p = load(cmd.TransferRequest(), payload, "request_transfer")
        actor = self.context.metadata()["actor"]
        why = f"transfer {p['transfer_id']} {p['from_line']} -> {p['to_line']}: {p['reason']}"
        with self.store.pool.connection() as conn, conn.transaction():
            for line, delta, leg in _legs(p):
                c = d.RequestAdjustment(
                    f"{p['transfer_id']}:{leg}", delta, why, actor, p["transfer_id"]
                )
                self._line(p["fiscal_year"], line, c, f"transfer:{p['transfer_id']}:{leg}", conn)
        return {"transfer_id": p["transfer_id"], "status": "pending approval"}

    @rpc
    def approve_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A second person approves both legs together, or neither is applied."""
        p = load(cmd.TransferApproval(), payload, "approve_transfer")
        actor = self.context.metadata()["actor"]
        with self.store.pool.connection() as conn, conn.transaction():
            for line, _, leg in _legs(p):
                c = d.ApproveAdjustment(f"{p['transfer_id']}:{leg}", actor, p["transfer_id"])
                key = f"transfer-approve:{p['transfer_id']}:{leg}"
                self._line(p["fiscal_year"], line, c, key, conn)
        return {"transfer_id": p["transfer_id"], "status": "applied"}

    @rpc
    def budget_execution(self, fiscal_year: int) -> list[dict[str, Any]]:
        """Per line and month: allocated, reserved, spent, released, refused (count, fen)."""
        return projections.budget_execution(self.store.store, int(fiscal_year))

    # -- dues ---------------------------------------------------------------

    @rpc
    def declare_payroll(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PayrollDeclaration(), payload, "declare_payroll")
        c = d.DeclarePayroll(p["employer_id"], p["period"], p["kind"], p["payroll_fen"])
        # Keyed by the call: a correction back to an earlier figure is a new decision.
        self._account(p["employer_id"], c, f"payroll:{self._call_key()}")
        return projections.dues_reconciliation(self.store.store, p["employer_id"])

    @rpc
    def record_collection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Collection(), payload, "record_collection")
        c = d.RecordCollection(
            p["employer_id"],
            p["period"],
            p["kind"],
            p["channel"],
            p["payroll_fen"],
            p["amount_fen"],
            p["voucher_no"],
            p["collected_on"],
        )
        with self.store.pool.connection() as conn, conn.transaction():
            self._collect(c, f"collection:{p['voucher_no']}", conn)
        return projections.dues_reconciliation(self.store.store, p["employer_id"])

    def _collect(self, c: d.RecordCollection, command_id: str, conn: psycopg.Connection) -> None:
        """Record money collected for an employer, and its voucher."""
        done = self._account(c.employer_id, c, command_id, conn)
        ref = f"{c.employer_id}-{c.voucher_no}"
        if postings := books.collection(done.events, f"{c.channel} {c.voucher_no}"):
            self._voucher(f"DUES-{ref}", postings, c.employer_id, conn)
        if postings := books.refunds(done.events):
            self._voucher(f"REFUND-{ref}", postings, c.employer_id, conn)

    @rpc
    def declare_school_budget(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Notice 十一: a 完职师 school's yearly budgeted union funds; 40 % is owed upward."""
        p = load(cmd.SchoolBudget(), payload, "declare_school_budget")
        c = d.DeclareSchoolBudget(
            p["employer_id"], p["fiscal_year"], p["budgeted_fen"], self.clock.now().date()
        )
        stream = d.account_stream(p["employer_id"])
        with self.store.pool.connection() as conn, conn.transaction():
            prior = load_stream(self.store.store, d.DUES_ACCOUNT, stream, conn).state
            before = prior.school_owed.get(p["fiscal_year"], 0)
            done = self._account(p["employer_id"], c, f"school-budget:{self._call_key()}", conn)
            for e in done.events:
                if isinstance(e, EducationTransferAssessed) and e.amount_fen != before:
                    postings = books.education_transfer(e.amount_fen - before, e.fiscal_year)
                    vid = f"EDU-{p['employer_id']}-{e.fiscal_year}-{self._call_key()}"
                    self._voucher(vid, postings, p["employer_id"], conn)
        return projections.dues_reconciliation(self.store.store, p["employer_id"])

    @rpc
    def record_dues_transfer(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Pay a grassroots union its share (down) or the higher levels theirs (up)."""
        p = load(cmd.DuesTransfer(), payload, "record_dues_transfer")
        c = d.TransferDues(
            p["employer_id"],
            p["direction"],
            p["amount_fen"],
            p["to"],
            p["voucher_ref"],
            p["transferred_on"],
        )
        with self.store.pool.connection() as conn, conn.transaction():
            key = f"transfer-dues:{p['voucher_ref']}"
            done = self._account(p["employer_id"], c, key, conn)
            if done.events:
                memo = f"dues {p['direction']} to {p['to']}"
                postings = books.dues_transfer(
                    p["direction"], p["amount_fen"], memo, p["voucher_ref"]
                )
                vid = f"TRANSFER-{p['employer_id']}-{p['voucher_ref']}"
                self._voucher(vid, postings, p["employer_id"], conn)
        return projections.dues_reconciliation(self.store.store, p["employer_id"])

    @rpc
    def dues_reconciliation(self, employer_id: str) -> dict[str, Any]:
        return projections.dues_reconciliation(self.store.store, str(employer_id))

    @inbound_handler(DUES_COLLECTED)
    def on_dues_collected(self, message: InboundMessage) -> None:
        p = message.data
        c = d.RecordCollection(
            p["employer_id"],
            p["period"],
            p["kind"],
            "tax",
            p["payroll_base_fen"],
            p["amount_fen"],
            p["tax_voucher_no"],
            p["collected_on"],
        )
        self._react(
            message,
            "on_dues_collected",
            lambda conn: self._collect(c, f"tax:{message.message_id}", conn),
        )

    @reliable_event_handler("orgs", "UnionFounded")
    def on_union_founded(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionFounded, envelope)

        def convert(conn: psycopg.Connection) -> None:
            _hold_unions(conn)
            ended = self._union_facts(p["union_id"], conn).ended is not None
            for employer in p["employer_ids"]:
                c = d.ConvertAccount(employer, p["union_id"], p["founded_on"], union_ended=ended)
                done = self._account(employer, c, f"founded:{envelope.event_id}", conn)
                refunds = books.refunds(done.events)
                if refunds:
                    vid = f"REFUND-{employer}-{p['union_id']}"
                    self._voucher(vid, refunds, employer, conn)
                # The union may have ended already: orgs' messages reach funds' handlers
                # in no guaranteed order.
                self._follow_endings(employer, done.state, conn)

        self._react(envelope, "on_union_founded", convert)

    @reliable_event_handler("orgs", "UnionMerged")
    def on_union_merged(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionMerged, envelope)
        ending = d.NoteUnionEnding(p["union_id"], p["into_union_id"], p["reason"], p["merged_on"])
        self._react(envelope, "on_union_merged", lambda conn: self._union_ended(ending, conn))

    @reliable_event_handler("orgs", "UnionDissolved")
    def on_union_dissolved(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionDissolved, envelope)
        ending = d.NoteUnionEnding(p["union_id"], None, p["reason"], p["dissolved_on"])
        self._react(envelope, "on_union_dissolved", lambda conn: self._union_ended(ending, conn))

    @reliable_event_handler("orgs", "UnionSectorAssigned")
    def on_union_sector_assigned(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionSectorAssigned, envelope)
        union_id = p["union_id"]

        def assign(conn: psycopg.Connection) -> None:
            _hold_unions(conn)
            # Its founding employers not converted yet, and every account with it now
            # (those of unions merged into it too); not those that have moved on.
            unions = {
                e: a.union_id for e, a in projections.accounts(self.store.store, conn).items()
            }
            founding = [e for e in p["employer_ids"] if unions.get(e) in (None, union_id)]
            employers = sorted({*founding, *(e for e, u in unions.items() if u == union_id)})
            note = d.NoteUnionSector(union_id, p["sector"])
            self._execute(
                d.UNION_RECORD, d.union_stream(union_id), note, f"sector:{envelope.event_id}", conn
            )
            for employer in employers:
                c = d.AssignSector(employer, p["sector"])
                self._account(employer, c, f"sector:{envelope.event_id}", conn)

        self._react(envelope, "on_union_sector_assigned", assign)

    def _union_ended(self, ending: d.NoteUnionEnding, conn: psycopg.Connection) -> None:
        """Note the ending, then move every account with the union along it."""
        _hold_unions(conn)
        # Read before the first append, as the lock is (see _hold_unions).
        with_union = {
            employer: account
            for employer, account in projections.accounts(self.store.store, conn).items()
            if account.union_id == ending.union_id
        }
        self._execute(d.UNION_RECORD, d.union_stream(ending.union_id), ending, "ending", conn)
        for employer, account in with_union.items():
            self._follow_endings(employer, account, conn)

    def _follow_endings(self, employer: str, state: d.Account, conn: psycopg.Connection) -> None:
        """Move the account along each ending funds has noted, one union after another."""
        seen: set[str] = set()
        while state.union_id is not None and state.union_id not in seen:
            union = state.union_id
            seen.add(union)
            ended = self._union_facts(union, conn).ended
            if ended is None:
                return
            into = ended.into_union_id
            sector = self._union_facts(into, conn).sector if into is not None else None
            c = d.FollowUnion(employer, union, into, ended.reason, ended.ended_on, sector)
            done = self._account(employer, c, f"follow:{union}", conn)
            held = books.union_ended(done.events)
            if held:
                self._voucher(f"ENDED-{employer}-{union}", held, employer, conn)
            state = done.state

    def _union_facts(self, union_id: str, conn: psycopg.Connection) -> d.UnionFacts:
        return load_stream(self.store.store, d.UNION_RECORD, d.union_stream(union_id), conn).state

    # -- ledger, assets, grants, the service centre ------------------------------

    @rpc
    def post_voucher(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.VoucherIn(), payload, "post_voucher")
        postings = tuple(
            Posting(x["account"], x["debit_fen"], x["credit_fen"], x["memo"]) for x in p["postings"]
        )
        c = lg.PostVoucher(p["voucher_id"], p["booked_on"], postings, p["reference"])
        year = p["booked_on"].year
        self._execute(lg.LEDGER, lg.ledger_stream(year), c, f"voucher:{p['voucher_id']}")
        return projections.trial_balance(self.store.store, year)

    @rpc
    def reverse_voucher(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.VoucherReversal(), payload, "reverse_voucher")
        c = lg.ReverseVoucher(p["voucher_id"], p["reversal_id"], p["booked_on"], p["reason"])
        year = p["fiscal_year"]
        self._execute(lg.LEDGER, lg.ledger_stream(year), c, f"reverse:{p['voucher_id']}")
        return projections.trial_balance(self.store.store, year)

    @rpc
    def close_period(self, payload: dict[str, Any]) -> dict[str, Any]:
        period = load(cmd.PeriodClose(), payload, "close_period")["period"]
        year = int(period[:4])
        self._execute(lg.LEDGER, lg.ledger_stream(year), lg.ClosePeriod(period), f"close:{period}")
        return projections.trial_balance(self.store.store, year)

    @rpc
    def trial_balance(self, fiscal_year: int) -> dict[str, Any]:
        return projections.trial_balance(self.store.store, int(fiscal_year))

    @rpc
    def request_asset_change(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.AssetChange(), payload, "request_asset_change")
        c = lg.RequestAssetChange(
            p["request_id"],
            p["change"],
            p["name"],
            p["category"],
            p["value_fen"],
            p["holder"],
            p["holder_kind"],
            p["purpose"],
            self.context.metadata()["actor"],
        )
        stream = lg.asset_stream(p["asset_id"])
        done = self._execute(lg.ASSET, stream, c, f"asset:{p['request_id']}")
        return {"asset_id": p["asset_id"], "recorded": [type(e).__name__ for e in done.events]}

    @rpc
    def approve_asset_change(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.AssetApproval(), payload, "approve_asset_change")
        c = lg.ApproveAssetChange(p["request_id"], self.context.metadata()["actor"])
        stream = lg.asset_stream(p["asset_id"])
        done = self._execute(lg.ASSET, stream, c, f"asset-approve:{p['request_id']}")
        return {"asset_id": p["asset_id"], "holder": done.state.holder, "exists": done.state.exists}

    @rpc
    def asset_register(self) -> list[dict[str, Any]]:
        return projections.asset_register(self.store.store)

    @rpc
    def commit_grant(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.GrantCommitment(), payload, "commit_grant")
        with self.store.pool.connection() as conn, conn.transaction():
            self._commit_grant(p, conn)
        return _line_summary(self._line_state(p["fiscal_year"], p["line"]))

    @rpc
    def receive_grant(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.GrantReceipt(), payload, "receive_grant")
        c = lg.ReceiveGrant(p["grant_id"], p["amount_fen"], p["voucher_ref"], p["received_on"])
        stream = lg.grant_stream(p["grant_id"])
        with self.store.pool.connection() as conn, conn.transaction():
            done = self._execute(lg.GRANT, stream, c, f"grant-in:{p['voucher_ref']}", conn)
            if done.events:
                memo = f"grant {p['grant_id']}"
                postings = books.received("4201", p["amount_fen"], memo, p["voucher_ref"])
                vid = f"GRANT-{p['grant_id']}-{p['voucher_ref']}"
                self._voucher(vid, postings, p["grant_id"], conn)
        state = done.state
        return {
            "grant_id": p["grant_id"],
            "committed_fen": state.committed,
            "received_fen": state.received,
        }

    @reliable_event_handler("orgs", "JointMeetingDecisionRecorded")
    def on_joint_meeting_decision(self, envelope: Envelope) -> None:
        """Flow F15: money the county commits at the joint meeting reaches its budget line."""
        p = _data(cmd.JointMeetingDecision, envelope)
        impact = p["budget_impact"]
        if impact is None:
            return
        grant = {
            "grant_id": f"JM-{p['decision_id']}",
            "fiscal_year": impact["fiscal_year"],
            "line": impact["line"],
            "amount_fen": impact["amount_fen"],
            "decision_ref": f"orgs:{envelope.stream_id}:{p['decision_id']}",
            "name": impact["name"],
        }
        self._react(
            envelope, "on_joint_meeting_decision", lambda conn: self._commit_grant(grant, conn)
        )

    def _commit_grant(self, p: dict[str, Any], conn: psycopg.Connection) -> None:
        c = lg.CommitGrant(
            p["grant_id"], p["fiscal_year"], p["line"], p["amount_fen"], p["decision_ref"]
        )
        stream = lg.grant_stream(p["grant_id"])
        done = self._execute(lg.GRANT, stream, c, f"grant:{p['grant_id']}", conn)
        if done.events:
            name = p.get("name") or FISCAL_LINES.get(p["line"], (p["line"], ""))[0]
            a = d.Allocate(
                p["fiscal_year"],
                p["line"],
                name,
                "fiscal_allocation",
                p["amount_fen"],
                p["decision_ref"],
                grant_id=p["grant_id"],
            )
            self._line(p["fiscal_year"], p["line"], a, f"grant-allocate:{p['grant_id']}", conn)

    @rpc
    def commit_project_funds(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProjectCommitment(), payload, "commit_project_funds")
        c = lg.CommitProjectFunds(p["project_id"], p["amount_fen"], p["source"])
        key = f"project:{p['project_id']}:{p['commitment_id']}"
        done = self._execute(lg.PROJECT, lg.project_stream(p["project_id"]), c, key)
        return _project(done.state)

    @rpc
    def record_project_spend(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProjectSpend(), payload, "record_project_spend")
        c = lg.RecordProjectSpend(
            p["project_id"], p["amount_fen"], p["milestone"], p["voucher_ref"]
        )
        stream = lg.project_stream(p["project_id"])
        with self.store.pool.connection() as conn, conn.transaction():
            done = self._execute(lg.PROJECT, stream, c, f"project-spend:{p['voucher_ref']}", conn)
            if done.events:
                memo = f"{p['project_id']} {p['milestone']}"
                postings = books.paid("5301", p["amount_fen"], memo, p["voucher_ref"])
                vid = f"PROJECT-{p['project_id']}-{p['voucher_ref']}"
                self._voucher(vid, postings, p["project_id"], conn)
        return _project(done.state)

    @rpc
    def reach_milestone(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Milestone(), payload, "reach_milestone")
        c = lg.ReachMilestone(p["project_id"], p["milestone"], p["reached_on"])
        key = f"milestone:{p['project_id']}:{p['milestone']}"
        done = self._execute(lg.PROJECT, lg.project_stream(p["project_id"]), c, key)
        return _project(done.state)

    # -- sagas of other services -----------------------------------------------

    @reliable_event_handler("aid", "FundsReservationRequested")
    def on_aid_reservation(self, envelope: Envelope) -> None:
        self._reservation_requested(envelope, "on_aid_reservation")

    @reliable_event_handler("competitions", "FundsReservationRequested")
    def on_competitions_reservation(self, envelope: Envelope) -> None:
        self._reservation_requested(envelope, "on_competitions_reservation")

    @reliable_event_handler("aid", "FundsReleaseRequested")
    def on_aid_release(self, envelope: Envelope) -> None:
        self._release_requested(envelope, "on_aid_release")

    @reliable_event_handler("competitions", "FundsReleaseRequested")
    def on_competitions_release(self, envelope: Envelope) -> None:
        self._release_requested(envelope, "on_competitions_release")

    @reliable_event_handler("aid", "FundsSpendReported")
    def on_aid_spend(self, envelope: Envelope) -> None:
        self._spend_reported(envelope, "on_aid_spend")

    @reliable_event_handler("competitions", "FundsSpendReported")
    def on_competitions_spend(self, envelope: Envelope) -> None:
        self._spend_reported(envelope, "on_competitions_spend")

    # -- deadlines ----------------------------------------------------------------

    @rpc
    def run_deadlines(self) -> dict[str, int]:
        """What the hourly timers do, now (operators, and tests on a set clock)."""
        return {"expired": self.expire_reservations(), "arrears": self.detect_arrears()}

    @timer(interval=3600)
    def expire_reservations(self) -> int:
        today = self.clock.now().date()
        expired = 0
        for year, line in projections.lines(self.store.store, (today.year - 1, today.year)):
            c = d.ExpireReservations(today)
            done = self._line(year, line, c, f"expire:{year}:{line}:{today.isoformat()}")
            expired += len(done.events)
        return expired

    @timer(interval=3600)
    def detect_arrears(self) -> int:
        today = self.clock.now().date()
        flagged = 0
        for employer in projections.employers(self.store.store):
            c = d.DetectArrears(today)
            done = self._account(employer, c, f"arrears:{employer}:{today.isoformat()}")
            flagged += len(done.events)
        return flagged

    # -- the steps every command takes -----------------------------------------------

    def _reserve(
        self, p: dict[str, Any], requester: str, conn: psycopg.Connection | None = None
    ) -> dict[str, Any]:
        c = d.Reserve(
            p["request_id"],
            p["amount_fen"],
            p["reference"],
            requester,
            self.clock.now().date(),
            hold_until=p.get("hold_until"),
        )
        done = self._line(p["fiscal_year"], p["line"], c, f"reserve:{p['request_id']}", conn)
        answer = projections.first_answer(done.events) or projections.reservation_answer(
            self.store.store, d.line_stream(p["fiscal_year"], p["line"]), p["request_id"]
        )
        return answer

    def _reservation_requested(self, envelope: Envelope, handler: str) -> None:
        p = _saga(cmd.ReservationRequest, envelope)
        requester = f"{envelope.source}:{envelope.actor}"
        self._react(envelope, handler, lambda conn: self._reserve(p, requester, conn))

    def _release_requested(self, envelope: Envelope, handler: str) -> None:
        p = _saga(cmd.ReleaseRequest, envelope)
        c = d.Release(p["request_id"], p["reason"], answer_refusal=True)
        # Keyed by the message, not the request: a release that arrived before its
        # reservation (another queue) was refused, and a second one must still apply.
        key = f"release:{envelope.event_id}"
        self._react(
            envelope, handler, lambda conn: self._line(p["fiscal_year"], p["line"], c, key, conn)
        )

    def _spend_reported(self, envelope: Envelope, handler: str) -> None:
        p = _saga(cmd.SpendReport, envelope)
        self._react(envelope, handler, lambda conn: self._spend(p, conn, answer_refusal=True))

    def _spend(
        self, p: dict[str, Any], conn: psycopg.Connection, *, answer_refusal: bool = False
    ) -> Executed[d.Line, object]:
        c = d.ConfirmSpend(p["request_id"], p["amount_fen"], p["voucher_ref"], answer_refusal)
        done = self._line(p["fiscal_year"], p["line"], c, f"spend:{p['request_id']}", conn)
        if any(isinstance(e, ExpenditureRecorded) for e in done.events) and p["amount_fen"] > 0:
            # Audit need 2 (§4.5): every yuan paid out ends in a voucher.
            memo = f"{p['line']} {p['request_id']}"
            postings = books.spend(p["line"], p["amount_fen"], memo, p["voucher_ref"])
            vid = f"SPEND-{p['fiscal_year']}-{p['line']}-{p['request_id']}"
            self._voucher(vid, postings, p["request_id"], conn)
        return done

    def _react(
        self,
        message: Envelope | InboundMessage,
        handler: str,
        fn: Callable[[psycopg.Connection], Any],
    ) -> None:
        self.store.once(message, handler, fn)

    def _voucher(
        self,
        voucher_id: str,
        postings: tuple[Posting, ...],
        reference: str,
        conn: psycopg.Connection,
    ) -> None:
        today = self.clock.now().date()
        c = lg.PostVoucher(voucher_id, today, postings, reference)
        self._execute(lg.LEDGER, lg.ledger_stream(today.year), c, f"voucher:{voucher_id}", conn)

    def _line_state(self, year: int, line: str) -> d.Line:
        return load_stream(self.store.store, d.BUDGET_LINE, d.line_stream(year, line)).state

    def _line(
        self,
        year: int,
        line: str,
        command: object,
        command_id: str,
        conn: psycopg.Connection | None = None,
    ) -> Executed[d.Line, object]:
        return self._execute(d.BUDGET_LINE, d.line_stream(year, line), command, command_id, conn)

    def _account(
        self,
        employer: str,
        command: object,
        command_id: str,
        conn: psycopg.Connection | None = None,
    ) -> Executed[d.Account, object]:
        return self._execute(d.DUES_ACCOUNT, d.account_stream(employer), command, command_id, conn)


UNION_LOCK = 0x66756E64756E696F
"""Advisory lock key held while funds changes which union an account is with."""


def _hold_unions(conn: psycopg.Connection) -> None:
    """Serialise foundings, endings and sectors, before the transaction's first append.

    Without it, an ending noted while a founding converts an account in another
    transaction would see neither the other's write, and the account would stay
    with a union that has ended. Taken first, as every append takes the log's
    lock until commit: taken after an append, it could deadlock with that.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (UNION_LOCK,))


def _saga(schema: type[Schema], envelope: Envelope) -> dict[str, Any]:
    """A saga request: its id is the source's, so two services' ids never meet."""
    p = _data(schema, envelope)
    return {**p, "request_id": f"{envelope.source}:{p['request_id']}"}


def _data(schema: type[Schema], envelope: Envelope) -> dict[str, Any]:
    """The part of another service's event funds reads; more fields are ignored."""
    loaded: dict[str, Any] = load(schema(unknown=EXCLUDE), envelope.data, envelope.event_type)
    return loaded


def _legs(p: dict[str, Any]) -> list[tuple[str, int, str]]:
    amount = p.get("amount_fen", 0)
    return [(p["from_line"], -amount, "out"), (p["to_line"], amount, "in")]


def _project(state: lg.Project) -> dict[str, Any]:
    return {
        "committed_fen": state.committed,
        "spent_fen": state.spent,
        "milestones": sorted(state.milestones),
    }


def _line_summary(state: d.Line) -> dict[str, Any]:
    return {
        "allocated_fen": state.allocated,
        "reserved_fen": state.reserved,
        "spent_fen": state.spent,
        "released_fen": state.released,
        "available_fen": state.available,
        "refused_count": state.refused_count,
        "refused_fen": state.refused_fen,
        "pending_adjustments": sorted(state.pending),
    }
