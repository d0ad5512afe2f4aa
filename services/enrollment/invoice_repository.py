"""The invoices' queries (issue 18 item 7; rules in domain/invoices.py, use cases in usecases/invoices.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.enrollment.domain.invoices import InvoiceFacts
from services.enrollment.domain.rules import EnrollmentStatus
from services.enrollment.models import Course, Enrollment, Invoice, InvoiceCounter, InvoiceVersion, TrainingSession
from services.enrollment.repository import Lists
from shared.errors import NotFound
from shared.tenancy import owned_by

# Tenancy owner lookup (shared/tenancy.py): the municipality an invoice is addressed to.
INVOICE_OWNER = owned_by(Invoice.municipality_code, Invoice.id)


class InvoiceRepository:
    def __init__(self, session: Session, dialect: str = "sqlite"):
        self.session = session
        self.dialect = dialect

    @classmethod
    def of(cls, uow) -> "InvoiceRepository":
        return cls(uow.session, uow.dialect)

    def add(self, obj) -> None:
        self.session.add(obj)
        self.session.flush()

    # ------------------------------------------------------------------ invoices
    def invoice(self, invoice_id: uuid.UUID, *, lock: bool = False) -> Invoice:
        query = select(Invoice).where(Invoice.id == invoice_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("invoice", invoice_id)
        return found

    def of_session(self, session_id: uuid.UUID) -> list[Invoice]:
        return list(self.session.scalars(select(Invoice).where(Invoice.session_id == session_id)
                                         .order_by(Invoice.number)))

    def of_session_and_municipality(self, session_id: uuid.UUID, municipality_code: str, *,
                                    lock: bool = False) -> Invoice | None:
        query = select(Invoice).where(Invoice.session_id == session_id,
                                      Invoice.municipality_code == municipality_code)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def versions(self, invoice_id: uuid.UUID) -> list[InvoiceVersion]:
        return list(self.session.scalars(select(InvoiceVersion).where(InvoiceVersion.invoice_id == invoice_id)
                                         .order_by(InvoiceVersion.version)))

    def version(self, invoice_id: uuid.UUID, version: int) -> InvoiceVersion:
        found = self.session.get(InvoiceVersion, (invoice_id, version))
        if found is None:
            raise NotFound("invoice version", f"{invoice_id}/{version}")
        return found

    def next_number(self, year: int) -> int:
        """The next serial of the year under the counter row's lock: the lock is held until the
        issuing transaction ends, so serials are unique and, a rolled-back transaction giving its
        number back with its invoice, gap-free."""
        query = (select(InvoiceCounter).where(InvoiceCounter.year == year).with_for_update()
                 .execution_options(populate_existing=True))
        counter = self.session.scalars(query).first()
        if counter is None:
            from sqlalchemy.dialects import postgresql, sqlite

            insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
            self.session.execute(insert(InvoiceCounter).values(year=year, last_number=0).on_conflict_do_nothing())
            counter = self.session.scalars(query).first()
        counter.last_number += 1
        self.session.flush()
        return counter.last_number

    # ------------------------------------------------------------------ who is invoiced
    def confirmed_by_municipality(self, session_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
        """The session's confirmed enrolments per municipality, in arrival order."""
        rows = self.session.execute(
            select(Enrollment.municipality_code, Enrollment.id)
            .where(Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.CONFIRMED.value)
            .order_by(Enrollment.arrival_seq)).all()
        found: dict[str, list[uuid.UUID]] = defaultdict(list)
        for code, enrollment_id in rows:
            found[code].append(enrollment_id)
        return dict(found)

    def confirmed_of(self, session_id: uuid.UUID, municipality_code: str) -> list[uuid.UUID]:
        return list(self.session.scalars(
            select(Enrollment.id)
            .where(Enrollment.session_id == session_id, Enrollment.municipality_code == municipality_code,
                   Enrollment.status == EnrollmentStatus.CONFIRMED.value)
            .order_by(Enrollment.arrival_seq)))

    def enrollments(self, ids) -> dict[uuid.UUID, Enrollment]:
        ids = [uuid.UUID(str(i)) for i in ids]
        if not ids:
            return {}
        return {e.id: e for e in self.session.scalars(select(Enrollment).where(Enrollment.id.in_(ids)))}

    # ------------------------------------------------------------------ lists and figures
    def page(self, *, sort, after, limit: int, session_id=None, municipality_code=None, status=None) -> list[Invoice]:
        query = select(Invoice)
        if session_id is not None:
            query = query.where(Invoice.session_id == session_id)
        if municipality_code is not None:
            query = query.where(Invoice.municipality_code == municipality_code)
        if status is not None:
            query = query.where(Invoice.status == status)
        column = Invoice.number if sort.name.lstrip("-") == "number" else Invoice.issued_at
        return Lists(self).rows(query, column, Invoice.id, sort, after, limit)

    def report_facts(self, *, starts_from: datetime | None, starts_to: datetime | None,
                     municipality_code: str | None) -> list[InvoiceFacts]:
        """The invoices of the sessions starting in the period (a municipality's own, if given)."""
        query = (select(Invoice.municipality_code, TrainingSession.starts_at, Course.themes, Invoice.status,
                        Invoice.amount_cents, Invoice.paid_amount_cents)
                 .join(TrainingSession, TrainingSession.id == Invoice.session_id)
                 .join(Course, Course.id == TrainingSession.course_id))
        if starts_from is not None:
            query = query.where(TrainingSession.starts_at >= starts_from)
        if starts_to is not None:
            query = query.where(TrainingSession.starts_at < starts_to)
        if municipality_code is not None:
            query = query.where(Invoice.municipality_code == municipality_code)
        return [InvoiceFacts(code, starts_at, tuple(themes or ()), status, amount, paid)
                for code, starts_at, themes, status, amount, paid in self.session.execute(query)]

    # ------------------------------------------------------------------ erasure
    def replace_author(self, email_key: str, replacement: str) -> int:
        """Invoices the person issued, marked paid or waived (as a staff token's subject) lose the
        author: the number of fields replaced."""
        replaced = 0
        for column in (Invoice.issued_by, Invoice.paid_by, Invoice.waived_by):
            replaced += self.session.execute(
                update(Invoice).where(func.lower(column) == email_key).values({column.key: replacement})).rowcount
        return replaced
