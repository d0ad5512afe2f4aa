"""A letter of intent recorded in the partners service (partners.letter_of_intent_recorded) ticks
the application's checklist item it stands for (domain/partners.py: document_for_letter): the
item becomes ready, with the letter's reference in its note and history, as if the consultant had
ticked it. The subscription commits."""

from __future__ import annotations

import logging

from services.grants.domain.partners import document_for_letter
from services.grants.domain.workflow import EDITABLE, Status
from services.grants.usecases import repository
from services.grants.usecases.applications import record_checklist_change
from shared.events.partners import LetterOfIntentRecorded
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
RECORDED_BY = "partners.letter_of_intent_recorded"


def letter_of_intent_recorded(uow: UnitOfWork, event: LetterOfIntentRecorded) -> None:
    repo = repository(uow)
    application = repo.find_application(event.application_id)  # locked: one change at a time
    if application is None:
        log.info("letter of intent for no known application", extra={"letter_id": str(event.letter_id)})
        return
    if Status(application.status) not in EDITABLE:
        log.info("letter of intent after the application left drafting: checklist unchanged",
                 extra={"application_id": str(application.id), "status": application.status})
        return
    code = document_for_letter(event.issued_by, [(i.code, i.status) for i in repo.checklist(application.id)])
    if code is None:
        return
    item = repo.checklist_item(application.id, code)
    note = (f"letter of intent {event.reference} from {event.organisation_name}, signed "
            f"{event.signed_on.isoformat()} (recorded in partners)")
    record_checklist_change(repo, item, "ready", note[:1000], RECORDED_BY)
    application.updated_at = item.updated_at
