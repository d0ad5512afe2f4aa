"""The consultation log of an application: meetings, calls, e-mails and video calls with the
centre's consultant, what was agreed and when to follow up (after today, at most a year ahead; the
latest consultation's follow-up day reminds the consultant: usecases/desk.py)."""

from __future__ import annotations

import uuid

from services.grants.domain.desk import check_follow_up
from services.grants.domain.workflow import check_consultation
from services.grants.models import Consultation
from services.grants.schemas import ApplicationOut, ConsultationIn
from services.grants.usecases import local_today, repository
from services.grants.usecases.applications import view
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def log_consultation(uow: UnitOfWork, application_id: uuid.UUID, body: ConsultationIn, by: str) -> ApplicationOut:
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    today = local_today()
    check_consultation(body.held_on, body.follow_up_on, today)
    check_follow_up(body.follow_up_on, today)  # in the future, bounded: its day reminds the consultant
    now = utcnow()
    repo.add(Consultation(id=uuid.uuid4(), application_id=application.id, recorded_by=by, recorded_at=now,
                          **body.model_dump()))
    application.updated_at = now
    uow.commit()
    return view(repo, application, repo.call(application.call_id), today)
