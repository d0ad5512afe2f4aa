"""Events published by the partners service (exchange `partners.events`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import EventData, event
from shared.events.types import Contact, CountryCode


@event("partners.organisation_registered", summary="A partner organisation profile was created.")
class OrganisationRegistered(EventData):
    organisation_id: UUID
    name: str
    country: str
    organisation_type: str
    themes: list[str]


class Candidate(BaseModel):
    """One ranked candidate, with the score broken into named components."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    organisation_id: UUID
    name: str
    country: CountryCode
    organisation_type: str
    score: float
    components: dict[str, float] = Field(description="e.g. theme_overlap, shared_language, free_capacity")


@event("partners.matches_proposed", summary="Ranked, explained partner candidates for a partner request.")
class MatchesProposed(EventData):
    partner_request_id: UUID
    application_id: UUID | None = Field(default=None, description="set when the request came from grants")
    municipality_code: str
    candidates: list[Candidate]
    requester: Contact | None = None


@event("partners.introduction_sent",
       summary="Both sides of a possible partnership were asked whether they want to be introduced.")
class IntroductionSent(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    country: CountryCode
    requester: Contact | None = None
    candidate_contact: Contact | None = None
    answer_by: date


@event("partners.introduction_answered", summary="One side of an introduction accepted or declined.")
class IntroductionAnswered(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    organisation_id: UUID
    side: Literal["requester", "candidate"]
    answer: Literal["accepted", "declined"]
    both_accepted: bool


@event("partners.partnership_established",
       summary="Both sides accepted: the partnership exists and contact details are shared.")
class PartnershipEstablished(EventData):
    partnership_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    country: CountryCode
    requester: Contact | None = None
    candidate_contact: Contact | None = None
    established_at: datetime
