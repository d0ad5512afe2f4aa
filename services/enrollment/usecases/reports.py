"""The figures: the training hours ledger (for municipalities' HR) and the summary report (for
funders), as JSON or CSV."""

from __future__ import annotations

from werkzeug.wrappers import Response

from services.enrollment.domain.figures import (
    ParticipationFacts,
    ReportLine,
    SessionFacts,
    hours_ledger,
    local_day_start,
    local_year_bounds,
    restrict,
    summary_report,
)
from services.enrollment.domain.invoices import Amounts
from services.enrollment.domain.rules import SessionStatus, normalise_email
from services.enrollment.usecases import invoices
from services.enrollment.learning_repository import LearningRepository
from services.enrollment.usecases.learning import completion_facts
from services.enrollment.models import Course, TrainingSession
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import HoursLineOut, HoursQuery, ReportOut, ReportQuery
from services.enrollment.views import csv_response
from shared.persistence.unit_of_work import UnitOfWork

HOURS_COLUMNS = ["name", "email", "municipality_code", "position", "year", "theme", "hours", "sessions",
                 "certificates"]


def training_hours(uow: UnitOfWork, query: HoursQuery, tenant: str | None) -> list[HoursLineOut] | Response:
    """Hours per person, year and primary theme (`tenant`: a municipality's own staff)."""
    municipality = tenant
    starts_from, starts_to = local_year_bounds(query.year) if query.year else (None, None)
    rows = EnrollmentRepository.of(uow).participation(
        starts_from=starts_from, starts_to=starts_to, municipality_code=municipality,
        email_key=normalise_email(query.email) if query.email else None)
    sessions, facts = facts_of(rows)
    # Courses completed in external learning systems count in the ledger too (usecases/learning.py).
    _add_learning(uow, sessions, facts, starts_from, starts_to, municipality,
                  normalise_email(query.email) if query.email else None)
    lines = [HoursLineOut(name=l.name, email=l.email, municipality_code=l.municipality_code, position=l.position,
                          year=l.year, theme=l.theme, hours=l.hours, sessions=l.sessions,
                          certificates=l.certificates) for l in hours_ledger(sessions, facts)]
    if query.format == "csv":
        suffix = "-".join(str(p) for p in (municipality, query.year) if p) or "all"
        return csv_response(f"training-hours-{suffix}.csv", HOURS_COLUMNS,
                            [[getattr(l, h) for h in HOURS_COLUMNS] for l in lines])
    return lines


def summary(uow: UnitOfWork, query: ReportQuery, tenant: str | None) -> ReportOut | Response:
    """Sessions held, participants trained, attendances, no-shows, hours, certificates and fees per
    group, for a period (`tenant`: a municipality's own figures)."""
    municipality = tenant
    repo = EnrollmentRepository.of(uow)
    starts_from = local_day_start(query.from_) if query.from_ else None
    starts_to = local_day_start(query.to) if query.to else None
    held = repo.sessions_with_courses(starts_from=starts_from, starts_to=starts_to,
                                      statuses=[SessionStatus.COMPLETED.value])
    rows = repo.participation(starts_from=starts_from, starts_to=starts_to, municipality_code=municipality)
    sessions, facts = facts_of(rows)
    for session, course in held:
        sessions.setdefault(session.id, session_facts(session, course))
    _add_learning(uow, sessions, facts, starts_from, starts_to, municipality, None)
    sessions, facts = restrict(sessions, facts, theme=query.theme, region=query.region,
                               by_participants=bool(municipality or query.region))
    lines, total = summary_report(query.group_by, sessions, facts)
    line_dicts, total_dict = _with_invoices(uow, query, [l.as_dict() for l in lines], total.as_dict(),
                                            starts_from, starts_to, municipality)
    report = ReportOut(group_by=query.group_by, period_from=query.from_, period_to=query.to,
                       lines=line_dicts, total=total_dict)
    if query.format == "csv":
        header = list(total_dict)
        body = [[line[h] for h in header] for line in line_dicts + [total_dict]]
        return csv_response(f"report-by-{query.group_by}.csv", [query.group_by] + header[1:], body)
    return report


def _with_invoices(uow: UnitOfWork, query: ReportQuery, lines: list[dict], total: dict, starts_from, starts_to,
                   municipality) -> tuple[list[dict], dict]:
    """The fees invoiced for the same sessions and groups (usecases/invoices.py): invoices, invoiced,
    paid, waived and outstanding EUR on every line and in the total; a group with invoices and no
    other figure yet (a session still ahead) gets its line."""
    amounts, amount_total = invoices.report_amounts(
        uow, query.group_by, starts_from=starts_from, starts_to=starts_to, municipality_code=municipality,
        region=query.region, theme=query.theme)
    by_group = {line["group"]: line for line in lines}
    for group in amounts:
        if group not in by_group:
            by_group[group] = ReportLine(group).finish().as_dict()
    empty = Amounts().as_eur()
    for group, line in by_group.items():
        line.update(amounts[group].as_eur() if group in amounts else empty)
    return sorted(by_group.values(), key=lambda l: l["group"]), {**total, **amount_total.as_eur()}


def facts_of(rows) -> tuple[dict, list[ParticipationFacts]]:
    """The domain's view of (session, course, enrolment, certificate) rows."""
    sessions: dict = {}
    facts = []
    for session, course, enrollment, certificate in rows:
        sessions.setdefault(session.id, session_facts(session, course))
        facts.append(ParticipationFacts(
            session_id=session.id, person_key=enrollment.email_key, name=enrollment.name, email=enrollment.email,
            municipality_code=enrollment.municipality_code, position=enrollment.position,
            attendance=enrollment.attendance, hours=enrollment.attended_hours or 0,
            certified=certificate is not None, fee_eur=session.fee_eur))
    return sessions, facts


def _add_learning(uow: UnitOfWork, sessions: dict, facts: list, completed_from, completed_to, municipality,
                  email_key) -> None:
    rows = LearningRepository.of(uow).completions(municipality_code=municipality, email_key=email_key,
                                                  completed_from=completed_from, completed_to=completed_to,
                                                  limit=None)
    more_sessions, more_facts = completion_facts(rows)
    sessions.update(more_sessions)
    facts.extend(more_facts)


def session_facts(session: TrainingSession, course: Course) -> SessionFacts:
    return SessionFacts(session.id, session.status, session.starts_at, tuple(course.themes), session.region)
