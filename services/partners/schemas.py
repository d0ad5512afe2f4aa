"""Request and response bodies of the partners HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator

from services.partners.domain.matching import EXCLUSION_REASONS
from services.partners.domain.rules import ORGANISATION_TYPES
from shared.limits import MAX_ITEMS, MAX_OFFSET, Name, SINGLE_LINE, ShortText
from shared.events.types import (
    EMAIL_PATTERN,
    Contact,
    CountryCode,
    LanguageCode,
    LocalizedText,
    check_language,
    check_municipality,
    check_themes,
    one_of,
)
from shared.model import Model
from shared.openapi import Codes
from shared.reference import MunicipalityCode, SupportedLanguage, ThemeCode

_organisation_types = one_of(ORGANISATION_TYPES, "organisation type")
OrganisationType = Annotated[str, Codes(ORGANISATION_TYPES)]


class Strict(Model):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- organisation profiles

class PastCooperation(Strict):
    partner: ShortText = Field(description="e.g. Hordaland county council")
    country: CountryCode | None = None
    project: str | None = Field(default=None, max_length=100, description="e.g. LT10-0019")
    year: int | None = Field(default=None, ge=1990, le=2100)
    description: str | None = Field(default=None, max_length=1000)


class OrganisationIn(Strict):
    name: ShortText
    country: CountryCode
    region: str | None = Field(default=None, max_length=100, pattern=SINGLE_LINE)
    municipality_code: MunicipalityCode | None = Field(default=None, description="Lithuanian municipalities only ('01'..'60')")
    organisation_type: OrganisationType
    size: int | None = Field(default=None, ge=1, le=100_000_000, description="population or staff")
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)
    languages: list[LanguageCode] = Field(min_length=1, max_length=MAX_ITEMS,
                                          description="working languages, e.g. no, en")
    description: LocalizedText | None = None
    contact_name: Name | None = None
    contact_email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    contact_language: SupportedLanguage = Field(default="en", description="language of e-mails to the contact: lt or en")
    capacity: int = Field(default=1, ge=1, le=100, description="partnerships it can take at once")
    past_cooperation: list[PastCooperation] = Field(default_factory=list, max_length=100)

    _themes = field_validator("themes")(check_themes)
    _type = field_validator("organisation_type")(_organisation_types)
    _language = field_validator("contact_language")(check_language)

    @field_validator("municipality_code")
    @classmethod
    def _municipality(cls, value):
        return None if value is None else check_municipality(value)


class OrganisationOut(OrganisationIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    expires_at: datetime
    expired: bool
    active_partnerships: int
    free_capacity: int
    partnerships_total: int
    created_at: datetime
    updated_at: datetime


class OrganisationQuery(Strict):
    country: CountryCode | None = None
    organisation_type: OrganisationType | None = None
    theme: ThemeCode | None = None
    include_expired: bool = False
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @field_validator("organisation_type")
    @classmethod
    def _type(cls, value):
        return None if value is None else _organisation_types(value)

    @field_validator("theme")
    @classmethod
    def _theme(cls, value):
        return None if value is None else check_themes(value)


class KeyIn(Strict):
    key: str = Field(min_length=20, max_length=200, description="the key from the e-mail's link")


class RenewalOut(Model):
    organisation_id: UUID
    name: str
    expires_at: datetime


# ---------------------------------------------------------------- partner requests and matching

class RequesterIn(Contact):
    """Who answers for the municipality; the name goes into e-mail headers (one line)."""

    name: Name
    organisation: ShortText | None = None
    language: str = Field(default="en", max_length=2)


class PartnerRequestIn(Strict):
    municipality_code: MunicipalityCode
    title: LocalizedText = Field(description="the project the partner is sought for")
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)
    countries: list[CountryCode] = Field(default_factory=list, max_length=MAX_ITEMS, description="empty = any country")
    organisation_types: list[OrganisationType] = Field(default_factory=list, max_length=MAX_ITEMS,
                                                       description="empty = any type")
    languages: list[LanguageCode] = Field(default_factory=list, max_length=MAX_ITEMS, description="empty = English")
    preferred_size: int | None = Field(default=None, ge=1, le=100_000_000,
                                       description="population/staff; default the requesting municipality's own")
    deadline: date = Field(description="when the partnership must be agreed")
    requester: RequesterIn | None = Field(default=None, description="who answers for the municipality")
    application_id: UUID | None = None
    call_code: str | None = Field(default=None, max_length=100)

    _municipality = field_validator("municipality_code")(check_municipality)
    _themes = field_validator("themes")(check_themes)
    _types = field_validator("organisation_types")(_organisation_types)


class CandidateOut(Model):
    rank: int
    organisation_id: UUID
    name: str
    country: str
    organisation_type: OrganisationType
    score: float
    components: dict[str, float]


class ExcludedOut(Model):
    organisation_id: UUID
    name: str
    country: str
    organisation_type: OrganisationType
    reasons: list[str]


class PartnerRequestOut(Model):
    id: UUID
    municipality_code: MunicipalityCode
    title: LocalizedText
    themes: list[ThemeCode]
    countries: list[str]
    organisation_types: list[OrganisationType]
    languages: list[str]
    preferred_size: int | None
    deadline: date
    requester: Contact | None
    application_id: UUID | None
    call_code: str | None
    status: str
    source: str
    proposal: list[CandidateOut] = Field(description="the candidates last proposed (matches_proposed)")
    proposed_at: datetime | None
    created_at: datetime


class RequestQuery(Strict):
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class RankingQuery(Strict):
    limit: int = Field(default=20, ge=1, le=200)


class RankingOut(Model):
    request_id: UUID
    weights: dict[str, float] = Field(description="the most points each component can give")
    considered: int = Field(description="profiles looked at")
    eligible: int = Field(description="profiles passing every hard rule")
    candidates: list[CandidateOut]
    excluded: list[ExcludedOut] = Field(
        description="profiles sharing a theme, in a wanted country, but excluded (capacity, expiry, earlier "
                    "introduction), by name")
    excluded_counts: dict[str, int] = Field(description=f"every excluded profile by its first reason: "
                                                        f"{', '.join(EXCLUSION_REASONS)}")


class VerdictOut(Model):
    organisation_id: UUID
    name: str
    eligible: bool
    score: float | None
    components: dict[str, float]
    reasons: list[str]


# ---------------------------------------------------------------- introductions

class IntroductionIn(Strict):
    organisation_id: UUID
    answer_by: date | None = Field(default=None, description="default: two weeks, at most the request's deadline")
    message: str | None = Field(default=None, max_length=2000, description="why this partner, for both sides")


class AnswerIn(Strict):
    side: Literal["requester", "candidate"]
    answer: Literal["accepted", "declined"]


class KeyAnswerIn(KeyIn):
    answer: Literal["accepted", "declined"]


class IntroductionOut(Model):
    id: UUID
    request_id: UUID
    organisation_id: UUID
    organisation_name: str
    country: str
    municipality_code: MunicipalityCode
    status: str
    requester_answer: str | None
    candidate_answer: str | None
    answer_by: date
    reminders_sent: int
    message: str | None
    created_at: datetime
    partnership_id: UUID | None = None
    requester: Contact | None = Field(default=None, description="shown only once both sides accepted")
    candidate_contact: Contact | None = Field(default=None, description="shown only once both sides accepted")


class AnswerPreviewOut(Model):
    """What someone holding an answer key is asked (no contact details until both accepted)."""

    introduction_id: UUID
    side: str
    status: str
    your_answer: str | None
    answer_by: date
    title: LocalizedText
    themes: list[ThemeCode]
    municipality_code: MunicipalityCode
    municipality_name: LocalizedText
    organisation_name: str
    organisation_country: str
    message: str | None
    other_side_contact: Contact | None = None


# ---------------------------------------------------------------- the requester's choice page (by key)

class ChoiceIntroductionIn(KeyIn):
    """Ask for an introduction to one candidate from the choice page (the link's key)."""

    organisation_id: UUID = Field(description="a candidate the page lists")


class ChoiceIntroductionOut(Model):
    """An introduction asked for the request so far, as the choice page lists it (no contacts)."""

    introduction_id: UUID
    organisation_id: UUID
    organisation_name: str
    country: str
    status: str = Field(description="pending | established | declined | expired")
    requester_answer: str | None
    candidate_answer: str | None
    answer_by: date


class ChoiceOut(Model):
    """What the holder of a choice link sees: the request, the ranked and explained candidates
    (GET /partners/requests/{id}/ranking, the best PROPOSAL_SIZE) and the introductions so far."""

    request_id: UUID
    side: str = Field(description="who the link was sent to: requester | coordinator")
    status: str = Field(description="open | partnered")
    title: LocalizedText
    municipality_code: MunicipalityCode
    municipality_name: LocalizedText
    themes: list[ThemeCode]
    countries: list[str]
    organisation_types: list[str]
    languages: list[str]
    deadline: date
    call_code: str | None
    weights: dict[str, float] = Field(description="the most points each component can give")
    considered: int
    eligible: int
    candidates: list[CandidateOut]
    excluded_counts: dict[str, int] = Field(description="profiles left out, counted by first reason")
    introductions: list[ChoiceIntroductionOut]


# ---------------------------------------------------------------- partnerships

class LetterIn(Strict):
    issued_by: Literal["partner", "requester"]
    signed_on: date
    reference: str = Field(min_length=1, max_length=500, description="document number or link")
    note: str | None = Field(default=None, max_length=2000)


class LetterOut(LetterIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    partnership_id: UUID
    created_at: datetime


class ParticipantIn(Strict):
    name: Name
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN,
                              description="lets the person's data be found and erased on request")
    organisation: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE)
    role: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)


class VisitIn(Strict):
    direction: Literal["to_partner", "to_lithuania"] = Field(
        description="to_partner: from Lithuania to the partner; to_lithuania: the partner visits")
    starts_on: date
    ends_on: date
    place: str = Field(min_length=1, max_length=200, pattern=SINGLE_LINE)
    country: CountryCode
    purpose: str | None = Field(default=None, max_length=2000)
    participants: list[ParticipantIn] = Field(min_length=1, max_length=1000)


class VisitOut(Model):
    id: UUID
    partnership_id: UUID
    direction: str
    starts_on: date
    ends_on: date
    place: str
    country: str
    purpose: str | None
    participants: list[dict]
    participants_count: int
    created_at: datetime


class PartnershipOut(Model):
    id: UUID
    request_id: UUID
    introduction_id: UUID
    organisation_id: UUID
    organisation_name: str
    country: str
    municipality_code: MunicipalityCode
    application_id: UUID | None
    themes: list[ThemeCode]
    status: str
    established_at: datetime
    completed_at: datetime | None
    requester: Contact | None
    partner_contact: Contact | None
    letters_of_intent: list[LetterOut]
    visits: list[VisitOut]


class PartnershipQuery(Strict):
    request_id: UUID | None = None


# ---------------------------------------------------------------- the report

class ReportQuery(Strict):
    year: int | None = Field(default=None, ge=2000, le=2100, description="partnerships established that year")
    country: CountryCode | None = None


class ReportVisits(Model):
    to_partner: int
    to_lithuania: int
    participants: int


class ReportCountry(Model):
    country: str
    partnerships: int
    active: int
    completed: int
    visits_to_partner: int
    visits_to_lithuania: int
    participants: int


class ReportTheme(Model):
    theme: ThemeCode
    label: LocalizedText
    partnerships: int


class ReportOut(Model):
    year: int | None
    partnerships: int
    visits: ReportVisits
    by_country: list[ReportCountry]
    by_theme: list[ReportTheme]


