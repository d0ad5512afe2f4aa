"""Issue 17: the requester's choice page as a browser gets it from the proposal e-mail's link (the
embedded system over HTTP) — what the project seeks, the ranked candidates and why each fits, the
introductions so far; asking for an introduction and proposing again as POST forms answered 303;
a mail scanner fetching the link changes nothing; bad forms 422 naming the field, unknown keys 404,
a candidate already introduced 409; JSON unchanged for clients asking JSON."""

import requests

from tests.partners.helpers import CONSULTANT, HORDALAND, REYKJAVIK, created, key_of, request_body

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def proposal_link(partners, request_id) -> str:
    return [e["data"]["choose_url"] for e in partners.db.events("partners.matches_proposed")
            if e["data"]["partner_request_id"] == request_id][-1]


def open_page(partners, url_or_path, headers=BROWSER, **params):
    path = url_or_path.split("/partners/", 1)[1]
    return requests.get(f"{partners.base}/partners/{path}", params=params, headers=headers, timeout=30,
                        allow_redirects=False)


def submit(partners, action, lang=None, **fields):
    query = f"?lang={lang}" if lang else ""  # as the page's form sends it
    data = {**fields, **({"lang": lang} if lang else {})}
    return requests.post(f"{partners.base}/partners/choices/{action}{query}", data=data, headers={**BROWSER, **FORM},
                         timeout=30, allow_redirects=False)


def world(partners):
    hordaland, reykjavik = partners.profile(HORDALAND), partners.profile(REYKJAVIK)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT), token=partners.kaunas))
    return hordaland, reykjavik, request


def test_the_requester_reads_the_candidates_and_why_then_asks_for_an_introduction(partners, embedded):
    hordaland, reykjavik, request = world(partners)
    url = proposal_link(partners, request["id"])
    embedded.wait_until(lambda: partners.db.unpublished() == 0, message="the outbox to be published")
    before = partners.db.business_snapshot()

    # A mail scanner (or the person) fetching the link changes nothing.
    page = open_page(partners, url)
    assert page.status_code == 200 and page.headers["Content-Language"] == "lt"  # the consultant's language
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    text = page.text
    assert "<h1>Pasirinkite partnerį</h1>" in text and "Kauno rajono savivaldybė" in text
    assert "Viešųjų paslaugų kokybė regionuose" in text and "Partnerio ieškoma" in text
    assert "Norvegija, Islandija, Lichtenšteinas" in text and "Apskrities taryba, Savivaldybė" in text
    assert "Kodėl tinka: Hordaland county council" in text and "Bendros temos" in text and "iš 35" in text
    assert text.index("Hordaland county council") < text.index("Reykjavík City")  # ranked
    assert text.count('action="/partners/choices/introductions?lang=lt"') == 2
    assert text.count('action="/partners/choices/proposals?lang=lt"') == 1
    assert f'name="organisation_id" value="{hordaland["id"]}"' in text
    assert "Prašyti susipažinti su Reykjavík City" in text  # each button names its candidate
    assert "Dar nė su vienu kandidatu nesusipažindinta." in text
    assert "kari.nordmann" not in text and "rasa@" not in text  # no contact on the page
    assert partners.db.business_snapshot() == before

    english = open_page(partners, url, lang="en")
    assert english.headers["Content-Language"] == "en" and '<html lang="en">' in english.text
    assert "<h1>Choose a partner</h1>" in english.text and "Why it fits: Reykjavík City" in english.text
    assert "Norway, Iceland, Liechtenstein" in english.text and 'hreflang="lt"' in english.text

    # JSON clients get the same as data.
    data = requests.get(f"{partners.base}/partners/choices", params={"key": key_of(url)}, timeout=30).json()
    assert data["request_id"] == request["id"] and data["side"] == "requester" and data["introductions"] == []
    assert [c["name"] for c in data["candidates"]] == ["Hordaland county council", "Reykjavík City"]
    assert data["candidates"][0]["components"]["theme_overlap"] > 0 and data["weights"]["theme_overlap"] == 35

    done = submit(partners, "introductions", lang="en", key=key_of(url), organisation_id=hordaland["id"])
    assert done.status_code == 303 and done.headers["Location"].endswith("&done=introduced&lang=en")
    [sent] = [e["data"] for e in partners.db.events("partners.introduction_sent")]
    assert sent["organisation_id"] == hordaland["id"] and sent["requester_answer"] == "accepted"
    assert sent["candidate_answer_url"] and sent["requester_answer_url"] is None
    after = open_page(partners, done.headers["Location"])
    assert after.status_code == 200 and 'role="status"' in after.text
    assert "Your request for an introduction is sent." in after.text
    assert "Waiting for an answer" in after.text and "Introductions so far" in after.text
    assert f'value="{hordaland["id"]}"' not in after.text  # no longer offered
    assert after.text.count('action="/partners/choices/introductions?lang=en"') == 1

    # The same candidate again (a double click, an old tab): refused, a 409 page in the person's language.
    refused = submit(partners, "introductions", lang="en", key=key_of(url), organisation_id=hordaland["id"])
    assert refused.status_code == 409 and refused.headers["Content-Language"] == "en"
    assert 'role="alert"' in refused.text
    assert "Hordaland county council cannot be introduced now: already introduced." in refused.text
    assert "Waiting for an answer" in refused.text  # the page as it is now
    lithuanian = submit(partners, "introductions", key=key_of(url), organisation_id=hordaland["id"])
    assert lithuanian.status_code == 409 and "Hordaland county council dabar pasiūlyti negalima: jau pasiūlyta" \
        in lithuanian.text
    as_json = requests.post(f"{partners.base}/partners/choices/introductions", timeout=30,
                            data={"key": key_of(url), "organisation_id": hordaland["id"]}, headers=FORM)
    assert as_json.status_code == 409 and as_json.json()["type"].endswith(":already_introduced")
    assert len(partners.db.events("partners.introduction_sent")) == 1
    # The token API sees the introduction as the municipality's own pick.
    [listed] = partners.get(f"/requests/{request['id']}/introductions").body
    assert listed["requester_answer"] == "accepted" and listed["organisation_id"] == hordaland["id"]


def test_none_fits_so_the_requester_asks_to_propose_again(partners):
    _, _, request = world(partners)
    url = proposal_link(partners, request["id"])
    done = submit(partners, "proposals", key=key_of(url))
    assert done.status_code == 303 and done.headers["Location"].endswith("&done=proposed")
    proposals = [e["data"] for e in partners.db.events("partners.matches_proposed")]
    assert len(proposals) == 2 and proposals[1]["choose_url"] != url  # a new e-mail with a fresh link
    after = open_page(partners, done.headers["Location"])
    assert "Kandidatus surikiavome iš naujo" in after.text


def test_bad_keys_and_bad_forms_change_nothing(partners, embedded):
    hordaland, _, request = world(partners)
    key = key_of(proposal_link(partners, request["id"]))
    created(partners.post(f"/requests/{request['id']}/introductions", {"organisation_id": hordaland["id"]}))
    answer_key = key_of(partners.db.events("partners.introduction_sent")[-1]["data"]["candidate_answer_url"])
    embedded.wait_until(lambda: partners.db.unpublished() == 0, message="the outbox to be published")
    before = partners.db.business_snapshot()

    unknown = open_page(partners, "/partners/choices", key="x" * 43, lang="en")
    assert unknown.status_code == 404 and "no longer valid" in unknown.text
    assert submit(partners, "introductions", key="x" * 43, organisation_id=hordaland["id"]).status_code == 404
    assert submit(partners, "proposals", key="x" * 43).status_code == 404
    # another purpose's key (an introduction's answer link) opens nothing here
    assert open_page(partners, "/partners/choices", key=answer_key).status_code == 404

    for fields, field in (({"key": key, "organisation_id": "not-a-uuid"}, "organisation_id"),
                          ({"key": key}, "organisation_id"),
                          ({"organisation_id": hordaland["id"]}, "key"),
                          ({"key": "short", "organisation_id": hordaland["id"]}, "key"),
                          ({"key": key, "organisation_id": hordaland["id"], "mayor": "yes"}, "mayor")):
        reply = submit(partners, "introductions", lang="en", **fields)
        assert reply.status_code == 422 and field in reply.text, (fields, reply.status_code, reply.text[:500])
    problem = requests.post(f"{partners.base}/partners/choices/introductions", data={"key": key}, headers=FORM,
                            timeout=30).json()
    assert [e["field"] for e in problem["errors"]] == ["organisation_id"]
    assert submit(partners, "proposals", key=key, lang="de").status_code == 422
    assert open_page(partners, "/partners/choices", key=key, done="maybe").status_code == 422
    unknown_organisation = submit(partners, "introductions", key=key, organisation_id=request["id"])
    assert unknown_organisation.status_code == 404
    as_json = requests.post(f"{partners.base}/partners/choices/introductions", headers=BROWSER, timeout=30,
                            json={"key": key, "organisation_id": hordaland["id"]})
    assert as_json.status_code == 415
    assert partners.db.business_snapshot() == before
