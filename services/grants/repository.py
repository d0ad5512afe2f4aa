"""Storage of programmes, calls and applications: every query the grants service makes (SQLAlchemy;
used by the use cases in services/grants/usecases/)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.grants.models import (
    Amendment,
    Application,
    ChecklistChange,
    ChecklistItem,
    Consultation,
    FundedProject,
    FundingCall,
    PartnerCandidate,
    PaymentClaim,
    Programme,
    ProjectReport,
    SentReminder,
    StatusChange,
)
from services.grants.joint_repository import partner_of
from shared.errors import NotFound
from shared.persistence.schema import utcnow
from shared.tenancy import owned_by

# Tenancy owner lookup (shared/tenancy.py, Tenancy.resource): the municipality an application belongs to.
APPLICATION_OWNER = owned_by(Application.municipality_code, Application.id)

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

    def programmes(self, source_kinds: list[str] | None = None, funder: str | None = None,
                   theme: str | None = None) -> list[Programme]:
        query = select(Programme).order_by(Programme.funder, Programme.code)
        if source_kinds:
            query = query.where(Programme.source_kind.in_(source_kinds))
        if funder:
            query = query.where(Programme.funder == funder)
        # themes is a JSON list: filtered here, the same way on SQLite and PostgreSQL
        return [p for p in self.session.scalars(query) if not theme or theme in p.themes]

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

    def calls(self, statuses: list[str] | None = None, programme_id: uuid.UUID | None = None,
              theme: str | None = None) -> list[FundingCall]:
        query = select(FundingCall).order_by(FundingCall.closes_on, FundingCall.code)
        if statuses:
            query = query.where(FundingCall.status.in_(statuses))
        if programme_id:
            query = query.where(FundingCall.programme_id == programme_id)
        calls = self.session.scalars(query)
        # themes is a JSON list: filtered here, the same way on SQLite and PostgreSQL
        return [c for c in calls if not theme or theme in c.themes]

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
        if municipality_code:  # its own applications and the joint ones it is a partner of
            query = query.where(or_(Application.municipality_code == municipality_code,
                                    Application.id.in_(partner_of(municipality_code))))
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

    def checklist_changes(self, application_id: uuid.UUID) -> list[ChecklistChange]:
        return list(self.session.scalars(select(ChecklistChange)
                                         .where(ChecklistChange.application_id == application_id)
                                         .order_by(ChecklistChange.id)))

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

    def drop_unintroduced_candidates(self, application_id: uuid.UUID, partner_request_id: uuid.UUID,
                                     keep: set[uuid.UUID]) -> None:
        """Forget the candidates a partner request proposed earlier that were neither introduced
        nor proposed again (`keep`)."""
        self.session.execute(delete(PartnerCandidate).where(
            PartnerCandidate.application_id == application_id,
            PartnerCandidate.partner_request_id == partner_request_id,
            PartnerCandidate.introduction_status.is_(None), PartnerCandidate.organisation_id.not_in(keep)))

    def claim_reminder(self, application_id: uuid.UUID, kind: str, deadline: date, days_before: int) -> bool:
        """Record a reminder as sent; False if it was already (the primary key makes each reminder
        go out once, whatever the replicas)."""
        dialect = self.session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SentReminder.__table__)
        result = self.session.execute(insert.values(
            application_id=application_id, deadline_kind=kind, deadline=deadline, days_before=days_before,
            sent_at=utcnow()).on_conflict_do_nothing())
        return result.rowcount == 1

    # -- after the contract
    def project_reports(self, application_id: uuid.UUID) -> list[ProjectReport]:
        return list(self.session.scalars(select(ProjectReport).where(ProjectReport.application_id == application_id)
                                         .order_by(ProjectReport.position)))

    def project_report(self, application_id: uuid.UUID, report_id: uuid.UUID) -> ProjectReport:
        found = self.session.get(ProjectReport, report_id)
        if found is None or found.application_id != application_id:
            raise NotFound("report", report_id)
        return found

    def payment_claims(self, application_id: uuid.UUID) -> list[PaymentClaim]:
        return list(self.session.scalars(select(PaymentClaim).where(PaymentClaim.application_id == application_id)
                                         .order_by(PaymentClaim.number)))

    def payment_claim(self, application_id: uuid.UUID, claim_id: uuid.UUID) -> PaymentClaim:
        found = self.session.get(PaymentClaim, claim_id)
        if found is None or found.application_id != application_id:
            raise NotFound("payment claim", claim_id)
        return found

    def amendments(self, application_id: uuid.UUID) -> list[Amendment]:
        return list(self.session.scalars(select(Amendment).where(Amendment.application_id == application_id)
                                         .order_by(Amendment.id)))

    def open_reports(self, statuses: tuple[str, ...]) -> list[tuple[ProjectReport, Application, FundingCall]]:
        """Reports not yet submitted of applications in `statuses` (contracted), soonest first."""
        query = (select(ProjectReport, Application, FundingCall)
                 .join(Application, Application.id == ProjectReport.application_id)
                 .join(FundingCall, FundingCall.id == Application.call_id)
                 .where(ProjectReport.submitted_on.is_(None), Application.status.in_(statuses))
                 .order_by(ProjectReport.due_on, ProjectReport.id))
        return [tuple(row) for row in self.session.execute(query).all()]

    def paid_per_application(self) -> dict[uuid.UUID, object]:
        return dict(self.session.execute(
            select(PaymentClaim.application_id, func.sum(func.coalesce(PaymentClaim.approved_amount_eur,
                                                                       PaymentClaim.amount_eur)))
            .where(PaymentClaim.status == "paid").group_by(PaymentClaim.application_id)).all())

    def programme_periods(self) -> dict[uuid.UUID, str | None]:
        return dict(self.session.execute(select(Programme.id, Programme.period)).all())

    def funded_projects(self) -> list[tuple[FundedProject, Programme]]:
        query = (select(FundedProject, Programme).join(Programme, Programme.id == FundedProject.programme_id)
                 .order_by(FundedProject.project_number))
        return [tuple(row) for row in self.session.execute(query).all()]

    def count_claims_by_status(self) -> dict[str, int]:
        return dict(self.session.execute(select(PaymentClaim.status, func.count()).group_by(PaymentClaim.status)).all())

    def count_overdue_reports(self, today: date, statuses: tuple[str, ...]) -> int:
        return self.session.execute(
            select(func.count()).select_from(ProjectReport).join(Application, Application.id == ProjectReport.application_id)
            .where(ProjectReport.submitted_on.is_(None), ProjectReport.due_on < today,
                   Application.status.in_(statuses))).scalar_one()

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

    def pseudonymise_authors(self, spellings: set[str], pseudonym: str) -> dict[str, int]:
        """Replace the person as the author (a token subject: the e-mail or a name) of applications,
        status changes, checklist updates and consultation entries; counts per kind."""
        counts = {}
        for model, column, key in ((Application, Application.created_by, "applications_created"),
                                   (StatusChange, StatusChange.changed_by, "status_changes"),
                                   (ChecklistItem, ChecklistItem.updated_by, "checklist_updates"),
                                   (ChecklistChange, ChecklistChange.changed_by, "checklist_changes"),
                                   (ProjectReport, ProjectReport.submitted_by, "report_submissions"),
                                   (PaymentClaim, PaymentClaim.submitted_by, "payment_claims_submitted"),
                                   (PaymentClaim, PaymentClaim.approved_by, "payment_claims_approved"),
                                   (PaymentClaim, PaymentClaim.paid_by, "payment_claims_paid"),
                                   (Amendment, Amendment.changed_by, "amendments"),
                                   (Consultation, Consultation.recorded_by, "consultation_entries")):
            result = self.session.execute(update(model).where(or_(column.in_(spellings),
                                                                  func.lower(column).in_(spellings)))
                                          .values({column.key: pseudonym}))
            counts[key] = result.rowcount
        return counts

