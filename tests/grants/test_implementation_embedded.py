"""After the contract, over HTTP on the embedded default (issue 19 item 3): the implementation period
with its reporting deadlines, reminders e-mailed before a report is due and stopped once it is in,
payment claims submitted → approved → paid, an amendment with its history, the final cost closing
the project, the reports by programme period counting the seeded projects; bad input and another
municipality refused."""

import time

from tests.grants.helpers import application_body, call_body, create, day, get, make_ready, move, outbox_events
from tests.grants.test_api_embedded import assert_problem
from tests.notifications.test_mail_news import mailbox, text_of, to
from tests.support import http, metric_value, wait_until

CONTACT, CONSULTANT = "ruta.petraitiene@kaunas.lt", "jonas.jonaitis@lsa.lt"


def events(system, event_type):
    return outbox_events(system.settings.database_url("grants"), event_type)


def contracted(system, kaunas) -> dict:
    call = create(system, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    application = create(system, "/grants/applications", application_body(call["id"]))
    make_ready(system, application, token=kaunas)
    for step in ("drafting", "internal_review"):
        assert move(system, application["id"], step, token=kaunas).status == 200
    for step in ("submitted",):
        assert move(system, application["id"], step).status == 200
    decided = http("POST", f"{system.base_url}/grants/applications/{application['id']}/decision",
                   {"outcome": "awarded", "decided_on": day(0), "awarded_grant_eur": "80000"}, token=kaunas)
    assert decided.status == 200, decided.body
    assert move(system, application["id"], "contracted", token=kaunas).status == 200
    return application


def test_a_contracted_project_from_its_plan_to_the_final_cost(grants_system):
    base = grants_system.base_url
    kaunas = grants_system.token("municipality:15", subject=CONTACT)
    vilnius = grants_system.token("municipality:57", subject="someone@vilnius.lt")
    application = contracted(grants_system, kaunas)
    url = f"{base}/grants/applications/{application['id']}"
    plan = {"starts_on": day(0), "ends_on": day(300), "interim_reports_due": [day(7)]}
    assert_problem(http("PUT", f"{url}/implementation", plan, token=vilnius), 404)  # not its application

    planned = http("PUT", f"{url}/implementation", plan, token=kaunas)
    assert planned.status == 200, planned.body
    implementation = planned.body["implementation"]
    assert [(r["kind"], r["due_on"]) for r in implementation["reports"]] == [("interim", day(7)), ("final", day(330))]
    assert (implementation["contract_grant_eur"], implementation["next_report_due"]) == ("80000.00", day(7))
    interim_id = implementation["reports"][0]["id"]

    # The interim report is due in 7 days: the timer reminds both people, each in their language.
    reminded = wait_until(lambda: events(grants_system, "grants.reporting_deadline_approaching"),
                          message="the 7-day reminder")
    assert [(e["data"]["report_kind"], e["data"]["reminder_days"]) for e in reminded] == [("interim", 7)]
    def reminder_mails():
        return {to(m): m for m in mailbox(grants_system)
                if "ataskaitos terminas" in m["Subject"] or "interim report" in m["Subject"]}
    mails = wait_until(lambda: len(reminder_mails()) == 2 and reminder_mails(), message="both reminder e-mails")
    assert str(mails[CONTACT]["Subject"]).strip().startswith("Liko 7 dienos: tarpinės ataskaitos terminas")
    assert str(mails[CONSULTANT]["Subject"]).strip().startswith("7 days left: interim report")
    assert "record it and the reminders stop" in text_of(mails[CONSULTANT])

    submitted = http("POST", f"{url}/reports/{interim_id}/submission", {"note": "first half-year"}, token=kaunas)
    assert submitted.status == 200 and submitted.body["implementation"]["reports"][0]["submitted_on"] == day(0)
    assert submitted.body["implementation"]["next_report_due"] == day(330)
    time.sleep(0.7)  # two more timer runs: nothing more is reminded
    assert len(events(grants_system, "grants.reporting_deadline_approaching")) == 1

    claim = http("POST", f"{url}/payment-claims", {"amount_eur": "42500", "eligible_costs_eur": "50000"},
                 token=kaunas)
    assert claim.status == 201, claim.body
    claim_id = claim.body["implementation"]["payment_claims"][0]["id"]
    approved = http("POST", f"{url}/payment-claims/{claim_id}/status",
                    {"status": "approved", "approved_amount_eur": "40000"}, token=grants_system.token())
    assert approved.status == 200, approved.body
    paid = http("POST", f"{url}/payment-claims/{claim_id}/status", {"status": "paid"}, token=kaunas)
    assert paid.status == 200 and paid.body["implementation"]["paid_eur"] == "40000.00"
    assert [e["data"]["status"] for e in events(grants_system, "grants.payment_claim_changed")] == [
        "submitted", "approved", "paid"]
    wait_until(lambda: metric_value(http("GET", f"{grants_system.ops_url}/metrics").body,
                                    "savivalda_grant_payment_claims", status="paid") == 1, message="the claims gauge")
    metrics = http("GET", f"{grants_system.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_grant_payment_claims", status="submitted") == 0
    assert metric_value(metrics, "savivalda_grant_reports_overdue") == 0

    amended = http("POST", f"{url}/amendments", {"ends_on": day(360), "reason": "works finish later",
                                                  "reference": "AM-1"}, token=grants_system.token())
    assert amended.status == 201, amended.body
    assert amended.body["implementation"]["ends_on"] == day(360)
    assert amended.body["implementation"]["reports"][1]["due_on"] == day(390)
    change, = amended.body["implementation"]["amendments"]
    assert (change["before"]["ends_on"], change["after"]["ends_on"], change["changed_by"]) == (
        day(300), day(360), "consultant@lsa.lt")

    # Bad input after the contract: problem+json naming the field, nothing changed.
    before = get(grants_system, f"/grants/applications/{application['id']}")
    cases = [
        ("PUT", "/implementation", plan, 409, "implementation"),
        ("POST", "/reports/00000000-0000-4000-8000-000000000000/submission", {}, 404, None),
        ("POST", f"/reports/{interim_id}/submission", {}, 409, "report_id"),
        ("POST", f"/reports/{interim_id}/submission", {"submitted_on": day(1)}, 409, "report_id"),
        ("POST", "/payment-claims", {"amount_eur": "45000", "eligible_costs_eur": "50000"}, 422, "amount_eur"),
        ("POST", "/payment-claims", {"amount_eur": "-1", "eligible_costs_eur": "50000"}, 422, "amount_eur"),
        ("POST", "/payment-claims", {"amount_eur": "1", "eligible_costs_eur": "2", "colour": "red"}, 422, "colour"),
        ("POST", "/payment-claims", {"amount_eur": "40000.01", "eligible_costs_eur": "60000"}, 422, "amount_eur"),
        ("POST", "/payment-claims", {"amount_eur": "1", "eligible_costs_eur": "2", "submitted_on": day(5)}, 422,
         "submitted_on"),
        ("POST", f"/payment-claims/{claim_id}/status", {"status": "rejected"}, 422, "status"),
        ("POST", f"/payment-claims/{claim_id}/status", {"status": "approved"}, 409, "status"),
        ("POST", "/payment-claims/00000000-0000-4000-8000-000000000000/status", {"status": "paid"}, 404, None),
        ("POST", "/amendments", {"ends_on": day(400)}, 422, "reason"),
        ("POST", "/amendments", {"reason": "nothing"}, 422, "body"),
        ("POST", "/amendments", {"grant_eur": "90000", "reason": "more"}, 422, "grant_eur"),
        ("POST", "/amendments", {"grant_eur": "39999", "reason": "less"}, 422, "grant_eur"),
        ("POST", "/amendments", {"ends_on": day(-1), "reason": "earlier"}, 422, "ends_on"),
    ]
    for method, path, body, status, field in cases:
        reply = http(method, f"{url}{path}", body, token=kaunas)
        try:
            assert_problem(reply, status, field)
        except AssertionError as error:
            raise AssertionError(f"{method} {path}: {error}") from None
    assert get(grants_system, f"/grants/applications/{application['id']}") == before
    assert_problem(http("GET", f"{base}/grants/reports/applications?group_by=decade", token=kaunas), 422,
                   field="group_by")

    # The final cost closes the project: 85 % of €88,000 = €74,800 (€5,200 below the award).
    final = http("POST", f"{url}/final-report", {"final_cost_eur": "88000", "completed_on": day(0)}, token=kaunas)
    assert final.status == 200, final.body
    assert (final.body["costs"]["final_grant_eur"], final.body["costs"]["grant_reduction_eur"]) == (
        "74800.00", "5200.00")
    assert final.body["implementation"]["reports"][1]["submitted_on"] == day(0)
    assert_problem(http("POST", f"{url}/payment-claims", {"amount_eur": "1", "eligible_costs_eur": "2"},
                        token=kaunas), 409, field="status")

    staff = grants_system.token()
    by_period = http("GET", f"{base}/grants/reports/applications?group_by=programme_period", token=staff).body
    rows = {r["group"]: r for r in by_period["rows"]}
    assert rows["2009–2014"]["funded_projects"] == 3 and rows["2009–2014"]["funded_final_cost_eur"] == "975548.00"
    assert rows["none"]["applications"] == 1 and rows["none"]["paid_eur"] == "40000.00"
    assert by_period["totals"]["funded_projects"] == 3
    by_year = http("GET", f"{base}/grants/reports/applications.csv?group_by=year", token=kaunas)
    assert by_year.status == 200 and "funded_projects" in by_year.body.splitlines()[0]
    assert by_year.body.splitlines()[1].startswith(day(0)[:4] + ",1,")  # Kaunas' own: one application this year
