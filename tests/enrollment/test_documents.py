"""Issue 18 items 5 and 6: certificates as PDF, sign-in sheets (CSV, PDF) and bulk enrolment from
CSV or JSON, on the embedded default. The PDFs are read back with pypdf."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from datetime import datetime, timezone
from decimal import Decimal

import pypdf
import pytest

from services.enrollment.domain.certificate_pdf import (
    CertificateFacts,
    SheetFacts,
    SheetLine,
    certificate_pdf,
    sign_in_sheet_pdf,
)
from services.enrollment.usecases import bulk
from tests.enrollment.helpers import assert_problem, person
from tests.enrollment.test_readme import run_after_walkthrough

LITHUANIAN = "Žydrūnė Ąžuolaitytė-Čiurlionienė įšųūę"


def pdf_text(content: bytes) -> tuple[str, list[str]]:
    """All pages' text and the link annotations' URIs."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    uris = [annotation.get_object()["/A"]["/URI"] for page in reader.pages
            for annotation in page.get("/Annots", []) if "/A" in annotation.get_object()]
    return text, uris


def fetch(url: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


# ---------------------------------------------------------------- the domain: layout, pure
FACTS = CertificateFacts(
    number="SAV-2026-000042", verification_code="K7Q2-MX9P-4TWC", holder_name=LITHUANIAN,
    course_title_lt="Biudžeto planavimas savivaldybėje", course_title_en="Municipal budget planning",
    hours=Decimal("6.0"), themes=(("Biudžeto planavimas ir finansai", "Budgeting and finance"),),
    starts_at=datetime(2026, 3, 2, 7, tzinfo=timezone.utc), ends_at=datetime(2026, 3, 2, 13, tzinfo=timezone.utc),
    issued_at=datetime(2026, 3, 2, 15, tzinfo=timezone.utc), valid_until=datetime(2028, 3, 2, 13, tzinfo=timezone.utc),
    status="valid", verify_url="https://savivalda.example/enrollment/certificates/verify?number=SAV-2026-000042&code=K7Q2MX9P4TWC")


def test_certificate_pdf_prints_both_languages_lithuanian_letters_and_the_verification_link():
    content = certificate_pdf(FACTS)
    assert content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text, uris = pdf_text(content)
    for expected in ("PAŽYMĖJIMAS", "CERTIFICATE", "SAV-2026-000042", LITHUANIAN, "Biudžeto planavimas savivaldybėje",
                     "Municipal budget planning", "6 val. / hours", "Budgeting and finance", "2026-03-02",
                     "2028-03-02", "Galioja / Valid", "K7Q2-MX9P-4TWC"):
        assert expected in text, (expected, text)
    assert set(uris) == {FACTS.verify_url}  # the printed link (wrapped: one annotation per line)
    assert FACTS.verify_url in text.replace("\n", "")
    images = reader.pages[0].images  # the QR code of the same link
    assert len(images) == 1 and images[0].image.size[0] >= 100
    fonts = {font["/BaseFont"] for font in (reader.pages[0]["/Resources"]["/Font"][k].get_object()
                                            for k in reader.pages[0]["/Resources"]["/Font"])}
    assert all("DejaVu" in name for name in fonts), fonts  # embedded TTF, not a Latin-1 core font


def test_a_revoked_certificate_says_so_and_dates_of_several_days_show_the_range():
    facts = FACTS.__class__(**{**FACTS.__dict__, "status": "revoked", "valid_until": None,
                               "ends_at": datetime(2026, 3, 4, 13, tzinfo=timezone.utc)})
    text, _ = pdf_text(certificate_pdf(facts))
    assert "Atšauktas / Revoked" in text and "2026-03-02 – 2026-03-04" in text and "no expiry" in text


def test_sign_in_sheet_pdf_runs_over_pages_with_every_person_once():
    lines = tuple(SheetLine(f"Asmuo {n:02d} Šarūnė", "Šiaulių miesto savivaldybė", "vedėja",
                            "online" if n % 2 else "in_person") for n in range(1, 46))
    content = sign_in_sheet_pdf(SheetFacts("Biudžeto planavimas", "Budget planning",
                                           FACTS.starts_at, FACTS.ends_at, "Kaunas, Laisvės al. 96", "Jonas Jonaitis",
                                           lines))
    text, _ = pdf_text(content)
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) >= 2
    for n in range(1, 46):
        assert text.count(f"Asmuo {n:02d} Šarūnė") == 1
    assert text.count("Parašas / Signature") >= 2  # headings repeat on each page
    assert "Iš viso / Total: 45" in text and "Nuotoliu / Online" in text and "Vietoje / In person" in text


def test_bulk_rows_are_validated_one_by_one_and_named_by_their_row_number():
    rows = bulk.parse_rows("text/csv; charset=utf-8", (
        "name,email,municipality_code,position\r\n"
        "Ona Onaitė,ona@example.lt,15,\r\n"
        "Jonas Jonaitis,jonas@example.lt,57,vedėjas\r\n"
        "Petras,not-an-email,15,\r\n"
        "\r\n"
        "Ona Dvynė,ONA@example.lt,15,\r\n"
        "Trūksta,trūksta@example.lt\r\n").encode())
    valid, refused = bulk.validate(rows)
    assert sorted(valid) == [1, 2]
    assert refused[3]["field"] == "rows.3.email" and refused[3]["code"] == "validation"
    assert refused[4]["field"] == "rows.4.email" and refused[4]["code"] == "duplicate_row"
    assert refused[5]["field"] == "rows.5" and "cells" in refused[5]["detail"]


@pytest.mark.parametrize("header, named", [
    ("name,e-mail,municipality_code", "unknown column 'e-mail'"),
    ("name,email", "missing column 'municipality_code'"),
    ("name,email,email,municipality_code", "column 'email' twice"),
])
def test_a_wrong_csv_header_is_refused_naming_the_column(header, named):
    with pytest.raises(Exception) as refused:
        bulk.parse_rows("text/csv", f"{header}\r\nOna,ona@example.lt,15\r\n".encode())
    assert refused.value.status == 422 and named in refused.value.detail
    assert refused.value.errors[0]["field"] == "header"


# ---------------------------------------------------------------- over HTTP
def completed_session(system, people):
    course = system.course(certificate_validity_months=24)
    session = system.schedule(course["id"], capacity=len(people) + 1)
    enrolled = [system.enrol(session["id"], body).body for body in people]
    system.start_session_now(session["id"])
    system.post(f"/sessions/{session['id']}/attendance",
                {"records": [{"enrollment_id": e["id"], "attendance": "attended"} for e in enrolled[:-1]]
                + [{"enrollment_id": enrolled[-1]["id"], "attendance": "no_show"}]})
    reply = system.post(f"/sessions/{session['id']}/complete", {})
    assert reply.status == 200 and reply.body["certificates_issued"] == len(people) - 1, reply.body
    return session, enrolled


def test_certificate_pdf_for_staff_the_municipality_and_the_person_but_nobody_else(system):
    session, (ona, jonas) = completed_session(system, [person(1, name=LITHUANIAN), person(2, "15")])
    certificate = system.get(f"/certificates?session_id={session['id']}").body[0]
    url = f"{system.base_url}/enrollment/certificates/{certificate['id']}/certificate.pdf"
    status, content_type, content = fetch(url, system.token("staff"))
    assert status == 200 and content_type == "application/pdf"
    text, uris = pdf_text(content)
    assert certificate["number"] in text and LITHUANIAN in text
    assert set(uris) == {certificate["verify_url"]}
    flat = " ".join(text.split())
    assert "Biudžeto planavimas ir finansai / Budgeting and finance; Strateginis planavimas / Strategic planning" \
        in flat  # the course's themes
    assert fetch(url, system.token("municipality:15"))[0] == 200
    status, content_type, _ = fetch(url, system.token("municipality:57"))  # another municipality: as unknown
    assert status == 404 and content_type.startswith("application/problem+json")
    assert fetch(url)[0] == 401
    # The person, through their own link (manage_url); a wrong code or no certificate yet: 404.
    status, _, own = fetch(ona["manage_url"] + "/certificate.pdf")
    assert status == 200 and certificate["number"] in pdf_text(own)[0]
    assert fetch(ona["manage_url"][:-4] + "xxxx/certificate.pdf")[0] == 404
    assert fetch(jonas["manage_url"] + "/certificate.pdf")[0] == 404  # no-show: no certificate
    # The person's page links it (only when they have one).
    page = urllib.request.urlopen(urllib.request.Request(ona["manage_url"] + "?lang=en",
                                                         headers={"Accept": "text/html"})).read().decode()
    own_path = "/enrollment" + ona["manage_url"].split("/enrollment", 1)[1]
    assert f'href="{own_path}/certificate.pdf"' in page and f"Certificate No. {certificate['number']}" in page
    page = urllib.request.urlopen(urllib.request.Request(jonas["manage_url"], headers={"Accept": "text/html"})).read()
    assert b"certificate.pdf" not in page
    assert "savivalda_enrollment_documents_total" in urllib.request.urlopen(
        f"{system.ops_url}/metrics").read().decode()


def test_sign_in_sheet_csv_and_pdf_list_the_confirmed_people_by_name(system):
    session = system.schedule(capacity=2)
    for body in (person(1, name="Žilvinas Žukas"), person(2, "57", name="Ąžuolas Čepas"),
                 person(3, name="Waiting Person")):
        system.enrol(session["id"], body)
    status, content_type, content = fetch(
        f"{system.base_url}/enrollment/sessions/{session['id']}/sign-in-sheet?format=csv", system.token("staff"))
    assert status == 200 and content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["no", "name", "municipality_code", "municipality", "position", "mode", "signature"]
    assert [r[1] for r in rows[1:]] == ["Ąžuolas Čepas", "Žilvinas Žukas"]  # waitlisted not on it; Lithuanian order
    assert rows[1][2:4] == ["57", "Vilniaus miesto savivaldybė"] and rows[1][6] == ""
    status, content_type, content = fetch(
        f"{system.base_url}/enrollment/sessions/{session['id']}/sign-in-sheet", system.token("staff"))
    assert status == 200 and content_type == "application/pdf"
    text, _ = pdf_text(content)
    assert "Ąžuolas Čepas" in text and "Žilvinas Žukas" in text and "Waiting Person" not in text
    assert fetch(f"{system.base_url}/enrollment/sessions/{session['id']}/sign-in-sheet",
                 system.token("municipality:15"))[0] == 403
    assert_problem(system.get(f"/sessions/{session['id']}/sign-in-sheet?format=xlsx"), 422, field="format")


def post_csv(system, session_id, text: str, query: str = "", headers=None):
    return system.post(f"/sessions/{session_id}/enrollments/bulk{query}", raw=text.encode("utf-8"),
                       headers={"Content-Type": "text/csv; charset=utf-8", **(headers or {})})


CSV = ("name,email,municipality_code,position,language\r\n"
       "Ona Onaitė,ona@example.lt,15,vedėja,lt\r\n"
       "Jonas Jonaitis,jonas@example.lt,57,,en\r\n"
       "Petras Petraitis,petras-at-example.lt,15,,lt\r\n"
       "Rūta Rūtaitė,ruta@example.lt,19,,lt\r\n")


def test_bulk_enrolment_reports_each_row_with_the_rules_of_one_enrolment(system):
    session = system.schedule(capacity=2)
    reply = post_csv(system, session["id"], CSV)
    assert reply.status == 200, reply.body
    report = reply.body
    assert [(r["row"], r["outcome"]) for r in report["rows"]] == [
        (1, "confirmed"), (2, "confirmed"), (3, "refused"), (4, "waitlisted")]
    assert report["rows"][2]["reason"]["field"] == "rows.3.email" and "row 3" in report["rows"][2]["reason"]["detail"]
    assert report["rows"][3]["waitlist_position"] == 1 and report["rows"][3]["manage_url"]
    assert report["totals"] == {"confirmed": 2, "waitlisted": 1, "offered": 0, "existing": 0, "refused": 1,
                                "not_applied": 0}
    assert len(system.events("enrollment_confirmed")) == 2 and len(system.events("enrollment_waitlisted")) == 1
    # The same list again: the same people are enrolled already (nobody twice, nobody told twice).
    again = post_csv(system, session["id"], CSV).body
    assert [r["outcome"] for r in again["rows"]] == ["existing", "existing", "refused", "existing"]
    assert len(system.events("enrollment_confirmed")) == 2
    # A JSON list works the same; a row outside the rules (another municipality's person is fine for
    # staff) is refused with the domain's reason.
    listed = system.post(f"/sessions/{session['id']}/enrollments/bulk",
                         [person(7), {"name": "Be savivaldybės", "email": "x@example.lt"}]).body
    assert [r["outcome"] for r in listed["rows"]] == ["waitlisted", "refused"]
    assert listed["rows"][1]["reason"]["field"] == "rows.2.municipality_code"


def test_atomic_bulk_enrols_nobody_when_a_row_is_refused_and_everyone_otherwise(system):
    session = system.schedule(capacity=5)
    refused = post_csv(system, session["id"], CSV, "?atomic=true")
    assert refused.status == 422 and refused.body["applied"] is False
    assert [r["outcome"] for r in refused.body["rows"]] == ["not_applied", "not_applied", "refused", "not_applied"]
    assert system.get(f"/sessions/{session['id']}/enrollments").body == []
    assert system.events("enrollment_confirmed") == []
    good = CSV.replace("petras-at-example.lt", "petras@example.lt")
    done = post_csv(system, session["id"], good, "?atomic=true")
    assert done.status == 200 and done.body["applied"] is True
    assert [r["outcome"] for r in done.body["rows"]] == ["confirmed"] * 4
    assert len(system.get(f"/sessions/{session['id']}/enrollments").body) == 4
    # A refusal by the rules (registration closed) in an atomic batch also changes nothing.
    system.start_session_now(session["id"])
    closed = post_csv(system, session["id"], "name,email,municipality_code\r\nNauja,nauja@example.lt,15\r\n",
                      "?atomic=true")
    assert closed.status == 422 and closed.body["rows"][0]["reason"]["code"] == "registration_closed"
    assert len(system.get(f"/sessions/{session['id']}/enrollments").body) == 4


def test_bulk_with_an_idempotency_key_answers_a_repeat_as_the_first_time(system):
    session = system.schedule(capacity=1)
    key = {"Idempotency-Key": "list-2026-03"}
    first = post_csv(system, session["id"], CSV, headers=key).body
    again = post_csv(system, session["id"], CSV, headers=key).body
    assert [r["enrollment_id"] for r in again["rows"]] == [r["enrollment_id"] for r in first["rows"]]
    assert [r["outcome"] for r in first["rows"]] == ["confirmed", "waitlisted", "refused", "waitlisted"]
    other = post_csv(system, session["id"], CSV.replace("Ona Onaitė", "Ona Kita"), headers=key).body
    assert other["rows"][0]["reason"]["code"] == "idempotency_key_reused"
    assert [r["outcome"] for r in other["rows"][1:]] == ["existing", "refused", "existing"]


def test_bulk_bad_input_is_a_problem_naming_the_field_and_changes_nothing(system):
    session = system.schedule(capacity=2)
    assert_problem(post_csv(system, session["id"], "vardas,email,municipality_code\r\nOna,o@example.lt,15\r\n"),
                   422, field="header")
    many = "name,email,municipality_code\r\n" + "".join(f"P{n},p{n}@example.lt,15\r\n" for n in range(501))
    assert_problem(post_csv(system, session["id"], many), 422, field="rows")
    assert_problem(post_csv(system, session["id"], "name,email,municipality_code\r\n"), 422, field="rows")
    huge = "name,email,municipality_code,position\r\n" + f"Ona,ona@example.lt,15,{'x' * 200}\r\n" * 1400
    assert_problem(post_csv(system, session["id"], huge), 413)  # 280 KB: past 256 KiB
    assert_problem(system.post(f"/sessions/{session['id']}/enrollments/bulk", raw=b"name;email",
                               headers={"Content-Type": "application/vnd.ms-excel"}), 415)
    assert_problem(system.post(f"/sessions/{session['id']}/enrollments/bulk", {"people": []}), 422, field="body")
    assert_problem(post_csv(system, session["id"], CSV, "?atomic=maybe"), 422, field="atomic")
    assert_problem(system.post(f"/sessions/{session['id']}/enrollments/bulk", [person(1)], role="municipality:15"),
                   403)  # the centre's coordinators enrol lists
    assert_problem(system.post("/sessions/00000000-0000-4000-8000-000000000000/enrollments/bulk", [person(1)]), 404)
    assert system.get(f"/sessions/{session['id']}/enrollments").body == []


def test_the_certificate_e_mail_links_the_pdf_through_the_persons_own_link():
    from services.notifications.examples import example_event
    from services.notifications.rendering import TemplateLibrary

    event = example_event("certificate_issued")
    for language in ("lt", "en"):
        rendered = TemplateLibrary().render("certificate_issued", language, recipient=event.participant,
                                            now=datetime.now(timezone.utc), event=event, unsubscribe_url="https://u")
        assert f"{event.manage_url}/certificate.pdf" in rendered.text
        assert f'href="{event.manage_url}/certificate.pdf"' in rendered.html


def test_the_readme_documents_example_works_as_written(system, tmp_path):
    out = run_after_walkthrough(system, tmp_path, "documents example")
    assert out[-4:] == ["2 1 ['rows.3.email']", "Ona Žemaitytė", "Petras Šimkus", "%PDF-"], out
