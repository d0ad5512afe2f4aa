"""The feedback page (issue 18 item 4): `<manage_url>/feedback`, the link in the
enrollment.feedback_requested e-mail. The questions of the session's form in the person's language
(`?lang=lt|en` switches), one POST form (no JavaScript), answered 303 back to the page with a thank
you; answered once (a second answer is this page with 409 saying so), closed after its date (409).
Invalid answers (a rating missing or out of 1-5, a comment too long) are the form again, 422, with
each answer at fault named in the person's language and what they wrote kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from pydantic import ConfigDict
from werkzeug.wrappers import Request, Response

from services.enrollment.domain.feedback import MAX_COMMENT, MAX_QUESTIONS, SCALE
from services.enrollment.usecases.feedback import ANSWER_PREFIX, FeedbackPage, PageOutcome
from shared.http import parse_query
from shared.model import Model
from shared.pages import Pages, local, page_language, see_other

MESSAGES: dict[str, dict[str, str]] = {
    "feedback_title": {"lt": "Mokymų vertinimas", "en": "Training evaluation"},
    "feedback_intro": {"lt": "Ačiū, kad dalyvavote. Jūsų atsakymai padės tobulinti mokymus. Atsakyti galite vieną "
                             "kartą, iki {closes}.",
                       "en": "Thank you for taking part. Your answers help us improve the training. You can answer "
                             "once, until {closes}."},
    "feedback_anonymous": {"lt": "Atsakymai saugomi atskirai nuo jūsų vardo: darbuotojai mato tik bendrus rezultatus, "
                                 "ir tik kai atsakė bent keli dalyviai.",
                           "en": "Your answers are stored apart from your name: staff see only combined results, and "
                                 "only once several participants have answered."},
    "feedback_session": {"lt": "Mokymai", "en": "The training"},
    "feedback_when": {"lt": "Kada", "en": "When"},
    "feedback_when_value": {"lt": "{start} – {end} (Vilniaus laiku)", "en": "{start} – {end} (Vilnius time)"},
    "feedback_trainer": {"lt": "Lektorius", "en": "Trainer"},
    "feedback_required": {"lt": "(privaloma)", "en": "(required)"},
    "feedback_optional": {"lt": "(neprivaloma)", "en": "(optional)"},
    "feedback_scale": {"lt": "1 – labai blogai, 5 – puikiai", "en": "1 – very poor, 5 – excellent"},
    "feedback_rating_1": {"lt": "1 – labai blogai", "en": "1 – very poor"},
    "feedback_rating_2": {"lt": "2 – blogai", "en": "2 – poor"},
    "feedback_rating_3": {"lt": "3 – vidutiniškai", "en": "3 – fair"},
    "feedback_rating_4": {"lt": "4 – gerai", "en": "4 – good"},
    "feedback_rating_5": {"lt": "5 – puikiai", "en": "5 – excellent"},
    "feedback_text_hint": {"lt": "Ne daugiau kaip {max} simbolių.", "en": "At most {max} characters."},
    "feedback_submit": {"lt": "Siųsti atsakymus", "en": "Send my answers"},
    "feedback_thanks": {"lt": "Ačiū! Jūsų atsakymai gauti.", "en": "Thank you! Your answers have been received."},
    "feedback_already": {"lt": "Šią formą jau užpildėte. Atsakyti galima tik vieną kartą – ačiū!",
                         "en": "You have already answered this form. It can be answered only once – thank you!"},
    "feedback_closed": {"lt": "Atsakymai buvo priimami iki {closes}; forma uždaryta.",
                        "en": "Answers were taken until {closes}; the form is closed."},
    "feedback_not_attended": {"lt": "Šią formą pildo tik mokymuose dalyvavę asmenys.",
                              "en": "This form is answered only by people who attended the training."},
    "feedback_errors": {"lt": "Patikrinkite pažymėtus atsakymus.", "en": "Please check the answers marked below."},
    "feedback_error_required": {"lt": "Pasirinkite įvertinimą.", "en": "Please choose a rating."},
    "feedback_error_rating": {"lt": "Įvertinimas turi būti nuo 1 iki 5.", "en": "The rating must be from 1 to 5."},
    "feedback_error_too_long": {"lt": "Tekstas per ilgas (ne daugiau kaip {max} simbolių).",
                                "en": "The text is too long (at most {max} characters)."},
    "feedback_error_control_characters": {"lt": "Tekste yra neleistinų simbolių.",
                                          "en": "The text contains characters that are not allowed."},
    "feedback_error_text": {"lt": "Čia laukiama teksto.", "en": "Text is expected here."},
    "feedback_error_unknown": {"lt": "Tokio klausimo formoje nėra.", "en": "There is no such question on the form."},
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)


class FeedbackPageQuery(Model):
    model_config = ConfigDict(extra="ignore")  # tracking parameters a mail client adds are ignored
    lang: Literal["lt", "en"] | None = None
    done: Literal["answered"] | None = None


# The POST's bodies for the OpenAPI document: the page's form, or JSON (FeedbackAnswerIn).
FORM_SCHEMA = {"type": "object", "properties": {"lang": {"enum": ["lt", "en"]}},
               "patternProperties": {"^q_[a-z][a-z0-9_]{0,39}$": {"type": "string", "maxLength": MAX_COMMENT}},
               "additionalProperties": False,
               "description": "the page's form: q_<key> = 1-5 for a rating question, the text for a free-text one"}


def form_address(request: Request, language: str | None = None, done: str | None = None) -> str:
    query = {key: value for key, value in (("lang", language), ("done", done)) if value}
    return request.path + ("?" + urlencode(query) if query else "")


def feedback_answer_page(request: Request, outcome: PageOutcome) -> Response:
    """After the page's form: 303 to the thanks (Post/Redirect/Get), or the page again with why not."""
    if outcome.page is None:
        return see_other(form_address(request, outcome.given.language, "answered"))
    if outcome.refused == "invalid":
        return feedback_page(request, outcome.page, status=422, errors=outcome.errors, values=outcome.given.answers)
    return feedback_page(request, outcome.page, status=409, refused=outcome.refused)


def feedback_page(request: Request, page: FeedbackPage, *, status: int = 200, refused: str | None = None,
                  errors: list[dict] | None = None, values: dict | None = None) -> Response:
    """The form, or why it cannot be answered (refused: answered, closed, not_attended), or the thanks."""
    query = parse_query(request, FeedbackPageQuery)
    view = page.view
    language = page_language(request, view.language)
    state = refused or ("thanks" if query.done == "answered" and view.answered else
                        "answered" if view.answered else "closed" if not view.open else "form")
    return PAGES.render(request, "feedback.html.j2", {
        "view": view, "page": page, "state": state, "local": local, "scale": SCALE, "max_comment": MAX_COMMENT,
        "errors": {e["field"].split(".", 1)[1]: e["code"] for e in (errors or [])},
        "values": values or {}, "prefix": ANSWER_PREFIX, "max_questions": MAX_QUESTIONS,
        "action": form_address(request, language),
    }, stored_language=view.language, status=status)
