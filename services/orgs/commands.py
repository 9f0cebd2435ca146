"""orgs' command schemas (RPC payloads). Personal values only in a ``personal`` part."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.orgs.events import (
    CONTRACT_KINDS,
    ENDINGS,
    SECTORS,
    STAFF_KINDS,
    UNION_KINDS,
    BudgetImpactSchema,
)
from shared.inbound import CREDIT_CODE
from shared.schemas import count as _count
from shared.schemas import day as _day
from shared.schemas import ident as _id
from shared.schemas import text as _text
from shared.validation import Pattern


def _employers() -> fields.List[str]:
    return fields.List(
        fields.String(validate=Pattern(CREDIT_CODE)),
        required=True,
        validate=validate.Length(min=1),
    )


def _people(least: int = 1) -> fields.List[str]:
    return fields.List(_id(), required=True, validate=validate.Length(min=least))


class PreparatoryCommittee(Schema):
    union_id = _id()
    name = _text(200)
    kind = fields.String(required=True, validate=validate.OneOf(UNION_KINDS))
    parent_id = _id()
    employer_ids = _employers()
    approved_on = _day()


class Organiser(Schema):
    union_id = _id()
    person_id = _id()
    staff_kind = fields.String(required=True, validate=validate.OneOf(STAFF_KINDS))


class Election(Schema):
    union_id = _id()
    on = _day()
    member_count = _count(1)
    committee_size = _count(1)
    term_years = _count(1)


class LegalPerson(Schema):
    union_id = _id()
    uscc = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    registered_on = _day()


class Sector(Schema):
    union_id = _id()
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))


class Ending(Schema):
    union_id = _id()
    reason = fields.String(required=True, validate=validate.OneOf(ENDINGS))
    on = _day()
    into_union_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class MemberData(Schema):
    name = _text(50)
    id_number = fields.String(validate=Pattern(r"^\d{17}[\dX]$"))
    phone = fields.String(validate=validate.Length(max=30))


class Application(Schema):
    person_id = _id()
    union_id = _id()
    applied_on = _day()
    personal = fields.Nested(MemberData, required=True)


class Admission(Schema):
    person_id = _id()
    member_no = _text(32)
    on = _day()


class Card(Schema):
    person_id = _id()
    card_id = _text(32)
    on = _day()


class CardChange(Schema):
    person_id = _id()
    action = fields.String(
        required=True, validate=validate.OneOf(["activate", "suspend", "cancel"])
    )
    reason = _text()


class Activity(Schema):
    person_id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(["dues", "activity"]))
    on = _day()


class MemberTransfer(Schema):
    person_id = _id()
    to_union = _id()
    on = _day()


class Leaving(Schema):
    person_id = _id()
    how = fields.String(required=True, validate=validate.OneOf(["withdrawn", "expelled"]))
    on = _day()
    reason = _text()


class Proposal(Schema):
    contract_id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(CONTRACT_KINDS))
    union_id = _id()
    employer_ids = _employers()
    proposed_by = fields.String(required=True, validate=validate.OneOf(["union", "employer"]))
    proposed_on = _day()


class ContractDay(Schema):
    contract_id = _id()
    on = _day()


class Negotiators(Schema):
    contract_id = _id()
    union_side = _people(1)
    employer_side = _people(1)
    union_chief = _id()
    employer_chief = _id()


class Round(Schema):
    contract_id = _id()
    held_on = _day()
    summary = _text(2000)


class Draft(Schema):
    contract_id = _id()
    agreed_on = _day()
    term_years = _count(1)
    summary = _text(2000)


class Vote(Schema):
    contract_id = _id()
    congress_id = _id()
    voted_on = _day()
    present = _count()
    yes = _count()
    no = _count()
    abstain = _count()


class Publication(Schema):
    contract_id = _id()
    published_on = _day()
    channel = _text(100)


class Violation(Schema):
    contract_id = _id()
    report_id = _id()
    person_ids = _people(1)
    summary = _text(1000)
    known_on = _day()


class JointMeeting(Schema):
    meeting_id = _id()
    held_on = _day()
    chaired_by = _text(100)
    attendees = fields.List(_text(100), required=True, validate=validate.Length(min=1))


class Decision(Schema):
    meeting_id = _id()
    decision_id = _id()
    summary = _text(1000)
    owner = _text(100)
    due_on = _day()
    budget_impact = fields.Nested(BudgetImpactSchema, load_default=None, allow_none=True)


class DecisionClosing(Schema):
    decision_id = _id()
    closed_on = _day()
    note = _text()


class ReadPersonal(Schema):
    subject_id = _id()
    names = fields.List(
        _text(64), required=True, validate=validate.Length(min=1), data_key="fields"
    )
    purpose = _text()


class EraseSubject(Schema):
    subject_id = _id()
    reason = _text()


class Congress(Schema):
    congress_id = _id()
    kind = fields.String(
        required=True, validate=validate.OneOf(["enterprise", "regional", "industry"])
    )
    unit_id = _id()
    union_id = _id()
    term_years = _count(1)
    established_on = _day()


class Delegate(Schema):
    person_id = _id()
    is_manager = fields.Boolean(required=True)


class Delegates(Schema):
    congress_id = _id()
    term_no = _count(1)
    elected_on = _day()
    delegates = fields.List(fields.Nested(Delegate), required=True, validate=validate.Length(min=1))


class Session(Schema):
    congress_id = _id()
    session_id = _id()
    held_on = _day()
    present = _people(0)


class Resolution(Schema):
    congress_id = _id()
    session_id = _id()
    item_id = _id()
    title = _text(200)
    yes = _count()
    no = _count()
    abstain = _count()
    subject_ref = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class Disclosure(Schema):
    unit_id = _id()
    item_id = _id()
    topic = _text(50)
    channel = _text(50)
    period = _text(20)
    title = _text(200)
    disclosed_on = _day()


class Complaint(Schema):
    unit_id = _id()
    complaint_id = _id()
    item_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    summary = _text(1000)
    received_on = _day()


class ComplaintResolution(Schema):
    unit_id = _id()
    complaint_id = _id()
    resolution = _text(1000)
    resolved_on = _day()


class Tripartite(Schema):
    committee_id = _id()
    constituted_on = _day()
    chair_id = _id()
    government_ids = _people(1)
    union_ids = _people(1)
    employer_ids = _people(1)


class TripartiteMeeting(Schema):
    committee_id = _id()
    meeting_id = _id()
    held_on = _day()
    government_ids = _people(0)
    union_ids = _people(0)
    employer_ids = _people(0)


class TripartiteIssue(Schema):
    committee_id = _id()
    issue_id = _id()
    summary = _text(1000)
    raised_by = fields.String(
        required=True, validate=validate.OneOf(["government", "union", "employer"])
    )
    raised_on = _day()


class TripartiteResolution(Schema):
    committee_id = _id()
    issue_id = _id()
    resolution = _text(1000)
    meeting_id = _id()


class BenefitProgramme(Schema):
    programme_id = _id()
    union_id = _id()
    name = _text(200)
    launched_on = _day()


class Merchant(Schema):
    programme_id = _id()
    merchant_id = _id()
    name = _text(200)
    category = _text(50)
    enrolled_on = _day()


class Offer(Schema):
    programme_id = _id()
    offer_id = _id()
    merchant_id = _id()
    description = _text(500)
    valid_from = _day()
    valid_to = _day()


class Redemption(Schema):
    programme_id = _id()
    redemption_id = _id()
    offer_id = _id()
    person_id = _id()
    redeemed_on = _day()


class MerchantWithdrawal(Schema):
    programme_id = _id()
    merchant_id = _id()
    reason = _text()
    withdrawn_on = _day()
