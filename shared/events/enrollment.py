"""Events published by the enrollment service (exchange `enrollment.events`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from shared.events.envelope import EventData, event
from shared.events.types import LocalizedText, Person


@event("enrollment.session_scheduled", summary="A training session was scheduled and opens for enrolment.")
class SessionScheduled(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    themes: list[str]
    starts_at: datetime
    ends_at: datetime
    region: str | None = Field(description="County code (shared.reference.REGIONS); null for online sessions")
    venue: str | None = None
    online_url: str | None = None
    capacity: int
    fee_eur: Decimal
    registration_opens_at: datetime
    registration_closes_at: datetime


@event("enrollment.enrollment_confirmed", summary="A participant holds a confirmed seat in a session.")
class EnrollmentConfirmed(EventData):
    enrollment_id: UUID
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    venue: str | None = None
    online_url: str | None = None
    fee_eur: Decimal
    participant: Person


@event("enrollment.enrollment_waitlisted", summary="A session is full; the participant is on its waitlist.")
class EnrollmentWaitlisted(EventData):
    enrollment_id: UUID
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    position: int = Field(ge=1, description="1 = next in line")
    participant: Person
