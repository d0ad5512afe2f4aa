"""Fees invoiced to municipalities (issue 18 item 7). The rules are domain/invoices.py, the queries
invoice_repository.py, the PDF invoices_pdf.py.

- `issue`: staff issue a session's invoices, one per municipality with confirmed participants
  (the session row locked, so two staff issuing at once give one invoice each municipality; the
  number from the year's counter row, locked until commit, so numbers are never given twice and
  have no gaps).
- Recalculation: whenever seating (usecases/seating.py) confirms a seat or gives one up, it marks
  the municipality's invoice of that session; just before the unit of work commits, each marked
  invoice still `issued` is compared with the confirmed participants and, before the session's
  cut-off, gets a new version if they differ (one per transaction, however many seats changed:
  a batch of 50 enrolments is one new version). From the cut-off on it stands. A session the centre
  cancels is recalculated (to nothing) whatever the cut-off: nobody pays for a session not held.
- `pay` and `waive`: issued -> paid or waived, with who, when and why; both final.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import uuid
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy import event as orm_event
from werkzeug.wrappers import Response

from services.enrollment.domain.invoices import (
    CURRENCY,
    VILNIUS,
    InvoiceStatus,
    Lines,
    VersionReason,
    amounts_by_group,
    check_issuable,
    check_paid_on,
    check_payable,
    check_waivable,
    cutoff_of,
    due_on,
    eur,
    invoice_number,
    lines_of,
    local_year,
    revision,
)
from services.enrollment.domain.paging import decode_cursor, page_of, sorts
from services.enrollment.domain.rules import SessionStatus
from services.enrollment.invoice_repository import InvoiceRepository
from services.enrollment.models import Course, Invoice, InvoiceVersion, TrainingSession
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas_invoices import (
    InvoiceDetailOut,
    InvoiceDocumentQuery,
    InvoiceLineOut,
    InvoiceOut,
    InvoiceQuery,
    InvoiceVersionOut,
    IssueInvoicesIn,
    PayInvoiceIn,
    WaiveInvoiceIn,
)
from shared.errors import NotFound
from shared.events.enrollment import InvoiceIssued, InvoicePaid, InvoiceRevised, InvoiceWaived
from shared.events.types import LocalizedText
from shared.paging import listing
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES
from shared.spreadsheet import csv_writer

log = logging.getLogger(__name__)

INVOICES = Counter("savivalda_enrollment_invoices_total",
                   "Invoice events: issued, revised (recalculated before the cut-off), paid, waived", ["event"])
INVOICE_DOCUMENTS = Counter("savivalda_enrollment_invoice_documents_total",
                            "Invoice documents produced, by format (pdf, csv)", ["format"])

INVOICE_SORTS = sorts("-issued_at:time", "issued_at:time", "number:text", "-number:text")


# ---------------------------------------------------------------- links
def invoice_code(secret: str, invoice_id) -> str:
    """The code in an invoice's signed PDF link (HMAC of its id; nothing stored, not guessable)."""
    digest = hmac.new(secret.encode(), f"invoice:{invoice_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:24]


def signed_pdf_url(links: Links, invoice_id) -> str:
    return f"{links.base}/invoices/{invoice_id}/{invoice_code(links.secret, invoice_id)}/invoice.pdf"


# ---------------------------------------------------------------- issuing
def issue(uow: UnitOfWork, links: Links, session_id, body: IssueInvoicesIn, principal) -> tuple[int, list[InvoiceOut]]:
    """Issue the missing invoices of a session (one per municipality with confirmed participants);
    answers 201 if one was issued (else 200) with all the session's invoices."""
    repo, invoices = EnrollmentRepository.of(uow), InvoiceRepository.of(uow)
    session = repo.training_session(session_id, lock=True)
    course = repo.course(session.course_id)
    check_issuable(session.fee_eur, session.status)
    now = utcnow()
    existing = {i.municipality_code for i in invoices.of_session(session.id)}
    confirmed = invoices.confirmed_by_municipality(session.id)
    if body.municipality_code is not None:
        confirmed = {c: ids for c, ids in confirmed.items() if c == body.municipality_code}
    issued = []
    for code in sorted(set(confirmed) - existing):
        lines = lines_of(confirmed[code], session.fee_eur)
        year = local_year(now)
        invoice = Invoice(
            id=uuid.uuid4(), number=invoice_number(year, invoices.next_number(year)),
            session_id=session.id, municipality_code=code, currency=CURRENCY, version=1,
            unit_price_cents=lines.unit_price_cents, participants=lines.participants, amount_cents=lines.amount_cents,
            status=InvoiceStatus.ISSUED.value, issued_at=now, issued_by=principal.subject,
            due_on=due_on(now, body.due_days), updated_at=now)
        invoices.add(invoice)
        invoices.add(_version(invoice, lines, VersionReason.ISSUED, now))
        uow.emit(InvoiceIssued(**event_fields(invoice, session, course, links)), subject=str(invoice.id))
        issued.append(invoice)
    uow.commit()
    for invoice in issued:
        INVOICES.labels("issued").inc()
        log.info("invoice issued", extra={"invoice": invoice.number, "session_id": str(session.id),
                                          "municipality_code": invoice.municipality_code,
                                          "amount_cents": invoice.amount_cents})
    return (201 if issued else 200), [invoice_out(i, session, course) for i in invoices.of_session(session.id)]


def _version(invoice: Invoice, lines: Lines, reason: VersionReason, now: datetime) -> InvoiceVersion:
    return InvoiceVersion(invoice_id=invoice.id, version=invoice.version, unit_price_cents=lines.unit_price_cents,
                          participants=lines.participants, amount_cents=lines.amount_cents, reason=reason.value,
                          enrollment_ids=[str(i) for i in lines.enrollment_ids], created_at=now)


# ---------------------------------------------------------------- recalculation (seating marks, commit applies)
_MARKED = "invoices.marked"


def mark(uow: UnitOfWork, links: Links, session_id, municipality_code: str) -> None:
    """A seat of `municipality_code` in the session was confirmed or given up in this unit of work:
    its issued invoice is looked at once, just before the commit."""
    info = uow.session.info
    if _MARKED not in info:
        info[_MARKED] = set()
        orm_event.listen(uow.session, "before_commit", lambda _s: _recalculate_marked(uow, links))
        orm_event.listen(uow.session, "after_rollback", lambda _s: info[_MARKED].clear())
    info[_MARKED].add((session_id, municipality_code))


def _recalculate_marked(uow: UnitOfWork, links: Links) -> None:
    marked = uow.session.info.get(_MARKED)
    if not marked:
        return
    pending = sorted(marked, key=lambda m: (str(m[0]), m[1]))
    marked.clear()
    for session_id, code in pending:
        recalculate(uow, links, session_id, code, utcnow())


def recalculate(uow: UnitOfWork, links: Links, session_id, municipality_code: str, now: datetime) -> Invoice | None:
    """A new version of the municipality's issued invoice when its confirmed participants changed
    before the cut-off (or the session was cancelled); None when there is none or it stands. The
    caller holds the session's row lock (seating does)."""
    invoices = InvoiceRepository.of(uow)
    invoice = invoices.of_session_and_municipality(session_id, municipality_code, lock=True)
    if invoice is None or invoice.status != InvoiceStatus.ISSUED.value:
        return None
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    cutoff = cutoff_of(session.starts_at, session.invoice_cutoff_at)
    if session.status == SessionStatus.CANCELLED.value:
        cutoff = datetime.max.replace(tzinfo=now.tzinfo)  # the centre cancelled it: followed whatever the cut-off
    latest = invoices.version(invoice.id, invoice.version)
    previous = Lines(tuple(latest.enrollment_ids), latest.unit_price_cents)
    current = lines_of(invoices.confirmed_of(session_id, municipality_code), session.fee_eur)
    new = revision(invoice.status, now, cutoff, previous, current)
    if new is None:
        return None
    invoice.version += 1
    invoice.participants, invoice.amount_cents = new.participants, new.amount_cents
    invoice.unit_price_cents = new.unit_price_cents
    invoice.updated_at = now
    invoices.add(_version(invoice, new, VersionReason.RECALCULATED, now))
    course = repo.course(session.course_id)
    uow.emit(InvoiceRevised(**event_fields(invoice, session, course, links), previous_participants=latest.participants,
                            previous_amount_eur=eur(latest.amount_cents)), subject=str(invoice.id))
    uow.after_commit(lambda: INVOICES.labels("revised").inc())
    log.info("invoice recalculated", extra={"invoice": invoice.number, "version": invoice.version,
                                            "amount_cents": invoice.amount_cents})
    return invoice


# ---------------------------------------------------------------- paid, waived
def pay(uow: UnitOfWork, links: Links, invoice_id, body: PayInvoiceIn, principal) -> InvoiceOut:
    """issued -> paid (final), with the day, the reference, who recorded it and the amount paid."""
    invoices = InvoiceRepository.of(uow)
    invoice = invoices.invoice(invoice_id, lock=True)
    check_payable(invoice.status, invoice.version, body.version)
    now = utcnow()
    check_paid_on(body.paid_on, invoice.issued_at, _today(now))
    invoice.status = InvoiceStatus.PAID.value
    invoice.paid_on, invoice.paid_at, invoice.paid_by = body.paid_on, now, principal.subject
    invoice.payment_reference, invoice.paid_amount_cents = body.reference, invoice.amount_cents
    invoice.updated_at = now
    session, course = _session_course(uow, invoice)
    uow.emit(InvoicePaid(**event_fields(invoice, session, course, links), paid_on=body.paid_on,
                         paid_amount_eur=eur(invoice.amount_cents), payment_reference=body.reference),
             subject=str(invoice.id))
    uow.commit()
    INVOICES.labels("paid").inc()
    log.info("invoice paid", extra={"invoice": invoice.number, "amount_cents": invoice.amount_cents})
    return invoice_out(invoice, session, course)


def waive(uow: UnitOfWork, links: Links, invoice_id, body: WaiveInvoiceIn, principal) -> InvoiceOut:
    """issued -> waived (final), with who, when and why."""
    invoices = InvoiceRepository.of(uow)
    invoice = invoices.invoice(invoice_id, lock=True)
    check_waivable(invoice.status)
    now = utcnow()
    invoice.status = InvoiceStatus.WAIVED.value
    invoice.waived_at, invoice.waived_by, invoice.waive_reason = now, principal.subject, body.reason
    invoice.updated_at = now
    session, course = _session_course(uow, invoice)
    uow.emit(InvoiceWaived(**event_fields(invoice, session, course, links), reason=body.reason),
             subject=str(invoice.id))
    uow.commit()
    INVOICES.labels("waived").inc()
    log.info("invoice waived", extra={"invoice": invoice.number})
    return invoice_out(invoice, session, course)


def _today(now: datetime):
    return now.astimezone(VILNIUS).date()


# ---------------------------------------------------------------- reading
def list_invoices(uow: UnitOfWork, query: InvoiceQuery, tenant: str | None):
    """Invoices, newest first (or by number), of a session, a municipality or a status; a
    municipality token gets its own (`tenant`)."""
    invoices = InvoiceRepository.of(uow)
    sort = INVOICE_SORTS[query.sort]
    rows = invoices.page(sort=sort, after=decode_cursor(query.cursor, sort), limit=query.limit,
                         session_id=query.session_id, municipality_code=tenant, status=query.status)
    page = page_of(rows, query.limit, sort,
                   lambda i: (i.number if sort.name.lstrip("-") == "number" else i.issued_at, i.id))
    cache: dict = {}
    items = []
    for invoice in page.items:
        if invoice.session_id not in cache:
            cache[invoice.session_id] = _session_course(uow, invoice)
        items.append(invoice_out(invoice, *cache[invoice.session_id]))
    return listing(page, items, "/enrollment/invoices", query)


def get_invoice(uow: UnitOfWork, invoice_id) -> InvoiceDetailOut:
    invoices = InvoiceRepository.of(uow)
    invoice = invoices.invoice(invoice_id)
    session, course = _session_course(uow, invoice)
    versions = invoices.versions(invoice.id)
    lines = _lines(invoices, versions[-1])
    return InvoiceDetailOut(**invoice_out(invoice, session, course).model_dump(), lines=lines,
                            versions=[InvoiceVersionOut(version=v.version, reason=v.reason, participants=v.participants,
                                                        unit_price_eur=eur(v.unit_price_cents),
                                                        amount_eur=eur(v.amount_cents), created_at=v.created_at)
                                      for v in versions])


def _lines(invoices: InvoiceRepository, version: InvoiceVersion) -> list[InvoiceLineOut]:
    people = invoices.enrollments(version.enrollment_ids)
    out = []
    for number, enrollment_id in enumerate(version.enrollment_ids, start=1):
        person = people.get(uuid.UUID(str(enrollment_id)))
        out.append(InvoiceLineOut(line=number, enrollment_id=enrollment_id, name=person.name if person else "",
                                  position=person.position if person else None,
                                  amount_eur=eur(version.unit_price_cents)))
    return out


def _session_course(uow: UnitOfWork, invoice: Invoice) -> tuple[TrainingSession, Course]:
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(invoice.session_id)
    return session, repo.course(session.course_id)


def invoice_out(invoice: Invoice, session: TrainingSession, course: Course) -> InvoiceOut:
    base = f"/enrollment/invoices/{invoice.id}"
    return InvoiceOut(
        id=invoice.id, number=invoice.number, session_id=invoice.session_id, course_title=title_of(course),
        starts_at=session.starts_at, municipality_code=invoice.municipality_code,
        municipality=MUNICIPALITIES[invoice.municipality_code].name_lt, currency=invoice.currency,
        version=invoice.version, participants=invoice.participants, unit_price_eur=eur(invoice.unit_price_cents),
        amount_eur=eur(invoice.amount_cents), status=invoice.status, issued_at=invoice.issued_at,
        issued_by=invoice.issued_by, due_on=invoice.due_on,
        invoice_cutoff_at=cutoff_of(session.starts_at, session.invoice_cutoff_at),
        paid_on=invoice.paid_on, paid_at=invoice.paid_at, paid_by=invoice.paid_by,
        payment_reference=invoice.payment_reference,
        paid_amount_eur=eur(invoice.paid_amount_cents) if invoice.paid_amount_cents is not None else None,
        waived_at=invoice.waived_at, waived_by=invoice.waived_by, waive_reason=invoice.waive_reason,
        pdf_url=f"{base}/invoice.pdf", csv_url=f"{base}/invoice.csv")


def event_fields(invoice: Invoice, session: TrainingSession, course: Course, links: Links) -> dict:
    """The fields of shared.events.enrollment.InvoiceEvent."""
    return dict(invoice_id=invoice.id, number=invoice.number, version=invoice.version, session_id=session.id,
                course_id=course.id, course_title=LocalizedText(**course.title), starts_at=session.starts_at,
                ends_at=session.ends_at, municipality_code=invoice.municipality_code,
                participants=invoice.participants, unit_price_eur=eur(invoice.unit_price_cents),
                amount_eur=eur(invoice.amount_cents), currency=invoice.currency, status=invoice.status,
                due_on=invoice.due_on, invoice_cutoff_at=cutoff_of(session.starts_at, session.invoice_cutoff_at),
                pdf_url=signed_pdf_url(links, invoice.id))


# ---------------------------------------------------------------- documents
CSV_COLUMNS = ("invoice_number", "version", "status", "issued_on", "due_on", "municipality_code", "municipality",
               "session_id", "course", "line", "name", "position", "amount_eur", "currency")


def invoice_csv(uow: UnitOfWork, invoice_id, query: InvoiceDocumentQuery) -> Response:
    """The invoice's lines (one per participant) and a total line, as CSV (UTF-8 with a BOM, formula-safe)."""
    invoices = InvoiceRepository.of(uow)
    invoice = invoices.invoice(invoice_id)
    session, course = _session_course(uow, invoice)
    version = invoices.version(invoice.id, query.version or invoice.version)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    head = (invoice.number, version.version, invoice.status, _today(invoice.issued_at).isoformat(),
            invoice.due_on.isoformat(), invoice.municipality_code, MUNICIPALITIES[invoice.municipality_code].name_lt,
            str(session.id), course.title["lt"])
    for line in _lines(invoices, version):
        writer.writerow((*head, line.line, line.name, line.position, line.amount_eur, invoice.currency))
    writer.writerow((*head, "total", "", "", eur(version.amount_cents), invoice.currency))
    INVOICE_DOCUMENTS.labels("csv").inc()
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{invoice.number}-v{version.version}.csv"',
                             "Cache-Control": "private, no-store"})


def invoice_pdf(uow: UnitOfWork, invoice_id, query: InvoiceDocumentQuery) -> Response:
    """The invoice as PDF (staff, or the municipality invoiced: the route's tenancy)."""
    return _pdf(uow, InvoiceRepository.of(uow).invoice(invoice_id), query.version)


def signed_invoice_pdf(uow: UnitOfWork, links: Links, invoice_id, code: str) -> Response:
    """The invoice as PDF through the signed link in its e-mail (a wrong code is 404, as an unknown id)."""
    if not hmac.compare_digest(invoice_code(links.secret, invoice_id), code):
        raise NotFound("invoice", invoice_id)
    return _pdf(uow, InvoiceRepository.of(uow).invoice(invoice_id), None)


def _pdf(uow: UnitOfWork, invoice: Invoice, version_number: int | None) -> Response:
    from services.enrollment.invoices_pdf import InvoiceFacts, invoice_pdf_bytes

    invoices = InvoiceRepository.of(uow)
    session, course = _session_course(uow, invoice)
    version = invoices.version(invoice.id, version_number or invoice.version)
    facts = InvoiceFacts(
        number=invoice.number, version=version.version, latest_version=invoice.version, status=invoice.status,
        issued_at=invoice.issued_at, due_on=invoice.due_on, municipality=MUNICIPALITIES[invoice.municipality_code].name_lt,
        municipality_code=invoice.municipality_code, course_title_lt=course.title["lt"],
        course_title_en=course.title.get("en") or course.title["lt"], starts_at=session.starts_at,
        ends_at=session.ends_at, lines=tuple((l.name, l.position, l.amount_eur) for l in _lines(invoices, version)),
        amount_eur=eur(version.amount_cents), currency=invoice.currency, paid_on=invoice.paid_on,
        payment_reference=invoice.payment_reference, waive_reason=invoice.waive_reason,
        version_created_at=version.created_at)
    content = invoice_pdf_bytes(facts)
    INVOICE_DOCUMENTS.labels("pdf").inc()
    log.info("invoice pdf", extra={"invoice": invoice.number, "version": version.version, "bytes": len(content)})
    return Response(content, content_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{invoice.number}-v{version.version}.pdf"',
                             "Cache-Control": "private, no-store"})


# ---------------------------------------------------------------- figures
def report_amounts(uow: UnitOfWork, group_by: str, *, starts_from, starts_to, municipality_code, region, theme):
    """Invoiced, paid, waived and outstanding amounts per report group and in total (the summary
    report's invoice columns); narrowed like the report (period of the sessions' start, municipality,
    its county, the course's theme)."""
    facts = InvoiceRepository.of(uow).report_facts(starts_from=starts_from, starts_to=starts_to,
                                                   municipality_code=municipality_code)
    if region is not None:
        facts = [f for f in facts if MUNICIPALITIES[f.municipality_code].region == region]
    if theme is not None:
        facts = [f for f in facts if theme in f.themes]
    return amounts_by_group(group_by, facts)
