"""Issue 18 item 4 in a real browser: after a session completes, two attendees follow the link in
their feedback e-mail, each reads the form in their language (Lithuanian, English), answers it and
is thanked; opening it again says it was answered once. On a phone and on a desktop, without
JavaScript; a screenshot of each page is kept (test-artifacts/screenshots/)."""

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, update

from services.enrollment.models import TrainingSession
from shared.config import embedded_settings
from tests.service.helpers import create_session, enrol, person
from tests.support import http

FEEDBACK = r"/enrollment/self-service/[0-9a-f-]{36}/[A-Za-z0-9_-]+/feedback$"


def hold(system, token: str, session_id: str, enrolments: list[dict]) -> None:
    """The session took place (its times move into the past), everyone attended, and it is completed."""
    engine = create_engine(embedded_settings(system.data_dir).database_url("enrollment"))
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(update(TrainingSession.__table__)
                           .where(TrainingSession.__table__.c.id == uuid.UUID(session_id))
                           .values(starts_at=now - timedelta(hours=7), ends_at=now - timedelta(hours=1),
                                   registration_opens_at=now - timedelta(days=10),
                                   registration_closes_at=now - timedelta(hours=7)))
    engine.dispose()
    records = [{"enrollment_id": e["id"], "attendance": "attended"} for e in enrolments]
    base = f"{system.base_url}/enrollment/sessions/{session_id}"
    assert http("POST", f"{base}/attendance", {"records": records}, token=token).status == 200
    assert http("POST", f"{base}/complete", {}, token=token).status == 200


def test_attendees_answer_the_feedback_form_from_their_e_mail_in_both_languages(running_system, page, screenshot):
    token = running_system.token()
    _, session_id = create_session(running_system.base_url, token, capacity=2)
    ona, jonas = person(1, language="lt"), person(2, language="en")
    enrolments = [enrol(running_system.base_url, token, session_id, p).body for p in (ona, jonas)]
    hold(running_system, token, session_id, enrolments)

    # Ona opens the link from her e-mail: the form in Lithuanian.
    link = running_system.link_in_email(ona["email"], FEEDBACK, containing="Kaip vertinate")
    answer = page.goto(link)
    assert answer.status == 200 and page.locator("html").get_attribute("lang") == "lt"
    assert page.get_by_role("heading", level=1).inner_text() == "Mokymų vertinimas"
    overall = page.get_by_role("group", name="Kaip apskritai vertinate mokymus?")
    assert overall.get_by_role("radio").count() == 5
    screenshot(page, "1-feedback-form-lt")
    overall.get_by_role("radio", name="5 – puikiai").check()
    page.get_by_role("group", name="Ar turinys bus naudingas jūsų darbe?").get_by_role("radio", name="4 – gerai").check()
    page.get_by_role("group", name="Kaip vertinate lektorių?").get_by_role("radio", name="5 – puikiai").check()
    page.get_by_role("group", name="Kaip vertinate organizavimą").get_by_role("radio", name="3 – vidutiniškai").check()
    page.get_by_label("Ką norėtumėte pasakyti ar pasiūlyti?").fill("Daugiau praktinių užduočių, ačiū!")
    page.get_by_role("button", name="Siųsti atsakymus").click()
    page.locator("#confirmation").wait_for()  # 303 back to the page, which thanks her
    assert "done=answered" in page.url
    assert page.get_by_role("status").inner_text() == "Ačiū! Jūsų atsakymai gauti."
    assert page.get_by_role("button").count() == 0
    screenshot(page, "2-feedback-thanks-lt")

    # Jonas reads English: the same questions in his language; he answers with the keyboard.
    link = running_system.link_in_email(jonas["email"], FEEDBACK, containing="How was")
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Training evaluation"
    for question, rating in (("How do you rate the training overall?", "4 – good"),
                             ("How useful is the content for your work?", "5 – excellent"),
                             ("How do you rate the trainer?", "4 – good"),
                             ("How do you rate the organisation", "2 – poor")):
        page.get_by_role("group", name=question).get_by_role("radio", name=rating).check()
    page.get_by_label("Anything you would like to tell us or suggest?").fill("More time for questions.")
    screenshot(page, "3-feedback-form-en")
    page.get_by_role("button", name="Send my answers").focus()
    page.keyboard.press("Enter")
    page.locator("#confirmation").wait_for()
    assert page.get_by_role("status").inner_text() == "Thank you! Your answers have been received."

    # Once per person: the link again says so, in Lithuanian when he switches.
    page.goto(link)
    assert "already answered" in page.locator("#refused").inner_text()
    page.get_by_role("link", name="Lietuvių (Lithuanian)").click()
    assert "jau užpildėte" in page.locator("#refused").inner_text()
    screenshot(page, "4-feedback-answered-lt")

    # Staff see the two answers counted; below the threshold (5) nothing more.
    report = http("GET", f"{running_system.base_url}/enrollment/reports/feedback/sessions/{session_id}", token=token)
    assert (report.body["answers"], report.body["invited"], report.body["shown"]) == (2, 2, False)
    assert report.body["questions"] == []
    assert len(screenshot.saved) == 4 and all(path.stat().st_size > 2000 for path in screenshot.saved)
