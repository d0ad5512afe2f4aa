"""Issue 17 in a real browser, the public pages: the certificate verification page opened from the
certificate e-mail (printable, both languages, a keyboard-only check of another certificate), the
catalogues of upcoming sessions and of funding calls (filters as a GET form), and the partner
introduction page from the candidate's e-mail (who and why, in its language and switched, its
answer buttons reachable with the keyboard). On a phone and a desktop, without JavaScript; a
screenshot of each page is kept."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from tests.partners.helpers import HORDALAND, request_body
from tests.service.helpers import create_session, enrol, person
from tests.support import ROOT, http

VERIFY = r"/enrollment/certificates/verify\?number="
ANSWER = r"/partners/answers\?key="


def tab_to(page, locator, limit: int = 30) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{locator} was not reached with Tab in {limit} presses")


MOVE_INTO_THE_PAST = """
import sys, uuid
from datetime import datetime, timedelta, timezone
from sqlalchemy import update
from services.enrollment.models import TrainingSession
from shared.persistence.unit_of_work import unit_of_work

now = datetime.now(timezone.utc)
with unit_of_work(sys.argv[1], "enrollment", "browser-test") as uow:
    uow.session.execute(update(TrainingSession).where(TrainingSession.id == uuid.UUID(sys.argv[2])).values(
        starts_at=now - timedelta(days=1, hours=6), ends_at=now - timedelta(days=1),
        registration_opens_at=now - timedelta(days=10), registration_closes_at=now - timedelta(days=2)))
    uow.commit()
"""


def held_yesterday(system, session_id: str) -> None:
    """The session took place (a test cannot wait for its date): its times move into the past, in
    a process of its own (a database session in this eventlet-patched process stalls Playwright)."""
    url = f"sqlite:///{system.data_dir / 'enrollment.sqlite3'}"
    subprocess.run([sys.executable, "-c", MOVE_INTO_THE_PAST, url, session_id], check=True, cwd=ROOT, timeout=60)


def test_the_certificate_page_from_the_e_mail_and_the_catalogues(running_system, page, screenshot):
    base, token = running_system.base_url, running_system.token()
    _, held = create_session(base, token, capacity=2)
    ona = person(1, language="lt")
    enrollment = enrol(base, token, held, ona).body
    held_yesterday(running_system, held)
    records = {"records": [{"enrollment_id": enrollment["id"], "attendance": "attended"}]}
    assert http("POST", f"{base}/enrollment/sessions/{held}/attendance", records, token=token).status == 200
    assert http("POST", f"{base}/enrollment/sessions/{held}/complete", {}, token=token).status == 200

    # Ona's certificate e-mail carries the verification link: the page says, in words, it is valid.
    link = running_system.link_in_email(ona["email"], VERIFY, containing="ažymėjim")
    answer = page.goto(link)
    assert answer.status == 200 and page.locator("html").get_attribute("lang") == "lt"
    assert page.get_by_role("heading", level=1).inner_text() == "Pažymėjimo patikra"
    assert page.get_by_role("status").inner_text() == "Galioja"
    facts = page.locator("dl.facts").inner_text()
    assert ona["name"] in facts and "akad. val." in facts
    screenshot(page, "1-certificate-lt")

    # In English through the switch; printed, only the result remains (no form, no switch).
    page.get_by_role("navigation", name="Kalba").get_by_role("link", name="English (anglų)").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("status").inner_text() == "Valid"
    page.emulate_media(media="print")
    assert page.locator("dl.facts").is_visible()
    assert not page.locator("form.check").is_visible() and not page.locator("nav.languages").is_visible()
    screenshot(page, "2-certificate-en-print")
    page.emulate_media(media="screen")

    # The form to check another is labelled and reachable with the keyboard; a wrong code is said
    # so, with the number kept.
    number = page.get_by_label("Certificate number")
    tab_to(page, number)
    assert page.get_by_label("Verification code").is_visible()
    page.goto(f"{base}/enrollment/certificates/verify?number=SAV-1999-000001&code=AAAA-BBBB-CCCC&lang=en")
    assert page.get_by_role("alert").inner_text().startswith("No such certificate")
    assert page.get_by_label("Certificate number").input_value() == "SAV-1999-000001"
    screenshot(page, "3-certificate-not-found-en")

    # The session catalogue: upcoming sessions with the seats left, filtered with a GET form.
    create_session(base, token, capacity=3, course={
        "title": {"lt": "Korupcijos prevencija", "en": "Preventing corruption"}, "themes": ["anti_corruption"],
        "audience": ["officials"], "duration_hours": 4, "format": "in_person"})
    page.goto(f"{base}/enrollment/catalogue")
    assert page.get_by_role("heading", level=1).inner_text() == "Artimiausi mokymai"
    assert page.locator("article").count() == 1  # the held session is not upcoming
    page.get_by_label("Tema").select_option("anti_corruption")  # a labelled GET form; what it sends:
    assert page.locator("form.filters").get_attribute("method") == "get"
    page.goto(f"{base}/enrollment/catalogue?lang=lt&theme=anti_corruption&region=")
    assert page.get_by_role("heading", level=2, name="Korupcijos prevencija").is_visible()
    assert "3 iš 3" in page.locator("article").inner_text()
    screenshot(page, "4-sessions-lt")

    # The calls catalogue, in English.
    call = {"code": "LT-NO-2027-01", "funder": "Norway Grants", "themes": ["anti_corruption"],
            "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity-building of municipalities"},
            "eligible_applicant_types": ["municipality"], "max_grant_eur": "200000", "max_funding_rate": "0.85",
            "closes_on": (datetime.now(timezone.utc) + timedelta(days=40)).date().isoformat()}
    assert http("POST", f"{base}/grants/calls", call, token=token).status == 201
    page.goto(f"{base}/grants/catalogue?lang=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Funding calls"
    assert page.get_by_role("heading", level=2, name="Capacity-building of municipalities").is_visible()
    assert "up to €200" in page.locator("article").inner_text()
    screenshot(page, "5-calls-en")
    assert all(path.stat().st_size > 2000 for path in screenshot.saved)


def test_the_candidate_reads_who_and_why_and_accepts_with_the_keyboard(running_system, page, screenshot):
    base, token = running_system.base_url, running_system.token()
    hordaland = http("POST", f"{base}/partners/organisations", HORDALAND, token=token).body
    request = http("POST", f"{base}/partners/requests", request_body(), token=token).body
    assert http("POST", f"{base}/partners/requests/{request['id']}/introductions",
                {"organisation_id": hordaland["id"]}, token=token).status == 201

    link = running_system.link_in_email(HORDALAND["contact_email"], ANSWER)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "en"  # the contact's language
    assert page.get_by_role("heading", level=1).inner_text() == "A proposed partnership"
    assert page.get_by_role("heading", level=2, name="Why we matched you").is_visible()
    assert page.get_by_role("row", name="Shared themes").is_visible()
    screenshot(page, "1-introduction-en")

    page.get_by_role("link", name="Lietuvių (Lithuanian)").click()
    assert page.get_by_role("heading", level=2, name="Kodėl pasiūlėme").is_visible()
    screenshot(page, "2-introduction-lt")
    page.get_by_role("link", name="English (anglų)").click()

    # Both answers are buttons of POST forms (a mail scanner's GET changes nothing), reachable with
    # the keyboard; the candidate accepts with Enter and the page confirms it (303 back to the page).
    accept = page.get_by_role("button", name="Yes, introduce us")
    tab_to(page, accept)
    for button in (accept, page.get_by_role("button", name="No, thank you")):
        form = button.locator("xpath=ancestor::form")
        assert form.get_attribute("method") == "post" and form.get_attribute("action").startswith("/partners/answers/form")
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()  # tests/browser/conftest.py: waiting after a form
    assert page.get_by_role("status").inner_text() == "Thank you! Your acceptance is recorded."
    assert page.get_by_role("button", name="Yes, introduce us").count() == 0  # answered: nothing to press
    screenshot(page, "3-accepted-en")
    assert all(path.stat().st_size > 2000 for path in screenshot.saved)
