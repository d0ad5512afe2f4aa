"""The page behind the link in every e-mail (issue 17): the person's e-mail preferences, reached
with the signed token of the link (the only key: no login).

`GET /notifications/unsubscribe?token=...` shows the page, in the person's stored language
(switchable with ?lang=): which category the link is about, in words; a one-click unsubscribe
button; and a form to change the language of their e-mails, the categories they want and whether
they come at once or in a daily digest. A GET changes nothing (mail scanners fetch links).

`POST /notifications/unsubscribe?token=...` is RFC 8058 one-click unsubscribe, what mail clients
send (`List-Unsubscribe=One-Click`): JSON, as before; a browser (the page's button) is answered
303 back to the page with a confirmation. `POST /notifications/preferences?token=...` takes the
page's preferences form and answers 303 back to the page, in the language chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from pydantic import ConfigDict, Field

from services.notifications.domain.preferences import CATEGORIES
from services.notifications.usecases import unsubscribe
from services.notifications.usecases.unsubscribe import PreferencesView
from shared.http import route
from shared.model import Model
from shared.pages import Pages, read_form, see_other

Category = Literal["training", "certificates", "call_alerts", "grants", "partners"]

MESSAGES: dict[str, dict[str, str]] = {
    "prefs_title": {"lt": "Laiškų nustatymai", "en": "Your e-mail preferences"},
    "prefs_address": {"lt": "Adresas", "en": "Address"},
    "prefs_link_category": {"lt": "Šią nuorodą gavote laiške, kurio kategorija – „{category}“.",
                            "en": "You followed the link in an e-mail in the category “{category}”."},
    "prefs_link_all": {"lt": "Šią nuorodą gavote dienos santraukos laiške.",
                       "en": "You followed the link in a daily digest."},
    "prefs_unsubscribe_heading": {"lt": "Atsisakyti laiškų", "en": "Unsubscribe"},
    "prefs_unsubscribe_category": {"lt": "Nebegauti laiškų kategorijoje „{category}“.",
                                   "en": "Stop e-mails in the category “{category}”."},
    "prefs_unsubscribe_all": {"lt": "Nebegauti jokių laiškų.", "en": "Stop all e-mails."},
    "prefs_unsubscribe_button": {"lt": "Atsisakyti", "en": "Unsubscribe"},
    "prefs_already_category": {"lt": "Laiškų kategorijoje „{category}“ nebegaunate.",
                               "en": "You no longer get e-mails in the category “{category}”."},
    "prefs_already_all": {"lt": "Laiškų nebegaunate.", "en": "You get no e-mails."},
    "prefs_done_unsubscribed": {"lt": "Atlikta: laiškų kategorijoje „{category}“ jums nebesiųsime.",
                                "en": "Done: we will send you no more e-mails in the category “{category}”."},
    "prefs_done_unsubscribed_all": {"lt": "Atlikta: laiškų jums nebesiųsime.",
                                    "en": "Done: we will send you no more e-mails."},
    "prefs_done_saved": {"lt": "Nustatymai išsaugoti.", "en": "Your preferences are saved."},
    "prefs_settings_heading": {"lt": "Ką ir kada gauti", "en": "What to get, and when"},
    "prefs_language_legend": {"lt": "Laiškų kalba", "en": "Language of your e-mails"},
    "prefs_categories_legend": {"lt": "Siųsti man laiškus apie", "en": "Send me e-mails about"},
    "prefs_categories_hint": {"lt": "Nepažymėję nieko, laiškų negausite.",
                              "en": "Tick none and you will get no e-mails."},
    "prefs_delivery_legend": {"lt": "Kada siųsti", "en": "When to send them"},
    "prefs_immediate": {"lt": "Iš karto", "en": "At once"},
    "prefs_daily_digest": {"lt": "Kartą per dieną, vienu laišku", "en": "Once a day, in one e-mail"},
    "prefs_digest_hour": {"lt": "Dienos laiško laikas (Lietuvos laiku)",
                          "en": "Time of the daily e-mail (Lithuanian time)"},
    "prefs_critical_note": {"lt": "Skubūs laiškai (atšaukti mokymai, pasiūlyta vieta) siunčiami iš karto.",
                            "en": "Urgent e-mails (a cancelled session, a seat offered to you) are sent at once."},
    "prefs_save": {"lt": "Išsaugoti", "en": "Save"},
    # The categories in words (the e-mails' `category`): never the raw code.
    "category_training": {"lt": "Mokymai ir registracija į juos", "en": "Training courses and your enrolments"},
    "category_certificates": {"lt": "Pažymėjimai", "en": "Certificates"},
    "category_call_alerts": {"lt": "Nauji finansavimo kvietimai", "en": "New funding calls"},
    "category_grants": {"lt": "Paraiškos finansavimui gauti", "en": "Grant applications"},
    "category_partners": {"lt": "Užsienio partnerių paieška", "en": "Finding foreign partners"},
    "category_all": {"lt": "Visi laiškai", "en": "All e-mails"},
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)

UNSUBSCRIBE_PATH = "/notifications/unsubscribe"
PREFERENCES_PATH = "/notifications/preferences"


class PreferencesPageQuery(Model):
    """The link's token, plus what the page itself adds: its language and the confirmation."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=500)
    lang: Literal["lt", "en"] | None = None
    done: Literal["unsubscribed", "saved"] | None = Field(default=None, description="the page after a change")


class PreferencesForm(Model):
    """The page's preferences form."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["lt", "en"]
    categories: list[Category] = Field(default_factory=list, max_length=len(CATEGORIES),
                                       description="the categories wanted (the boxes ticked)")
    delivery_mode: Literal["immediate", "daily_digest"]
    digest_hour: int = Field(ge=0, le=23)


def page_address(path: str, token: str, **more: str | None) -> str:
    return path + "?" + urlencode({"token": token, **{k: v for k, v in more.items() if v}})


def preferences_page(request, query: PreferencesPageQuery, view: PreferencesView):
    """The page, in the person's stored language unless ?lang= says otherwise."""
    language = query.lang or view.language
    return PAGES.render(request, "preferences.html.j2", {
        "view": view, "done": query.done,
        "unsubscribe_action": page_address(UNSUBSCRIBE_PATH, query.token, lang=language),
        "preferences_action": page_address(PREFERENCES_PATH, query.token, lang=language),
        "hours": range(24),
    }, stored_language=view.language)


def unsubscribed_page(query: PreferencesPageQuery):
    """Where a browser goes after the one-click button: the page again, with the confirmation."""
    return see_other(page_address(UNSUBSCRIBE_PATH, query.token, lang=query.lang, done="unsubscribed"))


class PreferencesPages:
    """The page's form route (the NotificationsService inherits it; the GET page and the
    one-click POST are the unsubscribe routes in service.py)."""

    @route("POST", PREFERENCES_PATH, public=True, html=True, query=PreferencesPageQuery,
           errors=(400, 404, 413, 415, 422))
    def save_preferences_form(self, request, query: PreferencesPageQuery):
        """The preferences form of the page behind the link: language, categories wanted, at once
        or a daily digest (a form post, answered 303 back to the page in the language chosen)."""
        form = read_form(request, PreferencesForm)
        language = unsubscribe.save_preferences(self.db, query.token, language=form.language,
                                                categories=list(form.categories), delivery_mode=form.delivery_mode,
                                                digest_hour=form.digest_hour, secret=self.settings.auth_secret)
        return see_other(page_address(UNSUBSCRIBE_PATH, query.token, lang=language, done="saved"))
