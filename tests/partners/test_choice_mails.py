"""Issue 17 item 2, read as the e-mails were sent (the embedded system's mailbox folder): the
proposal e-mail (partners.matches_proposed, to the requester) and the lapsed-introduction e-mail
(partners.introduction_expired, to the municipality's coordinator) ask the reader to choose a
candidate, so each carries the link to the choice page and says what to do there."""

import re
from datetime import date, timedelta
from uuid import UUID

import requests

from services.partners.models import Introduction
from tests.notifications.test_partner_mails import text_of, wait_for_mail
from tests.partners.helpers import CONSULTANT, HORDALAND, REYKJAVIK, created, request_body
from tests.support import http

BROWSER = {"Accept": "text/html", "Accept-Language": "en"}
CHOICE_LINK = r"(http\S+/partners/choices\?key=[A-Za-z0-9_-]+)"
COORDINATOR = "egle.koordinatore@krs.lt"


def test_the_proposal_and_the_lapsed_introduction_mails_carry_the_link_to_choose(partners_with_timers):
    partners = partners_with_timers
    system = partners.system
    assert http("POST", f"{system.base_url}/notifications/recipients",
                {"email": COORDINATOR, "name": "Eglė Koordinatorė", "municipality_code": "16", "language": "en",
                 "roles": ["eu_projects_coordinator"]}, token=partners.kaunas).status == 201
    hordaland, reykjavik = partners.profile(HORDALAND), partners.profile(REYKJAVIK)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT), token=partners.kaunas))

    # The proposal: in the requester's language, the candidates, what to do and the link to do it.
    [proposal] = wait_for_mail(system, CONSULTANT["email"], subject="Pasiūlyti partneriai")
    text = text_of(proposal)
    assert "1. Hordaland county council (NO)" in text and "projekte „Viešųjų paslaugų kokybė regionuose“" in text
    assert "Pasirinkite, su kuriuo norite susipažinti" in text and "„Prašyti susipažinti“" in text
    assert "paprašyti pasiūlyti iš naujo" in text
    link = re.search(r"Pasirinkti partnerį: " + CHOICE_LINK, text).group(1)
    html = proposal.get_body(("html",)).get_content()
    assert f'<a href="{link}">Pasirinkti partnerį</a>' in html
    page = requests.get(link, headers=BROWSER, timeout=30)  # the link leads to the page to choose on
    assert page.status_code == 200 and page.headers["Content-Language"] == "lt"  # the requester's language
    assert "Prašyti susipažinti su Hordaland county council" in page.text

    # An introduction nobody answered lapses: the coordinator is asked to pick another, with the link.
    introduction = created(partners.post(f"/requests/{request['id']}/introductions",
                                         {"organisation_id": hordaland["id"]}))
    partners.db.update(Introduction, UUID(introduction["id"]), answer_by=date.today() - timedelta(days=2))
    [lapsed] = wait_for_mail(system, COORDINATOR, subject="Introduction lapsed")
    text = text_of(lapsed)
    assert "Please pick another candidate" in text and '"Ask for an introduction"' in text
    link = re.search(r"Choose another partner: " + CHOICE_LINK, text).group(1)
    assert f'<a href="{link}">Choose another partner</a>' in lapsed.get_body(("html",)).get_content()
    page = requests.get(link, headers=BROWSER, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Language"] == "en"
    assert "Not answered in time" in page.text and "Ask for an introduction to Reykjavík City" in page.text
    assert f'value="{hordaland["id"]}"' not in page.text  # the lapsed candidate is not offered again

    # The coordinator picks there: the requester is told the coordinator chose for them, not "you chose".
    base, key = link.split("/partners/choices?key=")
    picked = requests.post(f"{base}/partners/choices/introductions?lang=en", data={
        "key": key, "organisation_id": reykjavik["id"]}, headers=BROWSER,
        allow_redirects=False, timeout=30)
    assert picked.status_code == 303
    [told] = wait_for_mail(system, CONSULTANT["email"], subject="Prašymas susipažinti išsiųstas: Reykjavík City")
    text = text_of(told)
    assert "jūsų savivaldybės koordinatorius jums pasirinko partnerį Reykjavík City" in text
    assert "pasirinkote" not in text
    assert "koordinatorius jums pasirinko" in told.get_body(("html",)).get_content()


def test_a_candidates_refusal_tells_the_requester_where_to_pick_another(partners_with_timers):
    partners = partners_with_timers
    system = partners.system
    hordaland, _ = partners.profile(HORDALAND), partners.profile(REYKJAVIK)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT), token=partners.kaunas))
    introduction = created(partners.post(f"/requests/{request['id']}/introductions",
                                         {"organisation_id": hordaland["id"]}))
    # The candidate's answer, recorded by the centre's staff as it came by e-mail.
    assert partners.post(f"/introductions/{introduction['id']}/answers",
                         {"side": "candidate", "answer": "declined"}).status == 200

    [declined] = wait_for_mail(system, CONSULTANT["email"], subject="Atsisakyta susipažinti")
    text = text_of(declined)
    assert "Galite kreiptis į kitą kandidatą" in text and "„Prašyti susipažinti“" in text
    link = re.search(r"Pasirinkti kitą partnerį: " + CHOICE_LINK, text).group(1)
    assert f'<a href="{link}">Pasirinkti kitą partnerį</a>' in declined.get_body(("html",)).get_content()
    page = requests.get(link, headers=BROWSER, timeout=30)
    assert page.status_code == 200
    assert "Prašyti susipažinti su Reykjavík City" in page.text
    assert f'value="{hordaland["id"]}"' not in page.text  # who declined is not offered again
