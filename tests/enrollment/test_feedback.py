"""Feedback after a session (issue 18 item 4), over HTTP on the embedded default (the concurrent
answers also on PostgreSQL): a course's questions, the invitation when a session completes, the
person's form answered once, the reports with their anonymity threshold, tenancy, bad input and
erasure."""

import email
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from email import policy
from email.utils import parseaddr

import pytest
import requests
from sqlalchemy import func, select

from services.enrollment.feedback_pages import PAGES
from services.enrollment.models import FeedbackAnswer, FeedbackBallot, FeedbackForm, FeedbackInvitation
from tests.enrollment.conftest import _embedded
from tests.enrollment.helpers import assert_problem, person
from tests.enrollment.test_readme import run_after_walkthrough
from tests.support import wait_until

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {**BROWSER, "Content-Type": "application/x-www-form-urlencoded"}
GOOD = {"overall": 5, "usefulness": 4, "trainer": 5, "organisation": 3}

QUESTIONS = [
    {"key": "content", "kind": "rating", "text": {"lt": "Turinys", "en": "Content"}, "required": True},
    {"key": "pace", "kind": "rating", "text": {"lt": "Tempas", "en": "Pace"}},
    {"key": "ideas", "kind": "text", "text": {"lt": "Pasiūlymai", "en": "Ideas"}},
]


def path_of(url: str) -> str:
    return "/enrollment" + url.split("/enrollment", 1)[1]


def held_session(system, people=3, attended=None, course=None, **changes):
    """A session that took place: `people` enrolled (municipality 15), the first `attended` attended,
    the rest no-shows, completed. Returns the session and the enrolments."""
    session = system.schedule(capacity=people, course=course, **changes)
    enrolled = [system.enrol(session["id"], person(n, language="en" if n % 2 == 0 else "lt",
                                                   email=f"p{n}.{session['id'][:8]}@savivaldybe.lt")).body
                for n in range(1, people + 1)]
    system.start_session_now(session["id"])
    attended = people if attended is None else attended
    records = [{"enrollment_id": e["id"], "attendance": "attended" if i < attended else "no_show"}
               for i, e in enumerate(enrolled)]
    assert system.post(f"/sessions/{session['id']}/attendance", {"records": records}).status == 200
    assert system.post(f"/sessions/{session['id']}/complete", {}).status == 200
    return session, enrolled


def invitations(system, session_id=None):
    return [e for e in system.events("feedback_requested") if session_id is None or e["session_id"] == session_id]


def answer(system, invitation, answers, lang=None):
    body = {"answers": answers} if lang is None else {"answers": answers, "lang": lang}
    return system.call("POST", path_of(invitation["feedback_url"]).split("/enrollment", 1)[1], body, role=None)


def count(system, model, *where):
    with system.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def test_every_text_of_the_page_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


# ---------------------------------------------------------------- a course's questions

def test_a_course_asks_the_default_questions_until_staff_set_its_own(system):
    course = system.course()
    default = system.get(f"/courses/{course['id']}/feedback-questions")
    assert default.status == 200 and default.body["default"] is True and default.body["open_days"] == 30
    assert [q["key"] for q in default.body["questions"]] == ["overall", "usefulness", "trainer", "organisation",
                                                             "comment"]
    assert all(q["text"]["lt"] and q["text"]["en"] for q in default.body["questions"])

    done = system.put(f"/courses/{course['id']}/feedback-questions", {"questions": QUESTIONS, "open_days": 14})
    assert done.status == 200 and done.body["default"] is False and done.body["open_days"] == 14
    assert [q["key"] for q in system.get(f"/courses/{course['id']}/feedback-questions").body["questions"]] == \
        ["content", "pace", "ideas"]
    back = system.put(f"/courses/{course['id']}/feedback-questions", {"questions": None})
    assert back.body["default"] is True and back.body["open_days"] == 30


def test_bad_questions_are_refused_naming_the_field_and_change_nothing(system):
    course = system.course()
    url = f"/courses/{course['id']}/feedback-questions"
    text_question = {"kind": "text", "text": {"lt": "Kita", "en": "Other"}}
    for body, field in (
            ({"questions": [QUESTIONS[0], QUESTIONS[0]]}, "questions.1.key"),
            ({"questions": [{**text_question, "key": f"t{n}"} for n in range(4)]}, "questions.3.kind"),
            ({"questions": [{**QUESTIONS[0], "key": "Bad Key"}]}, "questions.0.key"),
            ({"questions": [{**QUESTIONS[0], "kind": "stars"}]}, "questions.0.kind"),
            ({"questions": [{**QUESTIONS[0], "text": {"lt": "Turinys"}}]}, "questions.0.text.en"),
            ({"questions": [{**QUESTIONS[0], "text": {"lt": "a\nb", "en": "x"}}]}, "questions.0.text.lt"),
            ({"questions": [{**QUESTIONS[0], "text": {"lt": "x" * 301, "en": "x"}}]}, "questions.0.text.lt"),
            ({"questions": [{**QUESTIONS[0], "key": f"q{n}"} for n in range(11)]}, "questions"),
            ({"questions": []}, "questions"),
            ({"open_days": 0}, "open_days"),
            ({"open_days": 91}, "open_days"),
            ({"colour": "red"}, "colour")):
        assert_problem(system.put(url, body), 422, field=field)
    assert system.get(url).body["default"] is True
    assert_problem(system.put(url, {"questions": QUESTIONS}, role="municipality:15"), 403)
    assert_problem(system.put("/courses/00000000-0000-4000-8000-000000000000/feedback-questions", {}), 404)
    assert_problem(system.get("/courses/00000000-0000-4000-8000-000000000000/feedback-questions"), 404)


# ---------------------------------------------------------------- invitations

def test_completion_invites_each_attendee_once_with_their_own_link(system):
    session, (ona, jonas, rita) = held_session(system, people=3, attended=2)
    told = invitations(system, session["id"])
    assert sorted(e["enrollment_id"] for e in told) == sorted([ona["id"], jonas["id"]])  # not the no-show
    first = next(e for e in told if e["enrollment_id"] == ona["id"])
    assert first["feedback_url"] == ona["manage_url"] + "/feedback" and first["questions"] == 5
    assert first["participant"]["email"] == ona["email"] and first["course_title"]["lt"]
    closes = datetime.fromisoformat(first["closes_at"])
    assert timedelta(days=29, hours=23) < closes - datetime.now(timezone.utc) <= timedelta(days=30)

    # A correction after completion makes Rita an attendee: she is asked too, once.
    system.put(f"/enrollments/{rita['id']}/attendance", {"attendance": "attended"})
    system.put(f"/enrollments/{rita['id']}/attendance", {"attendance": "attended", "hours": 5})
    assert [e["enrollment_id"] for e in invitations(system, session["id"])].count(rita["id"]) == 1
    assert len(invitations(system, session["id"])) == 3 and count(system, FeedbackInvitation) == 3

    # A course without feedback asks no one.
    course = system.course()
    system.put(f"/courses/{course['id']}/feedback-questions", {"enabled": False})
    quiet = system.schedule(course_id=course["id"], capacity=1)
    someone = system.enrol(quiet["id"], person(9)).body
    system.start_session_now(quiet["id"])
    system.put(f"/enrollments/{someone['id']}/attendance", {"attendance": "attended"})
    system.post(f"/sessions/{quiet['id']}/complete", {})
    assert invitations(system, quiet["id"]) == [] and count(system, FeedbackForm) == 1


def test_the_invitation_email_links_to_the_form_in_the_persons_language(system):
    session, (ona, jonas) = held_session(system, people=2)  # Ona reads Lithuanian, Jonas English
    mailbox = system.settings.mailbox_dir

    def mails():
        found = {}
        for path in sorted(mailbox.glob("*.eml")) if mailbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if "mokymus" in str(message["Subject"]) or "How was" in str(message["Subject"]):
                found[parseaddr(str(message["To"]))[1].lower()] = message
        return found if len(found) >= 2 else None

    found = wait_until(mails, timeout=20, message="two feedback e-mails")
    lt, en = found[ona["email"]], found[jonas["email"]]
    assert str(lt["Subject"]) == "Kaip vertinate mokymus „Biudžeto planavimas savivaldybėje“?"
    assert str(en["Subject"]) == 'How was "Municipal budget planning"?'
    lt_text, en_text = lt.get_body(("plain",)).get_content(), en.get_body(("plain",)).get_content()
    assert ona["manage_url"] + "/feedback" in lt_text and "vieną kartą" in lt_text
    assert jonas["manage_url"] + "/feedback" in en_text and "once" in en_text
    assert f'href="{jonas["manage_url"]}/feedback"' in en.get_body(("html",)).get_content()

    link = re.search(r"https?://\S+/feedback", en_text).group(0)
    page = requests.get(link, headers=BROWSER, timeout=30)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "How do you rate the trainer?" in page.text and 'type="radio"' in page.text


# ---------------------------------------------------------------- answering

def test_an_attendee_answers_once_by_json_and_a_second_answer_is_409(system):
    session, (ona, jonas) = held_session(system, people=2)
    invitation = invitations(system, session["id"])[0]
    form = system.public(invitation["feedback_url"])
    assert form.status == 200 and form.body["open"] is True and form.body["answered"] is False
    assert [q["key"] for q in form.body["questions"]] == ["overall", "usefulness", "trainer", "organisation", "comment"]

    done = answer(system, invitation, {**GOOD, "comment": "  Daugiau praktinių užduočių.  "}, lang="lt")
    assert done.status == 201 and done.body == {"answered": True, "session_id": session["id"]}
    again = answer(system, invitation, GOOD)
    assert_problem(again, 409, code="feedback_answered")
    assert system.public(invitation["feedback_url"]).body["answered"] is True
    (stored,) = system.rows(FeedbackAnswer)
    assert stored.answers == {**GOOD, "comment": "Daugiau praktinių užduočių."} and stored.language == "lt"
    assert count(system, FeedbackBallot) == 1


def test_bad_answers_are_refused_naming_the_answer_and_store_nothing(system):
    session, _ = held_session(system, people=1)
    invitation = invitations(system, session["id"])[0]
    for answers, field in (({**GOOD, "overall": 6}, "answers.overall"),
                           ({**GOOD, "overall": 0}, "answers.overall"),
                           ({k: v for k, v in GOOD.items() if k != "trainer"}, "answers.trainer"),
                           ({**GOOD, "comment": "x" * 2001}, "answers.comment"),
                           ({**GOOD, "comment": "bell\x07"}, "body"),  # the JSON reader refuses it first
                           ({**GOOD, "colour": 3}, "answers.colour"),
                           ({**GOOD, "usefulness": "a lot"}, "answers.usefulness")):
        assert_problem(answer(system, invitation, answers), 422, field=field)
    url = path_of(invitation["feedback_url"]).split("/enrollment", 1)[1]
    assert_problem(system.call("POST", url, {"answers": GOOD, "extra": 1}, role=None), 422, field="extra")
    assert_problem(system.call("POST", url, {"answers": GOOD, "lang": "de"}, role=None), 422, field="lang")
    assert_problem(system.call("POST", url, raw=b"overall=5", role=None, headers={"Content-Type": "text/plain"}), 415)
    assert_problem(system.call("POST", url, raw=b"{not json", role=None,
                               headers={"Content-Type": "application/json"}), 400)
    wrong_code = re.sub(r"/[^/]+/feedback$", "/not-the-code-000000000000/feedback", url)
    assert_problem(system.call("POST", wrong_code, {"answers": GOOD}, role=None), 404)
    assert_problem(system.call("GET", wrong_code, role=None), 404)
    assert count(system, FeedbackAnswer) == 0 and count(system, FeedbackBallot) == 0

    # Someone enrolled but never invited (a session not completed) has no form.
    upcoming = system.schedule(capacity=1)
    waiting = system.enrol(upcoming["id"], person(7)).body
    assert_problem(system.public(waiting["manage_url"] + "/feedback"), 404)


def test_the_form_closes_after_its_days(system):
    session, _ = held_session(system, people=1)
    invitation = invitations(system, session["id"])[0]
    system.travel(FeedbackForm, FeedbackForm.session_id == uuid.UUID(session["id"]),
                  closes_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    assert system.public(invitation["feedback_url"]).body["open"] is False
    assert_problem(answer(system, invitation, GOOD), 409, code="feedback_closed")
    page = requests.get(system.base_url + path_of(invitation["feedback_url"]) + "?lang=en", headers=BROWSER, timeout=30)
    assert page.status_code == 200 and "the form is closed" in page.text and "<form method" not in page.text
    assert count(system, FeedbackAnswer) == 0


def test_the_page_form_answers_once_in_either_language(system):
    session, (ona,) = held_session(system, people=1)
    invitation = invitations(system, session["id"])[0]
    page_path = path_of(invitation["feedback_url"])
    lt = requests.get(system.base_url + page_path, headers=BROWSER, timeout=30)
    assert lt.status_code == 200 and '<html lang="lt">' in lt.text and "Kaip vertinate lektorių?" in lt.text
    assert "1 – labai blogai" in lt.text and 'maxlength="2000"' in lt.text
    assert lt.headers["Referrer-Policy"] == "no-referrer" and lt.headers["Cache-Control"] == "no-store"
    en = requests.get(system.base_url + page_path + "?lang=en", headers=BROWSER, timeout=30)
    assert '<html lang="en">' in en.text and "How do you rate the trainer?" in en.text

    # A rating missing: the form again (422) in the person's language, the answers kept.
    missing = requests.post(system.base_url + page_path + "?lang=en", headers=FORM, allow_redirects=False, timeout=30,
                            data={"lang": "en", "q_overall": "5", "q_usefulness": "4", "q_organisation": "3",
                                  "q_comment": "Great examples"})
    assert missing.status_code == 422 and "Please choose a rating." in missing.text
    assert "Great examples</textarea>" in missing.text and 'value="5" checked' in missing.text
    assert count(system, FeedbackAnswer) == 0

    sent = requests.post(system.base_url + page_path + "?lang=en", headers=FORM, allow_redirects=False, timeout=30,
                         data={"lang": "en", "q_overall": "5", "q_usefulness": "4", "q_trainer": "5",
                               "q_organisation": "3", "q_comment": "Great examples"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/feedback?lang=en&done=answered")
    thanks = requests.get(system.base_url + sent.headers["Location"], headers=BROWSER, timeout=30)
    assert "Thank you! Your answers have been received." in thanks.text and "<form method" not in thanks.text

    twice = requests.post(system.base_url + page_path + "?lang=lt", headers=FORM, allow_redirects=False, timeout=30,
                          data={"lang": "lt", "q_overall": "1", "q_usefulness": "1", "q_trainer": "1",
                                "q_organisation": "1"})
    assert twice.status_code == 409 and '<html lang="lt">' in twice.text
    assert "Šią formą jau užpildėte" in twice.text
    (stored,) = system.rows(FeedbackAnswer)
    assert stored.answers["overall"] == 5 and stored.language == "en"

    # A mail scanner fetching the link changes nothing; a JSON client gets the form as data.
    assert requests.get(system.base_url + page_path, timeout=30).json()["answered"] is True


def test_concurrent_answers_of_one_person_keep_one(any_system):
    session, _ = held_session(any_system, people=1)
    invitation = invitations(any_system, session["id"])[0]
    replies, start = [], threading.Barrier(8)

    def send():
        start.wait()
        replies.append(answer(any_system, invitation, GOOD).status)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies) == [201] + [409] * 7
    assert count(any_system, FeedbackAnswer) == 1 and count(any_system, FeedbackBallot) == 1


# ---------------------------------------------------------------- what is stored

def test_an_answer_holds_no_person_and_no_time(system):
    from services.enrollment.models import metadata

    answers = metadata.tables["feedback_answers"]
    assert set(answers.c.keys()) == {"id", "session_id", "language", "answers"}
    assert set(metadata.tables["feedback_ballots"].c.keys()) == {"enrollment_id", "session_id"}
    assert not any(fk.column.table.name in ("enrollments", "feedback_ballots", "feedback_invitations")
                   for fk in answers.foreign_keys)


# ---------------------------------------------------------------- reports

def test_results_show_from_the_threshold_and_add_up_only_sessions_that_reach_it(system):
    trainer = system.post("/trainers", {"name": "Lektorė Aldona", "email": "aldona@lsa.lt"}).body
    course = system.course()
    big, people = held_session(system, people=6, course_id=course["id"], trainer_id=trainer["id"])
    small, few = held_session(system, people=2, course_id=course["id"], trainer_id=trainer["id"])
    asked = {e["enrollment_id"]: e for e in invitations(system)}
    ratings = [5, 4, 4, 3, 5]
    for enrolment, rating in zip(people[:4], ratings):
        assert answer(system, asked[enrolment["id"]], {**GOOD, "overall": rating,
                                                       "comment": f"Komentaras {rating}"}).status == 201
    for enrolment in few:
        assert answer(system, asked[enrolment["id"]], {**GOOD, "overall": 1, "comment": "Blogai"}).status == 201

    below = system.get(f"/reports/feedback/sessions/{big['id']}").body
    assert (below["invited"], below["answers"], below["min_answers"], below["shown"]) == (6, 4, 5, False)
    assert below["questions"] == [] and "Komentaras" not in str(below)

    answer(system, asked[people[4]["id"]], {**GOOD, "overall": ratings[4], "comment": "Komentaras 5"})
    shown = system.get(f"/reports/feedback/sessions/{big['id']}").body
    assert shown["shown"] is True and shown["answers"] == 5 and shown["response_rate"] == round(5 / 6, 3)
    overall = next(q for q in shown["questions"] if q["key"] == "overall")
    assert overall["average"] == 4.2 and overall["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 2, "5": 2}
    assert overall["text"] == {"lt": "Kaip apskritai vertinate mokymus?", "en": "How do you rate the training overall?"}
    comments = next(q for q in shown["questions"] if q["key"] == "comment")
    assert comments["comments"] == sorted(f"Komentaras {r}" for r in ratings) and comments["comments_total"] == 5

    # The course (and the trainer): both sessions counted, only the one at the threshold added up,
    # so the small session's two answers cannot be told apart by subtracting reports.
    for url in (f"/reports/feedback/courses/{course['id']}", f"/reports/feedback/trainers/{trainer['id']}",
                "/reports/feedback/themes/budgeting"):
        report = system.get(url).body
        assert (report["sessions"], report["answers"], report["sessions_shown"], report["answers_shown"]) == \
            (2, 7, 1, 5), url
        assert next(q for q in report["questions"] if q["key"] == "overall")["average"] == 4.2
        assert "Blogai" not in str(report)
    assert system.get(f"/reports/feedback/sessions/{small['id']}").body["questions"] == []
    assert system.get("/reports/feedback/themes/education").body["sessions"] == 0

    # A period: sessions starting before the day given are left out.
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).date().isoformat()
    assert system.get(f"/reports/feedback/courses/{course['id']}?from={tomorrow}").body["sessions"] == 0


@pytest.fixture
def low_threshold_system(tmp_path, reset_process_state):
    yield from _embedded(tmp_path, {"SAVIVALDA_TIMER_INTERVAL": "0.2", "SAVIVALDA_FEEDBACK_MIN_ANSWERS": "3"})


def test_the_threshold_is_configurable(low_threshold_system):
    system = low_threshold_system
    session, people = held_session(system, people=3)
    for invitation in invitations(system, session["id"]):
        answer(system, invitation, GOOD)
    report = system.get(f"/reports/feedback/sessions/{session['id']}").body
    assert report["min_answers"] == 3 and report["shown"] is True


def test_bad_report_queries_are_refused(system):
    course = system.course()
    for url, field in ((f"/reports/feedback/courses/{course['id']}?colour=red", "colour"),
                       (f"/reports/feedback/courses/{course['id']}?from=2026-05-01&to=2026-04-01", None),
                       (f"/reports/feedback/courses/{course['id']}?from=yesterday", "from"),
                       (f"/reports/feedback/courses/{course['id']}?municipality_code=99", "municipality_code"),
                       ("/reports/feedback/sessions/00000000-0000-4000-8000-000000000000?limit=3", "limit")):
        assert_problem(system.get(url), 422, field=field)
    assert_problem(system.get("/reports/feedback/themes/astrology"), 404)
    assert_problem(system.get("/reports/feedback/courses/00000000-0000-4000-8000-000000000000"), 404)
    assert_problem(system.get("/reports/feedback/trainers/00000000-0000-4000-8000-000000000000"), 404)
    assert_problem(system.get("/reports/feedback/sessions/00000000-0000-4000-8000-000000000000"), 404)


def test_a_municipality_sees_the_results_of_sessions_its_people_attended(system):
    course = system.course()
    session, _ = held_session(system, people=2, course_id=course["id"])  # people of municipality 15
    kaunas, vilnius = "municipality:15", "municipality:57"
    assert system.get(f"/reports/feedback/sessions/{session['id']}", role=kaunas).status == 200
    assert_problem(system.get(f"/reports/feedback/sessions/{session['id']}", role=vilnius), 404)
    assert system.get(f"/reports/feedback/courses/{course['id']}", role=kaunas).body["sessions"] == 1
    own = system.get(f"/reports/feedback/courses/{course['id']}", role=vilnius).body
    assert own["sessions"] == 0 and own["municipality_code"] == "57"
    assert_problem(system.get(f"/reports/feedback/courses/{course['id']}?municipality_code=15", role=vilnius), 403)
    assert system.get("/reports/feedback/themes/budgeting", role=vilnius).body["sessions"] == 0
    assert_problem(system.get(f"/reports/feedback/trainers/{course['id']}", role=kaunas), 403)
    assert_problem(system.get(f"/courses/{course['id']}/feedback-questions", role=kaunas), 403)
    # Staff filter by municipality the same way.
    assert system.get(f"/reports/feedback/courses/{course['id']}?municipality_code=57").body["sessions"] == 0


# ---------------------------------------------------------------- erasure

def test_erasure_leaves_no_identity_in_the_free_text(system):
    from tests.support import run_cli

    session = system.schedule(capacity=1)
    ona = system.enrol(session["id"], person(1, name="Ona Petraitienė", email="ona.p@kaunas.lt")).body
    system.start_session_now(session["id"])
    system.put(f"/enrollments/{ona['id']}/attendance", {"attendance": "attended"})
    system.post(f"/sessions/{session['id']}/complete", {})
    (invitation,) = invitations(system, session["id"])
    answer(system, invitation, {**GOOD, "comment": "Aš, Ona Petraitienė (ona.p@kaunas.lt), siūlau daugiau pavyzdžių. "
                                                  "Petraitienė"})
    erased = run_cli("--data-dir", str(system.settings.data_dir), "privacy", "erase", "ona.p@kaunas.lt")
    assert erased.returncode == 0, erased.stderr
    done = system.wait_until(lambda: system.events("person_erased"), timeout=15, message="enrollment.person_erased")
    assert done[0]["removed"]["feedback_comments"] == 1
    (stored,) = system.rows(FeedbackAnswer)
    assert stored.answers["comment"] == "Aš, […] ([…]), siūlau daugiau pavyzdžių. […]"
    assert stored.answers["overall"] == 5  # the ratings stay, anonymous
    everything = system.texts()
    assert "petraitien" not in everything and "ona.p@kaunas.lt" not in everything
    assert_problem(system.public(invitation["feedback_url"]), 404)


# ---------------------------------------------------------------- the README

def test_the_readme_feedback_example_works_as_written(system, tmp_path):
    out = run_after_walkthrough(system, tmp_path, "feedback example")
    assert out[-5:] == ["['overall', 'usefulness', 'trainer', 'organisation', 'comment']", "True", "409",
                        "2 1 False", "['overall', 'cases']"], out


def test_the_enrolment_page_links_the_form_while_it_waits_for_an_answer(system):
    session, (ona,) = held_session(system, people=1)
    page = requests.get(system.base_url + path_of(ona["manage_url"]) + "?lang=en", headers=BROWSER, timeout=30)
    assert "Evaluate the training (a short form)" in page.text
    assert f'href="{path_of(ona["manage_url"])}/feedback?lang=en"' in page.text
    answer(system, invitations(system, session["id"])[0], GOOD)
    again = requests.get(system.base_url + path_of(ona["manage_url"]), headers=BROWSER, timeout=30)
    assert again.status_code == 200 and "Įvertinkite mokymus" not in again.text
