"""The right to be forgotten (privacy.erasure_requested): the person's contact details go wherever
they appear, and a pseudonym replaces their name or e-mail as the author of history, checklist and
consultation entries; applications and their amounts stay, so reports keep their counts. The
consultation log's free text (summary, next steps) loses their name and address as whole tokens
(an entry naming them that someone else wrote counts among `consultation_entries` too). Published
events that named them and dead letters are scrubbed too; grants.person_erased reports what was
found; after the commit no copy stays in the SQLite files. Like every event use case it does not
commit (the @subscribe wrapper does)."""

from __future__ import annotations

from collections import Counter

from services.grants.domain import erasure
from sqlalchemy import func, or_, select

from services.grants.models import Consultation, Erasure
from services.grants.usecases import documents, engagements, joint, repository
from shared.erasure import leave_no_copy_on_disk, scrub, scrub_dead_letters, scrub_outbox
from shared.events.grants import GrantsPersonErased
from shared.events.privacy import ErasureRequested
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def erase_person(uow: UnitOfWork, event: ErasureRequested, files=None) -> dict[str, int]:
    """Returns the counts grants.person_erased reports. `files`: the documents folder
    (services/grants/documents.py), where the person's personal files are deleted after the commit."""
    email = erasure.normalised_email(event.email)
    pseudonym = erasure.pseudonym(event.request_id)
    repo = repository(uow)
    removed = Counter()
    # How the person appears here: the e-mail, and the names recorded with it.
    identities = {event.email.strip()}
    for application in repo.applications_mentioning(email):
        if erasure.is_same_email(application.contact_email, email):
            identities |= {application.contact_email, application.contact_name}
            application.contact_name = application.contact_email = application.contact_language = None
            removed["application_contacts"] += 1
        if erasure.is_same_email(application.consultant_email, email):
            identities |= {application.consultant_email, application.consultant_name}
            application.consultant_name = application.consultant_email = application.consultant_language = None
            removed["consultant_assignments"] += 1
        if erasure.is_same_email(application.partner_contact_email, email):
            identities |= {application.partner_contact_email, application.partner_contact_name}
            application.partner_contact_name = application.partner_contact_email = None
            removed["partner_contacts"] += 1
    # Consulting engagements: their contact person and consultant.
    known, counts = engagements.erase_contacts(uow, email)
    identities |= known
    removed.update(counts)
    spellings = erasure.spellings(identities)
    # Authors are token subjects: the e-mail, or the name the person is known by here.
    removed.update(repo.pseudonymise_authors(spellings, pseudonym))
    removed.update(engagements.erase_mentions(uow, spellings, pseudonym))
    removed.update(joint.erase_answers(uow, spellings, pseudonym))  # who answered for a partner municipality
    removed.update(documents.erase_person(uow, files, email, spellings, pseudonym))
    removed["consultation_entries"] += scrub_consultation_texts(uow, sorted(spellings), pseudonym)
    # Published events naming the person are deleted; pending ones are scrubbed and still go out.
    outbox = scrub_outbox(uow, sorted(spellings))
    removed["published_events"] += outbox["deleted"]
    removed["dead_letters"] = scrub_dead_letters(uow, sorted(spellings))
    counts = erasure.report(removed)
    # merge: the same request delivered again under another event id updates its record
    repo.session.merge(Erasure(request_id=event.request_id, removed=counts, erased_at=utcnow()))
    uow.emit(GrantsPersonErased(request_id=event.request_id, removed=counts), subject=str(event.request_id))
    leave_no_copy_on_disk(uow)
    return counts


def scrub_consultation_texts(uow: UnitOfWork, needles: list[str], pseudonym: str) -> int:
    """The consultation log's summary and next steps without the person's name and address (whole
    tokens, any case). Returns how many entries someone else wrote were changed (those the person
    wrote are already counted as pseudonymised)."""
    needles = [n for n in needles if n and n.strip()]
    if not needles:
        return 0
    texts = (Consultation.summary, Consultation.next_steps)
    mentions = or_(*[func.lower(column).contains(n.lower(), autoescape=True) for column in texts for n in needles],
                   *[column.contains(n, autoescape=True) for column in texts for n in needles])
    changed = 0
    for entry in uow.session.scalars(select(Consultation).where(mentions)):
        entry.summary, in_summary = scrub(entry.summary, needles)
        entry.next_steps, in_next_steps = scrub(entry.next_steps, needles)
        if (in_summary or in_next_steps) and entry.recorded_by != pseudonym:
            changed += 1
    return changed
