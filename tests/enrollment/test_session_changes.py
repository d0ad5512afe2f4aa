"""Changing a planned session (date, time, venue, online link, trainer) and editing or retiring a
course (issue 18, item 1): the domain rules, the use cases on a migrated SQLite database, and the
HTTP API with the e-mails people get, on the embedded default."""

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest

from services.enrollment.domain.calendar import CalendarEntry, render
from services.enrollment.domain.rules import (
    AttendanceMode,
    CourseFormat,
    SessionSchedule,
    available_modes,
    check_mode_switch,
    check_schedule_change,
)
from services.enrollment.models import Enrollment
from services.enrollment.schemas import CourseIn, CoursePatch, CourseQuery, EnrollmentIn, SessionIn, SessionPatch
from services.enrollment.usecases import calendars, catalogue, enrolment, self_service
from services.enrollment.domain.codes import enrollment_code
from shared.errors import Conflict, RuleViolation
from tests.enrollment.helpers import COURSE, assert_problem, future, person, session_body
from tests.enrollment.test_usecases import COURSE as USE_CASE_COURSE
from tests.enrollment.test_usecases import (  # noqa: F401  (fixtures)
    LINKS,
    SECRET,
    STAFF,
    database,
    later,
    migrated,
    scheduled,
    types,
    work,
)
from tests.support import http, metric_value, wait_until

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
ONLINE_URL = "https://meet.example.lt/biudzetas"


# ---------------------------------------------------------------- domain

def schedule(fmt=CourseFormat.IN_PERSON, **changes) -> SessionSchedule:
    fields = dict(course_format=fmt, starts_at=NOW + timedelta(days=10), ends_at=NOW + timedelta(days=10, hours=6),
                  region="KU", venue="Kaunas", online_url=None, trainer=None,
                  registration_closes_at=NOW + timedelta(days=10))
    fields.update(changes)
    return SessionSchedule(**fields)


def test_a_new_date_moves_a_registration_that_closed_at_the_start_and_checks_the_times():
    current = schedule()
    moved = check_schedule_change(current, {"starts_at": NOW + timedelta(days=12),
                                            "ends_at": NOW + timedelta(days=12, hours=6)}, NOW)
    assert moved["registration_closes_at"] == NOW + timedelta(days=12)
    earlier_closing = schedule(registration_closes_at=NOW + timedelta(days=5))
    assert "registration_closes_at" not in check_schedule_change(
        earlier_closing, {"starts_at": NOW + timedelta(days=12), "ends_at": NOW + timedelta(days=12, hours=1)}, NOW)
    with pytest.raises(RuleViolation) as ends:
        check_schedule_change(current, {"ends_at": NOW + timedelta(days=9)}, NOW)
    assert ends.value.field == "ends_at"
    with pytest.raises(RuleViolation) as past:
        check_schedule_change(current, {"starts_at": NOW - timedelta(hours=1)}, NOW)
    assert past.value.field == "starts_at"
    assert check_schedule_change(current, {"venue": "Kaunas", "trainer": "Jonas"}, NOW) == {"trainer": "Jonas"}


def test_only_a_hybrid_session_may_drop_its_venue_or_link_and_never_both():
    with pytest.raises(RuleViolation) as venue:
        check_schedule_change(schedule(), {"venue": None}, NOW)
    assert venue.value.field == "venue"
    with pytest.raises(RuleViolation) as link:
        check_schedule_change(schedule(CourseFormat.ONLINE, venue=None, region=None, online_url=ONLINE_URL),
                              {"online_url": None}, NOW)
    assert link.value.field == "online_url"
    hybrid = schedule(CourseFormat.HYBRID, online_url=ONLINE_URL)
    assert check_schedule_change(hybrid, {"venue": None}, NOW) == {"venue": None}
    with pytest.raises(RuleViolation):
        check_schedule_change(schedule(CourseFormat.HYBRID, venue=None, online_url=ONLINE_URL),
                              {"online_url": None}, NOW)
    assert available_modes(CourseFormat.HYBRID, None, ONLINE_URL) == (AttendanceMode.ONLINE,)
    assert available_modes(CourseFormat.HYBRID, "Kaunas", ONLINE_URL) == (AttendanceMode.IN_PERSON,
                                                                          AttendanceMode.ONLINE)


def test_a_person_switches_only_away_from_a_dropped_mode():
    online_only = (AttendanceMode.ONLINE,)
    assert check_mode_switch(AttendanceMode.IN_PERSON, online_only, None) is AttendanceMode.ONLINE
    with pytest.raises(Conflict):
        check_mode_switch(AttendanceMode.ONLINE, online_only, None)
    with pytest.raises(RuleViolation):
        check_mode_switch(AttendanceMode.IN_PERSON, online_only, AttendanceMode.IN_PERSON)


def test_the_calendar_entry_carries_its_sequence():
    entry = CalendarEntry(uid="session-1@savivalda", starts_at=NOW, ends_at=NOW + timedelta(hours=1), summary="x",
                          sequence=3)
    text = render([entry], "x", NOW)
    assert "UID:session-1@savivalda\r\n" in text and "SEQUENCE:3\r\n" in text


# ---------------------------------------------------------------- use cases

def enrol(work, session_id, n, **changes):
    with work() as uow:
        body = EnrollmentIn.model_validate({"name": f"Dalyvė {n}", "email": f"d{n}@kaunas.lt",
                                            "municipality_code": "15", **changes})
        return enrolment.enroll(uow, LINKS, session_id, body, STAFF, None).enrollment


def test_a_new_date_tells_everyone_enrolled_and_raises_the_calendar_sequence(work):
    session = scheduled(work, capacity=1, reminder_hours_before=48)
    first, second = enrol(work, session.id, 1), enrol(work, session.id, 2, language="en")
    with work() as uow:
        uow.session.query(Enrollment).filter(Enrollment.id == first.id).update({"reminded_at": datetime.now(timezone.utc)})
        uow.commit()
    new_start = later(days=25)
    with work() as uow:
        out = catalogue.update_session(uow, LINKS, session.id, SessionPatch.model_validate(
            {"starts_at": new_start, "ends_at": new_start + timedelta(hours=5), "trainer": "Jonas Jonaitis"}))
        emitted = list(uow.emitted)
    assert out.calendar_sequence == 1 and out.trainer == "Jonas Jonaitis"
    assert out.registration_closes_at == new_start  # it closed at the start, and follows it
    changes = [e.data for e in emitted if e.type == "enrollment.session_changed"]
    assert sorted(c["participant"]["email"] for c in changes) == ["d1@kaunas.lt", "d2@kaunas.lt"]
    assert {c["enrollment_status"] for c in changes} == {"confirmed", "waitlisted"}
    assert all(c["changed"] == ["ends_at", "starts_at", "trainer"] and c["calendar_sequence"] == 1 for c in changes)
    assert all(datetime.fromisoformat(c["previous"]["starts_at"]) == session.starts_at and c["mode_available"]
               for c in changes)
    updated = next(e.data for e in emitted if e.type == "enrollment.session_updated")
    assert updated["calendar_sequence"] == 1 and "starts_at" in updated["changed"]
    with work() as uow:
        assert uow.session.get(Enrollment, first.id).reminded_at is None  # reminded again for the new date
        ics = calendars.person_calendar(uow, LINKS, first.id, enrollment_code(SECRET, first.id)).get_data(True)
    assert f"UID:enrollment-{first.id}@savivalda" in ics and "SEQUENCE:1" in ics and "Jonas Jonaitis" in ics
    with work() as uow:  # the same values again: nothing changes, nobody is told
        catalogue.update_session(uow, LINKS, session.id, SessionPatch.model_validate({"trainer": "Jonas Jonaitis"}))
        assert types(uow) == []


def test_a_hybrid_session_without_its_venue_offers_the_online_seats_or_a_free_leave(work):
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate({**USE_CASE_COURSE, "format": "hybrid"}))
        session = catalogue.schedule_session(uow, LINKS, course.id, SessionIn.model_validate(
            {"starts_at": later(), "ends_at": later(hours=6), "region": "KU", "venue": "Kaunas",
             "online_url": ONLINE_URL, "capacity": 1, "online_capacity": 1}))
    in_person = enrol(work, session.id, 1, attendance_mode="in_person")
    waiting = enrol(work, session.id, 2, attendance_mode="in_person")
    online = enrol(work, session.id, 3, attendance_mode="online")
    with work() as uow:
        out = catalogue.update_session(uow, LINKS, session.id, SessionPatch.model_validate({"venue": None}))
        changes = {e.data["participant"]["email"]: e.data for e in uow.emitted
                   if e.type == "enrollment.session_changed"}
    assert out.attendance_modes == ["online"]
    assert not changes["d1@kaunas.lt"]["mode_available"] and changes["d1@kaunas.lt"]["alternative_mode"] == "online"
    assert changes["d3@kaunas.lt"]["mode_available"] and changes["d3@kaunas.lt"]["alternative_mode"] is None
    with work() as uow:  # nobody new can take the dropped mode
        with pytest.raises(RuleViolation):
            enrolment.enroll(uow, LINKS, session.id, EnrollmentIn.model_validate(
                {"name": "X", "email": "x@kaunas.lt", "municipality_code": "15", "attendance_mode": "in_person"}),
                STAFF, None)
    code = enrollment_code(SECRET, in_person.id)
    with work() as uow:
        assert self_service.view(uow, LINKS, in_person.id, code).mode_available is False
        switched = self_service.switch_mode(uow, LINKS, in_person.id, code)
        assert types(uow) == ["enrollment_waitlisted"]  # the one online seat is taken
    assert (switched.attendance_mode, switched.status, switched.waitlist_position) == ("online", "waitlisted", 1)
    with work() as uow:  # the person behind waits for the online seat after the first, and cannot overtake
        with pytest.raises(Conflict):
            self_service.switch_mode(uow, LINKS, online.id, enrollment_code(SECRET, online.id))
        again = self_service.switch_mode(uow, LINKS, waiting.id, enrollment_code(SECRET, waiting.id))
    assert again.waitlist_position == 2
    with work() as uow:  # leaving is open to them as to anyone, before the start
        left = self_service.leave(uow, LINKS, online.id, enrollment_code(SECRET, online.id))
        assert left.status == "cancelled"
        assert "enrollment_promoted" in types(uow) or "waitlist_offer_made" in types(uow)


def test_a_course_is_edited_and_retired_and_a_retired_course_takes_no_sessions(work):
    session = scheduled(work)
    with work() as uow:
        edited = catalogue.update_course(uow, session.course_id, CoursePatch.model_validate(
            {"title": {"lt": "Biudžeto planavimas 2027", "en": "Budget planning 2027"}, "duration_hours": 5}))
        event = uow.emitted[0].data
    assert edited.title.en == "Budget planning 2027" and edited.updated_at is not None
    assert event["changed"] == ["duration_hours", "title"] and event["retired_at"] is None
    with work() as uow:
        retired = catalogue.retire_course(uow, session.course_id)
        assert uow.emitted[0].data["changed"] == ["retired"]
    with work() as uow:
        assert catalogue.retire_course(uow, session.course_id).retired_at == retired.retired_at
        assert types(uow) == []
    with pytest.raises(Conflict) as refused:
        scheduled_again(work, session.course_id)
    assert refused.value.code == "course_retired"
    with work() as uow:
        assert catalogue.list_courses(uow, CourseQuery())[1] == []
        assert [c.id for c in catalogue.list_courses(uow, CourseQuery(include_retired=True))[1]] == [session.course_id]
        assert catalogue.get_session(uow, LINKS, session.id).status == "scheduled"  # its session still runs


def scheduled_again(work, course_id):
    with work() as uow:
        return catalogue.schedule_session(uow, LINKS, course_id, SessionIn.model_validate(
            {"starts_at": later(), "ends_at": later(hours=6), "region": "KU", "venue": "Kaunas", "capacity": 1}))


# ---------------------------------------------------------------- HTTP, e-mails

def mailbox(system):
    folder = system.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def mails_to(system, address):
    return [m for m in mailbox(system) if m["To"].addresses[0].addr_spec == address]


def test_a_rescheduled_session_e_mails_each_person_in_their_language_with_the_new_calendar(system):
    session = system.schedule(capacity=2)
    ona = system.enrol(session["id"], person(1, email="ona@kaunas.lt")).body
    system.enrol(session["id"], person(2, email="tom@kaunas.lt", language="en"))
    wait_until(lambda: mails_to(system, "ona@kaunas.lt") and mails_to(system, "tom@kaunas.lt"),
               message="the confirmations")
    changes = lambda: metric_value(http("GET", f"{system.ops_url}/metrics").body,  # noqa: E731
                                   "savivalda_enrollment_session_changes_total", kind="date")
    before = changes()
    reply = system.patch(f"/sessions/{session['id']}", {"starts_at": future(22, 8), "ends_at": future(22, 14),
                                                        "venue": "Kaunas, Savanorių pr. 1"})
    assert reply.status == 200, reply.body
    assert reply.body["calendar_sequence"] == 1 and reply.body["venue"] == "Kaunas, Savanorių pr. 1"
    wait_until(lambda: len(mails_to(system, "ona@kaunas.lt")) == 2 and len(mails_to(system, "tom@kaunas.lt")) == 2,
               message="the change e-mails")
    lt = next(m for m in mails_to(system, "ona@kaunas.lt") if m["Subject"].strip().startswith("Pasikeitė mokymai"))
    # (a long subject is folded; the parsed header keeps the fold's space)
    en = next(m for m in mails_to(system, "tom@kaunas.lt") if m["Subject"].strip().startswith("Training changed"))
    lt_text, en_text = (m.get_body(("plain",)).get_content() for m in (lt, en))
    assert "Savanorių pr. 1" in lt_text and "buvo Kaunas, Laisvės al. 96" in lt_text
    assert "(was Kaunas, Laisvės al. 96)" in en_text and "calendar.ics" in en_text
    ics = system.public(ona["manage_url"] + "/calendar.ics")
    assert "SEQUENCE:1" in ics.body and "Savanorių pr. 1" in ics.body
    assert changes() == before + 1


def test_bad_session_and_course_changes_name_the_field_and_change_nothing(system):
    session = system.schedule(capacity=2)
    path = f"/sessions/{session['id']}"
    assert_problem(system.patch(path, {"ends_at": future(19)}), 422, field="ends_at")
    assert_problem(system.patch(path, {"starts_at": future(-1), "ends_at": future(-0.9)}), 422, field="starts_at")
    assert_problem(system.patch(path, {"starts_at": None}), 422)
    assert_problem(system.patch(path, {"venue": None}), 422, field="venue")
    assert_problem(system.patch(path, {"region": "XX"}), 422, field="region")
    assert_problem(system.patch(path, {"online_url": "ftp://x"}), 422, field="online_url")
    assert_problem(system.patch(path, {"trainer": "x" * 201}), 422, field="trainer")
    assert_problem(system.patch(path, {"starts_at": future(30)}, role="municipality:15"), 403)
    unchanged = system.session(session["id"])
    assert (unchanged["starts_at"], unchanged["venue"], unchanged["calendar_sequence"]) == (
        session["starts_at"], session["venue"], 0)
    course = f"/courses/{session['course_id']}"
    assert_problem(system.patch(course, {"format": "online"}), 422, field="format")
    assert_problem(system.patch(course, {"themes": ["astrology"]}), 422, field="themes")
    assert_problem(system.patch(course, {}), 422)
    assert_problem(system.patch(course, {"title": None}), 422)
    assert_problem(system.post(f"{course}/retire", role="municipality:15"), 403)
    assert system.post(f"{course}/retire").status == 200
    assert_problem(system.post(f"{course}/sessions", session_body(2)), 409, code="course_retired")
    assert system.get(course).body["retired_at"] is not None
    hybrid = system.schedule(course={"format": "hybrid"}, online_url=ONLINE_URL, online_capacity=2)
    someone = system.enrol(hybrid["id"], person(5, attendance_mode="online")).body
    assert_problem(system.post(f"/enrollments/{someone['id']}/switch-mode", {"attendance_mode": "in_person"}),
                   409, code="mode_available")
    assert_problem(system.post(f"/enrollments/{someone['id']}/switch-mode", {"attendance_mode": "by_post"}),
                   422, field="attendance_mode")
    assert_problem(system.post(f"/enrollments/{someone['id']}/switch-mode", {"attendance_mode": "in_person"},
                               role="municipality:13"), 404)


def test_the_readme_example_changes_a_session_and_retires_its_course(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"<!-- enrollment session change[^>]*-->\n(.*?)\n<!-- end of the enrollment session change -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in block.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url,
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["1 Jonas Jonaitis", "['online']", "online confirmed", "5", "True"]
