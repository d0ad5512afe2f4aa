"""Issue 17 in a real browser: a participant follows the link in their confirmation e-mail, reads
the enrolment page in both languages, leaves the session with the keyboard only, and the next person
in line is promoted, told by e-mail, and sees the new status on their own page. On a phone and on a
desktop, without JavaScript; a screenshot of each page is kept (test-artifacts/screenshots/)."""

from tests.service.helpers import create_session, enrol, person

SELF_SERVICE = r"/enrollment/self-service/[0-9a-f-]{36}/[A-Za-z0-9_-]+$"


def tab_to(page, name: str, limit: int = 20) -> None:
    """Press Tab until the button called `name` has the focus, as a keyboard user moves through the
    page (the :focus selector works with JavaScript off, where evaluating a script would not)."""
    focused = page.locator("button:focus", has_text=name)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused.count() == 1:
            return
    raise AssertionError(f"the button {name!r} was not reached with Tab in {limit} presses")


def test_leaving_from_the_e_mail_link_promotes_the_next_person_who_is_told(running_system, page, screenshot):
    token = running_system.token()
    _, session_id = create_session(running_system.base_url, token, capacity=1)
    ona, jonas = person(1, language="lt"), person(2, language="en")
    assert enrol(running_system.base_url, token, session_id, ona).body["status"] == "confirmed"
    assert enrol(running_system.base_url, token, session_id, jonas).body["status"] == "waitlisted"

    # Ona opens the link from her confirmation e-mail: the page is in her language (Lithuanian).
    link = running_system.link_in_email(ona["email"], SELF_SERVICE, containing="patvirtinta")
    answer = page.goto(link)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert page.locator("html").get_attribute("lang") == "lt"
    assert page.get_by_role("heading", level=1).inner_text() == "Jūsų registracija"
    assert page.locator("#status").inner_text() == "Registracija patvirtinta"
    assert "Vilniaus laiku" in page.locator("dl.facts").inner_text()
    screenshot(page, "1-confirmed-lt")

    # She switches to English with the language switch, and back.
    page.get_by_role("navigation", name="Kalba").get_by_role("link", name="English (anglų)").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Your enrolment"
    assert page.locator("#status").inner_text() == "Enrolment confirmed"
    leave = page.get_by_role("button", name="Leave the session")
    assert leave.is_visible()
    screenshot(page, "2-confirmed-en")

    # She leaves with the keyboard only: Tab to the button, Enter.
    page.goto(page.url)  # focus starts at the top of the page
    tab_to(page, "Leave the session")
    page.keyboard.press("Enter")
    page.locator("#confirmation").wait_for()  # the answer: 303 back to the page, which confirms
    assert "done=left" in page.url and "lang=en" in page.url
    confirmation = page.get_by_role("status")
    assert "you have left" in confirmation.inner_text()
    assert page.locator("#status").inner_text() == "Enrolment cancelled"
    assert page.get_by_role("button").count() == 0  # nothing left to do
    screenshot(page, "3-left-en")
    running_system.wait_for_email(ona["email"], containing="Registracija atšaukta")  # the e-mail the page promises

    # Jonas is promoted and told: the newest e-mail to him carries his link; his page says so.
    jonas_link = running_system.link_in_email(jonas["email"], SELF_SERVICE, count=2)
    assert "seat" in running_system.wait_for_email(jonas["email"], count=2).text.lower()
    page.goto(jonas_link)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#status").inner_text() == "Enrolment confirmed"
    page.get_by_role("link", name="Lietuvių (Lithuanian)").click()
    assert page.locator("#status").inner_text() == "Registracija patvirtinta"
    screenshot(page, "4-promoted-lt")
    assert len(screenshot.saved) == 4 and all(path.stat().st_size > 2000 for path in screenshot.saved)
