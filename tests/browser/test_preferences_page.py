"""Issue 17 in a real browser: a participant follows the unsubscribe link in their confirmation
e-mail to the preferences page, reads it in Lithuanian (their language) and English, changes
their preferences with the form (labels as a screen reader announces them), and unsubscribes from
the e-mail's category with the one-click button; each change comes back with a confirmation. On a
phone and on a desktop, without JavaScript; a screenshot of each page is kept."""

from tests.service.helpers import create_session, enrol, person
from tests.support import http

UNSUBSCRIBE = r"/notifications/unsubscribe\?token=[A-Za-z0-9_-]+$"


def test_preferences_from_the_e_mail_link_in_both_languages(running_system, page, screenshot):
    token = running_system.token()
    _, session_id = create_session(running_system.base_url, token, capacity=2)
    ona = person(1, language="lt")
    assert enrol(running_system.base_url, token, session_id, ona).body["status"] == "confirmed"

    link = running_system.link_in_email(ona["email"], UNSUBSCRIBE, containing="patvirtinta")
    answer = page.goto(link)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert page.locator("html").get_attribute("lang") == "lt"
    assert page.get_by_role("heading", level=1).inner_text() == "Laiškų nustatymai"
    assert "kategorija – „Mokymai ir registracija į juos“" in page.locator("main").inner_text()
    assert "training" not in page.locator("main").inner_text()  # the category in words, never the code
    screenshot(page, "1-preferences-lt")

    # A daily e-mail at 07:00, nothing about foreign partners: chosen by the labels she hears.
    page.get_by_role("checkbox", name="Užsienio partnerių paieška").uncheck()
    page.get_by_role("radio", name="Kartą per dieną, vienu laišku").check()
    page.get_by_label("Dienos laiško laikas (Lietuvos laiku)").select_option("7")
    page.get_by_role("button", name="Išsaugoti").click()
    page.get_by_role("status").wait_for()  # the 303 back to the page (tests/browser/conftest.py: waiting)
    assert "done=saved" in page.url
    assert page.get_by_role("status").inner_text() == "Nustatymai išsaugoti."
    assert page.get_by_role("radio", name="Kartą per dieną, vienu laišku").is_checked()
    assert not page.get_by_role("checkbox", name="Užsienio partnerių paieška").is_checked()
    screenshot(page, "2-saved-lt")

    # In English through the language switch; she unsubscribes from the e-mail's category.
    page.get_by_role("navigation", name="Kalba").get_by_role("link", name="English (anglų)").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Your e-mail preferences"
    assert page.get_by_role("checkbox", name="Training courses and your enrolments").is_checked()
    screenshot(page, "3-preferences-en")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("status").wait_for()
    assert "done=unsubscribed" in page.url and "lang=en" in page.url
    assert page.get_by_role("status").inner_text() == (
        "Done: we will send you no more e-mails in the category “Training courses and your enrolments”.")
    assert page.get_by_role("button", name="Unsubscribe").count() == 0
    assert not page.get_by_role("checkbox", name="Training courses and your enrolments").is_checked()
    screenshot(page, "4-unsubscribed-en")

    her, = [r for r in http("GET", f"{running_system.base_url}/notifications/recipients?municipality_code=15",
                            token=token).body if r["email"] == ona["email"]]
    assert (her["language"], her["delivery_mode"], her["digest_hour"]) == ("lt", "daily_digest", 7)
    assert sorted(her["opt_out_categories"]) == ["partners", "training"]
    assert len(screenshot.saved) == 4 and all(path.stat().st_size > 2000 for path in screenshot.saved)
