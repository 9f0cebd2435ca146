"""The competitions service under nameko: validate, load, decide, append, answer.

Run: ``nameko run --config services/competitions/config.yaml
services.competitions.service:Competitions``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import psycopg
from marshmallow import EXCLUDE, Schema

from services.competitions import commands as cmd
from services.competitions import domain as d
from services.competitions import honours as h
from services.competitions import projections
from services.competitions.events import EVENTS
from services.competitions.policy import table
from shared.decider import Executed
from shared.decider import load as load_stream
from shared.envelope import Envelope
from shared.errors import DomainError
from shared.nameko_ext import (
    EventStoreProvider,
    ServiceStore,
    reliable_event_handler,
    rpc,
    timer,
)
from shared.service_base import UnionService
from shared.validation import load

log = logging.getLogger(__name__)
POLICY = table(list(h.PARAMETERS))
SAFETY_KIND = "safety"
"""orgs' contract kind for the 劳动安全卫生专项集体合同 (flow F13)."""


class Competitions(UnionService):
    name = "competitions"

    store: ServiceStore = EventStoreProvider(EVENTS)

    # -- competitions and the 安康杯 --------------------------------------------------------

    @rpc
    def announce_competition(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Announce(), payload, "announce_competition")
        line, _ = POLICY.text("competition.line", p["announced_on"])
        rounds, _ = POLICY.number("ankang.round_years", p["announced_on"])
        year = p["fiscal_year"]
        default = f"{year}-{year + rounds - 1}" if p["kind"] == "ankang" else str(year)
        c = d.Announce(
            p["competition_id"],
            p["kind"],
            p["title"],
            year,
            p["round"] or default,
            line,
            p["announced_on"],
        )
        return self._competition(p["competition_id"], c, "announce")

    @rpc
    def open_registration(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CompetitionDay(), payload, "open_registration")
        return self._competition(p["competition_id"], d.OpenRegistration(p["on"]), "open")

    @rpc
    def register_participant(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Participant(), payload, "register_participant")
        c = d.RegisterParticipant(p["participant_id"], p["unit_id"])
        return self._competition(p["competition_id"], c, f"register:{p['participant_id']}")

    @rpc
    def start_competition(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CompetitionDay(), payload, "start_competition")
        return self._competition(p["competition_id"], d.StartCompetition(p["on"]), "start")

    @rpc
    def record_score(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Score(), payload, "record_score")
        c = d.RecordScore(p["participant_id"], p["score"], self._actor())
        return self._competition(p["competition_id"], c, f"score:{self._call_key()}")

    @rpc
    def record_fatal_accident(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.FatalAccident(), payload, "record_fatal_accident")
        c = d.RecordFatalAccident(p["participant_id"], p["occurred_on"], p["reference"])
        return self._competition(p["competition_id"], c, f"fatal:{p['participant_id']}")

    @rpc
    def publish_results(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Results under public notice; 安康杯 awards checked against its rules."""
        p = load(cmd.Results(), payload, "publish_results")
        on = p["starts_on"]
        days, v1 = POLICY.number("competition.public_notice_days", on)
        least, v2 = POLICY.number("ankang.winning_unit_min_score", on)
        with self._tx() as conn:
            state = self._competition_state(p["competition_id"], conn)
            in_force = frozenset(
                unit
                for unit in set(state.participants.values())
                if load_stream(
                    self.store.store, d.SAFETY, d.safety_stream(unit), conn
                ).state.in_force(on)
            )
            c = d.PublishResults(tuple(p["awards"]), on, days, least, in_force, (v1, v2))
            done = self._execute(
                d.COMPETITION, d.competition_stream(p["competition_id"]), c, "results", conn
            )
        return projections.competition_view(done.state)

    @rpc
    def raise_result_objection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ResultObjection(), payload, "raise_result_objection")
        c = d.RaiseResultObjection(p["objection_id"], p["participant_id"], p["summary"])
        return self._competition(p["competition_id"], c, f"objection:{p['objection_id']}")

    @rpc
    def resolve_result_objection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ObjectionFinding(), payload, "resolve_result_objection")
        c = d.ResolveResultObjection(p["objection_id"], p["upheld"], p["finding"])
        return self._competition(p["competition_id"], c, f"resolve:{p['objection_id']}")

    @rpc
    def confer_awards(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Awards conferred; prize money is asked of funds on the competition line (F10)."""
        p = load(cmd.CompetitionRef(), payload, "confer_awards")
        return self._competition(p["competition_id"], d.ConferAwards(self._today()), "confer")

    @rpc
    def request_prize_funds(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CompetitionRef(), payload, "request_prize_funds")
        c = d.RequestPrizeFunds()
        return self._competition(p["competition_id"], c, f"ask:{self._call_key()}")

    @rpc
    def pay_prizes(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Payment(), payload, "pay_prizes")
        c = d.PayPrizes(p["voucher_ref"])
        return self._competition(p["competition_id"], c, f"pay:{p['voucher_ref']}")

    @rpc
    def archive_competition(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CompetitionRef(), payload, "archive_competition")
        c = d.ArchiveCompetition(self._today())
        return self._competition(p["competition_id"], c, "archive")

    @rpc
    def cancel_competition(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CompetitionReason(), payload, "cancel_competition")
        c = d.CancelCompetition(p["reason"])
        return self._competition(p["competition_id"], c, "cancel")

    @rpc
    def competition(self, competition_id: str) -> dict[str, Any]:
        state = self._competition_state(str(competition_id))
        return projections.competition_view(state)

    @rpc
    def competitions(self, fiscal_year: int) -> list[dict[str, Any]]:
        return projections.competitions(self.store.store, int(fiscal_year))

    # -- rationalisation proposals --------------------------------------------------------

    @rpc
    def submit_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalIn(), payload, "submit_proposal")
        c = d.SubmitProposal(
            p["proposal_id"],
            p["unit_id"],
            tuple(p["proposer_ids"]),
            p["title"],
            p["submitted_on"],
        )
        return self._proposal(p["proposal_id"], c, "submit")

    @rpc
    def screen_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalScreen(), payload, "screen_proposal")
        c = d.ScreenProposal(p["passed"], p["opinion"])
        return self._proposal(p["proposal_id"], c, "screen")

    @rpc
    def evaluate_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalEvaluation(), payload, "evaluate_proposal")
        c = d.EvaluateProposal(p["score"], tuple(p["evaluators"]))
        return self._proposal(p["proposal_id"], c, "evaluate")

    @rpc
    def decide_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalDecision(), payload, "decide_proposal")
        c = d.DecideProposal(p["adopt"], p["on"], p["reason"])
        return self._proposal(p["proposal_id"], c, "decide")

    @rpc
    def implement_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalDay(), payload, "implement_proposal")
        return self._proposal(p["proposal_id"], d.ImplementProposal(p["on"]), "implement")

    @rpc
    def assess_proposal_benefit(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalBenefit(), payload, "assess_proposal_benefit")
        c = d.AssessBenefit(p["value_fen"], p["method"])
        return self._proposal(p["proposal_id"], c, "assess")

    @rpc
    def reward_proposal(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ProposalReward(), payload, "reward_proposal")
        c = d.RewardProposal(p["amount_fen"], p["voucher_ref"])
        return self._proposal(p["proposal_id"], c, "reward")

    # -- innovation studios and startup bases -------------------------------------------------

    @rpc
    def apply_studio(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioApplication(), payload, "apply_studio")
        c = d.ApplyStudio(
            p["studio_id"],
            p["kind"],
            p["name"],
            p["unit_id"],
            p["leader_id"],
            tuple(p["team_ids"]),
            p["level"],
            p["applied_on"],
        )
        return self._studio(p["studio_id"], c, f"apply:{self._call_key()}")

    @rpc
    def review_studio(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioReview(), payload, "review_studio")
        c = d.ReviewStudio(self._actor(), p["opinion"])
        return self._studio(p["studio_id"], c, f"review:{self._call_key()}")

    @rpc
    def name_studio(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Named if its leader is a model worker of its level and its team is large enough;
        the subsidy is asked of funds (flow F9)."""
        p = load(cmd.StudioDay(), payload, "name_studio")
        on = p["on"]
        with self._tx() as conn:
            studio = self._studio_state(p["studio_id"], conn)
            worker = self._model_worker(studio.leader_id, conn)
            least, v1 = POLICY.number("studio.min_team", on)
            years, v2 = POLICY.number("studio.reconfirm_years", on)
            level = studio.level or "county"
            subsidy, v3 = POLICY.number(f"studio.subsidy.{level}.new_fen", on)
            line, _ = POLICY.text("studio.line", on)
            c = d.NameStudio(
                on,
                h.highest_title_level(worker),
                worker.status == "active",
                least,
                years,
                subsidy,
                v3,
                line,
                (v1, v2),
            )
            key = f"name:{self._call_key()}"
            done = self._execute(d.STUDIO, d.studio_stream(p["studio_id"]), c, key, conn)
        return projections.studio_view(done.state)

    @rpc
    def request_subsidy_again(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioRef(), payload, "request_subsidy_again")
        c = d.RequestSubsidyAgain()
        return self._studio(p["studio_id"], c, f"ask:{self._call_key()}")

    @rpc
    def pay_subsidy(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioPayment(), payload, "pay_subsidy")
        c = d.PaySubsidy(p["voucher_ref"])
        return self._studio(p["studio_id"], c, f"pay:{p['voucher_ref']}")

    @rpc
    def record_studio_project(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioProject(), payload, "record_studio_project")
        c = d.RecordProject(p["project_id"], p["year"], p["title"])
        return self._studio(p["studio_id"], c, f"project:{p['project_id']}")

    @rpc
    def record_studio_result(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioResult(), payload, "record_studio_result")
        c = d.RecordResult(p["result_id"], p["kind"], p["title"], p["benefit_fen"])
        return self._studio(p["studio_id"], c, f"result:{p['result_id']}")

    @rpc
    def reconfirm_studio(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.StudioRef(), payload, "reconfirm_studio")
        today = self._today()
        years, _ = POLICY.number("studio.reconfirm_years", today)
        level = self._studio_state(p["studio_id"]).level or "county"
        subsidy, version = POLICY.number(f"studio.subsidy.{level}.reconfirmed_fen", today)
        c = d.Reconfirm(today, years, subsidy, version)
        return self._studio(p["studio_id"], c, f"reconfirm:{today.isoformat()}")

    @rpc
    def revoke_studio(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Revoked: payments stop and a reservation held is released (flow F9)."""
        p = load(cmd.StudioRevocation(), payload, "revoke_studio")
        c = d.Revoke(p["reason"], p["on"])
        # Keyed by the call: a studio re-applies after a revocation, and its second
        # revocation is another command (a repeat of the first is refused by state).
        return self._studio(p["studio_id"], c, f"revoke:{self._call_key()}")

    @rpc
    def studio(self, studio_id: str) -> dict[str, Any]:
        return projections.studio_view(self._studio_state(str(studio_id)))

    @rpc
    def studios(self, level: str | None = None) -> list[dict[str, Any]]:
        """Studios by level and state, with subsidies paid and pending."""
        return projections.studios(self.store.store, level)

    # -- funds' answers ---------------------------------------------------------------------------

    @reliable_event_handler("funds", "FundsReserved")
    def on_funds_reserved(self, envelope: Envelope) -> None:
        self._funds_answer(envelope, "on_funds_reserved", reserved=True)

    @reliable_event_handler("funds", "BudgetReservationRefused")
    def on_reservation_refused(self, envelope: Envelope) -> None:
        self._funds_answer(envelope, "on_reservation_refused", reserved=False)

    @reliable_event_handler("funds", "ReservationExpired")
    def on_reservation_expired(self, envelope: Envelope) -> None:
        self._funds_answer(envelope, "on_reservation_expired", reserved=False, lapsed=True)

    def _funds_answer(
        self, envelope: Envelope, handler: str, *, reserved: bool, lapsed: bool = False
    ) -> None:
        p = _data(cmd.FundsAnswer, envelope)
        rid = p["reservation_id"]
        if not rid.startswith("competitions:"):
            return  # another service's reservation
        ours = rid.removeprefix("competitions:")
        kind, _, rest = ours.partition(":")
        target = rest.rsplit(".", 1)[0]
        key = f"funds:{envelope.event_id}"
        reason = p["reason"] or ""

        def answer(conn: psycopg.Connection) -> None:
            if kind == "prize":
                c: object = d.PrizeFunds(ours, reserved, reason, lapsed)
                self._execute(d.COMPETITION, d.competition_stream(target), c, key, conn)
            elif kind == "studio":
                c = d.SubsidyAnswer(ours, reserved, reason, lapsed)
                self._execute(d.STUDIO, d.studio_stream(target), c, key, conn)

        self.store.once(envelope, handler, answer)

    # -- what orgs says --------------------------------------------------------------------------

    @reliable_event_handler("orgs", "ContractTookEffect")
    def on_contract_in_force(self, envelope: Envelope) -> None:
        """Flow F13: a labour-safety special agreement in force counts for the 安康杯."""
        p = _data(cmd.ContractInForce, envelope)
        self._each_safety_employer(
            envelope,
            "on_contract_in_force",
            p,
            lambda employer: d.NoteSafetyAgreement(
                employer, p["contract_id"], p["effective_on"], p["expires_on"]
            ),
        )

    @reliable_event_handler("orgs", "ContractEffectWithdrawn")
    def on_contract_withdrawn(self, envelope: Envelope) -> None:
        """The safety agreement never took effect: it no longer counts for the 安康杯."""
        p = _data(cmd.ContractWithdrawn, envelope)
        self._each_safety_employer(
            envelope,
            "on_contract_withdrawn",
            p,
            lambda employer: d.WithdrawSafetyAgreement(
                employer, p["contract_id"], p["effective_on"]
            ),
        )

    def _each_safety_employer(
        self,
        envelope: Envelope,
        handler: str,
        p: dict[str, Any],
        command: Callable[[str], object],
    ) -> None:
        """For a safety contract, ``command(employer)`` on each bound employer's agreements."""
        if p["kind"] != SAFETY_KIND:
            return

        def apply(conn: psycopg.Connection) -> None:
            for employer in p["employer_ids"]:
                key = f"orgs:{envelope.event_id}"
                self._execute(d.SAFETY, d.safety_stream(employer), command(employer), key, conn)

        self.store.once(envelope, handler, apply)

    @reliable_event_handler("orgs", "ResolutionAdopted")
    def on_resolution_adopted(self, envelope: Envelope) -> None:
        """Flow F11: the unit's congress adopted a nomination; it becomes eligible."""
        p = _data(cmd.Resolution, envelope)
        nominee = p["subject_ref"]
        if not nominee:
            return
        key = f"orgs:{envelope.event_id}"

        def endorse(conn: psycopg.Connection) -> None:
            c = d.NoteEndorsement(nominee, p["congress_id"], p["item_id"], p["unit_id"])
            self._execute(d.ENDORSEMENTS, d.endorsement_stream(nominee), c, key, conn)
            for selection in projections.selections_nominating(self.store.store, nominee, conn):
                note = h.NoteEndorsement(nominee, p["congress_id"], p["item_id"], p["unit_id"])
                self._execute(h.SELECTION, h.selection_stream(selection), note, key, conn)

        self.store.once(envelope, "on_resolution_adopted", endorse)

    # -- honours ----------------------------------------------------------------------------------

    @rpc
    def plan_selection(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A selection; a second 最美职工 in the same two-year cycle is refused (notice 五)."""
        p = load(cmd.PlanSelection(), payload, "plan_selection")
        on = p["planned_on"]
        base, version = POLICY.number("honours.most_beautiful_base_year", on)
        with self._tx() as conn:
            cycle = None
            stream = h.cycle_stream(h.cycle_start(p["year"], base))
            if p["kind"] == "most_beautiful":
                cycle = load_stream(self.store.store, h.SELECTION_CYCLE, stream, conn).state
            c = h.PlanSelection(
                p["selection_id"],
                p["kind"],
                p["level"],
                p["year"],
                p["quota"],
                on,
                base,
                version,
                cycle,
            )
            done = self._selection_exec(p["selection_id"], c, "plan", conn)
            if cycle is not None and done.events:
                claim = h.ClaimSelectionCycle(p["selection_id"], p["year"], base, version)
                self._execute(h.SELECTION_CYCLE, stream, claim, f"claim:{p['selection_id']}", conn)
        return projections.selection_view(done.state)

    @rpc
    def open_nominations(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionDay(), payload, "open_nominations")
        return self._selection(p["selection_id"], h.OpenNominations(p["on"]), "open")

    @rpc
    def nominate(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Eligible once the unit's workers' congress adopted it (orgs' resolution, F11)."""
        p = load(cmd.Nomination(), payload, "nominate")
        with self._tx() as conn:
            stream = d.endorsement_stream(p["nominee_id"])
            noted = load_stream(self.store.store, d.ENDORSEMENTS, stream, conn).state
            endorsed = noted.from_unit(p["unit_id"]) is not None
            c = h.Nominate(p["nominee_id"], p["unit_id"], self._actor(), endorsed)
            key = f"nominate:{p['nominee_id']}"
            done = self._selection_exec(p["selection_id"], c, key, conn)
            if done.events and not endorsed:
                # The append holds the log's lock until commit: a resolution noted before
                # it is visible now, and one noted after it finds this nomination
                # (on_resolution_adopted). Without this read both could miss each other.
                noted = load_stream(self.store.store, d.ENDORSEMENTS, stream, conn).state
                found = noted.from_unit(p["unit_id"])
                if found:
                    note = h.NoteEndorsement(p["nominee_id"], *found, p["unit_id"])
                    endorse = f"endorse:{p['nominee_id']}"
                    done = self._selection_exec(p["selection_id"], note, endorse, conn)
        return projections.selection_view(done.state)

    @rpc
    def close_nominations(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionDay(), payload, "close_nominations")
        return self._selection(p["selection_id"], h.CloseNominations(p["on"]), "close")

    @rpc
    def screen_nominee(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Screening(), payload, "screen_nominee")
        c = h.Screen(p["nominee_id"], p["passed"], p["reason"])
        return self._selection(p["selection_id"], c, f"screen:{p['nominee_id']}")

    @rpc
    def veto_check(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Veto(), payload, "veto_check")
        c = h.VetoCheck(p["nominee_id"], p["vetoed"], p["department"], p["reason"])
        # Keyed by the call, not the department (free text, too long for a command id);
        # the decider records a department's same finding again as nothing.
        return self._selection(p["selection_id"], c, f"veto:{self._call_key()}")

    @rpc
    def start_selection_notice(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionDay(), payload, "start_selection_notice")
        days, version = POLICY.number("honours.public_notice_days", p["on"])
        c = h.StartPublicNotice(p["on"], days, version)
        return self._selection(p["selection_id"], c, "notice")

    @rpc
    def raise_selection_objection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionObjection(), payload, "raise_selection_objection")
        c = h.RaiseObjection(p["objection_id"], p["nominee_id"], p["summary"], self._today())
        return self._selection(p["selection_id"], c, f"objection:{p['objection_id']}")

    @rpc
    def resolve_selection_objection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionObjectionFinding(), payload, "resolve_selection_objection")
        c = h.ResolveObjection(p["objection_id"], p["upheld"], self._today())
        return self._selection(p["selection_id"], c, f"resolve:{p['objection_id']}")

    @rpc
    def approve_selection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionRef(), payload, "approve_selection")
        c = h.Approve(self._actor(), self._today())
        return self._selection(p["selection_id"], c, "approve")

    @rpc
    def confer_honours(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Titles conferred; model workers and advanced workers join the registry (aid, F8)."""
        p = load(cmd.SelectionRef(), payload, "confer_honours")
        with self._tx() as conn:
            done = self._selection_exec(p["selection_id"], h.Confer(self._today()), "confer", conn)
            for e in done.events:
                if isinstance(e, h.HonourConferred) and e.kind in h.REGISTERED_KINDS:
                    c = h.RegisterModelWorker(e.person_id, e.title, e.level, e.year, e.selection_id)
                    stream = h.model_worker_stream(e.person_id)
                    try:
                        with conn.transaction():  # one refusal does not hold back the others
                            key = f"honour:{e.selection_id}"
                            self._execute(h.MODEL_WORKER, stream, c, key, conn)
                    except DomainError as refused:
                        # A deceased worker, or one whose title was revoked: the honour stands
                        # in the selection; the registry is the caseworkers' to settle.
                        log.warning(
                            "%s not registered from %s: %s", e.person_id, e.selection_id, refused
                        )
        return projections.selection_view(done.state)

    @rpc
    def cancel_selection(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.SelectionReason(), payload, "cancel_selection")
        with self._tx() as conn:
            done = self._selection_exec(
                p["selection_id"], h.Cancel(p["reason"], self._today()), "cancel", conn
            )
            if stream := h.selection_cycle_stream(done.state):
                release = h.ReleaseSelectionCycle(p["selection_id"], p["reason"])
                key = f"release:{p['selection_id']}"
                self._execute(h.SELECTION_CYCLE, stream, release, key, conn)
        return projections.selection_view(done.state)

    @rpc
    def selection(self, selection_id: str) -> dict[str, Any]:
        stream = h.selection_stream(str(selection_id))
        return projections.selection_view(load_stream(self.store.store, h.SELECTION, stream).state)

    @rpc
    def selections(self) -> list[dict[str, Any]]:
        """Every selection and its stage."""
        return projections.selections(self.store.store)

    # -- the model-worker registry and skills --------------------------------------------------

    @rpc
    def register_model_worker(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A title conferred elsewhere (city, province, nation) entered in the registry."""
        p = load(cmd.ModelWorkerIn(), payload, "register_model_worker")
        c = h.RegisterModelWorker(p["person_id"], p["title"], p["level"], p["year"], None)
        # Keyed by the call: a person may hold two titles of one level and year (劳动模范
        # and 五一劳动奖章); the decider records the same title again as nothing.
        return self._worker(p["person_id"], c, f"register:{self._call_key()}")

    @rpc
    def flag_model_worker_hardship(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Published: aid opens a 劳模困难帮扶 case and a 疗休养 place (flow F8)."""
        p = load(cmd.Hardship(), payload, "flag_model_worker_hardship")
        c = h.FlagHardship(
            p["flag_id"], p["fiscal_year"], p["amount_fen"], p["household_id"], p["reason"]
        )
        return self._worker(p["person_id"], c, f"flag:{p['flag_id']}")

    @rpc
    def record_model_worker_service(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.WorkerService(), payload, "record_model_worker_service")
        c = h.RecordService(p["kind"], p["on"], p["note"])
        return self._worker(p["person_id"], c, f"service:{self._call_key()}")

    @rpc
    def change_model_worker(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Retired, deceased, or the title revoked."""
        p = load(cmd.WorkerChange(), payload, "change_model_worker")
        change: object = {
            "retire": h.Retire(p["on"]),
            "death": h.RecordDeath(p["on"]),
        }.get(p["change"]) or h.RevokeTitle(p["reason"] or "revoked", p["on"])
        return self._worker(p["person_id"], change, f"{p['change']}:{p['on'].isoformat()}")

    @rpc
    def model_worker(self, person_id: str) -> dict[str, Any]:
        return projections.worker_view(str(person_id), self._model_worker(str(person_id)))

    @rpc
    def model_workers(self) -> list[dict[str, Any]]:
        """The registry: ids, titles, levels, status and flags (no personal data)."""
        return projections.model_workers(self.store.store)

    @rpc
    def record_training(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Training(), payload, "record_training")
        c = h.RecordTraining(
            p["person_id"], p["course_id"], p["title"], p["hours"], p["completed_on"]
        )
        return self._skills(p["person_id"], c, f"training:{p['course_id']}")

    @rpc
    def record_appraisal(self, payload: dict[str, Any]) -> dict[str, Any]:
        """职业技能等级评价: 1 (高级技师) to 5 (初级工)."""
        p = load(cmd.Appraisal(), payload, "record_appraisal")
        c = h.RecordAppraisal(
            p["person_id"], p["occupation"], p["level"], p["appraised_on"], p["certificate_no"]
        )
        return self._skills(p["person_id"], c, f"appraisal:{p['certificate_no']}")

    @rpc
    def skills(self, person_id: str) -> dict[str, Any]:
        stream = h.skills_stream(str(person_id))
        return projections.skills_view(load_stream(self.store.store, h.SKILLS, stream).state)

    # -- deadlines -----------------------------------------------------------------------------

    @rpc
    def run_deadlines(self) -> dict[str, int]:
        return {"studios_due": self.flag_reconfirmations()}

    @timer(interval=3600)
    def flag_reconfirmations(self) -> int:
        today = self._today()
        c = d.FlagReconfirmation(today)
        return self._sweep(d.STUDIO, "Studio", lambda _: c, f"due:{today}")

    # -- the steps every command takes ------------------------------------------------------------

    def _competition_state(
        self, competition_id: str, conn: psycopg.Connection | None = None
    ) -> d.Competition:
        stream = d.competition_stream(competition_id)
        return load_stream(self.store.store, d.COMPETITION, stream, conn).state

    def _studio_state(self, studio_id: str, conn: psycopg.Connection | None = None) -> d.Studio:
        return load_stream(self.store.store, d.STUDIO, d.studio_stream(studio_id), conn).state

    def _model_worker(
        self, person_id: str, conn: psycopg.Connection | None = None
    ) -> h.ModelWorker:
        stream = h.model_worker_stream(person_id)
        return load_stream(self.store.store, h.MODEL_WORKER, stream, conn).state

    def _competition(self, competition_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(d.COMPETITION, d.competition_stream(competition_id), c, key)
        return projections.competition_view(done.state)

    def _proposal(self, proposal_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(d.PROPOSAL, d.proposal_stream(proposal_id), c, key)
        return {"proposal_id": proposal_id, "status": done.state.status}

    def _studio(self, studio_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(d.STUDIO, d.studio_stream(studio_id), c, key)
        return projections.studio_view(done.state)

    def _selection(self, selection_id: str, c: object, key: str) -> dict[str, Any]:
        return projections.selection_view(self._selection_exec(selection_id, c, key).state)

    def _selection_exec(
        self, selection_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> Executed[h.Selection, object]:
        return self._execute(h.SELECTION, h.selection_stream(selection_id), c, key, conn)

    def _worker(self, person_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(h.MODEL_WORKER, h.model_worker_stream(person_id), c, key)
        return projections.worker_view(person_id, done.state)

    def _skills(self, person_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(h.SKILLS, h.skills_stream(person_id), c, key)
        return projections.skills_view(done.state)


def _data(schema: type[Schema], envelope: Envelope) -> dict[str, Any]:
    loaded: dict[str, Any] = load(schema(unknown=EXCLUDE), envelope.data, envelope.event_type)
    return loaded
