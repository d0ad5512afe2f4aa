"""Request and response bodies of the partners HTTP API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.partners.domain.rules import ORGANISATION_TYPES
from shared.events.types import LanguageCode, LocalizedText, check_themes, one_of


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: str | None = Field(default=None, max_length=100)
    organisation_type: str
    size: int | None = Field(default=None, ge=1, description="population or staff")
    themes: list[str] = Field(min_length=1)
    languages: list[LanguageCode] = Field(min_length=1)
    description: LocalizedText | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    capacity: int = Field(default=1, ge=1, le=100, description="partnerships it can take at once")

    _themes = field_validator("themes")(check_themes)

    _type = field_validator("organisation_type")(one_of(ORGANISATION_TYPES, "organisation type"))


class OrganisationOut(OrganisationIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
