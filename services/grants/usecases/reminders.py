"""Deadline reminders: grants.call_deadline_approaching for applications not yet submitted, at 14, 7
and 1 days before their internal, first-stage and official deadlines (domain/reminders.py says which
is due). The sent_reminders primary key makes each reminder go out once, whatever the replicas."""

from __future__ import annotations

import logging
from datetime import date

from services.grants.domain import reminders
from services.grants.domain.workflow import REMINDED
from services.grants.usecases import local_today, repository
from services.grants.views import application_event_fields
from shared.events.grants import CallDeadlineApproaching
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def remind_deadlines(uow: UnitOfWork, today: date | None = None) -> int:
    """Emit the reminders due `today` (default: today in Lithuania) and commit; returns how many."""
    today = today or local_today()
    repo = repository(uow)
    sent = 0
    for application, call in repo.applications_in(tuple(s.value for s in REMINDED)):
        for deadline in reminders.deadlines(application.internal_deadline, call.first_stage_closes_on,
                                            call.closes_on, today):
            threshold = reminders.due_threshold(
                deadline.on, today, repo.sent_thresholds(application.id, deadline.kind, deadline.on))
            if threshold is None or not repo.claim_reminder(application.id, deadline.kind, deadline.on, threshold):
                continue
            uow.emit(CallDeadlineApproaching(
                **application_event_fields(application, call), status=application.status,
                deadline_kind=deadline.kind, deadline=deadline.on, days_left=(deadline.on - today).days,
                reminder_days=threshold), subject=str(application.id))
            sent += 1
    uow.commit()
    if sent:
        log.info("deadline reminders emitted", extra={"count": sent})
    return sent
