"""Events published by the grants service (exchange `grants.events`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from shared.events.envelope import EventData, event
from shared.events.types import LocalizedText


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
