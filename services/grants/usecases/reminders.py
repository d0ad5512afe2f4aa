"""Deadline reminders: grants.call_deadline_approaching for applications not yet submitted, at 14, 7
and 1 days before their internal, first-stage and official deadlines, and
grants.reporting_deadline_approaching for contracted projects' interim and final reports not yet
submitted (domain/reminders.py says which is due). The sent_reminders primary key makes each
reminder go out once, whatever the replicas; a submitted report is no longer reminded."""

from __future__ import annotations

import logging
from datetime import date

from services.grants.domain import reminders, stages
from services.grants.domain.workflow import REMINDED, Status
from services.grants.usecases import local_today, repository
from services.grants.views import application_event_fields
from shared.events.grants import CallDeadlineApproaching, ReportingDeadlineApproaching
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def remind_deadlines(uow: UnitOfWork, today: date | None = None) -> int:
    """Emit the reminders due `today` (default: today in Lithuania) and commit; returns how many."""
    today = today or local_today()
    repo = repository(uow)
    sent = 0
    for application, call in repo.applications_in(tuple(s.value for s in REMINDED)):
        kinds = stages.reminded_kinds(application.stage) if application.stage else None
        for deadline in reminders.deadlines(application.internal_deadline, call.first_stage_closes_on,
                                            call.closes_on, today):
            if kinds is not None and deadline.kind not in kinds:
                continue  # a two-stage application is reminded of its own stage's deadline
            threshold = reminders.due_threshold(
                deadline.on, today, repo.sent_thresholds(application.id, deadline.kind, deadline.on))
            if threshold is None or not repo.claim_reminder(application.id, deadline.kind, deadline.on, threshold):
                continue
            uow.emit(CallDeadlineApproaching(
                **application_event_fields(application, call), status=application.status,
                deadline_kind=deadline.kind, deadline=deadline.on, days_left=(deadline.on - today).days,
                reminder_days=threshold), subject=str(application.id))
            sent += 1
    for report, application, call in repo.open_reports((Status.CONTRACTED.value,)):
        kind = f"{report.kind}_report"  # sent_reminders.deadline_kind: interim_report | final_report
        threshold = reminders.due_threshold(report.due_on, today,
                                            repo.sent_thresholds(application.id, kind, report.due_on))
        if threshold is None or not repo.claim_reminder(application.id, kind, report.due_on, threshold):
            continue
        uow.emit(ReportingDeadlineApproaching(
            **application_event_fields(application, call), report_id=report.id, report_kind=report.kind,
            due_on=report.due_on, days_left=(report.due_on - today).days, reminder_days=threshold),
            subject=str(application.id))
        sent += 1
    uow.commit()
    if sent:
        log.info("deadline reminders emitted", extra={"count": sent})
    return sent
