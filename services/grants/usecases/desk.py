"""The consultants' desk (domain/desk.py): the application list with pages, sorts and filters, the
workload view of every consultant and a consultant's own desk, telling a consultant they were
assigned, and reminding them of a consultation's follow-up on its day."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from services.grants.desk_gauges import APPLICATION_LISTS, CONSULTANT_NOTICES
from services.grants.desk_repository import DeskRepository
from services.grants.desk_schemas import (
    ApplicationFilters,
    ApplicationListItemOut,
    ApplicationListQuery,
    DeskCountsOut,
    DeskOut,
    DeskQuery,
    NextDeadlineOut,
    WorkloadOut,
    WorkloadQuery,
)
from services.grants.domain import desk as rules
from services.grants.domain.workflow import Status
from services.grants.models import Application, FundingCall
from services.grants.usecases import local_today, repository
from services.grants.views import application_event_fields, application_summary_out, applications_csv
from shared.events.grants import ConsultantAssigned, ConsultationFollowUpDue
from shared.events.types import Contact, LocalizedText
from shared.paging import after_in_memory, decode_cursor, listing, page_of, sorts
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SORTS = sorts("deadline:text", "-deadline:text", "created:time", "-created:time", "status:int", "-status:int",
              "municipality:text", "-municipality:text")
STATUS_ORDER = [s.value for s in Status]
OPEN = tuple(s.value for s in rules.OPEN)
FOLLOW_UP = "follow_up"  # sent_reminders.deadline_kind of a follow-up reminder (days_before 0)


def application_url(public_url: str, application_id: uuid.UUID) -> str:
    return f"{public_url.rstrip('/')}/grants/applications/{application_id}"


@dataclass(frozen=True)
class _Key:
    """What the next-deadline rule and the sorts need of an application (a row of plain columns)."""

    id: uuid.UUID
    status: str
    stage: str | None
    internal_deadline: date | None
    first_stage_closes_on: date | None
    closes_on: date


class _Listed:
    """An application's key (desk_repository.application_keys) and its next deadline, as the list and
    the desk sort them."""

    __slots__ = ("key", "due")

    def __init__(self, key, due: rules.Due | None):
        self.key, self.due = key, due

    @property
    def id(self) -> uuid.UUID:
        return self.key.id

    def sort_value(self, name: str):
        name = name.lstrip("-")
        if name == "deadline":
            return rules.deadline_sort_value(self.due)
        if name == "created":
            return self.key.created_at
        if name == "status":
            return STATUS_ORDER.index(self.key.status)
        return self.key.municipality_code


def _with_deadlines(desk: DeskRepository, keys: list, today: date) -> list[_Listed]:
    ids = [k.id for k in keys]
    reports, marks = desk.open_reports(ids), desk.consultation_marks(ids)
    listed = []
    for key in keys:
        last = rules.latest(marks.get(key.id, ()))
        facts = rules.ApplicationDates(
            status=key.status, stage=key.stage, internal=key.internal_deadline, first_stage=key.first_stage_closes_on,
            official=key.closes_on, reports=reports.get(key.id, ()), follow_up=last.follow_up_on if last else None)
        listed.append(_Listed(key, rules.next_deadline(facts, today)))
    return listed


def _matching(uow: UnitOfWork, filters: ApplicationFilters, tenant: str | None, today: date) -> list[_Listed]:
    """The applications the filters select, with their next deadlines, unsorted. `tenant`: the
    enforced municipality (a municipality token's own) or the centre's filter (None: every one)."""
    desk = DeskRepository(uow.session)
    keys = desk.application_keys(municipality_code=tenant, statuses=filters.status, call_id=filters.call_id,
                                 funder=filters.funder, programme_id=filters.programme_id,
                                 consultant=filters.consultant, with_themes=bool(filters.theme))
    if filters.theme:  # themes is a JSON list: filtered here, the same way on SQLite and PostgreSQL
        keys = [k for k in keys if filters.theme in k.themes]
    listed = _with_deadlines(desk, keys, today)
    return [item for item in listed if rules.in_range(item.due, filters.deadline_from, filters.deadline_to)]


def _next_out(due: rules.Due | None, today: date) -> NextDeadlineOut | None:
    return None if due is None else NextDeadlineOut(kind=due.kind, on=due.on, days_left=(due.on - today).days)


def _items_out(uow: UnitOfWork, items: list[_Listed], today: date) -> list[ApplicationListItemOut]:
    """The page's applications in full (read for these only)."""
    records = DeskRepository(uow.session).applications_by_id([i.id for i in items])
    return [ApplicationListItemOut(**dict(application_summary_out(*records[i.id], today)),
                                   next_deadline=_next_out(i.due, today)) for i in items]


def list_applications(uow: UnitOfWork, query: ApplicationListQuery, tenant: str | None):
    """A page of applications: (200, items, headers with X-Next-Cursor and Link when there is more).
    Sorted in the process (the next deadline is computed, not stored), keyset-paged like every
    list (shared/paging.py): a cursor continues strictly after the last item's sort key."""
    today = local_today()
    sort = SORTS[query.sort]
    after = decode_cursor(query.cursor, sort)
    listed = after_in_memory(_matching(uow, query, tenant, today), lambda i: (i.sort_value(sort.name), i.id),
                             sort, after)
    page = page_of(listed[:query.limit + 1], query.limit, sort, lambda i: (i.sort_value(sort.name), i.id))
    APPLICATION_LISTS.labels(query.sort).inc()
    return listing(page, _items_out(uow, page.items, today), "/grants/applications", query)


def export_applications(uow: UnitOfWork, filters: ApplicationFilters, tenant: str | None) -> str:
    """Every application the filters select, in the sort asked for, as CSV (no personal data)."""
    sort = SORTS[filters.sort]
    listed = after_in_memory(_matching(uow, filters, tenant, local_today()),
                             lambda i: (i.sort_value(sort.name), i.id), sort, None)
    records = DeskRepository(uow.session).applications_by_id([i.id for i in listed])
    APPLICATION_LISTS.labels(filters.sort).inc()
    return applications_csv([records[i.id] for i in listed])


# ---------------------------------------------------------------- the workload and a consultant's desk

def _desks(uow: UnitOfWork, *, consultant: str | None, municipality_code: str | None, assigned_only: bool,
           today: date) -> tuple[list[rules.Desk], dict[uuid.UUID, _Listed]]:
    desk = DeskRepository(uow.session)
    keys = desk.application_keys(municipality_code=municipality_code, statuses=OPEN, consultant=consultant,
                                 assigned_only=assigned_only)
    listed = {i.id: i for i in _with_deadlines(desk, keys, today)}
    items = [rules.DeskItem(id=i.id, consultant_email=i.key.consultant_email, consultant_name=i.key.consultant_name,
                            status=i.key.status, created_at=i.key.created_at, due=i.due) for i in listed.values()]
    return rules.workload(items, today), listed


def _desk_out(uow: UnitOfWork, found: rules.Desk, listed: dict[uuid.UUID, _Listed], limit: int,
              today: date) -> DeskOut:
    return DeskOut(
        consultant_email=found.consultant_email, consultant_name=found.consultant_name,
        counts=DeskCountsOut(open=found.open, by_status=dict(found.by_status), overdue=found.overdue,
                             due_soon=found.due_soon),
        applications=_items_out(uow, [listed[item.id] for item in found.items[:limit]], today))


def workload(uow: UnitOfWork, query: WorkloadQuery) -> WorkloadOut:
    """Every consultant's open applications by next deadline, with counts; then the unassigned ones."""
    today = local_today()
    desks, listed = _desks(uow, consultant=query.consultant, municipality_code=query.municipality_code,
                           assigned_only=bool(query.consultant) or not query.unassigned, today=today)
    return WorkloadOut(as_of=today, consultants=[_desk_out(uow, d, listed, query.per_consultant, today)
                                                   for d in desks])


def own_desk(uow: UnitOfWork, subject: str, query: DeskQuery) -> DeskOut:
    """The open applications of the consultant the token names (its subject, an e-mail)."""
    today = local_today()
    desks, listed = _desks(uow, consultant=subject, municipality_code=None, assigned_only=True, today=today)
    if not desks:
        return DeskOut(consultant_email=subject.lower(), consultant_name=None,
                       counts=DeskCountsOut(open=0, by_status={}, overdue=0, due_soon=0), applications=[])
    return _desk_out(uow, desks[0], listed, query.limit, today)


# ---------------------------------------------------------------- telling the consultant

def tell_assignment(uow: UnitOfWork, application: Application, call: FundingCall, previous: Contact | None,
                    public_url: str) -> None:
    """grants.consultant_assigned: the consultant now on the application (and the previous one,
    and the municipality's contact) are told, with its summary, next deadline and link."""
    today = local_today()
    key = _Key(application.id, application.status, application.stage, application.internal_deadline,
               call.first_stage_closes_on, call.closes_on)
    item, = _with_deadlines(DeskRepository(uow.session), [key], today)
    uow.emit(ConsultantAssigned(
        **application_event_fields(application, call), status=application.status,
        application_summary=LocalizedText(**application.summary) if application.summary else None,
        previous_consultant=previous, assigned_on=today, next_deadline=item.due.on if item.due else None,
        next_deadline_kind=item.due.kind if item.due else None,
        application_url=application_url(public_url, application.id)), subject=str(application.id))
    CONSULTANT_NOTICES.labels("assigned").inc()


def remind_follow_ups(uow: UnitOfWork, public_url: str, today: date | None = None) -> int:
    """grants.consultation_follow_up_due for open applications whose latest consultation's follow-up
    day has come (up to FOLLOW_UP_GRACE_DAYS late): once each (the sent_reminders primary key,
    whatever the replicas); superseded follow-ups and closed applications are not reminded; an
    application without a consultant waits for one. Commits; returns how many."""
    today = today or local_today()
    desk, repo = DeskRepository(uow.session), repository(uow)
    found = desk.follow_ups_between(today - timedelta(days=rules.FOLLOW_UP_GRACE_DAYS), today, OPEN)
    marks = desk.consultation_marks(list({a.id for _, a, _ in found}))
    sent = 0
    for consultation, application, call in found:
        last = rules.latest(marks[application.id])
        if last is None or last.id != consultation.id or not rules.follow_up_due(consultation.follow_up_on, today):
            continue  # superseded by a newer consultation
        if not application.consultant_email:
            continue
        if not repo.claim_reminder(application.id, FOLLOW_UP, consultation.follow_up_on, 0):
            continue
        uow.emit(ConsultationFollowUpDue(
            **application_event_fields(application, call), status=application.status,
            consultation_id=consultation.id, held_on=consultation.held_on, channel=consultation.channel,
            consultation_summary=consultation.summary, next_steps=consultation.next_steps,
            follow_up_on=consultation.follow_up_on, application_url=application_url(public_url, application.id)),
            subject=str(application.id))
        sent += 1
    uow.commit()
    CONSULTANT_NOTICES.labels("follow_up").inc(sent)
    if sent:
        log.info("follow-up reminders emitted", extra={"count": sent})
    return sent
