"""Issue 13's HIGH finding, recipient takeover (failed before the fix): notifications find people by
e-mail, so a municipality must not create or change a recipient who is not its own."""

from tests.support import http


def _register(system, body, token):
    return http("POST", f"{system.base_url}/notifications/recipients", body, token=token)


def _stored(system, recipient_id):
    reply = http("GET", f"{system.base_url}/notifications/recipients/{recipient_id}", token=system.token())
    assert reply.status == 200, reply.body
    return reply.body


def test_a_municipality_cannot_take_over_a_person_the_centre_registered(embedded):
    staff, kaunas = embedded.token(), embedded.token("municipality:15", subject="ruta@kaunas.lt")
    consultant = _register(embedded, {"email": "Jonas.Jonaitis@lsa.lt", "name": "Jonas Jonaitis", "language": "en",
                                      "channels": ["email"]}, staff)
    assert consultant.status == 201 and consultant.body["municipality_code"] is None
    before = _stored(embedded, consultant.body["id"])

    attack = {"email": "jonas.jonaitis@LSA.lt", "name": "Attacker", "municipality_code": "15",
              "channels": ["email"], "opt_out_categories": ["grants"], "roles": ["eu_projects_coordinator"]}
    refused = _register(embedded, attack, kaunas)
    assert refused.status == 403, refused.body
    assert [e["field"] for e in refused.body["errors"]] == ["email"]
    assert "webhook_secret" not in refused.body and "Jonaitis" not in str(refused.body)
    assert _stored(embedded, consultant.body["id"]) == before
    # Not through the recipient's id either: a centre's recipient is not found for a municipality.
    for method, path, body in (("GET", "", None), ("PUT", "/preferences", {"channels": ["email"]}),
                               ("POST", "/webhook-secret", None)):
        reply = http(method, f"{embedded.base_url}/notifications/recipients/{consultant.body['id']}{path}", body,
                     token=kaunas)
        assert reply.status == 404, (method, path, reply.body)
    assert _stored(embedded, consultant.body["id"]) == before
    # Staff still change the centre's people.
    assert _register(embedded, {"email": "jonas.jonaitis@lsa.lt", "name": "Jonas J.", "language": "en"},
                     staff).status == 200


def test_a_municipality_cannot_take_over_another_municipalitys_recipient(embedded):
    vilnius = embedded.token("municipality:57")
    theirs = _register(embedded, {"email": "v@vilnius.lt", "name": "Vilnietė", "municipality_code": "57"}, vilnius)
    assert theirs.status == 201
    refused = _register(embedded, {"email": "V@vilnius.lt", "name": "X", "municipality_code": "15"},
                        embedded.token("municipality:15"))
    assert refused.status == 403 and "Vilnietė" not in str(refused.body)
    assert _stored(embedded, theirs.body["id"])["name"] == "Vilnietė"


def test_a_person_known_from_events_is_not_moved_to_the_municipality_that_names_them(embedded):
    """An event names whoever its sender typed in: a Vilnius person Kaunas enrols under code 15
    stays Vilnius' recipient, so Kaunas cannot then change them."""
    staff, kaunas = embedded.token(), embedded.token("municipality:15")
    base = f"{embedded.base_url}/enrollment"
    course = http("POST", f"{base}/courses", {
        "title": {"lt": "Kursas", "en": "Course"}, "themes": ["budgeting"], "audience": ["officials"],
        "duration_hours": 2, "format": "online"}, token=staff).body
    from tests.enrollment.helpers import session_body

    sessions = [http("POST", f"{base}/courses/{course['id']}/sessions",
                     session_body(5, venue=None, region="VL", online_url="https://meet.example.lt/x"),
                     token=staff).body for _ in range(2)]
    person = {"name": "Aistė", "email": "aiste@vilnius.lt", "language": "lt"}
    assert http("POST", f"{base}/sessions/{sessions[0]['id']}/enrollments", {**person, "municipality_code": "57"},
                token=embedded.token("municipality:57")).status == 201

    def known():
        rows = http("GET", f"{embedded.base_url}/notifications/recipients?municipality_code=57", token=staff).body
        return [r for r in rows if r["email"] == "aiste@vilnius.lt"]

    recipient = embedded.wait_until(known, message="the participant to be known from the event")[0]
    assert http("POST", f"{base}/sessions/{sessions[1]['id']}/enrollments", {**person, "municipality_code": "15"},
                token=kaunas).status == 201
    embedded.wait_until(lambda: len(http("GET", f"{embedded.base_url}/notifications/deliveries?event_type="
                                                "enrollment.enrollment_confirmed", token=staff).body) >= 2,
                        message="both confirmations to be told")
    assert _stored(embedded, recipient["id"])["municipality_code"] == "57"
    refused = _register(embedded, {**person, "municipality_code": "15", "channels": ["email"]}, kaunas)
    assert refused.status == 403, refused.body
