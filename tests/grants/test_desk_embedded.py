"""The consultants' desk over HTTP on the embedded default (issue 19 item 6): the consultant assigned
gets the real e-mail (their language, the application's summary, next deadline and link) and the
previous one hears it was handed over; the application list pages with X-Next-Cursor and Link,
sorts and filters, and refuses unknown or bad parameters naming them; a municipality sees its own;
the workload and the own desk are the centre's."""

from urllib.parse import quote

from tests.grants.helpers import application_body, call_body, create, day, get
from tests.grants.test_api_embedded import assert_problem
from tests.notifications.test_mail_news import mailbox, notifications, text_of, to
from tests.support import http, metric_value, wait_until

EGLE = {"name": "Eglė Petrauskė", "email": "egle.petrauske@lsa.lt", "language": "lt"}
ANTANAS = {"name": "Antanas Būga", "email": "antanas.buga@lsa.lt", "language": "en"}
SIMPLE = dict(foreign_partner_required=False, partner_countries=[], required_documents=[])


def _settled(system):
    wait_until(lambda: not [n for n in notifications(system) if n.status in ("pending", "sending")],
               message="the e-mails sent")


def _mails(system, before):
    return [m for m in mailbox(system) if m["Message-ID"] not in before]


def _assigned_notices(system) -> float:
    return metric_value(http("GET", f"{system.ops_url}/metrics").body, "savivalda_grant_consultant_notices_total",
                        notice="assigned")


def test_the_consultant_assigned_is_told_by_e_mail_and_the_previous_one_too(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    call = create(grants_system, "/grants/calls", call_body(**SIMPLE))
    application = create(grants_system, "/grants/applications", application_body(
        call["id"], consultant=None, internal_deadline=day(12),
        summary={"lt": "Elektroninės paslaugos gyventojams", "en": "E-services for residents"}))
    url = f"{base}/grants/applications/{application['id']}/consultant"
    told_before = _assigned_notices(grants_system)
    _settled(grants_system)
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    assigned = http("PUT", url, EGLE, token=staff)
    assert assigned.status == 200 and assigned.body["consultant"]["email"] == EGLE["email"], assigned.body
    wait_until(lambda: any(to(m) == EGLE["email"] for m in _mails(grants_system, before)), timeout=20,
               message="the consultant's e-mail")
    _settled(grants_system)
    mail, = [m for m in _mails(grants_system, before) if to(m) == EGLE["email"]
             and not str(m["Subject"]).startswith("Liko")]  # (the timer's deadline reminder may come too)
    assert str(mail["Subject"]) == "Paskirta konsultuoti: Skaidrios viešosios paslaugos Kaune"
    text = text_of(mail)
    assert "Sveiki, Eglė Petrauskė" in text and "konsultuojate Jūs" in text
    assert "Santrauka: Elektroninės paslaugos gyventojams" in text
    assert "(vidinis terminas)" in text and "Savivaldybės kontaktinis asmuo: Rūta Petraitienė" in text
    assert f"/grants/applications/{application['id']}" in text
    # The municipality's contact hears who the consultant is now.
    contact_mail = [m for m in _mails(grants_system, before) if to(m) == "ruta.petraitiene@kaunas.lt"]
    assert "Naujas konsultantas: Skaidrios viešosios paslaugos Kaune" in [str(m["Subject"]) for m in contact_mail]

    # The same consultant again: nobody is told. Another one: the new one (in English) and the previous one.
    assert http("PUT", url, EGLE | {"name": "Eglė P."}, token=staff).status == 200
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    assert http("PUT", url, ANTANAS, token=staff).status == 200
    wait_until(lambda: {to(m) for m in _mails(grants_system, before)} >= {EGLE["email"], ANTANAS["email"]},
               timeout=20, message="the handover e-mails")
    _settled(grants_system)
    by_recipient = {to(m): m for m in _mails(grants_system, before) if not str(m["Subject"]).startswith(("Liko", "12 days"))}
    assert str(by_recipient[ANTANAS["email"]]["Subject"]).startswith("You are the consultant:")
    assert "taking over from Eglė P." in text_of(by_recipient[ANTANAS["email"]])
    assert str(by_recipient[EGLE["email"]]["Subject"]).startswith("Perduota:")
    assert "toliau konsultuoja Antanas Būga" in text_of(by_recipient[EGLE["email"]])
    assert len([m for m in _mails(grants_system, before) if to(m) == EGLE["email"]]) == 1  # once
    assert _assigned_notices(grants_system) - told_before == 2  # the counter is the process's
    assert_problem(http("PUT", url, ANTANAS, token=grants_system.token("municipality:15")), 403)


def test_the_list_pages_sorts_filters_and_refuses_what_it_does_not_know(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    kaunas = grants_system.token("municipality:15", subject="ruta.petraitiene@kaunas.lt")
    call = create(grants_system, "/grants/calls", call_body(**SIMPLE))
    made = [create(grants_system, "/grants/applications", application_body(
        call["id"], internal_deadline=day(n), title={"lt": f"P{n}", "en": f"P{n}"}, **extra))
        for n, extra in ((9, {}), (3, {}), (6, {"municipality_code": "02", "consultant": EGLE}))]
    by_deadline = [made[1]["id"], made[2]["id"], made[0]["id"]]

    first = http("GET", f"{base}/grants/applications?sort=deadline&limit=2", token=staff)
    assert first.status == 200 and [a["id"] for a in first.body] == by_deadline[:2]
    assert first.body[0]["next_deadline"] == {"kind": "internal", "on": day(3), "days_left": 3}
    cursor = first.headers["X-Next-Cursor"]
    assert first.headers["Link"] == f'</grants/applications?sort=deadline&limit=2&cursor={cursor}>; rel="next"'
    rest = http("GET", f"{base}/grants/applications?sort=deadline&limit=2&cursor={quote(cursor)}", token=staff)
    assert [a["id"] for a in rest.body] == by_deadline[2:] and "X-Next-Cursor" not in rest.headers
    assert [a["id"] for a in get(grants_system, "/grants/applications?sort=-deadline")] == by_deadline[::-1]
    assert [a["id"] for a in get(grants_system, f"/grants/applications?deadline_from={day(4)}&deadline_to={day(8)}"
                                 )] == [made[2]["id"]]
    assert [a["id"] for a in get(grants_system, "/grants/applications?consultant=EGLE.PETRAUSKE@lsa.lt")] == [
        made[2]["id"]]
    assert [a["id"] for a in get(grants_system, "/grants/applications?funder=Norway+Grants&status=idea"
                                 "&theme=anti_corruption&sort=municipality")][0] == made[2]["id"]
    # A municipality sees its own; naming another is 403.
    assert {a["id"] for a in get(grants_system, "/grants/applications?sort=deadline", token=kaunas)} == {
        made[0]["id"], made[1]["id"]}
    assert_problem(http("GET", f"{base}/grants/applications?municipality_code=02", token=kaunas), 403,
                   "municipality_code")
    exported = http("GET", f"{base}/grants/applications.csv?sort=deadline&municipality_code=15", token=staff)
    assert exported.status == 200 and [line.split(",")[0] for line in exported.body.splitlines()[1:]] == [
        made[1]["id"], made[0]["id"]]
    # Bad parameters: 422 naming each, nothing listed.
    for query, field in (("sort=title", "sort"), (f"deadline_from={day(9)}&deadline_to={day(1)}", "deadline_to"),
                         ("limit=501", "limit"), ("limit=0", "limit"), ("shoe_size=44", "shoe_size"),
                         ("cursor=not-a-cursor", "cursor"), (f"sort=created&cursor={quote(cursor)}", "cursor"),
                         ("consultant=nobody", "consultant"), ("deadline_from=1999-12-31", "deadline_from"),
                         ("theme=astrology", "theme"), ("funder=" + "x" * 201, "funder")):
        assert_problem(http("GET", f"{base}/grants/applications?{query}", token=staff), 422, field)
    assert_problem(http("GET", f"{base}/grants/applications.csv?limit=5", token=staff), 422, "limit")
    metrics = http("GET", f"{grants_system.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_grant_application_lists_total", sort="deadline") >= 3


def test_the_workload_and_the_own_desk_are_the_centres(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    call = create(grants_system, "/grants/calls", call_body(**SIMPLE))
    late = create(grants_system, "/grants/applications", application_body(call["id"], internal_deadline=day(20)))
    soon = create(grants_system, "/grants/applications", application_body(call["id"], internal_deadline=day(2)))
    hers = create(grants_system, "/grants/applications", application_body(call["id"], consultant=EGLE))
    orphan = create(grants_system, "/grants/applications", application_body(call["id"], consultant=None))
    logged = http("POST", f"{base}/grants/applications/{late['id']}/consultations",
                  {"held_on": day(0), "channel": "phone", "summary": "Budget", "follow_up_on": day(1)}, token=staff)
    assert logged.status == 201, logged.body

    seen = get(grants_system, "/grants/workload")
    desks = {d["consultant_email"]: d for d in seen["consultants"]}
    assert list(desks) == [EGLE["email"], "jonas.jonaitis@lsa.lt", None] and seen["as_of"] == day(0)
    jonas = desks["jonas.jonaitis@lsa.lt"]
    assert [a["id"] for a in jonas["applications"]] == [late["id"], soon["id"]]  # the follow-up tomorrow first
    assert jonas["applications"][0]["next_deadline"]["kind"] == "follow_up"
    assert jonas["counts"] == {"open": 2, "by_status": {"idea": 2}, "overdue": 0, "due_soon": 2}
    assert [a["id"] for a in desks[None]["applications"]] == [orphan["id"]]
    assert [a["id"] for a in desks[EGLE["email"]]["applications"]] == [hers["id"]]
    own = get(grants_system, "/grants/desk", token=grants_system.token(subject=EGLE["email"]))
    assert own["consultant_email"] == EGLE["email"] and [a["id"] for a in own["applications"]] == [hers["id"]]
    assert [d["consultant_email"] for d in get(grants_system, "/grants/workload?unassigned=false&per_consultant=1")[
        "consultants"]] == [EGLE["email"], "jonas.jonaitis@lsa.lt"]
    kaunas = grants_system.token("municipality:15")
    assert_problem(http("GET", f"{base}/grants/workload", token=kaunas), 403)
    assert_problem(http("GET", f"{base}/grants/desk", token=kaunas), 403)
    for query, field in (("per_consultant=201", "per_consultant"), ("consultant=x", "consultant"),
                         ("colour=red", "colour"), ("municipality_code=99", "municipality_code")):
        assert_problem(http("GET", f"{base}/grants/workload?{query}", token=staff), 422, field)
    assert_problem(http("GET", f"{base}/grants/desk?limit=201", token=staff), 422, "limit")
    # A follow-up is in the future and at most a year ahead.
    for bad in (day(0), day(400)):
        assert_problem(http("POST", f"{base}/grants/applications/{late['id']}/consultations",
                            {"held_on": day(0), "channel": "phone", "summary": "x", "follow_up_on": bad},
                            token=staff), 422, "follow_up_on")
    metrics = http("GET", f"{grants_system.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_grant_applications_unassigned") == 1
    assert metric_value(metrics, "savivalda_grant_follow_ups_overdue") == 0


def test_the_readme_desk_example_runs_as_written(grants_system):
    import os
    import re
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = re.search(r"<!-- desk walk-through[^>]*-->\n(.*?)\n<!-- end of the desk walk-through -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in found.strip("\n").splitlines())
    env = {**os.environ, "API": grants_system.base_url, "STAFF": grants_system.token(),
           "EGLE": grants_system.token(subject="egle@lsa.lt"),
           "KAUNAS": grants_system.token("municipality:15", subject="ruta@kaunas.lt")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "Eglė Petrauskė", "[('Project 20', 'follow_up', 2)]", "[('egle@lsa.lt', 1), (None, 2)]",
        "['Project 20', 'Project 5']", "['Project 10']", "422 sort"], done.stdout
    # She was told, in Lithuanian, with the link to the application.
    wait_until(lambda: any(to(m) == "egle@lsa.lt" for m in mailbox(grants_system)), timeout=20,
               message="Eglė's e-mail")
    mail, = [m for m in mailbox(grants_system) if to(m) == "egle@lsa.lt"]
    assert str(mail["Subject"]) == "Paskirta konsultuoti: Projektas 20"
    assert "Santrauka: E. paslaugos gyventojams" in text_of(mail) and "/grants/applications/" in text_of(mail)
