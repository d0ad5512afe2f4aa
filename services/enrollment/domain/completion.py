"""Attendance, the course's completion rule, and certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from services.enrollment.domain.rules import Attendance, EnrollmentStatus, SessionStatus
from shared.errors import Conflict, RuleViolation

EXPIRY_NOTICE_DAYS = 30  # certificates whose validity ends within this many days are announced


def check_attendance_allowed(session_status: SessionStatus, starts_at: datetime, now: datetime) -> None:
    """Attendance is recorded once the session has begun, and may be corrected after completion."""
    if session_status is SessionStatus.CANCELLED:
        raise Conflict("the session was cancelled", code="session_cancelled")
    if now < starts_at:
        raise Conflict("the session has not started yet; attendance is recorded from its start",
                       code="session_not_started")


def attendance_hours(attendance: Attendance, hours: Decimal | None, duration_hours: Decimal, field: str) -> Decimal:
    """Hours to credit: a no-show gets none; an attendee the course's duration unless told less."""
    if attendance is Attendance.NO_SHOW:
        if hours not in (None, Decimal(0)):
            raise RuleViolation("a no-show cannot have attended hours", field=field)
        return Decimal(0)
    if hours is None:
        return Decimal(duration_hours)
    if hours <= 0:
        raise RuleViolation("an attendee has attended some hours (or record a no-show)", field=field)
    if hours > duration_hours:
        raise RuleViolation(f"the course lasts {duration_hours} hours", field=field)
    return hours


def check_in_session(enrollment_id, enrollment_session_id, session_id, field: str) -> None:
    """A bulk attendance record names an enrolment of that session (`enrollment_session_id` is
    None for an unknown enrolment)."""
    if enrollment_session_id is None or enrollment_session_id != session_id:
        raise RuleViolation(f"enrolment {enrollment_id} is not in this session", field=field)


def check_can_attend(status: EnrollmentStatus, field: str) -> None:
    """Only people who held a seat can have attended; the waitlisted or cancelled did not."""
    if status is not EnrollmentStatus.CONFIRMED:
        raise RuleViolation(f"the enrolment is {status.value}; only confirmed participants attend", field=field)


def qualifies(attendance: Attendance | None, hours: Decimal | None, duration_hours: Decimal,
              min_percent: int) -> bool:
    """The completion rule: attended at least `min_percent` % of the course's hours."""
    if attendance is not Attendance.ATTENDED or hours is None:
        return False
    return hours * 100 >= Decimal(duration_hours) * min_percent


def valid_until(session_ends_at: datetime, validity_months: int | None) -> datetime | None:
    """A certificate is valid for whole months from the end of the session (None: no expiry)."""
    if validity_months is None:
        return None
    month_index = session_ends_at.month - 1 + validity_months
    year, month = session_ends_at.year + month_index // 12, month_index % 12 + 1
    day = min(session_ends_at.day, _days_in_month(year, month))
    return session_ends_at.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True)
class CertificateStatus:
    status: str  # valid | expired | revoked
    valid: bool


def certificate_status(status: str, valid_until_: datetime | None, now: datetime) -> CertificateStatus:
    if status == "revoked":
        return CertificateStatus("revoked", False)
    if valid_until_ is not None and valid_until_ <= now:
        return CertificateStatus("expired", False)
    return CertificateStatus("valid", True)


def check_can_complete(session_status: SessionStatus, starts_at: datetime, now: datetime, unmarked: int,
                       mark_unmarked_absent: bool) -> None:
    if session_status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is already {session_status.value}", code="session_not_open")
    if now < starts_at:
        raise Conflict("the session has not started yet", code="session_not_started")
    if unmarked and not mark_unmarked_absent:
        raise Conflict(f"{unmarked} confirmed participant(s) have no attendance recorded; record it, or complete "
                       "with mark_unmarked_absent=true to record them as no-shows", code="attendance_missing")
