"""What aid takes from other systems and services, and the events it publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.aid import commands as cmd
from services.aid import domain, programmes, projections
from services.aid.events import EVENTS
from shared.envelope import Subscription
from shared.inbound import InboundType
from shared.readmodels import ReadModel, distinct_values

REF = validate.Length(min=1, max=64)


class SubsistenceAllowanceStatusSchema(Schema):
    household_ref = fields.String(
        required=True,
        validate=REF,
        metadata={"description": "the pseudonymous household id aid gave civil affairs"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(["granted", "ceased", "not_eligible"]),
        metadata={"description": "the household's 低保 (minimum living allowance) status"},
    )
    effective_on = fields.Date(required=True)
    dibao_standard_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the local monthly 低保 standard per person, in fen (public)"},
    )


class IncomeVerificationSchema(Schema):
    request_id = fields.String(
        required=True,
        validate=REF,
        metadata={"description": "the id of aid's verification request"},
    )
    household_ref = fields.String(required=True, validate=REF)
    result = fields.String(
        required=True,
        validate=validate.OneOf(["verified", "discrepancy", "incomplete"]),
        metadata={"description": "the 核对 conclusion of the 低保信息核对中心"},
    )
    household_size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    per_capita_monthly_income_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "personal data: kept in aid's vault, never in events"},
    )
    completed_on = fields.Date(required=True)


ALLOWANCE_STATUS = InboundType(
    name="civil.SubsistenceAllowanceStatusChanged",
    schema=SubsistenceAllowanceStatusSchema,
    owner="aid",
    publisher="county civil affairs bureau (民政局)",
    summary="A household's 低保 status changed (granted, ceased, not eligible).",
    personal_fields=("status",),
)
INCOME_VERIFIED = InboundType(
    name="civil.IncomeVerificationCompleted",
    schema=IncomeVerificationSchema,
    owner="aid",
    publisher="civil affairs 低保信息核对中心",
    summary="The result of a household income verification aid requested.",
    personal_fields=("per_capita_monthly_income_fen",),
)

INBOUND: tuple[InboundType, ...] = (ALLOWANCE_STATUS, INCOME_VERIFIED)

_FUNDS = "the answer to aid's FundsReservationRequested (reservation_id = 'aid:' + request_id)"
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("funds", "FundsReserved", cmd.FundsAnswer, f"F6: {_FUNDS}: approved"),
    Subscription(
        "funds",
        "BudgetReservationRefused",
        cmd.FundsAnswer,
        f"F6: {_FUNDS}: AidApprovalBlocked (BudgetExhausted)",
    ),
    Subscription(
        "funds",
        "ReservationExpired",
        cmd.FundsAnswer,
        "an approved case whose reservation lapsed before payment is blocked again",
    ),
    *(
        Subscription("orgs", name, cmd.MemberEvent, f"F4: member eligibility ({status})")
        for name, status in (
            ("MemberAdmitted", "active"),
            ("MemberLapsed", "lapsed"),
            ("MemberWithdrawn", "withdrawn"),
            ("MemberExpelled", "expelled"),
        )
    ),
    Subscription(
        "orgs",
        "MemberTransferred",
        cmd.MemberTransferred,
        "F5: the member's open hardship file moves to the new union",
    ),
    Subscription(
        "orgs",
        "UnionDissolved",
        cmd.UnionDissolved,
        "F5: the union's open files go into the county assistance centre's custody",
    ),
    Subscription(
        "orgs",
        "ContractViolationReported",
        cmd.ContractViolation,
        "F12: a legal aid case per worker named, with the 1-year arbitration limit",
    ),
    Subscription(
        "competitions",
        "ModelWorkerRegistered",
        cmd.ModelWorker,
        "F8: recuperation priority for model workers",
    ),
    Subscription(
        "competitions",
        "ModelWorkerHardshipFlagged",
        cmd.ModelWorkerHardship,
        "F8: a 劳模困难帮扶 case and a place on the year's open 疗休养 programmes",
    ),
)

DECIDERS = {
    "HardshipFile": domain.HARDSHIP_FILE,
    "AidCase": domain.CASE,
    "AidClaim": domain.CLAIM,
    "Campaign": programmes.CAMPAIGN,
    "MutualAid": programmes.ENROLLMENT,
    "LegalAid": programmes.LEGAL_AID,
    "Recuperation": programmes.RECUPERATION,
    "Person": programmes.PERSON,
    "Subject": programmes.SUBJECT,
    "Allowance": programmes.ALLOWANCE,
}
"""Each stream type's decider, so auditors can fold a stream as the service does."""

READ_MODELS: dict[str, ReadModel] = {
    "hardship_files": projections.files,
    "assistance_cases": lambda store: {
        year: projections.cases(store, int(year))
        for year in distinct_values(store, "AidRequested", "fiscal_year")
    },
}
"""The read models the service answers queries from; ``unionctl audit replay`` rebuilds them."""

__all__ = ["DECIDERS", "EVENTS", "INBOUND", "READ_MODELS", "SUBSCRIPTIONS"]
