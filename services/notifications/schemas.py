"""Request and response bodies and queries of the notifications HTTP API."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator, model_validator

from services.notifications.domain.preferences import CATEGORIES
from services.notifications.domain.roles import ROLES
from shared.limits import MAX_ITEMS, Name
from shared.events.types import EMAIL_PATTERN, check_municipality, check_themes, one_of
from shared.model import Model
from shared.openapi import Codes
from shared.reference import REGIONS, MunicipalityCode, RegionCode, ThemeCode

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
APPLICANT_TYPES = ("municipality", "municipal_institution", "ngo", "association", "university", "company")
ApplicantType = Annotated[str, Codes(APPLICANT_TYPES)]
Category = Annotated[str, Codes(CATEGORIES)]
Role = Annotated[str, Codes(ROLES)]


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


class PreferencesIn(StrictModel):
    channels: list[Literal["email", "webhook"]] = Field(default_factory=lambda: ["email"], min_length=1, max_length=2)
    webhook_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    opt_out_categories: list[Category] = Field(default_factory=list, max_length=MAX_ITEMS,
                                               description=f"any of {', '.join(CATEGORIES)}")
    call_alerts: bool = Field(default=False, description="tell me about funding calls that match my interests")
    alert_themes: list[ThemeCode] = Field(default_factory=list, max_length=MAX_ITEMS,
                                          description="themes to be alerted about; empty = all")
    alert_regions: list[RegionCode] = Field(default_factory=list, max_length=MAX_ITEMS,
                                            description="counties; empty = my municipality's county")
    alert_applicant_types: list[ApplicantType] = Field(default_factory=lambda: ["municipality"], max_length=MAX_ITEMS)
    delivery_mode: Literal["immediate", "daily_digest"] = "immediate"
    digest_hour: int = Field(default=8, ge=0, le=23, description="local hour (Europe/Vilnius) of the daily digest")
    quiet_start: str | None = Field(default=None, max_length=5, description="HH:MM, Europe/Vilnius")
    quiet_end: str | None = Field(default=None, max_length=5, description="HH:MM, Europe/Vilnius")

    _categories = field_validator("opt_out_categories")(one_of(CATEGORIES, "category"))
    _themes = field_validator("alert_themes")(check_themes)
    _regions = field_validator("alert_regions")(one_of(REGIONS, "region"))
    _types = field_validator("alert_applicant_types")(one_of(APPLICANT_TYPES, "applicant type"))

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _clock(cls, value):
        if value is not None and not _CLOCK.match(value):
            raise ValueError("a time of day as HH:MM, e.g. 22:00")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if "webhook" in self.channels and not self.webhook_url:
            raise ValueError("the webhook channel needs webhook_url")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("give both quiet_start and quiet_end, or neither")
        return self


class RecipientIn(PreferencesIn):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    name: Name
    language: Literal["lt", "en"] = "lt"
    municipality_code: MunicipalityCode | None = None
    roles: list[Role] = Field(default_factory=list, max_length=MAX_ITEMS, description=f"any of {', '.join(ROLES)}")

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _roles = field_validator("roles")(one_of(ROLES, "role"))


class RecipientOut(Model):
    id: UUID
    email: str
    name: str
    language: str
    municipality_code: MunicipalityCode | None
    roles: list[Role]
    channels: list[str]
    webhook_url: str | None
    webhook_secret: str | None = Field(
        default=None, description="HMAC key of the webhook signatures: only in the answer that created it (the "
                                  "first registration with a webhook_url) or rotated it "
                                  "(POST .../webhook-secret); null in every other answer, to anyone")
    opt_out_categories: list[Category]
    call_alerts: bool
    alert_themes: list[ThemeCode]
    alert_regions: list[RegionCode]
    alert_applicant_types: list[ApplicantType]
    delivery_mode: str
    digest_hour: int
    quiet_start: str | None
    quiet_end: str | None
    unsubscribed_all: bool
    bounced_at: datetime | None
    source: str
    created_at: datetime
    updated_at: datetime


class WebhookSecretOut(Model):
    recipient_id: UUID
    webhook_secret: str = Field(description="the new HMAC key; shown this once, keep it where the receiver can read it")


class RecipientQuery(StrictModel):
    municipality_code: MunicipalityCode | None = None
    role: Role | None = None
    limit: int = Field(default=100, ge=1, le=1000)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _role = field_validator("role")(lambda v: v if v is None else one_of(ROLES, "role")(v))


class DeliveryQuery(StrictModel):
    status: Literal["pending", "sending", "sent", "failed", "held", "digested", "suppressed"] | None = None
    event_type: str | None = Field(default=None, max_length=120)
    channel: Literal["email", "webhook"] | None = None
    event_id: UUID | None = None
    recipient_id: UUID | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class DeliveryOut(Model):
    id: UUID
    event_id: UUID
    event_type: str
    correlation_id: str
    recipient_id: UUID
    channel: str
    template: str
    category: str
    critical: bool
    language: str
    subject: str | None
    message_id: str
    status: str
    status_reason: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_via: str | None
    created_at: datetime
    sent_at: datetime | None


class AttemptOut(Model):
    attempted_at: datetime
    outcome: str
    via: str | None
    error: str | None


class DeliveryDetailOut(DeliveryOut):
    body_text: str | None
    attempts_log: list[AttemptOut]


class FailedRecipient(Model):
    notification_id: UUID
    recipient_id: UUID
    channel: str
    attempts: int
    last_error: str | None


class EventDeliveryOut(Model):
    event_id: UUID
    event_type: str
    counts: dict[str, int] = Field(description="notifications by status")
    complete: bool = Field(description="true when nothing is pending, sending or failed")
    failed: list[FailedRecipient]


class RetriedOut(Model):
    retried: int


class StatsRow(Model):
    event_type: str
    channel: str
    status: str
    count: int


class TemplateOut(Model):
    name: str
    event_types: list[str]
    category: str
    critical: bool
    languages: list[str]


class PreviewIn(StrictModel):
    language: Literal["lt", "en"] = "lt"
    data: dict | None = Field(default=None, description="event data to render; the template's example if left out")


class PreviewOut(Model):
    template: str
    language: str
    subject: str
    text: str
    html: str


class UnsubscribeQuery(StrictModel):
    token: str = Field(min_length=10, max_length=500)


class UnsubscribedOut(Model):
    recipient_id: UUID
    category: str
    unsubscribed: bool


class BounceIn(StrictModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    reason: str = Field(min_length=1, max_length=1000)
