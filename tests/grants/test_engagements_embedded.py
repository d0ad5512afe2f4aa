"""Consulting engagements over HTTP on the embedded default (issue 20 item 1): Kaunas city asks for
an organisation development study for itself and Alytus city (seed 000); both see it, Vilnius does
not; the centre agrees it; the consultant and the contact are told by e-mail in their language; a
reminder before a deliverable is due (the timer); closure told; the report and the gauges; bad
input refused naming the field."""

import csv
import io

from tests.grants.helpers import day, get, outbox_events
from tests.grants.test_api_embedded import assert_problem
from tests.notifications.test_mail_news import mailbox, notifications, text_of, to
from tests.support import http, metric_value, wait_until

CONTACT, CONSULTANT = "ruta.petraitiene@kaunas.lt", "tomas.kazlauskas@lsa.lt"
STUDY = {"municipality_code": "15", "group_municipality_codes": ["02"], "theme": "public_service_quality",
         "title": "Organisation development study",
         "description": "Review the administrations' structure and processes; propose changes.",
         "contact": {"name": "Rūta Petraitienė", "email": CONTACT, "language": "lt"}}
AGREEMENT = {"scope": "Interviews, a study report with recommendations, a workshop for both councils.",
             "consultant": {"name": "Tomas Kazlauskas", "email": CONSULTANT, "language": "en"},
             "deliverables": [{"title": "Study report", "due_on": day(7)}, {"title": "Workshop", "due_on": day(40)}]}


def _settled(system):
    wait_until(lambda: not [n for n in notifications(system) if n.status in ("pending", "sending")],
               message="the e-mails sent")


def _mails(system, before):
    return [m for m in mailbox(system) if m["Message-ID"] not in before]


def test_an_engagement_from_request_to_closure(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    kaunas = grants_system.token("municipality:15", subject=CONTACT)
    alytus = grants_system.token("municipality:02", subject="asta@alytus.lt")
    vilnius = grants_system.token("municipality:57", subject="vida@vilnius.lt")

    asked = http("POST", f"{base}/grants/engagements", STUDY, token=kaunas)
    assert asked.status == 201, asked.body
    engagement = asked.body
    url = f"{base}/grants/engagements/{engagement['id']}"
    assert engagement["status"] == "requested" and engagement["municipality_codes"] == ["15", "02"]
    # Each municipality of the group sees it; another does not (404 as an unknown id).
    assert http("GET", url, token=alytus).status == 200
    assert_problem(http("GET", url, token=vilnius), 404)
    assert [e["id"] for e in get(grants_system, "/grants/engagements", token=alytus)] == [engagement["id"]]
    assert get(grants_system, "/grants/engagements", token=vilnius) == []
    assert_problem(http("POST", f"{url}/agreement", AGREEMENT, token=kaunas), 403)  # the centre agrees

    _settled(grants_system)
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    agreed = http("POST", f"{url}/agreement", AGREEMENT, token=staff)
    assert agreed.status == 200, agreed.body
    assert agreed.body["status"] == "agreed" and agreed.body["consultant"]["email"] == CONSULTANT
    # The consultant assigned and the municipality's contact are told, each in their language; and
    # the timer (every 0.3 s) reminds both that the study report is due in 7 days.
    wait_until(lambda: len(_mails(grants_system, before)) >= 4, timeout=20, message="agreement and reminder e-mails")
    _settled(grants_system)
    by_subject = {(to(m), str(m["Subject"]).split(":")[0]): m for m in _mails(grants_system, before)}
    assert set(by_subject) == {(CONTACT, "Konsultavimas suderintas"), (CONSULTANT, "Consulting engagement agreed"),
                               (CONTACT, "Liko 7 dienos"), (CONSULTANT, "7 days left")}, list(by_subject)
    assert "Kauno miesto savivaldybė, Alytaus miesto savivaldybė" in text_of(
        by_subject[(CONTACT, "Konsultavimas suderintas")])
    assert "Study report" in text_of(by_subject[(CONSULTANT, "7 days left")])
    due, = outbox_events(grants_system.settings.database_url("grants"), "grants.engagement_deliverable_due")
    assert due["data"]["reminder_days"] == 7 and due["data"]["deliverable"]["title"] == "Study report"

    # The municipality logs a consultation too: the work is in progress.
    logged = http("POST", f"{url}/consultations", {"held_on": day(0), "channel": "meeting",
                                                   "summary": "Kick-off with both administrations"}, token=alytus)
    assert logged.status == 201, logged.body
    assert logged.body["status"] == "in_progress" and logged.body["consultations"][0]["channel"] == "meeting"
    report_item = logged.body["deliverables"][0]
    delivered = http("POST", f"{url}/deliverables/{report_item['id']}/delivery", {"note": "sent"}, token=staff)
    assert delivered.status == 200 and delivered.body["deliverables_due"] == 1
    assert_problem(http("POST", f"{url}/closure", {"outcome": "achieved", "outcome_summary": "done"}, token=staff),
                   422, "outcome")  # the workshop is not delivered
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    closed = http("POST", f"{url}/closure", {"outcome": "partly_achieved",
                                             "outcome_summary": "Study delivered; the workshop moves to next year"},
                  token=staff)
    assert closed.status == 200 and closed.body["status"] == "closed", closed.body
    wait_until(lambda: len(_mails(grants_system, before)) >= 2, message="the closure e-mails")
    subjects = sorted(str(m["Subject"]) for m in _mails(grants_system, before))
    assert subjects == ["Consulting engagement closed: Organisation development study",
                        "Konsultavimas baigtas: Organisation development study"]

    # Reports: by municipality (the group's under each), theme and consultant; CSV like the others.
    by_municipality = get(grants_system, "/grants/reports/engagements?group_by=municipality")
    assert {r["group"]: r["engagements"] for r in by_municipality["rows"]} == {"02": 1, "15": 1}
    assert by_municipality["totals"]["by_status"]["closed"] == 1
    own = get(grants_system, "/grants/reports/engagements?group_by=municipality", token=alytus)
    assert [r["group"] for r in own["rows"]] == ["02"] and own["municipality_code"] == "02"
    assert get(grants_system, "/grants/reports/engagements?group_by=theme", token=vilnius)["rows"] == []
    exported = http("GET", f"{base}/grants/reports/engagements.csv?group_by=consultant", token=staff)
    assert exported.status == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.body)))
    assert rows[1][:2] == ["Tomas Kazlauskas", "1"] and rows[-1][:2] == ["total", "1"]
    metrics = http("GET", f"{grants_system.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_grant_engagements_open", status="in_progress") == 0
    assert metric_value(metrics, "savivalda_grant_engagements_open", status="requested") == 0
    assert metric_value(metrics, "savivalda_grant_engagement_deliverables_late") == 0


def test_bad_engagement_input_is_refused_naming_the_field(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    kaunas = grants_system.token("municipality:15", subject=CONTACT)
    requested = http("POST", f"{base}/grants/engagements", STUDY, token=staff).body
    url = f"{base}/grants/engagements/{requested['id']}"
    cases = [
        ("POST", "/grants/engagements", {**STUDY, "theme": "gardening"}, staff, 422, "theme"),
        ("POST", "/grants/engagements", {**STUDY, "municipality_code": "99"}, staff, 422, "municipality_code"),
        ("POST", "/grants/engagements", {**STUDY, "group_municipality_codes": ["02", "02"]}, staff, 422,
         "group_municipality_codes"),
        ("POST", "/grants/engagements", {**STUDY, "description": ""}, staff, 422, "description"),
        ("POST", "/grants/engagements", {**STUDY, "title": "x" * 301}, staff, 422, "title"),
        ("POST", "/grants/engagements", {**STUDY, "budget": 1}, staff, 422, "budget"),
        ("POST", "/grants/engagements", {**STUDY, "municipality_code": "02"}, kaunas, 403, "municipality_code"),
        ("POST", f"/grants/engagements/{requested['id']}/agreement", {**AGREEMENT, "deliverables": []}, staff, 422,
         "deliverables"),
        ("POST", f"/grants/engagements/{requested['id']}/agreement",
         {**AGREEMENT, "deliverables": [{"title": "Late", "due_on": day(-1)}]}, staff, 422, "deliverables.0.due_on"),
        ("POST", f"/grants/engagements/{requested['id']}/agreement",
         {**AGREEMENT, "consultant": {"name": "T", "email": "not-an-address"}}, staff, 422, "consultant.email"),
        ("POST", f"/grants/engagements/{requested['id']}/consultations",
         {"held_on": day(0), "channel": "phone", "summary": "too early"}, staff, 409, None),
        ("POST", f"/grants/engagements/{requested['id']}/closure",
         {"outcome": "finished", "outcome_summary": "x"}, staff, 422, "outcome"),
        ("PUT", f"/grants/engagements/{requested['id']}/consultant",
         {"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt"}, staff, 409, None),  # nothing agreed yet
        ("PUT", f"/grants/engagements/{requested['id']}/consultant", {"name": "Jonas", "email": "jonas"}, staff, 422,
         "email"),
        ("GET", "/grants/engagements?status=paused", None, staff, 422, "status"),
        ("GET", "/grants/engagements?limit=100000", None, staff, 422, "limit"),
        ("GET", "/grants/reports/engagements?group_by=mayor", None, staff, 422, "group_by"),
        ("GET", "/grants/engagements?municipality_code=02", None, kaunas, 403, "municipality_code"),
    ]
    for method, path, body, token, status, field in cases:
        reply = http(method, f"{base}{path}", body, token=token)
        try:
            assert_problem(reply, status, field)
        except AssertionError as error:
            raise AssertionError(f"{method} {path}: {error}") from None
    assert get(grants_system, f"/grants/engagements/{requested['id']}")["status"] == "requested"  # nothing changed
    declined = http("POST", f"{url}/decline", {"reason": "No consultant is free"}, token=staff)
    assert declined.status == 200 and declined.body["status"] == "declined"
    assert_problem(http("POST", f"{url}/agreement", AGREEMENT, token=staff), 409)


def test_the_readme_engagements_example_runs_as_written(grants_system):
    import os
    import re
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = re.search(r"<!-- engagements walk-through[^>]*-->\n(.*?)\n<!-- end of the engagements walk-through -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in found.strip("\n").splitlines())
    env = {**os.environ, "API": grants_system.base_url, "STAFF": grants_system.token(),
           "KAUNAS": grants_system.token("municipality:15", subject="ruta@kaunas.lt")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert out[:3] == ["agreed ['15', '02']", "in_progress", "closed partly_achieved"], out
    assert out[3] == "[('02', 1), ('15', 1)]"
    assert out[4].startswith("consultant,engagements,requested,agreed,in_progress,closed,declined")
    assert out[5].startswith("Tomas Kazlauskas,1,0,0,0,1,0,0,2,0")
