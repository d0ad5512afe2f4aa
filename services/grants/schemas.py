"""Request and response bodies of the grants HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.grants.domain.rules import APPLICANT_TYPES
from shared.events.types import LocalizedText, check_themes
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
    partner_countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    status: Literal["forecast", "open", "closed"] = "open"

    _themes = field_validator("themes")(check_themes)

    @field_validator("eligible_applicant_types")
    @classmethod
    def _types(cls, values):
        unknown = [v for v in values if v not in APPLICANT_TYPES]
        if unknown:
            raise ValueError(f"unknown applicant type(s) {', '.join(unknown)}; one of {', '.join(APPLICANT_TYPES)}")
        return values

    @field_validator("eligible_regions")
    @classmethod
    def _regions(cls, values):
        unknown = [v for v in values if v not in REGIONS]
        if unknown:
            raise ValueError(f"unknown region(s) {', '.join(unknown)}")
        return values

    @field_validator("partner_countries")
    @classmethod
    def _countries(cls, values):
        bad = [v for v in values if len(v) != 2 or not v.isalpha() or not v.isupper()]
        if bad:
            raise ValueError(f"countries are ISO 3166-1 alpha-2 codes like NO or IS; got {', '.join(bad)}")
        return values


class CallOut(CallIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
