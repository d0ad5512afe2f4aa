"""Events published by the grants service (exchange `grants.events`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from shared.events.envelope import EventData, event
from shared.events.types import Contact, CountryCode, LanguageCode, LocalizedText


@event("grants.call_published", summary="A funding call is open (or forecast) with its themes and eligibility.")
class CallPublished(EventData):
    call_id: UUID
    code: str
    funder: str
    title: LocalizedText
    themes: list[str]
    eligible_applicant_types: list[str]
    eligible_regions: list[str]
    opens_on: date | None = None
    closes_on: date
    min_grant_eur: Decimal | None = None
    max_grant_eur: Decimal | None = None
    max_funding_rate: Decimal | None = None
    foreign_partner_required: bool = False
    partner_countries: list[str] = []
    status: str


@event("grants.partner_requested",
       summary="An application needs a foreign partner; partners should find candidates for it.")
class PartnerRequested(EventData):
    application_id: UUID
    call_id: UUID
    call_code: str
    municipality_code: str
    application_title: LocalizedText
    themes: list[str]
    countries: list[CountryCode] = Field(description="where the partner may come from, e.g. the donor states")
    organisation_types: list[str] = Field(default_factory=list, description="empty = any type")
    languages: list[LanguageCode] = Field(default_factory=list, description="preferred working languages")
    deadline: date = Field(description="when the partnership must be agreed (before the call closes)")
    consultant: Contact | None = Field(default=None, description="the centre's consultant on the application")
