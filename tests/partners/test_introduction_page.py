"""Issue 17: the partner introduction page as a browser gets it from the e-mail's link — who, why
they were matched, accept or decline as POST forms answered 303 with a confirmation, in the
person's stored language; a mail scanner fetching the link changes nothing; JSON unchanged."""

import requests

from services.partners.pages import PAGES
from tests.partners.helpers import CONSULTANT, HORDALAND, REYKJAVIK, created, key_of, request_body

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_every_page_text_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


def open_page(partners, url, **params):
    path = url.split("/partners/", 1)[1]
    return requests.get(f"{partners.base}/partners/{path}", params=params, headers=BROWSER, timeout=30,
                        allow_redirects=False)


def answer(partners, key, value, **extra):
    query = f"?lang={extra['lang']}" if "lang" in extra else ""  # as the page's form sends it
    return requests.post(f"{partners.base}/partners/answers/form{query}", data={"key": key, "answer": value, **extra},
                         headers={**BROWSER, **FORM}, timeout=30, allow_redirects=False)


def introduced(partners, organisation):
    profile = partners.profile(organisation)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT)))
    created(partners.post(f"/requests/{request['id']}/introductions", {"organisation_id": profile["id"],
                                                                       "message": "Both work on service quality."}))
    return partners.db.events("partners.introduction_sent")[-1]["data"]


def test_the_candidate_sees_who_and_why_in_english_and_accepts(partners):
    sent = introduced(partners, HORDALAND)
    url = sent["candidate_answer_url"]

    # A mail scanner (or the person) fetching the link changes nothing.
    page = open_page(partners, url)
    assert page.status_code == 200 and page.headers["Content-Language"] == "en"  # the contact's stored language
    text = page.text
    assert "Kaunas District Municipality" in text and "Public-service quality in the regions" in text
    assert "Lithuania" in text and "The municipality&#39;s project coordinator" in text
    assert "Why we matched you" in text and "Shared themes" in text and "of 35" in text
    assert "Both work on service quality." in text and "rasa@lsa-centras.lt" not in text  # not before both agree
    assert text.count('method="post" action="/partners/answers/form?lang=en"') == 2
    assert partners.db.events("partners.introduction_answered") == []

    lithuanian = open_page(partners, url, lang="lt")
    assert '<html lang="lt">' in lithuanian.text and "Kodėl pasiūlėme" in lithuanian.text

    done = answer(partners, key_of(url), "accepted", lang="en")
    assert done.status_code == 303 and done.headers["Location"].endswith("done=accepted&lang=en")
    after = open_page(partners, done.headers["Location"])
    assert "Thank you! Your acceptance is recorded." in after.text and 'role="status"' in after.text
    assert "waiting for the other side" in after.text and "/partners/answers/form" not in after.text
    answers = [e["data"] for e in partners.db.events("partners.introduction_answered")]
    assert [(a["side"], a["answer"]) for a in answers] == [("candidate", "accepted")]
    # The same form again (a double click): the same page, nothing recorded twice.
    assert answer(partners, key_of(url), "accepted").status_code == 303
    assert len(partners.db.events("partners.introduction_answered")) == 1

    # JSON clients see the preview as before.
    data = requests.get(f"{partners.base}/partners/answers", params={"key": key_of(url)}, timeout=30).json()
    assert data["your_answer"] == "accepted" and data["side"] == "candidate"


def test_the_requester_sees_the_organisation_in_lithuanian_and_declines(partners):
    sent = introduced(partners, REYKJAVIK)
    url = sent["requester_answer_url"]
    page = open_page(partners, url)
    assert page.headers["Content-Language"] == "lt"  # the consultant's stored language
    assert "Reykjavík City" in page.text and "Islandija" in page.text and "Savivaldybė" in page.text
    assert "Organizacijos kontaktinis asmuo" in page.text and "Laukiama jūsų atsakymo" in page.text

    done = answer(partners, key_of(url), "declined")
    assert done.status_code == 303
    after = open_page(partners, done.headers["Location"])
    assert "atsisakymas įrašytas" in after.text and "Susipažinimo atsisakyta" in after.text
    # Changing one's answer is refused: a 409 page in the person's language.
    refused = answer(partners, key_of(url), "accepted", lang="en")
    assert refused.status_code == 409 and "This cannot be done now." in refused.text


def test_bad_keys_and_bad_forms(partners):
    sent = introduced(partners, HORDALAND)
    key = key_of(sent["candidate_answer_url"])
    unknown = open_page(partners, "/partners/answers", key="x" * 30, lang="en")
    assert unknown.status_code == 404 and "no longer valid" in unknown.text
    wrong = answer(partners, key, "maybe", lang="en")
    assert wrong.status_code == 422 and "answer" in wrong.text
    as_json = requests.post(f"{partners.base}/partners/answers/form", json={"key": key, "answer": "accepted"},
                            headers=BROWSER, timeout=30)
    assert as_json.status_code == 415
    assert answer(partners, "y" * 30, "accepted").status_code == 404
    assert partners.db.events("partners.introduction_answered") == []
