"""The funds service under nameko: validate, load, decide, append, answer.

Run: ``nameko run --config services/funds/config.yaml services.funds.service:Funds``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg
from marshmallow import EXCLUDE, Schema

from services.funds import commands as cmd
from services.funds import domain as d
from services.funds import projections
from services.funds.contract import DUES_COLLECTED
from services.funds.events import EVENTS
from services.funds.policy import POLICY
from shared.decider import Decider, Executed, execute
from shared.envelope import Envelope
from shared.nameko_ext import (
    CallContext,
    ClockProvider,
    ContextProvider,
    EventStoreProvider,
    InboundMessage,
    RelayProvider,
    ServiceStore,
    SettableClock,
    inbound_handler,
    reliable_event_handler,
    rpc,
    timer,
)
from shared.validation import load

FISCAL_LINES = {
    "hardship_aid": ("困难职工帮扶 (county fiscal)", "budget.fiscal.hardship_aid_fen"),
    "warmth": ("送温暖 (county fiscal)", "budget.fiscal.warmth_fen"),
}
"""The county's yearly fiscal lines (notice 十二) and the parameters of their amounts."""

LINE_ATTEMPTS = 30
"""A busy line sees many concurrent requests; each conflict re-decides on fresh state."""


class Funds:
    name = "funds"

    # Each provider injects the object named in its annotation into workers.
    store: ServiceStore = EventStoreProvider(EVENTS)
    relay = RelayProvider()
    context: CallContext = ContextProvider()
    clock: SettableClock = ClockProvider()

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
        p = load(cmd.SpendReport(), payload, "confirm_spend")
        c = d.ConfirmSpend(p["request_id"], p["amount_fen"], p["voucher_ref"])
        done = self._line(p["fiscal_year"], p["line"], c, f"spend:{p['request_id']}")
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
    def budget_execution(self, fiscal_year: int) -> list[dict[str, Any]]:
        """Per line and month: allocated, reserved, spent, released, refused (count, fen)."""
        return projections.budget_execution(self.store.store, int(fiscal_year))

    # -- dues ---------------------------------------------------------------

    @rpc
    def declare_payroll(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PayrollDeclaration(), payload, "declare_payroll")
        c = d.DeclarePayroll(
            p["employer_id"], p["period"], p["kind"], p["payroll_fen"], self.clock.now().date()
        )
        key = f"payroll:{p['employer_id']}:{p['period']}"
        self._account(p["employer_id"], c, key)
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
        self._account(p["employer_id"], c, f"collection:{p['voucher_no']}")
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
            lambda conn: self._account(p["employer_id"], c, f"tax:{message.message_id}", conn),
        )

    @reliable_event_handler("orgs", "UnionFounded")
    def on_union_founded(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionFounded, envelope)

        def convert(conn: psycopg.Connection) -> None:
            for employer in p["employer_ids"]:
                c = d.ConvertAccount(employer, p["union_id"], p["founded_on"])
                self._account(employer, c, f"founded:{envelope.event_id}", conn)

        self._react(envelope, "on_union_founded", convert)

    @reliable_event_handler("orgs", "UnionSectorAssigned")
    def on_union_sector_assigned(self, envelope: Envelope) -> None:
        p = _data(cmd.UnionSectorAssigned, envelope)

        def assign(conn: psycopg.Connection) -> None:
            for employer in p["employer_ids"]:
                c = d.AssignSector(employer, p["sector"])
                self._account(employer, c, f"sector:{envelope.event_id}", conn)

        self._react(envelope, "on_union_sector_assigned", assign)

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

    @timer(interval=3600)
    def expire_reservations(self) -> None:
        today = self.clock.now().date()
        for year, line in projections.lines(self.store.store, (today.year - 1, today.year)):
            c = d.ExpireReservations(today)
            self._line(year, line, c, f"expire:{year}:{line}:{today.isoformat()}")

    @timer(interval=3600)
    def detect_arrears(self) -> None:
        today = self.clock.now().date()
        for employer in projections.employers(self.store.store):
            c = d.DetectArrears(today)
            self._account(employer, c, f"arrears:{employer}:{today.isoformat()}")

    # -- the steps every command takes -----------------------------------------------

    def _reserve(
        self, p: dict[str, Any], requester: str, conn: psycopg.Connection | None = None
    ) -> dict[str, Any]:
        c = d.Reserve(
            p["request_id"], p["amount_fen"], p["reference"], requester, self.clock.now().date()
        )
        done = self._line(p["fiscal_year"], p["line"], c, f"reserve:{p['request_id']}", conn)
        answer = projections.first_answer(done.events) or projections.reservation_answer(
            self.store.store, d.line_stream(p["fiscal_year"], p["line"]), p["request_id"]
        )
        return answer

    def _reservation_requested(self, envelope: Envelope, handler: str) -> None:
        p = _data(cmd.ReservationRequest, envelope)
        requester = f"{envelope.source}:{envelope.actor}"
        self._react(envelope, handler, lambda conn: self._reserve(p, requester, conn))

    def _release_requested(self, envelope: Envelope, handler: str) -> None:
        p = _data(cmd.ReleaseRequest, envelope)
        c = d.Release(p["request_id"], p["reason"])
        key = f"release:{p['request_id']}"
        self._react(
            envelope, handler, lambda conn: self._line(p["fiscal_year"], p["line"], c, key, conn)
        )

    def _spend_reported(self, envelope: Envelope, handler: str) -> None:
        p = _data(cmd.SpendReport, envelope)
        c = d.ConfirmSpend(p["request_id"], p["amount_fen"], p["voucher_ref"])
        key = f"spend:{p['request_id']}"
        self._react(
            envelope, handler, lambda conn: self._line(p["fiscal_year"], p["line"], c, key, conn)
        )

    def _react(
        self,
        message: Envelope | InboundMessage,
        handler: str,
        fn: Callable[[psycopg.Connection], Any],
    ) -> None:
        self.store.once(message, handler, fn)

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

    def _execute(
        self,
        decider: Decider[object, Any, object],
        stream: str,
        command: object,
        command_id: str,
        conn: psycopg.Connection | None,
    ) -> Executed[Any, object]:
        meta = self.context.metadata(command_type=type(command).__name__)
        return execute(
            self.store.store,
            decider,
            stream,
            command,
            command_id=command_id,
            metadata=meta,
            max_attempts=LINE_ATTEMPTS,
            conn=conn,
        )


def _data(schema: type[Schema], envelope: Envelope) -> dict[str, Any]:
    """The part of another service's event funds reads; more fields are ignored."""
    loaded: dict[str, Any] = load(schema(unknown=EXCLUDE), envelope.data, envelope.event_type)
    return loaded


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
