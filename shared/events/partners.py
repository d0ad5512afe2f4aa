"""Events published by the partners service (exchange `partners.events`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from shared.events.registry import EventData, event
from shared.events.privacy import PersonErased
from shared.events.types import Contact, CountryCode, LocalizedText
from shared.model import Model


@event("partners.organisation_registered", summary="A partner organisation profile was created.")
class OrganisationRegistered(EventData):
    organisation_id: UUID
    name: str
    country: str
    organisation_type: str
    themes: list[str]


class Candidate(Model):
    """One ranked candidate, with the score broken into named components."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    organisation_id: UUID
    name: str
    country: CountryCode
    organisation_type: str
    score: float
    components: dict[str, float] = Field(description="e.g. theme_overlap, shared_language, free_capacity")
    rank: int | None = Field(default=None, description="1 = best")


@event("partners.matches_proposed", summary="Ranked, explained partner candidates for a partner request.")
class MatchesProposed(EventData):
    partner_request_id: UUID
    application_id: UUID | None = Field(default=None, description="set when the request came from grants")
    municipality_code: str
    candidates: list[Candidate]
    requester: Contact | None = None
    title: LocalizedText | None = Field(default=None, description="the project the partner is sought for")
    call_code: str | None = None
    excluded: dict[str, int] = Field(default_factory=dict,
                                     description="profiles left out, counted by reason (e.g. full_capacity)")
    choose_url: str | None = Field(
        default=None, description="where the requester sees the ranked, explained candidates and asks for an "
                                  "introduction without logging in (only in the requester's e-mail; none once the "
                                  "request's deadline passed)")


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
    title: LocalizedText | None = None
    requester_answer_url: str | None = Field(
        default=None, description="where the requester answers without logging in (only in the requester's e-mail)")
    candidate_answer_url: str | None = Field(
        default=None, description="where the candidate answers (only in the candidate's e-mail)")
    requester_answer: Literal["accepted", "declined"] | None = Field(
        default=None, description="already given when the requesting municipality picked the candidate itself")
    chosen_by_coordinator: bool = Field(
        default=False, description="the requesting side's pick was made for the requester by the municipality's "
                                   "coordinator, through the choice link of partners.introduction_expired")


@event("partners.introduction_answered", summary="One side of an introduction accepted or declined.")
class IntroductionAnswered(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    organisation_id: UUID
    side: Literal["requester", "candidate"]
    answer: Literal["accepted", "declined"]
    both_accepted: bool
    municipality_code: str | None = None
    organisation_name: str | None = None


@event("partners.introduction_declined",
       summary="One side declined an introduction; the requesting side is told when the candidate declined.")
class IntroductionDeclined(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    country: CountryCode
    title: LocalizedText | None = Field(default=None, description="the project the partner was sought for")
    declined_by: Literal["requester", "candidate"]
    requester: Contact | None = Field(
        default=None, description="who to tell: the requesting side's contact when the candidate declined (none "
                                  "when the requester declined itself)")
    choose_url: str | None = Field(
        default=None, description="where the requester picks another candidate without logging in (only when the "
                                  "candidate declined, while the request is still looking and before its deadline)")


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
    title: LocalizedText | None = None
    themes: list[str] = Field(default_factory=list)


@event("partners.introduction_reminder_due",
       summary="A side of an introduction has not answered yet; remind them (contact details of the other side are not included).")
class IntroductionReminderDue(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    side: Literal["requester", "candidate"]
    recipient: Contact
    answer_url: str | None = Field(default=None, description="where the recipient answers without logging in")
    answer_by: date
    reminder: int = Field(description="1 = first reminder")
    title: LocalizedText | None = None


@event("partners.introduction_expired",
       summary="An introduction was not answered by both sides in time; the candidate is not proposed again for the request.")
class IntroductionExpired(EventData):
    introduction_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    unanswered: list[Literal["requester", "candidate"]]
    choose_url: str | None = Field(
        default=None, description="where the municipality's coordinator picks another candidate without logging "
                                  "in (none once the request found a partner or its deadline passed)")


@event("partners.profile_renewal_due",
       summary="An organisation profile expires soon (or has expired); its contact person is asked to renew it.")
class ProfileRenewalDue(EventData):
    organisation_id: UUID
    name: str
    country: CountryCode
    contact: Contact
    expires_at: datetime
    renew_url: str | None = Field(default=None, description="where the owner renews without logging in")


@event("partners.letter_of_intent_recorded",
       summary="A letter of intent of a partnership was recorded (e.g. for the application's documents).")
class LetterOfIntentRecorded(EventData):
    letter_id: UUID
    partnership_id: UUID
    partner_request_id: UUID
    application_id: UUID | None = None
    municipality_code: str
    organisation_id: UUID
    organisation_name: str
    issued_by: Literal["partner", "requester"]
    signed_on: date
    reference: str


@event("partners.person_erased",
       summary="The partners service erased or pseudonymised a person's data (counts only).")
class PartnersPersonErased(PersonErased):
    pass
