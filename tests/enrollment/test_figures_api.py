"""The training hours ledger, the funders' report and the training-needs demand, over HTTP."""

import csv
import io
from datetime import datetime, timezone

from tests.enrollment.helpers import assert_problem, person


def held_session(system, attendance, course=None, capacity=None):
    """A completed session; `attendance` maps person number -> (municipality, attended?, hours)."""
    session = system.schedule(capacity=capacity or len(attendance), course=course)
    ids = {n: system.enrol(session["id"], person(n, municipality=m)).body["id"] for n, (m, _, _) in attendance.items()}
    system.start_session_now(session["id"])
    records = [{"enrollment_id": ids[n], "attendance": "attended" if came else "no_show",
                **({"hours": hours} if hours else {})} for n, (_, came, hours) in attendance.items()]
    assert system.post(f"/sessions/{session['id']}/attendance", {"records": records}).status == 200
    assert system.post(f"/sessions/{session['id']}/complete", {}).status == 200
    return session


def read_csv(reply):
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv"), reply.body
    assert reply.body.startswith("\ufeff")  # spreadsheets then read the Lithuanian letters right
    return list(csv.DictReader(io.StringIO(reply.body.lstrip("\ufeff"))))


def test_the_hours_ledger_gives_each_municipality_its_staff_s_hours_as_csv(any_system):
    held_session(any_system, {1: ("15", True, None), 2: ("15", True, "3"), 3: ("20", True, None), 4: ("15", False, None)})
    held_session(any_system, {1: ("15", True, "2")}, course={"themes": ["anti_corruption"], "duration_hours": 2})
    year = datetime.now(timezone.utc).year  # the sessions were moved to today

    lines = any_system.get(f"/hours?year={year}&municipality_code=15").body
    assert [(l["name"], l["theme"], l["hours"], l["sessions"]) for l in lines] == [
        ("Dalyvė Nr. 1", "anti_corruption", "2.0", 1), ("Dalyvė Nr. 1", "budgeting", "6.0", 1),
        ("Dalyvė Nr. 2", "budgeting", "3.0", 1)]
    assert any_system.get(f"/hours?year={year - 1}").body == []

    rows = read_csv(any_system.get(f"/hours?year={year}&format=csv", role="municipality:15"))
    assert {r["municipality_code"] for r in rows} == {"15"} and len(rows) == 3
    assert rows[0]["name"] == "Dalyvė Nr. 1" and rows[0]["email"] == "dalyve1@savivaldybe.lt"
    assert sum(float(r["hours"]) for r in rows) == 11.0
    one_person = any_system.get("/hours?email=DALYVE3@savivaldybe.lt").body
    assert [(l["municipality_code"], l["hours"]) for l in one_person] == [("20", "6.0")]

    assert_problem(any_system.get("/hours?municipality_code=20", role="municipality:15"), 403)
    for query, field in (("?year=last", "year"), ("?format=xlsx", "format"), ("?municipality_code=99",
                                                                             "municipality_code")):
        assert_problem(any_system.get(f"/hours{query}"), 422, field=field)


def test_the_report_matches_the_figures_told_to_funders(any_system):
    held_session(any_system, {1: ("15", True, None), 2: ("20", True, None), 3: ("20", False, None)})
    held_session(any_system, {1: ("15", True, None), 4: ("57", True, "1")},
                 course={"themes": ["anti_corruption"], "duration_hours": 2})
    cancelled = any_system.schedule(capacity=3)
    any_system.enrol(cancelled["id"], person(7))
    any_system.post(f"/sessions/{cancelled['id']}/cancel", {"reason": "per mažai dalyvių"})
    today = datetime.now(timezone.utc).date()

    report = any_system.get(f"/reports/summary?group_by=municipality&from={today.replace(day=1)}").body
    total = report["total"]
    # events held, participants trained (distinct people), certificates (only those who attended enough)
    assert (total["sessions_held"], total["participants_trained"], total["attendances"], total["no_shows"]) == (2, 3, 4, 1)
    assert (total["certificates_issued"], total["training_hours"]) == (3, "15.0")
    assert total["fees_eur"] == "75.00"  # 5 held seats x 15 EUR, invoiced to the municipalities
    by = {l["group"]: l for l in report["lines"]}
    assert (by["15"]["sessions_held"], by["15"]["participants_trained"], by["15"]["training_hours"]) == (2, 1, "8.0")
    assert (by["20"]["attendances"], by["20"]["no_shows"], by["57"]["certificates_issued"]) == (1, 1, 0)

    themes = {l["group"]: l["sessions_held"] for l in any_system.get("/reports/summary?group_by=theme").body["lines"]}
    assert themes == {"budgeting": 1, "strategic_planning": 1, "anti_corruption": 1}
    regions = {l["group"]: l["participants_trained"] for l in
               any_system.get("/reports/summary?group_by=region").body["lines"]}
    assert regions == {"KU": 1, "KL": 1, "VL": 1}
    month = any_system.get("/reports/summary?group_by=month").body["lines"]
    assert [(l["group"], l["sessions_held"]) for l in month] == [(today.strftime("%Y-%m"), 2)]

    own = any_system.get("/reports/summary", role="municipality:20").body
    assert [l["group"] for l in own["lines"]] == ["20"] and own["total"]["sessions_held"] == 1
    rows = read_csv(any_system.get("/reports/summary?group_by=region&format=csv"))
    assert rows[-1]["region"] == "total" and rows[-1]["participants_trained"] == "3"
    assert any_system.get(f"/reports/summary?to={today.replace(day=1)}").body["total"]["sessions_held"] == 0

    for query, field in (("?group_by=colour", "group_by"), ("?from=yesterday", "from"),
                         ("?from=2026-05-01&to=2026-04-01", None), ("?region=XX", "region")):
        assert_problem(any_system.get(f"/reports/summary{query}"), 422, field=field)
    assert_problem(any_system.get("/reports/summary?municipality_code=15", role="municipality:20"), 403)


def test_municipalities_propose_and_support_topics_and_staff_see_the_demand(any_system):
    proposal = {"theme": "anti_corruption", "region": "KU", "municipality_code": "15",
                "description": "Korupcijos rizikos valdymas viešuosiuose pirkimuose"}
    for body, field in ((dict(proposal, theme="astrology"), "theme"), (dict(proposal, region="XX"), "region"),
                        (dict(proposal, description="short"), "description"), (dict(proposal, extra=1), "extra")):
        assert_problem(any_system.post("/training-needs", body, role="municipality:15"), 422, field=field)
    assert_problem(any_system.post("/training-needs", proposal, role="municipality:20"), 403, field="municipality_code")
    assert any_system.get("/training-needs").body == []

    need = any_system.post("/training-needs", proposal, role="municipality:15")
    assert need.status == 201
    other = any_system.post("/training-needs", dict(proposal, theme="budgeting", municipality_code="16"),
                        role="municipality:16").body
    supported = any_system.post(f"/training-needs/{need.body['id']}/support", {"municipality_code": "16"},
                            role="municipality:16")
    assert supported.status == 200 and supported.body["supporters"] == ["16"]
    any_system.post(f"/training-needs/{need.body['id']}/support", {"municipality_code": "16"}, role="municipality:16")
    any_system.post(f"/training-needs/{need.body['id']}/support", {"municipality_code": "18"}, role="municipality:18")
    assert_problem(any_system.post(f"/training-needs/{need.body['id']}/support", {"municipality_code": "15"},
                               role="municipality:15"), 422, field="municipality_code")
    assert_problem(any_system.post(f"/training-needs/{need.body['id']}/support", {"municipality_code": "18"},
                               role="municipality:16"), 403)
    submitted = any_system.events("training_need_submitted")
    assert len(submitted) == 2 and submitted[0]["description"] == proposal["description"]
    assert [e["supporters"] for e in any_system.events("training_need_supported")] == [2, 3]

    demand = any_system.get("/training-needs/demand?region=KU", role="municipality:33").body["regions"]["KU"]
    assert [(l["rank"], l["theme"], l["supporting_municipalities"], l["planned_sessions"]) for l in demand] == [
        (1, "anti_corruption", 3, 0), (2, "budgeting", 1, 0)]
    any_system.schedule(capacity=5, course={"themes": ["anti_corruption"]})
    demand = any_system.get("/training-needs/demand").body["regions"]["KU"]
    assert demand[0]["planned_sessions"] == 1

    withdrawn = any_system.call("DELETE", f"/training-needs/{need.body['id']}/support/18", role="municipality:18")
    assert withdrawn.status == 200 and withdrawn.body["supporters"] == ["16"]
    closed = any_system.put(f"/training-needs/{other['id']}/status", {"status": "closed"})
    assert closed.status == 200
    assert_problem(any_system.put(f"/training-needs/{other['id']}/status", {"status": "done"}), 422, field="status")
    assert_problem(any_system.put(f"/training-needs/{other['id']}/status", {"status": "open"}, role="municipality:16"), 403)
    assert [l["theme"] for l in any_system.get("/training-needs/demand").body["regions"]["KU"]] == ["anti_corruption"]
    assert [n["theme"] for n in any_system.get("/training-needs?status=open").body] == ["anti_corruption"]
    assert_problem(any_system.get("/training-needs/demand?region=Kaunas"), 422, field="region")
