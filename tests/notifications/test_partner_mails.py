"""Issue 17 item 2, the partners and grants e-mails, read as they were sent (the embedded system's
mailbox folder): nobody who already accepted is asked "would you like to be introduced?", every
e-mail asking for an answer carries the link to answer, a declined introduction is told to the
requester, a consultant assigned after the application was created hears from partners, and a
letter of intent ticks the application's checklist item."""

import email
import re
from email import policy

import requests

from tests.partners.helpers import HORDALAND, REYKJAVIK, created, key_of, request_body
from tests.support import http, wait_until

BROWSER = {"Accept": "text/html"}


def mailbox(system):
    folder = system.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def mails_to(system, address):
    return [m for m in mailbox(system) if m["To"].addresses[0].addr_spec == address]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def wait_for_mail(system, address, count=1, subject=None):
    def found():
        mails = [m for m in mails_to(system, address) if subject is None or subject in m["Subject"]]
        return mails if len(mails) >= count else None
    return wait_until(found, message=f"{count} e-mail(s) to {address}" + (f" about {subject}" if subject else ""))


def post(system, path, body, token):
    return http("POST", f"{system.base_url}{path}", body, token=token)


def test_whoever_picked_the_candidate_is_not_asked_again_and_the_candidate_gets_its_link(embedded):
    staff, kaunas = embedded.token(), embedded.token("municipality:16")
    hordaland = created(post(embedded, "/partners/organisations", HORDALAND, staff))
    request = created(post(embedded, "/partners/requests", request_body(), kaunas))
    # Kaunas district picks the candidate itself: that is its acceptance.
    created(post(embedded, f"/partners/requests/{request['id']}/introductions",
                 {"organisation_id": hordaland["id"]}, kaunas))

    [to_requester] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Hordaland")
    text = text_of(to_requester)
    assert to_requester["Subject"].startswith("Prašymas susipažinti išsiųstas: Hordaland county council")
    assert "Ar sutinkate susipažinti" not in text and "Ar norite" not in to_requester["Subject"]
    assert "pasirinkote partnerį Hordaland county council" in text and "Daugiau nieko daryti nereikia" in text
    assert "/partners/answers?key=" not in text  # nothing to answer

    [to_candidate] = wait_for_mail(embedded, "kari.nordmann@hordaland.no", subject="Hordaland")
    text = text_of(to_candidate)
    assert to_candidate["Subject"].startswith("Would you like to be introduced?")
    link = re.search(r"(http\S+/partners/answers\?key=\S+)", text).group(1)
    html = to_candidate.get_body(("html",)).get_content()
    assert link in html
    page = requests.get(link, headers=BROWSER, timeout=30)  # the link leads to the page to answer on
    assert page.status_code == 200 and 'action="/partners/answers/form?lang=en"' in page.text


def test_staff_introductions_ask_both_sides_each_with_its_link(embedded):
    staff = embedded.token()
    reykjavik = created(post(embedded, "/partners/organisations", REYKJAVIK, staff))
    request = created(post(embedded, "/partners/requests", request_body(), staff))
    created(post(embedded, f"/partners/requests/{request['id']}/introductions", {"organisation_id": reykjavik["id"]},
                 staff))
    [to_requester] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Reykjavík")
    [to_candidate] = wait_for_mail(embedded, "jon@reykjavik.is", subject="Reykjavík")
    assert to_requester["Subject"].startswith("Ar norite susipažinti?")
    links = [re.search(r"(http\S+/partners/answers\?key=\S+)", text_of(m)).group(1)
             for m in (to_requester, to_candidate)]
    assert links[0] != links[1]
    assert key_of(links[0]) and key_of(links[1])
