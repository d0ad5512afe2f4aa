"""The partner introduction page (issue 17): what someone reaches from the link in an introduction
e-mail — who they would be introduced to (organisation, country, who answers for it), why the
two were matched (the explained matching's components), and accept or decline as POST forms
answered 303 back to the page with a confirmation, in the person's stored language.

`GET /partners/answers?key=...` answers a browser with `answer_page` (`page_for_browsers`) and
other clients with the JSON preview, as before; the forms post to `POST /partners/answers/form` (the JSON route
`POST /partners/answers` keeps its JSON body). The key in the link is the only key: no login.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.partners.domain import matching
from services.partners.domain.rules import Side
from services.partners.repository import PartnersRepository, facts_from_row
from services.partners.schemas import KeyAnswerIn, KeyIn
from services.partners.usecases import introductions
from services.partners.usecases.introductions import ANSWER_PURPOSE
from services.partners.usecases.partner_requests import criteria
from shared.errors import NotFound
from shared.http import route
from shared.pages import Pages, page_language, read_form, see_other, wants_html
from shared.persistence.schema import utcnow
from shared.reference import THEMES

MESSAGES: dict[str, dict[str, str]] = {
    "intro_title": {"lt": "Pasiūlymas bendradarbiauti", "en": "A proposed partnership"},
    "intro_lead_requester": {"lt": "{municipality} ieško partnerio projektui „{title}“. Siūlome šią organizaciją:",
                             "en": "{municipality} is looking for a partner for the project “{title}”. "
                                   "We propose this organisation:"},
    "intro_lead_candidate": {"lt": "{municipality} (Lietuva) ieško partnerio projektui „{title}“ ir siūlo "
                                   "bendradarbiauti jūsų organizacijai.",
                             "en": "{municipality} (Lithuania) is looking for a partner for the project "
                                   "“{title}” and proposes to work with your organisation."},
    "intro_who": {"lt": "Kas", "en": "Who"},
    "intro_organisation": {"lt": "Organizacija", "en": "Organisation"},
    "intro_country": {"lt": "Šalis", "en": "Country"},
    "intro_type": {"lt": "Tipas", "en": "Type"},
    "intro_contact_role": {"lt": "Kas atsakys", "en": "Who answers"},
    "intro_role_organisation": {"lt": "Organizacijos kontaktinis asmuo", "en": "The organisation's contact person"},
    "intro_role_consultant": {"lt": "Centro konsultantas, padedantis savivaldybei rengti paraišką",
                              "en": "The centre's consultant helping the municipality with its application"},
    "intro_role_municipality": {"lt": "Savivaldybės projekto koordinatorius",
                                "en": "The municipality's project coordinator"},
    "intro_themes": {"lt": "Projekto temos", "en": "Project themes"},
    "intro_message": {"lt": "Centro žinutė", "en": "The centre's note"},
    "intro_answer_by": {"lt": "Atsakykite iki", "en": "Please answer by"},
    "intro_why": {"lt": "Kodėl pasiūlėme", "en": "Why we matched you"},
    "intro_why_intro": {"lt": "Atitiktis skaičiuojama taškais (iš viso {score} iš 100):",
                        "en": "The match is scored in points ({score} of 100 in all):"},
    "intro_component": {"lt": "Kriterijus", "en": "Criterion"},
    "intro_points": {"lt": "Taškai", "en": "Points"},
    "intro_of": {"lt": "iš", "en": "of"},
    "component_theme_overlap": {"lt": "Bendros temos", "en": "Shared themes"},
    "component_country_eligibility": {"lt": "Šalis tinka programai", "en": "Country fits the programme"},
    "component_organisation_type": {"lt": "Organizacijos tipas", "en": "Type of organisation"},
    "component_shared_language": {"lt": "Bendra darbo kalba", "en": "A shared working language"},
    "component_size_similarity": {"lt": "Panašus dydis", "en": "Similar size"},
    "component_free_capacity": {"lt": "Turi laisvų vietų naujiems projektams", "en": "Room for new projects"},
    "component_track_record": {"lt": "Ankstesnio bendradarbiavimo patirtis", "en": "Earlier cooperation"},
    "intro_privacy": {"lt": "Kontaktai bus perduoti tik abiem pusėms sutikus.",
                      "en": "Contact details are shared only once both sides agree."},
    "intro_your_answer": {"lt": "Jūsų atsakymas", "en": "Your answer"},
    "intro_accept": {"lt": "Sutinku susipažinti", "en": "Yes, introduce us"},
    "intro_decline": {"lt": "Ne, ačiū", "en": "No, thank you"},
    "intro_done_accepted": {"lt": "Ačiū! Jūsų sutikimas įrašytas.", "en": "Thank you! Your acceptance is recorded."},
    "intro_done_declined": {"lt": "Ačiū, jūsų atsisakymas įrašytas. Kitai pusei pranešime.",
                            "en": "Thank you, your answer is recorded. We will tell the other side."},
    "intro_status_pending_you": {"lt": "Laukiama jūsų atsakymo", "en": "Waiting for your answer"},
    "intro_status_pending_other": {"lt": "Jūs sutikote; laukiama kitos pusės atsakymo",
                                   "en": "You accepted; waiting for the other side"},
    "intro_status_established": {"lt": "Abi pusės sutiko: partnerystė užmegzta",
                                 "en": "Both sides agreed: the partnership is established"},
    "intro_status_declined": {"lt": "Susipažinimo atsisakyta", "en": "The introduction was declined"},
    "intro_status_expired": {"lt": "Atsakymo laikas baigėsi", "en": "The time to answer has passed"},
    "intro_other_contact": {"lt": "Kontaktinis asmuo", "en": "Contact person"},
    "intro_closed": {"lt": "Į šį pasiūlymą atsakyti nebegalima.", "en": "This introduction can no longer be answered."},
}

COUNTRIES = {  # the partner countries of the centre's programmes; other codes are shown as they are
    "LT": ("Lietuva", "Lithuania"), "NO": ("Norvegija", "Norway"), "IS": ("Islandija", "Iceland"),
    "LI": ("Lichtenšteinas", "Liechtenstein"), "LV": ("Latvija", "Latvia"), "EE": ("Estija", "Estonia"),
    "PL": ("Lenkija", "Poland"), "FI": ("Suomija", "Finland"), "SE": ("Švedija", "Sweden"),
    "DK": ("Danija", "Denmark"), "DE": ("Vokietija", "Germany"), "UA": ("Ukraina", "Ukraine"),
}
ORGANISATION_TYPE_NAMES = {
    "municipality": ("Savivaldybė", "Municipality"), "county_council": ("Apskrities taryba", "County council"),
    "university": ("Universitetas", "University"), "research_institute": ("Mokslinių tyrimų institutas",
                                                                          "Research institute"),
    "ngo": ("Nevyriausybinė organizacija", "Non-governmental organisation"), "association": ("Asociacija",
                                                                                            "Association"),
    "public_agency": ("Viešoji įstaiga", "Public agency"), "company": ("Įmonė", "Company"),
    "education_provider": ("Švietimo įstaiga", "Education provider"),
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)


def named(table: dict, code: str | None, language: str) -> str:
    names = table.get(code or "")
    return (code or "") if names is None else names[0 if language == "lt" else 1]


class AnswerPageQuery(KeyIn):
    """The answer link's key, plus what the page itself adds: its language and the confirmation."""

    lang: Literal["lt", "en"] | None = None
    done: Literal["accepted", "declined"] | None = Field(default=None, description="the page after an answer")


class AnswerForm(KeyAnswerIn):
    model_config = ConfigDict(extra="forbid")
    lang: Literal["lt", "en"] | None = None


def page_for_browsers(render):
    """A route whose body stays one call to its use case (the JSON answer) while a browser asking
    for HTML gets `render(self, request, query)`, the page, instead."""
    def decorate(method):
        @functools.wraps(method)
        def answer(self, request, query):
            if request is not None and wants_html(request):
                return render(self, request, query)
            return method(self, request, query)
        return answer
    return decorate


class PartnerPages:
    """Page routes of the partners service (the service class inherits them)."""

    def answer_page(self, request, query: AnswerPageQuery):
        """The introduction as the holder of the link sees it, in their stored language."""
        view = answer_view(self.db, query.key)
        language = page_language(request, view["stored_language"])
        return PAGES.render(request, "introduction.html.j2", {
            **view, "done": query.done, "key": query.key,
            "country_name": lambda code: named(COUNTRIES, code, language),
            "type_name": lambda code: named(ORGANISATION_TYPE_NAMES, code, language),
            "theme_name": lambda code: (THEMES[code].label_lt if language == "lt" else THEMES[code].label_en)
            if code in THEMES else code,
            "weights": matching.WEIGHTS,
        }, stored_language=view["stored_language"])

    @route("POST", "/partners/answers/form", public=True, html=True, errors=(404, 409, 413, 415, 422))
    def answer_by_form(self, request):
        """Accept or decline from the introduction page (a form: key, answer); answered 303 back to
        the page with a confirmation (Post/Redirect/Get)."""
        form = read_form(request, AnswerForm)
        introductions.answer_by_key(self.db, KeyAnswerIn(key=form.key, answer=form.answer))
        language = f"&lang={form.lang}" if form.lang else ""
        return see_other(f"/partners/answers?key={form.key}&done={form.answer}{language}")


def answer_view(uow, key: str) -> dict:
    """Everything the page shows: the preview (as the JSON gives it), the other side, who answers
    for it, the explained matching and the language the person chose."""
    preview = introductions.preview_by_key(uow, KeyIn(key=key))
    repository = PartnersRepository(uow.session)
    access = repository.access_key(key, ANSWER_PURPOSE, utcnow())
    if access is None:  # expired between the two reads
        raise NotFound("answer key", "given")
    introduction = repository.introduction(preview.introduction_id)
    partner_request = repository.partner_request(introduction.request_id)
    organisation = repository.organisation(introduction.organisation_id)
    side = Side(access.side)
    points = matching.components(criteria(uow, partner_request), facts_from_row(organisation))
    stored = partner_request.requester_language if side is Side.REQUESTER else organisation.contact_language
    return {
        "preview": preview, "side": side.value, "organisation": organisation,
        "requester_role": "intro_role_consultant" if partner_request.source == "grants" else "intro_role_municipality",
        "components": points, "score": round(sum(points.values()), 1),
        "stored_language": stored if stored in ("lt", "en") else None,
        "answerable": preview.status == "pending" and preview.your_answer is None,  # a side answers once
    }
