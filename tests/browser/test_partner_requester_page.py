"""Issue 17 in a real browser: the requester's choice page, opened from the link in the real
proposal e-mail (partners.matches_proposed) in the mailbox — what the project seeks, the ranked
candidates and why each fits, in the requester's language and switched; the requester asks for an
introduction with the keyboard (a POST form answered 303 back to the page, which confirms it and
lists the introduction) and the candidate's contact gets the introduction e-mail with its own link.
On a phone and a desktop, without JavaScript; a screenshot of each step is kept."""

from tests.partners.helpers import CONSULTANT, HORDALAND, REYKJAVIK, request_body
from tests.support import http

CHOOSE = r"/partners/choices\?key="
ANSWER = r"/partners/answers\?key="


def test_the_requester_chooses_a_partner_from_the_proposal_e_mail(running_system, page, screenshot):
    base, token = running_system.base_url, running_system.token()
    for profile in (HORDALAND, REYKJAVIK):
        assert http("POST", f"{base}/partners/organisations", profile, token=token).status == 201
    assert http("POST", f"{base}/partners/requests", request_body(requester=CONSULTANT), token=token).status == 201

    link = running_system.link_in_email(CONSULTANT["email"], CHOOSE, containing="Pasiūlyti partneriai")
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "lt"  # the requester's language
    assert page.get_by_role("heading", level=1).inner_text() == "Pasirinkite partnerį"
    assert page.get_by_role("heading", level=2, name="Ko ieško projektas").is_visible()
    names = page.get_by_role("heading", level=3).all_inner_texts()
    assert names[:2] == ["Hordaland county council", "Reykjavík City"]  # ranked, best first
    why = page.get_by_role("table", name="Kodėl tinka: Hordaland county council")
    assert why.get_by_role("row", name="Bendros temos").is_visible()
    assert page.get_by_role("button", name="Prašyti susipažinti su Hordaland county council").is_visible()
    assert page.get_by_role("button", name="Siūlyti iš naujo").is_visible()
    screenshot(page, "1-choice-lt")

    page.get_by_role("link", name="English (anglų)").click()
    page.get_by_role("heading", level=1, name="Choose a partner").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("table", name="Why it fits: Reykjavík City").get_by_role("row", name="Shared themes") \
        .is_visible()
    assert page.get_by_text("No candidate has been introduced yet.").is_visible()
    screenshot(page, "2-choice-en")

    # Asking is a button of a POST form (a mail scanner's GET changes nothing), used with the keyboard.
    ask = page.get_by_role("button", name="Ask for an introduction to Hordaland county council")
    form = ask.locator("xpath=ancestor::form")
    assert form.get_attribute("method") == "post"
    assert form.get_attribute("action").startswith("/partners/choices/introductions")
    ask.focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()  # tests/browser/conftest.py: waiting after a form
    assert page.get_by_role("status").inner_text().startswith("Your request for an introduction is sent.")
    introduced = page.get_by_role("row", name="Hordaland county council")
    assert "Waiting for an answer" in introduced.inner_text()
    assert page.get_by_role("button", name="Ask for an introduction to Hordaland county council").count() == 0
    assert page.get_by_role("button", name="Ask for an introduction to Reykjavík City").is_visible()
    screenshot(page, "3-introduced-en")

    # The candidate's contact is asked, with the link to answer; the requester is not asked again.
    invitation = running_system.wait_for_email(HORDALAND["contact_email"], containing="Would you like to be introduced")
    assert any("/partners/answers?key=" in link for link in invitation.links())
    told = running_system.wait_for_email(CONSULTANT["email"], containing="Hordaland county council")
    assert "pasirinkote partnerį Hordaland county council" in told.text
    assert not any("/partners/answers?key=" in link for link in told.links())
    assert all(path.stat().st_size > 2000 for path in screenshot.saved)
