"""Request and response bodies of the grants HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.grants.domain.rules import APPLICANT_TYPES
from shared.events.types import CountryCode, LocalizedText, check_themes, one_of
from shared.reference import REGIONS


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=60)
    funder: str = Field(min_length=1, max_length=200)
    title: LocalizedText
    summary: LocalizedText | None = None
    themes: list[str] = Field(min_length=1)
    eligible_applicant_types: list[str] = Field(min_length=1)
    eligible_regions: list[str] = Field(default_factory=list, description="county codes; empty = all of Lithuania")
    opens_on: date | None = None
    closes_on: date
    min_grant_eur: Decimal | None = Field(default=None, ge=0)
    max_grant_eur: Decimal | None = Field(default=None, gt=0)
    max_funding_rate: Decimal | None = Field(default=None, description="share of eligible cost, e.g. 0.85")
    foreign_partner_required: bool = False
    partner_countries: list[CountryCode] = Field(default_factory=list)
    status: Literal["forecast", "open", "closed"] = "open"

    _themes = field_validator("themes")(check_themes)

    _types = field_validator("eligible_applicant_types")(one_of(APPLICANT_TYPES, "applicant type"))
    _regions = field_validator("eligible_regions")(one_of(REGIONS, "region"))


class CallOut(CallIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
