"""The consultants' desk's queries (domain/desk.py): applications with their calls under the list's
filters, their open reports and consultations, and the follow-ups due."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.grants.domain.desk import ConsultationMark, ReportDue, latest
from services.grants.joint_repository import partner_of
from services.grants.models import Application, Consultation, FundingCall, ProjectReport

CHUNK = 500  # ids per IN (…) list


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class DeskRepository:
    def __init__(self, session: Session):
        self.session = session

    def application_keys(self, *, municipality_code: str | None = None, statuses: Iterable[str] = (),
                         call_id: uuid.UUID | None = None, funder: str | None = None,
                         programme_id: uuid.UUID | None = None, consultant: str | None = None,
                         assigned_only: bool = False, with_themes: bool = False) -> list:
        """What the desk sorts and filters by, of the applications under the filters SQL can apply
        (rows of plain columns, not whole records: a list of thousands reads only these; themes, a
        JSON list, only when filtered by, in the process, and the next deadline is computed)."""
        columns = [Application.id, Application.call_id, Application.municipality_code, Application.status,
                   Application.stage, Application.internal_deadline, Application.created_at,
                   Application.consultant_email, Application.consultant_name, FundingCall.first_stage_closes_on,
                   FundingCall.closes_on]
        if with_themes:
            columns.append(Application.themes)
        query = select(*columns).join(FundingCall, FundingCall.id == Application.call_id)
        statuses = list(statuses)
        if municipality_code:  # its own applications and the joint ones it is a partner of (Tenancy.shared)
            query = query.where(or_(Application.municipality_code == municipality_code,
                                    Application.id.in_(partner_of(municipality_code))))
        if statuses:
            query = query.where(Application.status.in_(statuses))
        if call_id:
            query = query.where(Application.call_id == call_id)
        if funder:
            query = query.where(FundingCall.funder == funder)
        if programme_id:
            query = query.where(FundingCall.programme_id == programme_id)
        if consultant:
            query = query.where(func.lower(Application.consultant_email) == consultant.lower())
        if assigned_only:
            query = query.where(Application.consultant_email.is_not(None))
        return list(self.session.execute(query).all())

    def applications_by_id(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Application, FundingCall]]:
        """The whole records of the applications a page shows, with their calls."""
        found = {}
        for chunk in _chunks(ids):
            for application, call in self.session.execute(
                    select(Application, FundingCall).join(FundingCall, FundingCall.id == Application.call_id)
                    .where(Application.id.in_(chunk))).all():
                found[application.id] = (application, call)
        return found

    def open_reports(self, application_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[ReportDue, ...]]:
        found: dict[uuid.UUID, list[ReportDue]] = defaultdict(list)
        for ids in _chunks(application_ids):
            for application_id, kind, due_on in self.session.execute(
                    select(ProjectReport.application_id, ProjectReport.kind, ProjectReport.due_on)
                    .where(ProjectReport.application_id.in_(ids), ProjectReport.submitted_on.is_(None))):
                found[application_id].append(ReportDue(kind, due_on))
        return {k: tuple(v) for k, v in found.items()}

    def consultation_marks(self, application_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ConsultationMark]]:
        found: dict[uuid.UUID, list[ConsultationMark]] = defaultdict(list)
        for ids in _chunks(application_ids):
            for row in self.session.execute(
                    select(Consultation.application_id, Consultation.id, Consultation.held_on,
                           Consultation.recorded_at, Consultation.follow_up_on)
                    .where(Consultation.application_id.in_(ids))):
                found[row.application_id].append(ConsultationMark(row.id, row.held_on, row.recorded_at,
                                                                  row.follow_up_on))
        return found

    def follow_ups_between(self, first: date, last: date,
                           statuses: Iterable[str]) -> list[tuple[Consultation, Application, FundingCall]]:
        """Consultations whose follow-up falls in [first, last], of applications in `statuses`."""
        query = (select(Consultation, Application, FundingCall)
                 .join(Application, Application.id == Consultation.application_id)
                 .join(FundingCall, FundingCall.id == Application.call_id)
                 .where(Consultation.follow_up_on >= first, Consultation.follow_up_on <= last,
                        Application.status.in_(list(statuses)))
                 .order_by(Consultation.follow_up_on, Consultation.id))
        return [tuple(row) for row in self.session.execute(query).all()]

    def count_follow_ups_overdue(self, today: date, statuses: Iterable[str]) -> int:
        """Open applications whose latest consultation's follow-up day has passed."""
        marks = self.consultation_marks(list(self.session.scalars(
            select(Application.id).where(Application.status.in_(list(statuses))))))
        return sum(1 for items in marks.values()
                   if (last := latest(items)) is not None and last.follow_up_on is not None
                   and last.follow_up_on < today)
