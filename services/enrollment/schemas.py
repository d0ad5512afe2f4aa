"""Request and response bodies of the enrollment HTTP API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from shared.events.types import LocalizedText, check_language, check_municipality, check_themes
from shared.reference import REGIONS


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CourseIn(StrictModel):
    title: LocalizedText
    description: LocalizedText | None = None
    themes: list[str] = Field(min_length=1, description="codes from the shared theme vocabulary")
    audience: list[Literal["officials", "council_members"]] = Field(min_length=1)
    duration_hours: Decimal = Field(gt=0, le=500, decimal_places=1)
    format: Literal["in_person", "online", "hybrid"]

    _themes = field_validator("themes")(check_themes)


class CourseOut(BaseModel):
    id: UUID
    title: LocalizedText
    description: LocalizedText | None
    themes: list[str]
    audience: list[str]
    duration_hours: Decimal
    format: str
    created_at: datetime


class SessionIn(StrictModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    region: str | None = Field(default=None, description="county code, e.g. KU")
    venue: str | None = Field(default=None, max_length=300)
    online_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    capacity: int = Field(ge=1, le=10000)
    fee_eur: Decimal = Field(default=Decimal("0"), ge=0, le=100000, decimal_places=2)
    registration_opens_at: AwareDatetime | None = Field(default=None, description="default: now")
    registration_closes_at: AwareDatetime | None = Field(default=None, description="default: the start")

    @field_validator("region")
    @classmethod
    def _region(cls, value):
        if value is not None and value not in REGIONS:
            raise ValueError(f"unknown region {value!r}; one of {', '.join(REGIONS)}")
        return value


class SessionOut(BaseModel):
    id: UUID
    course_id: UUID
    starts_at: datetime
    ends_at: datetime
    region: str | None
    venue: str | None
    online_url: str | None
    capacity: int
    fee_eur: Decimal
    registration_opens_at: datetime
    registration_closes_at: datetime
    status: str
    confirmed: int
    waitlisted: int
    seats_left: int


class EnrollmentIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    municipality_code: str
    position: str | None = Field(default=None, max_length=200)
    language: Literal["lt", "en"] = "lt"

    _municipality = field_validator("municipality_code")(check_municipality)
    _language = field_validator("language")(check_language)


class EnrollmentOut(BaseModel):
    id: UUID
    session_id: UUID
    status: str
    waitlist_position: int | None = Field(description="1 = next in line; null unless waitlisted")
    name: str
    email: str
    municipality_code: str
    position: str | None
    language: str
    created_at: datetime
