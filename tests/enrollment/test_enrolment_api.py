"""Enrolment over HTTP on the embedded default: idempotency, the waitlist and its promotions,
per-municipality quotas and their release, time-boxed offers, the person's own link, and what
municipal coordinators may do."""

from datetime import datetime, timedelta, timezone

from services.enrollment.models import Enrollment, TrainingSession
from tests.enrollment.helpers import assert_problem, person


def test_the_same_person_or_idempotency_key_gets_the_existing_enrolment(any_system):
    session = any_system.schedule(capacity=3)
    key = {"Idempotency-Key": "hr-import-2026-0001"}
    first = any_system.enrol(session["id"], person(1), headers=key)
    retried = any_system.enrol(session["id"], person(1), headers=key)
    same_person = any_system.enrol(session["id"], person(1, email="DALYVE1@Savivaldybe.LT"))
    assert (first.status, retried.status, same_person.status) == (201, 200, 200)
    assert first.body["id"] == retried.body["id"] == same_person.body["id"]
    assert first.body == retried.body

    reused = any_system.enrol(session["id"], person(2), headers=key)
    assert_problem(reused, 409, field="Idempotency-Key", code="idempotency_key_reused")
    assert_problem(any_system.enrol(session["id"], person(2), headers={"Idempotency-Key": "k" * 201}), 422,
                   field="Idempotency-Key")
    # Keys belong to whoever sent them: another caller's identical key is a new request.
    other = any_system.enrol(session["id"], person(3, municipality="20"), role="municipality:20", headers=key)
    assert other.status == 201
    assert any_system.session(session["id"])["confirmed"] == 2
    assert len(any_system.events("enrollment_confirmed")) == 2


def test_bad_enrolment_input_names_the_field_and_changes_nothing(any_system):
    session = any_system.schedule(capacity=3)
    cases = [(dict(person(1), email="not-an-address"), "email"), (dict(person(1), municipality_code="61"),
                                                                   "municipality_code"),
             (dict(person(1), language="de"), "language"), (dict(person(1), name=""), "name"),
             (dict(person(1), attendance_mode="online"), "attendance_mode"), (dict(person(1), shoe_size=42),
                                                                              "shoe_size")]
    for body, field in cases:
        assert_problem(any_system.enrol(session["id"], body), 422, field=field)
    assert_problem(any_system.enrol("00000000-0000-0000-0000-000000000000", person(1)), 404)
    assert_problem(any_system.post(f"/sessions/{session['id']}/enrollments", raw=b"{", headers={
        "Content-Type": "application/json"}), 400)
    seats = any_system.session(session["id"])
    assert (seats["confirmed"], seats["waitlisted"]) == (0, 0)
    assert any_system.events("enrollment_confirmed") == [] and any_system.events("enrollment_waitlisted") == []


def test_enrolment_outside_the_registration_window_is_refused_clearly(system):
    early = system.schedule(capacity=2, registration_opens_at=(datetime.now(timezone.utc) + timedelta(days=2))
                            .isoformat())
    refused = system.enrol(early["id"], person(1))
    assert_problem(refused, 422, code="registration_not_open")
    assert "registration opens at" in refused.body["detail"]
    closed = system.schedule(capacity=2)
    system.travel(TrainingSession, TrainingSession.id == _id(closed["id"]),
                  registration_closes_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    assert_problem(system.enrol(closed["id"], person(1)), 422, code="registration_closed")


def test_a_freed_seat_goes_to_the_first_in_line_and_the_line_moves_up(any_system):
    session = any_system.schedule(capacity=1)
    ona, jonas, ema, rita = (any_system.enrol(session["id"], person(n)).body for n in range(1, 5))
    assert [p["waitlist_position"] for p in (jonas, ema, rita)] == [1, 2, 3]
    waitlisted = any_system.events("enrollment_waitlisted")
    assert [e["position"] for e in waitlisted] == [1, 2, 3]
    assert waitlisted[0]["waiting_for"] == "seat" and waitlisted[0]["manage_url"] == jonas["manage_url"]

    # Ema leaves the list through her own link; Rita moves up.
    left = any_system.public(ema["manage_url"] + "/leave", "POST")
    assert left.status == 200 and left.body["status"] == "cancelled"
    assert any_system.public(rita["manage_url"]).body["waitlist_position"] == 2

    assert any_system.post(f"/enrollments/{ona['id']}/cancel", {"reason": "komandiruotė"}).status == 200
    assert any_system.enrollment(jonas["id"])["status"] == "confirmed"
    assert any_system.public(rita["manage_url"]).body["waitlist_position"] == 1
    promoted = any_system.events("enrollment_promoted")
    assert len(promoted) == 1 and promoted[0]["participant"]["email"] == "dalyve2@savivaldybe.lt"
    assert promoted[0]["cause"] == "seat_freed" and promoted[0]["fee_eur"] == "15.00"
    assert promoted[0]["course_title"] == {"lt": "Biudžeto planavimas savivaldybėje", "en": "Municipal budget planning"}
    assert promoted[0]["venue"] == "Kaunas, Laisvės al. 96" and promoted[0]["starts_at"] == session["starts_at"]
    cancelled = {e["participant"]["email"]: e["reason"] for e in any_system.events("enrollment_cancelled")}
    assert cancelled == {"dalyve3@savivaldybe.lt": "by_participant", "dalyve1@savivaldybe.lt": "by_coordinator"}
    assert_problem(any_system.post(f"/enrollments/{ona['id']}/cancel", {}), 409)

    # Leaving and coming back is a new arrival, at the end of the line.
    back = any_system.enrol(session["id"], person(1))
    assert back.status == 201 and back.body["id"] == ona["id"]
    assert (back.body["status"], back.body["waitlist_position"]) == ("waitlisted", 2)
    assert back.body["arrival"] == 5


def test_a_municipal_quota_keeps_a_fair_share_until_it_is_released(any_system):
    session = any_system.schedule(capacity=4, quota_per_municipality=1, quota_release_days=5)
    arrivals = [("15", 1), ("15", 2), ("20", 3), ("15", 4), ("21", 5)]
    replies = {n: any_system.enrol(session["id"], person(n, municipality=m)).body for m, n in arrivals}
    assert {n: (r["status"], r["waiting_for"]) for n, r in replies.items()} == {
        1: ("confirmed", None), 2: ("waitlisted", "municipality_quota"), 3: ("confirmed", None),
        4: ("waitlisted", "municipality_quota"), 5: ("confirmed", None)}
    assert any_system.session(session["id"])["seats_left"] == 1  # free, but only for another municipality
    assert any_system.events("enrollment_waitlisted")[0]["waiting_for"] == "municipality_quota"

    # The release date comes (moved, as a test cannot wait days): the timer releases the quota and
    # the free seat goes to the earliest person waiting, Kaunas' second employee.
    any_system.travel(TrainingSession, TrainingSession.id == _id(session["id"]),
                  quota_release_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    any_system.wait_until(lambda: any_system.events("quota_released"), timeout=10, message="the quota release")
    released = any_system.events("quota_released")
    assert len(released) == 1 and released[0]["promoted"] == 1
    assert any_system.enrollment(replies[2]["id"])["status"] == "confirmed"
    assert any_system.enrollment(replies[4]["id"])["waiting_for"] == "seat"
    assert [e["cause"] for e in any_system.events("enrollment_promoted")] == ["quota_released"]
    assert any_system.session(session["id"])["quota_released_at"] is not None


def test_an_offer_not_accepted_in_time_passes_to_the_next_person(any_system):
    session = any_system.schedule(capacity=1, offer_hours=24)
    ona, jonas, ema = (any_system.enrol(session["id"], person(n)).body for n in range(1, 4))
    any_system.post(f"/enrollments/{ona['id']}/cancel", {})
    offer = any_system.events("waitlist_offer_made")
    assert [e["participant"]["email"] for e in offer] == ["dalyve2@savivaldybe.lt"]
    expires = datetime.fromisoformat(offer[0]["expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < expires - datetime.now(timezone.utc) <= timedelta(hours=24)
    mine = any_system.public(jonas["manage_url"]).body
    assert mine["status"] == "offered" and mine["offer_expires_at"]
    assert any_system.session(session["id"])["seats_left"] == 0  # the offered seat is held

    any_system.travel(Enrollment, Enrollment.id == _id(jonas["id"]),
                  offer_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    any_system.wait_until(lambda: any_system.events("waitlist_offer_expired"), timeout=10, message="the expiry")
    assert any_system.events("waitlist_offer_expired")[0]["participant"]["email"] == "dalyve2@savivaldybe.lt"
    assert any_system.enrollment(jonas["id"])["status"] == "expired"
    assert any_system.enrollment(ema["id"])["status"] == "offered"
    assert_problem(any_system.public(jonas["manage_url"] + "/accept", "POST"), 409, code="offer_expired")

    accepted = any_system.public(ema["manage_url"] + "/accept", "POST")
    assert accepted.status == 200 and accepted.body["status"] == "confirmed"
    assert [e["participant"]["email"] for e in any_system.events("enrollment_confirmed")][-1] == "dalyve3@savivaldybe.lt"
    assert_problem(any_system.post(f"/enrollments/{ema['id']}/decline", {}), 409, code="no_offer")


def test_an_offer_past_its_time_cannot_be_accepted_even_before_the_timer_runs(tmp_path, reset_process_state):
    from tests.enrollment.conftest import _embedded

    slow = _embedded(tmp_path, {"SAVIVALDA_TIMER_INTERVAL": "3600"})
    system = next(slow)
    try:
        session = system.schedule(capacity=1, offer_hours=2)
        ona, jonas, ema = (system.enrol(session["id"], person(n)).body for n in range(1, 4))
        system.post(f"/enrollments/{ona['id']}/cancel", {})
        system.travel(Enrollment, Enrollment.id == _id(jonas["id"]),
                      offer_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        assert_problem(system.post(f"/enrollments/{jonas['id']}/accept", {}), 409, code="offer_expired")
        assert system.enrollment(ema["id"])["status"] == "offered"  # the expiry was applied and passed on
        declined = system.post(f"/enrollments/{ema['id']}/decline", {})
        assert declined.status == 200 and declined.body["cancel_reason"] == "offer_declined"
        assert system.session(session["id"])["seats_left"] == 1
    finally:
        next(slow, None)


def test_the_person_s_link_shows_their_place_and_their_calendar(any_system):
    first = any_system.schedule(capacity=1)
    second = any_system.schedule(capacity=5, starts_at=(datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),
                             ends_at=(datetime.now(timezone.utc) + timedelta(days=30, hours=3)).isoformat())
    any_system.enrol(first["id"], person(9))
    waiting = any_system.enrol(first["id"], person(1, language="en")).body
    any_system.enrol(second["id"], person(1, language="en"))
    mine = any_system.public(waiting["manage_url"])
    assert mine.status == 200
    assert (mine.body["status"], mine.body["waitlist_position"], mine.body["name"]) == ("waitlisted", 1, "Dalyvė Nr. 1")
    forged = waiting["manage_url"][:-3] + "abc"
    assert_problem(any_system.public(forged), 404)
    assert_problem(any_system.public(forged + "/leave", "POST"), 404)
    assert any_system.enrollment(waiting["id"])["status"] == "waitlisted"

    feed = any_system.public(mine.body["calendar_url"])
    assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    text = feed.body.replace("\r\n ", "")
    assert text.count("BEGIN:VEVENT") == 2 and "STATUS:TENTATIVE" in text and "STATUS:CONFIRMED" in text
    assert "You are on the waitlist." in text and "SUMMARY:Municipal budget planning" in text


def test_municipal_coordinators_act_for_their_own_staff_only(any_system):
    session = any_system.schedule(capacity=2)
    kaunas, vilnius = "municipality:15", "municipality:57"
    own = any_system.enrol(session["id"], person(1, municipality="15"), role=kaunas)
    assert own.status == 201
    assert_problem(any_system.enrol(session["id"], person(2, municipality="57"), role=kaunas), 403,
                   field="municipality_code")
    theirs = any_system.enrol(session["id"], person(2, municipality="57"), role=vilnius).body
    any_system.enrol(session["id"], person(3, municipality="57"), role=vilnius)
    any_system.enrol(session["id"], person(4, municipality="15"), role="staff")

    listed = any_system.get(f"/sessions/{session['id']}/enrollments", role=kaunas).body
    assert {e["municipality_code"] for e in listed} == {"15"} and len(listed) == 2
    assert_problem(any_system.get(f"/sessions/{session['id']}/enrollments?municipality_code=57", role=kaunas), 403)
    waitlist = any_system.get(f"/sessions/{session['id']}/waitlist", role=kaunas).body
    assert [(e["name"], e["waitlist_position"]) for e in waitlist] == [("Dalyvė Nr. 4", 2)]  # real place in line
    assert len(any_system.get(f"/sessions/{session['id']}/waitlist").body) == 2

    # Another municipality's enrolment is not found, exactly as an unknown id (existence is not leaked).
    assert_problem(any_system.get(f"/enrollments/{theirs['id']}", role=kaunas), 404, code="not_found")
    assert_problem(any_system.post(f"/enrollments/{theirs['id']}/cancel", {}, role=kaunas), 404, code="not_found")
    assert any_system.enrollment(theirs["id"])["status"] == "confirmed"
    assert any_system.post(f"/enrollments/{own.body['id']}/cancel", {}, role=kaunas).status == 200
    for method, path, body in (("POST", "/courses", {}), ("PATCH", f"/sessions/{session['id']}", {"capacity": 9}),
                               ("POST", f"/sessions/{session['id']}/cancel", {"reason": "x"}),
                               ("POST", f"/sessions/{session['id']}/complete", {})):
        assert_problem(any_system.call(method, path, body, role=kaunas), 403)
    assert_problem(any_system.enrol(session["id"], person(5), role="operator"), 403)


def _id(value):
    import uuid

    return uuid.UUID(value)
