"""What competitions takes from other services (nothing from outside systems yet)
and the events it publishes."""

from __future__ import annotations

from services.competitions import commands as cmd
from services.competitions import domain, honours, projections
from services.competitions.events import EVENTS
from shared.envelope import Subscription
from shared.inbound import InboundType
from shared.privacy import subject_decider
from shared.readmodels import ReadModel, distinct_values

INBOUND: tuple[InboundType, ...] = ()

_FUNDS = "the answer to competitions' FundsReservationRequested (prize: or studio: requests)"
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("funds", "FundsReserved", cmd.FundsAnswer, f"F9, F10: {_FUNDS}: reserved"),
    Subscription(
        "funds",
        "BudgetReservationRefused",
        cmd.FundsAnswer,
        f"F9, F10: {_FUNDS}: the prize or subsidy shows pending",
    ),
    Subscription(
        "funds",
        "ReservationExpired",
        cmd.FundsAnswer,
        "a prize or subsidy reservation lapsed before payment: pending again, ask again",
    ),
    Subscription(
        "orgs",
        "ContractTookEffect",
        cmd.ContractInForce,
        "F13: a labour-safety special agreement (kind safety) in force for the 安康杯",
    ),
    Subscription(
        "orgs",
        "ContractEffectWithdrawn",
        cmd.ContractWithdrawn,
        "F13: 人社's objection was in time after all: the safety agreement never counted",
    ),
    Subscription(
        "orgs",
        "ResolutionAdopted",
        cmd.Resolution,
        "F11: the unit's workers' congress adopted a nomination (subject_ref = nominee)",
    ),
)

DECIDERS = {
    "Competition": domain.COMPETITION,
    "Proposal": domain.PROPOSAL,
    "Studio": domain.STUDIO,
    "SafetyAgreement": domain.SAFETY,
    "Endorsement": domain.ENDORSEMENTS,
    "Selection": honours.SELECTION,
    "SelectionCycle": honours.SELECTION_CYCLE,
    "ModelWorker": honours.MODEL_WORKER,
    "Skills": honours.SKILLS,
    "Subject": subject_decider({}),
}
"""Each stream type's decider, so auditors can fold a stream as the service does."""

READ_MODELS: dict[str, ReadModel] = {
    "competitions": lambda store: {
        year: projections.competitions(store, int(year))
        for year in distinct_values(store, "CompetitionAnnounced", "fiscal_year")
    },
    "studios": lambda store: projections.studios(store, None),
    "selections": projections.selections,
    "model_workers": projections.model_workers,
}
"""The read models the service answers queries from; ``unionctl audit replay`` rebuilds them."""

__all__ = ["DECIDERS", "EVENTS", "INBOUND", "READ_MODELS", "SUBSCRIPTIONS"]
