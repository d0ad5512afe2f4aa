"""Rules for sessions and enrolments, independent of storage and transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from shared.errors import Conflict, RuleViolation


class CourseFormat(str, Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class SessionStatus(str, Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class EnrollmentStatus(str, Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionPlan:
    """What staff ask for when scheduling a session of a course."""

    course_format: CourseFormat
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    region: str | None
    venue: str | None
    online_url: str | None


def check_session_plan(plan: SessionPlan, now: datetime) -> None:
    """Refuse a session that could not run as described; the error names the field at fault."""
    if plan.ends_at <= plan.starts_at:
        raise RuleViolation("the session must end after it starts", field="ends_at")
    if plan.starts_at <= now:
        raise RuleViolation("the session must start in the future", field="starts_at")
    if plan.registration_closes_at <= plan.registration_opens_at:
        raise RuleViolation("registration must close after it opens", field="registration_closes_at")
    if plan.registration_closes_at > plan.starts_at:
        raise RuleViolation("registration must close no later than the session starts",
                            field="registration_closes_at")
    if plan.capacity < 1:
        raise RuleViolation("capacity must be at least 1", field="capacity")
    in_person = plan.course_format in (CourseFormat.IN_PERSON, CourseFormat.HYBRID)
    online = plan.course_format in (CourseFormat.ONLINE, CourseFormat.HYBRID)
    if in_person and not plan.venue:
        raise RuleViolation(f"a {plan.course_format.value} session needs a venue", field="venue")
    if in_person and not plan.region:
        raise RuleViolation(f"a {plan.course_format.value} session needs a region", field="region")
    if online and not plan.online_url:
        raise RuleViolation(f"a {plan.course_format.value} session needs an online link", field="online_url")


@dataclass(frozen=True)
class SessionSeats:
    """The state an enrolment decision needs, read under the session's row lock."""

    status: SessionStatus
    capacity: int
    confirmed: int
    registration_opens_at: datetime
    registration_closes_at: datetime


def decide_enrollment(seats: SessionSeats, now: datetime) -> EnrollmentStatus:
    """Confirmed while seats remain, otherwise waitlisted (in arrival order)."""
    if seats.status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is {seats.status.value}; enrolment is closed", code="session_not_open")
    if now < seats.registration_opens_at:
        raise RuleViolation(
            f"registration opens at {seats.registration_opens_at.isoformat()}", code="registration_not_open"
        )
    if now >= seats.registration_closes_at:
        raise RuleViolation(
            f"registration closed at {seats.registration_closes_at.isoformat()}", code="registration_closed"
        )
    if seats.confirmed < seats.capacity:
        return EnrollmentStatus.CONFIRMED
    return EnrollmentStatus.WAITLISTED


def normalise_email(email: str) -> str:
    """The key that makes 'the same person enrolling twice' the same enrolment."""
    return email.strip().lower()
