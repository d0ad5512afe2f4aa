"""The HTTP layer on the embedded default: validation, auth, problem+json, and that bad input
changes nothing."""

import uuid

from openapi_spec_validator import validate

from tests.service.helpers import COURSE, create_session, enrol, person, session_body
from tests.support import http

PROBLEM = "application/problem+json"


def courses(embedded):
    return http("GET", f"{embedded.base_url}/enrollment/courses", token=embedded.token()).body


def assert_problem(reply, status, field=None):
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith(PROBLEM)
    assert reply.body["status"] == status and reply.body["title"]
    assert reply.body["correlation_id"] == reply.headers["X-Correlation-ID"]
    if field:
        fields = [e["field"] for e in reply.body.get("errors", [])]
        assert field in fields, fields


def test_malformed_json_is_a_400_and_creates_nothing(embedded):
    reply = http("POST", f"{embedded.base_url}/enrollment/courses", raw=b'{"title": {"lt": "x"',
                 headers={"Content-Type": "application/json"}, token=embedded.token())
    assert_problem(reply, 400)
    assert reply.body["type"] == "urn:savivalda:problem:malformed_json"
    assert courses(embedded) == []


def test_wrong_types_and_unknown_fields_are_422_naming_each_field(embedded):
    body = dict(COURSE, duration_hours="a whole day", colour="blue", themes=["budgeting", "astrology"])
    reply = http("POST", f"{embedded.base_url}/enrollment/courses", body, token=embedded.token())
    assert_problem(reply, 422)
    fields = {e["field"] for e in reply.body["errors"]}
    assert {"duration_hours", "colour", "themes"} <= fields
    assert all(e["location"] == "body" for e in reply.body["errors"])
    nested = http("POST", f"{embedded.base_url}/enrollment/courses", dict(COURSE, title={"en": "no Lithuanian"}),
                  token=embedded.token())
    assert_problem(nested, 422, field="title.lt")
    assert courses(embedded) == []


def test_not_json_is_415(embedded):
    reply = http("POST", f"{embedded.base_url}/enrollment/courses", raw=b"title=x",
                 headers={"Content-Type": "application/x-www-form-urlencoded"}, token=embedded.token())
    assert_problem(reply, 415)


def test_missing_expired_and_forged_tokens_are_401(embedded):
    url = f"{embedded.base_url}/enrollment/courses"
    missing = http("GET", url)
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    expired = http("GET", url, token=embedded.token(ttl_seconds=-10))
    assert_problem(expired, 401)
    assert "expired" in expired.body["detail"]
    from shared.auth import issue_token

    forged = issue_token("someone-elses-secret-Kx9vQ2mLp7Zr4Tn8Vb3Kd6", subject="x", role="staff")
    assert_problem(http("GET", url, token=forged), 401)
    assert_problem(http("GET", url, headers={"Authorization": "Basic c3RhZmY6c3RhZmY="}), 401)


def test_roles_are_enforced(embedded):
    kaunas = embedded.token("municipality:15")
    reply = http("POST", f"{embedded.base_url}/enrollment/courses", COURSE, token=kaunas)
    assert_problem(reply, 403)
    assert courses(embedded) == []


def test_a_municipality_reaches_only_its_own_staff(embedded):
    staff = embedded.token()
    _, session_id = create_session(embedded.base_url, staff, capacity=5)
    kaunas = embedded.token("municipality:15")
    vilnius_person = person(1, municipality="57")
    refused = enrol(embedded.base_url, kaunas, session_id, vilnius_person)
    assert_problem(refused, 403, field="municipality_code")
    seats = http("GET", f"{embedded.base_url}/enrollment/sessions/{session_id}", token=staff).body
    assert seats["confirmed"] == 0 and seats["waitlisted"] == 0

    own = enrol(embedded.base_url, kaunas, session_id, person(2, municipality="15"))
    assert own.status == 201
    by_vilnius = enrol(embedded.base_url, staff, session_id, vilnius_person)
    assert by_vilnius.status == 201
    assert http("GET", f"{embedded.base_url}/enrollment/enrollments/{own.body['id']}", token=kaunas).status == 200
    assert_problem(http("GET", f"{embedded.base_url}/enrollment/enrollments/{by_vilnius.body['id']}", token=kaunas), 404)


def test_unknown_route_unknown_id_and_wrong_method(embedded):
    token = embedded.token()
    assert_problem(http("GET", f"{embedded.base_url}/enrollment/nothing-here", token=token), 404)
    assert_problem(http("GET", f"{embedded.base_url}/enrollment/courses/{uuid.uuid4()}", token=token), 404)
    wrong = http("DELETE", f"{embedded.base_url}/enrollment/courses", token=token)
    assert_problem(wrong, 405)
    assert "GET" in wrong.headers["Allow"]


def test_business_rules_are_422_naming_the_field_and_change_nothing(embedded):
    token = embedded.token()
    course_id = http("POST", f"{embedded.base_url}/enrollment/courses", COURSE, token=token).body["id"]
    body = session_body(2)
    body["ends_at"] = body["starts_at"]
    reply = http("POST", f"{embedded.base_url}/enrollment/courses/{course_id}/sessions", body, token=token)
    assert_problem(reply, 422, field="ends_at")
    online_without_link = session_body(2, venue=None)
    assert_problem(http("POST", f"{embedded.base_url}/enrollment/courses/{course_id}/sessions", online_without_link,
                        token=token), 422, field="venue")


def test_enrolling_twice_returns_the_existing_enrolment(embedded):
    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=3)
    first = enrol(embedded.base_url, token, session_id, person(1))
    again = enrol(embedded.base_url, token, session_id, dict(person(1), email="DALYVE1@savivaldybe.lt"))
    assert (first.status, again.status) == (201, 200)
    assert first.body["id"] == again.body["id"]
    assert http("GET", f"{embedded.base_url}/enrollment/sessions/{session_id}", token=token).body["confirmed"] == 1


def test_enrolment_after_the_registration_window_is_refused(embedded):
    token = embedded.token()
    from tests.service.helpers import future

    _, session_id = create_session(embedded.base_url, token, registration_opens_at=future(10),
                                   registration_closes_at=future(12))
    reply = enrol(embedded.base_url, token, session_id, person(1))
    assert_problem(reply, 422)
    assert reply.body["type"] == "urn:savivalda:problem:registration_not_open"


def test_query_parameters_are_validated(embedded):
    token = embedded.token("operator")
    url = f"{embedded.base_url}/notifications/deliveries"
    assert http("GET", f"{url}?status=sent&limit=5", token=token).status == 200
    assert_problem(http("GET", f"{url}?status=lost", token=token), 422, field="status")
    assert_problem(http("GET", f"{url}?limit=many", token=token), 422, field="limit")
    assert_problem(http("GET", f"{url}?colour=red", token=token), 422, field="colour")


def test_each_service_serves_a_valid_openapi_31_document(embedded):
    for service in ("enrollment", "grants", "partners", "notifications"):
        reply = http("GET", f"{embedded.base_url}/{service}/openapi.json")
        assert reply.status == 200
        document = reply.body
        validate(document)
        assert document["openapi"] == "3.1.0"
        assert all(path.startswith(f"/{service}/") for path in document["paths"])
    enrollment = http("GET", f"{embedded.base_url}/enrollment/openapi.json").body
    operation = enrollment["paths"]["/enrollment/sessions/{session_id}/enrollments"]["post"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("EnrollmentIn")
    # A paged list documents how to reach the next page; a single item does not.
    listing = enrollment["paths"]["/enrollment/courses"]["get"]["responses"]["200"]
    assert {"X-Next-Cursor", "Link"} <= set(listing["headers"])
    assert "headers" not in enrollment["paths"]["/enrollment/courses/{course_id}"]["get"]["responses"]["200"]


def test_health_per_service_and_for_the_process(embedded):
    for service in ("enrollment", "grants", "partners", "notifications"):
        reply = http("GET", f"{embedded.base_url}/{service}/health/ready")
        assert reply.status == 200 and reply.body["checks"][service] == {"database": "ok", "broker": "ok", "http": "ok"}
    assert http("GET", f"{embedded.ops_url}/health/ready").status == 200
    assert http("GET", f"{embedded.ops_url}/health/live").status == 200


def test_correlation_id_is_taken_from_the_request_or_made(embedded):
    given = http("GET", f"{embedded.base_url}/enrollment/courses", token=embedded.token(),
                 headers={"X-Correlation-ID": "req-42"})
    assert given.headers["X-Correlation-ID"] == "req-42"
    made = http("GET", f"{embedded.base_url}/enrollment/courses", token=embedded.token(),
                headers={"X-Correlation-ID": "bad id with spaces"})
    assert made.headers["X-Correlation-ID"] != "bad id with spaces"
    uuid.UUID(made.headers["X-Correlation-ID"])


def test_grants_and_partners_validate_too(embedded):
    token = embedded.token()
    call = {"code": "LT10-2027-01", "funder": "EEA and Norway Grants",
            "title": {"lt": "Regioninė plėtra", "en": "Regional development"}, "themes": ["regional_development"],
            "eligible_applicant_types": ["municipality"], "closes_on": "2027-03-01", "opens_on": "2027-01-10",
            "foreign_partner_required": True, "partner_countries": ["NO", "IS", "LI"], "max_funding_rate": "0.85"}
    assert http("POST", f"{embedded.base_url}/grants/calls", call, token=token).status == 201
    duplicate = http("POST", f"{embedded.base_url}/grants/calls", call, token=token)
    assert_problem(duplicate, 409)
    assert_problem(http("POST", f"{embedded.base_url}/grants/calls", dict(call, code="X", partner_countries=[]),
                        token=token), 422, field="partner_countries")
    assert_problem(http("POST", f"{embedded.base_url}/grants/calls", dict(call, code="Y", partner_countries=["Norway"]),
                        token=token), 422, field="partner_countries.0")
    assert_problem(http("POST", f"{embedded.base_url}/grants/calls", dict(call, code="Z", eligible_regions=["XX"]),
                        token=token), 422, field="eligible_regions")
    organisation = {"name": "Vestland fylkeskommune", "country": "NO", "organisation_type": "county_council",
                    "themes": ["regional_development"], "languages": ["no", "en"], "capacity": 2}
    assert http("POST", f"{embedded.base_url}/partners/organisations", organisation, token=token).status == 201
    assert_problem(http("POST", f"{embedded.base_url}/partners/organisations", dict(organisation, country="Norway"),
                        token=token), 422, field="country")
    assert len(http("GET", f"{embedded.base_url}/grants/calls", token=embedded.token("municipality:15")).body) == 1
