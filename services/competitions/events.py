"""competitions' events: what its log records and publishes. Amounts are integer fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.competitions import honours
from shared import privacy
from shared.registry import EventRegistry
from shared.schemas import event_schema, money, one_of

COMPETITION_KINDS = ("labour", "skill", "contest", "ankang")
"""劳动竞赛, 技能竞赛, 技术比武, 安康杯."""
STUDIO_KINDS = ("model_worker_studio", "worker_studio", "craftsman_studio", "startup_base")
"""劳模创新工作室, 职工创新工作室, 工匠人才创新工作室, 劳模创业示范基地."""

# -- competitions ---------------------------------------------------------------------


@dataclass(frozen=True)
class CompetitionAnnounced:
    competition_id: str
    kind: str
    title: str
    fiscal_year: int
    round: str
    """安康杯's two-year round, e.g. 2025-2026; the year for the others."""
    line: str
    announced_on: date


@dataclass(frozen=True)
class RegistrationOpened:
    opened_on: date


@dataclass(frozen=True)
class ParticipantRegistered:
    participant_id: str
    """A unit (employer) for the 安康杯 and team contests, a person otherwise."""
    unit_id: str


@dataclass(frozen=True)
class CompetitionStarted:
    started_on: date


@dataclass(frozen=True)
class ScoreRecorded:
    participant_id: str
    score: int
    judge: str


@dataclass(frozen=True)
class FatalAccidentRecorded:
    """一票否决: a fatal accident in the round vetoes the unit."""

    participant_id: str
    occurred_on: date
    reference: str


@dataclass(frozen=True)
class Award:
    participant_id: str
    award: str
    prize_fen: int


class AwardSchema(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    award = fields.String(required=True, validate=validate.Length(min=1, max=100))
    prize_fen = money()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Award:
        return Award(**data)


@dataclass(frozen=True)
class AwardRefused:
    participant_id: str
    reason: str
    """BelowThreshold, FatalAccident, NoSafetyAgreement, NotRegistered."""


class AwardRefusedSchema(Schema):
    participant_id = fields.String(required=True)
    reason = fields.String(required=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> AwardRefused:
        return AwardRefused(**data)


@dataclass(frozen=True)
class ResultsPublicized:
    awards: tuple[Award, ...]
    refused: tuple[AwardRefused, ...]
    starts_on: date
    ends_on: date
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class ResultObjectionRaised:
    objection_id: str
    participant_id: str
    summary: str


@dataclass(frozen=True)
class ResultObjectionResolved:
    objection_id: str
    upheld: bool
    finding: str


@dataclass(frozen=True)
class AwardsConferred:
    """Flow F10: the prizes, asked of funds with a reservation on the competition line."""

    competition_id: str
    awards: tuple[Award, ...]
    prize_total_fen: int
    conferred_on: date


@dataclass(frozen=True)
class PrizeFundsAnswered:
    request_id: str
    reserved: bool
    reason: str


@dataclass(frozen=True)
class PrizesPaid:
    amount_fen: int
    voucher_ref: str


@dataclass(frozen=True)
class CompetitionArchived:
    archived_on: date


@dataclass(frozen=True)
class CompetitionCancelled:
    reason: str


# -- the saga with funds (the same requests aid records) ---------------------------------


@dataclass(frozen=True)
class FundsReservationRequested:
    request_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    reference: str
    hold_until: date | None


@dataclass(frozen=True)
class FundsReleaseRequested:
    request_id: str
    fiscal_year: int
    line: str
    reason: str


@dataclass(frozen=True)
class FundsSpendReported:
    request_id: str
    fiscal_year: int
    line: str
    amount_fen: int
    voucher_ref: str


# -- rationalisation proposals (合理化建议) ------------------------------------------------


@dataclass(frozen=True)
class ProposalSubmitted:
    proposal_id: str
    unit_id: str
    proposer_ids: tuple[str, ...]
    title: str
    submitted_on: date


@dataclass(frozen=True)
class ProposalScreened:
    passed: bool
    opinion: str


@dataclass(frozen=True)
class ProposalEvaluated:
    score: int
    evaluators: tuple[str, ...]


@dataclass(frozen=True)
class ProposalAdopted:
    adopted_on: date


@dataclass(frozen=True)
class ProposalNotAdopted:
    reason: str


@dataclass(frozen=True)
class ProposalImplemented:
    implemented_on: date


@dataclass(frozen=True)
class ProposalBenefitAssessed:
    value_fen: int
    method: str


@dataclass(frozen=True)
class ProposalRewarded:
    amount_fen: int
    voucher_ref: str


# -- innovation studios and startup bases ------------------------------------------------


@dataclass(frozen=True)
class StudioApplied:
    studio_id: str
    kind: str
    name: str
    unit_id: str
    leader_id: str
    team_ids: tuple[str, ...]
    level: str
    applied_on: date


@dataclass(frozen=True)
class StudioReviewed:
    reviewer: str
    opinion: str


@dataclass(frozen=True)
class StudioNamed:
    """Flow F9: named at a level; its subsidy is asked of funds."""

    studio_id: str
    kind: str
    level: str
    leader_id: str
    leader_level: str
    team_size: int
    named_on: date
    reconfirm_due_on: date
    policy_versions: tuple[str, ...]


@dataclass(frozen=True)
class StudioApplicationRefused:
    reason: str
    detail: str


@dataclass(frozen=True)
class StudioSubsidyRequested:
    request_id: str
    amount_fen: int
    basis: str
    """new or reconfirmed."""
    policy_version: str


@dataclass(frozen=True)
class StudioSubsidySuperseded:
    """An earlier subsidy still unpaid when the reconfirmation's is requested: that year's
    line can no longer pay it, so it is given up (and any reservation released)."""

    request_id: str
    amount_fen: int


@dataclass(frozen=True)
class StudioSubsidyReserved:
    request_id: str
    amount_fen: int


@dataclass(frozen=True)
class StudioSubsidyPending:
    """funds refused: the studio stays named, its subsidy waits, visibly."""

    request_id: str
    reason: str


@dataclass(frozen=True)
class StudioSubsidyPaid:
    request_id: str
    amount_fen: int
    voucher_ref: str


@dataclass(frozen=True)
class StudioProjectRecorded:
    project_id: str
    year: int
    title: str


@dataclass(frozen=True)
class StudioResultRecorded:
    result_id: str
    kind: str
    """patent, method, award or benefit."""
    title: str
    benefit_fen: int


@dataclass(frozen=True)
class StudioReconfirmationDue:
    due_on: date


@dataclass(frozen=True)
class StudioReconfirmed:
    reconfirmed_on: date
    reconfirm_due_on: date


@dataclass(frozen=True)
class StudioRevoked:
    reason: str
    revoked_on: date


# -- what competitions knows from orgs ------------------------------------------------------


@dataclass(frozen=True)
class SafetyAgreementNoted:
    """Flow F13: orgs says a 劳动安全卫生专项集体合同 is in force for this employer."""

    employer_id: str
    contract_id: str
    effective_on: date
    expires_on: date


@dataclass(frozen=True)
class SafetyAgreementWithdrawn:
    """orgs withdrew the contract's effect (人社's objection was in time after all): it
    never counted for the 安康杯."""

    employer_id: str
    contract_id: str
    effective_on: date


@dataclass(frozen=True)
class CongressEndorsementNoted:
    """Flow F11: the unit's workers' congress adopted this nomination (orgs' resolution)."""

    nominee_id: str
    congress_id: str
    item_id: str
    unit_id: str


def _registry() -> EventRegistry:
    reg = EventRegistry()
    awards = fields.List(fields.Nested(AwardSchema), required=True)
    specific: dict[type, dict[str, fields.Field[Any]]] = {
        CompetitionAnnounced: {"kind": one_of(*COMPETITION_KINDS)},
        ResultsPublicized: {
            "awards": awards,
            "refused": fields.List(fields.Nested(AwardRefusedSchema), required=True),
        },
        AwardsConferred: {
            "awards": fields.List(fields.Nested(AwardSchema), required=True),
            "prize_total_fen": money(),
        },
        PrizesPaid: {"amount_fen": money()},
        FundsReservationRequested: {"amount_fen": money()},
        FundsSpendReported: {"amount_fen": money()},
        ProposalBenefitAssessed: {"value_fen": money()},
        ProposalRewarded: {"amount_fen": money()},
        StudioApplied: {"kind": one_of(*STUDIO_KINDS), "level": one_of(*honours.LEVELS)},
        StudioNamed: {"level": one_of(*honours.LEVELS), "leader_level": one_of(*honours.LEVELS)},
        StudioSubsidyRequested: {"amount_fen": money(), "basis": one_of("new", "reconfirmed")},
        StudioSubsidyReserved: {"amount_fen": money()},
        StudioSubsidyPaid: {"amount_fen": money()},
        StudioResultRecorded: {"benefit_fen": money()},
    }
    classes: tuple[type, ...] = (
        CompetitionAnnounced,
        RegistrationOpened,
        ParticipantRegistered,
        CompetitionStarted,
        ScoreRecorded,
        FatalAccidentRecorded,
        ResultsPublicized,
        ResultObjectionRaised,
        ResultObjectionResolved,
        AwardsConferred,
        PrizeFundsAnswered,
        PrizesPaid,
        CompetitionArchived,
        CompetitionCancelled,
        FundsReservationRequested,
        FundsReleaseRequested,
        FundsSpendReported,
        ProposalSubmitted,
        ProposalScreened,
        ProposalEvaluated,
        ProposalAdopted,
        ProposalNotAdopted,
        ProposalImplemented,
        ProposalBenefitAssessed,
        ProposalRewarded,
        StudioApplied,
        StudioReviewed,
        StudioNamed,
        StudioApplicationRefused,
        StudioSubsidyRequested,
        StudioSubsidySuperseded,
        StudioSubsidyReserved,
        StudioSubsidyPending,
        StudioSubsidyPaid,
        StudioProjectRecorded,
        StudioResultRecorded,
        StudioReconfirmationDue,
        StudioReconfirmed,
        StudioRevoked,
        SafetyAgreementNoted,
        SafetyAgreementWithdrawn,
        CongressEndorsementNoted,
    )
    for cls in classes:
        reg.register(cls.__name__, event_schema(cls, **specific.get(cls, {})), event_class=cls)
    honours.register(reg)
    privacy.register(reg)
    return reg


EVENTS = _registry()
