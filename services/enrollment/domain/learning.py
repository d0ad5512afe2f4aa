"""Learning done elsewhere: a course completed in an external learning system (Moodle, ...) and
reported by a `learning.course_completed` event.

Plain rules, no storage: whether a report is a repeat, what it credits, and whether the catalogue
course it names grants a certificate. The hours count in the person's ledger under the first
(primary) theme and in the reports as an attendance without a session held by the centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.enrollment.domain.completion import qualifies, valid_until
from services.enrollment.domain.rules import Attendance

KIND = "elsewhere"  # SessionFacts.kind of a completion in the reports (a session held by the centre: "session")


@dataclass(frozen=True)
class CourseRule:
    """The completion rule of the catalogue course a completion names."""

    duration_hours: Decimal
    completion_min_percent: int
    certificate_validity_months: int | None


@dataclass(frozen=True)
class Credit:
    hours: Decimal
    primary_theme: str
    certificate: bool
    certificate_valid_until: datetime | None


def credit(hours: Decimal, themes: list[str], completed_at: datetime, rule: CourseRule | None) -> Credit:
    """What a completion counts for. Every hour reported counts in the ledger (the learning system
    measured them); a certificate only when a catalogue course is named and the hours reach its
    completion rule, valid for the course's months from the completion."""
    if hours <= 0:
        raise ValueError("a completion credits some hours")
    earned = rule is not None and qualifies(Attendance.ATTENDED, hours, rule.duration_hours,
                                            rule.completion_min_percent)
    return Credit(hours=Decimal(hours), primary_theme=themes[0] if themes else "unspecified", certificate=earned,
                  certificate_valid_until=valid_until(completed_at, rule.certificate_validity_months)
                  if earned else None)


def is_repeat(known_event_id, event_id) -> str:
    """A completion already recorded for (source, external id): `redelivered` when it is the same
    event, `repeat` when the learning system sent the completion again in another event."""
    return "redelivered" if str(known_event_id) == str(event_id) else "repeat"
