"""What orgs takes from other systems, and the events it publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.orgs import democracy, domain, projections
from services.orgs.events import EVENTS
from shared.envelope import Subscription
from shared.inbound import CREDIT_CODE, InboundType
from shared.privacy import subject_decider
from shared.readmodels import ReadModel
from shared.validation import Pattern

EMPLOYER_KINDS = [
    "non_public_enterprise",
    "new_economic_organisation",
    "new_social_organisation",
    "state_owned_enterprise",
    "public_institution",
    "government_body",
]


class EmployerRegisteredSchema(Schema):
    employer_id = fields.String(
        required=True,
        validate=Pattern(CREDIT_CODE),
        metadata={"description": "unified social credit code"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(EMPLOYER_KINDS))
    started_on = fields.Date(required=True, metadata={"description": "began operating"})
    employees = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    division_code = fields.String(
        required=True,
        validate=Pattern(r"^\d{6}(\d{3}(\d{3})?)?$"),
        metadata={"description": "民政 administrative division code (county, township, village)"},
    )


class ContractReviewedSchema(Schema):
    contract_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the contract id orgs gave when filing it"},
    )
    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    opinion = fields.String(
        required=True,
        validate=validate.OneOf(["approved", "objections"]),
        metadata={"description": "approved, or objections raised within the review period"},
    )
    objections = fields.List(fields.String(validate=validate.Length(min=1, max=500)))
    reviewed_on = fields.Date(required=True)


class EmployerDeregisteredSchema(Schema):
    employer_id = fields.String(required=True, validate=Pattern(CREDIT_CODE))
    deregistered_on = fields.Date(required=True)
    reason = fields.String(
        required=True, validate=validate.OneOf(["closed", "merged", "moved_out", "revoked"])
    )


EMPLOYER_REGISTERED = InboundType(
    name="hrss.EmployerRegistered",
    schema=EmployerRegisteredSchema,
    owner="orgs",
    publisher="human resources and social security bureau (人社局)",
    summary="A new employer registered for social insurance in the county.",
)
CONTRACT_REVIEWED = InboundType(
    name="hrss.CollectiveContractReviewed",
    schema=ContractReviewedSchema,
    owner="orgs",
    publisher="human resources and social security bureau (人社局)",
    summary="人社's review opinion on a filed collective contract.",
)
EMPLOYER_DEREGISTERED = InboundType(
    name="platform.EmployerDeregistered",
    schema=EmployerDeregisteredSchema,
    owner="orgs",
    publisher="county data platform (数据资源平台)",
    summary="An employer closed, merged or moved out of the county.",
)

INBOUND: tuple[InboundType, ...] = (EMPLOYER_REGISTERED, CONTRACT_REVIEWED, EMPLOYER_DEREGISTERED)
SUBSCRIPTIONS: tuple[Subscription, ...] = ()
"""orgs reacts to no other service; aid, funds and competitions react to it."""

DECIDERS = {
    "Employer": domain.EMPLOYER,
    "Union": domain.UNION,
    "Member": domain.MEMBER,
    "Contract": domain.CONTRACT,
    "JointMeeting": domain.JOINT_MEETING,
    "Congress": democracy.CONGRESS,
    "Disclosure": democracy.DISCLOSURE,
    "Tripartite": democracy.TRIPARTITE,
    "Benefits": democracy.BENEFITS,
    "Subject": subject_decider({}),
}
"""Each stream type's decider, so auditors can fold a stream as the service does."""

READ_MODELS: dict[str, ReadModel] = {
    "union_tree": projections.union_tree,
    "coverage": projections.coverage,
    "member_register": lambda store: projections.member_register(store, None),
    "member_export": lambda store: projections.member_export(store, None),
    "contracts": lambda store: projections.contracts(store, None),
}
"""The read models the service answers queries from; ``unionctl audit replay`` rebuilds them.

(The joint meeting's view depends on today's date, so it is not among them.)
"""

__all__ = ["DECIDERS", "EVENTS", "INBOUND", "READ_MODELS", "SUBSCRIPTIONS"]
