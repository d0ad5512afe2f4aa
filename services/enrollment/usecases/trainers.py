"""Trainers: the register, each trainer's sessions and hours, the report by trainer, and what a
trainer is told (enrollment.trainer_session_notice: assigned, changed, unassigned, cancelled)."""

from __future__ import annotations

import uuid

from werkzeug.wrappers import Response

from services.enrollment.domain.figures import local_day_start
from services.enrollment.domain.paging import decode_cursor, page_of, search_term, sorts
from services.enrollment.domain.rules import normalise_email
from services.enrollment.domain.trainers import TaughtSession, trainer_figures
from services.enrollment.metrics import TRAINER_NOTICES
from services.enrollment.models import Course, Trainer, TrainingSession
from services.enrollment.notices import Links, title_of
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas import (
    TrainerDetailOut,
    TrainerIn,
    TrainerOut,
    TrainerQuery,
    TrainerReportLineOut,
    TrainerReportOut,
    TrainerReportQuery,
    TrainerSessionOut,
)
from services.enrollment.views import csv_response, listing
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.enrollment import SessionPlace, TrainerSessionNotice
from shared.events.types import Contact
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

TRAINER_SORTS = sorts("name:text", "-created_at:time")
SESSIONS_SHOWN = 200


def register(uow: UnitOfWork, body: TrainerIn) -> TrainerOut:
    """A trainer of the register; an e-mail already registered (any case) is 409 trainer_exists."""
    repo = EnrollmentRepository.of(uow)
    email_key = normalise_email(body.email)
    existing = repo.trainer_by_email(email_key)
    if existing is not None:
        raise Conflict(f"a trainer with this e-mail is registered: {existing.id}", code="trainer_exists")
    trainer = Trainer(id=uuid.uuid4(), name=body.name, email=body.email.strip(), email_key=email_key,
                      language=body.language, organisation=body.organisation, created_at=utcnow())
    repo.add(trainer)
    uow.commit()
    return trainer_out(trainer)


def list_trainers(uow: UnitOfWork, query: TrainerQuery) -> tuple[int, list[TrainerOut], dict]:
    repo = EnrollmentRepository.of(uow)
    sort = TRAINER_SORTS[query.sort]
    rows = Lists(repo).trainers(sort=sort, after=decode_cursor(query.cursor, sort), limit=query.limit,
                                term=search_term(query.q))
    page = page_of(rows, query.limit, sort, lambda t: (getattr(t, sort.name.lstrip("-")), t.id))
    figures = trainer_figures(_taught(repo, repo.taught_sessions(trainer_ids=[t.id for t in page.items])))
    return listing(page, [trainer_out(t, figures.get(t.id)) for t in page.items], "/enrollment/trainers", query)


def get_trainer(uow: UnitOfWork, trainer_id) -> TrainerDetailOut:
    """A trainer with their sessions (latest first) and hours taught."""
    repo = EnrollmentRepository.of(uow)
    trainer = repo.trainer(trainer_id)
    taught = repo.taught_sessions(trainer_ids=[trainer.id])
    figures = trainer_figures(_taught(repo, taught)).get(trainer.id)
    sessions = [TrainerSessionOut(session_id=s.id, course_title=title_of(c), starts_at=s.starts_at,
                                  ends_at=s.ends_at, status=s.status, hours=c.duration_hours)
                for s, c in taught[:SESSIONS_SHOWN]]
    return TrainerDetailOut(**trainer_out(trainer, figures).model_dump(), sessions=sessions)


def report(uow: UnitOfWork, query: TrainerReportQuery) -> TrainerReportOut | Response:
    """Per trainer, for sessions starting in the period: held, hours taught, participants,
    attendances, no-shows, cancelled (format=csv for a spreadsheet)."""
    repo = EnrollmentRepository.of(uow)
    taught = repo.taught_sessions(starts_from=local_day_start(query.from_) if query.from_ else None,
                                  starts_to=local_day_start(query.to) if query.to else None)
    figures = trainer_figures(_taught(repo, taught))
    trainers = repo.trainers_by_id(figures)
    lines = sorted((TrainerReportLineOut(
        trainer_id=tid, name=trainers[tid].name, sessions_held=f.sessions_held, hours_taught=f.hours_taught,
        participants=f.participants, attendances=f.attendances, no_shows=f.no_shows,
        sessions_cancelled=f.sessions_cancelled) for tid, f in figures.items()),
        key=lambda line: (-line.hours_taught, line.name))
    if query.format == "csv":
        return csv_response("trainers.csv", ["trainer", "sessions_held", "hours_taught", "participants",
                                             "attendances", "no_shows", "sessions_cancelled"],
                            [[line.name, line.sessions_held, line.hours_taught, line.participants, line.attendances,
                              line.no_shows, line.sessions_cancelled] for line in lines])
    return TrainerReportOut(period_from=query.from_, period_to=query.to, lines=lines)


def trainer_out(trainer: Trainer, figures=None) -> TrainerOut:
    return TrainerOut(id=trainer.id, name=trainer.name, email=trainer.email, language=trainer.language,
                      organisation=trainer.organisation, created_at=trainer.created_at,
                      sessions_upcoming=figures.sessions_upcoming if figures else 0,
                      sessions_held=figures.sessions_held if figures else 0,
                      hours_taught=figures.hours_taught if figures else 0)


def _taught(repo: EnrollmentRepository, rows: list[tuple[TrainingSession, Course]]) -> list[TaughtSession]:
    counts = repo.attendance_counts([s.id for s, _ in rows])
    return [TaughtSession(trainer_id=s.trainer_id, session_id=s.id, status=s.status, hours=c.duration_hours,
                          attended=counts[s.id]["attended"], no_shows=counts[s.id]["no_show"],
                          confirmed=counts[s.id]["confirmed"]) for s, c in rows]


# ---------------------------------------------------------------- naming a trainer on a session
def resolve(repo: EnrollmentRepository, trainer_id) -> Trainer | None:
    """The trainer a session names (422 naming trainer_id for one not in the register)."""
    if trainer_id is None:
        return None
    try:
        return repo.trainer(trainer_id)
    except NotFound:
        raise RuleViolation("no such trainer in the register (POST /enrollment/trainers)",
                            field="trainer_id") from None


def tell(uow: UnitOfWork, repo: EnrollmentRepository, links: Links, session: TrainingSession, course: Course,
         trainer: Trainer | None, notice: str, *, changed: list[str] | None = None,
         previous: SessionPlace | None = None, reason: str | None = None) -> None:
    """enrollment.trainer_session_notice to the trainer (notifications e-mails it in their language)."""
    if trainer is None or trainer.erased_at is not None:
        return
    counts = repo.attendance_counts([session.id])[session.id]
    uow.emit(TrainerSessionNotice(
        trainer_id=trainer.id, trainer=Contact(name=trainer.name, email=trainer.email, language=trainer.language,
                                               organisation=trainer.organisation),
        notice=notice, session_id=session.id, course_id=course.id, course_title=title_of(course),
        starts_at=session.starts_at, ends_at=session.ends_at, region=session.region, venue=session.venue,
        online_url=session.online_url, changed=changed or [], previous=previous, reason=reason,
        confirmed=counts["confirmed"], calendar_url=links.session_calendar(session.id),
        calendar_sequence=session.sequence or 0,
    ), subject=f"{session.id}:{trainer.id}")
    TRAINER_NOTICES.labels(notice=notice).inc()
