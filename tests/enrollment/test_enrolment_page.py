"""Issue 17: the enrolment page behind the person's link, as a browser gets it over HTTP — status,
place in line and why, the session, the offer's deadline, POST forms answered 303 back to the page
with a confirmation, both languages, bad input, and a mail scanner's GET changing nothing. JSON
clients get the JSON as before."""

import html
import re

import requests

from services.enrollment.pages import PAGES
from tests.enrollment.helpers import person

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {**BROWSER, "Content-Type": "application/x-www-form-urlencoded"}


def path_of(manage_url: str) -> str:
    return "/enrollment" + manage_url.split("/enrollment", 1)[1]


def get(system, path, headers=BROWSER, **kw):
    return requests.get(system.base_url + path, headers=headers, allow_redirects=False, timeout=30, **kw)


def post(system, path, data="lang=en", headers=FORM):
    return requests.post(system.base_url + path, data=data, headers=headers, allow_redirects=False, timeout=30)


def action(page_html: str, name: str) -> str:
    """The address a form of the page posts to."""
    found = re.search(r'action="([^"]*/' + name + r'(?:\?[^"]*)?)"', page_html)
    assert found, f"no {name} form on the page"
    return html.unescape(found.group(1))


def test_every_text_of_the_page_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


def test_the_page_shows_status_place_and_why_in_the_persons_language(system):
    session = system.schedule(capacity=1, quota_per_municipality=1, online_capacity=None)
    ona = system.enrol(session["id"], person(1, language="en")).body
    jonas = system.enrol(session["id"], person(2, municipality="15")).body  # quota: 15 has its seat
    rita = system.enrol(session["id"], person(3, municipality="21")).body  # the seat is full

    confirmed = get(system, path_of(ona["manage_url"]))
    assert confirmed.status_code == 200 and confirmed.headers["Content-Type"].startswith("text/html")
    body = confirmed.text
    assert '<html lang="en">' in body and confirmed.headers["Content-Language"] == "en"  # her stored language
    assert "Enrolment confirmed" in body and "Dalyvė Nr. 1" in body and "(Vilnius time)" in body
    assert "Leave the session" in body and 'method="post"' in body and "/calendar.ics" in body
    assert 'hours' in body and 'name="lang" value="en"' in body
    assert "The same as data" not in body  # a browser would get this page again there
    assert confirmed.headers["Referrer-Policy"] == "no-referrer" and confirmed.headers["Cache-Control"] == "no-store"

    quota = get(system, path_of(jonas["manage_url"]))
    assert '<html lang="lt">' in quota.text and "Laukiančiųjų sąraše" in quota.text
    assert "Jūsų vieta eilėje: 1." in quota.text and "(kvotą)" in quota.text and "Išeiti iš laukiančiųjų" in quota.text
    seats = get(system, path_of(rita["manage_url"]) + "?lang=en")
    assert "Your place in line: 2." in seats.text and "all seats are taken" in seats.text
    assert "quota" not in seats.text.split("Why you are waiting")[1].split("</p>")[0]

    # The language switch keeps the page.
    assert f'href="{path_of(ona["manage_url"])}?lang=lt"' in body
    assert '<html lang="lt">' in get(system, path_of(ona["manage_url"]) + "?lang=lt").text

    # JSON clients: unchanged.
    data = requests.get(system.base_url + path_of(ona["manage_url"]), timeout=30)
    assert data.headers["Content-Type"].startswith("application/json") and data.json()["status"] == "confirmed"
    assert set(data.json()) >= {"enrollment_id", "waitlist_position", "waiting_for", "calendar_url"}


def test_leaving_with_the_form_redirects_to_a_confirmation_and_promotes_the_next(system):
    session = system.schedule(capacity=1)
    ona = system.enrol(session["id"], person(1, language="en")).body
    jonas = system.enrol(session["id"], person(2)).body
    page = path_of(ona["manage_url"])

    # A mail scanner fetching every link (also the form's address) changes nothing.
    assert get(system, page).status_code == 200
    assert get(system, page + "/leave").status_code == 405
    assert system.enrollment(ona["id"])["status"] == "confirmed"

    leave = action(get(system, page).text, "leave")
    assert leave == page + "/leave?lang=en"
    left = post(system, leave, "lang=en")
    assert left.status_code == 303 and left.headers["Location"] == page + "?lang=en&done=left"
    after = get(system, left.headers["Location"])
    assert "Done: you have left" in after.text and "Enrolment cancelled" in after.text
    assert 'role="status"' in after.text and "Leave the session" not in after.text  # nothing left to do
    assert system.enrollment(ona["id"])["status"] == "cancelled"
    assert system.enrollment(jonas["id"])["status"] == "confirmed"
    assert "Registracija patvirtinta" in get(system, path_of(jonas["manage_url"])).text

    # Again: 409 as a page in the person's language (nothing to leave).
    again = post(system, leave, "lang=en")
    assert again.status_code == 409 and "This cannot be done now" in again.text


def test_an_offer_is_accepted_or_declined_with_the_form_before_its_deadline(system):
    session = system.schedule(capacity=1, offer_hours=24)
    ona, jonas, ema = (system.enrol(session["id"], person(n)).body for n in range(1, 4))
    system.post(f"/enrollments/{ona['id']}/cancel", {})
    offered = get(system, path_of(jonas["manage_url"]) + "?lang=en")
    assert "A seat is offered to you" in offered.text and "Answer by" in offered.text
    assert "Accept the seat" in offered.text and "Decline the seat" in offered.text

    declined = post(system, action(get(system, path_of(jonas["manage_url"])).text, "decline"), "lang=lt")
    assert declined.status_code == 303 and declined.headers["Location"].endswith("?lang=lt&done=declined")
    assert "pasiūlytos vietos atsisakėte" in get(system, declined.headers["Location"]).text
    assert system.enrollment(jonas["id"])["status"] == "cancelled"
    assert system.enrollment(ema["id"])["status"] == "offered"  # it passed on

    accepted = post(system, action(get(system, path_of(ema["manage_url"]) + "?lang=en").text, "accept"), "lang=en")
    assert accepted.status_code == 303
    assert "the seat is yours" in get(system, accepted.headers["Location"]).text
    assert system.enrollment(ema["id"])["status"] == "confirmed"

    # Declining without an open offer: 409; JSON clients get problem+json.
    json_client = requests.post(system.base_url + path_of(ema["manage_url"]) + "/decline", timeout=30)
    assert json_client.status_code == 409 and json_client.headers["Content-Type"].startswith("application/problem+json")


def test_bad_input_and_wrong_links(system):
    session = system.schedule(capacity=1)
    ona = system.enrol(session["id"], person(1, language="en")).body
    page = path_of(ona["manage_url"])
    # A form field that is not the page's: 422 naming it, as a page; nothing changed.
    bad = post(system, page + "/leave", "lang=de")
    assert bad.status_code == 422 and "lang" in bad.text and "<html" in bad.text
    assert post(system, page + "/leave", "lang=en&extra=1").status_code == 422
    # Not a form: 415.
    not_a_form = post(system, page + "/leave", "{}", headers={**BROWSER, "Content-Type": "application/json"})
    assert not_a_form.status_code == 415
    assert system.enrollment(ona["id"])["status"] == "confirmed"
    # A wrong code looks like an unknown enrolment: 404 page.
    wrong = get(system, page[:-4] + "AAAA?lang=en")
    assert wrong.status_code == 404 and "no longer valid" in wrong.text
    # A tracking parameter a mail client adds does not break the link; a bad confirmation is refused.
    assert get(system, page + "?utm_source=mail").status_code == 200
    assert get(system, page + "?done=hacked").status_code == 422


def test_when_the_session_drops_the_persons_mode_the_page_offers_the_other_one(system):
    hybrid = system.schedule(capacity=2, course={"format": "hybrid"}, online_url="https://meet.example.lt/x",
                             online_capacity=2)
    ona = system.enrol(hybrid["id"], person(1, language="en", attendance_mode="in_person")).body
    assert system.patch(f"/sessions/{hybrid['id']}", {"venue": None}).status == 200  # the hall is given up
    page = path_of(ona["manage_url"])
    shown = get(system, page).text
    assert "no longer held the way you chose" in shown and "Switch to: Online" in shown
    switched = post(system, action(shown, "switch-mode"), "lang=en")
    assert switched.status_code == 303 and switched.headers["Location"].endswith("done=switched")
    after = get(system, switched.headers["Location"]).text
    assert "the way you take part has changed" in after and "Switch to" not in after
    assert system.enrollment(ona["id"])["attendance_mode"] == "online"
