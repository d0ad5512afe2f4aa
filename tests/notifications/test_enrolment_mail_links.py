"""Confirmation and waitlist e-mails carry the person's own link, and a waitlist e-mail says why
(issue 17 item 2), read from the real rendered mail in the embedded mailbox: the link opens the
enrolment page."""

import email
import re
from email import policy
from email.utils import parseaddr

import requests

from tests.service.helpers import create_session, enrol, person
from tests.support import wait_until

LINK = re.compile(r"https?://\S+/enrollment/self-service/[0-9a-f-]{36}/[A-Za-z0-9_-]+")


def mails_by_recipient(system, count: int) -> dict:
    def read():
        found = {}
        for path in sorted(system.mailbox.glob("*.eml")) if system.mailbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            found[parseaddr(str(message["To"]))[1].lower()] = message
        return found if len(found) >= count else None

    return wait_until(read, timeout=20, message=f"{count} e-mails in the mailbox")


def test_confirmation_and_waitlist_mails_carry_the_link_and_the_reason(embedded):
    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=1, quota_per_municipality=1)
    ona, jonas, rita = person(1, "15", "en"), person(2, "15", "lt"), person(3, "21", "en")
    replies = [enrol(embedded.base_url, token, session_id, body) for body in (ona, jonas, rita)]
    assert [r.body["status"] for r in replies] == ["confirmed", "waitlisted", "waitlisted"]
    mails = mails_by_recipient(embedded, 3)

    confirmed = mails[ona["email"]]
    text = confirmed.get_body(("plain",)).get_content()
    html = confirmed.get_body(("html",)).get_content()
    assert replies[0].body["manage_url"] in text and f'href="{replies[0].body["manage_url"]}"' in html
    assert "leave on your enrolment page" in text and "please tell us" not in text

    quota = mails[jonas["email"]].get_body(("plain",)).get_content()
    assert "(kvotą)" in quota and "visos vietos užimtos" not in quota
    assert replies[1].body["manage_url"] in quota and "Jūsų eilės numeris: 1." in quota

    full = mails[rita["email"]].get_body(("plain",)).get_content()
    assert "all seats of the training" in full and "quota" not in full
    assert replies[2].body["manage_url"] in full and "Your position: 2." in full

    # The link in the mail opens the person's page, in their language.
    link = LINK.search(quota).group(0)
    page = requests.get(link, headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and '<html lang="lt">' in page.text and "Laukiančiųjų sąraše" in page.text
