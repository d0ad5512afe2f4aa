"""Minimum participants with a go/no-go date (issue 18, item 2): the domain rules, the timer's
decision and the coordinator's answer on a migrated SQLite database, and over HTTP with the
coordinator's e-mail read from the embedded mailbox."""

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest
from sqlalchemy import update

from services.enrollment.domain.rules import (
    GoDecision,
    GoNoGo,
    SessionStatus,
    check_go_confirmable,
    check_go_no_go,
    go_decision,
)
from services.enrollment.models import Enrollment, TrainingSession
from services.enrollment.schemas import CancelSessionIn, CourseIn, EnrollmentIn, SessionIn, SessionPatch
from services.enrollment.usecases import catalogue, enrolment, go_no_go, housekeeping
from shared.errors import Conflict, RuleViolation
from tests.enrollment.helpers import assert_problem, future, person, session_body
from tests.enrollment.test_usecases import COURSE as USE_CASE_COURSE
from tests.enrollment.test_usecases import (  # noqa: F401  (fixtures)
    LINKS,
    STAFF,
    database,
    later,
    migrated,
    types,
    work,
)
from tests.support import http, metric_value, wait_until

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
COORDINATOR = {"name": "Eglė Koordinatorė", "email": "egle@lsa.lt", "language": "lt"}


# ---------------------------------------------------------------- domain

def plan(**changes) -> GoNoGo:
    fields = dict(min_participants=5, go_no_go_at=NOW + timedelta(days=5), auto_cancel=False, has_coordinator=True,
                  starts_at=NOW + timedelta(days=10))
    fields.update(changes)
    return GoNoGo(**fields)


@pytest.mark.parametrize("changes, field", [
    ({"min_participants": 0}, "min_participants"),
    ({"go_no_go_at": NOW + timedelta(days=10)}, "go_no_go_at"),
    ({"go_no_go_at": NOW - timedelta(hours=1)}, "go_no_go_at"),
    ({"has_coordinator": False}, "coordinator"),
    ({"go_no_go_at": None, "auto_cancel": True}, "auto_cancel_below_minimum"),
])
def test_a_go_no_go_date_needs_a_minimum_a_coordinator_and_to_fall_between_now_and_the_start(changes, field):
    with pytest.raises(RuleViolation) as refused:
        check_go_no_go(plan(**changes), NOW, date_changed=True)
    assert refused.value.field == field


def test_a_go_no_go_date_that_passed_is_not_refused_when_it_does_not_change():
    check_go_no_go(plan(go_no_go_at=NOW - timedelta(hours=1)), NOW, date_changed=False)
    check_go_no_go(plan(go_no_go_at=None, min_participants=0, has_coordinator=False), NOW, date_changed=True)


def test_the_decision_at_the_date():
    assert go_decision(5, 5, auto_cancel=True) is GoDecision.MINIMUM_REACHED
    assert go_decision(4, 5, auto_cancel=False) is GoDecision.BELOW_MINIMUM
    assert go_decision(4, 5, auto_cancel=True) is GoDecision.CANCELLED
    check_go_confirmable(SessionStatus.SCHEDULED, "below_minimum")
    for status, decision in ((SessionStatus.SCHEDULED, None), (SessionStatus.SCHEDULED, "minimum_reached"),
                             (SessionStatus.CANCELLED, "below_minimum")):
        with pytest.raises(Conflict):
            check_go_confirmable(status, decision)


# ---------------------------------------------------------------- use cases

def scheduled(work, **changes):
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate(USE_CASE_COURSE))
        body = SessionIn.model_validate({
            "starts_at": later(), "ends_at": later(hours=6), "region": "KU", "venue": "Kaunas", "capacity": 5,
            "min_participants": 3, "go_no_go_at": later(days=10), "coordinator": COORDINATOR, **changes})
        return catalogue.schedule_session(uow, LINKS, course.id, body)


def enrol(work, session_id, n):
    with work() as uow:
        return enrolment.enroll(uow, LINKS, session_id, EnrollmentIn.model_validate(
            {"name": f"Dalyvė {n}", "email": f"d{n}@kaunas.lt", "municipality_code": "15"}), STAFF, None).enrollment


def the_date_comes(work, session_id):
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session_id).values(
            go_no_go_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        uow.commit()


def run_timer(work):
    with work() as uow:
        done = housekeeping.run_all(uow, LINKS)
        return done, [(e.type.removeprefix("enrollment."), e.data) for e in uow.emitted]


def test_below_the_minimum_the_coordinator_is_told_once_and_confirms(work):
    session = scheduled(work)
    enrol(work, session.id, 1)
    the_date_comes(work, session.id)
    done, emitted = run_timer(work)
    assert done["go_no_go"] == 1
    (kind, notice), = emitted
    assert kind == "session_below_minimum" and notice["outcome"] == "awaiting_decision"
    assert (notice["confirmed"], notice["min_participants"]) == (1, 3)
    assert notice["coordinator"]["email"] == "egle@lsa.lt" and notice["confirm_url"].endswith("/confirm")
    assert run_timer(work) == ({"sessions_settled": 0, "go_no_go": 0, "reminders": 0, "expiry_notices": 0}, [])
    with work() as uow:
        assert catalogue.get_session(uow, LINKS, session.id).go_decision == "below_minimum"
        confirmed = go_no_go.confirm(uow, LINKS, session.id)
        assert types(uow) == ["session_go_confirmed"]
    assert (confirmed.go_decision, confirmed.status) == ("confirmed", "scheduled")
    with work() as uow, pytest.raises(Conflict):
        go_no_go.confirm(uow, LINKS, session.id)  # answered already


def test_the_coordinator_may_cancel_instead_and_everyone_is_told(work):
    session = scheduled(work)
    enrol(work, session.id, 1)
    the_date_comes(work, session.id)
    run_timer(work)
    with work() as uow:
        out = catalogue.cancel_session(uow, LINKS, session.id, CancelSessionIn(reason="per mažai dalyvių"))
        assert types(uow) == ["enrollment_cancelled", "session_cancelled"]
    assert (out.status, out.go_decision) == ("cancelled", "cancelled")


def test_with_automatic_cancellation_everyone_and_the_coordinator_are_told(work):
    session = scheduled(work, auto_cancel_below_minimum=True)
    first, second = enrol(work, session.id, 1), enrol(work, session.id, 2)
    the_date_comes(work, session.id)
    _, emitted = run_timer(work)
    assert [kind for kind, _ in emitted] == ["enrollment_cancelled", "enrollment_cancelled", "session_cancelled",
                                             "session_below_minimum"]
    assert "Too few participants: 2 of at least 3" in emitted[0][1]["detail"]
    assert emitted[-1][1]["outcome"] == "auto_cancelled" and emitted[-1][1]["confirm_url"] is None
    with work() as uow:
        assert uow.session.get(Enrollment, first.id).status == "cancelled"
        assert catalogue.get_session(uow, LINKS, session.id).go_decision == "cancelled"


def test_a_session_at_its_minimum_is_noted_and_nobody_is_told(work):
    session = scheduled(work, min_participants=1, auto_cancel_below_minimum=True)
    enrol(work, session.id, 1)
    the_date_comes(work, session.id)
    done, emitted = run_timer(work)
    assert done["go_no_go"] == 1 and emitted == []
    with work() as uow:
        out = catalogue.get_session(uow, LINKS, session.id)
    assert (out.go_decision, out.status) == ("minimum_reached", "scheduled")


def test_a_new_go_no_go_date_is_checked_again_and_a_moved_start_keeps_it_before(work):
    session = scheduled(work, min_participants=1)
    the_date_comes(work, session.id)
    run_timer(work)
    with work() as uow:
        out = catalogue.update_session(uow, LINKS, session.id, SessionPatch(go_no_go_at=later(days=12)))
        assert out.go_decision is None
        assert uow.emitted[0].data["changed"] == ["go_no_go_at"]
    with work() as uow, pytest.raises(RuleViolation) as refused:
        catalogue.update_session(uow, LINKS, session.id, SessionPatch(starts_at=later(days=11),
                                                                      ends_at=later(days=11, hours=2)))
    assert refused.value.field == "go_no_go_at"


# ---------------------------------------------------------------- HTTP

def mails_to(system, address):
    folder = system.settings.mailbox_dir
    found = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
    return [m for m in found if m["To"].addresses[0].addr_spec == address]


def test_bad_go_no_go_input_names_the_field_and_schedules_nothing(system):
    course = system.course()
    path = f"/courses/{course['id']}/sessions"
    with_date = dict(session_body(5), min_participants=3, go_no_go_at=future(10))
    assert_problem(system.post(path, with_date), 422, field="coordinator")
    assert_problem(system.post(path, dict(with_date, coordinator=COORDINATOR, go_no_go_at=future(21))), 422,
                   field="go_no_go_at")
    assert_problem(system.post(path, dict(with_date, coordinator=COORDINATOR, min_participants=0)), 422,
                   field="min_participants")
    assert_problem(system.post(path, dict(session_body(5), auto_cancel_below_minimum=True)), 422,
                   field="auto_cancel_below_minimum")
    assert_problem(system.post(path, dict(with_date, coordinator={**COORDINATOR, "email": "egle"})), 422,
                   field="coordinator.email")
    assert_problem(system.post(path, dict(with_date, coordinator=COORDINATOR, go_no_go_at="soon")), 422,
                   field="go_no_go_at")
    assert system.get(f"/sessions?course_id={course['id']}").body == []
    session = system.post(path, dict(session_body(5), min_participants=1)).body
    assert_problem(system.post(f"/sessions/{session['id']}/confirm"), 409, code="no_decision_pending")
    assert_problem(system.post(f"/sessions/{session['id']}/confirm", role="municipality:15"), 403)
    assert_problem(system.patch(f"/sessions/{session['id']}", {"auto_cancel_below_minimum": None}), 422)


def test_the_readme_example_waits_for_the_go_no_go_date_and_confirms(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"<!-- enrollment go/no-go[^>]*-->\n(.*?)\n<!-- end of the enrollment go/no-go -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in block.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url,
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["below_minimum 1", "confirmed"]
    wait_until(lambda: any(m["Subject"].strip().startswith("Reikia sprendimo")
                           for m in mails_to(system, "egle@lsa.lt")), message="Eglė's e-mail")


def test_the_coordinator_is_e_mailed_at_the_go_no_go_date_and_confirms(system):
    session = system.schedule(capacity=5, min_participants=3, go_no_go_at=future(10),
                              coordinator=dict(COORDINATOR, language="en"))
    assert system.enrol(session["id"], person(1)).status == 201
    from tests.enrollment.helpers import _uuid

    system.travel(TrainingSession, TrainingSession.id == _uuid(session["id"]),
                  go_no_go_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    wait_until(lambda: mails_to(system, "egle@lsa.lt"), message="the coordinator's e-mail")
    mail = mails_to(system, "egle@lsa.lt")[0]
    assert mail["Subject"].strip().startswith("Decision needed")
    text = mail.get_body(("plain",)).get_content()
    assert "1 participant" in text and "minimum of 3" in text and f"sessions/{session['id']}/confirm" in text
    assert system.session(session["id"])["go_decision"] == "below_minimum"
    metrics = lambda: http("GET", f"{system.ops_url}/metrics").body  # noqa: E731
    assert metric_value(metrics(), "savivalda_enrollment_go_no_go_pending") == 1
    confirmed = system.post(f"/sessions/{session['id']}/confirm")
    assert confirmed.status == 200 and confirmed.body["go_decision"] == "confirmed"
    assert metric_value(metrics(), "savivalda_enrollment_go_no_go_total", outcome="below_minimum") >= 1
    assert system.events("session_go_confirmed")[0]["confirmed"] == 1
