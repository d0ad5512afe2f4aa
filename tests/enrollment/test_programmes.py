"""Training programmes of funded projects (issue 20 item 3): the rules (domain/programmes.py) on
their own, the use cases on a migrated SQLite database (with the LT10 history migration 0007
seeds), and the HTTP API on the embedded system (problem+json, tenancy)."""

import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from services.enrollment.domain.programmes import HeldSessionFacts, HistoryFacts, check_place, project_report
from services.enrollment.models import TrainingSession
from services.enrollment.notices import Links
from services.enrollment.schemas import (
    AttendanceRecordIn,
    BulkAttendanceIn,
    CompleteSessionIn,
    CourseIn,
    EnrollmentIn,
    SessionIn,
)
from services.enrollment.schemas_programmes import HistoryIn, ProgrammeIn, ProgrammeQuery, ProjectReportQuery
from services.enrollment.usecases import attendance, catalogue, enrolment, programmes
from shared.auth import Principal
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.grants import FundedProjectRecorded
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.enrollment.helpers import assert_problem

LINKS = Links("https://mokymai.example.lt", "programme-test-secret-0123456789abcdefghij")
STAFF = Principal(subject="egle@lsa.lt", role="staff")
P1, P2 = uuid.uuid4(), uuid.uuid4()


# ---------------------------------------------------------------- the rules

def test_a_session_in_lithuania_needs_a_region_one_abroad_a_city_and_no_region():
    check_place("LT", "KU", None, True)
    check_place("NO", None, "Oslo", True)
    check_place("NO", None, None, False)  # online, organised from abroad
    for args, field in ((("LT", None, None, True), "region"), (("NO", "KU", "Oslo", True), "region"),
                        (("NO", None, None, True), "city")):
        with pytest.raises(RuleViolation) as refused:
            check_place(*args)
        assert refused.value.field == field


def test_history_and_held_sessions_add_up_per_programme_in_lithuania_and_abroad():
    history = [HistoryFacts(P1, "training", 6, 6, ("NO",), 301, None),
               HistoryFacts(P2, "training", 3, 3, ("NO",), 248, 120)]
    held = [HeldSessionFacts(P2, "conference", "IS", 40), HeldSessionFacts(P2, "training", "LT", 25)]
    lines, total = project_report([(P1, "social-clusters"), (P2, "capacities")], history, held)
    one, two = (l.as_dict() for l in lines)
    assert (one["events"], one["participants"], one["events_abroad"], one["participants_abroad"]) == (12, 301, 6, None)
    assert two == {"events": 8, "participants": 313, "events_in_lithuania": 4, "events_abroad": 4,
                   "participants_in_lithuania": 153, "participants_abroad": 160, "conferences": 1,
                   "countries_abroad": ["IS", "NO"]}
    assert (total.events, total.participants, total.participants_abroad) == (20, 614, None)  # P1 not split


def test_history_input_is_consistent():
    good = {"events_in_lithuania": 3, "events_abroad": 3, "abroad_countries": ["NO"], "participants": 248,
            "source": "final report"}
    assert HistoryIn.model_validate(good).participants_abroad is None
    for changes in ({"events_in_lithuania": 0, "events_abroad": 0, "abroad_countries": []},
                    {"abroad_countries": []}, {"abroad_countries": ["LT"]}, {"participants_abroad": 300},
                    {"events_in_lithuania": -1}, {"participants": 2_000_000}, {"abroad_countries": ["Norway"]},
                    {"kind": "party"}, {"source": ""}):
        with pytest.raises(ValidationError):
            HistoryIn.model_validate({**good, **changes})


# ---------------------------------------------------------------- the use cases

@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    from shared import migrations

    path = tmp_path_factory.mktemp("programmes-template") / "enrollment.sqlite"
    migrations.upgrade("enrollment", f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture
def work(migrated, tmp_path):
    path = tmp_path / "enrollment.sqlite"
    shutil.copy(migrated, path)
    yield lambda: UnitOfWork(engine_for(f"sqlite:///{path}"), "enrollment", "test")
    dispose_engines()


def report(work, number: str):
    with work() as uow:
        return programmes.project_training_report(uow, number, ProjectReportQuery())


def test_the_lt10_0006_report_shows_its_three_strands_as_the_promoter_reported_them(work):
    seen = report(work, "LT10-0006")
    assert seen.promoter == "Lithuanian University of Educational Sciences" and seen.funder == "Norway Grants"
    assert [(l.events, l.participants) for l in seen.programmes] == [(12, 301), (6, 248), (6, 262)]
    assert [(l.events_in_lithuania, l.events_abroad, l.countries_abroad) for l in seen.programmes] == [
        (6, 6, ["NO"]), (3, 3, ["NO"]), (3, 3, ["NO"])]
    assert (seen.total.events, seen.total.participants, seen.total.events_abroad) == (24, 811, 12)
    assert seen.programmes[2].title.en == "Innovative anti-corruption measures at local and regional level"
    lt10_0002 = report(work, "LT10-0002")
    assert [(l.events, l.participants, l.events_abroad) for l in lt10_0002.programmes] == [(7, 653, 0)]
    with pytest.raises(NotFound):
        report(work, "LT10-9999")


def test_the_report_as_csv(work):
    with work() as uow:
        answer = programmes.project_training_report(uow, "LT10-0006", ProjectReportQuery(format="csv"))
    lines = answer.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("programme,title_lt,title_en,events,participants,events_in_lithuania")
    assert lines[1].startswith("social-clusters,Socialinio klasterio kompetencijos,Social cluster competences,12,301,6,6")
    assert lines[-1].startswith("total,,,24,811,12,12")


def funded(number="LT10-0019", project_id=None):
    return FundedProjectRecorded(project_id=project_id or uuid.uuid4(), project_number=number, programme_code="LT10",
                                 funder="Norway Grants", title="Municipal institutions employees' capacity-building",
                                 promoter="Lithuanian Regional Research Institute", status="in_progress")


def test_a_programme_hangs_under_a_project_grants_announced(work):
    with work() as uow, pytest.raises(RuleViolation) as refused:
        programmes.create_programme(uow, ProgrammeIn(project_number="LT10-0019", code="services",
                                                     title={"lt": "Viešosios paslaugos"}))
    assert refused.value.field == "project_number"
    with work() as uow:
        programmes.record_funded_project(uow, funded())
        uow.commit()
    with work() as uow:
        created = programmes.create_programme(uow, ProgrammeIn(project_number="lt10-0019", code="services",
                                                               title={"lt": "Viešosios paslaugos"}))
        assert [e.type for e in uow.emitted] == ["enrollment.programme_created"]
    assert created.project_number == "LT10-0019"
    with work() as uow, pytest.raises(Conflict):
        programmes.create_programme(uow, ProgrammeIn(project_number="LT10-0019", code="services",
                                                     title={"lt": "Kita"}))
    with work() as uow:
        assert [p.code for p in programmes.list_programmes(uow, ProgrammeQuery(project_number="LT10-0019"))] == [
            "services"]


def test_grants_event_updates_a_seeded_project_reference_by_number(work):
    with work() as uow:
        programmes.record_funded_project(uow, funded("LT10-0006").model_copy(update={"status": "completed",
                                                                                       "promoter": "VDU ŠA"}))
        uow.commit()
    assert report(work, "LT10-0006").promoter == "VDU ŠA"


def test_sessions_held_in_norway_and_lithuania_add_to_the_programme(work):
    seeded = report(work, "LT10-0006").programmes[0]
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate({
            "title": {"lt": "Socialiniai klasteriai", "en": "Social clusters"}, "themes": ["social_services"],
            "audience": ["officials"], "duration_hours": 6, "format": "in_person"}))
    start = datetime.now(timezone.utc) + timedelta(days=20)
    sessions = []
    for place in ({"country": "NO", "city": "Oslo", "venue": "Oslo, Karl Johans gate 47", "kind": "conference"},
                  {"region": "AL", "venue": "Alytus, Rotušės a. 4"}):
        with work() as uow:
            sessions.append(catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate({
                "starts_at": start, "ends_at": start + timedelta(hours=6), "capacity": 5,
                "programme_id": str(seeded.programme_id), **place})))
    assert (sessions[0].country, sessions[0].city, sessions[0].kind, sessions[0].region) == ("NO", "Oslo",
                                                                                            "conference", None)
    with work() as uow:
        with pytest.raises(RuleViolation) as refused:
            catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate({
                "starts_at": start, "ends_at": start + timedelta(hours=6), "capacity": 5, "country": "NO",
                "venue": "Oslo", "programme_id": str(seeded.programme_id)}))
        assert refused.value.field == "city"
    with work() as uow:
        with pytest.raises(RuleViolation) as refused:
            catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate({
                "starts_at": start, "ends_at": start + timedelta(hours=6), "capacity": 5, "region": "AL",
                "venue": "Alytus", "programme_id": str(uuid.uuid4())}))
        assert refused.value.field == "programme_id"
    for n, session in enumerate(sessions):
        attend(work, session.id, people=2 + n)
    after = report(work, "LT10-0006").programmes[0]
    assert (after.events, after.participants) == (seeded.events + 2, seeded.participants + 2 + 3)
    assert (after.events_abroad, after.events_in_lithuania, after.conferences) == (7, 7, 1)
    with work() as uow:
        listed = programmes.get_programme(uow, seeded.programme_id)
    assert listed.course_ids == [course.id] and set(listed.session_ids) == {s.id for s in sessions}


def attend(work, session_id, people: int) -> None:
    with work() as uow:
        ids = [enrolment.enroll(uow, LINKS, session_id, EnrollmentIn.model_validate({
            "name": f"Dalyvė {n}", "email": f"d{n}-{session_id.hex[:6]}@alytus.lt", "municipality_code": "01"}),
            STAFF, None).enrollment.id for n in range(people)]
    now = datetime.now(timezone.utc)
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session_id).values(
            starts_at=now - timedelta(hours=7), ends_at=now - timedelta(hours=1),
            registration_opens_at=now - timedelta(days=2), registration_closes_at=now - timedelta(hours=7)))
        uow.commit()
    with work() as uow:
        attendance.record_attendance_bulk(uow, LINKS, session_id, BulkAttendanceIn(records=[
            AttendanceRecordIn(enrollment_id=i, attendance="attended") for i in ids]))
    with work() as uow:
        attendance.complete_session(uow, LINKS, session_id, CompleteSessionIn())


def test_history_is_recorded_for_a_programme(work):
    programme_id = report(work, "LT10-0002").programmes[0].programme_id
    with work() as uow:
        programmes.record_history(uow, programme_id, HistoryIn.model_validate({
            "kind": "conference", "events_in_lithuania": 1, "participants": 120, "participants_abroad": 0,
            "source": "closing conference, Vilnius"}))
    line = report(work, "LT10-0002").programmes[0]
    assert (line.events, line.participants, line.conferences) == (8, 773, 1)
    with work() as uow, pytest.raises(NotFound):
        programmes.record_history(uow, uuid.uuid4(), HistoryIn.model_validate({
            "events_in_lithuania": 1, "participants": 1, "source": "x"}))


# ---------------------------------------------------------------- HTTP (embedded)

def test_the_api_answers_problems_naming_the_field_and_keeps_tenancy(system):
    from shared.auth import issue_token

    kaunas = issue_token(system.settings.auth_secret, subject="ruta@kaunas.lt", role="municipality:15")
    reply = system.get("/reports/projects/LT10-0006", token=kaunas)
    assert reply.status == 200 and [l["participants"] for l in reply.body["programmes"]] == [301, 248, 262]
    assert_problem(system.get("/reports/projects/LT10-9999"), 404)
    assert system.post("/programmes", {"project_number": "LT10-0006", "code": "x", "title": {"lt": "X"}},
                       token=kaunas).status == 403
    assert_problem(system.post("/programmes", {"project_number": "LT10-7777", "code": "x", "title": {"lt": "X"}}),
                   422, field="project_number")
    assert_problem(system.post("/programmes", {"project_number": "LT10-0006", "code": "Not Valid", "title": {"lt": "X"}}),
                   422, field="code")
    programme_id = reply.body["programmes"][0]["programme_id"]
    assert_problem(system.post(f"/programmes/{programme_id}/history", {"events_in_lithuania": 1, "participants": -1,
                                                                       "source": "x"}), 422, field="participants")
    assert_problem(system.post(f"/programmes/{uuid.uuid4()}/courses", {"course_id": str(uuid.uuid4())}), 404)
    listed = system.get("/programmes?project_number=LT10-0006", token=kaunas)
    assert listed.status == 200 and [p["code"] for p in listed.body] == ["social-clusters", "capacities",
                                                                         "anti-corruption"]
    assert {p["project_number"] for p in system.get("/funded-projects", token=kaunas).body} >= {"LT10-0002",
                                                                                             "LT10-0006"}


def test_a_project_recorded_in_grants_reaches_enrollment_by_event_and_takes_programmes(system):
    """The cross-service flow on the embedded system: grants records a funded project and publishes
    grants.funded_project_recorded; enrollment keeps the reference, so staff can hang a programme
    under it (no table is shared)."""
    from tests.support import http

    staff = system.token("staff")
    lt10, = [p for p in http("GET", f"{system.base_url}/grants/programmes", token=staff).body if p["code"] == "LT10"]
    added = http("POST", f"{system.base_url}/grants/programmes/{lt10['id']}/projects", {
        "project_number": "LT10-0042", "title": "Regional e-learning for councils", "promoter": "Alytaus rajono savivaldybė",
        "region": "AL", "initial_cost_eur": "50000", "status": "in_progress"}, token=staff)
    assert added.status == 201, added.body
    known = system.wait_until(lambda: [p for p in system.get("/funded-projects").body
                                       if p["project_number"] == "LT10-0042"], timeout=15,
                              message="grants.funded_project_recorded applied by enrollment")
    assert known[0]["id"] == added.body["id"] and known[0]["funder"] == "Norway Grants"
    created = system.post("/programmes", {"project_number": "LT10-0042", "code": "councils",
                                          "title": {"lt": "Tarybų narių mokymai", "en": "Training for councillors"}})
    assert created.status == 201, created.body
    report = system.get("/reports/projects/LT10-0042").body
    assert [(l["code"], l["events"], l["participants"]) for l in report["programmes"]] == [("councils", 0, 0)]
    assert [e["code"] for e in system.events("programme_created")] == ["councils"]


def test_the_readme_programmes_example_runs_as_written(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    found = re.search(r"<!-- programmes walk-through[^>]*-->\n(.*?)\n<!-- end of the programmes walk-through -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in found.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url, "SAVIVALDA_DATA_DIR": str(system.settings.data_dir),
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "[('social-clusters', 12, 301), ('capacities', 6, 248), ('anti-corruption', 6, 262)]"
    assert out[1] == "NO Oslo conference"
    assert out[2].startswith("total,,,24,811,12,12")  # the conference is not held yet
