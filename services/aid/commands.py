"""aid's command schemas: RPC payloads, and what aid reads of other services' events.

Personal values (ID numbers, income, illness, bank accounts) arrive only in a
command's ``personal`` part; the adapter puts them in the vault and the events
record which fields were stored, never the values.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.aid.domain import EXCLUSIONS
from services.aid.events import CATEGORIES, SEASONS, STAGES
from services.aid.policy import PROGRAMMES
from shared.schemas import count as _fen
from shared.schemas import ident as _id
from shared.schemas import text as _text
from shared.schemas import year as _year
from shared.validation import Pattern

ID_CARD = r"^\d{17}[\dX]$"


def _ids() -> fields.List[str]:
    return fields.List(_id(), required=True)


class ApplicantData(Schema):
    """The applicant's personal data: to the vault only."""

    name = _text(50)
    id_number = fields.String(required=True, validate=Pattern(ID_CARD))
    phone = fields.String(validate=validate.Length(max=30))
    bank_account = fields.String(validate=Pattern(r"^\d{12,30}$"))
    illness = fields.String(validate=validate.Length(max=500))


class HouseholdData(Schema):
    """What the home visit establishes: to the vault only."""

    rigid_expenditure_yearly_fen = _fen()
    event_costs_yearly_fen = fields.Integer(strict=True, validate=validate.Range(min=0))
    illness = fields.String(validate=validate.Length(max=500))


class SubmitApplication(Schema):
    household_id = _id()
    applicant_id = _id()
    union_id = _id()
    member_ids = _ids()
    causes = fields.List(_text(50), required=True, validate=validate.Length(min=1))
    temporary = fields.Boolean(load_default=False)
    migrant = fields.Boolean(load_default=False)
    exclusions = fields.List(fields.String(validate=validate.OneOf(EXCLUSIONS)), load_default=[])
    personal = fields.Nested(ApplicantData, required=True)


class PreliminaryReview(Schema):
    household_id = _id()
    passed = fields.Boolean(required=True)
    opinion = _text()


class HomeVisit(Schema):
    household_id = _id()
    visitors = fields.List(_id(), required=True, validate=validate.Length(min=2))
    visited_on = fields.Date(required=True)
    findings = _text(2000)
    forms_signed = fields.Boolean(required=True)
    personal = fields.Nested(HouseholdData, required=True)


class HouseholdRef(Schema):
    household_id = _id()


class PublicNotice(Schema):
    household_id = _id()
    starts_on = fields.Date(required=True)
    channel = _text(100)


class Objection(Schema):
    household_id = _id()
    objection_id = _id()
    summary = _text(1000)


class CloseNotice(Schema):
    household_id = _id()
    upheld = fields.Boolean(required=True)
    finding = _text(1000)


class Establish(Schema):
    household_id = _id()
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500))
    level = fields.String(
        load_default="county", validate=validate.OneOf(["national", "province", "city", "county"])
    )


class Convert(Schema):
    household_id = _id()
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


class Reclassify(Schema):
    household_id = _id()
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    reason = _text()


class Review(Schema):
    household_id = _id()
    finding = _text(1000)


class Closing(Schema):
    household_id = _id()
    reason = _text()


class Transfer(Schema):
    household_id = _id()
    to_union = _id()
    reason = _text()


class RequestAid(Schema):
    case_id = _id()
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    person_id = _id()
    household_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    fiscal_year = _year()
    amount_fen = _fen()
    reason = _text()


class Assess(Schema):
    case_id = _id()
    amount_fen = _fen()
    opinion = _text()


class CaseRef(Schema):
    case_id = _id()


class CaseReason(Schema):
    case_id = _id()
    reason = _text()


class Disbursement(Schema):
    case_id = _id()
    bank_ref = _text(100)
    disbursed_on = fields.Date(required=True)


class Receipt(Schema):
    case_id = _id()
    signed_on = fields.Date(required=True)


class Recovery(Schema):
    case_id = _id()
    amount_fen = _fen(1)
    reason = _text()


class Recovered(Schema):
    case_id = _id()
    amount_fen = _fen(1)
    voucher_ref = _text(100)


class PlanCampaign(Schema):
    campaign_id = _id()
    season = fields.String(required=True, validate=validate.OneOf(SEASONS))
    fiscal_year = _year()
    envelope_fen = _fen(1)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)


SEASON_PROGRAMME = {
    "spring": "spring_jobs",
    "summer": "summer_cool",
    "autumn": "golden_autumn",
    "winter": "winter_warmth",
}


class CampaignRef(Schema):
    campaign_id = _id()


class Beneficiary(Schema):
    campaign_id = _id()
    household_id = _id()
    amount_fen = _fen(1)


class BeneficiaryPayment(Schema):
    campaign_id = _id()
    household_id = _id()
    voucher_ref = _text(100)


class Enroll(Schema):
    plan_year = _year()
    person_id = _id()


class ClaimData(Schema):
    medical_cost_fen = _fen()
    insurance_paid_fen = _fen()
    diagnosis = _text(500)


class FileClaim(Schema):
    plan_year = _year()
    person_id = _id()
    claim_id = _id()
    treated_on = fields.Date(required=True)
    personal = fields.Nested(ClaimData, required=True)


class ReviewClaim(Schema):
    plan_year = _year()
    person_id = _id()
    claim_id = _id()
    approve = fields.Boolean(required=True)
    reason = _text()


class RequestLegalAid(Schema):
    case_id = _id()
    person_id = _id()
    union_id = _id()
    matter = _text(1000)
    knew_of_infringement_on = fields.Date(required=True)


class LegalDecision(Schema):
    case_id = _id()
    accept = fields.Boolean(required=True)
    reason = _text()


class LegalAssign(Schema):
    case_id = _id()
    assignee = _id()


class LegalStage(Schema):
    case_id = _id()
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    started_on = fields.Date(required=True)


class LegalRef(Schema):
    case_id = _id()


class LegalConclusion(Schema):
    case_id = _id()
    outcome = _text(1000)


class PlanRecuperation(Schema):
    programme_id = _id()
    fiscal_year = _year()
    quota = _fen(1)
    budget_fen = _fen()
    per_person_fen = _fen()


class Nomination(Schema):
    programme_id = _id()
    person_id = _id()
    priority = fields.String(
        required=True, validate=validate.OneOf(["model_worker", "front_line", "general"])
    )


class RecuperationRef(Schema):
    programme_id = _id()


class Attendance(Schema):
    programme_id = _id()
    attended = _ids()


class Settlement(Schema):
    programme_id = _id()
    amount_fen = _fen()
    voucher_ref = _text(100)


class ReadPersonal(Schema):
    subject_id = _id()
    names = fields.List(
        _text(64), required=True, validate=validate.Length(min=1), data_key="fields"
    )
    purpose = _text()


class EraseSubject(Schema):
    subject_id = _id()
    reason = _text()


# -- what aid reads of other services' events (more fields are ignored) ----------------


class MemberEvent(Schema):
    """orgs' MemberAdmitted / MemberLapsed / MemberWithdrawn / MemberExpelled (flow F4)."""

    person_id = _id()
    union_id = _id()
    occurred_on = fields.Date(required=True)


class MemberTransferred(Schema):
    """orgs' MemberTransferred (flow F5): the file moves with the member."""

    person_id = _id()
    from_union = _id()
    to_union = _id()
    occurred_on = fields.Date(required=True)


class UnionDissolved(Schema):
    """orgs' UnionDissolved (flow F5): its files go to the county 帮扶中心's custody."""

    union_id = _id()
    dissolved_on = fields.Date(required=True)


class ContractViolation(Schema):
    """orgs' ContractViolationReported (flow F12): legal aid for the workers named."""

    report_id = _id()
    union_id = _id()
    person_ids = fields.List(_id(), required=True, validate=validate.Length(min=1))
    summary = _text(1000)
    known_on = fields.Date(required=True)


class ModelWorker(Schema):
    """competitions' ModelWorkerRegistered (flow F8)."""

    person_id = _id()
    level = fields.String(
        required=True, validate=validate.OneOf(["county", "city", "province", "national"])
    )


class ModelWorkerHardship(Schema):
    """competitions' ModelWorkerHardshipFlagged (flow F8): a 劳模困难帮扶 case."""

    person_id = _id()
    flag_id = _id()
    fiscal_year = _year()
    amount_fen = _fen()
    household_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class FundsAnswer(Schema):
    """funds' FundsReserved / BudgetReservationRefused / ReservationExpired."""

    reservation_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    reason = fields.String(load_default="")
    available_fen = fields.Integer(load_default=None)
