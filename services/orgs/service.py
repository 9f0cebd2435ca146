"""The orgs service under nameko: validate, load, decide, append, answer.

Run: ``nameko run --config services/orgs/config.yaml services.orgs.service:Orgs``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from services.orgs import commands as cmd
from services.orgs import democracy as dm
from services.orgs import domain as d
from services.orgs import projections
from services.orgs.contract import (
    CONTRACT_REVIEWED,
    EMPLOYER_DEREGISTERED,
    EMPLOYER_REGISTERED,
    EmployerRegisteredSchema,
)
from services.orgs.events import EVENTS
from services.orgs.policy import table
from shared import privacy
from shared.decider import Decider, Executed, each_stream, loaded_from, would_change
from shared.decider import load as load_stream
from shared.nameko_ext import (
    EventStoreProvider,
    InboundMessage,
    ServiceStore,
    VaultProvider,
    inbound_handler,
    rpc,
    timer,
)
from shared.rules import InvalidTransition
from shared.service_base import UnionService
from shared.validation import load
from shared.vault import Vault

POLICY = table(list(dm.PARAMETERS))


class Orgs(UnionService):
    name = "orgs"

    store: ServiceStore = EventStoreProvider(EVENTS)
    vault: Vault = VaultProvider()

    # -- employers to organise -------------------------------------------------------------

    @rpc
    def register_employer(self, payload: dict[str, Any]) -> dict[str, Any]:
        """What 人社's message does, for an employer registered by hand."""
        p = load(EmployerRegisteredSchema(), payload, "register_employer")
        self._register_employer(p, None)
        return projections.employer(self.store.store, p["employer_id"])

    def _register_employer(self, p: dict[str, Any], conn: psycopg.Connection | None) -> None:
        today = self._today()
        months, version = POLICY.number("orgs.target_months", today)
        c = d.RegisterEmployer(
            p["employer_id"],
            p["name"],
            p["kind"],
            p["started_on"],
            p["employees"],
            p["division_code"],
            today,
            months,
            version,
        )
        self._execute(d.EMPLOYER, d.employer_stream(p["employer_id"]), c, "register", conn)

    @inbound_handler(EMPLOYER_REGISTERED)
    def on_employer_registered(self, message: InboundMessage) -> None:
        self.store.once(
            message,
            "on_employer_registered",
            lambda conn: self._register_employer(message.data, conn),
        )

    @inbound_handler(EMPLOYER_DEREGISTERED)
    def on_employer_deregistered(self, message: InboundMessage) -> None:
        p = message.data
        c = d.DeregisterEmployer(p["employer_id"], p["reason"], p["deregistered_on"])
        stream = d.employer_stream(p["employer_id"])
        self.store.once(
            message,
            "on_employer_deregistered",
            lambda conn: self._execute(d.EMPLOYER, stream, c, "deregister", conn),
        )

    # -- grassroots unions -----------------------------------------------------------------

    @rpc
    def approve_preparatory_committee(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The higher-level union approves a preparatory committee (工会法 Art. 12)."""
        p = load(cmd.PreparatoryCommittee(), payload, "approve_preparatory_committee")
        c = d.ApprovePreparatoryCommittee(
            p["union_id"],
            p["name"],
            p["kind"],
            p["parent_id"],
            tuple(p["employer_ids"]),
            self._actor(),
            self.context.role or "",
            p["approved_on"],
        )
        return self._union(p["union_id"], c, "prepare")

    @rpc
    def assign_organiser(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Organiser(), payload, "assign_organiser")
        c = d.AssignOrganiser(p["person_id"], p["staff_kind"])
        return self._union(p["union_id"], c, f"organiser:{p['person_id']}")

    @rpc
    def found_union(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Founded: funds converts the employers' accounts and refunds 筹备金 (flow F1)."""
        p = load(cmd.Election(), payload, "found_union")
        minimum, v1 = POLICY.number("union.committee_min_members", p["on"])
        c = d.FoundUnion(
            p["on"],
            p["member_count"],
            p["committee_size"],
            p["term_years"],
            minimum,
            self._terms(p["on"]),
            (v1,),
        )
        with self._tx() as conn:
            done = self._union_exec(p["union_id"], c, "found", conn)
            for employer in done.state.employer_ids:
                link = d.LinkUnion(p["union_id"], p["on"])
                stream = d.employer_stream(employer)
                self._execute(d.EMPLOYER, stream, link, f"link:{p['union_id']}", conn)
        return projections.union_view(done.state)

    @rpc
    def register_legal_person(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.LegalPerson(), payload, "register_legal_person")
        c = d.RegisterLegalPerson(p["uscc"], p["registered_on"])
        return self._union(p["union_id"], c, "legal-person")

    @rpc
    def assign_sector(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Published for funds: the education sector's 40 % rule (flow F14)."""
        p = load(cmd.Sector(), payload, "assign_sector")
        c = d.AssignSector(p["sector"])  # education, general, then education again
        return self._union(p["union_id"], c, f"sector:{self._call_key()}")

    @rpc
    def re_elect(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Election(), payload, "re_elect")
        minimum, _ = POLICY.number("union.committee_min_members", p["on"])
        c = d.ReElect(
            p["on"],
            p["member_count"],
            p["committee_size"],
            p["term_years"],
            minimum,
            self._terms(p["on"]),
        )
        return self._union(p["union_id"], c, f"re-elect:{p['on'].isoformat()}")

    @rpc
    def end_union(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Merge (with ``into_union_id``) or dissolve, for a lawful reason, approved above."""
        p = load(cmd.Ending(), payload, "end_union")
        into = p["into_union_id"]
        with self._tx() as conn:
            into_status = self._union_state(into, conn).status if into else ""
            c = d.EndUnion(
                p["reason"], self._actor(), self.context.role or "", p["on"], into, into_status
            )
            done = self._union_exec(p["union_id"], c, "end", conn)
            # Coverage counts employers by their own streams: they follow the ending. Not
            # only the founding employers: those of unions merged into this one too.
            hand_over = d.hand_over(done.state)
            if hand_over is not None:
                for employer in projections.employers_of(self.store.store, p["union_id"], conn):
                    stream = d.employer_stream(employer)
                    self._execute(d.EMPLOYER, stream, hand_over, f"end:{p['union_id']}", conn)
        return projections.union_view(done.state)

    @rpc
    def union(self, union_id: str) -> dict[str, Any]:
        view = projections.union_view(self._union_state(str(union_id)))
        return {**view, "employers_now": projections.employers_of(self.store.store, str(union_id))}

    @rpc
    def union_tree(self) -> list[dict[str, Any]]:
        """Every union with its parent, kind, status, employers and members."""
        return projections.union_tree(self.store.store)

    @rpc
    def coverage(self) -> dict[str, Any]:
        """Employers with and without a union, by kind; organising targets still open."""
        return projections.coverage(self.store.store)

    # -- members ---------------------------------------------------------------------------

    @rpc
    def apply_membership(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Application(), payload, "apply_membership")
        with self._tx() as conn:
            stored = self._personal().put(
                conn,
                p["person_id"],
                p["personal"],
                "membership application",
                metadata=self._meta(),
                command_id=f"put:{self._call_key()}",
            )
            c = d.Apply(p["person_id"], p["union_id"], p["applied_on"], stored)
            done = self._member(p["person_id"], c, f"apply:{self._call_key()}", conn)
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def admit_member(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Admitted: aid's eligibility follows (flow F4)."""
        p = load(cmd.Admission(), payload, "admit_member")
        with self._tx() as conn:
            member = self._member_state(p["person_id"], conn)
            active = self._union_state(member.union_id, conn).status in d.ACTIVE_UNION
            c = d.Admit(p["person_id"], p["member_no"], p["on"], active)
            done = self._member(p["person_id"], c, f"admit:{self._call_key()}", conn)  # re-admitted
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def issue_card(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Card(), payload, "issue_card")
        c = d.IssueCard(p["person_id"], p["card_id"], p["on"])
        done = self._member(p["person_id"], c, f"card:{self._call_key()}")
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def change_card(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.CardChange(), payload, "change_card")
        c = d.ChangeCard(p["person_id"], p["action"], p["reason"])
        done = self._member(p["person_id"], c, f"card-{p['action']}:{self._call_key()}")
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def record_member_activity(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Activity(), payload, "record_member_activity")
        c = d.RecordActivity(p["person_id"], p["kind"], p["on"])
        key = f"activity:{p['kind']}:{p['on'].isoformat()}"
        return projections.member_view(p["person_id"], self._member(p["person_id"], c, key).state)

    @rpc
    def transfer_member(self, payload: dict[str, Any]) -> dict[str, Any]:
        """会籍转接: aid moves the member's hardship file with them (flow F5)."""
        p = load(cmd.MemberTransfer(), payload, "transfer_member")
        with self._tx() as conn:
            active = self._union_state(p["to_union"], conn).status in d.ACTIVE_UNION
            c = d.TransferMember(p["person_id"], p["to_union"], p["on"], active)
            key = f"transfer:{self._call_key()}"  # and back, and there again
            done = self._member(p["person_id"], c, key, conn)
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def leave_union(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Leaving(), payload, "leave_union")
        c = d.Leave(p["person_id"], p["how"], p["on"], p["reason"])
        done = self._member(p["person_id"], c, f"leave:{self._call_key()}")  # left, rejoined, left
        return projections.member_view(p["person_id"], done.state)

    @rpc
    def member(self, person_id: str) -> dict[str, Any]:
        return projections.member_view(str(person_id), self._member_state(str(person_id)))

    @rpc
    def member_register(self, union_id: str | None = None) -> list[dict[str, Any]]:
        """Members by union: ids, member numbers, statuses and cards; no personal data."""
        return projections.member_register(self.store.store, union_id)

    @rpc
    def member_export(self, union_id: str | None = None) -> list[dict[str, Any]]:
        """The county data platform's member file (notice 八); the format is in the README."""
        return projections.member_export(self.store.store, union_id)

    @rpc
    def read_personal_data(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A member's personal data, for a role allowed to; the read is recorded either way."""
        p = load(cmd.ReadPersonal(), payload, "read_personal_data")
        with self._tx() as conn:
            member = self._member_state(p["subject_id"], conn)
            answer = self._personal().read(
                conn,
                p["subject_id"],
                p["names"],
                p["purpose"],
                role=self.context.role or "",
                same_union=bool(self.context.org_unit) and self.context.org_unit == member.union_id,
                metadata=self._meta(),
                command_id=f"read:{self._call_key()}",
            )
        if answer.refused:
            raise privacy.AccessDenied(answer.refused, fields=p["names"], role=self.context.role)
        return {"subject_id": answer.subject_id, "status": answer.status, "values": answer.values}

    @rpc
    def erase_subject(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.EraseSubject(), payload, "erase_subject")
        with self._tx() as conn:
            self._personal().erase(
                conn,
                (p["subject_id"],),
                p["reason"],
                role=self.context.role or "",
                metadata=self._meta(),
                command_id=f"erase:{self._call_key()}",
            )
        return {"subject_id": p["subject_id"], "status": "erased"}

    # -- collective contracts --------------------------------------------------------------

    @rpc
    def propose_negotiation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Proposal(), payload, "propose_negotiation")
        days, version = POLICY.number("contract.reply_days", p["proposed_on"])
        c = d.Propose(
            p["contract_id"],
            p["kind"],
            p["union_id"],
            tuple(p["employer_ids"]),
            p["proposed_by"],
            p["proposed_on"],
            days,
            version,
        )
        return self._contract(p["contract_id"], c, f"propose:{p['proposed_on'].isoformat()}")

    @rpc
    def respond_negotiation(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ContractDay(), payload, "respond_negotiation")
        c = d.Respond(p["on"])  # every negotiation on the stream, renewals included, has a reply
        return self._contract(p["contract_id"], c, f"respond:{self._call_key()}")

    @rpc
    def appoint_negotiators(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Negotiators(), payload, "appoint_negotiators")
        minimum, _ = POLICY.number("contract.min_negotiators", self._today())
        c = d.AppointNegotiators(
            tuple(p["union_side"]),
            tuple(p["employer_side"]),
            p["union_chief"],
            p["employer_chief"],
            minimum,
        )
        return self._contract(p["contract_id"], c, f"negotiators:{self._call_key()}")

    @rpc
    def hold_negotiation_round(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Round(), payload, "hold_negotiation_round")
        c = d.HoldRound(p["held_on"], p["summary"])
        return self._contract(p["contract_id"], c, f"round:{self._call_key()}")

    @rpc
    def agree_draft(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Draft(), payload, "agree_draft")
        c = d.AgreeDraft(p["agreed_on"], p["term_years"], p["summary"])
        return self._contract(p["contract_id"], c, f"draft:{self._call_key()}")

    @rpc
    def record_congress_vote(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The 职代会's vote on the draft: counted against ALL its delegates (Art. 36)."""
        p = load(cmd.Vote(), payload, "record_congress_vote")
        num, _ = POLICY.number("congress.quorum_num", p["voted_on"])
        den, _ = POLICY.number("congress.quorum_den", p["voted_on"])
        with self._tx() as conn:
            congress = self._voting_congress(p["congress_id"], conn)
            c = d.CongressVote(
                p["congress_id"],
                congress.union_id,
                congress.kind,
                congress.unit_id,
                p["voted_on"],
                len(congress.delegate_ids),
                p["present"],
                p["yes"],
                p["no"],
                p["abstain"],
                (num, den),
            )
            key = f"vote:{self._call_key()}"
            done = self._execute(d.CONTRACT, d.contract_stream(p["contract_id"]), c, key, conn)
        return projections.contract_view(done.state)

    @rpc
    def sign_contract(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ContractDay(), payload, "sign_contract")
        days, _ = POLICY.number("contract.filing_days", p["on"])
        c = d.Sign(p["on"], days)  # signed again after 人社's objections
        return self._contract(p["contract_id"], c, f"sign:{self._call_key()}")

    @rpc
    def file_contract(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Filed with 人社; with no objection in 15 days the contract takes effect (timer)."""
        p = load(cmd.ContractDay(), payload, "file_contract")
        days, _ = POLICY.number("contract.review_days", p["on"])
        return self._contract(p["contract_id"], d.File(p["on"], days), f"file:{self._call_key()}")

    @inbound_handler(CONTRACT_REVIEWED)
    def on_contract_reviewed(self, message: InboundMessage) -> None:
        p = message.data
        c = d.Reviewed(p["opinion"], tuple(p.get("objections") or ()), p["reviewed_on"])
        stream = d.contract_stream(p["contract_id"])
        self.store.once(
            message,
            "on_contract_reviewed",
            lambda conn: self._execute(
                d.CONTRACT, stream, c, f"reviewed:{message.message_id}", conn
            ),
        )

    @rpc
    def publish_contract(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Publication(), payload, "publish_contract")
        c = d.Publish(p["published_on"], p["channel"])
        return self._contract(p["contract_id"], c, f"publish:{self._call_key()}")

    @rpc
    def report_violation(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A breach: aid opens legal aid for the workers named (flow F12)."""
        p = load(cmd.Violation(), payload, "report_violation")
        c = d.ReportViolation(p["report_id"], tuple(p["person_ids"]), p["summary"], p["known_on"])
        return self._contract(p["contract_id"], c, f"violation:{p['report_id']}")

    @rpc
    def collective_contract(self, contract_id: str) -> dict[str, Any]:
        stream = d.contract_stream(str(contract_id))
        return projections.contract_view(load_stream(self.store.store, d.CONTRACT, stream).state)

    @rpc
    def contracts(self, status: str | None = None) -> list[dict[str, Any]]:
        """Contracts by state, with their deadlines (reply, filing, review, expiry)."""
        return projections.contracts(self.store.store, status)

    # -- the joint meeting -----------------------------------------------------------------

    @rpc
    def hold_joint_meeting(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.JointMeeting(), payload, "hold_joint_meeting")
        c = d.HoldJointMeeting(
            p["meeting_id"], p["held_on"], p["chaired_by"], tuple(p["attendees"])
        )
        return self._joint(c, f"meeting:{p['meeting_id']}")

    @rpc
    def record_joint_decision(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A decision; one with a budget impact becomes a grant and a line in funds (F15)."""
        p = load(cmd.Decision(), payload, "record_joint_decision")
        c = d.RecordDecision(
            p["meeting_id"],
            p["decision_id"],
            p["summary"],
            p["owner"],
            p["due_on"],
            p["budget_impact"],
        )
        return self._joint(c, f"decision:{p['decision_id']}")

    @rpc
    def close_joint_decision(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.DecisionClosing(), payload, "close_joint_decision")
        c = d.CloseDecision(p["decision_id"], p["closed_on"], p["note"])
        return self._joint(c, f"close:{p['decision_id']}")

    @rpc
    def joint_meeting(self) -> dict[str, Any]:
        """Meetings held, decisions open (and which are overdue)."""
        s = load_stream(self.store.store, d.JOINT_MEETING, d.JOINT_MEETING_STREAM).state
        return projections.series_view(s, self._today())

    # -- workers' congresses (职代会), 厂务公开, the tripartite committee, member benefits --------

    @rpc
    def establish_congress(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Congress(), payload, "establish_congress")
        c = dm.EstablishCongress(
            p["congress_id"],
            p["kind"],
            p["unit_id"],
            p["union_id"],
            p["term_years"],
            p["established_on"],
        )
        return self._congress(p["congress_id"], c, "establish")

    @rpc
    def elect_delegates(self, payload: dict[str, Any]) -> dict[str, Any]:
        """At least 30 delegates; managers at most 20 % (企业民主管理规定)."""
        p = load(cmd.Delegates(), payload, "elect_delegates")
        least, v1 = POLICY.number("congress.min_delegates", p["elected_on"])
        share, v2 = POLICY.number("congress.max_manager_bp", p["elected_on"])
        delegates = tuple((x["person_id"], x["is_manager"]) for x in p["delegates"])
        c = dm.ElectDelegates(p["term_no"], p["elected_on"], delegates, least, share, (v1, v2))
        return self._congress(p["congress_id"], c, f"elect:{self._call_key()}")

    @rpc
    def hold_congress_session(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A session and whether two thirds of ALL delegates are present (the quorum)."""
        p = load(cmd.Session(), payload, "hold_congress_session")
        num, v1 = POLICY.number("congress.quorum_num", p["held_on"])
        den, v2 = POLICY.number("congress.quorum_den", p["held_on"])
        c = dm.HoldSession(p["session_id"], p["held_on"], tuple(p["present"]), num, den, (v1, v2))
        return self._congress(p["congress_id"], c, f"session:{self._call_key()}")

    @rpc
    def vote_resolution(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Adopted only with yes from more than half of ALL delegates; recorded by item."""
        p = load(cmd.Resolution(), payload, "vote_resolution")
        c = dm.VoteResolution(
            p["session_id"],
            p["item_id"],
            p["title"],
            p["yes"],
            p["no"],
            p["abstain"],
            p["subject_ref"],
        )
        return self._congress(p["congress_id"], c, f"vote:{self._call_key()}")

    @rpc
    def congress(self, congress_id: str) -> dict[str, Any]:
        stream = dm.congress_stream(str(congress_id))
        return projections.congress_view(load_stream(self.store.store, dm.CONGRESS, stream).state)

    @rpc
    def congress_compliance(self, year: int) -> list[dict[str, Any]]:
        """Congresses with no session in the year (the notice's 职代会 at least once a year)."""
        return projections.congress_compliance(self.store.store, int(year))

    @rpc
    def disclose_item(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Disclosure(), payload, "disclose_item")
        c = dm.DiscloseItem(
            p["unit_id"],
            p["item_id"],
            p["topic"],
            p["channel"],
            p["period"],
            p["title"],
            p["disclosed_on"],
        )
        return self._disclosure(p["unit_id"], c, f"disclose:{self._call_key()}")

    @rpc
    def receive_disclosure_complaint(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Complaint(), payload, "receive_disclosure_complaint")
        c = dm.ReceiveComplaint(
            p["unit_id"], p["complaint_id"], p["item_id"], p["summary"], p["received_on"]
        )
        return self._disclosure(p["unit_id"], c, f"complaint:{self._call_key()}")

    @rpc
    def resolve_disclosure_complaint(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.ComplaintResolution(), payload, "resolve_disclosure_complaint")
        c = dm.ResolveComplaint(p["complaint_id"], p["resolution"], p["resolved_on"])
        return self._disclosure(p["unit_id"], c, f"resolve:{self._call_key()}")

    @rpc
    def constitute_tripartite(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Tripartite(), payload, "constitute_tripartite")
        c = dm.ConstituteTripartite(
            p["committee_id"],
            p["constituted_on"],
            p["chair_id"],
            tuple(p["government_ids"]),
            tuple(p["union_ids"]),
            tuple(p["employer_ids"]),
        )
        return self._tripartite(p["committee_id"], c, "constitute")

    @rpc
    def hold_tripartite_meeting(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.TripartiteMeeting(), payload, "hold_tripartite_meeting")
        c = dm.HoldTripartiteMeeting(
            p["meeting_id"],
            p["held_on"],
            tuple(p["government_ids"]),
            tuple(p["union_ids"]),
            tuple(p["employer_ids"]),
        )
        return self._tripartite(p["committee_id"], c, f"meeting:{self._call_key()}")

    @rpc
    def raise_tripartite_issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.TripartiteIssue(), payload, "raise_tripartite_issue")
        c = dm.RaiseTripartiteIssue(p["issue_id"], p["summary"], p["raised_by"], p["raised_on"])
        return self._tripartite(p["committee_id"], c, f"issue:{self._call_key()}")

    @rpc
    def resolve_tripartite_issue(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.TripartiteResolution(), payload, "resolve_tripartite_issue")
        c = dm.ResolveTripartiteIssue(p["issue_id"], p["resolution"], p["meeting_id"])
        return self._tripartite(p["committee_id"], c, f"resolve:{self._call_key()}")

    @rpc
    def launch_benefit_programme(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.BenefitProgramme(), payload, "launch_benefit_programme")
        c = dm.LaunchBenefitProgramme(p["programme_id"], p["union_id"], p["name"], p["launched_on"])
        return self._benefits(p["programme_id"], c, "launch")

    @rpc
    def enrol_merchant(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Merchant(), payload, "enrol_merchant")
        c = dm.EnrolMerchant(p["merchant_id"], p["name"], p["category"], p["enrolled_on"])
        return self._benefits(p["programme_id"], c, f"merchant:{self._call_key()}")

    @rpc
    def publish_offer(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.Offer(), payload, "publish_offer")
        c = dm.PublishOffer(
            p["offer_id"], p["merchant_id"], p["description"], p["valid_from"], p["valid_to"]
        )
        return self._benefits(p["programme_id"], c, f"offer:{self._call_key()}")

    @rpc
    def redeem_benefit(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Only with an active member card (会员卡普惠)."""
        p = load(cmd.Redemption(), payload, "redeem_benefit")
        with self._tx() as conn:
            member = self._member_state(p["person_id"], conn)
            c = dm.RedeemBenefit(
                p["redemption_id"],
                p["offer_id"],
                member.card_id or "",
                member.card_status if member.status == "active" else "none",
                p["redeemed_on"],
            )
            stream = dm.benefits_stream(p["programme_id"])
            key = f"redeem:{p['redemption_id']}"
            done = self._execute(dm.BENEFITS, stream, c, key, conn)
        return projections.benefits_view(done.state)

    @rpc
    def withdraw_merchant(self, payload: dict[str, Any]) -> dict[str, Any]:
        p = load(cmd.MerchantWithdrawal(), payload, "withdraw_merchant")
        c = dm.WithdrawMerchant(p["merchant_id"], p["reason"], p["withdrawn_on"])
        return self._benefits(p["programme_id"], c, f"withdraw:{self._call_key()}")

    def _congress(self, congress_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(dm.CONGRESS, dm.congress_stream(congress_id), c, key)
        return projections.congress_view(done.state)

    def _disclosure(self, unit_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(dm.DISCLOSURE, dm.disclosure_stream(unit_id), c, key)
        return projections.disclosure_view(done.state)

    def _tripartite(self, committee_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(dm.TRIPARTITE, dm.tripartite_stream(committee_id), c, key)
        return projections.tripartite_view(done.state)

    def _benefits(self, programme_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(dm.BENEFITS, dm.benefits_stream(programme_id), c, key)
        return projections.benefits_view(done.state)

    def _voting_congress(self, congress_id: str, conn: psycopg.Connection) -> dm.Congress:
        stream = dm.congress_stream(congress_id)
        s = load_stream(self.store.store, dm.CONGRESS, stream, conn).state
        if not s.delegate_ids:
            raise InvalidTransition(
                "the congress has no elected delegates to vote", field="congress_id"
            )
        return s

    def _congress_deadlines(self, today: date, key: str) -> int:
        interval, version = POLICY.number("congress.session_interval_days", today)
        c = dm.FlagSessionOverdue(today, interval, version)
        return self._sweep(dm.CONGRESS, "Congress", lambda _: c, key)

    # -- deadlines -------------------------------------------------------------------------

    @rpc
    def run_deadlines(self) -> dict[str, int]:
        """What the hourly timer does, now (operators, and tests on a set clock)."""
        return self.deadlines()

    @timer(interval=3600)
    def deadlines(self) -> dict[str, int]:
        today = self._today()
        key = f"deadlines:{today.isoformat()}"
        counts = {
            "targets": 0,
            "re_elections": 0,
            "lapses": 0,
            "contracts": 0,
            "joint_meeting": 0,
            "congresses": 0,
            "handed_over": 0,
        }
        months, version = POLICY.number("orgs.target_months", today)
        endings: dict[str, d.HandOverUnion | None] = {}
        for employer, events in each_stream(self.store.store, "Employer"):
            loaded = loaded_from(self.store.store, d.EMPLOYER, events)
            # First, so that an employer left with no union is reviewed as a target at once.
            moved = self._follow_ended_unions(employer, loaded.state, endings)
            counts["handed_over"] += moved
            # An employer of a union this run found ended may have been handed over
            # since the walk read it (end_union does that too): not judged on the
            # walk's copy, but executed, which reads it again.
            ended = not loaded.state.deregistered and (
                endings.get(loaded.state.union_id or "") is not None
            )
            review = d.ReviewTarget(employer, today, months, version)
            if moved or ended or would_change(d.EMPLOYER, review, key, loaded):
                counts["targets"] += self._count(
                    d.EMPLOYER, d.employer_stream(employer), review, key
                )
        notice, _ = POLICY.number("union.re_election_notice_days", today)
        flag = d.FlagReElection(today, notice)
        counts["re_elections"] = self._sweep(d.UNION, "Union", lambda _: flag, key)
        lapse, v1 = POLICY.number("member.lapse_months", today)
        grace, v2 = POLICY.number("member.lapse_grace_days", today)
        counts["lapses"] = self._sweep(
            d.MEMBER, "Member", lambda p: d.CheckLapse(p, today, lapse, grace, (v1, v2)), key
        )
        renewal, _ = POLICY.number("contract.renewal_window_days", today)
        due = d.ContractDeadlines(today, renewal)
        counts["contracts"] = self._sweep(d.CONTRACT, "Contract", lambda _: due, key)
        interval, _ = POLICY.number("joint_meeting.interval_days", today)
        c = d.JointMeetingDeadlines(today, interval, projections.first_day(self.store.store))
        counts["joint_meeting"] = self._count(d.JOINT_MEETING, d.JOINT_MEETING_STREAM, c, key)
        counts["congresses"] = self._congress_deadlines(today, key)
        return counts

    def _follow_ended_unions(
        self, employer: str, state: d.Employer, endings: dict[str, d.HandOverUnion | None]
    ) -> int:
        """An employer still with a union that has ended follows it now, through later endings.

        end_union hands employers over as it ends the union; this catches those
        of unions that ended before employers followed endings at all.
        ``state`` is the employer's as the run read it; ``endings`` caches each
        union's hand-over for the run.
        """
        stream = d.employer_stream(employer)
        if state.deregistered:
            return 0  # out of coverage, as end_union leaves it
        union_id = state.union_id
        seen: set[str] = set()
        moved = 0
        while union_id is not None and union_id not in seen:
            seen.add(union_id)
            if union_id not in endings:
                endings[union_id] = d.hand_over(self._union_state(union_id))
            hand_over = endings[union_id]
            if hand_over is None:
                break
            done = self._execute(d.EMPLOYER, stream, hand_over, f"end:{union_id}")
            moved += len(done.events)
            union_id = done.state.union_id
        return moved

    # -- the steps every command takes -----------------------------------------------------

    def _terms(self, on: date) -> tuple[int, ...]:
        short, _ = POLICY.number("union.term_years_short", on)
        long, _ = POLICY.number("union.term_years_long", on)
        return (short, long)

    def _personal(self) -> privacy.PersonalData:
        return privacy.PersonalData(self.store.store, self.vault, d.READABLE, d.ERASERS)

    def _union_state(self, union_id: str, conn: psycopg.Connection | None = None) -> d.Union:
        return load_stream(self.store.store, d.UNION, d.union_stream(union_id), conn).state

    def _member_state(self, person_id: str, conn: psycopg.Connection | None = None) -> d.Member:
        return load_stream(self.store.store, d.MEMBER, d.member_stream(person_id), conn).state

    def _union(self, union_id: str, c: object, key: str) -> dict[str, Any]:
        return projections.union_view(self._union_exec(union_id, c, key).state)

    def _union_exec(
        self, union_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> Executed[d.Union, object]:
        return self._execute(d.UNION, d.union_stream(union_id), c, key, conn)

    def _member(
        self, person_id: str, c: object, key: str, conn: psycopg.Connection | None = None
    ) -> Executed[d.Member, object]:
        return self._execute(d.MEMBER, d.member_stream(person_id), c, key, conn)

    def _contract(self, contract_id: str, c: object, key: str) -> dict[str, Any]:
        done = self._execute(d.CONTRACT, d.contract_stream(contract_id), c, key)
        return projections.contract_view(done.state)

    def _joint(self, c: object, key: str) -> dict[str, Any]:
        done = self._execute(d.JOINT_MEETING, d.JOINT_MEETING_STREAM, c, key)
        return projections.series_view(done.state, self._today())

    def _count(
        self, decider: Decider[object, Any, object], stream: str, c: object, key: str
    ) -> int:
        return len(self._execute(decider, stream, c, key).events)
