"""Issue 17: the public pages of enrollment as a browser gets them — the certificate verification
page (printable, lt/en, valid or not and why, a form to check another) and the catalogue of
upcoming sessions with the seats left (filters as a GET form, pages, its JSON)."""

import uuid
from datetime import datetime, timedelta, timezone

import requests

from services.enrollment.models import Certificate
from services.enrollment.public_pages import PAGE_SIZE, PAGES
from tests.enrollment.helpers import person
from tests.enrollment.test_figures_api import held_session

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def page(system, path, language=None, **kw):
    headers = dict(BROWSER, **({"Accept-Language": language} if language else {}))
    return requests.get(f"{system.base_url}/enrollment{path}", headers=headers, allow_redirects=False, timeout=30, **kw)


def test_every_page_text_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


def test_the_certificate_page_shows_whose_it_is_and_whether_it_is_valid_in_both_languages(system):
    session = held_session(system, {1: ("15", True, None), 2: ("15", True, None)},
                           course={"themes": ["anti_corruption", "budgeting"]})
    first, second = system.get(f"/certificates?session_id={session['id']}").body
    number, code = first["number"], first["verification_code"]

    lithuanian = page(system, f"/certificates/verify?number={number}&code={code.lower()}")
    assert lithuanian.status_code == 200 and lithuanian.headers["Content-Type"].startswith("text/html")
    body = lithuanian.text
    assert '<html lang="lt">' in body and "Galioja" in body and "Dalyvė Nr. 1" in body
    assert "Biudžeto planavimas savivaldybėje" in body and "Kova su korupcija" in body or "korupc" in body.lower()
    assert "Biudžeto planavimas ir finansai" in body  # the themes, named
    assert number in body and "6 akad. val." in body
    assert 'action="/enrollment/certificates/verify"' in body and 'name="code"' in body  # check another
    assert lithuanian.headers["Referrer-Policy"] == "no-referrer"

    english = page(system, f"/certificates/verify?number={number}&code={code}&lang=en")
    assert '<html lang="en">' in english.text and "Valid" in english.text and "Municipal budget planning" in english.text
    assert "genuine and valid" in english.text and "Budgeting and finance" in english.text
    by_browser = page(system, f"/certificates/verify?number={number}&code={code}", language="en-GB,en;q=0.8")
    assert by_browser.headers["Content-Language"] == "en"

    # Expired and revoked: said in words (not by colour alone), with the reason.
    system.travel(Certificate, Certificate.id == uuid.UUID(second["id"]),
                  valid_until=datetime.now(timezone.utc) - timedelta(days=3))
    expired = page(system, f"/certificates/verify?number={second['number']}&code={second['verification_code']}"
                           "&lang=en")
    assert "Expired" in expired.text and "it expired on" in expired.text
    system.travel(Certificate, Certificate.id == uuid.UUID(first["id"]), status="revoked")
    revoked = page(system, f"/certificates/verify?number={number}&code={code}")
    assert "Atšauktas" in revoked.text and "negalioja" in revoked.text

    # A wrong code: 404, the same page with the form and the entered number kept.
    wrong = page(system, f"/certificates/verify?number={number}&code=AAAA-BBBB-CCCC&lang=en")
    assert wrong.status_code == 404 and "do not match" in wrong.text and f'value="{number}"' in wrong.text

    # JSON clients see no change (the same URL, asked for JSON).
    data = requests.get(f"{system.base_url}/enrollment/certificates/verify",
                        params={"number": second["number"], "code": second["verification_code"]}, timeout=30)
    assert data.headers["Content-Type"].startswith("application/json") and data.json()["status"] == "expired"


def test_the_certificate_form_and_bad_input(system):
    form = page(system, "/certificates/check?lang=en")
    assert form.status_code == 200 and '<label for="number">Certificate number</label>' in form.text
    assert 'method="get"' in form.text and "required" in form.text
    assert "Pažymėjimo patikra" in page(system, "/certificates/check").text
    # A number too long: an error page in the person's language naming the field.
    too_long = page(system, "/certificates/verify?number=" + "9" * 40 + "&code=ABCD&lang=en")
    assert too_long.status_code == 422 and "Please check what you entered" in too_long.text and "number" in too_long.text
    assert page(system, "/certificates/check?lang=de").status_code == 422
    assert page(system, "/certificates/check?unknown=1").status_code == 422


def test_the_catalogue_lists_upcoming_sessions_with_seats_left_filters_and_pages(system):
    full = system.schedule(capacity=1, region="VL", course={"themes": ["anti_corruption"],
                                                            "title": {"lt": "Korupcijos rizika", "en": "Corruption risk"}})
    assert system.enrol(full["id"], person(1)).status == 201
    assert system.enrol(full["id"], person(2)).status == 201  # waits
    open_one = system.schedule(capacity=3, region="KU")
    past = system.schedule(capacity=3)
    system.start_session_now(past["id"])

    english = page(system, "/catalogue?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    text = english.text
    assert "Corruption risk" in text and "Municipal budget planning" in text and "Full (1 waiting)" in text
    assert "3 of 3" in text and text.count("<article") == 2  # the session that began is not upcoming
    assert "Vilnius County" in english.text or "VL" not in english.text
    assert 'href="/enrollment/catalogue?lang=en&amp;' not in text and "format=json" in text

    lithuanian = page(system, "/catalogue")
    assert "Artimiausi mokymai" in lithuanian.text and "Vietų nebėra" in lithuanian.text

    only_free = page(system, "/catalogue?lang=en&theme=&region=&with_seats=true")
    assert only_free.text.count("<article") == 1 and "Corruption risk" not in only_free.text
    by_theme = page(system, "/catalogue?theme=anti_corruption&lang=en")
    assert by_theme.text.count("<article") == 1 and "Corruption risk" in by_theme.text
    by_region = page(system, "/catalogue?region=KU&lang=en")
    assert by_region.text.count("<article") == 1 and "Municipal budget planning" in by_region.text

    bad = page(system, "/catalogue?theme=astrology&lang=en")
    assert bad.status_code == 422 and "theme" in bad.text and bad.headers["Content-Type"].startswith("text/html")

    # The JSON of the same list, for API clients and through the page's own link.
    data = requests.get(f"{system.base_url}/enrollment/catalogue", timeout=30).json()
    assert data["total"] == 2 and [s["id"] for s in data["sessions"]] == [full["id"], open_one["id"]] or \
        {s["id"] for s in data["sessions"]} == {full["id"], open_one["id"]}
    assert page(system, "/catalogue?format=json").json()["total"] == 2
    assert "email" not in str(data) and "Dalyvė" not in str(data)  # no participant in the public list

    # Pages: more sessions than one page holds.
    course_id = open_one["course_id"]
    for _ in range(PAGE_SIZE):
        system.schedule(course_id=course_id, capacity=1)
    first = page(system, "/catalogue?lang=en")
    assert first.text.count("<article") == PAGE_SIZE and "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = page(system, "/catalogue?lang=en&page=2")
    assert second.text.count("<article") == 2 and 'rel="prev"' in second.text
    assert page(system, "/catalogue?page=0").status_code == 422
