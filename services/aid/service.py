"""The aid service under nameko: validate, load, decide, append, answer.

Run: ``nameko run --config services/aid/config.yaml services.aid.service:Aid``.

Personal values go to the vault in the same transaction as the events that
say they were stored; every read of them is an event too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from marshmallow import EXCLUDE, Schema

from services.aid import commands as cmd
from services.aid import domain as d
from services.aid import programmes as pg
from services.aid import projections
from services.aid.contract import ALLOWANCE_STATUS, INCOME_VERIFIED
from services.aid.events import EVENTS
from services.aid.policy import POLICY, line_of, repeatable
from shared import privacy
from shared.decider import Executed
from shared.decider import load as load_stream
from shared.envelope import Envelope
from shared.errors import DomainError
from shared.nameko_ext import (
    EventStoreProvider,
    InboundMessage,
    ServiceStore,
    VaultProvider,
    inbound_handler,
    reliable_event_handler,
    rpc,
    timer,
)
from shared.service_base import UnionService
from shared.validation import load
from shared.vault import Vault

log = logging.getLogger(__name__)

CUSTODY = "county-assistance-centre"
"""Who keeps a dissolved union's files (困难职工档案管理办法: the 帮扶中心)."""


class Aid(UnionService):
    name = "aid"

    store: ServiceStore = EventStoreProvider(EVENTS)
    vault: Vault = VaultProvider()

    # -- hardship family files -------------------------------------------------------------

    @rpc
    def submit_application(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SubmitApplication(), payload, "submit_application")
        with self._tx() as conn:
            person = self._person(p["applicant_id"], conn)
            # Financial situation: the vault's, not the log's. Written even when empty, so
            # the newest version is always this application's.
            exclusions = sorted(set(p["exclusions"]))
            personal = {**p["personal"], "property_exclusions": exclusions}
            stored = self._put(conn, p["applicant_id"], personal, "hardship application")
            where = self.vault.refs(conn, p["applicant_id"], ("property_exclusions",))
            c = d.SubmitApplication(
                p["household_id"],
                p["applicant_id"],
                p["union_id"],
                tuple(p["member_ids"]),
                tuple(p["causes"]),
                p["temporary"],
                tuple(exclusions),
                where,
                p["migrant"],
                person.member_status == "active",
                stored,
                self._today(),
            )
            done = self._file(p["household_id"], c, f"submit:{self._call_key()}", conn)
        return _file_view(done.state)

    @rpc
    def review_application(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PreliminaryReview(), payload, "review_application")
        c = d.PreliminaryReview(p["passed"], p["opinion"], self._actor())
        return _file_view(self._file(p["household_id"], c, f"review:{self._call_key()}").state)

    @rpc
    def record_home_visit(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.HomeVisit(), payload, "record_home_visit")
        with self._tx() as conn:
            personal = {**p["personal"], "home_visit_findings": p["findings"]}
            stored = self._put(conn, p["household_id"], personal, "home visit")
            c = d.RecordHomeVisit(tuple(p["visitors"]), p["visited_on"], p["forms_signed"], stored)
            done = self._file(p["household_id"], c, f"visit:{self._call_key()}", conn)
        return _file_view(done.state)

    @rpc
    def request_income_verification(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Ask civil affairs (民政) to verify; the answer is an inbound message."""
        p = load(cmd.HouseholdRef(), payload, "request_income_verification")
        # One id per request, short enough for the contract's 64 characters whatever
        # the household id: a repeated verification must not reuse an earlier id.
        c = d.RequestVerification(f"IV-{uuid5(NAMESPACE_URL, self._call_key()).hex}")
        done = self._file(p["household_id"], c, f"verify:{self._call_key()}")
        return {**_file_view(done.state), "request_id": done.state.verification}

    @inbound_handler(INCOME_VERIFIED)
    def on_income_verified(self, message: InboundMessage) -> None:
        p = message.data
        household = p["household_ref"]

        def record(conn: psycopg.Connection) -> None:
            personal = {
                "household_size": p["household_size"],
                "per_capita_monthly_income_fen": p["per_capita_monthly_income_fen"],
            }
            self._put(conn, household, personal, "income verification by civil affairs")
            values = self._read_internal(
                conn, household, _FINANCES, "classification (困难职工档案管理办法)"
            )
            finances = d.HouseholdFinances(
                int(values.get("household_size", 1)),
                int(values.get("per_capita_monthly_income_fen", 0)),
                int(values.get("rigid_expenditure_yearly_fen", 0)),
                int(values.get("event_costs_yearly_fen", 0)),
                self.vault.refs(conn, household, _FINANCES),
            )
            c = d.RecordVerification(
                p["request_id"],
                p["result"],
                p["completed_on"],
                finances,
                _classifier(p["completed_on"]),
            )
            self._file(household, c, f"verified:{message.message_id}", conn)

        self.store.once(message, "on_income_verified", record)

    @inbound_handler(ALLOWANCE_STATUS)
    def on_allowance_status(self, message: InboundMessage) -> None:
        p = message.data
        household = p["household_ref"]

        def note(conn: psycopg.Connection) -> None:
            stream = pg.allowance_stream(household)
            # Held first: two statuses handled at once must not both pass the check below.
            self.vault.hold(conn, household)
            noted = load_stream(self.store.store, pg.ALLOWANCE, stream, conn).state
            if pg.is_stale(noted, p["effective_on"]):
                return  # the vault's newest version must stay the current status
            self._put(conn, household, {"dibao_status": p["status"]}, "低保 status from 民政")
            refs = self.vault.refs(conn, household, ("dibao_status",))
            c = pg.NoteAllowance(household, refs, p["effective_on"], p["dibao_standard_fen"])
            self._execute(pg.ALLOWANCE, stream, c, f"allowance:{message.message_id}", conn)

        self.store.once(message, "on_allowance_status", note)

    @rpc
    def start_public_notice(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PublicNotice(), payload, "start_public_notice")
        days, version = POLICY.number("aid.public_notice_days", p["starts_on"])
        with self._tx() as conn:
            file = self._file_state(p["household_id"], conn)
            name = self._read_internal(conn, file.applicant_id, ("name",), "公示 (masked)")
            masked = d.mask(str(name.get("name", "")))
            c = d.StartPublicNotice(p["starts_on"], p["channel"], masked, days, version)
            done = self._file(p["household_id"], c, f"notice:{self._call_key()}", conn)
        return _file_view(done.state)

    @rpc
    def raise_objection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Objection(), payload, "raise_objection")
        c = d.RaiseObjection(p["objection_id"], p["summary"])
        done = self._file(p["household_id"], c, f"objection:{p['objection_id']}")
        return _file_view(done.state)

    @rpc
    def close_public_notice(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CloseNotice(), payload, "close_public_notice")
        c = d.ClosePublicNotice(p["upheld"], p["finding"], self._today())
        return _file_view(self._file(p["household_id"], c, f"close:{self._call_key()}").state)

    @rpc
    def establish_file(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Establish(), payload, "establish_file")
        days, _ = POLICY.number("aid.annual_review_days", self._today())
        c = d.EstablishFile(p["category"], p["reason"], p["level"], self._today(), days)
        return _file_view(self._file(p["household_id"], c, f"establish:{self._call_key()}").state)

    @rpc
    def convert_temporary_file(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Convert(), payload, "convert_temporary_file")
        days, _ = POLICY.number("aid.annual_review_days", self._today())
        c = d.ConvertTemporary(p["category"], self._today(), days)
        return _file_view(self._file(p["household_id"], c, f"convert:{self._call_key()}").state)

    @rpc
    def reclassify(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Reclassify(), payload, "reclassify")
        c = d.Reclassify(p["category"], p["reason"])
        return _file_view(self._file(p["household_id"], c, f"reclassify:{self._call_key()}").state)

    @rpc
    def record_annual_review(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Review(), payload, "record_annual_review")
        days, _ = POLICY.number("aid.annual_review_days", self._today())
        c = d.RecordAnnualReview(p["finding"], self._today(), days)
        return _file_view(self._file(p["household_id"], c, f"annual:{self._call_key()}").state)

    @rpc
    def lift_out(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Closing(), payload, "lift_out")
        c = d.LiftOut(p["reason"], self._today())
        return _file_view(self._file(p["household_id"], c, f"lift:{self._call_key()}").state)

    @rpc
    def deregister_file(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Closing(), payload, "deregister_file")
        c = d.Deregister(p["reason"], self._today())
        return _file_view(self._file(p["household_id"], c, f"deregister:{self._call_key()}").state)

    @rpc
    def transfer_file(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Transfer(), payload, "transfer_file")
        c = d.TransferFile(p["to_union"], p["reason"])
        return _file_view(self._file(p["household_id"], c, f"transfer:{self._call_key()}").state)

    @rpc
    def hardship_file(self, household_id: str) -> dict[str, Any]:
        return _file_view(self._file_state(str(household_id)))

    @rpc
    def hardship_files(self, status: str | None = None) -> list[dict[str, Any]]:
        """The file register (no personal data): id, union, status, category, review due."""
        return projections.files(self.store.store, status)

    # -- assistance cases ------------------------------------------------------------------

    @rpc
    def request_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.RequestAid(), payload, "request_aid")
        with self._tx() as conn:
            self._request_aid(p, self._actor(), conn)
        return self._case_out(p["case_id"])

    def _request_aid(self, p: dict[str, Any], actor: str, conn: psycopg.Connection) -> None:
        on = date(p["fiscal_year"], 1, 1)
        line, line_version = line_of(p["programme"], on)
        again, again_version = repeatable(p["programme"], on)
        household = p.get("household_id")
        file_status = self._file_state(household, conn).status if household else None
        c = d.RequestAid(
            p["case_id"],
            p["programme"],
            p["person_id"],
            household,
            p["fiscal_year"],
            p["amount_fen"],
            line,
            p["reason"],
            actor,
            (line_version, again_version),
            p["programme"] in d.FILE_PROGRAMMES,
            file_status or None,
        )
        done = self._case(p["case_id"], c, f"request:{p['case_id']}", conn)
        if done.events and not again:
            # The guard stream serialises every request for this person, programme and year.
            stream = d.claim_stream(p["person_id"], p["programme"], p["fiscal_year"])
            claim = d.TakeClaim(p["case_id"], stream)
            self._execute(d.CLAIM, stream, claim, f"claim:{p['case_id']}", conn)

    @rpc
    def assess_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Assess(), payload, "assess_aid")
        c = d.AssessAid(self._actor(), p["amount_fen"], p["opinion"])
        self._case(p["case_id"], c, f"assess:{self._call_key()}")
        return self._case_out(p["case_id"])

    @rpc
    def approve_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Approval asks funds for the money; the case shows approved when funds says so."""
        p = load(cmd.CaseRef(), payload, "approve_aid")
        hours, _ = POLICY.number("aid.funds_reply_hours", self._today())
        c = d.ApproveAid(self._actor(), self.clock.now(), hours)
        self._case(p["case_id"], c, f"approve:{self._call_key()}")
        return self._case_out(p["case_id"])

    @rpc
    def order_payment(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CaseRef(), payload, "order_payment")
        with self._tx() as conn:
            case = self._case_state(p["case_id"], conn)
            refs = self.vault.refs(conn, case.person_id, ("bank_account",))
            c = d.OrderPayment(self._actor(), refs[0] if refs else "")
            self._case(p["case_id"], c, f"order:{self._call_key()}", conn)
        return self._case_out(p["case_id"])

    @rpc
    def record_disbursement(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Disbursement(), payload, "record_disbursement")
        c = d.RecordDisbursement(p["bank_ref"], p["disbursed_on"])
        self._case(p["case_id"], c, f"disburse:{p['bank_ref']}")
        return self._case_out(p["case_id"])

    @rpc
    def sign_receipt(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Receipt(), payload, "sign_receipt")
        c = d.SignReceipt(p["signed_on"], self._actor())
        self._case(p["case_id"], c, f"receipt:{self._call_key()}")
        return self._case_out(p["case_id"])

    @rpc
    def close_case(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CaseRef(), payload, "close_case")
        self._case(p["case_id"], d.CloseCase(self._today()), f"close:{self._call_key()}")
        return self._case_out(p["case_id"])

    @rpc
    def reject_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CaseReason(), payload, "reject_aid")
        self._end_case(p["case_id"], d.RejectAid(p["reason"], self._actor()))
        return self._case_out(p["case_id"])

    @rpc
    def cancel_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Cancel; a reservation held or asked for is released (the saga's compensation)."""
        p = load(cmd.CaseReason(), payload, "cancel_aid")
        self._end_case(p["case_id"], d.CancelAid(p["reason"], self._actor()))
        return self._case_out(p["case_id"])

    def _end_case(self, case_id: str, c: object) -> None:
        with self._tx() as conn:
            done = self._case(case_id, c, f"end:{self._call_key()}", conn)
            s = done.state
            stream = d.claim_stream(s.person_id, s.programme, s.fiscal_year)
            self._execute(d.CLAIM, stream, d.ReleaseClaim(case_id), f"unclaim:{case_id}", conn)

    @rpc
    def order_recovery(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Recovery(), payload, "order_recovery")
        c = d.OrderRecovery(p["amount_fen"], p["reason"], self._actor())
        self._case(p["case_id"], c, f"recovery:{self._call_key()}")
        return self._case_out(p["case_id"])

    @rpc
    def record_recovery(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Recovered(), payload, "record_recovery")
        c = d.RecordRecovery(p["amount_fen"], p["voucher_ref"])
        self._case(p["case_id"], c, f"recovered:{p['voucher_ref']}")
        return self._case_out(p["case_id"])

    @rpc
    def assistance_case(self, case_id: str) -> dict[str, Any]:
        return self._case_out(str(case_id))

    def _case_out(self, case_id: str) -> dict[str, Any]:
        return _case_view(self._case_state(case_id))

    @rpc
    def assistance_cases(self, fiscal_year: int) -> list[dict[str, Any]]:
        """Every case of a year with its status; timed-out approvals are flagged."""
        return projections.cases(self.store.store, int(fiscal_year))

    # -- funds' answers (the saga's replies) -----------------------------------------------

    @reliable_event_handler("funds", "FundsReserved")
    def on_funds_reserved(self, envelope: Envelope) -> None:
        self._funds_answer(envelope, "on_funds_reserved", reserved=True)

    @reliable_event_handler("funds", "BudgetReservationRefused")
    def on_reservation_refused(self, envelope: Envelope) -> None:
        self._funds_answer(envelope, "on_reservation_refused", reserved=False)

    @reliable_event_handler("funds", "ReservationExpired")
    def on_reservation_expired(self, envelope: Envelope) -> None:
        p = _data(cmd.FundsAnswer, envelope)
        ours = _ours(p["reservation_id"])
        if ours is None or not ours.startswith("case:"):
            return
        case_id = ours[5:].rsplit(".", 1)[0]
        c = d.ReservationLapsed(ours)
        self.store.once(
            envelope,
            "on_reservation_expired",
            lambda conn: self._case(case_id, c, f"lapsed:{envelope.event_id}", conn),
        )

    def _funds_answer(self, envelope: Envelope, handler: str, *, reserved: bool) -> None:
        p = _data(cmd.FundsAnswer, envelope)
        ours = _ours(p["reservation_id"])
        if ours is None:
            return  # another service's reservation
        kind, _, rest = ours.partition(":")
        key = f"funds:{envelope.event_id}"
        reason = p["reason"] or ""
        detail = "" if reserved else f"available {p['available_fen']} fen"

        def answer(conn: psycopg.Connection) -> None:
            target = rest.rsplit(".", 1)[0]
            if kind == "case":
                c: object = d.FundsAnswer(ours, reserved, reason, detail)
                self._case(target, c, key, conn)
            elif kind == "campaign":
                c = pg.EnvelopeAnswer(ours, reserved, reason)
                self._execute(pg.CAMPAIGN, pg.campaign_stream(target), c, key, conn)
            elif kind == "recup":
                c = pg.RecuperationFunding(ours, reserved, reason)
                self._execute(pg.RECUPERATION, pg.recuperation_stream(rest), c, key, conn)

        self.store.once(envelope, handler, answer)

    # -- seasonal campaigns ----------------------------------------------------------------

    @rpc
    def plan_campaign(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PlanCampaign(), payload, "plan_campaign")
        programme = cmd.SEASON_PROGRAMME[p["season"]]
        line, _ = line_of(programme, date(p["fiscal_year"], 1, 1))
        c = pg.PlanCampaign(
            p["campaign_id"],
            p["season"],
            programme,
            p["fiscal_year"],
            p["envelope_fen"],
            line,
            p["opens_on"],
            p["closes_on"],
        )
        return self._campaign(p["campaign_id"], c, f"plan:{p['campaign_id']}")

    @rpc
    def open_campaign(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CampaignRef(), payload, "open_campaign")
        days, _ = POLICY.number("aid.campaign_settle_days", self._today())
        c = pg.OpenCampaign(self._today(), days)
        return self._campaign(p["campaign_id"], c, f"open:{self._call_key()}")

    @rpc
    def add_beneficiary(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Beneficiary(), payload, "add_beneficiary")
        with self._tx() as conn:
            status = self._file_state(p["household_id"], conn).status or None
            c = pg.AddBeneficiary(p["household_id"], p["amount_fen"], status)
            key = f"add:{p['household_id']}"
            return self._campaign(p["campaign_id"], c, key, conn)

    @rpc
    def publish_roster(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CampaignRef(), payload, "publish_roster")
        return self._campaign(p["campaign_id"], pg.PublishRoster(), "publish")

    @rpc
    def pay_beneficiary(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.BeneficiaryPayment(), payload, "pay_beneficiary")
        c = pg.PayBeneficiary(p["household_id"], p["voucher_ref"])
        return self._campaign(p["campaign_id"], c, f"pay:{p['household_id']}")

    @rpc
    def close_campaign(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Close: funds records what was spent and releases the rest of the envelope."""
        p = load(cmd.CampaignRef(), payload, "close_campaign")
        return self._campaign(p["campaign_id"], pg.CloseCampaign(self._today()), "close")

    @rpc
    def campaign(self, campaign_id: str) -> dict[str, Any]:
        stream = pg.campaign_stream(str(campaign_id))
        return _campaign_view(load_stream(self.store.store, pg.CAMPAIGN, stream).state)

    def _campaign(
        self, campaign_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> dict[str, Any]:
        done = self._execute(pg.CAMPAIGN, pg.campaign_stream(campaign_id), c, key, conn)
        return _campaign_view(done.state)

    # -- mutual aid ------------------------------------------------------------------------

    @rpc
    def enroll_mutual_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Enroll(), payload, "enroll_mutual_aid")
        today = self._today()
        person = self._person(p["person_id"])
        waiting, v1 = POLICY.number("mutual_aid.waiting_days", today)
        fee, v2 = POLICY.number("mutual_aid.contribution_fen", today)
        c = pg.Enroll(
            p["plan_year"],
            p["person_id"],
            person.union_id or "",
            person.member_status,
            today,
            waiting,
            fee,
            (v1, v2),
        )
        stream = pg.enrollment_stream(p["plan_year"], p["person_id"])
        done = self._execute(pg.ENROLLMENT, stream, c, "enroll")
        return _enrollment_view(done.state)

    @rpc
    def file_mutual_aid_claim(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.FileClaim(), payload, "file_mutual_aid_claim")
        subject = claim_subject(p["person_id"], p["claim_id"])
        stream = pg.enrollment_stream(p["plan_year"], p["person_id"])
        with self._tx() as conn:
            enrolment = load_stream(self.store.store, pg.ENROLLMENT, stream, conn).state
            if p["claim_id"] in enrolment.claims:
                # Filed already (a retry): the figures stay the ones the claim recorded,
                # not a newer version its review would read instead.
                return _enrollment_view(enrolment)
            if self._subject_state(p["person_id"], conn).erased:
                raise privacy.SubjectGone("this person was erased", subject_id=p["person_id"])
            self._put(conn, subject, p["personal"], "mutual aid claim")
            refs = self.vault.refs(conn, subject, p["personal"].keys())
            c = pg.FileClaim(p["claim_id"], p["treated_on"], refs)
            done = self._execute(pg.ENROLLMENT, stream, c, f"claim:{p['claim_id']}", conn)
        return _enrollment_view(done.state)

    @rpc
    def review_mutual_aid_claim(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ReviewClaim(), payload, "review_mutual_aid_claim")
        subject = claim_subject(p["person_id"], p["claim_id"])
        stream = pg.enrollment_stream(p["plan_year"], p["person_id"])
        today = self._today()
        bp, v1 = POLICY.number("mutual_aid.reimburse_bp", today)
        cap, v2 = POLICY.number("mutual_aid.claim_cap_fen", today)
        with self._tx() as conn:
            costs = self._read_internal(
                conn, subject, ("medical_cost_fen", "insurance_paid_fen"), "claim review"
            )
            uncovered = max(
                0, int(costs.get("medical_cost_fen", 0)) - int(costs.get("insurance_paid_fen", 0))
            )
            c = pg.ReviewClaim(
                p["claim_id"], p["approve"], p["reason"], uncovered, bp, cap, (v1, v2)
            )
            done = self._execute(pg.ENROLLMENT, stream, c, f"review:{p['claim_id']}", conn)
        return _enrollment_view(done.state)

    @rpc
    def member_eligibility(self, person_id: str) -> dict[str, Any]:
        """What aid knows of a person's membership (from orgs) and model-worker status."""
        s = self._person(str(person_id))
        return {
            "person_id": person_id,
            "member_status": s.member_status,
            "union_id": s.union_id,
            "since": s.since.isoformat() if s.since else None,
            "model_worker": s.model_worker,
        }

    # -- legal aid -------------------------------------------------------------------------

    @rpc
    def request_legal_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.RequestLegalAid(), payload, "request_legal_aid")
        with self._tx() as conn:
            self._open_legal_aid(
                conn,
                case_id=p["case_id"],
                person_id=p["person_id"],
                union_id=p["union_id"],
                matter=p["matter"],
                knew_on=p["knew_of_infringement_on"],
                source="worker request",
            )
        return self._legal_out(p["case_id"])

    def _open_legal_aid(
        self,
        conn: psycopg.Connection,
        *,
        case_id: str,
        person_id: str,
        union_id: str,
        matter: str,
        knew_on: date,
        source: str,
    ) -> None:
        stream = pg.legal_stream(case_id)
        if load_stream(self.store.store, pg.LEGAL_AID, stream, conn).state.status:
            return  # the same matter again (a retry, a redelivered breach report)
        field = f"legal_matter.{case_id}"
        self._put(conn, person_id, {field: matter}, "legal aid")
        (ref,) = self.vault.refs(conn, person_id, (field,))
        days, version = POLICY.number("legal.arbitration_limit_days", knew_on)
        c = pg.RequestLegalAid(case_id, person_id, union_id, ref, knew_on, source, days, version)
        self._execute(pg.LEGAL_AID, stream, c, "request", conn)

    @rpc
    def decide_legal_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalDecision(), payload, "decide_legal_aid")
        c = pg.DecideLegalAid(p["accept"], self._actor(), p["reason"])
        return self._legal(p["case_id"], c, "decide")

    @rpc
    def assign_legal_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalAssign(), payload, "assign_legal_aid")
        c = pg.AssignLegalAid(p["assignee"])
        return self._legal(p["case_id"], c, f"assign:{self._call_key()}")

    @rpc
    def change_legal_stage(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalStage(), payload, "change_legal_stage")
        days, _ = POLICY.number("legal.award_days", p["started_on"])
        c = pg.ChangeStage(p["stage"], p["started_on"], days)
        # A case may come back to a stage (mediation again after an award is set
        # aside): the stage alone would make the second change look like a retry.
        key = f"stage:{p['stage']}:{p['started_on'].isoformat()}"
        return self._legal(p["case_id"], c, key)

    @rpc
    def extend_award_deadline(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalRef(), payload, "extend_award_deadline")
        days, _ = POLICY.number("legal.award_extension_days", self._today())
        return self._legal(p["case_id"], pg.ExtendAward(days), "extend")

    @rpc
    def conclude_legal_aid(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalConclusion(), payload, "conclude_legal_aid")
        return self._legal(p["case_id"], pg.ConcludeLegalAid(p["outcome"], self._today()), "end")

    @rpc
    def legal_aid_case(self, case_id: str) -> dict[str, Any]:
        return self._legal_out(str(case_id))

    def _legal_out(self, case_id: str) -> dict[str, Any]:
        s = load_stream(self.store.store, pg.LEGAL_AID, pg.legal_stream(case_id)).state
        return _legal_view(s)

    def _legal(self, case_id: str, c: object, key: str) -> dict[str, Any]:
        return _legal_view(self._execute(pg.LEGAL_AID, pg.legal_stream(case_id), c, key).state)

    # -- recuperation (疗休养) ----------------------------------------------------------------

    @rpc
    def plan_recuperation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.PlanRecuperation(), payload, "plan_recuperation")
        line, _ = POLICY.text("aid.line.recuperation", date(p["fiscal_year"], 1, 1))
        c = pg.PlanRecuperation(
            p["programme_id"],
            p["fiscal_year"],
            p["quota"],
            p["budget_fen"],
            p["per_person_fen"],
            line,
        )
        return self._recuperation(p["programme_id"], c, "plan")

    @rpc
    def nominate_for_recuperation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Nomination(), payload, "nominate_for_recuperation")
        priority = p["priority"]
        if self._person(p["person_id"]).model_worker:
            priority = "model_worker"  # registered by competitions (flow F8)
        c = pg.Nominate(p["person_id"], priority, self._actor())
        # The priority is part of the call: nominated again higher, it is raised.
        key = f"nominate:{p['person_id']}:{priority}"
        return self._recuperation(p["programme_id"], c, key)

    @rpc
    def approve_recuperation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.RecuperationRef(), payload, "approve_recuperation")
        return self._recuperation(p["programme_id"], pg.ApproveParticipants(self._actor()), "ok")

    @rpc
    def complete_recuperation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Attendance(), payload, "complete_recuperation")
        c = pg.CompleteRecuperation(tuple(p["attended"]))
        return self._recuperation(p["programme_id"], c, "complete")

    @rpc
    def settle_recuperation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Settlement(), payload, "settle_recuperation")
        c = pg.SettleRecuperation(p["amount_fen"], p["voucher_ref"])
        return self._recuperation(p["programme_id"], c, "settle")

    def _recuperation(
        self, programme_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> dict[str, Any]:
        stream = pg.recuperation_stream(programme_id)
        done = self._execute(pg.RECUPERATION, stream, c, key, conn)
        return _recuperation_view(done.state)

    # -- personal data (PIPL) --------------------------------------------------------------

    @rpc
    def read_personal_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Personal values, for a role allowed to read them; the read is recorded either way."""
        p = load(cmd.ReadPersonal(), payload, "read_personal_data")
        ctx = self.context
        with self._tx() as conn:
            answer = self._personal().read(
                conn,
                p["subject_id"],
                p["names"],
                p["purpose"],
                role=ctx.role or "",
                same_union=self._same_union(p["subject_id"], ctx.org_unit, conn),
                metadata=self._meta(),
                command_id=f"read:{self._call_key()}",
            )
        if answer.refused:
            # The refusal is committed (audit need 7) before the caller hears of it.
            raise privacy.AccessDenied(answer.refused, fields=list(p["names"]), role=ctx.role)
        return {"subject_id": answer.subject_id, "status": answer.status, "values": answer.values}

    @rpc
    def erase_subject(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Crypto-shredding: destroy the subject's key and record that it was done."""
        p = load(cmd.EraseSubject(), payload, "erase_subject")
        with self._tx() as conn:
            # A person's mutual-aid claims (diagnosis, costs) are subjects of their own.
            prefix = claim_subject(p["subject_id"], "")
            claims = projections.subjects_under(self.store.store, prefix, conn)
            self._personal().erase(
                conn,
                (p["subject_id"], *claims),
                p["reason"],
                role=self.context.role or "",
                metadata=self._meta(),
                command_id="erase",
            )
        return {"subject_id": p["subject_id"], "status": "erased"}

    def _same_union(self, subject_id: str, org_unit: str | None, conn: psycopg.Connection) -> bool:
        if not org_unit:
            return False
        file = self._file_state(subject_id, conn)
        person = self._person(subject_id, conn)
        return org_unit in (file.union_id, person.union_id)

    def _personal(self) -> privacy.PersonalData:
        return privacy.PersonalData(self.store.store, self.vault, pg.READABLE, pg.ERASERS)

    def _put(
        self, conn: psycopg.Connection, subject_id: str, values: dict[str, Any], purpose: str
    ) -> tuple[str, ...]:
        return self._personal().put(
            conn,
            subject_id,
            values,
            purpose,
            metadata=self._meta(),
            command_id=f"put:{self._call_key()}",
        )

    def _read_internal(
        self, conn: psycopg.Connection, subject_id: str, fields: Iterable[str], purpose: str
    ) -> dict[str, Any]:
        """A read the service makes for a decision; recorded as the service's own read."""
        return self._personal().use(
            conn,
            subject_id,
            fields,
            purpose,
            metadata=self._meta(),
            command_id=f"use:{self._call_key()}",
        )

    # -- reactions to orgs and competitions ------------------------------------------------

    @reliable_event_handler("orgs", "MemberAdmitted")
    def on_member_admitted(self, envelope: Envelope) -> None:
        self._membership(envelope, "active", "on_member_admitted")

    @reliable_event_handler("orgs", "MemberLapsed")
    def on_member_lapsed(self, envelope: Envelope) -> None:
        self._membership(envelope, "lapsed", "on_member_lapsed")

    @reliable_event_handler("orgs", "MemberWithdrawn")
    def on_member_withdrawn(self, envelope: Envelope) -> None:
        self._membership(envelope, "withdrawn", "on_member_withdrawn")

    @reliable_event_handler("orgs", "MemberExpelled")
    def on_member_expelled(self, envelope: Envelope) -> None:
        self._membership(envelope, "expelled", "on_member_expelled")

    def _membership(self, envelope: Envelope, status: str, handler: str) -> None:
        p = _data(cmd.MemberEvent, envelope)
        c = pg.NoteMembership(
            p["person_id"], p["union_id"], status, p["occurred_on"], envelope.event_id
        )
        stream = pg.person_stream(p["person_id"])
        self.store.once(
            envelope,
            handler,
            lambda conn: self._execute(pg.PERSON, stream, c, f"orgs:{envelope.event_id}", conn),
        )

    @reliable_event_handler("orgs", "MemberTransferred")
    def on_member_transferred(self, envelope: Envelope) -> None:
        """Flow F5: the member's active hardship file moves to the new union."""
        p = _data(cmd.MemberTransferred, envelope)
        key = f"orgs:{envelope.event_id}"

        def move(conn: psycopg.Connection) -> None:
            c = pg.NoteMembership(
                p["person_id"], p["to_union"], "active", p["occurred_on"], envelope.event_id
            )
            noted = self._execute(pg.PERSON, pg.person_stream(p["person_id"]), c, key, conn)
            if not noted.events:
                return  # an older transfer delivered late: the file stays where it is
            for household in projections.files_held_by(self.store.store, p["person_id"], conn):
                reason = f"member transferred from {p['from_union']} (orgs)"
                self._file(household, d.TransferFile(p["to_union"], reason), key, conn)

        self.store.once(envelope, "on_member_transferred", move)

    @reliable_event_handler("orgs", "UnionDissolved")
    def on_union_dissolved(self, envelope: Envelope) -> None:
        """Flow F5: files of a dissolved union go into the 帮扶中心's custody."""
        p = _data(cmd.UnionDissolved, envelope)
        key = f"orgs:{envelope.event_id}"

        def custody(conn: psycopg.Connection) -> None:
            for household in projections.open_files_of_union(self.store.store, p["union_id"], conn):
                reason = f"union {p['union_id']} dissolved on {p['dissolved_on'].isoformat()}"
                self._file(household, d.TransferFile(CUSTODY, reason), key, conn)

        self.store.once(envelope, "on_union_dissolved", custody)

    @reliable_event_handler("orgs", "ContractViolationReported")
    def on_contract_violation(self, envelope: Envelope) -> None:
        """Flow F12: legal aid for each worker named, with the arbitration limit running."""
        p = _data(cmd.ContractViolation, envelope)

        def open_cases(conn: psycopg.Connection) -> None:
            for person in p["person_ids"]:
                self._open_legal_aid(
                    conn,
                    case_id=f"{p['report_id']}.{person}",
                    person_id=person,
                    union_id=p["union_id"],
                    matter=p["summary"],
                    knew_on=p["known_on"],
                    source=f"orgs ContractViolationReported {p['report_id']}",
                )

        self.store.once(envelope, "on_contract_violation", open_cases)

    @reliable_event_handler("competitions", "ModelWorkerRegistered")
    def on_model_worker(self, envelope: Envelope) -> None:
        """Flow F8: a model worker ranks first for 疗休养, and joins this year's open ones."""
        p = _data(cmd.ModelWorker, envelope)
        c = pg.NoteModelWorker(p["person_id"], p["level"], envelope.event_id)
        stream = pg.person_stream(p["person_id"])
        actor = f"competitions:{envelope.actor or 'system'}"

        def note(conn: psycopg.Connection) -> None:
            self._execute(pg.PERSON, stream, c, f"mw:{envelope.event_id}", conn)
            self._nominate_model_worker(p["person_id"], self._today().year, actor, conn)

        self.store.once(envelope, "on_model_worker", note)

    def _nominate_model_worker(
        self, person_id: str, year: int, actor: str, conn: psycopg.Connection
    ) -> None:
        for programme in projections.recuperation_programmes(self.store.store, year, conn):
            c = pg.Nominate(person_id, "model_worker", actor)
            # Not the nomination's own key: one made earlier at a lower priority is raised.
            self._recuperation(programme, c, f"model-worker:{person_id}", conn)

    @reliable_event_handler("competitions", "ModelWorkerHardshipFlagged")
    def on_model_worker_hardship(self, envelope: Envelope) -> None:
        """Flow F8: a 劳模困难帮扶 case, and a place on the year's open 疗休养 programmes."""
        p = _data(cmd.ModelWorkerHardship, envelope)
        actor = f"competitions:{envelope.actor or 'system'}"

        def open_case(conn: psycopg.Connection) -> None:
            request = {
                "case_id": f"MW-{p['flag_id']}",
                "programme": "model_worker",
                "person_id": p["person_id"],
                "household_id": p["household_id"],
                "fiscal_year": p["fiscal_year"],
                "amount_fen": p["amount_fen"],
                "reason": "model worker flagged in hardship by competitions",
            }
            self._nominate_model_worker(p["person_id"], p["fiscal_year"], actor, conn)
            try:
                with conn.transaction():  # a savepoint: a refused case leaves the nomination
                    self._request_aid(request, actor, conn)
            except DomainError as refused:
                # Already helped this year, or the household's file is not active: a
                # caseworker takes it from here; the place on 疗休养 stands.
                log.warning(
                    "model worker %s flagged (%s): no case opened: %s",
                    p["person_id"],
                    p["flag_id"],
                    refused,
                )

        self.store.once(envelope, "on_model_worker_hardship", open_case)

    # -- deadlines -------------------------------------------------------------------------

    @rpc
    def run_deadlines(self) -> dict[str, int]:
        """What the hourly timer does, now (operators, and tests on a set clock)."""
        return {
            "annual_reviews_due": self.flag_annual_reviews(),
            "approvals_timed_out": self.time_out_approvals(),
            "legal_warnings": self.warn_legal_deadlines(),
        }

    @timer(interval=3600)
    def flag_annual_reviews(self) -> int:
        today = self._today()
        flag = d.FlagReviewDue(today)
        return self._sweep(d.HARDSHIP_FILE, "HardshipFile", lambda _: flag, f"due:{today}")

    @timer(interval=3600)
    def time_out_approvals(self) -> int:
        now = self.clock.now()
        timed_out = 0
        for case_id in projections.awaiting_funds(self.store.store):
            done = self._case(case_id, d.TimeOutApproval(now), f"timeout:{now.isoformat()}")
            timed_out += len(done.events)
        return timed_out

    @timer(interval=3600)
    def warn_legal_deadlines(self) -> int:
        today = self._today()
        warn, _ = POLICY.number("legal.warn_days", today)
        award_warn, _ = POLICY.number("legal.award_warn_days", today)
        c = pg.WarnDeadlines(today, warn, award_warn)
        return self._sweep(pg.LEGAL_AID, "LegalAid", lambda _: c, f"warn:{today.isoformat()}")

    # -- the steps every command takes -----------------------------------------------------

    def _person(self, person_id: str, conn: psycopg.Connection | None = None) -> pg.Person:
        return load_stream(self.store.store, pg.PERSON, pg.person_stream(person_id), conn).state

    def _file_state(self, household_id: str, conn: psycopg.Connection | None = None) -> d.File:
        stream = d.file_stream(household_id)
        return load_stream(self.store.store, d.HARDSHIP_FILE, stream, conn).state

    def _case_state(self, case_id: str, conn: psycopg.Connection | None = None) -> d.Case:
        return load_stream(self.store.store, d.CASE, d.case_stream(case_id), conn).state

    def _file(
        self, household_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> Executed[d.File, object]:
        return self._execute(d.HARDSHIP_FILE, d.file_stream(household_id), c, key, conn)

    def _case(
        self, case_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> Executed[d.Case, object]:
        return self._execute(d.CASE, d.case_stream(case_id), c, key, conn)

    def _subject_state(self, subject_id: str, conn: psycopg.Connection) -> privacy.Subject:
        stream = privacy.subject_stream(subject_id)
        return load_stream(self.store.store, pg.SUBJECT, stream, conn).state


_FINANCES = (
    "household_size",
    "per_capita_monthly_income_fen",
    "rigid_expenditure_yearly_fen",
    "event_costs_yearly_fen",
)


def claim_subject(person_id: str, claim_id: str) -> str:
    """The vault subject of one mutual-aid claim's personal values; erased with the person."""
    return f"{person_id}.claim.{claim_id}"


def _classifier(on: date) -> d.ClassifierPolicy:
    dibao, v1 = POLICY.number("aid.dibao_standard_fen", on)
    deep, v2 = POLICY.number("aid.classify.deep_bp", on)
    relative, v3 = POLICY.number("aid.classify.relative_bp", on)
    accident, v4 = POLICY.number("aid.classify.accident_bp", on)
    return d.ClassifierPolicy(dibao, deep, relative, accident, (v1, v2, v3, v4))


def _ours(reservation_id: str) -> str | None:
    """funds prefixes a saga's request id with the requesting service."""
    return reservation_id[4:] if reservation_id.startswith("aid:") else None


def _data(schema: type[Schema], envelope: Envelope) -> dict[str, Any]:
    loaded: dict[str, Any] = load(schema(unknown=EXCLUDE), envelope.data, envelope.event_type)
    return loaded


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _file_view(s: d.File) -> dict[str, Any]:
    return {
        "household_id": s.household_id,
        "status": s.status or "none",
        "union_id": s.union_id,
        "temporary": s.temporary,
        "computed_category": s.computed,
        "category": s.category,
        "objections": s.objections,
        "notice_ends_on": _iso(s.notice_ends_on),
        "review_due_on": _iso(s.review_due_on),
        "review_flagged": s.review_flagged,
        "verification_request_id": s.verification,
    }


def _case_view(s: d.Case) -> dict[str, Any]:
    return {
        "case_id": s.case_id,
        "status": s.status or "none",
        "programme": s.programme,
        "person_id": s.person_id,
        "household_id": s.household_id,
        "fiscal_year": s.fiscal_year,
        "amount_fen": s.amount_fen,
        "line": s.line,
        "requested_by": s.requested_by,
        "assessed_by": s.assessed_by,
        "approved_by": s.approved_by,
        "ordered_by": s.ordered_by,
        "request_id": s.request_id,
        "reservation_id": s.reservation_id,
        "funds_reply_overdue": s.timed_out,
        "reply_due": _iso(s.reply_due),
        "disbursed_fen": s.disbursed_fen,
    }


def _campaign_view(s: pg.Campaign) -> dict[str, Any]:
    return {
        "campaign_id": s.campaign_id,
        "status": s.status or "none",
        "line": s.line,
        "envelope_fen": s.envelope_fen,
        "request_id": s.request_id,
        "roster": dict(sorted(s.roster.items())),
        "roster_published": s.published,
        "paid_fen": sum(s.paid.values()),
    }


def _enrollment_view(s: pg.Enrollment) -> dict[str, Any]:
    return {
        "enrolled": s.enrolled,
        "plan_year": s.plan_year,
        "active_from": _iso(s.active_from),
        "claims": dict(sorted(s.claims.items())),
    }


def _legal_view(s: pg.Legal) -> dict[str, Any]:
    return {
        "status": s.status or "none",
        "stage": s.stage,
        "arbitration_limit_on": _iso(s.arbitration_limit_on),
        "award_due_on": _iso(s.award_due_on),
        "extended": s.extended,
        "warnings": sorted(s.warned),
    }


def _recuperation_view(s: pg.Recuperation) -> dict[str, Any]:
    return {
        "programme_id": s.programme_id,
        "status": s.status or "none",
        "quota": s.quota,
        "nominated": [p for p, _ in s.nominated],
        "approved": list(s.approved),
        "funding": s.funding,
    }
