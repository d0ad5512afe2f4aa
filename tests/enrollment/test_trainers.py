"""Trainers (issue 18, item 3): the register, sessions naming a trainer, what the trainer is told,
their sessions and hours, and the report by trainer — domain, use cases on SQLite, HTTP and the
trainer's e-mail read from the embedded mailbox."""

import email
from datetime import timedelta
from decimal import Decimal
from email import policy
from uuid import uuid4

import pytest

from services.enrollment.domain.trainers import TaughtSession, check_trainer_choice, trainer_figures
from services.enrollment.schemas import (
    CancelSessionIn,
    CompleteSessionIn,
    CourseIn,
    EnrollmentIn,
    SessionIn,
    SessionPatch,
    TrainerIn,
    TrainerQuery,
    TrainerReportQuery,
)
from services.enrollment.usecases import attendance, catalogue, enrolment, trainers
from shared.errors import Conflict, RuleViolation
from tests.enrollment.helpers import assert_problem, future, person, session_body
from tests.enrollment.test_usecases import COURSE as USE_CASE_COURSE
from tests.enrollment.test_usecases import (  # noqa: F401  (fixtures)
    LINKS,
    STAFF,
    database,
    later,
    migrated,
    started,
    work,
)
from tests.support import wait_until

JONAS = {"name": "Jonas Lektorius", "email": "Jonas@Mokymai.lt", "language": "en", "organisation": "VU"}


# ---------------------------------------------------------------- domain

def test_a_session_names_its_trainer_one_way():
    check_trainer_choice(True, False)
    check_trainer_choice(False, True)
    with pytest.raises(RuleViolation) as both:
        check_trainer_choice(True, True)
    assert both.value.field == "trainer"


def test_figures_count_held_sessions_hours_and_people_once():
    jonas, ona = uuid4(), uuid4()
    held = TaughtSession(jonas, uuid4(), "completed", Decimal("6"), attended=9, no_shows=1, confirmed=10)
    figures = trainer_figures([held, held, TaughtSession(jonas, uuid4(), "cancelled", Decimal("4")),
                               TaughtSession(jonas, uuid4(), "scheduled", Decimal("4")),
                               TaughtSession(ona, uuid4(), "completed", Decimal("3"), confirmed=2, attended=2)])
    assert (figures[jonas].sessions_held, figures[jonas].hours_taught, figures[jonas].participants,
            figures[jonas].attendances, figures[jonas].no_shows, figures[jonas].sessions_cancelled,
            figures[jonas].sessions_upcoming) == (1, Decimal("6"), 10, 9, 1, 1, 1)
    assert figures[ona].hours_taught == Decimal("3")


# ---------------------------------------------------------------- use cases

def notices(uow):
    return [(e.data["notice"], e.data["trainer"]["email"]) for e in uow.emitted
            if e.type == "enrollment.trainer_session_notice"]


def test_a_trainer_is_told_of_their_session_every_change_and_a_replacement(work):
    with work() as uow:
        jonas = trainers.register(uow, TrainerIn.model_validate(JONAS))
        ona = trainers.register(uow, TrainerIn.model_validate({"name": "Ona Lektorė", "email": "ona@mokymai.lt"}))
    with work() as uow, pytest.raises(Conflict):
        trainers.register(uow, TrainerIn.model_validate({**JONAS, "email": "jonas@mokymai.LT"}))
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate(USE_CASE_COURSE))
        session = catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate(
            {"starts_at": later(), "ends_at": later(hours=6), "region": "KU", "venue": "Kaunas", "capacity": 5,
             "trainer_id": jonas.id}))
        assert notices(uow) == [("assigned", "Jonas@Mokymai.lt")]
    assert (session.trainer, session.trainer_id) == ("Jonas Lektorius", jonas.id)
    with work() as uow:
        catalogue.update_session(uow, LINKS, session.id, SessionPatch(starts_at=later(days=21),
                                                                      ends_at=later(days=21, hours=6)))
        assert notices(uow) == [("changed", "Jonas@Mokymai.lt")]
        told = next(e.data for e in uow.emitted if e.type == "enrollment.trainer_session_notice")
        assert told["changed"] == ["ends_at", "starts_at"] and told["previous"]["venue"] == "Kaunas"
    with work() as uow:
        replaced = catalogue.update_session(uow, LINKS, session.id, SessionPatch(trainer_id=ona.id))
        assert notices(uow) == [("unassigned", "Jonas@Mokymai.lt"), ("assigned", "ona@mokymai.lt")]
        assert "session_updated" in [e.type.removeprefix("enrollment.") for e in uow.emitted]
    assert (replaced.trainer, replaced.trainer_id, replaced.calendar_sequence) == ("Ona Lektorė", ona.id, 2)
    with work() as uow, pytest.raises(RuleViolation) as unknown:
        catalogue.update_session(uow, LINKS, session.id, SessionPatch(trainer_id=uuid4()))
    assert unknown.value.field == "trainer_id"
    with work() as uow:
        catalogue.cancel_session(uow, LINKS, session.id, CancelSessionIn(reason="lektorė serga"))
        assert notices(uow) == [("cancelled", "ona@mokymai.lt")]


def test_a_trainers_sessions_hours_and_the_report(work):
    with work() as uow:
        jonas = trainers.register(uow, TrainerIn.model_validate(JONAS))
        course = catalogue.create_course(uow, CourseIn.model_validate(USE_CASE_COURSE))
        held, upcoming = (catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate(
            {"starts_at": later(days), "ends_at": later(days, 6), "region": "KU", "venue": "Kaunas", "capacity": 5,
             "trainer_id": jonas.id})) for days in (10, 30))
        for n in range(3):
            enrolment.enroll(uow, LINKS, held.id, EnrollmentIn.model_validate(
                {"name": f"Dalyvė {n}", "email": f"d{n}@kaunas.lt", "municipality_code": "15"}), STAFF, None)
    started(work, held.id)
    with work() as uow:
        attendance.complete_session(uow, LINKS, held.id, CompleteSessionIn(mark_unmarked_absent=True))
    with work() as uow:
        detail = trainers.get_trainer(uow, jonas.id)
        _, listed, headers = trainers.list_trainers(uow, TrainerQuery(q="lektor"))
        report = trainers.report(uow, TrainerReportQuery())
    assert (detail.sessions_held, detail.sessions_upcoming, detail.hours_taught) == (1, 1, Decimal("6"))
    assert [s.session_id for s in detail.sessions] == [upcoming.id, held.id]
    assert [t.id for t in listed] == [jonas.id] and headers == {}
    (line,) = report.lines
    assert (line.name, line.sessions_held, line.hours_taught, line.participants, line.attendances,
            line.no_shows) == ("Jonas Lektorius", 1, Decimal("6"), 3, 0, 3)


# ---------------------------------------------------------------- HTTP

def mails_to(system, address):
    folder = system.settings.mailbox_dir
    found = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
    return [m for m in found if m["To"].addresses[0].addr_spec.lower() == address.lower()]


def test_bad_trainer_input_names_the_field_and_changes_nothing(system):
    assert_problem(system.post("/trainers", {**JONAS, "email": "jonas"}), 422, field="email")
    assert_problem(system.post("/trainers", {**JONAS, "language": "de"}), 422, field="language")
    assert_problem(system.post("/trainers", {**JONAS, "phone": "+370"}), 422, field="phone")
    assert_problem(system.post("/trainers", JONAS, role="municipality:15"), 403)
    jonas = system.post("/trainers", JONAS)
    assert jonas.status == 201
    assert_problem(system.post("/trainers", {**JONAS, "email": "JONAS@mokymai.lt"}), 409, code="trainer_exists")
    course = system.course()
    path = f"/courses/{course['id']}/sessions"
    assert_problem(system.post(path, session_body(2, trainer="Jonas", trainer_id=jonas.body["id"])), 422,
                   field="trainer")
    assert_problem(system.post(path, session_body(2, trainer_id=str(uuid4()))), 422, field="trainer_id")
    assert_problem(system.post(path, session_body(2, trainer_id="jonas")), 422, field="trainer_id")
    assert system.get(f"/sessions?course_id={course['id']}").body == []
    assert_problem(system.get("/trainers?colour=blue"), 422, field="colour")
    assert_problem(system.get("/trainers", role="municipality:15"), 403)
    assert_problem(system.get(f"/trainers/{uuid4()}"), 404)
    assert_problem(system.get("/reports/trainers?from=2026-12-01&to=2026-11-01"), 422)
    assert_problem(system.get("/reports/trainers", role="operator"), 403)


def test_the_trainer_is_e_mailed_in_their_language_and_sees_their_hours(system):
    jonas = system.post("/trainers", JONAS).body
    session = system.schedule(capacity=3, trainer_id=jonas["id"])
    assert session["trainer"] == "Jonas Lektorius"
    wait_until(lambda: mails_to(system, "jonas@mokymai.lt"), message="the trainer's e-mail")
    assigned = mails_to(system, "jonas@mokymai.lt")[0]
    assert assigned["Subject"].strip().startswith("You are teaching")
    assert system.patch(f"/sessions/{session['id']}", {"venue": "Kaunas, Savanorių pr. 1"}).status == 200
    wait_until(lambda: len(mails_to(system, "jonas@mokymai.lt")) == 2, message="the change e-mail")
    changed = next(m for m in mails_to(system, "jonas@mokymai.lt") if "changed" in m["Subject"])
    text = changed.get_body(("plain",)).get_content()
    assert "Savanorių pr. 1" in text and "the venue was Kaunas, Laisvės al. 96" in text
    listed = system.get("/trainers?q=LEKTORIUS")
    assert [t["id"] for t in listed.body] == [jonas["id"]] and listed.body[0]["sessions_upcoming"] == 1
    assert system.get(f"/trainers/{jonas['id']}").body["sessions"][0]["session_id"] == session["id"]
    report = system.get("/reports/trainers?format=csv")
    assert report.status == 200 and "trainer,sessions_held,hours_taught" in report.body


def test_the_readme_example_registers_a_trainer_and_reports(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"<!-- enrollment trainers[^>]*-->\n(.*?)\n<!-- end of the enrollment trainers -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in block.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url,
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["Jonas Lektorius", "1 0", "[('Jonas Lektorius', 0, '0')]"]
