"""The catalogue and the life of a session over HTTP, on the embedded default: courses, sessions,
hybrid seat pools, capacity changes, cancellation, calendars — and bad input changing nothing."""

from tests.enrollment.helpers import COURSE, assert_problem, future, person, session_body
from tests.support import http, metric_value


def test_courses_are_bilingual_and_filterable(system):
    budget = system.course()
    council = system.course(title={"lt": "Tarybos nario pareigos", "en": "Council members' duties"},
                            themes=["council_members_duties"], audience=["council_members"], format="online",
                            duration_hours=3, completion_min_percent=100, certificate_validity_months=24)
    assert budget["title"] == COURSE["title"] and budget["description"]["en"] == COURSE["description"]["en"]
    assert (budget["completion_min_percent"], budget["certificate_validity_months"]) == (80, None)
    assert council["certificate_validity_months"] == 24
    ids = lambda reply: [c["id"] for c in reply.body]  # noqa: E731
    assert ids(system.get("/courses?theme=council_members_duties")) == [council["id"]]
    assert ids(system.get("/courses?audience=officials")) == [budget["id"]]
    assert ids(system.get("/courses?format=online", role="municipality:15")) == [council["id"]]
    assert system.get(f"/courses/{council['id']}").body["audience"] == ["council_members"]


def test_bad_course_input_names_each_field_and_creates_nothing(system):
    bad = dict(COURSE, themes=["budgeting", "astrology"], audience=["mayors"], duration_hours=0,
               completion_min_percent=0, format="correspondence")
    reply = system.post("/courses", bad)
    assert_problem(reply, 422)
    assert {"themes", "audience.0", "duration_hours", "completion_min_percent", "format"} <= {
        e["field"] for e in reply.body["errors"]}
    assert_problem(system.get("/courses?theme=astrology"), 422, field="theme")
    assert_problem(system.post("/courses", COURSE, role="municipality:15"), 403)
    assert system.get("/courses").body == []


def test_scheduling_rules_name_the_field_and_create_nothing(system):
    course = system.course()
    hybrid = system.course(format="hybrid")
    cases = [
        (course, session_body(2, quota_release_days=3), "quota_release_days"),
        (course, session_body(2, online_capacity=5), "online_capacity"),
        (course, session_body(2, min_participants=3), "min_participants"),
        (course, session_body(2, registration_closes_at=future(30)), "registration_closes_at"),
        (course, session_body(2, region="XX"), "region"),
        (course, session_body(2, fee_eur="-1"), "fee_eur"),
        (course, session_body(2, offer_hours=0), "offer_hours"),
        (hybrid, session_body(2, online_url="https://meet.example.lt/a"), "online_capacity"),
        (hybrid, session_body(2, online_capacity=3), "online_url"),
    ]
    for target, body, field in cases:
        assert_problem(system.post(f"/courses/{target['id']}/sessions", body), 422, field=field)
    assert_problem(system.post("/courses/00000000-0000-0000-0000-000000000000/sessions", session_body(2)), 404)
    assert system.get("/sessions").body == []
    assert system.events("session_scheduled") == []


def test_a_hybrid_session_has_separate_in_person_and_online_seats(any_system):
    session = any_system.schedule(capacity=1, online_capacity=1, online_url="https://meet.example.lt/biudzetas",
                              course={"format": "hybrid"})
    assert session["pools"] == {"in_person": {"capacity": 1, "confirmed": 0, "offered": 0, "waitlisted": 0,
                                              "seats_left": 1},
                                "online": {"capacity": 1, "confirmed": 0, "offered": 0, "waitlisted": 0,
                                           "seats_left": 1}}
    assert_problem(any_system.enrol(session["id"], person(1)), 422, field="attendance_mode")
    assert_problem(any_system.enrol(session["id"], person(1, attendance_mode="by_post")), 422, field="attendance_mode")
    hall = any_system.enrol(session["id"], person(1, attendance_mode="in_person"))
    screen = any_system.enrol(session["id"], person(2, attendance_mode="online"))
    late = any_system.enrol(session["id"], person(3, attendance_mode="in_person"))
    assert [r.body["status"] for r in (hall, screen, late)] == ["confirmed", "confirmed", "waitlisted"]
    seats = any_system.session(session["id"])
    assert (seats["confirmed"], seats["waitlisted"], seats["seats_left"]) == (2, 1, 0)
    scheduled = any_system.events("session_scheduled")[0]
    assert (scheduled["capacity"], scheduled["online_capacity"], scheduled["format"]) == (1, 1, "hybrid")
    waitlisted = any_system.events("enrollment_waitlisted")[0]
    assert waitlisted["attendance_mode"] == "in_person" and waitlisted["position"] == 1
    online_one = any_system.events("enrollment_confirmed")[1]
    assert online_one["online_url"] == "https://meet.example.lt/biudzetas"


def test_sessions_are_listed_by_theme_region_status_and_open_registration(system):
    budget = system.schedule(capacity=5)
    online = system.schedule(capacity=5, region=None, venue=None, online_url="https://meet.example.lt/x",
                             course={"format": "online", "themes": ["anti_corruption"]})
    later = system.schedule(capacity=5, region="VL", venue="Vilnius", registration_opens_at=future(5),
                            registration_closes_at=future(10))
    ids = lambda query: [s["id"] for s in system.get(f"/sessions{query}", role="municipality:15").body]  # noqa: E731
    assert ids("?theme=anti_corruption") == [online["id"]]
    assert ids("?region=VL") == [later["id"]]
    assert set(ids("?open_for_registration=true")) == {budget["id"], online["id"]}
    assert ids("?status=cancelled") == []
    for query, field in (("?region=Kaunas", "region"), ("?status=lost", "status"), ("?starts_from=tomorrow", "starts_from"),
                         ("?open_for_registration=maybe", "open_for_registration"), ("?colour=red", "colour")):
        assert_problem(system.get(f"/sessions{query}"), 422, field=field)


def test_capacity_cannot_drop_below_the_seats_taken_and_raising_it_promotes_in_order(any_system):
    session = any_system.schedule(capacity=2)
    replies = [any_system.enrol(session["id"], person(n)) for n in range(1, 6)]
    assert [r.body["status"] for r in replies] == ["confirmed"] * 2 + ["waitlisted"] * 3

    assert_problem(any_system.patch(f"/sessions/{session['id']}", {"capacity": 1}), 422, field="capacity")
    for body, field in (({}, None), ({"capacity": None}, None), ({"capacity": 0}, "capacity"),
                        ({"seats": 4}, "seats"), ({"online_capacity": 3}, "online_capacity")):
        assert_problem(any_system.patch(f"/sessions/{session['id']}", body), 422, field=field)
    assert_problem(any_system.patch(f"/sessions/{session['id']}", {"capacity": 9}, role="municipality:15"), 403)
    assert any_system.session(session["id"])["capacity"] == 2 and any_system.events("session_updated") == []

    raised = any_system.patch(f"/sessions/{session['id']}", {"capacity": 4, "min_participants": 3})
    assert raised.status == 200, raised.body
    assert (raised.body["confirmed"], raised.body["waitlisted"], raised.body["minimum_reached"]) == (4, 1, True)
    promoted = any_system.events("enrollment_promoted")
    assert [e["participant"]["email"] for e in promoted] == ["dalyve3@savivaldybe.lt", "dalyve4@savivaldybe.lt"]
    assert {e["cause"] for e in promoted} == {"capacity_raised"}
    assert any_system.enrollment(replies[4].body["id"])["waitlist_position"] == 1
    updated = any_system.events("session_updated")
    assert len(updated) == 1 and updated[0]["changed"] == ["capacity", "min_participants"]


def test_cancelling_a_session_cancels_every_enrolment_and_tells_everyone(any_system):
    session = any_system.schedule(capacity=1)
    first = any_system.enrol(session["id"], person(1))
    second = any_system.enrol(session["id"], person(2, language="en"))
    assert_problem(any_system.post(f"/sessions/{session['id']}/cancel", {"reason": ""}), 422, field="reason")
    assert_problem(any_system.post(f"/sessions/{session['id']}/cancel", {"reason": "x"}, role="municipality:15"), 403)

    cancelled = any_system.post(f"/sessions/{session['id']}/cancel", {"reason": "Lektorius susirgo"})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert cancelled.body["confirmed"] == 0 and cancelled.body["cancel_reason"] == "Lektorius susirgo"
    told = {e["participant"]["email"]: e for e in any_system.events("enrollment_cancelled")}
    assert set(told) == {"dalyve1@savivaldybe.lt", "dalyve2@savivaldybe.lt"}
    assert told["dalyve2@savivaldybe.lt"]["previous_status"] == "waitlisted"
    assert told["dalyve1@savivaldybe.lt"]["reason"] == "session_cancelled"
    assert told["dalyve1@savivaldybe.lt"]["detail"] == "Lektorius susirgo"
    assert told["dalyve2@savivaldybe.lt"]["participant"]["language"] == "en"
    assert told["dalyve2@savivaldybe.lt"]["course_title"]["en"] == "Municipal budget planning"
    summary = any_system.events("session_cancelled")
    assert len(summary) == 1 and summary[0]["enrollments_cancelled"] == 2
    assert any_system.enrollment(first.body["id"])["status"] == "cancelled"
    assert any_system.enrollment(second.body["id"])["cancel_reason"] == "session_cancelled"

    assert_problem(any_system.enrol(session["id"], person(3)), 409, code="session_not_open")
    assert_problem(any_system.post(f"/sessions/{session['id']}/cancel", {"reason": "again"}), 409)
    assert_problem(any_system.patch(f"/sessions/{session['id']}", {"capacity": 5}), 409)


def test_a_session_calendar_file_is_public(any_system):
    session = any_system.schedule(capacity=3)
    reply = any_system.call("GET", f"/sessions/{session['id']}/calendar.ics", role=None)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/calendar")
    text = reply.body.replace("\r\n ", "")
    assert "SUMMARY:Biudžeto planavimas savivaldybėje" in text
    assert "LOCATION:Kaunas\\, Laisvės al. 96 (Kauno apskritis)" in text
    assert f"UID:session-{session['id']}@savivalda" in text and "STATUS:CONFIRMED" in text
    english = any_system.call("GET", f"/sessions/{session['id']}/calendar.ics?lang=en", role=None).body
    assert "SUMMARY:Municipal budget planning" in english
    assert session["calendar_url"].endswith(f"/enrollment/sessions/{session['id']}/calendar.ics")
    assert_problem(any_system.call("GET", "/sessions/00000000-0000-0000-0000-000000000000/calendar.ics", role=None), 404)


def test_sessions_and_upcoming_seats_are_gauges(system):
    open_one = system.schedule(capacity=2, online_capacity=1, online_url="https://meet.example.lt/x",
                               course={"format": "hybrid"})
    for n in range(1, 4):
        system.enrol(open_one["id"], person(n, attendance_mode="in_person"))
    cancelled = system.schedule(capacity=5)
    system.post(f"/sessions/{cancelled['id']}/cancel", {"reason": "per mažai dalyvių"})
    system.wait_until(lambda: metric_value(http("GET", f"{system.ops_url}/metrics").body,
                                           "savivalda_enrollment_sessions", status="cancelled") == 1, timeout=5,
                      message="the gauges to catch up")
    text = http("GET", f"{system.ops_url}/metrics").body
    sessions = {s: metric_value(text, "savivalda_enrollment_sessions", status=s)
                for s in ("scheduled", "cancelled", "completed")}
    assert sessions == {"scheduled": 1, "cancelled": 1, "completed": 0}
    seats = {s: metric_value(text, "savivalda_enrollment_upcoming_seats", state=s)
             for s in ("capacity", "confirmed", "offered", "waitlisted")}
    assert seats == {"capacity": 3, "confirmed": 2, "offered": 0, "waitlisted": 1}


def test_the_openapi_document_describes_every_route_with_its_media_types(system):
    from openapi_spec_validator import validate

    document = http("GET", f"{system.base_url}/enrollment/openapi.json").body
    validate(document)
    paths = document["paths"]
    assert len(paths) >= 25
    assert set(paths["/enrollment/hours"]["get"]["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert set(paths["/enrollment/sessions/{session_id}/calendar.ics"]["get"]["responses"]["200"]["content"]) == {
        "text/calendar"}
    assert paths["/enrollment/certificates/verify"]["get"]["security"] == []  # public: overrides the bearer default
    enrol = paths["/enrollment/sessions/{session_id}/enrollments"]["post"]
    assert "Idempotency-Key" in enrol["description"] and {"201", "403", "404", "409", "422"} <= set(enrol["responses"])
    # completing a session answers the session's completion figures, not a learning-system completion
    schemas = document["components"]["schemas"]

    def answer(path: str, method: str) -> dict:
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        schema = schema.get("items", schema)
        return schemas[schema["$ref"].rsplit("/", 1)[-1]]

    assert "certificates_issued" in answer("/enrollment/sessions/{session_id}/complete", "post")["properties"]
    assert "learning_system" in answer("/enrollment/learning-completions", "get")["properties"]
