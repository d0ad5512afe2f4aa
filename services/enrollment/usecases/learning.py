"""Learning done elsewhere: a `learning.course_completed` event from an external learning
system (Moodle, ...) counted in the person's hours ledger and the reports, with a certificate when
the catalogue course it names says the hours are enough; a repeat (same source and external id)
changes nothing. Also the list of such completions for coordinators and municipalities.

The subscription (service.py) claims the event in the inbox and commits; an event that names a
catalogue course that does not exist can never apply and is dead-lettered with the reason.
"""

from __future__ import annotations

import logging
import uuid

from prometheus_client import Counter

from services.enrollment.domain.codes import certificate_number, verification_code
from services.enrollment.domain.figures import ParticipationFacts, SessionFacts, local_day_start, local_year
from services.enrollment.domain.learning import KIND, CourseRule, credit, is_repeat
from services.enrollment.domain.rules import normalise_email
from services.enrollment.learning_repository import LearningRepository
from services.enrollment.models import Certificate, ExternalCompletion
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import VerificationOut
from services.enrollment.schemas_learning import CompletionQuery, LearningCompletionOut
from shared.events.envelope import Envelope, InvalidEvent
from shared.events.enrollment import LearningRecorded
from shared.events.learning import CourseCompleted
from shared.events.types import LocalizedText, Person
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LEARNING_COMPLETIONS = Counter(
    "savivalda_enrollment_learning_completions_total",
    "learning.course_completed events from external learning systems, by outcome: counted (hours only), "
    "certified (hours and a certificate), repeat (same source and external id again, ignored)",
    ["outcome"])


def record_completion(uow: UnitOfWork, links: Links, event: CourseCompleted, envelope: Envelope) -> str:
    """Count the completion; returns counted, certified or repeat. Emits enrollment.learning_recorded
    (the person is told, with the certificate if one was issued)."""
    learning = LearningRepository.of(uow)
    source = envelope.source[:200]
    known = learning.completion(source, event.external_id)
    if known is not None:
        seen = is_repeat(known.event_id, envelope.id)
        log.info("learning completion %s from %s already recorded (%s)", event.external_id, source, seen,
                 extra={"completion_id": str(known.id), "event_id": str(envelope.id)})
        LEARNING_COMPLETIONS.labels("repeat").inc()
        return "repeat"
    rule = course = None
    if event.course.catalogue_course_id is not None:
        course = learning.find_course(event.course.catalogue_course_id)
        if course is None:
            raise InvalidEvent(f"data.course.catalogue_course_id: no course {event.course.catalogue_course_id} in "
                               f"the catalogue (GET /enrollment/courses lists them)", envelope)
        rule = CourseRule(course.duration_hours, course.completion_min_percent, course.certificate_validity_months)
    credited = credit(event.hours, list(event.themes), event.completed_at, rule)
    now = utcnow()
    person = event.person
    completion = ExternalCompletion(
        id=uuid.uuid4(), source=source, external_id=event.external_id, event_id=envelope.id, name=person.name,
        email=person.email, email_key=normalise_email(person.email), position=person.position,
        municipality_code=person.municipality_code, language=person.language,
        course_external_id=event.course.external_id, course_title=event.course.title.model_dump(),
        course_id=course.id if course else None, themes=list(event.themes), hours=credited.hours,
        completed_at=event.completed_at, received_at=now)
    uow.session.add(completion)
    uow.session.flush()
    certificate = None
    if credited.certificate:
        repo = EnrollmentRepository.of(uow)
        year = local_year(now)
        certificate = Certificate(
            id=uuid.uuid4(), number=certificate_number(year, repo.next_certificate_serial(year)),
            verification_code=verification_code(), enrollment_id=None, session_id=None,
            external_completion_id=completion.id, holder_name=person.name, hours=credited.hours, issued_at=now,
            valid_until=credited.certificate_valid_until, status="valid")
        repo.add(certificate)
    uow.emit(LearningRecorded(
        completion_id=completion.id, learning_system=source, course_title=event.course.title,
        course_id=completion.course_id, themes=completion.themes, hours=credited.hours,
        completed_at=event.completed_at, participant=person,
        certificate_id=certificate.id if certificate else None, number=certificate.number if certificate else None,
        verification_code=certificate.verification_code if certificate else None,
        verify_url=links.verify(certificate.number, certificate.verification_code) if certificate else None,
        valid_until=certificate.valid_until if certificate else None,
    ), subject=str(completion.id))
    outcome = "certified" if certificate else "counted"
    LEARNING_COMPLETIONS.labels(outcome).inc()
    return outcome


def list_completions(uow: UnitOfWork, links: Links, query: CompletionQuery, tenant: str | None) -> list[LearningCompletionOut]:
    """Completions reported by learning systems, newest first (`tenant`: a municipality's own staff)."""
    rows = LearningRepository.of(uow).completions(
        municipality_code=tenant, email_key=normalise_email(query.email) if query.email else None,
        completed_from=local_day_start(query.from_) if query.from_ else None,
        completed_to=local_day_start(query.to) if query.to else None, limit=query.limit)
    return [completion_out(c, cert, links) for c, cert in rows]


def completion_out(completion: ExternalCompletion, certificate: Certificate | None, links: Links) -> LearningCompletionOut:
    return LearningCompletionOut(
        id=completion.id, learning_system=completion.source, external_id=completion.external_id,
        person=person_of(completion), course_external_id=completion.course_external_id,
        course_title=LocalizedText(**completion.course_title), course_id=completion.course_id,
        themes=completion.themes, hours=completion.hours, completed_at=completion.completed_at,
        received_at=completion.received_at,
        certificate_number=certificate.number if certificate else None,
        verify_url=links.verify(certificate.number, certificate.verification_code) if certificate else None)


def person_of(completion: ExternalCompletion) -> Person:
    return Person.model_construct(name=completion.name, email=completion.email,
                                  municipality_code=completion.municipality_code, position=completion.position,
                                  language=completion.language)


def learning_verification(uow: UnitOfWork, certificate: Certificate, status) -> VerificationOut:
    """What the public verification shows for a certificate of learning done elsewhere."""
    completion = LearningRepository.of(uow).completion_by_id(certificate.external_completion_id)
    return VerificationOut(
        number=certificate.number, valid=status.valid, status=status.status, holder_name=certificate.holder_name,
        course_title=LocalizedText(**completion.course_title), hours=certificate.hours,
        session_starts_at=completion.completed_at, session_ends_at=completion.completed_at,
        issued_at=certificate.issued_at, valid_until=certificate.valid_until, learning_system=completion.source)


def erase_completions(uow: UnitOfWork, email_key: str, pseudonym: str, erased: str, now,
                      names: set[str]) -> dict[str, int]:
    """Pseudonymise the person's completions (hours, municipality and dates stay for the figures,
    under the pseudonym the enrolments get) and take their name off the certificates; adds the
    names found to `names` (the outbox and dead letters are scrubbed of them)."""
    learning = LearningRepository.of(uow)
    completions = learning.completions_of_person(email_key)
    for completion in completions:
        names.add(completion.name)
        completion.name = erased
        completion.email = f"erased-{pseudonym}@erased.invalid"
        completion.email_key = f"erased:{pseudonym}"
        completion.position = None
        completion.erased_at = now
    uow.session.flush()
    certificates = learning.anonymise_certificates([c.id for c in completions], erased)
    return {"learning_completions": len(completions), "certificates": certificates}


# ---------------------------------------------------------------- the figures

def completion_facts(rows) -> tuple[dict, list[ParticipationFacts]]:
    """Completions as the figures (domain/figures.py) see them: each a 'session' of kind
    'elsewhere' on the day it was completed, attended for its hours, certified or not."""
    sessions, facts = {}, []
    for completion, certificate in rows:
        sessions[completion.id] = SessionFacts(completion.id, "completed", completion.completed_at,
                                               tuple(completion.themes), None, kind=KIND)
        facts.append(ParticipationFacts(
            session_id=completion.id, person_key=completion.email_key, name=completion.name,
            email=completion.email, municipality_code=completion.municipality_code, position=completion.position,
            attendance="attended", hours=completion.hours, certified=certificate is not None, fee_eur=0))
    return sessions, facts

