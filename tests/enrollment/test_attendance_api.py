"""Attendance, completion, certificates and their public verification, reminders and expiry
notices, on the embedded default."""

from datetime import datetime, timedelta, timezone

from services.enrollment.models import Certificate
from tests.enrollment.helpers import assert_problem, future, person


def attended_session(system, people=4, capacity=None, **course):
    session = system.schedule(capacity=capacity or people, course=course or None)
    enrolments = [system.enrol(session["id"], person(n, language="en" if n == 2 else "lt")).body
                  for n in range(1, people + 1)]
    return session, enrolments


def test_attendance_is_recorded_once_the_session_began_and_only_for_confirmed_people(any_system):
    session, (ona, jonas) = attended_session(any_system, people=2, capacity=1)
    too_early = any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended"})
    assert_problem(too_early, 409, code="session_not_started")
    any_system.start_session_now(session["id"])
    assert_problem(any_system.put(f"/enrollments/{jonas['id']}/attendance", {"attendance": "attended"}), 422,
                   field="attendance")  # waitlisted: never had a seat
    for body, field in (({"attendance": "present"}, "attendance"), ({"attendance": "attended", "hours": -1}, "hours"),
                        ({"attendance": "attended", "hours": 7}, "attendance.hours"),
                        ({"attendance": "no_show", "hours": 2}, "attendance.hours")):
        assert_problem(any_system.put(f"/enrollments/{ona['id']}/attendance", body), 422, field=field)
    assert_problem(any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended"},
                              role="municipality:15"), 403)
    assert any_system.enrollment(ona["id"])["attendance"] is None and any_system.events("attendance_recorded") == []

    recorded = any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended", "hours": "5.5"})
    assert recorded.status == 200
    assert (recorded.body["attendance"], recorded.body["attended_hours"]) == ("attended", "5.5")
    event = any_system.events("attendance_recorded")
    assert len(event) == 1 and (event[0]["attendance"], event[0]["hours"]) == ("attended", "5.5")
    any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended", "hours": "5.5"})
    assert len(any_system.events("attendance_recorded")) == 1  # the same again changes nothing


def test_bulk_attendance_is_all_or_nothing(any_system):
    session, people = attended_session(any_system, people=3)
    any_system.start_session_now(session["id"])
    other_session, (stranger,) = attended_session(any_system, people=1)
    records = [{"enrollment_id": people[0]["id"], "attendance": "attended"},
               {"enrollment_id": stranger["id"], "attendance": "attended"}]
    assert_problem(any_system.post(f"/sessions/{session['id']}/attendance", {"records": records}), 422,
                   field="records.1.enrollment_id")
    duplicate = [records[0], records[0]]
    assert_problem(any_system.post(f"/sessions/{session['id']}/attendance", {"records": duplicate}), 422)
    assert_problem(any_system.post(f"/sessions/{session['id']}/attendance", {"records": []}), 422, field="records")
    assert any_system.enrollment(people[0]["id"])["attendance"] is None

    done = any_system.post(f"/sessions/{session['id']}/attendance", {"records": [
        {"enrollment_id": people[0]["id"], "attendance": "attended"},
        {"enrollment_id": people[1]["id"], "attendance": "no_show"}]})
    assert done.status == 200 and done.body == {"recorded": 2, "unchanged": 0}
    assert [any_system.enrollment(p["id"])["attendance"] for p in people] == ["attended", "no_show", None]


def test_completion_certifies_only_those_who_attended_enough(any_system):
    session, people = attended_session(any_system, people=4, capacity=4)
    waiting = any_system.enrol(session["id"], person(9)).body
    any_system.start_session_now(session["id"])
    any_system.post(f"/sessions/{session['id']}/attendance", {"records": [
        {"enrollment_id": people[0]["id"], "attendance": "attended"},                 # 6 of 6 hours
        {"enrollment_id": people[1]["id"], "attendance": "attended", "hours": "5"},   # 83 %: enough (80 %)
        {"enrollment_id": people[2]["id"], "attendance": "attended", "hours": "4"}]})  # 67 %: not enough
    missing = any_system.post(f"/sessions/{session['id']}/complete", {})
    assert_problem(missing, 409, code="attendance_missing")
    assert "1 confirmed" in missing.body["detail"]
    assert any_system.get("/certificates").body == []

    completed = any_system.post(f"/sessions/{session['id']}/complete", {"mark_unmarked_absent": True})
    assert completed.status == 200, completed.body
    assert (completed.body["attended"], completed.body["no_shows"], completed.body["certificates_issued"]) == (3, 1, 2)
    assert completed.body["session"]["status"] == "completed"
    assert any_system.enrollment(people[3]["id"])["attendance"] == "no_show"
    assert any_system.enrollment(waiting["id"])["cancel_reason"] == "session_held"
    assert_problem(any_system.post(f"/sessions/{session['id']}/complete", {}), 409)

    certificates = any_system.get(f"/certificates?session_id={session['id']}").body
    assert sorted(c["holder_name"] for c in certificates) == ["Dalyvė Nr. 1", "Dalyvė Nr. 2"]
    year = datetime.now(timezone.utc).year
    assert [c["number"] for c in certificates] == [f"SAV-{year}-00001", f"SAV-{year}-00002"]
    issued = {e["participant"]["email"]: e for e in any_system.events("certificate_issued")}
    assert set(issued) == {"dalyve1@savivaldybe.lt", "dalyve2@savivaldybe.lt"}
    english = issued["dalyve2@savivaldybe.lt"]
    assert english["participant"]["language"] == "en" and english["hours"] == "5.0"
    assert english["course_title"]["en"] == "Municipal budget planning" and english["verification_code"]
    completed_event = any_system.events("session_completed")[0]
    assert (completed_event["attended"], completed_event["no_shows"], completed_event["certificates_issued"]) == (3, 1, 2)
    assert any_system.events("enrollment_cancelled")[0]["reason"] == "session_held"

    # Anyone can check a certificate with its number and code, as printed (any case, no dashes).
    verified = any_system.public(english["verify_url"])
    assert verified.status == 200, verified.body
    assert (verified.body["valid"], verified.body["status"], verified.body["holder_name"]) == (True, "valid",
                                                                                             "Dalyvė Nr. 2")
    typed = english["verification_code"].replace("-", "").lower()
    assert any_system.call("GET", f"/certificates/verify?number={english['number']}&code={typed}", role=None).status == 200
    wrong = any_system.call("GET", f"/certificates/verify?number={english['number']}&code=AAAA-BBBB-CCCC", role=None)
    assert_problem(wrong, 404)
    assert_problem(any_system.call("GET", "/certificates/verify?number=SAV-1999-00001&code=AAAA-BBBB-CCCC", role=None), 404)
    assert_problem(any_system.call("GET", "/certificates/verify?number=SAV-1", role=None), 422, field="code")


def test_attendance_corrected_after_completion_issues_or_revokes_the_certificate(any_system):
    session, (ona, jonas) = attended_session(any_system, people=2)
    any_system.start_session_now(session["id"])
    any_system.post(f"/sessions/{session['id']}/attendance", {"records": [
        {"enrollment_id": ona["id"], "attendance": "attended"}, {"enrollment_id": jonas["id"], "attendance": "no_show"}]})
    any_system.post(f"/sessions/{session['id']}/complete", {})
    (certificate,) = any_system.get("/certificates").body
    assert certificate["holder_name"] == "Dalyvė Nr. 1"

    any_system.put(f"/enrollments/{jonas['id']}/attendance", {"attendance": "attended"})
    any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "no_show"})
    by_holder = {c["holder_name"]: c for c in any_system.get("/certificates").body}
    assert by_holder["Dalyvė Nr. 1"]["status"] == "revoked" and by_holder["Dalyvė Nr. 2"]["status"] == "valid"
    assert any_system.events("certificate_revoked")[0]["number"] == certificate["number"]
    revoked = any_system.public(certificate["verify_url"]).body
    assert (revoked["valid"], revoked["status"]) == (False, "revoked")

    any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended"})
    reinstated = any_system.public(certificate["verify_url"]).body
    assert reinstated["status"] == "valid" and reinstated["number"] == certificate["number"]


def test_certificates_with_a_validity_period_expire_and_expiry_is_announced_once(any_system):
    session, (ona,) = attended_session(any_system, people=1, certificate_validity_months=24)
    any_system.start_session_now(session["id"])
    any_system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended"})
    any_system.post(f"/sessions/{session['id']}/complete", {})
    (certificate,) = any_system.get("/certificates").body
    valid_until = datetime.fromisoformat(certificate["valid_until"].replace("Z", "+00:00"))
    assert timedelta(days=729) < valid_until - datetime.now(timezone.utc) <= timedelta(days=731)

    soon = datetime.now(timezone.utc) + timedelta(days=10)
    any_system.travel(Certificate, Certificate.number == certificate["number"], valid_until=soon)
    any_system.wait_until(lambda: any_system.events("certificate_expiring"), timeout=10, message="the expiry notice")
    import time

    time.sleep(0.6)  # a few more timer runs
    notices = any_system.events("certificate_expiring")
    assert len(notices) == 1 and notices[0]["days_left"] in (9, 10) and notices[0]["number"] == certificate["number"]
    assert notices[0]["participant"]["email"] == "dalyve1@savivaldybe.lt"

    any_system.travel(Certificate, Certificate.number == certificate["number"],
                  valid_until=datetime.now(timezone.utc) - timedelta(days=1))
    expired = any_system.public(certificate["verify_url"]).body
    assert (expired["valid"], expired["status"]) == (False, "expired")


def test_confirmed_people_are_reminded_once_before_the_session(any_system):
    session = any_system.schedule(capacity=2, starts_at=future(1), ends_at=future(1.1), reminder_hours_before=48)
    far = any_system.schedule(capacity=2, starts_at=future(5), ends_at=future(5.1), reminder_hours_before=24)
    for n in range(1, 4):
        any_system.enrol(session["id"], person(n))
    any_system.enrol(far["id"], person(1))
    any_system.wait_until(lambda: len(any_system.events("session_reminder_due")) == 2, timeout=10, message="two reminders")
    import time

    time.sleep(0.6)
    reminders = any_system.events("session_reminder_due")
    assert sorted(r["participant"]["email"] for r in reminders) == ["dalyve1@savivaldybe.lt", "dalyve2@savivaldybe.lt"]
    assert {r["session_id"] for r in reminders} == {session["id"]}
    assert reminders[0]["hours_before"] == 48 and reminders[0]["venue"] == "Kaunas, Laisvės al. 96"
