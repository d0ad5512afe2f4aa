"""iCalendar files: a session's (public, no personal data) and a person's feed (through their link)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.usecases.self_service import open_link
from services.enrollment.views import ENTRY_STATUS, NOTES, ics_response, session_entry
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def session_calendar(uow: UnitOfWork, links: Links, session_id, language: str) -> Response:
    """The session as an .ics file in Lithuanian or English."""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    course = repo.course(session.course_id)
    entry = session_entry(session, course, language, links)
    return ics_response(f"session-{session.id}.ics", [entry], title_of(course).in_language(language), utcnow())


def person_calendar(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> Response:
    """All the person's enrolments as a feed, in their language."""
    repo = EnrollmentRepository.of(uow)
    enrollment = open_link(repo, links, enrollment_id, code)
    entries = []
    # Only what the same municipality enrolled them in: another municipality's enrolments of the
    # same address are not the link holder's to see (an e-mail address proves no identity).
    mine = [e for e in repo.enrollments_of_person(enrollment.email_key)
            if e.municipality_code == enrollment.municipality_code]
    sessions = repo.sessions_by_id(e.session_id for e in mine)
    courses = repo.courses_by_id(s.course_id for s in sessions.values())
    for item in mine:
        session = sessions[item.session_id]
        note = NOTES[enrollment.language].get(item.status, "")
        entries.append(session_entry(session, courses[session.course_id], enrollment.language, links,
                                     uid=f"enrollment-{item.id}@savivalda", status=ENTRY_STATUS[item.status],
                                     mode=item.mode, note=note))
    name = "Mokymai" if enrollment.language == "lt" else "Training"
    return ics_response("enrolments.ics", entries, name, utcnow())
