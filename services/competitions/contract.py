"""What competitions takes from other services (nothing from outside systems yet)
and the events it publishes."""

from __future__ import annotations

from services.competitions import commands as cmd
from services.competitions import domain, honours
from services.competitions.events import EVENTS
from shared.envelope import Subscription
from shared.inbound import InboundType
from shared.privacy import subject_decider

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
        "orgs",
        "ContractTookEffect",
        cmd.ContractInForce,
        "F13: a labour-safety special agreement (kind safety) in force for the 安康杯",
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

__all__ = ["DECIDERS", "EVENTS", "INBOUND", "SUBSCRIPTIONS"]
