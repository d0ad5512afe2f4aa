"""Request and response bodies of joint applications (services/grants/usecases/joint.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator

from services.grants.domain.joint import MAX_PARTNERS
from services.grants.schemas import NonNegativeEur, PositiveEur, StrictModel
from shared.events.types import check_municipality
from shared.model import Model
from shared.reference import MunicipalityCode

AnswerCode = Literal["pending", "confirmed", "declined"]


class LeadPartIn(StrictModel):
    budget_share_eur: PositiveEur = Field(description="the lead's part of the total eligible cost")
    own_contribution_eur: NonNegativeEur = Field(description="what the lead finds itself of its share")


class PartnerPartIn(LeadPartIn):
    municipality_code: MunicipalityCode = Field(description="the partner municipality (not the lead)")

    _municipality = field_validator("municipality_code")(check_municipality)


class PartnershipIn(StrictModel):
    """The whole partnership, set at once: the lead's part and every partner's. The shares add up
    to the application's total eligible cost, the own contributions to its own contribution. No
    partners: the application is no longer joint (the lead's part is then not needed)."""

    lead: LeadPartIn | None = Field(default=None, description="the lead's part (needed with partners)")
    partners: list[PartnerPartIn] = Field(max_length=MAX_PARTNERS, description=f"at most {MAX_PARTNERS}")


class PartnerAnswerIn(StrictModel):
    answer: Literal["confirmed", "declined"]
    budget_share_eur: PositiveEur | None = Field(
        default=None, description="confirmed: the budget share confirmed (must be the part's as it is now)")
    own_contribution_eur: NonNegativeEur | None = Field(
        default=None, description="confirmed: the own contribution confirmed (must be the part's as it is now)")
    note: str | None = Field(default=None, max_length=2000,
                             description="e.g. the council decision committing the contribution, or why declined")


class PartOut(Model):
    municipality_code: MunicipalityCode
    municipality_name: str
    role: Literal["lead", "partner"]
    budget_share_eur: Decimal
    own_contribution_eur: Decimal
    grant_share_eur: Decimal = Field(description="budget share minus own contribution")
    min_own_contribution_eur: Decimal = Field(description="the least the call's funding rate allows for this share")
    answer: AnswerCode | None = Field(description="a partner's answer; null for the lead's part")
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer_note: str | None = None


class PartnershipOut(Model):
    application_id: UUID
    status: str
    lead_municipality_code: MunicipalityCode
    municipality_codes: list[MunicipalityCode] = Field(description="every municipality of the application, lead first")
    joint: bool = Field(description="whether partner municipalities apply with the lead")
    editable: bool = Field(description="the partnership may change (the application is in preparation)")
    total_eligible_cost_eur: Decimal
    requested_grant_eur: Decimal
    own_contribution_eur: Decimal
    parts: list[PartOut] = Field(description="all parts for the lead and the centre; a partner sees its own only")
    balanced: bool | None = Field(
        description="the parts add up to the budget as it is now (null: not joint, or seen by a partner)")
    waiting_for: list[MunicipalityCode] | None = Field(
        description="partners not yet confirmed (null when seen by a partner)")
    ready_to_submit: bool | None = Field(
        description="balanced and every partner confirmed (null: seen by a partner)")
