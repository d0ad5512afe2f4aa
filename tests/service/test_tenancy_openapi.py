"""Cross-tenant test derived from each service's OpenAPI document (issue 13).

Data is created for Kaunas city (15) and Vilnius city (57) in every service; then every operation
of every service's /openapi.json — not a hand-kept list — is called with a Vilnius token and
Kaunas' ids, filters and exports (and, for CSV exports, format=csv). Each call must answer non-2xx
or carry none of Kaunas' data, and change nothing in any service's database (every business row
and the outbox, compared before and after). Operations that key an existing record by a body field
(`x-tenancy` kind `identity`, e.g. an e-mail) are also tried with Vilnius' own code and Kaunas'
key. Runs on the embedded default and on RabbitMQ + PostgreSQL (one process per service).

What the test needs from a new route: its `x-tenancy` (the route cannot start without one when
municipality tokens may call it) and, if it takes a body and municipality tokens may call it, a
sample body here (SAMPLES, by schema name) — the test fails naming the schema otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from shared.reference import MUNICIPALITIES
from tests.enrollment.helpers import COURSE, person, session_body
from tests.grants.documents_support import PDF, multipart
from tests.grants.helpers import application_body, call_body, day
from tests.partners.helpers import HORDALAND, KAUNAS_PROFILE, request_body
from tests.support import http

SERVICES = ("enrollment", "grants", "partners", "notifications")
VICTIM, ATTACKER = "15", "57"
TAGS = {VICTIM: "k15marker", ATTACKER: "v57marker"}  # in every personal or private value each one stores
INFRASTRUCTURE = {"inbox", "dead_letters", "runtime_marks", "alembic_version"}
CENTRE_KINDS = {"centre", "public"}


# ---------------------------------------------------------------- the running system, both ways

class System:
    def __init__(self, urls: dict[str, str], token, databases: dict[str, str]):
        self.urls, self.token, self.databases = urls, token, databases
        self.engines = {s: create_engine(url) for s, url in databases.items()}

    def call(self, method: str, path: str, body=None, token: str | None = None, query: dict | None = None):
        service = path.split("/")[1]
        url = self.urls[service] + path
        if query:
            import urllib.parse

            url += "?" + urllib.parse.urlencode(query, doseq=True)
        return http(method, url, body, token=token)

    def ok(self, method: str, path: str, body=None, token: str | None = None, status: int = 201) -> dict:
        reply = self.call(method, path, body, token or self.token())
        assert reply.status == status, (method, path, reply.body)
        return reply.body

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table of every service (infrastructure aside; the outbox counts: an
        event emitted is a change), as sorted text lines."""
        tables = {}
        for service, engine in self.engines.items():
            with engine.connect() as connection:
                for table in sorted(set(inspect(engine).get_table_names()) - INFRASTRUCTURE):
                    if table == "outbox":
                        rows = [f"events={connection.execute(text('SELECT count(*) FROM outbox')).scalar()}"]
                    else:
                        rows = sorted(str(tuple(r)) for r in connection.execute(text(f'SELECT * FROM "{table}"')))
                    tables[f"{service}.{table}"] = rows
        return tables

    def settled(self, timeout: float = 60) -> dict:
        """The snapshot once every outbox is published and nothing moved for a second."""
        deadline = time.monotonic() + timeout
        previous = None
        while time.monotonic() < deadline:
            pending = 0
            for engine in self.engines.values():
                with engine.connect() as connection:
                    pending += connection.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
                    if "notifications" in inspect(engine).get_table_names():
                        pending += connection.execute(text(
                            "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')")).scalar()
            current = self.snapshot()
            if pending == 0 and current == previous:
                return current
            previous = current
            time.sleep(1.0)
        raise AssertionError("the system did not settle")

    def close(self):
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.e2e)])
def system(request, tmp_path):
    quiet = {"SAVIVALDA_TIMER_INTERVAL": "3600", "SAVIVALDA_PUBLIC_RATE_LIMIT": "10000/minute"}
    if request.param == "embedded":
        request.getfixturevalue("reset_process_state")
        from tests.support import EmbeddedSystem

        embedded = EmbeddedSystem(tmp_path / "data", env=quiet)
        running = System({s: embedded.base_url for s in SERVICES}, embedded.token,
                         {s: embedded.settings.database_url(s) for s in SERVICES})
        try:
            yield running
        finally:
            running.close()
            embedded.stop()
        return
    from shared.auth import issue_token
    from tests.support import TEST_SECRET

    launcher = request.getfixturevalue("launcher")
    databases = request.getfixturevalue("pg_databases")
    processes = {s: launcher.start(s, extra_env=quiet) for s in SERVICES}  # one container per service
    running = System({s: p.base_url for s, p in processes.items()},
                     lambda role="staff", subject="tester": issue_token(TEST_SECRET, subject=subject, role=role),
                     databases)
    try:
        yield running
    finally:
        running.close()


# ---------------------------------------------------------------- two municipalities' data

def populate(system: System, shared: dict, code: str) -> dict:
    """One municipality's data in every service, made as its own coordinator would (staff where
    only the centre may act). Returns its ids by path-parameter name, plus keys for bodies."""
    tag, region = TAGS[code], MUNICIPALITIES[code].region
    own, staff = system.token(f"municipality:{code}", subject=f"coordinator.{tag}@example.lt"), system.token()
    ids: dict = {"municipality_code": code}

    # enrollment: a full session (one confirmed, one waitlisted) and a completed one with a certificate
    session = system.ok("POST", f"/enrollment/courses/{shared['course_id']}/sessions", session_body(1), staff)
    people = [person(n, code, name=f"Dalyvė {n} {tag}", email=f"dalyve{n}.{tag}@example.lt") for n in (1, 2, 3)]
    enrolled = [system.ok("POST", f"/enrollment/sessions/{session['id']}/enrollments", p, own) for p in people[:2]]
    assert [e["status"] for e in enrolled] == ["confirmed", "waitlisted"]
    held = system.ok("POST", f"/enrollment/courses/{shared['course_id']}/sessions", session_body(2), staff)
    attended = system.ok("POST", f"/enrollment/sessions/{held['id']}/enrollments", people[2], own)
    _travel_to_after(system, held["id"])
    system.ok("POST", f"/enrollment/sessions/{held['id']}/attendance",
              {"records": [{"enrollment_id": attended["id"], "attendance": "attended"}]}, staff, status=200)
    completion = system.ok("POST", f"/enrollment/sessions/{held['id']}/complete", {}, staff, status=200)
    assert completion["certificates_issued"] == 1
    certificate, = system.ok("GET", f"/enrollment/certificates?session_id={held['id']}", token=own, status=200)
    # enrollment: the attendee answers the feedback form (a tagged comment, kept with no person)
    answers = {"overall": 5, "usefulness": 4, "trainer": 5, "organisation": 4, "comment": f"Komentaras {tag}"}
    system.ok("POST", "/enrollment" + attended["manage_url"].split("/enrollment", 1)[1] + "/feedback",
              {"answers": answers}, None)
    ids["theme"] = "budgeting"  # the feedback report of a theme (the sessions its people attended)
    need = system.ok("POST", "/enrollment/training-needs", {
        "theme": "budgeting", "region": region, "description": "Biudžeto planavimo mokymai", "municipality_code": code},
        own)
    # fees: the session's invoice to the municipality (its participant's name is in its PDF and CSV)
    invoice, = system.ok("POST", f"/enrollment/sessions/{session['id']}/invoices", {}, staff)
    ids.update(invoice_id=invoice["id"])
    ids.update(session_id=session["id"], enrollment_id=enrolled[1]["id"], need_id=need["id"],
               person_email=people[0]["email"], certified_email=people[2]["email"], held_session_id=held["id"],
               certificate_id=certificate["id"], private_ids=[e["id"] for e in enrolled] + [attended["id"]]
               + [invoice["id"]])

    # enrollment: a working group of the municipality's people with a meeting (its name is public)
    group = system.ok("POST", "/enrollment/working-groups", {
        "name": {"lt": f"Darbo grupė {code}"}, "purpose": {"lt": "Įstatymo pakeitimai"}, "themes": ["budgeting"]},
        staff)
    member = system.ok("POST", f"/enrollment/working-groups/{group['id']}/members", {
        "name": f"Narė {tag}", "email": f"nare.{tag}@example.lt", "municipality_code": code, "role": "chair"}, staff)
    meeting = system.ok("POST", f"/enrollment/working-groups/{group['id']}/meetings", {
        "starts_at": f"{day(10)}T08:00:00+00:00", "ends_at": f"{day(10)}T10:00:00+00:00", "venue": "Kaunas",
        "agenda": [f"Darbotvarkė {tag}"]}, staff)
    ids.update(group_id=group["id"], member_id=member["id"], meeting_id=meeting["id"])
    ids["private_ids"] += [member["id"], meeting["id"]]

    # grants: an application with its contact person
    application = system.ok("POST", "/grants/applications", application_body(
        shared["call_id"], municipality_code=code, consultant=None,
        title={"lt": f"Projektas {tag}", "en": f"Project {tag}"},
        contact={"name": f"Rūta {tag}", "email": f"ruta.{tag}@example.lt", "language": "lt"}), own)
    ids.update(application_id=application["id"], code=application["checklist"][0]["code"])
    # grants: a file of the application's first checklist item (its name and content tagged)
    document = _upload(system, f"/grants/applications/{application['id']}/checklist/{ids['code']}/documents",
                       PDF + f"Aprašas {tag}".encode(), f"Aprašas {tag}.pdf", own)
    ids.update(document_id=document["id"])
    ids["private_ids"].append(document["id"])
    ids.update(project_number="LT10-0006")  # enrollment's training report of a funded project (aggregate counts)
    # grants: a consulting engagement, agreed with a deliverable (the centre's consultant)
    engagement = system.ok("POST", "/grants/engagements", {
        "municipality_code": code, "theme": "public_service_quality", "title": f"Studija {tag}",
        "description": f"Organizacijos plėtros studija {tag}",
        "contact": {"name": f"Rūta {tag}", "email": f"ruta.e.{tag}@example.lt", "language": "lt"}}, own)
    engagement = system.ok("POST", f"/grants/engagements/{engagement['id']}/agreement", {
        "scope": f"Apimtis {tag}", "consultant": {"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt"},
        "deliverables": [{"title": f"Ataskaita {tag}", "due_on": day(30)}]}, staff, status=200)
    ids.update(engagement_id=engagement["id"], deliverable_id=engagement["deliverables"][0]["id"])
    ids["private_ids"].append(engagement["id"])
    ids["private_ids"].append(application["id"])

    # partners: the municipality's profile, a partner request, an introduction and a partnership
    profile = system.ok("POST", "/partners/organisations", {
        **KAUNAS_PROFILE, "name": f"Savivaldybė {code}", "municipality_code": code, "region": region,
        "contact_name": f"Ona {tag}", "contact_email": f"ona.{tag}@example.lt"}, own)
    partner_request = system.ok("POST", "/partners/requests", request_body(
        municipality_code=code, title={"lt": f"Partnerystė {tag}", "en": f"Partnership {tag}"},
        requester={"name": f"Ona {tag}", "email": f"ona.r.{tag}@example.lt", "language": "lt"}), own)
    introduction = system.ok("POST", f"/partners/requests/{partner_request['id']}/introductions",
                             {"organisation_id": shared["organisation_id"]}, own)
    system.ok("POST", f"/partners/introductions/{introduction['id']}/answers",
              {"side": "candidate", "answer": "accepted"}, staff, status=200)
    partnership = system.ok("GET", "/partners/partnerships", None, staff, status=200)
    partnership = next(p for p in partnership if p["request_id"] == partner_request["id"])
    ids.update(organisation_id=profile["id"], request_id=partner_request["id"], introduction_id=introduction["id"],
               partnership_id=partnership["id"])
    ids["private_ids"] += [partner_request["id"], introduction["id"], partnership["id"]]

    # notifications: a registered coordinator
    recipient = system.ok("POST", "/notifications/recipients", {
        "email": f"koordinatore.{tag}@example.lt", "name": f"Koordinatorė {tag}", "municipality_code": code,
        "roles": ["eu_projects_coordinator"]}, own)
    ids.update(recipient_id=recipient["id"], recipient_email=recipient["email"])
    ids["private_ids"].append(recipient["id"])
    return ids


def _upload(system: System, path: str, content: bytes, filename: str, token: str) -> dict:
    """A document uploaded as a browser's form (the documents routes take no JSON)."""
    body, content_type = multipart(content, filename)
    reply = http("POST", system.urls["grants"] + path, raw=body, token=token, headers={"Content-Type": content_type})
    assert reply.status == 201, (path, reply.body)
    return reply.body


def _travel_to_after(system: System, session_id: str) -> None:
    """The session took place (a test cannot wait for it): its times move into the past."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from services.enrollment.models import TrainingSession

    now = datetime.now(timezone.utc)
    with system.engines["enrollment"].begin() as connection:
        connection.execute(update(TrainingSession.__table__).where(TrainingSession.__table__.c.id == uuid.UUID(session_id))
                           .values(starts_at=now - timedelta(hours=7), ends_at=now - timedelta(hours=1),
                                   registration_opens_at=now - timedelta(days=10),
                                   registration_closes_at=now - timedelta(hours=7)))


def samples(victim: dict, shared: dict) -> dict:
    """A valid body per request schema, naming the victim's municipality and records."""
    code = victim["municipality_code"]
    return {
        # enrollment
        "EnrollmentIn": person(9, code, email=victim["person_email"]),
        "CancelEnrollmentIn": {"reason": "probe"},
        "SwitchModeIn": {"attendance_mode": "online"},
        "TrainingNeedIn": {"theme": "budgeting", "region": "KU", "description": "Probe of another municipality",
                           "municipality_code": code},
        "SupportIn": {"municipality_code": code},
        "IssueInvoicesIn": {"municipality_code": code},  # (staff only: 403 to a municipality token)
        "PayInvoiceIn": {"paid_on": day(0), "reference": "probe"},
        "WaiveInvoiceIn": {"reason": "probe"},
        # grants
        "ApplicationIn": application_body(shared["call_id"], municipality_code=code, consultant=None),
        "ApplicationChange": {"themes": ["anti_corruption"]},
        "ChecklistChange": {"status": "ready"},
        "ConsultationIn": {"held_on": day(0), "channel": "phone", "summary": "probe"},
        "DecisionIn": {"outcome": "rejected", "decided_on": day(0)},
        "FinalReportIn": {"final_cost_eur": "1000", "final_grant_eur": "500", "completed_on": day(0)},
        "TransitionIn": {"to": "withdrawn"},
        "ImplementationIn": {"starts_on": day(0), "ends_on": day(300)},
        "ReportSubmissionIn": {"note": "probe"},
        "PaymentClaimIn": {"amount_eur": "100", "eligible_costs_eur": "200"},
        "ClaimStatusIn": {"status": "approved"},
        "AmendmentIn": {"ends_on": day(310), "reason": "probe"},
        "PartnershipIn": {"lead": {"budget_share_eur": "60000", "own_contribution_eur": "9000"},
                          "partners": [{"municipality_code": "16", "budget_share_eur": "40000",
                                        "own_contribution_eur": "6000"}]},
        "PartnerAnswerIn": {"answer": "declined", "note": "probe"},
        "EngagementIn": {"municipality_code": code, "theme": "public_service_quality", "title": "probe",
                         "description": "probe"},
        # partners
        "OrganisationIn": {**KAUNAS_PROFILE, "name": "Probe", "municipality_code": code, "region": "KU"},
        "PartnerRequestIn": request_body(municipality_code=code),
        "IntroductionIn": {"organisation_id": shared["organisation_id"]},
        "AnswerIn": {"side": "requester", "answer": "declined"},
        "LetterIn": {"issued_by": "partner", "signed_on": day(0), "reference": "probe"},
        "VisitIn": {"direction": "to_partner", "starts_on": day(0), "ends_on": day(0), "place": "Bergen",
                    "country": "NO", "participants": [{"name": "Probe"}]},
        # notifications
        "RecipientIn": {"email": victim["recipient_email"], "name": "Probe", "municipality_code": code,
                        "channels": ["email"], "opt_out_categories": ["grants"]},
        "PreferencesIn": {"channels": ["email"], "opt_out_categories": ["grants"]},
    }


# ---------------------------------------------------------------- the operations, from OpenAPI

def operations(system: System):
    for service in SERVICES:
        document = system.call("GET", f"/{service}/openapi.json").body
        for path, items in document["paths"].items():
            for method, operation in items.items():
                yield service, method.upper(), path, operation


def query_values(operation: dict, victim: dict, shared: dict) -> list[dict]:
    """The victim's filters for the operation's query parameters: all of them, only the
    municipality, none (what an unfiltered listing shows); each also as CSV where offered."""
    known = {"municipality_code": victim["municipality_code"], "session_id": victim["held_session_id"],
             "email": victim["certified_email"], "request_id": victim["request_id"],
             "recipient_id": victim["recipient_id"], "call_id": shared["call_id"], "course_id": shared["course_id"],
             "themes": "budgeting", "total_cost_eur": "100000", "group_by": "municipality",
             "number": "LT-2026-000001", "code": "ABCD-EFGH", "key": "k" * 43, "token": "t" * 40}
    # grants' application list and workload filters (the consultants' desk): the shared call's
    known.update(funder="Norway Grants", consultant="jonas.jonaitis@lsa.lt", deadline_from=day(-1),
                 deadline_to=day(400))
    query, required = {}, {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] in known:
            query[parameter["name"]] = known[parameter["name"]]
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = "probe"
        if parameter["in"] == "query" and parameter.get("required"):
            required[parameter["name"]] = query[parameter["name"]]
    variants = [query]
    if "municipality_code" in query:
        variants.append({**required, "municipality_code": query["municipality_code"]})
    if set(query) - set(required):
        variants.append(dict(required))
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    content = operation["responses"].get("200", {}).get("content", {})
    if "format" in names and "text/csv" in content:
        variants += [{**v, "format": "csv"} for v in variants]
    return variants


def fill_path(path: str, victim: dict, shared: dict) -> str:
    values = {**shared, **victim, "notification_id": str(uuid.uuid4()), "event_id": str(uuid.uuid4()),
              "name": "enrollment_confirmed",
              # the victim's application is not contracted: its own tenancy is what refuses these
              "report_id": str(uuid.uuid4()), "claim_id": str(uuid.uuid4()),
              # the trainers' register is the centre's (staff only): any id
              "trainer_id": str(uuid.uuid4())}
    values["code"] = victim["code"] if "/checklist/" in path else "not-the-persons-code-0000"

    def value(match):
        name = match.group(1)
        assert name in values, f"no value for path parameter {name} of {path}: add it to populate()"
        return str(values[name])

    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value, path)


def leaks(reply, victim: dict, catalogue: bool) -> list[str]:
    """The victim's data in a reply: its people and private titles (tagged), its private ids, and
    (outside the shared catalogue) any record or figure labelled with its municipality code."""
    code = victim["municipality_code"]
    text_body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body, ensure_ascii=False)
    found = [TAGS[code]] if TAGS[code] in text_body.lower() else []
    if not 200 <= reply.status < 300:
        return found
    found += [i for i in victim["private_ids"] if i in text_body]
    if catalogue:
        return found
    if isinstance(reply.body, str) and "text/csv" in reply.headers.get("Content-Type", ""):
        rows = list(csv.reader(io.StringIO(reply.body)))
        for index, column in enumerate(rows[0] if rows else []):
            if column in ("municipality_code", "municipality") and any(
                    len(row) > index and row[index] == code for row in rows[1:]):
                found.append(f"CSV rows of municipality {code}")
    elif not isinstance(reply.body, str) and _labelled(reply.body, code):
        found.append(f"records or figures of municipality {code}")
    return found


def _labelled(value, code: str) -> bool:
    if isinstance(value, dict):
        if value.get("municipality_code") == code or (value.get("group") == code):
            return True
        return any(_labelled(v, code) for v in value.values())
    if isinstance(value, list):
        return any(_labelled(v, code) for v in value)
    return False


def changes(before: dict, after: dict) -> dict:
    return {table: (sorted(set(after.get(table, [])) - set(rows))[:3] or sorted(set(rows) - set(after.get(table, [])))[:3])
            for table, rows in before.items() if after.get(table) != rows}


def test_no_operation_reaches_another_municipalitys_data(system):
    staff = system.token()
    course = system.ok("POST", "/enrollment/courses", COURSE, staff)
    hordaland = system.ok("POST", "/partners/organisations", {**HORDALAND, "capacity": 5}, staff)
    call = system.ok("POST", "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[],
                                                         eligible_regions=["KU", "VL"]), staff)
    programmes = system.ok("GET", "/grants/programmes", None, staff, status=200)
    template = _upload(system, f"/grants/calls/{call['id']}/templates", PDF, "Paraiškos forma.pdf", staff)
    shared = {"course_id": course["id"], "organisation_id": hordaland["id"], "call_id": call["id"],
              "programme_id": programmes[0]["id"] if programmes else str(uuid.uuid4()),
              "template_id": template["id"]}
    victim = populate(system, shared, VICTIM)
    populate(system, shared, ATTACKER)
    attacker = system.token(f"municipality:{ATTACKER}", subject=f"coordinator.{TAGS[ATTACKER]}@example.lt")
    bodies = samples(victim, shared)

    baseline = system.settled()
    failures, tried = [], 0
    for service, method, path, operation in operations(system):
        scopes = operation.get("x-tenancy")
        if not scopes:
            failures.append((method, path, "no x-tenancy in the OpenAPI document"))
            continue
        kinds = {s["kind"] for s in scopes}
        for_municipalities = not kinds <= CENTRE_KINDS
        schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                  .get("schema", {}).get("$ref", "").rsplit("/", 1)[-1])
        if schema and schema not in bodies and for_municipalities:
            failures.append((method, path, f"add a sample body for {schema} to SAMPLES"))
            continue
        attempts = [bodies.get(schema, {}) if schema else None]
        if "identity" in kinds:  # the attacker's own code, the victim's key (e.g. their e-mail)
            attempts.append({**bodies[schema], "municipality_code": ATTACKER})
        if "resource" in kinds and schema and "municipality_code" in bodies.get(schema, {}):
            attempts.append({**bodies[schema], "municipality_code": ATTACKER})
        target = fill_path(path, victim, shared)
        for body in attempts:
            for query in query_values(operation, victim, shared):
                reply = system.call(method, target, body, attacker, query)
                tried += 1
                found = leaks(reply, victim, catalogue="none" in kinds)
                if found and 200 <= reply.status < 300:
                    failures.append((method, path, query, reply.status, f"carries the victim's data: {found}"))
                elif found:
                    failures.append((method, path, query, reply.status, f"error names the victim's data: {found}"))
                after = system.snapshot()
                if after != baseline:
                    after = system.settled()
                    failures.append((method, path, query, reply.status, "changed", changes(baseline, after)))
                    baseline = after
    assert tried > 80, tried
    assert failures == [], "\n".join(map(str, failures))


def test_every_operation_declares_its_tenancy(embedded):
    """Every operation of every service carries x-tenancy; one open to municipality tokens names
    how its data belongs to a municipality (not centre/public)."""
    seen = 0
    for service in SERVICES:
        document = http("GET", f"{embedded.base_url}/{service}/openapi.json").body
        for path, items in document["paths"].items():
            for method, operation in items.items():
                scopes = operation["x-tenancy"]
                assert scopes, (method, path)
                roles = re.search(r"Roles: ([a-z, ]+)\.", operation.get("description", ""))
                if roles and "municipality" in roles.group(1):
                    assert not {s["kind"] for s in scopes} & CENTRE_KINDS, (method, path, scopes)
                for scope in scopes:
                    if scope["kind"] == "none":
                        assert scope["reason"], (method, path)
                seen += 1
    assert seen > 90
