"""Consulting engagements (domain/engagements.py): a municipality, or a group led by one, asks the
centre for help beyond a grant application; the centre agrees the scope, assigns its consultant and
sets deliverables, logs consultations in the consultation log, and closes it with its outcome. Each
step publishes a grants.engagement_* event (notifications tells the consultant and the
municipality's contact); a timer reminds of deliverables coming due. Reports count engagements by
municipality, theme, consultant or status."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import date

from services.grants.domain import engagements as rules
from services.grants.domain.engagements import DeliverablePlan, DeliverableState, EngagementFacts, EngagementStatus
from services.grants.domain.workflow import check_consultation
from services.grants.engagement_repository import EngagementRepository
from services.grants.engagement_schemas import (
    AgreementIn,
    ClosureIn,
    DeclineIn,
    DeliverableIn,
    DeliverableOut,
    DeliveryIn,
    EngagementIn,
    EngagementOut,
    EngagementQuery,
    EngagementReportOut,
    EngagementReportRowOut,
    EngagementSummaryOut,
)
from services.grants.models import Consultation, Deliverable, Engagement, EngagementMunicipality
from services.grants.schemas import ConsultationIn, ConsultationOut, ContactIn, ContactOut
from services.grants.usecases import local_today
from shared.events.grants import (
    DeliverableData,
    EngagementAgreed,
    EngagementClosed,
    EngagementConsultantAssigned,
    EngagementDeclined,
    EngagementDeliverableDue,
    EngagementRequested,
)
from shared.events.types import Contact
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.spreadsheet import csv_writer

log = logging.getLogger(__name__)
CENTRE = "LSA mokymo ir konsultavimo centras"


def repository(uow: UnitOfWork) -> EngagementRepository:
    return EngagementRepository(uow.session)


# ---------------------------------------------------------------- views and event fields

def _contact(name, email, language, organisation=None) -> Contact | None:
    if not email:
        return None
    return Contact(name=name or email, email=email, language=language or "lt", organisation=organisation)


def _contact_out(name, email, language) -> ContactOut | None:
    return None if not email else ContactOut(name=name or email, email=email, language=language or "lt")


def _deliverable_data(item: Deliverable) -> DeliverableData:
    return DeliverableData(deliverable_id=item.id, title=item.title, due_on=item.due_on,
                           delivered_on=item.delivered_on)


def event_fields(engagement: Engagement, codes: list[str]) -> dict:
    """What every grants.engagement_* event carries (shared.events.grants.EngagementEvent)."""
    return dict(engagement_id=engagement.id, municipality_code=engagement.municipality_code,
                municipality_codes=codes, theme=engagement.theme, title=engagement.title, status=engagement.status,
                contact=_contact(engagement.contact_name, engagement.contact_email, engagement.contact_language),
                consultant=_contact(engagement.consultant_name, engagement.consultant_email,
                                    engagement.consultant_language, CENTRE))


def _summary_fields(engagement: Engagement, codes: list[str], items: list[Deliverable], today: date) -> dict:
    return dict(
        id=engagement.id, municipality_code=engagement.municipality_code, municipality_codes=codes,
        theme=engagement.theme, title=engagement.title, status=engagement.status,
        requested_on=engagement.requested_on, agreed_on=engagement.agreed_on, closed_on=engagement.closed_on,
        consultant=_contact_out(engagement.consultant_name, engagement.consultant_email,
                                engagement.consultant_language),
        deliverables_due=sum(1 for d in items if d.delivered_on is None),
        late_deliverables=sum(1 for d in items if rules.is_late(d.due_on, d.delivered_on, today)))


def view(repo: EngagementRepository, engagement: Engagement, today: date | None = None) -> EngagementOut:
    today = today or local_today()
    items = repo.deliverables(engagement.id)
    return EngagementOut(
        **_summary_fields(engagement, repo.municipalities(engagement.id), items, today),
        description=engagement.description,
        contact=_contact_out(engagement.contact_name, engagement.contact_email, engagement.contact_language),
        scope=engagement.scope, declined_on=engagement.declined_on, decline_reason=engagement.decline_reason,
        outcome=engagement.outcome, outcome_summary=engagement.outcome_summary,
        deliverables=[DeliverableOut(id=d.id, title=d.title, due_on=d.due_on, delivered_on=d.delivered_on,
                                     note=d.note, late=rules.is_late(d.due_on, d.delivered_on, today))
                      for d in items],
        consultations=[ConsultationOut.model_validate(c, from_attributes=True)
                       for c in repo.consultations(engagement.id)],
        created_at=engagement.created_at, updated_at=engagement.updated_at)


# ---------------------------------------------------------------- the requests and their course

def request_engagement(uow: UnitOfWork, body: EngagementIn, by: str) -> EngagementOut:
    repo = repository(uow)
    codes = rules.members(body.municipality_code, body.group_municipality_codes)
    now, today = utcnow(), local_today()
    contact = body.contact
    engagement = Engagement(
        id=uuid.uuid4(), municipality_code=body.municipality_code, theme=body.theme, title=body.title,
        description=body.description, status=EngagementStatus.REQUESTED.value, requested_on=today, requested_by=by,
        contact_name=contact.name if contact else None, contact_email=contact.email if contact else None,
        contact_language=contact.language if contact else None, created_at=now, updated_at=now)
    repo.add(engagement)
    repo.add(*[EngagementMunicipality(engagement_id=engagement.id, municipality_code=code, position=index)
               for index, code in enumerate(codes)])
    uow.emit(EngagementRequested(**event_fields(engagement, codes), description=engagement.description,
                                 requested_on=today), subject=str(engagement.id))
    uow.commit()
    log.info("engagement requested", extra={"engagement_id": str(engagement.id), "municipalities": len(codes),
                                            "theme": engagement.theme})
    return view(repo, engagement, today)


def get_engagement(uow: UnitOfWork, engagement_id: uuid.UUID) -> EngagementOut:
    repo = repository(uow)
    return view(repo, repo.engagement(engagement_id))


def list_engagements(uow: UnitOfWork, query: EngagementQuery, visible: str | None) -> list[EngagementSummaryOut]:
    """`visible`: the enforced municipality (a municipality token's own: the engagements serving it)."""
    repo, today = repository(uow), local_today()
    found = repo.engagements(municipality_code=visible, status=query.status, theme=query.theme,
                             limit=query.limit, offset=query.offset)
    ids = [e.id for e in found]
    codes, items = repo.municipalities_of(ids), repo.deliverables_of(ids)
    return [EngagementSummaryOut(**_summary_fields(e, codes[e.id], items[e.id], today)) for e in found]


def agree(uow: UnitOfWork, engagement_id: uuid.UUID, body: AgreementIn, by: str) -> EngagementOut:
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    agreed_on = body.agreed_on or today
    plans = [DeliverablePlan(d.title, d.due_on) for d in body.deliverables]
    rules.check_agreement(engagement.status, agreed_on, engagement.requested_on, plans)
    engagement.status = EngagementStatus.AGREED.value
    engagement.scope, engagement.agreed_on, engagement.agreed_by = body.scope, agreed_on, by
    engagement.consultant_name = body.consultant.name
    engagement.consultant_email = body.consultant.email
    engagement.consultant_language = body.consultant.language
    engagement.updated_at = utcnow()
    items = [Deliverable(id=uuid.uuid4(), engagement_id=engagement.id, position=index, title=plan.title,
                         due_on=plan.due_on) for index, plan in enumerate(plans)]
    repo.add(*items)
    uow.emit(EngagementAgreed(**event_fields(engagement, repo.municipalities(engagement.id)), scope=engagement.scope,
                              agreed_on=agreed_on, deliverables=[_deliverable_data(d) for d in items]),
             subject=str(engagement.id))
    uow.commit()
    return view(repo, engagement, today)


def assign_consultant(uow: UnitOfWork, engagement_id: uuid.UUID, body: ContactIn) -> EngagementOut:
    """Another consultant takes over; the new one and the municipality's contact are told."""
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    rules.check_reassignment(engagement.status, engagement.consultant_email, body.email)
    previous = _contact(engagement.consultant_name, engagement.consultant_email, engagement.consultant_language,
                        CENTRE)
    engagement.consultant_name, engagement.consultant_email = body.name, body.email
    engagement.consultant_language = body.language
    engagement.updated_at = utcnow()
    uow.emit(EngagementConsultantAssigned(**event_fields(engagement, repo.municipalities(engagement.id)),
                                          previous_consultant=previous), subject=str(engagement.id))
    uow.commit()
    return view(repo, engagement, today)


def decline(uow: UnitOfWork, engagement_id: uuid.UUID, body: DeclineIn, by: str) -> EngagementOut:
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    rules.check_decline(engagement.status)
    engagement.status = EngagementStatus.DECLINED.value
    engagement.declined_on, engagement.decline_reason, engagement.closed_by = today, body.reason, by
    engagement.updated_at = utcnow()
    uow.emit(EngagementDeclined(**event_fields(engagement, repo.municipalities(engagement.id)), reason=body.reason,
                                declined_on=today), subject=str(engagement.id))
    uow.commit()
    return view(repo, engagement, today)


def add_deliverable(uow: UnitOfWork, engagement_id: uuid.UUID, body: DeliverableIn) -> EngagementOut:
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    existing = repo.deliverables(engagement.id)
    rules.check_new_deliverable(engagement.status, DeliverablePlan(body.title, body.due_on), engagement.agreed_on,
                                len(existing))
    repo.add(Deliverable(id=uuid.uuid4(), engagement_id=engagement.id,
                         position=max((d.position for d in existing), default=-1) + 1,
                         title=body.title, due_on=body.due_on))
    engagement.updated_at = utcnow()
    uow.commit()
    return view(repo, engagement, today)


def deliver(uow: UnitOfWork, engagement_id: uuid.UUID, deliverable_id: uuid.UUID, body: DeliveryIn,
            by: str) -> EngagementOut:
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    item = repo.deliverable(engagement.id, deliverable_id)
    delivered_on = body.delivered_on or today
    rules.check_delivery(engagement.status, delivered_on, item.delivered_on, engagement.agreed_on, today)
    item.delivered_on, item.delivered_by, item.note = delivered_on, by, body.note
    engagement.updated_at = utcnow()
    uow.commit()
    return view(repo, engagement, today)


def log_consultation(uow: UnitOfWork, engagement_id: uuid.UUID, body: ConsultationIn, by: str) -> EngagementOut:
    """An entry of the consultation log against the engagement; the first one starts the work."""
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    status = rules.status_after_consultation(engagement.status, body.held_on, engagement.agreed_on)
    check_consultation(body.held_on, body.follow_up_on, today)
    engagement.status = status
    now = utcnow()
    repo.add(Consultation(id=uuid.uuid4(), engagement_id=engagement.id, recorded_by=by, recorded_at=now,
                          **body.model_dump()))
    engagement.updated_at = now
    uow.commit()
    return view(repo, engagement, today)


def close(uow: UnitOfWork, engagement_id: uuid.UUID, body: ClosureIn, by: str) -> EngagementOut:
    repo, today = repository(uow), local_today()
    engagement = repo.engagement(engagement_id, lock=True)
    items = repo.deliverables(engagement.id)
    closed_on = body.closed_on or today
    rules.check_closure(engagement.status, body.outcome, closed_on, engagement.agreed_on, today,
                        [DeliverableState(d.title, d.due_on, d.delivered_on) for d in items])
    engagement.status = EngagementStatus.CLOSED.value
    engagement.closed_on, engagement.closed_by = closed_on, by
    engagement.outcome, engagement.outcome_summary = body.outcome, body.outcome_summary
    engagement.updated_at = utcnow()
    uow.emit(EngagementClosed(
        **event_fields(engagement, repo.municipalities(engagement.id)), outcome=body.outcome,
        outcome_summary=body.outcome_summary, closed_on=closed_on, deliverables=[_deliverable_data(d) for d in items],
        late_deliverables=sum(1 for d in items if rules.is_late(d.due_on, d.delivered_on, closed_on))),
        subject=str(engagement.id))
    uow.commit()
    log.info("engagement closed", extra={"engagement_id": str(engagement.id), "outcome": body.outcome})
    return view(repo, engagement, today)


# ---------------------------------------------------------------- the reminder timer

def remind_deliverables(uow: UnitOfWork, today: date | None = None) -> int:
    """grants.engagement_deliverable_due for deliverables not delivered, 7 and 1 days before they
    are due (each once, whatever the replicas); commits; returns how many."""
    today = today or local_today()
    repo = repository(uow)
    sent = 0
    working = tuple(s.value for s in rules.WORKING)
    for item, engagement in repo.open_deliverables(working):
        threshold = rules.reminder_due(item.due_on, today, repo.sent_reminders(item.id, item.due_on))
        if threshold is None or not repo.claim_reminder(item.id, item.due_on, threshold):
            continue
        uow.emit(EngagementDeliverableDue(
            **event_fields(engagement, repo.municipalities(engagement.id)), deliverable=_deliverable_data(item),
            days_left=(item.due_on - today).days, reminder_days=threshold), subject=str(engagement.id))
        sent += 1
    uow.commit()
    if sent:
        log.info("deliverable reminders emitted", extra={"count": sent})
    return sent


# ---------------------------------------------------------------- reports

def _report(uow: UnitOfWork, group_by: str, visible: str | None):
    repo, today = repository(uow), local_today()
    found = repo.engagements(municipality_code=visible)
    ids = [e.id for e in found]
    codes, items = repo.municipalities_of(ids), repo.deliverables_of(ids)
    facts = [EngagementFacts(tuple(codes[e.id]), e.theme, e.consultant_name, e.status,
                             tuple(DeliverableState(d.title, d.due_on, d.delivered_on) for d in items[e.id]))
             for e in found]
    return rules.report(facts, group_by, today, visible)


def _row_out(row: rules.ReportRow) -> EngagementReportRowOut:
    return EngagementReportRowOut(group=row.group, engagements=row.engagements, by_status=row.by_status,
                                  open=row.open, deliverables=row.deliverables, late_deliverables=row.late_deliverables)


def engagements_report(uow: UnitOfWork, group_by: str, visible: str | None) -> EngagementReportOut:
    """`visible`: the enforced municipality (a municipality token's own) or None for every one."""
    rows, totals = _report(uow, group_by, visible)
    return EngagementReportOut(group_by=group_by, municipality_code=visible, rows=[_row_out(r) for r in rows],
                               totals=_row_out(totals))


def engagements_report_csv(uow: UnitOfWork, group_by: str, visible: str | None) -> str:
    """The same report as CSV: one row per group, then the totals."""
    rows, totals = _report(uow, group_by, visible)
    out = io.StringIO()
    writer = csv_writer(out)  # formula-like cells (a consultant's name) neutralised
    writer.writerow([group_by, "engagements", *rules.STATUSES, "open", "deliverables", "late_deliverables"])
    for row in rows + [totals]:
        writer.writerow([row.group, row.engagements, *(row.by_status[s] for s in rules.STATUSES), row.open,
                         row.deliverables, row.late_deliverables])
    return out.getvalue()


# ---------------------------------------------------------------- the right to be forgotten

def erase_contacts(uow: UnitOfWork, email: str) -> tuple[set[str], dict[str, int]]:
    """The engagements' contact and consultant with this (normalised) e-mail go; returns the names
    and e-mails the person is known by here (to scrub from texts) and the counts."""
    from services.grants.domain.erasure import is_same_email

    identities: set[str] = set()
    counts = {"engagement_contacts": 0, "engagement_consultants": 0}
    for engagement in repository(uow).mentioning(email):
        if is_same_email(engagement.contact_email, email):
            identities |= {engagement.contact_email, engagement.contact_name}
            engagement.contact_name = engagement.contact_email = engagement.contact_language = None
            counts["engagement_contacts"] += 1
        if is_same_email(engagement.consultant_email, email):
            identities |= {engagement.consultant_email, engagement.consultant_name}
            engagement.consultant_name = engagement.consultant_email = engagement.consultant_language = None
            counts["engagement_consultants"] += 1
    return {i for i in identities if i}, counts


def erase_mentions(uow: UnitOfWork, spellings: set[str], pseudonym: str) -> dict[str, int]:
    """The person as the author of engagement steps (requested, agreed, closed or declined by,
    delivered by) becomes the pseudonym; their name and address leave the engagements' free text
    (description, scope, decline reason, outcome, deliverable notes) as whole tokens."""
    from sqlalchemy import func, or_, update

    from shared.erasure import scrub

    authors = 0
    for model, column in ((Engagement, Engagement.requested_by), (Engagement, Engagement.agreed_by),
                          (Engagement, Engagement.closed_by), (Deliverable, Deliverable.delivered_by)):
        result = uow.session.execute(update(model).where(or_(column.in_(spellings), func.lower(column).in_(spellings)))
                                     .values({column.key: pseudonym}))
        authors += result.rowcount
    needles = sorted(n for n in spellings if n and n.strip())
    texts = 0
    if needles:
        for engagement in uow.session.query(Engagement):
            changed = False
            for field in ("description", "scope", "decline_reason", "outcome_summary"):
                value, hit = scrub(getattr(engagement, field), needles)
                if hit:
                    setattr(engagement, field, value)
                    changed = True
            texts += changed
        for item in uow.session.query(Deliverable).filter(Deliverable.note.is_not(None)):
            item.note, hit = scrub(item.note, needles)
            texts += hit
    return {"engagement_authors": authors, "engagement_texts": texts}
