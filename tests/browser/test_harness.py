"""The browser harness itself (conftest.py): chromium renders what `savivalda run` serves, on a
phone and a desktop, the mailbox helper finds a real e-mail, and screenshots are kept."""

from tests.service.helpers import create_session, enrol, person


def test_chromium_shows_a_page_of_the_running_system_and_the_mailbox_is_read(running_system, open_page, screenshot):
    token = running_system.token()
    _, session_id = create_session(running_system.base_url, token, capacity=1)
    someone = person(1, language="en")
    assert enrol(running_system.base_url, token, session_id, someone).status == 201
    mail = running_system.wait_for_email(someone["email"])
    assert mail.subject and someone["email"] in mail.to and mail.links()
    assert running_system.emails("nobody@example.org") == []

    for viewport in ("phone", "desktop"):
        page = open_page(viewport)
        # An unsubscribe link whose token is not valid: the error reaches a browser as a page in English.
        answer = page.goto(f"{running_system.base_url}/notifications/unsubscribe?token=not-a-valid-token&lang=en")
        assert answer.status in (400, 404, 422)
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", level=1).is_visible()
        assert page.viewport_size["width"] == (390 if viewport == "phone" else 1280)
        shot = screenshot(page, "error-page")
        assert shot.exists() and shot.stat().st_size > 1000 and viewport in shot.name
