"""Issue 18 item 7: fees invoiced per municipality — issuing, numbering, recalculation before the
cut-off, paid and waived, PDF and CSV, tenancy, the report's amounts, bad input; concurrency on
PostgreSQL through the distributed system (`any_system`)."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pypdf
import pytest

from services.enrollment.domain.invoices import VILNIUS
from services.enrollment.models import Invoice, InvoiceVersion, TrainingSession
from tests.enrollment.helpers import assert_problem, future, person
from tests.enrollment.test_readme import run_after_walkthrough

LITHUANIAN = "Žydrūnė Ąžuolaitytė-Čiurlionienė"


def fetch(url: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def today() -> str:
    return datetime.now(VILNIUS).date().isoformat()


def session_with_people(system, fee="15.00", capacity=6, **changes):
    """A session with a fee: Kaunas (15) two people, Vilnius (57) one, one more from Kaunas waiting."""
    session = system.schedule(capacity=capacity, fee_eur=fee, **changes)
    enrolled = [system.enrol(session["id"], body).body
                for body in (person(1, "15", name=LITHUANIAN), person(2, "15"), person(3, "57"))]
    return session, enrolled


def issue(system, session_id, body=None, role="staff"):
    return system.post(f"/sessions/{session_id}/invoices", body if body is not None else {}, role=role)


def test_one_invoice_per_municipality_numbered_without_gaps_and_issuing_again_adds_none(system):
    session, _ = session_with_people(system)
    reply = issue(system, session["id"])
    assert reply.status == 201, reply.body
    by_code = {i["municipality_code"]: i for i in reply.body}
    assert set(by_code) == {"15", "57"}
    kaunas, vilnius = by_code["15"], by_code["57"]
    assert (kaunas["participants"], kaunas["amount_eur"], kaunas["unit_price_eur"]) == (2, "30.00", "15.00")
    assert (vilnius["participants"], vilnius["amount_eur"]) == (1, "15.00")
    assert kaunas["status"] == "issued" and kaunas["version"] == 1 and kaunas["currency"] == "EUR"
    year = datetime.now(VILNIUS).year
    serials = sorted(int(i["number"].rsplit("-", 1)[1]) for i in reply.body)
    assert all(i["number"].startswith(f"SAV-SF-{year}-") for i in reply.body)
    assert serials == [serials[0], serials[0] + 1]
    assert kaunas["issued_by"] == "tester" and kaunas["due_on"] > today()
    again = issue(system, session["id"])
    assert again.status == 200 and sorted(i["id"] for i in again.body) == sorted(i["id"] for i in reply.body)
    # a new municipality enrols later: issuing again invoices only it, with the next number
    system.enrol(session["id"], person(9, "01"))
    third = issue(system, session["id"], {"municipality_code": "01"})
    assert third.status == 201
    alytus = next(i for i in third.body if i["municipality_code"] == "01")
    assert int(alytus["number"].rsplit("-", 1)[1]) == serials[-1] + 1
    issued = system.events("invoice_issued")
    assert [e["municipality_code"] for e in issued] == ["15", "57", "01"]
    assert issued[0]["amount_eur"] == "30.00" and "/invoice.pdf" in issued[0]["pdf_url"]
    assert all(LITHUANIAN not in str(e) for e in issued)  # no participant in the event


def test_a_cancellation_before_the_cut_off_makes_a_new_version_and_after_it_the_invoice_stands(system):
    session, (ona, jonas, petras) = session_with_people(system)
    kaunas = next(i for i in issue(system, session["id"]).body if i["municipality_code"] == "15")
    assert system.post(f"/enrollments/{jonas['id']}/cancel", {}).status == 200
    revised = system.get(f"/invoices/{kaunas['id']}").body
    assert (revised["version"], revised["participants"], revised["amount_eur"]) == (2, 1, "15.00")
    assert [(v["version"], v["reason"], v["amount_eur"]) for v in revised["versions"]] == [
        (1, "issued", "30.00"), (2, "recalculated", "15.00")]
    assert [line["name"] for line in revised["lines"]] == [LITHUANIAN]
    told = system.events("invoice_revised")
    assert (told[-1]["previous_amount_eur"], told[-1]["amount_eur"], told[-1]["version"]) == ("30.00", "15.00", 2)
    # version 1 is kept as it was, in the database too
    with system.uow() as uow:
        first = uow.session.get(InvoiceVersion, (UUID(kaunas["id"]), 1))
        assert (first.amount_cents, first.participants, len(first.enrollment_ids)) == (3000, 2, 2)
    # a late enrolment from Kaunas before the cut-off: version 3
    late = system.enrol(session["id"], person(4, "15")).body
    assert late["status"] == "confirmed"
    assert system.get(f"/invoices/{kaunas['id']}").body["amount_eur"] == "30.00"
    # past the cut-off the invoice stands
    system.travel(TrainingSession, TrainingSession.id == UUID(session["id"]),
                  invoice_cutoff_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    assert system.post(f"/enrollments/{late['id']}/cancel", {}).status == 200
    stands = system.get(f"/invoices/{kaunas['id']}").body
    assert (stands["version"], stands["amount_eur"]) == (3, "30.00")
    assert len(system.events("invoice_revised")) == 2


def test_paid_is_final_waived_is_not_paid_and_who_when_why_are_kept(system):
    session, (ona, jonas, petras) = session_with_people(system)
    invoices = {i["municipality_code"]: i for i in issue(system, session["id"]).body}
    kaunas, vilnius = invoices["15"], invoices["57"]
    # paying the version the payer saw, after a recalculation, is refused
    system.post(f"/enrollments/{jonas['id']}/cancel", {})
    assert_problem(system.post(f"/invoices/{kaunas['id']}/pay", {"paid_on": today(), "version": 1}), 409,
                   code="invoice_revised")
    paid = system.post(f"/invoices/{kaunas['id']}/pay", {"paid_on": today(), "reference": "MB-2026-15", "version": 2})
    assert paid.status == 200, paid.body
    assert (paid.body["status"], paid.body["paid_amount_eur"], paid.body["paid_by"]) == ("paid", "15.00", "tester")
    assert paid.body["paid_at"] and paid.body["payment_reference"] == "MB-2026-15"
    assert_problem(system.post(f"/invoices/{kaunas['id']}/pay", {"paid_on": today()}), 409, code="invoice_paid")
    assert_problem(system.post(f"/invoices/{kaunas['id']}/waive", {"reason": "klaida"}), 409, code="invoice_paid")
    # a paid invoice is never recalculated
    system.post(f"/enrollments/{ona['id']}/cancel", {})
    after = system.get(f"/invoices/{kaunas['id']}").body
    assert (after["status"], after["version"], after["amount_eur"]) == ("paid", 2, "15.00")
    waived = system.post(f"/invoices/{vilnius['id']}/waive", {"reason": "Bandomieji mokymai / pilot session"})
    assert waived.status == 200 and waived.body["waived_by"] == "tester" and waived.body["waived_at"]
    assert waived.body["waive_reason"] == "Bandomieji mokymai / pilot session"
    assert_problem(system.post(f"/invoices/{vilnius['id']}/pay", {"paid_on": today()}), 409, code="invoice_waived")
    assert_problem(system.post(f"/invoices/{vilnius['id']}/waive", {"reason": "dar kartą"}), 409,
                   code="invoice_waived")
    assert [e["status"] for e in system.events("invoice_paid")] == ["paid"]
    assert [e["reason"] for e in system.events("invoice_waived")] == ["Bandomieji mokymai / pilot session"]


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(system):
    free = system.schedule(fee_eur="0")
    system.enrol(free["id"], person(1))
    assert_problem(issue(system, free["id"]), 409, code="session_free")
    assert_problem(system.post("/courses/" + system.course()["id"] + "/sessions",
                               {"starts_at": future(20, 7), "ends_at": future(20, 13), "region": "KU",
                                "venue": "Kaunas", "capacity": 2, "fee_eur": "-1.00"}), 422, field="fee_eur")
    assert_problem(system.post("/courses/" + system.course()["id"] + "/sessions",
                               {"starts_at": future(20, 7), "ends_at": future(20, 13), "region": "KU",
                                "venue": "Kaunas", "capacity": 2, "fee_eur": "15", "invoice_cutoff_at": future(21)}),
                   422, field="invoice_cutoff_at")
    assert_problem(issue(system, "00000000-0000-4000-8000-000000000009"), 404)
    session, _ = session_with_people(system)
    assert_problem(system.patch(f"/sessions/{session['id']}", {"invoice_cutoff_at": future(25)}), 422,
                   field="invoice_cutoff_at")
    assert_problem(issue(system, session["id"], {"due_days": 0}), 422, field="due_days")
    assert_problem(issue(system, session["id"], {"municipality_code": "99"}), 422, field="municipality_code")
    assert_problem(issue(system, session["id"], {"colour": "red"}), 422, field="colour")
    assert_problem(issue(system, session["id"], role="municipality:15"), 403)
    assert system.get(f"/invoices?session_id={session['id']}").body == []  # nothing issued by the bad requests
    invoice = issue(system, session["id"]).body[0]
    base = f"/invoices/{invoice['id']}"
    assert_problem(system.post(f"{base}/pay", {"paid_on": "2099-01-01"}), 422, field="paid_on")
    assert_problem(system.post(f"{base}/pay", {"paid_on": "2000-01-01"}), 422, field="paid_on")
    assert_problem(system.post(f"{base}/pay", {"paid_on": today(), "reference": "x" * 101}), 422, field="reference")
    assert_problem(system.post(f"{base}/pay", {}), 422, field="paid_on")
    assert_problem(system.post(f"{base}/waive", {"reason": ""}), 422, field="reason")
    assert_problem(system.post(f"{base}/waive", {"reason": "x" * 1001}), 422, field="reason")
    assert_problem(system.post(f"{base}/pay", {"paid_on": today()}, role="municipality:15"), 403)
    assert_problem(system.post("/invoices/00000000-0000-4000-8000-000000000009/pay", {"paid_on": today()}), 404)
    assert_problem(system.get("/invoices?status=late"), 422, field="status")
    assert_problem(system.get("/invoices?limit=501"), 422, field="limit")
    assert_problem(system.get("/invoices?cursor=nonsense"), 422, field="cursor")
    assert_problem(system.get(f"{base}/invoice.pdf?version=0"), 422, field="version")
    assert_problem(system.get(f"{base}/invoice.csv?version=7"), 404)
    assert system.get(base).body["status"] == "issued" and system.get(base).body["version"] == 1
    cancelled = system.schedule(fee_eur="10")
    system.post(f"/sessions/{cancelled['id']}/cancel", {"reason": "lektorius serga"})
    assert_problem(issue(system, cancelled["id"]), 409, code="session_cancelled")


def test_a_municipality_sees_only_its_own_invoices(system):
    session, _ = session_with_people(system)
    invoices = {i["municipality_code"]: i for i in issue(system, session["id"]).body}
    kaunas, vilnius = invoices["15"], invoices["57"]
    assert [i["id"] for i in system.get("/invoices", role="municipality:15").body] == [kaunas["id"]]
    assert_problem(system.get("/invoices?municipality_code=57", role="municipality:15"), 403)
    assert system.get(f"/invoices/{kaunas['id']}", role="municipality:15").status == 200
    for path in ("", "/invoice.pdf", "/invoice.csv"):
        assert_problem(system.get(f"/invoices/{vilnius['id']}{path}", role="municipality:15"), 404)
    assert {i["id"] for i in system.get("/invoices").body} == {kaunas["id"], vilnius["id"]}
    assert system.get("/invoices", role="operator").status == 403
    # paging: one at a time, newest first
    first = system.get("/invoices?limit=1&sort=number")
    assert len(first.body) == 1 and first.headers.get("X-Next-Cursor")
    second = system.get(f"/invoices?limit=1&sort=number&cursor={first.headers['X-Next-Cursor']}")
    assert [first.body[0]["number"], second.body[0]["number"]] == sorted([kaunas["number"], vilnius["number"]])


def test_invoice_pdf_and_csv_list_the_participants_and_the_signed_link_opens_the_pdf(system):
    session, _ = session_with_people(system)
    kaunas = next(i for i in issue(system, session["id"]).body if i["municipality_code"] == "15")
    status, content_type, content = fetch(f"{system.base_url}{kaunas['pdf_url']}", system.token("municipality:15"))
    assert status == 200 and content_type == "application/pdf"
    text = pdf_text(content)
    for expected in (kaunas["number"], "Sąskaita faktūra / Invoice", "Kauno miesto savivaldybė", LITHUANIAN,
                     "Dalyvė Nr. 2", "Biudžeto planavimas savivaldybėje", "Municipal budget planning",
                     "Iš viso / Total: 30.00 EUR", "išrašyta, neapmokėta / issued, not paid"):
        assert expected in text, (expected, text)
    assert "Dalyvė Nr. 3" not in text  # Vilnius' participant is on Vilnius' invoice
    status, content_type, content = fetch(f"{system.base_url}{kaunas['csv_url']}", system.token("staff"))
    assert status == 200 and content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["line"], r["name"], r["amount_eur"]) for r in rows] == [
        ("1", LITHUANIAN, "15.00"), ("2", "Dalyvė Nr. 2", "15.00"), ("total", "", "30.00")]
    assert {r["invoice_number"] for r in rows} == {kaunas["number"]} and rows[0]["currency"] == "EUR"
    # the e-mail's signed link: no token; a wrong code is as unknown
    link = system.events("invoice_issued")[0]["pdf_url"]
    status, content_type, content = fetch(link)
    assert status == 200 and kaunas["number"] in pdf_text(content)
    assert fetch(link.replace("/invoice.pdf", "x/invoice.pdf"))[0] == 404
    assert fetch(f"{system.base_url}{kaunas['pdf_url']}")[0] == 401
    metrics = urllib.request.urlopen(f"{system.ops_url}/metrics").read().decode()
    assert 'savivalda_enrollment_invoice_documents_total{format="pdf"}' in metrics
    assert 'savivalda_enrollment_invoices_total{event="issued"}' in metrics
    assert 'savivalda_enrollment_invoice_amount_eur{service="enrollment",status="issued"}' in metrics


def test_the_report_shows_invoiced_and_paid_amounts(system):
    session, _ = session_with_people(system)
    invoices = {i["municipality_code"]: i for i in issue(system, session["id"]).body}
    system.post(f"/invoices/{invoices['15']['id']}/pay", {"paid_on": today()})
    report = system.get("/reports/summary?group_by=municipality").body
    lines = {line["group"]: line for line in report["lines"]}
    assert (lines["15"]["invoiced_eur"], lines["15"]["paid_eur"], lines["15"]["outstanding_eur"]) == (
        "30.00", "30.00", "0.00")
    assert (lines["57"]["invoiced_eur"], lines["57"]["paid_eur"], lines["57"]["outstanding_eur"]) == (
        "15.00", "0.00", "15.00")
    assert (report["total"]["invoices"], report["total"]["invoiced_eur"], report["total"]["paid_eur"]) == (
        2, "45.00", "30.00")
    own = system.get("/reports/summary?group_by=municipality", role="municipality:57").body
    assert [line["group"] for line in own["lines"]] == ["57"] and own["total"]["invoiced_eur"] == "15.00"
    by_theme = system.get("/reports/summary?group_by=theme&format=csv").body
    header = by_theme.splitlines()[0].lstrip("\ufeff").split(",")
    assert {"invoiced_eur", "paid_eur", "outstanding_eur"} <= set(header)


def test_a_session_cancelled_by_the_centre_brings_its_issued_invoices_to_nothing(system):
    session, _ = session_with_people(system, invoice_cutoff_at=future(1))
    invoice = issue(system, session["id"]).body[0]
    system.travel(TrainingSession, TrainingSession.id == UUID(session["id"]),
                  invoice_cutoff_at=datetime.now(timezone.utc) - timedelta(hours=1))
    system.post(f"/sessions/{session['id']}/cancel", {"reason": "per mažai dalyvių"})
    after = system.get(f"/invoices/{invoice['id']}").body
    assert (after["amount_eur"], after["participants"], after["version"]) == ("0.00", 0, 2)


def test_concurrent_issuing_gives_one_invoice_per_municipality_and_no_number_twice(any_system):
    """Eight staff issue the invoices of two sessions at once (four each): on PostgreSQL (the
    distributed run) the session's row lock and the unique (session, municipality) keep one
    invoice per municipality, and the year's counter row gives gap-free numbers."""
    system = any_system
    sessions = [session_with_people(system)[0] for _ in range(2)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda n: issue(system, sessions[n % 2]["id"]), range(8)))
    assert sorted(r.status for r in replies) == [200] * 6 + [201] * 2, [r.body for r in replies]
    rows = system.rows(Invoice)
    assert len(rows) == 4 and len({(r.session_id, r.municipality_code) for r in rows}) == 4
    serials = sorted(int(r.number.rsplit("-", 1)[1]) for r in rows)
    assert serials == list(range(serials[0], serials[0] + 4)), serials  # unique and without a gap
    # cancellations racing with payments: a paid invoice never changes, an issued one follows
    kaunas = [r for r in rows if r.municipality_code == "15"]
    enrolled = {s["id"]: system.get(f"/sessions/{s['id']}/enrollments").body for s in sessions}
    with ThreadPoolExecutor(4) as pool:
        pays = [pool.submit(system.post, f"/invoices/{kaunas[0].id}/pay", {"paid_on": today()})]
        cancels = [pool.submit(system.post, f"/enrollments/{e['id']}/cancel", {})
                   for e in enrolled[str(kaunas[0].session_id)] if e["municipality_code"] == "15"]
    assert pays[0].result().status == 200 and all(c.result().status == 200 for c in cancels)
    paid = system.get(f"/invoices/{kaunas[0].id}").body
    versions = paid["versions"]
    assert paid["status"] == "paid" and Decimal(paid["paid_amount_eur"]) == Decimal(
        next(v["amount_eur"] for v in versions if v["version"] == paid["version"]))


def test_the_municipality_coordinator_is_told_in_their_language_with_the_pdf_link(system):
    from tests.enrollment.test_working_groups import mails_to
    from tests.support import http

    coordinator = system.token("municipality:15", subject="ruta@kaunas.lt")
    reply = http("POST", f"{system.base_url}/notifications/recipients", {
        "email": "ruta@kaunas.lt", "name": "Rūta Koordinatorė", "municipality_code": "15", "language": "en",
        "roles": ["training_coordinator"]}, token=coordinator)
    assert reply.status in (200, 201), reply.body
    session, (ona, jonas, petras) = session_with_people(system)
    issue(system, session["id"])
    mail = system.wait_until(lambda: mails_to(system, "ruta@kaunas.lt"), timeout=20, message="the invoice e-mail")[0]
    assert mail["Subject"].startswith("Invoice SAV-SF-") and "€30.00" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("The invoice (PDF)"))
    status, content_type, content = fetch(link)
    assert status == 200 and content_type == "application/pdf" and LITHUANIAN in pdf_text(content)
    system.post(f"/enrollments/{jonas['id']}/cancel", {})
    revised = system.wait_until(lambda: [m for m in mails_to(system, "ruta@kaunas.lt") if "recalculated" in m["Subject"]],
                                timeout=20, message="the recalculation e-mail")[0]
    assert "€15.00 (was €30.00)" in revised["Subject"]
    assert not mails_to(system, "dalyve3@savivaldybe.lt") or all(
        "Invoice" not in m["Subject"] for m in mails_to(system, "dalyve3@savivaldybe.lt"))


def test_the_readme_invoices_example_works_as_written(system, tmp_path):
    out = run_after_walkthrough(system, tmp_path, "invoices example")
    assert out[-5:] == ["[('15', 1, '20.00'), ('57', 1, '20.00')]", "1,Jonas Jonaitis,20.00", "total,,20.00",
                        "paid 20.00", "40.00 20.00 20.00"], out


def test_erasure_reaches_invoices_a_participant_leaves_the_invoice_and_staff_lose_the_authorship(system):
    from shared.auth import issue_token
    from tests.support import run_cli

    egle = issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")
    session, (ona, jonas, petras) = session_with_people(system)
    invoices = {i["municipality_code"]: i for i in system.post(f"/sessions/{session['id']}/invoices", {},
                                                                 token=egle).body}
    system.post(f"/invoices/{invoices['57']['id']}/waive", {"reason": "bandomieji"}, token=egle)
    for email in ("egle@lsa.lt", "dalyve2@savivaldybe.lt"):
        erased = run_cli("--data-dir", str(system.settings.data_dir), "privacy", "erase", email, "--requested-by", "dpo")
        assert erased.returncode == 0, erased.stderr
    answers = system.wait_until(lambda: len(system.events("person_erased")) == 2 and system.events("person_erased"),
                                timeout=15, message="enrollment.person_erased twice")
    assert [a["removed"]["invoice_authors"] for a in answers] == [3, 0]  # two issued, one waived
    kaunas, vilnius = (system.get(f"/invoices/{invoices[c]['id']}").body for c in ("15", "57"))
    assert kaunas["issued_by"] == "(erased)" and vilnius["waived_by"] == "(erased)"
    # the erased participant's seat was given up before the cut-off: Kaunas' invoice has a new version
    assert (kaunas["version"], kaunas["participants"], [line["name"] for line in kaunas["lines"]]) == (
        2, 1, [LITHUANIAN])
    everything = system.texts()
    assert "egle@lsa.lt" not in everything and "dalyvė nr. 2" not in everything


@pytest.mark.parametrize("atomic", [True, False])
def test_a_bulk_enrolment_after_issuing_recalculates_each_invoice_once_per_transaction(system, atomic):
    """Atomic: the whole list is one transaction, so Kaunas' invoice gets one new version for its
    three newcomers; row by row, one version per row."""
    session, _ = session_with_people(system, capacity=10)
    kaunas = next(i for i in issue(system, session["id"]).body if i["municipality_code"] == "15")
    rows = "name,email,municipality_code\r\n" + "".join(f"Naujokė {n},naujoke{n}@kaunas.lt,15\r\n" for n in range(3))
    reply = system.post(f"/sessions/{session['id']}/enrollments/bulk?atomic={str(atomic).lower()}",
                        raw=rows.encode(), headers={"Content-Type": "text/csv"})
    assert reply.status == 200 and reply.body["totals"]["confirmed"] == 3, reply.body
    after = system.get(f"/invoices/{kaunas['id']}").body
    assert (after["participants"], after["amount_eur"]) == (5, "75.00")
    assert [v["participants"] for v in after["versions"]] == ([2, 5] if atomic else [2, 3, 4, 5])
