"""Joint applications over HTTP on the embedded default (issue 19 item 5): Kaunas city leads an
application with Alytus city as partner (seed 003: projects for groups of municipalities). Alytus
sees the application and its own part, Vilnius gets 404, Alytus cannot change the lead's data
(403); Alytus' EU-projects coordinator is told of its part by e-mail in Lithuanian, the lead's
consultant of the confirmation in English; submission waits for the confirmation; bad input is
problem+json naming the field and changes nothing; the report counts each municipality's share."""

from tests.grants.helpers import application_body, call_body, create, get, make_ready, move, outbox_events
from tests.grants.test_api_embedded import assert_problem
from tests.notifications.test_mail_news import mailbox, notifications, text_of, to
from tests.support import http, wait_until

LEAD_CONTACT, ALYTUS_COORDINATOR = "ruta.petraitiene@kaunas.lt", "asta.coordinator@alytus.lt"
CONSULTANT = "jonas.jonaitis@lsa.lt"
PARTNERSHIP = {"lead": {"budget_share_eur": "60000", "own_contribution_eur": "9000"},
               "partners": [{"municipality_code": "02", "budget_share_eur": "40000", "own_contribution_eur": "6000"}]}
CONFIRM = {"answer": "confirmed", "budget_share_eur": "40000", "own_contribution_eur": "6000",
           "note": "Tarybos sprendimas Nr. T-12"}


def _settled(system):
    wait_until(lambda: not [n for n in notifications(system) if n.status in ("pending", "sending")],
               message="the e-mails sent")


def test_a_joint_application_from_partnership_to_submission(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    kaunas = grants_system.token("municipality:15", subject=LEAD_CONTACT)
    alytus = grants_system.token("municipality:02", subject="asta@alytus.lt")
    vilnius = grants_system.token("municipality:57", subject="vida@vilnius.lt")
    create(grants_system, "/notifications/recipients", {
        "email": ALYTUS_COORDINATOR, "name": "Asta Koordinatorė", "municipality_code": "02",
        "roles": ["eu_projects_coordinator"]}, token=alytus)
    call = create(grants_system, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    application = create(grants_system, "/grants/applications", application_body(call["id"]))
    url = f"{base}/grants/applications/{application['id']}"

    # Before the partnership Alytus does not see it.
    assert_problem(http("GET", url, token=alytus), 404)
    # Bad partnerships: problem+json naming the field, nothing changed.
    bad = [({**PARTNERSHIP, "lead": {"budget_share_eur": "50000", "own_contribution_eur": "9000"}}, 422, "partners"),
           ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "municipality_code": "99"}]}, 422,
            "partners.0.municipality_code"),
           ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "municipality_code": "15"}]}, 422,
            "partners.0.municipality_code"),
           ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "budget_share_eur": "20000",
                                          "own_contribution_eur": "3000"}] * 2}, 422, "partners.1.municipality_code"),
           ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "own_contribution_eur": "5000"}]}, 422,
            "partners.0.own_contribution_eur"),
           ({**PARTNERSHIP, "partners": [PARTNERSHIP["partners"][0]] * 10}, 422, "partners"),
           ({**PARTNERSHIP, "extra": 1}, 422, "extra")]
    for body, status, field in bad:
        assert_problem(http("PUT", f"{url}/partnership", body, token=kaunas), status, field)
    assert get(grants_system, f"/grants/applications/{application['id']}/partnership")["joint"] is False
    assert outbox_events(grants_system.settings.database_url("grants"), "grants.joint_partner_added") == []

    # Another municipality cannot make itself a partner of Kaunas' application.
    assert_problem(http("PUT", f"{url}/partnership", PARTNERSHIP, token=vilnius), 404)
    _settled(grants_system)
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    set_up = http("PUT", f"{url}/partnership", PARTNERSHIP, token=kaunas)
    assert set_up.status == 200, set_up.body
    assert set_up.body["waiting_for"] == ["02"] and set_up.body["balanced"] is True

    # Alytus sees the application and its own part; Vilnius 404; Alytus cannot change Kaunas' data.
    assert http("GET", url, token=alytus).status == 200
    own = get(grants_system, f"/grants/applications/{application['id']}/partnership", token=alytus)
    assert [p["municipality_code"] for p in own["parts"]] == ["02"] and own["waiting_for"] is None
    assert [p["municipality_code"] for p in get(grants_system, f"/grants/applications/{application['id']}/partnership",
                                                token=kaunas)["parts"]] == ["15", "02"]
    assert_problem(http("GET", url, token=vilnius), 404)
    assert_problem(http("GET", f"{url}/partnership", token=vilnius), 404)
    assert_problem(http("PATCH", url, {"themes": ["anti_corruption"]}, token=alytus), 403)
    assert_problem(http("PUT", f"{url}/partnership", {"partners": []}, token=alytus), 403)
    assert_problem(http("POST", f"{url}/transitions", {"to": "withdrawn"}, token=alytus), 403)
    # Each answers only for itself: Kaunas cannot confirm Alytus' part, Vilnius sees nothing.
    assert_problem(http("POST", f"{url}/partnership/02/answer", CONFIRM, token=kaunas), 403, "municipality_code")
    assert_problem(http("POST", f"{url}/partnership/57/answer", {"answer": "declined"}, token=vilnius), 404)
    assert_problem(http("POST", f"{url}/partnership/02/answer", {**CONFIRM, "own_contribution_eur": "5000"},
                        token=alytus), 409, "budget_share_eur")

    # Alytus' coordinator is told of its part, in Lithuanian.
    wait_until(lambda: [m for m in mailbox(grants_system) if m["Message-ID"] not in before
                        and to(m) == ALYTUS_COORDINATOR], timeout=20, message="the partner's coordinator told")
    told, = [m for m in mailbox(grants_system) if m["Message-ID"] not in before and to(m) == ALYTUS_COORDINATOR]
    assert str(told["Subject"]).startswith("Bendra paraiška: Skaidrios viešosios paslaugos Kaune")
    assert "biudžeto dalis 40 000,00 €, nuosavas įnašas 6 000,00 €" in text_of(told)

    # Submission waits for Alytus' confirmation.
    make_ready(grants_system, application, token=kaunas)
    assert move(grants_system, application["id"], "drafting", token=kaunas).status == 200
    assert move(grants_system, application["id"], "internal_review", token=kaunas).status == 200
    assert_problem(move(grants_system, application["id"], "submitted"), 422, "partnership")
    _settled(grants_system)
    before = {m["Message-ID"] for m in mailbox(grants_system)}
    confirmed = http("POST", f"{url}/partnership/02/answer", CONFIRM, token=alytus)
    assert confirmed.status == 200, confirmed.body
    assert [(p["answer"], p["answer_note"]) for p in confirmed.body["parts"]] == [("confirmed",
                                                                                   "Tarybos sprendimas Nr. T-12")]
    wait_until(lambda: {to(m) for m in mailbox(grants_system) if m["Message-ID"] not in before}
               >= {LEAD_CONTACT, CONSULTANT}, timeout=20, message="the lead's contact and consultant told")
    by_to = {to(m): m for m in mailbox(grants_system) if m["Message-ID"] not in before}
    assert str(by_to[CONSULTANT]["Subject"]).startswith("Partner confirmed its part: Alytus City Municipality")
    assert str(by_to[LEAD_CONTACT]["Subject"]).startswith("Partnerė patvirtino dalį")
    submitted = move(grants_system, application["id"], "submitted")
    assert submitted.status == 200, submitted.body

    # After submission the partnership is closed.
    assert_problem(http("PUT", f"{url}/partnership", {"partners": []}, token=kaunas), 409, "status")
    assert_problem(http("POST", f"{url}/partnership/02/answer", {"answer": "declined"}, token=alytus), 409, "status")

    # The report counts each municipality's share.
    report = get(grants_system, "/grants/reports/applications?group_by=municipality")
    rows = {r["group"]: r for r in report["rows"]}
    assert (rows["15"]["requested_eur"], rows["02"]["requested_eur"]) == ("51000.00", "34000.00")
    assert report["totals"]["requested_eur"] == "85000.00" and report["totals"]["funded_projects"] == 3
    mine = get(grants_system, "/grants/reports/applications?group_by=status", token=alytus)
    assert mine["municipality_code"] == "02" and mine["totals"]["requested_eur"] == "34000.00"


def test_the_readme_walk_through_runs_as_written(grants_system):
    """README.md's "A joint application" block, run with bash against the embedded system: each
    printed line is what its comment says."""
    import os
    import re
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = re.search(r"<!-- joint application walk-through[^\n]*-->\n(.*?)<!-- end of the joint application",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in found.strip("\n").splitlines())
    env = {**os.environ, "API": grants_system.base_url, "STAFF": grants_system.token(),
           "KAUNAS": grants_system.token("municipality:15", subject="ruta@kaunas.lt"),
           "ALYTUS": grants_system.token("municipality:02", subject="asta@alytus.lt")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = done.stdout.splitlines()
    said = re.findall(r"# (\S.*)$", found, flags=re.M)
    said = [s for s in said if not s[0].isdigit()]  # the numbered steps are headings, not output
    assert printed == said, (printed, said)
