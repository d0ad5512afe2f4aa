"""Storage of programmes, calls and applications (SQLAlchemy; used by the service class only)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.grants.models import (
    Application,
    ChecklistItem,
    Consultation,
    FundedProject,
    FundingCall,
    PartnerCandidate,
    Programme,
    SentReminder,
    StatusChange,
)
from shared.errors import NotFound


class GrantsRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, *objects) -> None:
        self.session.add_all(objects)
        self.session.flush()

    # -- programmes
    def programme(self, programme_id: uuid.UUID) -> Programme:
        found = self.session.get(Programme, programme_id)
        if found is None:
            raise NotFound("programme", programme_id)
        return found

    def programmes(self) -> list[Programme]:
        return list(self.session.scalars(select(Programme).order_by(Programme.funder, Programme.code)))

    def projects_of(self, programme_id: uuid.UUID) -> list[FundedProject]:
        return list(self.session.scalars(select(FundedProject).where(FundedProject.programme_id == programme_id)
                                         .order_by(FundedProject.project_number)))

    def call_ids_of(self, programme_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.session.scalars(select(FundingCall.id).where(FundingCall.programme_id == programme_id)
                                         .order_by(FundingCall.closes_on)))

    # -- calls
    def call(self, call_id: uuid.UUID, *, lock: bool = False) -> FundingCall:
        query = select(FundingCall).where(FundingCall.id == call_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("call", call_id)
        return found

    def calls(self, statuses: list[str] | None = None, programme_id: uuid.UUID | None = None) -> list[FundingCall]:
        query = select(FundingCall).order_by(FundingCall.closes_on, FundingCall.code)
        if statuses:
            query = query.where(FundingCall.status.in_(statuses))
        if programme_id:
            query = query.where(FundingCall.programme_id == programme_id)
        return list(self.session.scalars(query))

    def programme_codes(self) -> dict[uuid.UUID, str]:
        return dict(self.session.execute(select(Programme.id, Programme.code)).all())

    # -- applications
    def application(self, application_id: uuid.UUID, *, lock: bool = False) -> Application:
        """The application row; lock=True serialises changes to one application (PostgreSQL row
        lock; SQLite serialises writers anyway)."""
        query = select(Application).where(Application.id == application_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("application", application_id)
        return found

    def find_application(self, application_id: uuid.UUID | None) -> Application | None:
        if application_id is None:
            return None
        return self.session.scalars(select(Application).where(Application.id == application_id)
                                    .with_for_update()).first()

    def applications(self, *, municipality_code: str | None = None, statuses: list[str] | None = None,
                     call_id: uuid.UUID | None = None) -> list[tuple[Application, FundingCall]]:
        query = (select(Application, FundingCall).join(FundingCall, FundingCall.id == Application.call_id)
                 .order_by(Application.created_at.desc(), Application.id))
        if municipality_code:
            query = query.where(Application.municipality_code == municipality_code)
        if statuses:
            query = query.where(Application.status.in_(statuses))
        if call_id:
            query = query.where(Application.call_id == call_id)
        return [tuple(row) for row in self.session.execute(query).all()]

    def applications_in(self, statuses: tuple[str, ...]) -> list[tuple[Application, FundingCall]]:
        return self.applications(statuses=list(statuses))

    def history(self, application_id: uuid.UUID) -> list[StatusChange]:
        return list(self.session.scalars(select(StatusChange).where(StatusChange.application_id == application_id)
                                         .order_by(StatusChange.id)))

    def checklist(self, application_id: uuid.UUID) -> list[ChecklistItem]:
        return list(self.session.scalars(select(ChecklistItem).where(ChecklistItem.application_id == application_id)
                                         .order_by(ChecklistItem.position)))

    def checklist_item(self, application_id: uuid.UUID, code: str) -> ChecklistItem:
        found = self.session.get(ChecklistItem, (application_id, code))
        if found is None:
            raise NotFound("checklist item", code)
        return found

    def consultations(self, application_id: uuid.UUID) -> list[Consultation]:
        return list(self.session.scalars(select(Consultation).where(Consultation.application_id == application_id)
                                         .order_by(Consultation.held_on, Consultation.recorded_at)))

    def candidates(self, application_id: uuid.UUID) -> list[PartnerCandidate]:
        return list(self.session.scalars(select(PartnerCandidate)
                                         .where(PartnerCandidate.application_id == application_id)
                                         .order_by(PartnerCandidate.rank)))

    def candidate(self, application_id: uuid.UUID, organisation_id: uuid.UUID) -> PartnerCandidate | None:
        return self.session.scalars(select(PartnerCandidate).where(
            PartnerCandidate.application_id == application_id,
            PartnerCandidate.organisation_id == organisation_id)).first()

    def reminders(self, application_id: uuid.UUID) -> list[SentReminder]:
        return list(self.session.scalars(select(SentReminder).where(SentReminder.application_id == application_id)
                                         .order_by(SentReminder.sent_at)))

    def sent_thresholds(self, application_id: uuid.UUID, kind: str, deadline: date) -> set[int]:
        return set(self.session.scalars(select(SentReminder.days_before).where(
            SentReminder.application_id == application_id, SentReminder.deadline_kind == kind,
            SentReminder.deadline == deadline)))

    def count_by_status(self) -> dict[str, int]:
        return dict(self.session.execute(select(Application.status, func.count()).group_by(Application.status)).all())

    # -- personal data
    def applications_mentioning(self, email: str) -> list[Application]:
        lowered = email.lower()
        return list(self.session.scalars(select(Application).where(or_(
            func.lower(Application.contact_email) == lowered,
            func.lower(Application.consultant_email) == lowered,
            func.lower(Application.partner_contact_email) == lowered,
            func.lower(Application.created_by) == lowered,
        ))))
