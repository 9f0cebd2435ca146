"""What funds takes from other systems, and (as they land) the events it publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.funds import commands as cmd
from services.funds import domain, ledger, projections
from services.funds.events import EVENTS
from shared.envelope import Subscription
from shared.inbound import CREDIT_CODE, InboundType
from shared.readmodels import ReadModel, stream_keys
from shared.store import EventStore
from shared.validation import Pattern

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


class DuesCollectedSchema(Schema):
    employer_id = fields.String(
        required=True,
        validate=Pattern(CREDIT_CODE),
        metadata={"description": "the employer's unified social credit code"},
    )
    period = fields.String(
        required=True,
        validate=Pattern(PERIOD),
        metadata={"description": "the payroll month the payment is for, YYYY-MM"},
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["dues", "preparatory_fund"]),
        metadata={"description": "dues: 工会经费; preparatory_fund: 建会筹备金 (no union yet)"},
    )
    payroll_base_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the total monthly payroll declared, in fen"},
    )
    amount_fen = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "the amount collected, in fen"},
    )
    collected_on = fields.Date(required=True)
    tax_voucher_no = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the tax bureau's voucher (税票) number"},
    )


DUES_COLLECTED = InboundType(
    name="tax.DuesCollected",
    schema=DuesCollectedSchema,
    owner="funds",
    publisher="county tax bureau (税务局)",
    summary="Union dues or 建会筹备金 collected from an employer for one payroll month.",
)

INBOUND: tuple[InboundType, ...] = (DUES_COLLECTED,)

_SAGA = (
    "; funds answers with FundsReserved / BudgetReservationRefused (reservation_id = request_id)"
)
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    *(
        Subscription(
            src,
            "FundsReservationRequested",
            cmd.ReservationRequest,
            "reserve money on a budget line" + _SAGA,
        )
        for src in ("aid", "competitions")
    ),
    *(
        Subscription(
            src,
            "FundsReleaseRequested",
            cmd.ReleaseRequest,
            "release a reservation (ReservationReleased)",
        )
        for src in ("aid", "competitions")
    ),
    *(
        Subscription(
            src,
            "FundsSpendReported",
            cmd.SpendReport,
            "money paid against a reservation (ExpenditureRecorded and a voucher)",
        )
        for src in ("aid", "competitions")
    ),
    Subscription(
        "orgs",
        "UnionFounded",
        cmd.UnionFounded,
        "F1: converts the employers' dues accounts and refunds the 建会筹备金",
    ),
    Subscription(
        "orgs",
        "UnionMerged",
        cmd.UnionMerged,
        "the merged union's dues accounts follow to the union it merged into",
    ),
    Subscription(
        "orgs",
        "UnionDissolved",
        cmd.UnionDissolved,
        "the dissolved union's dues accounts have no union again (建会筹备金)",
    ),
    Subscription(
        "orgs",
        "UnionSectorAssigned",
        cmd.UnionSectorAssigned,
        "F14: the education sector's 40 % rule applies to these employers",
    ),
    Subscription(
        "orgs",
        "JointMeetingDecisionRecorded",
        cmd.JointMeetingDecision,
        "F15: a decision with budget_impact commits a fiscal grant and allocates the line",
    ),
)

DECIDERS = {
    "BudgetLine": domain.BUDGET_LINE,
    "DuesAccount": domain.DUES_ACCOUNT,
    "UnionRecord": domain.UNION_RECORD,
    "Ledger": ledger.LEDGER,
    "Asset": ledger.ASSET,
    "FiscalGrant": ledger.GRANT,
    "ServiceCentreProject": ledger.PROJECT,
}
"""Each stream type's decider, so auditors can fold a stream as the service does."""


def _years(store: EventStore, stream_type: str) -> list[int]:
    return sorted({int(key.split(".")[0]) for key in stream_keys(store, stream_type)})


READ_MODELS: dict[str, ReadModel] = {
    "budget_execution": lambda store: {
        year: projections.budget_execution(store, year) for year in _years(store, "BudgetLine")
    },
    "trial_balance": lambda store: {
        year: projections.trial_balance(store, year) for year in _years(store, "Ledger")
    },
    "dues_reconciliation": lambda store: {
        employer: projections.dues_reconciliation(store, employer)
        for employer in projections.employers(store)
    },
    "asset_register": projections.asset_register,
}
"""The read models the service answers queries from; ``unionctl audit replay`` rebuilds them."""

__all__ = ["DECIDERS", "DUES_COLLECTED", "EVENTS", "INBOUND", "READ_MODELS", "SUBSCRIPTIONS"]
