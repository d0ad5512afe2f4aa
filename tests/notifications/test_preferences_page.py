"""Issue 17: the page behind the link in every e-mail, as a browser gets it from the real e-mail's
List-Unsubscribe link — the category in words, in the person's language (switchable), one-click
unsubscribe (RFC 8058 still answered in JSON to mail clients), and the preferences form (language,
categories, digest) as POST forms answered 303 back with a confirmation; a mail scanner fetching
the link changes nothing; bad input is refused naming the field."""

import email
import html
import re
from email import policy

import requests

from services.notifications.pages import PAGES
from tests.support import http, wait_until

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CALL = {"code": "LT10-2027-01", "funder": "EEA and Norway Grants",
        "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity building of municipalities"},
        "themes": ["budgeting"], "eligible_applicant_types": ["municipality"],
        "closes_on": "2027-06-30", "status": "open"}


def test_every_page_text_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


def subscriber(system, language: str, address: str) -> dict:
    reply = http("POST", f"{system.base_url}/notifications/recipients",
                 {"email": address, "name": "Ona Petraitė", "language": language, "municipality_code": "15",
                  "call_alerts": True}, token=system.token())
    assert reply.status == 201, reply.body
    return reply.body


def link_from_the_mail(system, address: str) -> str:
    """The List-Unsubscribe link of the e-mail sent to this address."""
    def found():
        for path in sorted(system.settings.mailbox_dir.glob("*.eml")) if system.settings.mailbox_dir.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(message["To"]):
                return message["List-Unsubscribe"].strip("<>")
        return None

    return wait_until(found, message=f"the e-mail to {address}")


def recipient(system, recipient_id: str) -> dict:
    return http("GET", f"{system.base_url}/notifications/recipients/{recipient_id}", token=system.token()).body


def page(url: str, headers=BROWSER, **params):
    return requests.get(url, params=params, headers=headers, timeout=30, allow_redirects=False)


def post_form(url: str, data, headers=None, **params):
    return requests.post(url, params=params, data=data, headers={**BROWSER, **FORM, **(headers or {})}, timeout=30,
                         allow_redirects=False)


def test_the_page_names_the_category_in_words_in_the_persons_language(embedded):
    english = subscriber(embedded, "en", "ona@kaunas.lt")
    subscriber(embedded, "lt", "jonas@kaunas.lt")
    assert http("POST", f"{embedded.base_url}/grants/calls", CALL, token=embedded.token()).status == 201
    link = link_from_the_mail(embedded, "ona@kaunas.lt")

    shown = page(link)
    assert shown.status_code == 200 and shown.headers["Content-Language"] == "en"  # her stored language
    text = shown.text
    assert '<html lang="en">' in text and "Your e-mail preferences" in text
    assert "in the category “New funding calls”" in text and "o***@kaunas.lt" in text
    assert "“call_alerts”" not in text and ">call_alerts" not in text  # the code only as a form value
    assert 'name="List-Unsubscribe" value="One-Click"' in text and 'method="post"' in text
    assert shown.headers["Referrer-Policy"] == "no-referrer" and shown.headers["Cache-Control"] == "no-store"

    lithuanian = page(link, lang="lt")
    assert '<html lang="lt">' in lithuanian.text and "kategorija – „Nauji finansavimo kvietimai“" in lithuanian.text
    jonas = page(link_from_the_mail(embedded, "jonas@kaunas.lt"))
    assert jonas.headers["Content-Language"] == "lt" and "Laiškų nustatymai" in jonas.text
    assert recipient(embedded, english["id"])["opt_out_categories"] == []


def test_a_mail_scanner_fetching_the_link_changes_nothing(embedded):
    ona = subscriber(embedded, "lt", "ona@kaunas.lt")
    assert http("POST", f"{embedded.base_url}/grants/calls", CALL, token=embedded.token()).status == 201
    link = link_from_the_mail(embedded, "ona@kaunas.lt")
    before = recipient(embedded, ona["id"])
    for headers in (BROWSER, {"Accept": "*/*"}, {}, {"Accept": "application/json"}):
        assert page(link, headers=headers).status_code == 200
        assert page(link.replace("/unsubscribe?", "/preferences?"), headers=headers).status_code == 405
    assert recipient(embedded, ona["id"]) == before


def test_the_one_click_button_unsubscribes_and_comes_back_with_a_confirmation(embedded):
    ona = subscriber(embedded, "en", "ona@kaunas.lt")
    assert http("POST", f"{embedded.base_url}/grants/calls", CALL, token=embedded.token()).status == 201
    link = link_from_the_mail(embedded, "ona@kaunas.lt")

    done = post_form(link, "List-Unsubscribe=One-Click", lang="en")
    assert done.status_code == 303 and "done=unsubscribed" in done.headers["Location"]
    after = page(embedded.base_url + done.headers["Location"])
    assert 'role="status"' in after.text
    assert "Done: we will send you no more e-mails in the category “New funding calls”." in after.text
    assert "You no longer get e-mails in the category “New funding calls”." in after.text
    assert recipient(embedded, ona["id"])["opt_out_categories"] == ["call_alerts"]

    # What a mail client sends (RFC 8058): JSON, as before.
    again = http("POST", link, raw=b"List-Unsubscribe=One-Click", headers=FORM)
    assert again.status == 200 and again.body == {"recipient_id": ona["id"], "category": "call_alerts",
                                                  "unsubscribed": True}


def test_the_preferences_form_changes_language_categories_and_digest(embedded):
    ona = subscriber(embedded, "lt", "ona@kaunas.lt")
    assert http("POST", f"{embedded.base_url}/grants/calls", CALL, token=embedded.token()).status == 201
    link = link_from_the_mail(embedded, "ona@kaunas.lt")
    form = page(link).text
    assert 'action="/notifications/preferences?token=' in form and "&amp;lang=lt" in form
    action = embedded.base_url + html.unescape(re.search(r'action="(/notifications/preferences[^"]+)"', form)[1])

    saved = post_form(action, [("language", "en"), ("categories", "training"), ("categories", "grants"),
                               ("delivery_mode", "daily_digest"), ("digest_hour", "7")])
    assert saved.status_code == 303 and saved.headers["Location"].endswith("lang=en&done=saved")
    after = page(embedded.base_url + saved.headers["Location"])
    assert '<html lang="en">' in after.text and "Your preferences are saved." in after.text
    assert 'value="daily_digest" checked' in after.text and '<option value="7" selected>07:00</option>' in after.text
    assert 'value="grants" checked' in after.text and 'value="call_alerts" >' in after.text
    now = recipient(embedded, ona["id"])
    assert (now["language"], now["delivery_mode"], now["digest_hour"], now["unsubscribed_all"]) == (
        "en", "daily_digest", 7, False)
    assert now["opt_out_categories"] == ["certificates", "call_alerts", "partners"]
    # Without ?lang= the page is now in the language she chose.
    assert page(link).headers["Content-Language"] == "en"


def test_bad_input_is_refused_naming_the_field_as_a_page_or_as_json(embedded):
    ona = subscriber(embedded, "en", "ona@kaunas.lt")
    assert http("POST", f"{embedded.base_url}/grants/calls", CALL, token=embedded.token()).status == 201
    link = link_from_the_mail(embedded, "ona@kaunas.lt")
    action = link.replace("/unsubscribe?", "/preferences?")
    good = {"language": "en", "delivery_mode": "immediate", "digest_hour": "8"}
    for field, value in (("digest_hour", "25"), ("language", "de"), ("categories", "everything"),
                         ("delivery_mode", "weekly")):
        refused = post_form(action, {**good, field: value}, lang="en")  # as the page's form sends it
        assert refused.status_code == 422 and refused.headers["Content-Type"].startswith("text/html")
        assert "Please check what you entered." in refused.text and f"<strong>{field}" in refused.text
        as_json = post_form(action, {**good, field: value}, headers={"Accept": "application/json"})
        assert as_json.status_code == 422 and as_json.json()["errors"][0]["field"].split(".")[0] == field
    assert post_form(action, {"language": "en"}).status_code == 422  # the rest is missing
    assert post_form(action, '{"language": "en"}', headers={"Content-Type": "application/json"}).status_code == 415
    damaged = link.split("token=")[0] + "token=" + "A" * 40
    broken = page(damaged)
    assert broken.status_code == 400 and broken.headers["Content-Type"].startswith("text/html")
    assert post_form(damaged.replace("/unsubscribe?", "/preferences?"), good).status_code == 400
    assert page(link, lang="de").status_code == 422
    assert recipient(embedded, ona["id"])["opt_out_categories"] == []
