"""Training programmes of funded projects: a programme groups courses and sessions under a project
the grants service funded (its reference arrives with grants.funded_project_recorded; no table of
grants is read), sessions may be held abroad or be conferences, and the project's report gives
its funder events and participants, in Lithuania and abroad, per programme — past training as the
project reported it (programme history) plus the sessions held since."""

from __future__ import annotations

import logging
import uuid

from prometheus_client import Counter
from werkzeug.wrappers import Response

from services.enrollment.domain.programmes import HeldSessionFacts, HistoryFacts, project_report
from services.enrollment.models import FundedProjectRef, ProgrammeCourse, ProgrammeHistory, TrainingProgramme
from services.enrollment.programme_repository import ProgrammeRepository
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas_programmes import (
    FiguresOut,
    FundedProjectOut,
    HistoryIn,
    HistoryOut,
    ProgrammeCourseIn,
    ProgrammeIn,
    ProgrammeLineOut,
    ProgrammeOut,
    ProgrammeQuery,
    ProjectReportOut,
    ProjectReportQuery,
)
from services.enrollment.views import csv_response
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.enrollment import ProgrammeCreated
from shared.events.grants import FundedProjectRecorded
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PROJECT_REPORTS = Counter("savivalda_enrollment_project_reports_total",
                          "Training reports of funded projects produced, by format", ["format"])
REPORT_COLUMNS = ["programme", "title_lt", "title_en", "events", "participants", "events_in_lithuania",
                  "events_abroad", "participants_in_lithuania", "participants_abroad", "conferences",
                  "countries_abroad"]


# ---------------------------------------------------------------- the grants service's project references

def record_funded_project(uow: UnitOfWork, event: FundedProjectRecorded) -> None:
    """Keep enrollment's copy of a funded project's reference up to date (by grants' id, or by
    number for one seeded before grants announced it)."""
    repo = ProgrammeRepository.of(uow)
    project = repo.project(event.project_id) or repo.project_by_number(event.project_number)
    if project is None:
        project = FundedProjectRef(id=event.project_id)
        uow.session.add(project)
    project.project_number, project.programme_code, project.funder = (
        event.project_number, event.programme_code, event.funder)
    project.title, project.promoter, project.status, project.updated_at = (
        event.title, event.promoter, event.status, utcnow())
    uow.session.flush()


def list_funded_projects(uow: UnitOfWork) -> list[FundedProjectOut]:
    return [FundedProjectOut.model_validate(p, from_attributes=True) for p in ProgrammeRepository.of(uow).projects()]


# ---------------------------------------------------------------- programmes

def create_programme(uow: UnitOfWork, body: ProgrammeIn) -> ProgrammeOut:
    """Publishes enrollment.programme_created."""
    repo = ProgrammeRepository.of(uow)
    project = _project(repo, body.project_number)
    if repo.programme_by_code(project.id, body.code) is not None:
        raise Conflict(f"project {project.project_number} already has a programme {body.code}", field="code",
                       code="duplicate_programme")
    programme = TrainingProgramme(id=uuid.uuid4(), project_id=project.id, code=body.code,
                                  title=body.title.model_dump(), created_at=utcnow(),
                                  description=body.description.model_dump() if body.description else None)
    repo.add(programme)
    uow.emit(ProgrammeCreated(programme_id=programme.id, project_id=project.id, project_number=project.project_number,
                              code=programme.code, title=body.title), subject=str(programme.id))
    uow.commit()
    return _programme_out(repo, programme, project)


def list_programmes(uow: UnitOfWork, query: ProgrammeQuery) -> list[ProgrammeOut]:
    repo = ProgrammeRepository.of(uow)
    project = _project(repo, query.project_number) if query.project_number else None
    return [_programme_out(repo, p, project or repo.project(p.project_id))
            for p in repo.programmes(project.id if project else None)]


def get_programme(uow: UnitOfWork, programme_id: uuid.UUID) -> ProgrammeOut:
    repo = ProgrammeRepository.of(uow)
    programme = _programme(repo, programme_id)
    return _programme_out(repo, programme, repo.project(programme.project_id))


def add_course(uow: UnitOfWork, programme_id: uuid.UUID, body: ProgrammeCourseIn) -> ProgrammeOut:
    repo = ProgrammeRepository.of(uow)
    programme = _programme(repo, programme_id)
    EnrollmentRepository.of(uow).course(body.course_id)  # 404 for an unknown course
    place_course(uow, programme.id, body.course_id)
    uow.commit()
    return _programme_out(repo, programme, repo.project(programme.project_id))


def place_course(uow: UnitOfWork, programme_id: uuid.UUID, course_id: uuid.UUID) -> None:
    """The course belongs to the programme (once); a session scheduled in a programme calls this."""
    repo = ProgrammeRepository.of(uow)
    if repo.programme(programme_id) is None:
        raise RuleViolation(f"no training programme {programme_id} (GET /enrollment/programmes)", field="programme_id")
    if not repo.has_course(programme_id, course_id):
        repo.add(ProgrammeCourse(programme_id=programme_id, course_id=course_id))


def record_history(uow: UnitOfWork, programme_id: uuid.UUID, body: HistoryIn) -> HistoryOut:
    """Training the programme held before (or outside) this system, as the project reported it."""
    repo = ProgrammeRepository.of(uow)
    programme = _programme(repo, programme_id)
    row = ProgrammeHistory(id=uuid.uuid4(), programme_id=programme.id, created_at=utcnow(),
                           **body.model_dump(mode="json"))
    repo.add(row)
    uow.commit()
    return HistoryOut.model_validate(row, from_attributes=True)


# ---------------------------------------------------------------- the report to the funder

def project_training_report(uow: UnitOfWork, project_number: str, query: ProjectReportQuery
                            ) -> ProjectReportOut | Response:
    repo = ProgrammeRepository.of(uow)
    project = repo.project_by_number(project_number)
    if project is None:
        raise NotFound("funded project", project_number)
    programmes = repo.programmes(project.id)
    ids = [p.id for p in programmes]
    history = [HistoryFacts(h.programme_id, h.kind, h.events_in_lithuania, h.events_abroad, tuple(h.abroad_countries),
                            h.participants, h.participants_abroad) for h in repo.history(ids)]
    held = [HeldSessionFacts(s.programme_id, s.kind, s.country, int(n)) for s, n in repo.held_sessions(ids)]
    lines, total = project_report([(p.id, p.code) for p in programmes], history, held)
    titles = {p.id: LocalizedText(**p.title) for p in programmes}
    report = ProjectReportOut(
        project_id=project.id, project_number=project.project_number, title=project.title, promoter=project.promoter,
        funder=project.funder, total=FiguresOut(**total.as_dict()),
        programmes=[ProgrammeLineOut(programme_id=l.programme_id, code=l.code, title=titles[l.programme_id],
                                     **l.as_dict()) for l in lines])
    PROJECT_REPORTS.labels(query.format).inc()
    if query.format == "csv":
        rows = [[l.code, l.title.lt, l.title.en or "", *_figures_row(l)] for l in report.programmes]
        rows.append(["total", "", "", *_figures_row(report.total)])
        return csv_response(f"training-{project.project_number}.csv", REPORT_COLUMNS, rows)
    return report


def _figures_row(f: FiguresOut) -> list:
    return [f.events, f.participants, f.events_in_lithuania, f.events_abroad,
            "" if f.participants_in_lithuania is None else f.participants_in_lithuania,
            "" if f.participants_abroad is None else f.participants_abroad, f.conferences,
            " ".join(f.countries_abroad)]


# ---------------------------------------------------------------- helpers

def _project(repo: ProgrammeRepository, project_number: str) -> FundedProjectRef:
    project = repo.project_by_number(project_number)
    if project is None:
        raise RuleViolation(f"no funded project {project_number} is known here; the grants service announces "
                            f"projects (grants.funded_project_recorded) when they are recorded",
                            field="project_number")
    return project


def _programme(repo: ProgrammeRepository, programme_id: uuid.UUID) -> TrainingProgramme:
    programme = repo.programme(programme_id)
    if programme is None:
        raise NotFound("programme", programme_id)
    return programme


def _programme_out(repo: ProgrammeRepository, programme: TrainingProgramme, project: FundedProjectRef) -> ProgrammeOut:
    return ProgrammeOut(
        id=programme.id, project_id=project.id, project_number=project.project_number, code=programme.code,
        title=LocalizedText(**programme.title),
        description=LocalizedText(**programme.description) if programme.description else None,
        course_ids=repo.course_ids(programme.id), session_ids=repo.session_ids(programme.id),
        history=[HistoryOut.model_validate(h, from_attributes=True) for h in repo.history([programme.id])],
        created_at=programme.created_at)
