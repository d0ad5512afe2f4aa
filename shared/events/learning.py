"""Events that external learning systems publish (exchange `learning.events`).

The centre's courses are also taken in virtual learning environments (the LT10 projects built
several, seeds 002 and 004). Such a system — Moodle, for instance — tells Savivalda when a
municipal employee completed a course there; the enrollment service counts the hours in the
person's ledger and in the reports, and issues a certificate when the catalogue course it names
says the hours are enough. The integrators' guide is in docs/events.md ("Publishing from another
system"); a repeat of the same completion (same `source` and `external_id`) is ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from shared.events.registry import EventData, event
from shared.events.types import LocalizedText, Person, check_themes
from shared.model import Model

MAX_THEMES = 10


class ExternalCourse(Model):
    """The course as the learning system knows it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    external_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                             description="the learning system's id of the course (e.g. Moodle's course id)")
    title: LocalizedText = Field(description="the course title, Lithuanian required, English optional")
    catalogue_course_id: UUID | None = Field(
        default=None, description="the Savivalda catalogue course it corresponds to (GET /enrollment/courses); "
                                  "its completion rule decides whether a certificate is issued. Null: the hours "
                                  "are counted, no certificate")


@event("learning.course_completed",
       summary="An external learning system (Moodle, ...) reports that a municipal employee completed a course "
               "there; enrollment counts the hours and may issue a certificate.")
class CourseCompleted(EventData):
    external_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                             description="the learning system's id of this completion; the same id from the same "
                                         "`source` again is a repeat and changes nothing")
    person: Person = Field(description="who completed it: name, e-mail, municipality code ('01'..'60'), "
                                       "position, language (lt or en)")
    course: ExternalCourse
    hours: Decimal = Field(gt=0, le=500, decimal_places=1, description="hours of learning completed (0.1-500)")
    themes: list[str] = Field(min_length=1, max_length=MAX_THEMES,
                              description="theme codes of the shared vocabulary; the first is the primary theme "
                                          "(the hours ledger counts the hours under it)")
    completed_at: AwareDatetime = Field(description="when the person completed it, RFC 3339 with an offset")

    _themes = field_validator("themes")(check_themes)

    @field_validator("completed_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value > datetime.now(timezone.utc) + timedelta(hours=1):
            raise ValueError("a completion cannot lie in the future")
        return value


def example() -> CourseCompleted:
    """The example in docs/events.md (and the integration test's model of a Moodle message)."""
    return CourseCompleted(
        external_id="moodle-completion-20931", completed_at=datetime(2026, 11, 27, 14, 5, tzinfo=timezone.utc),
        person=Person(name="Rūta Petraitienė", email="ruta@kaunas.lt", municipality_code="15",
                      position="Viešųjų pirkimų specialistė", language="lt"),
        course=ExternalCourse(external_id="course-311",
                              title=LocalizedText(lt="Korupcijos rizika viešuosiuose pirkimuose",
                                                  en="Corruption risk in public procurement"),
                              catalogue_course_id=UUID("3f2c1a9e-5b7d-4c1e-9a0b-6d2e8f4a1c35")),
        hours=Decimal("4"), themes=["anti_corruption"])
