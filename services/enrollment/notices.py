"""Building events from rows: everything a notification needs, so no consumer has to call back."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from services.enrollment.domain.codes import enrollment_code
from services.enrollment.models import Course, Enrollment, TrainingSession
from shared.events.types import LocalizedText, Person


@dataclass(frozen=True)
class Links:
    """Public links put into events and responses."""

    public_url: str
    secret: str

    def manage(self, enrollment_id) -> str:
        return f"{self.base}/self-service/{enrollment_id}/{enrollment_code(self.secret, enrollment_id)}"

    def person_calendar(self, enrollment_id) -> str:
        return f"{self.manage(enrollment_id)}/calendar.ics"

    def session_calendar(self, session_id) -> str:
        return f"{self.base}/sessions/{session_id}/calendar.ics"

    def verify(self, number: str, code: str) -> str:
        return f"{self.base}/certificates/verify?{urlencode({'number': number, 'code': code})}"

    @property
    def base(self) -> str:
        return f"{self.public_url.rstrip('/')}/enrollment"


def person_of(enrollment: Enrollment) -> Person:
    return Person(name=enrollment.name, email=enrollment.email, municipality_code=enrollment.municipality_code,
                  position=enrollment.position, language=enrollment.language)


def title_of(course: Course) -> LocalizedText:
    return LocalizedText(**course.title)


def participant_fields(enrollment: Enrollment, session: TrainingSession, course: Course, links: Links) -> dict:
    """The fields of shared.events.enrollment.ParticipantEvent."""
    return dict(
        enrollment_id=enrollment.id, session_id=session.id, course_id=course.id, course_title=title_of(course),
        starts_at=session.starts_at, ends_at=session.ends_at, region=session.region, venue=session.venue,
        online_url=session.online_url, attendance_mode=enrollment.mode, participant=person_of(enrollment),
        manage_url=links.manage(enrollment.id), calendar_url=links.person_calendar(enrollment.id),
    )
