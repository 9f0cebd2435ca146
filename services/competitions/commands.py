"""competitions' command schemas (RPC payloads), and what it reads of other services' events."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.competitions.events import COMPETITION_KINDS, STUDIO_KINDS, AwardSchema
from shared.schemas import count as _count
from shared.schemas import day as _day
from shared.schemas import ident as _id
from shared.schemas import idents as _ids
from shared.schemas import text as _text
from shared.schemas import year as _year
from shared.validation import Pattern

LEVEL = validate.OneOf(["county", "city", "province", "national"])


class Announce(Schema):
    competition_id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(COMPETITION_KINDS))
    title = _text(200)
    fiscal_year = _year()
    round = fields.String(
        load_default=None,
        validate=Pattern(r"^\d{4}(-\d{4})?$"),
        metadata={"description": "安康杯's two-year round, e.g. 2025-2026 (default: the year)"},
    )
    announced_on = _day()


class CompetitionDay(Schema):
    competition_id = _id()
    on = _day()


class Participant(Schema):
    competition_id = _id()
    participant_id = _id()
    unit_id = _id()


class Score(Schema):
    competition_id = _id()
    participant_id = _id()
    score = _count()


class FatalAccident(Schema):
    competition_id = _id()
    participant_id = _id()
    occurred_on = _day()
    reference = _text(100)


class Results(Schema):
    competition_id = _id()
    awards = fields.List(fields.Nested(AwardSchema), required=True)
    starts_on = _day()


class ResultObjection(Schema):
    competition_id = _id()
    objection_id = _id()
    participant_id = _id()
    summary = _text(1000)


class ObjectionFinding(Schema):
    competition_id = _id()
    objection_id = _id()
    upheld = fields.Boolean(required=True)
    finding = _text(1000)


class CompetitionRef(Schema):
    competition_id = _id()


class Payment(Schema):
    competition_id = _id()
    voucher_ref = _text(100)


class CompetitionReason(Schema):
    competition_id = _id()
    reason = _text()


class ProposalIn(Schema):
    proposal_id = _id()
    unit_id = _id()
    proposer_ids = _ids()
    title = _text(200)
    submitted_on = _day()


class ProposalScreen(Schema):
    proposal_id = _id()
    passed = fields.Boolean(required=True)
    opinion = _text()


class ProposalEvaluation(Schema):
    proposal_id = _id()
    score = _count()
    evaluators = _ids()


class ProposalDecision(Schema):
    proposal_id = _id()
    adopt = fields.Boolean(required=True)
    on = _day()
    reason = _text()


class ProposalDay(Schema):
    proposal_id = _id()
    on = _day()


class ProposalBenefit(Schema):
    proposal_id = _id()
    value_fen = _count()
    method = _text()


class ProposalReward(Schema):
    proposal_id = _id()
    amount_fen = _count()
    voucher_ref = _text(100)


class StudioApplication(Schema):
    studio_id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(STUDIO_KINDS))
    name = _text(200)
    unit_id = _id()
    leader_id = _id()
    team_ids = _ids()
    level = fields.String(required=True, validate=LEVEL)
    applied_on = _day()


class StudioReview(Schema):
    studio_id = _id()
    opinion = _text()


class StudioDay(Schema):
    studio_id = _id()
    on = _day()


class StudioRef(Schema):
    studio_id = _id()


class StudioPayment(Schema):
    studio_id = _id()
    voucher_ref = _text(100)


class StudioProject(Schema):
    studio_id = _id()
    project_id = _id()
    year = _year()
    title = _text(200)


class StudioResult(Schema):
    studio_id = _id()
    result_id = _id()
    kind = fields.String(
        required=True, validate=validate.OneOf(["patent", "method", "award", "benefit"])
    )
    title = _text(200)
    benefit_fen = _count()


class StudioRevocation(Schema):
    studio_id = _id()
    reason = _text()
    on = _day()


# -- what competitions reads of other services' events (more fields are ignored) -----------


class FundsAnswer(Schema):
    reservation_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    reason = fields.String(load_default="")


class ContractInForce(Schema):
    """orgs' ContractTookEffect: a safety (劳动安全卫生) agreement counts for the 安康杯 (F13)."""

    contract_id = _id()
    employer_ids = fields.List(_id(), required=True)
    kind = _text(50)
    effective_on = _day()
    expires_on = _day()


class ContractWithdrawn(Schema):
    """orgs' ContractEffectWithdrawn: a safety agreement that never took effect after all."""

    contract_id = _id()
    employer_ids = fields.List(_id(), required=True)
    kind = _text(50)
    effective_on = _day()


class Resolution(Schema):
    """orgs' ResolutionAdopted: a congress adopted a nomination (subject_ref = nominee)."""

    congress_id = _id()
    unit_id = _id()
    item_id = _id()
    subject_ref = fields.String(load_default=None, allow_none=True)


class PlanSelection(Schema):
    selection_id = _id()
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            ["model_worker", "advanced_worker", "advanced_collective", "most_beautiful"]
        ),
    )
    level = fields.String(required=True, validate=LEVEL)
    year = _year()
    quota = _count(1)
    planned_on = _day()


class SelectionDay(Schema):
    selection_id = _id()
    on = _day()


class SelectionRef(Schema):
    selection_id = _id()


class SelectionReason(Schema):
    selection_id = _id()
    reason = _text()


class Nomination(Schema):
    selection_id = _id()
    nominee_id = _id()
    unit_id = _id()


class Screening(Schema):
    selection_id = _id()
    nominee_id = _id()
    passed = fields.Boolean(required=True)
    reason = _text()


class Veto(Schema):
    selection_id = _id()
    nominee_id = _id()
    vetoed = fields.Boolean(required=True)
    department = _text(100)
    reason = _text()


class SelectionObjection(Schema):
    selection_id = _id()
    objection_id = _id()
    nominee_id = _id()
    summary = _text(1000)


class SelectionObjectionFinding(Schema):
    selection_id = _id()
    objection_id = _id()
    upheld = fields.Boolean(required=True)


class ModelWorkerIn(Schema):
    person_id = _id()
    title = _text(100)
    level = fields.String(required=True, validate=LEVEL)
    year = _year()


class Hardship(Schema):
    person_id = _id()
    flag_id = _id()
    fiscal_year = _year()
    amount_fen = _count()
    household_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    reason = _text(50)


class WorkerService(Schema):
    person_id = _id()
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            ["health_check", "festival_visit", "recuperation", "hardship_subsidy"]
        ),
    )
    on = _day()
    note = _text()


class WorkerChange(Schema):
    person_id = _id()
    change = fields.String(required=True, validate=validate.OneOf(["retire", "death", "revoke"]))
    on = _day()
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500))


class Training(Schema):
    person_id = _id()
    course_id = _id()
    title = _text(200)
    hours = _count(1)
    completed_on = _day()


class Appraisal(Schema):
    person_id = _id()
    occupation = _text(100)
    level = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    appraised_on = _day()
    certificate_no = _text(64)
