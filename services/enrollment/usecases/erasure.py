"""The right to be forgotten, in the enrollment service.

On `privacy.erasure_requested` every personal field held for the e-mail address is erased or
pseudonymised: the person's enrolments keep their municipality, dates, attendance and hours under
a random pseudonym, so reports still count them (anonymously) and a person stays one person in
"participants trained". Their open seats and waitlist places are cancelled (the seats go to the
waitlist), certificates lose the holder's name, rows they authored as a coordinator lose the
author; published outbox rows that named them are deleted and pending ones are scrubbed (fields
equal to their address or name, and the position beside their address; they still go out, so no one else's event is lost). The reply event counts what was
done and holds no personal data.
"""

from __future__ import annotations

import uuid

from services.enrollment.domain.rules import ACTIVE, CancelReason, EnrollmentStatus, SessionStatus, normalise_email
from services.enrollment.invoice_repository import InvoiceRepository
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.usecases.feedback import erase_from_comments
from services.enrollment.usecases.learning import erase_completions
from services.enrollment.usecases.seating import Seating
from services.enrollment.usecases.working_groups import erase_members
from shared.erasure import leave_no_copy_on_disk, scrub_dead_letters, scrub_outbox
from shared.events.enrollment import EnrollmentPersonErased
from shared.events.privacy import ErasureRequested
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

ERASED = "(erased)"


def erase(uow: UnitOfWork, links: Links, request: ErasureRequested) -> dict[str, int]:
    """Forget the person; emits enrollment.person_erased with the counts. The subscription commits
    (with its inbox claim)."""
    repo = EnrollmentRepository.of(uow)
    email_key = normalise_email(request.email)
    now = utcnow()
    removed = {"enrollments": 0, "open_enrollments_cancelled": 0, "certificates": 0, "training_needs": 0,
               "supports": 0, "authored_enrollments": 0, "idempotency_keys": 0, "events": 0, "dead_letters": 0}
    pseudonym = uuid.uuid4().hex
    names: set[str] = set()
    enrollment_ids = []
    for found in repo.enrollments_of_person(email_key):
        enrollment, training_session = repo.enrollment_locked(found.id)
        names.add(enrollment.name)
        enrollment_ids.append(enrollment.id)
        if (EnrollmentStatus(enrollment.status) in ACTIVE
                and training_session.status == SessionStatus.SCHEDULED.value):
            # Nobody is told (the person asked to be forgotten); the seat goes to the waitlist.
            Seating(uow, repo, links, now).cancel(training_session, repo.course(training_session.course_id),
                                                  enrollment, CancelReason.BY_PARTICIPANT, announce=False)
            removed["open_enrollments_cancelled"] += 1
        enrollment.name = ERASED
        enrollment.email = f"erased-{pseudonym}@erased.invalid"
        enrollment.email_key = f"erased:{pseudonym}"
        enrollment.position = None
        enrollment.erased_at = now
        removed["enrollments"] += 1
        removed["certificates"] += repo.anonymise_certificates_of(enrollment.id, ERASED)
    repo.session.flush()
    # Feedback answers hold no person; their free text is cleared of the person's names and address.
    removed["feedback_comments"] = erase_from_comments(uow, enrollment_ids, names, {request.email, email_key})
    # Courses completed elsewhere: the same pseudonym, so the person stays one person in the figures.
    for name, count in erase_completions(uow, email_key, pseudonym, ERASED, now, names).items():
        removed[name] = removed.get(name, 0) + count
    for name, count in repo.replace_author(email_key, ERASED).items():
        removed[name] += count
    removed["session_coordinators"] = repo.remove_coordinator(email_key)
    # Invoices keep no participant (their lines are the enrolments above); staff who issued, marked
    # paid or waived one lose the authorship.
    removed["invoice_authors"] = InvoiceRepository.of(uow).replace_author(email_key, ERASED)
    removed["trainers"] = repo.erase_trainer(email_key, ERASED, pseudonym, now)
    removed["working_group_members"], member_names = erase_members(uow, email_key, pseudonym, ERASED, now)
    names |= member_names
    removed["idempotency_keys"] = repo.delete_idempotency_keys_of(email_key)
    # Events about the person: published ones are deleted, pending ones scrubbed (never deleted).
    outbox = scrub_outbox(uow, [email_key, request.email, *names])
    removed["events"] = outbox["deleted"] + outbox["scrubbed"]
    removed["dead_letters"] = scrub_dead_letters(uow, [email_key, *names])
    uow.emit(EnrollmentPersonErased(request_id=request.request_id, removed=removed), subject=str(request.request_id))
    leave_no_copy_on_disk(uow)  # no copy of what was overwritten stays in the SQLite files
    return removed
