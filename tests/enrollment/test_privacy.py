"""A person asks to be forgotten: `savivalda privacy erase` → privacy.erasure_requested → the
enrollment service erases or pseudonymises everything it holds about them, keeps anonymous counts,
and answers with enrollment.person_erased (counts only)."""

from shared.auth import issue_token
from tests.enrollment.helpers import assert_problem, future, person
from tests.support import run_cli

EMAIL = "Ona.Petraitiene@Kaunas.lt"
NAME = "Ona Petraitienė"
POSITION = "Vyriausioji finansų specialistė"


def ona(**changes):
    return person(0, municipality="15", name=NAME, email=EMAIL, position=POSITION, **changes)


def build_history(system, coordinator_token):
    """Ona attended (and got a certificate), holds a seat with someone waiting behind her, enrolled a
    colleague as her municipality's coordinator, proposed and supported training topics, and is
    the coordinator told at the upcoming session's go/no-go date."""
    past = system.schedule(capacity=3)
    done = system.enrol(past["id"], ona()).body
    system.enrol(past["id"], person(5))
    system.start_session_now(past["id"])
    system.put(f"/enrollments/{done['id']}/attendance", {"attendance": "attended"})
    system.post(f"/sessions/{past['id']}/complete", {"mark_unmarked_absent": True})
    # Her feedback on it names her (answers are kept with no person; erasure clears her name from the text).
    system.call("POST", done["manage_url"].split("/enrollment", 1)[1] + "/feedback", {"answers": {
        "overall": 5, "usefulness": 5, "trainer": 4, "organisation": 4,
        "comment": f"{NAME}: daugiau pavyzdžių, prašau. Rašykite {EMAIL}"}}, role=None)

    trainer = system.post("/trainers", {"name": NAME, "email": EMAIL}).body  # she teaches it too
    upcoming = system.schedule(capacity=1, min_participants=1, go_no_go_at=future(10),
                               coordinator={"name": NAME, "email": EMAIL}, trainer_id=trainer["id"])
    group = system.post("/working-groups", {"name": {"lt": "Miestų administratorių grupė"},  # she chairs it
                                            "purpose": {"lt": "Administratoriaus pareigybės profesionalizavimas"},
                                            "themes": ["personnel_management"]}).body
    system.post(f"/working-groups/{group['id']}/members", {"name": NAME, "email": EMAIL, "position": POSITION,
                                                           "municipality_code": "15", "role": "chair"})
    system.post(f"/working-groups/{group['id']}/meetings", {
        "starts_at": future(5), "ends_at": future(5.1), "venue": "Kaunas", "agenda": ["Pareigybės aprašas"]})
    seat = system.enrol(upcoming["id"], ona()).body
    behind = system.enrol(upcoming["id"], person(2)).body
    colleague = system.enrol(upcoming["id"], person(3), token=coordinator_token,
                             headers={"Idempotency-Key": "ona-1"}).body
    need = system.post("/training-needs", {"theme": "budgeting", "region": "KU", "municipality_code": "15",
                                           "description": "Biudžeto programų vertinimas"}, token=coordinator_token)
    other = system.post("/training-needs", {"theme": "education", "region": "KU", "municipality_code": "16",
                                            "description": "Mokyklų tinklo pertvarka"}, role="municipality:16").body
    system.post(f"/training-needs/{other['id']}/support", {"municipality_code": "15"}, token=coordinator_token)
    assert need.status == 201
    return past, upcoming, done, seat, behind, colleague


def test_erasure_removes_every_personal_field_and_keeps_anonymous_counts(system):
    coordinator = issue_token(system.settings.auth_secret, subject=EMAIL.lower(), role="municipality:15")
    past, upcoming, done, seat, behind, colleague = build_history(system, coordinator)
    (certificate,) = system.get(f"/certificates?session_id={past['id']}").body
    report_before = system.get("/reports/summary").body["total"]
    assert NAME.lower() in system.texts() and EMAIL.lower() in system.texts()

    erased = run_cli("--data-dir", str(system.settings.data_dir), "privacy", "erase", EMAIL, "--requested-by", "dpo")
    assert erased.returncode == 0, erased.stderr
    answer = system.wait_until(lambda: system.events("person_erased"), timeout=15, message="enrollment.person_erased")
    removed = answer[0]["removed"]
    assert removed == {"enrollments": 2, "open_enrollments_cancelled": 1, "certificates": 1, "training_needs": 1,
                       "supports": 1, "authored_enrollments": 1, "idempotency_keys": 1, "dead_letters": 0,
                       "learning_completions": 0, "session_coordinators": 1, "trainers": 1, "working_group_members": 1,
                       "invoice_authors": 0,
                       "feedback_comments": 1,
                       "events": removed["events"]}
    assert removed["events"] >= 5  # confirmations, attendance, certificate, the request itself...
    assert set(answer[0]) == {"request_id", "removed"}

    everything = system.texts()
    for personal in (EMAIL, NAME, POSITION, "petraitien"):
        assert personal.lower() not in everything, personal

    # Her seat went to the next person in line, and the figures still count her, anonymously.
    assert system.enrollment(behind["id"])["status"] == "confirmed"
    assert system.get("/reports/summary").body["total"] == report_before
    assert system.public(certificate["verify_url"]).body["holder_name"] == "(erased)"
    assert_problem(system.public(seat["manage_url"]), 404)
    assert system.enrollment(colleague["id"])["name"] == "Dalyvė Nr. 3"  # the colleague is not erased
    assert system.get("/hours?email=" + EMAIL).body == []
