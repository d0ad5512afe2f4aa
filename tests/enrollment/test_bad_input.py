"""Bad input on the endpoints the other tests exercise with good input: a problem+json naming the
field (or 404 for an unknown id), and nothing changed."""

from tests.enrollment.helpers import assert_problem, person

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def test_unknown_ids_are_404(system):
    attended = {"attendance": "attended"}
    for method, path, body in (
            ("GET", f"/sessions/{UNKNOWN}", None), ("GET", f"/sessions/{UNKNOWN}/enrollments", None),
            ("GET", f"/sessions/{UNKNOWN}/waitlist", None), ("GET", f"/enrollments/{UNKNOWN}", None),
            ("POST", f"/enrollments/{UNKNOWN}/cancel", {}), ("POST", f"/enrollments/{UNKNOWN}/accept", {}),
            ("POST", f"/enrollments/{UNKNOWN}/decline", {}), ("PUT", f"/enrollments/{UNKNOWN}/attendance", attended),
            ("POST", f"/sessions/{UNKNOWN}/attendance", {"records": [{"enrollment_id": UNKNOWN, **attended}]}),
            ("POST", f"/sessions/{UNKNOWN}/complete", {}), ("PATCH", f"/sessions/{UNKNOWN}", {"capacity": 3}),
            ("POST", f"/sessions/{UNKNOWN}/cancel", {"reason": "x"}),
            ("POST", f"/training-needs/{UNKNOWN}/support", {"municipality_code": "15"}),
            ("PUT", f"/training-needs/{UNKNOWN}/status", {"status": "open"}),
            ("DELETE", f"/training-needs/{UNKNOWN}/support/15", None)):
        assert_problem(system.call(method, path, body), 404)
    assert_problem(system.call("GET", f"/self-service/{UNKNOWN}/abc", role=None), 404)


def test_bodies_and_queries_are_validated_and_change_nothing(system):
    session = system.schedule(capacity=1)
    first = system.enrol(session["id"], person(1)).body
    second = system.enrol(session["id"], person(2)).body
    cases = [
        ("POST", f"/enrollments/{first['id']}/cancel", {"reason": "x" * 1001}, "reason"),
        ("POST", f"/enrollments/{first['id']}/cancel", {"why": "x"}, "why"),
        ("POST", f"/sessions/{session['id']}/complete", {"mark_unmarked_absent": "maybe"}, "mark_unmarked_absent"),
        ("GET", f"/sessions/{session['id']}/enrollments?status=lost", None, "status"),
        ("GET", f"/sessions/{session['id']}/enrollments?municipality_code=99", None, "municipality_code"),
        ("GET", "/certificates?email=nobody", None, "email"),
        ("GET", "/certificates?session_id=not-a-uuid", None, "session_id"),
        ("GET", "/training-needs?status=done", None, "status"),
        ("GET", "/training-needs?theme=astrology", None, "theme"),
        ("GET", "/courses?format=carrier_pigeon", None, "format"),
    ]
    for method, path, body, field in cases:
        assert_problem(system.call(method, path, body), 422, field=field)
    need = system.post("/training-needs", {"theme": "budgeting", "region": "KU", "municipality_code": "15",
                                           "description": "Biudžeto programų vertinimas"}).body
    assert_problem(system.post(f"/training-needs/{need['id']}/support", {"municipality_code": "99"}), 422,
                   field="municipality_code")
    assert_problem(system.call("DELETE", f"/training-needs/{need['id']}/support/16"), 404)
    assert system.enrollment(first["id"])["status"] == "confirmed"
    assert system.enrollment(second["id"])["status"] == "waitlisted"
    assert system.session(session["id"])["status"] == "scheduled"
    assert system.get("/training-needs").body[0]["supporters"] == []
    assert system.events("enrollment_cancelled") == [] and system.events("training_need_supported") == []
