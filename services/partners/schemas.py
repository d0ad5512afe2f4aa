"""Request and response bodies of the partners HTTP API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.partners.domain.rules import ORGANISATION_TYPES
from shared.events.types import LocalizedText, check_themes


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: str | None = Field(default=None, max_length=100)
    organisation_type: str
    size: int | None = Field(default=None, ge=1, description="population or staff")
    themes: list[str] = Field(min_length=1)
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes, e.g. lt, en, no")
    description: LocalizedText | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    capacity: int = Field(default=1, ge=1, le=100, description="partnerships it can take at once")

    _themes = field_validator("themes")(check_themes)

    @field_validator("organisation_type")
    @classmethod
    def _type(cls, value):
        if value not in ORGANISATION_TYPES:
            raise ValueError(f"unknown organisation type {value!r}; one of {', '.join(ORGANISATION_TYPES)}")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, values):
        bad = [v for v in values if len(v) != 2 or not v.isalpha() or not v.islower()]
        if bad:
            raise ValueError(f"languages are ISO 639-1 codes like lt or en; got {', '.join(bad)}")
        return values


class OrganisationOut(OrganisationIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
