"""The right to be forgotten, in the enrollment service.

On `privacy.erasure_requested` every personal field held for the e-mail address is erased or
pseudonymised: the person's enrolments keep their municipality, dates, attendance and hours under
a random pseudonym, so reports still count them (anonymously) and a person stays one person in
"participants trained". Their open seats and waitlist places are cancelled (the seats go to the
waitlist), certificates lose the holder's name, rows they authored as a coordinator lose the
author, and the outbox rows that carried their data are deleted. The reply event counts what was
done and holds no personal data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, update

from services.enrollment.domain.rules import ACTIVE, CancelReason, EnrollmentStatus, SessionStatus, normalise_email
from services.enrollment.models import Certificate, Enrollment, IdempotencyKey, TrainingNeed, TrainingNeedSupport
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.seating import Seating
from shared.persistence.schema import OUTBOX, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.erasure import scrub_dead_letters
from shared.events.enrollment import EnrollmentPersonErased
from shared.events.privacy import ErasureRequested

ERASED = "(erased)"


def erase(db: UnitOfWork, repo: EnrollmentRepository, links: Links, request: ErasureRequested) -> dict[str, int]:
    email_key = normalise_email(request.email)
    now = utcnow()
    session = repo.session
    removed = {"enrollments": 0, "open_enrollments_cancelled": 0, "certificates": 0, "training_needs": 0,
               "supports": 0, "authored_enrollments": 0, "idempotency_keys": 0, "events": 0, "dead_letters": 0}
    pseudonym = uuid.uuid4().hex
    names: set[str] = set()
    for found in repo.enrollments_of_person(email_key):
        enrollment, training_session = repo.enrollment_locked(found.id)
        names.add(enrollment.name)
        if (EnrollmentStatus(enrollment.status) in ACTIVE
                and training_session.status == SessionStatus.SCHEDULED.value):
            # Nobody is told (the person asked to be forgotten); the seat goes to the waitlist.
            Seating(db, repo, links, now).cancel(training_session, repo.course(training_session.course_id),
                                                 enrollment, CancelReason.BY_PARTICIPANT, announce=False)
            removed["open_enrollments_cancelled"] += 1
        enrollment.name = ERASED
        enrollment.email = f"erased-{pseudonym}@erased.invalid"
        enrollment.email_key = f"erased:{pseudonym}"
        enrollment.position = None
        enrollment.erased_at = now
        removed["enrollments"] += 1
        removed["certificates"] += session.execute(
            update(Certificate).where(Certificate.enrollment_id == enrollment.id).values(holder_name=ERASED)).rowcount
    session.flush()
    authored = [(Enrollment, Enrollment.created_by, "authored_enrollments"),
                (TrainingNeed, TrainingNeed.proposed_by, "training_needs"),
                (TrainingNeedSupport, TrainingNeedSupport.supported_by, "supports")]
    for model, column, name in authored:
        removed[name] += session.execute(
            update(model).where(func.lower(column) == email_key).values({column.key: ERASED})).rowcount
    removed["idempotency_keys"] = session.execute(
        delete(IdempotencyKey).where(func.lower(IdempotencyKey.principal).like(f"%:{_like(email_key)}", escape="\\"))
    ).rowcount
    # Events about the person, published or not: once they are forgotten nobody should tell them more.
    removed["events"] = session.execute(delete(OUTBOX).where(_mentions(db, OUTBOX.c.body, email_key))).rowcount
    removed["dead_letters"] = scrub_dead_letters(db, [email_key, *names])
    db.emit(EnrollmentPersonErased(request_id=request.request_id, removed=removed), subject=str(request.request_id))
    return removed


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _mentions(db: UnitOfWork, column, text: str):
    lowered = func.lower(column)
    if db.dialect == "postgresql":
        return func.strpos(lowered, text) > 0
    return func.instr(lowered, text) > 0

