"""The enrolment page (issue 17): what a participant reaches from the link in their e-mails,
`/enrollment/self-service/<id>/<code>`, in their language.

The link's routes (service.py) answer JSON clients as before and browsers with this page: status,
place in line and why (the seats are full, or the municipality has its share), the session (course,
dates, venue or online, hours), the offer's deadline, and POST forms to leave, accept or decline,
each answered 303 back to the page with a confirmation (`?done=`). A GET changes nothing, so a mail
scanner fetching the link cannot. The code in the address is the only key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from pydantic import ConfigDict
from werkzeug.wrappers import Request, Response

from services.enrollment.usecases.self_service import SelfServicePage
from shared.http import parse_query
from shared.model import Model
from shared.pages import Pages, hours_text, local, page_language, read_form, see_other, wants_html
from shared.reference import REGIONS

DONE = ("left", "accepted", "declined", "switched")

MESSAGES: dict[str, dict[str, str]] = {
    "enrolment_title": {"lt": "Jūsų registracija", "en": "Your enrolment"},
    "enrolment_greeting": {"lt": "Sveiki, {name}.", "en": "Hello, {name}."},
    "enrolment_status": {"lt": "Būsena", "en": "Status"},
    "status_confirmed": {"lt": "Registracija patvirtinta", "en": "Enrolment confirmed"},
    "status_waitlisted": {"lt": "Laukiančiųjų sąraše", "en": "On the waitlist"},
    "status_offered": {"lt": "Jums siūloma vieta", "en": "A seat is offered to you"},
    "status_cancelled": {"lt": "Registracija atšaukta", "en": "Enrolment cancelled"},
    "status_expired": {"lt": "Pasiūlymo laikas baigėsi", "en": "The offer has expired"},
    "explain_confirmed": {"lt": "Jūsų vieta užtikrinta. Jei negalėsite dalyvauti, atsisakykite vietos žemiau, kad "
                                "ją gautų kitas laukiantysis.",
                          "en": "Your seat is yours. If you cannot attend, leave below so that the next person "
                                "waiting gets it."},
    "explain_place": {"lt": "Jūsų vieta eilėje: {position}.", "en": "Your place in line: {position}."},
    "explain_seat": {"lt": "Kodėl laukiate: visos vietos užimtos. Atsilaisvinus vietai, ji bus pasiūlyta eilės "
                           "tvarka ir jums pranešime e. paštu.",
                     "en": "Why you are waiting: all seats are taken. When a seat frees up it goes to the next "
                           "in line, and we will tell you by e-mail."},
    "explain_quota": {"lt": "Kodėl laukiate: kiekvienai savivaldybei skirta dalis vietų, o jūsų savivaldybė "
                            "savo dalį (kvotą) jau užėmė. Jei kvota bus atlaisvinta arba savivaldybės vieta "
                            "atsilaisvins, pranešime e. paštu.",
                      "en": "Why you are waiting: each municipality has a share of the seats, and yours already "
                            "holds its share (its quota). If the quota is released or one of its seats frees up, "
                            "we will tell you by e-mail."},
    "explain_offered": {"lt": "Atsilaisvino vieta ir ji laikoma jums iki {deadline}. Priimkite arba "
                              "atsisakykite iki šio laiko; vėliau vieta atiteks kitam laukiančiajam.",
                        "en": "A seat has freed up and is held for you until {deadline}. Accept or decline it "
                              "before then; after that it passes to the next person waiting."},
    "explain_offered_closed": {"lt": "Pasiūlymo laikas baigėsi {deadline}.",
                               "en": "The offer ran out at {deadline}."},
    "explain_cancelled": {"lt": "Šioje sesijoje jūsų nebėra. Jei norite vėl registruotis, kreipkitės į savo "
                                "savivaldybės koordinatorių.",
                          "en": "You are no longer in this session. To enrol again, ask your municipality's "
                                "coordinator."},
    "explain_expired": {"lt": "Laiku neatsakėte į pasiūlymą, todėl vieta atiteko kitam.",
                        "en": "The offer was not answered in time, so the seat went to someone else."},
    "explain_mode_dropped": {"lt": "Sesija nebevyksta jūsų pasirinktu būdu. Galite pereiti į kitą būdą arba "
                                   "nemokamai atsisakyti vietos.",
                             "en": "The session is no longer held the way you chose. You can switch to the "
                                   "other way or leave free of charge."},
    "explain_session_over": {"lt": "Sesija jau prasidėjo arba nebevyksta, todėl keisti nieko nebegalima.",
                             "en": "The session has started or is no longer held, so nothing can be changed."},
    "session_heading": {"lt": "Mokymai", "en": "The training"},
    "session_course": {"lt": "Kursas", "en": "Course"},
    "session_when": {"lt": "Kada", "en": "When"},
    "session_when_value": {"lt": "{start} – {end} (Vilniaus laiku)", "en": "{start} – {end} (Vilnius time)"},
    "session_where": {"lt": "Kur", "en": "Where"},
    "session_online": {"lt": "Nuotoliu", "en": "Online"},
    "session_online_link": {"lt": "Prisijungimo nuoroda", "en": "Link to join"},
    "session_way": {"lt": "Dalyvavimo būdas", "en": "Taking part"},
    "mode_in_person": {"lt": "Salėje", "en": "In person"},
    "mode_online": {"lt": "Nuotoliu", "en": "Online"},
    "session_hours": {"lt": "Trukmė", "en": "Length"},
    "session_hours_value": {"lt": "{hours} akad. val.", "en": "{hours} hours"},
    "session_trainer": {"lt": "Lektorius", "en": "Trainer"},
    "session_fee": {"lt": "Kaina", "en": "Fee"},
    "session_free": {"lt": "Nemokamai", "en": "Free of charge"},
    "session_state_cancelled": {"lt": "Sesija atšaukta.", "en": "The session was cancelled."},
    "session_state_completed": {"lt": "Sesija įvyko.", "en": "The session has taken place."},
    "offer_deadline": {"lt": "Atsakyti iki", "en": "Answer by"},
    "actions_heading": {"lt": "Ką galite padaryti", "en": "What you can do"},
    "action_accept": {"lt": "Priimti vietą", "en": "Accept the seat"},
    "action_decline": {"lt": "Atsisakyti pasiūlytos vietos", "en": "Decline the seat"},
    "action_leave": {"lt": "Atsisakyti dalyvavimo", "en": "Leave the session"},
    "action_leave_waitlist": {"lt": "Išeiti iš laukiančiųjų sąrašo", "en": "Leave the waitlist"},
    "action_leave_hint": {"lt": "Atsisakius vieta atiteks kitam laukiančiajam; grįžti galėsite tik per "
                                "koordinatorių.",
                          "en": "Your seat then goes to the next person waiting; only your coordinator can "
                                "enrol you again."},
    "action_switch": {"lt": "Pereiti: {mode}", "en": "Switch to: {mode}"},
    "action_calendar": {"lt": "Įtraukti į kalendorių (.ics)", "en": "Add to calendar (.ics)"},
    "action_feedback": {"lt": "Įvertinkite mokymus (trumpa anketa)", "en": "Evaluate the training (a short form)"},
    "action_certificate": {"lt": "Pažymėjimas Nr. {number} (PDF)", "en": "Certificate No. {number} (PDF)"},
    "done_left": {"lt": "Atlikta: jūs atsisakėte dalyvavimo. Patvirtinimą išsiuntėme e. paštu.",
                  "en": "Done: you have left. We have sent you a confirmation by e-mail."},
    "done_accepted": {"lt": "Atlikta: vieta jūsų, registracija patvirtinta.",
                      "en": "Done: the seat is yours and your enrolment is confirmed."},
    "done_declined": {"lt": "Atlikta: pasiūlytos vietos atsisakėte; ji atiteks kitam laukiančiajam.",
                      "en": "Done: you declined the seat; it passes to the next person waiting."},
    "done_switched": {"lt": "Atlikta: dalyvavimo būdas pakeistas.", "en": "Done: the way you take part has changed."},
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)


class SelfServicePageQuery(Model):
    """What the page adds to the link: its language and, after a form, what was done. Anything
    else a mail client appends (tracking parameters) is ignored, so the link keeps working."""

    model_config = ConfigDict(extra="ignore")
    lang: Literal["lt", "en"] | None = None
    done: Literal["left", "accepted", "declined", "switched"] | None = None


class PageForm(Model):
    """Every form of the page sends only the language it was shown in (the action is the address)."""

    model_config = ConfigDict(extra="forbid")
    lang: Literal["lt", "en"] | None = None


def page_address(request: Request, language: str | None, done: str | None = None) -> str:
    """The page itself (the link without its action), with the language and a confirmation."""
    path = request.path
    for action in ("/leave", "/accept", "/decline", "/switch-mode"):
        if path.endswith(action):
            path = path[: -len(action)]
    query = {key: value for key, value in (("lang", language), ("done", done)) if value}
    return path + ("?" + urlencode(query) if query else "")


def page_form(request: Request) -> PageForm | None:
    """The page's form when a browser posts it; None for a JSON client (its answer is unchanged)."""
    return read_form(request, PageForm) if wants_html(request) else None


def after_action(request: Request, form: PageForm, done: str) -> Response:
    """Post/Redirect/Get: back to the page, in the language the form was shown in, confirming."""
    return see_other(page_address(request, form.lang, done))


def enrolment_page(request: Request, page: SelfServicePage) -> Response:
    query = parse_query(request, SelfServicePageQuery)  # read by the page only: JSON clients see no change
    view = page.view
    language = page_language(request, page.language)
    region = REGIONS.get(view.region or "")
    base = page_address(request, None)
    return PAGES.render(request, "enrolment.html.j2", {
        "view": view, "page": page, "done": query.done, "local": local, "hours_text": hours_text,
        "region_name": "" if region is None else (region.name_lt if language == "lt" else region.name_en),
        # The language also in the address, so that an error answering the form is in it too.
        "actions": {name: f"{base}/{name}?lang={language}" for name in ("leave", "accept", "decline", "switch-mode")},
        "calendar_url": f"{base}/calendar.ics",
        "certificate_url": f"{base}/certificate.pdf",
        "feedback_url": f"{base}/feedback?lang={language}",
    }, stored_language=page.language)
