"""Bad input on every partners endpoint: problem+json naming the field at fault (or the right
status for a wrong id, role or state), and nothing changed in the service's tables or outbox."""

import uuid
from datetime import date, timedelta

from tests.partners.helpers import HORDALAND, KAUNAS_PROFILE, REYKJAVIK, SWEDISH, created, key_of, request_body
from tests.support import http

PROBLEM = "application/problem+json"
UNKNOWN = str(uuid.uuid4())
TODAY = date.today()


def setup_world(partners) -> dict:
    """A request with a proposal, a pending and an established introduction, a partnership and a
    completed one: something for every endpoint to refuse to change."""
    ids = {"hordaland": partners.profile(HORDALAND)["id"], "reykjavik": partners.profile(REYKJAVIK)["id"],
           "swedish": partners.profile(SWEDISH)["id"],
           "kaunas": partners.profile(KAUNAS_PROFILE, token=partners.kaunas)["id"]}
    ids["request"] = created(partners.post("/requests", request_body(), token=partners.kaunas))["id"]
    vilnius = created(partners.post("/requests", request_body(municipality_code="57", requester=None)))
    ids["vilnius_request"] = vilnius["id"]
    established = created(partners.post(f"/requests/{ids['request']}/introductions",
                                        {"organisation_id": ids["hordaland"]}, token=partners.kaunas))
    reply = partners.post(f"/introductions/{established['id']}/answers", {"side": "candidate", "answer": "accepted"})
    ids["introduction"], ids["partnership"] = established["id"], reply.body["partnership_id"]
    pending = created(partners.post(f"/requests/{ids['vilnius_request']}/introductions",
                                    {"organisation_id": ids["reykjavik"]}))
    ids["pending"] = pending["id"]
    sent = partners.db.events("partners.introduction_sent")[-1]["data"]
    ids["answer_key"] = key_of(sent["candidate_answer_url"])
    proposed = [e["data"] for e in partners.db.events("partners.matches_proposed")
                if e["data"]["partner_request_id"] == ids["request"]]
    ids["choice_key"] = key_of(proposed[0]["choose_url"])
    # a second partnership, completed
    other = created(partners.post("/requests", request_body(municipality_code="57", requester=None,
                                                            title={"lt": "Kitas"})))
    intro = created(partners.post(f"/requests/{other['id']}/introductions", {"organisation_id": ids["hordaland"]}))
    partners.post(f"/introductions/{intro['id']}/answers", {"side": "requester", "answer": "accepted"})
    done = partners.post(f"/introductions/{intro['id']}/answers", {"side": "candidate", "answer": "accepted"})
    ids["completed"] = done.body["partnership_id"]
    assert partners.post(f"/partnerships/{ids['completed']}/completion", None).status == 200
    return ids


def visit(**changes) -> dict:
    body = {"direction": "to_partner", "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat(), "place": "Bergen",
            "country": "NO", "participants": [{"name": "Dalyvis"}]}
    body.update(changes)
    return body


# (method, path, body or raw bytes, token: staff | kaunas | vilnius | none, status, field or problem code)
CASES = [
    # organisation profiles
    ("POST", "/organisations", b'{"name": "x"', "staff", 400, "malformed_json"),
    ("POST", "/organisations", dict(HORDALAND, country="Norway"), "staff", 422, "country"),
    ("POST", "/organisations", dict(HORDALAND, themes=["astrology"]), "staff", 422, "themes"),
    ("POST", "/organisations", dict(HORDALAND, themes=[]), "staff", 422, "themes"),
    ("POST", "/organisations", dict(HORDALAND, organisation_type="castle"), "staff", 422, "organisation_type"),
    ("POST", "/organisations", dict(HORDALAND, capacity=0), "staff", 422, "capacity"),
    ("POST", "/organisations", dict(HORDALAND, contact_email="kari at hordaland"), "staff", 422, "contact_email"),
    ("POST", "/organisations", dict(HORDALAND, contact_language="no"), "staff", 422, "contact_language"),
    ("POST", "/organisations", dict(HORDALAND, colour="blue"), "staff", 422, "colour"),
    ("POST", "/organisations", dict(HORDALAND, past_cooperation=[{"partner": ""}]), "staff", 422,
     "past_cooperation.0.partner"),
    ("POST", "/organisations", dict(HORDALAND, municipality_code="16"), "staff", 422, "municipality_code"),
    ("POST", "/organisations", dict(KAUNAS_PROFILE, municipality_code=None), "staff", 422, "municipality_code"),
    ("POST", "/organisations", dict(KAUNAS_PROFILE, municipality_code="99"), "staff", 422, "municipality_code"),
    ("POST", "/organisations", dict(KAUNAS_PROFILE, region=None), "staff", 422, "region"),
    ("POST", "/organisations", KAUNAS_PROFILE, "staff", 409, "municipality_code"),
    ("POST", "/organisations", dict(KAUNAS_PROFILE, municipality_code="57"), "kaunas", 403, "municipality_code"),
    ("POST", "/organisations", HORDALAND, "kaunas", 403, "municipality_code"),
    ("POST", "/organisations/examples", None, "kaunas", 403, None),
    ("GET", "/organisations?country=Norway", None, "staff", 422, "country"),
    ("GET", "/organisations?theme=astrology", None, "staff", 422, "theme"),
    ("GET", "/organisations?organisation_type=castle", None, "staff", 422, "organisation_type"),
    ("GET", "/organisations?limit=0", None, "staff", 422, "limit"),
    ("GET", "/organisations?offset=-1", None, "staff", 422, "offset"),
    ("GET", "/organisations?colour=red", None, "staff", 422, "colour"),
    ("GET", "/organisations", None, "none", 401, None),
    ("GET", f"/organisations/{UNKNOWN}", None, "staff", 404, None),
    ("GET", "/organisations/not-a-uuid", None, "staff", 404, None),
    ("PUT", "/organisations/{hordaland}", dict(HORDALAND, capacity="two"), "staff", 422, "capacity"),
    ("PUT", "/organisations/{hordaland}", dict(HORDALAND, capacity=0), "staff", 422, "capacity"),
    ("PUT", "/organisations/{hordaland}", HORDALAND, "kaunas", 403, "municipality_code"),
    ("PUT", "/organisations/{kaunas}", dict(KAUNAS_PROFILE, municipality_code="57"), "kaunas", 403,
     "municipality_code"),
    ("PUT", f"/organisations/{UNKNOWN}", HORDALAND, "staff", 404, None),
    ("POST", "/organisations/{hordaland}/renewal", None, "kaunas", 404, None),  # not its profile: as unknown
    ("POST", f"/organisations/{UNKNOWN}/renewal", None, "staff", 404, None),
    ("GET", "/renewals?key=short", None, "none", 422, "key"),
    ("GET", "/renewals", None, "none", 422, "key"),
    ("GET", "/renewals?key=" + "x" * 43, None, "none", 404, None),
    ("POST", "/renewals", {"key": "x" * 43}, "none", 404, None),
    ("POST", "/renewals", {}, "none", 422, "key"),
    # requests and matching
    ("POST", "/requests", request_body(themes=[]), "kaunas", 422, "themes"),
    ("POST", "/requests", request_body(countries=["Norway"]), "kaunas", 422, "countries.0"),
    ("POST", "/requests", request_body(languages=["norsk"]), "kaunas", 422, "languages.0"),
    ("POST", "/requests", request_body(organisation_types=["castle"]), "kaunas", 422, "organisation_types"),
    ("POST", "/requests", request_body(deadline=(TODAY - timedelta(days=1)).isoformat()), "kaunas", 422, "deadline"),
    ("POST", "/requests", request_body(deadline="soon"), "kaunas", 422, "deadline"),
    ("POST", "/requests", request_body(municipality_code="99"), "staff", 422, "municipality_code"),
    ("POST", "/requests", request_body(municipality_code="57"), "kaunas", 403, "municipality_code"),
    ("POST", "/requests", request_body(requester={"name": "Ona", "email": "ona"}), "kaunas", 422, "requester.email"),
    ("POST", "/requests", request_body(preferred_size=0), "kaunas", 422, "preferred_size"),
    ("POST", "/requests", request_body(title={"en": "no Lithuanian"}), "kaunas", 422, "title.lt"),
    ("GET", "/requests?limit=1000", None, "staff", 422, "limit"),
    ("GET", "/requests", None, "operator", 403, None),
    ("GET", f"/requests/{UNKNOWN}", None, "staff", 404, None),
    ("GET", "/requests/{vilnius_request}", None, "kaunas", 404, None),
    ("GET", "/requests/{request}/ranking?limit=1000", None, "staff", 422, "limit"),
    ("GET", "/requests/{request}/ranking?limit=many", None, "staff", 422, "limit"),
    ("GET", "/requests/{vilnius_request}/ranking", None, "kaunas", 404, None),
    ("GET", f"/requests/{UNKNOWN}/ranking", None, "staff", 404, None),
    ("GET", f"/requests/{{request}}/candidates/{UNKNOWN}", None, "staff", 404, None),
    ("GET", "/requests/{vilnius_request}/candidates/{hordaland}", None, "kaunas", 404, None),
    ("POST", f"/requests/{UNKNOWN}/proposals", None, "staff", 404, None),
    ("POST", "/requests/{vilnius_request}/proposals", None, "kaunas", 404, None),
    # introductions
    ("POST", "/requests/{request}/introductions", {"organisation_id": "x"}, "kaunas", 422, "organisation_id"),
    ("POST", "/requests/{request}/introductions", {}, "kaunas", 422, "organisation_id"),
    ("POST", "/requests/{request}/introductions", {"organisation_id": UNKNOWN}, "kaunas", 404, None),
    ("POST", "/requests/{request}/introductions", {"organisation_id": "{swedish}"}, "kaunas", 422,
     "organisation_id"),
    ("POST", "/requests/{request}/introductions", {"organisation_id": "{hordaland}"}, "kaunas", 422,
     "organisation_id"),
    ("POST", "/requests/{request}/introductions", {"organisation_id": "{kaunas}"}, "kaunas", 422, "organisation_id"),
    ("POST", "/requests/{request}/introductions",
     {"organisation_id": "{reykjavik}", "answer_by": (TODAY + timedelta(days=400)).isoformat()}, "kaunas", 422,
     "answer_by"),
    ("POST", "/requests/{request}/introductions",
     {"organisation_id": "{reykjavik}", "answer_by": (TODAY - timedelta(days=1)).isoformat()}, "kaunas", 422,
     "answer_by"),
    ("POST", "/requests/{request}/introductions", {"organisation_id": "{reykjavik}", "message": "x" * 2001},
     "kaunas", 422, "message"),
    ("POST", "/requests/{vilnius_request}/introductions", {"organisation_id": "{reykjavik}"}, "kaunas", 404,
     None),
    ("GET", f"/requests/{UNKNOWN}/introductions", None, "staff", 404, None),
    ("GET", f"/introductions/{UNKNOWN}", None, "staff", 404, None),
    ("GET", "/introductions/{pending}", None, "kaunas", 404, None),
    ("POST", "/introductions/{pending}/answers", {"side": "both", "answer": "accepted"}, "staff", 422, "side"),
    ("POST", "/introductions/{pending}/answers", {"side": "candidate", "answer": "maybe"}, "staff", 422, "answer"),
    ("POST", "/introductions/{pending}/answers", {"side": "requester", "answer": "accepted"}, "kaunas", 404,
     None),
    ("POST", "/introductions/{introduction}/answers", {"side": "candidate", "answer": "declined"}, "staff", 409,
     "answer"),
    ("POST", f"/introductions/{UNKNOWN}/answers", {"side": "candidate", "answer": "accepted"}, "staff", 404, None),
    ("GET", "/answers?key=short", None, "none", 422, "key"),
    ("GET", "/answers?key=" + "y" * 43, None, "none", 404, None),
    ("POST", "/answers", {"key": "{answer_key}", "answer": "maybe"}, "none", 422, "answer"),
    ("POST", "/answers", {"key": "y" * 43, "answer": "accepted"}, "none", 404, None),
    ("POST", "/answers", {"answer": "accepted"}, "none", 422, "key"),
    # the introduction page's form (services/partners/pages.py): a form, not JSON
    ("POST", "/answers/form", {"key": "{answer_key}", "answer": "accepted"}, "none", 415, "unsupported_media_type"),
    ("GET", "/answers?key={answer_key}&lang=de", None, "none", 422, "lang"),
    # the requester's choice page (services/partners/pages.py): its key only, forms not JSON
    ("GET", "/choices?key=short", None, "none", 422, "key"),
    ("GET", "/choices", None, "none", 422, "key"),
    ("GET", "/choices?key=" + "z" * 43, None, "none", 404, None),
    ("GET", "/choices?key={answer_key}", None, "none", 404, None),  # another purpose's key opens nothing here
    ("GET", "/choices?key={choice_key}&done=maybe", None, "none", 422, "done"),
    ("POST", "/choices/introductions", {"key": "{choice_key}", "organisation_id": "{reykjavik}"}, "none", 415,
     "unsupported_media_type"),
    ("POST", "/choices/proposals", {"key": "{choice_key}"}, "none", 415, "unsupported_media_type"),
    # partnerships
    ("GET", "/partnerships?request_id=x", None, "staff", 422, "request_id"),
    ("GET", f"/partnerships/{UNKNOWN}", None, "staff", 404, None),
    ("GET", "/partnerships/{completed}", None, "kaunas", 404, None),
    ("POST", "/partnerships/{partnership}/letters-of-intent",
     {"issued_by": "mayor", "signed_on": TODAY.isoformat(), "reference": "L-1"}, "kaunas", 422, "issued_by"),
    ("POST", "/partnerships/{partnership}/letters-of-intent",
     {"issued_by": "partner", "signed_on": "yesterday", "reference": "L-1"}, "kaunas", 422, "signed_on"),
    ("POST", "/partnerships/{partnership}/letters-of-intent",
     {"issued_by": "partner", "signed_on": TODAY.isoformat(), "reference": ""}, "kaunas", 422, "reference"),
    ("POST", "/partnerships/{partnership}/letters-of-intent",
     {"issued_by": "partner", "signed_on": (TODAY - timedelta(days=800)).isoformat(), "reference": "L-1"}, "kaunas",
     422, "signed_on"),
    ("POST", "/partnerships/{completed}/letters-of-intent",
     {"issued_by": "partner", "signed_on": TODAY.isoformat(), "reference": "L-1"}, "staff", 409, "status"),
    ("POST", f"/partnerships/{UNKNOWN}/letters-of-intent",
     {"issued_by": "partner", "signed_on": TODAY.isoformat(), "reference": "L-1"}, "staff", 404, None),
    ("POST", "/partnerships/{partnership}/visits", visit(ends_on=(TODAY - timedelta(days=1)).isoformat()), "kaunas",
     422, "ends_on"),
    ("POST", "/partnerships/{partnership}/visits", visit(direction="sideways"), "kaunas", 422, "direction"),
    ("POST", "/partnerships/{partnership}/visits", visit(direction="to_lithuania"), "kaunas", 422, "country"),
    ("POST", "/partnerships/{partnership}/visits", visit(country="LT"), "kaunas", 422, "country"),
    ("POST", "/partnerships/{partnership}/visits", visit(participants=[]), "kaunas", 422, "participants"),
    ("POST", "/partnerships/{partnership}/visits", visit(participants=[{"name": "A", "email": "a@"}]), "kaunas", 422,
     "participants.0.email"),
    ("POST", "/partnerships/{partnership}/visits",
     visit(starts_on=(TODAY - timedelta(days=30)).isoformat(), ends_on=(TODAY - timedelta(days=29)).isoformat()),
     "kaunas", 422, "ends_on"),
    ("POST", "/partnerships/{completed}/visits", visit(), "kaunas", 404, None),
    ("POST", f"/partnerships/{UNKNOWN}/visits", visit(), "staff", 404, None),
    ("POST", "/partnerships/{completed}/completion", None, "staff", 409, "status"),
    ("POST", f"/partnerships/{UNKNOWN}/completion", None, "staff", 404, None),
    # the report
    ("GET", "/reports/partnerships?year=1800", None, "staff", 422, "year"),
    ("GET", "/reports/partnerships?country=norway", None, "staff", 422, "country"),
    ("GET", "/reports/partnerships", None, "kaunas", 403, None),
]


def test_bad_input_on_every_endpoint_is_refused_naming_the_field_and_changes_nothing(partners, embedded):
    ids = setup_world(partners)
    tokens = {"staff": partners.staff, "kaunas": partners.kaunas, "operator": embedded.token("operator"), "none": None}
    embedded.wait_until(lambda: partners.db.unpublished() == 0, message="the outbox to be published")
    before = partners.db.business_snapshot()
    failures = []
    for method, path, body, who, status, field in CASES:
        path = path.format(**ids)
        raw = None
        if isinstance(body, bytes):
            body, raw = None, body
        elif isinstance(body, dict):
            body = {k: v.format(**ids) if isinstance(v, str) and "{" in v else v for k, v in body.items()}
        reply = http(method, f"{embedded.base_url}/partners{path}", body, raw=raw, token=tokens[who],
                     headers={"Content-Type": "application/json"} if raw else None)
        problem = reply.body if isinstance(reply.body, dict) else {}
        fields = [e["field"] for e in problem.get("errors", [])]
        ok = (reply.status == status and reply.headers.get("Content-Type", "").startswith(PROBLEM)
              and problem.get("status") == status)
        if field and ok:
            ok = field in fields or problem.get("type", "").endswith(f":{field}")
        if not ok:
            failures.append((method, path, who, status, field, reply.status, problem))
    assert failures == []
    assert partners.db.business_snapshot() == before


def test_every_route_is_covered_by_a_bad_input_case(embedded):
    document = http("GET", f"{embedded.base_url}/partners/openapi.json").body
    covered = {(method, _template(path)) for method, path, *_ in CASES}
    routes = {(method.upper(), _template(path.removeprefix("/partners")))
              for path, operations in document["paths"].items() for method in operations}
    assert routes - covered == set()


def _template(path: str) -> str:
    import re

    path = path.split("?")[0].replace(UNKNOWN, "{id}").replace("not-a-uuid", "{id}")
    return re.sub(r"\{[a-z_]+\}", "{id}", path)
