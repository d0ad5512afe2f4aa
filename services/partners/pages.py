"""The partners service's pages (issue 17), for people who hold no token, each reached by a key link.

The partner introduction page: what someone reaches from the link in an introduction
e-mail — who they would be introduced to (organisation, country, who answers for it), why the
two were matched (the explained matching's components), and accept or decline as POST forms
answered 303 back to the page with a confirmation, in the person's stored language.

`GET /partners/answers?key=...` answers a browser with `answer_page` (`page_for_browsers`) and
other clients with the JSON preview, as before; the forms post to `POST /partners/answers/form` (the JSON route
`POST /partners/answers` keeps its JSON body). The key in the link is the only key: no login.

The requester's choice page: what the link in the proposal e-mail (partners.matches_proposed, to the
requester) and in the lapsed-introduction e-mail (partners.introduction_expired, to the coordinator)
opens — what the project seeks, the ranked candidates with why each fits (the explained matching),
the introductions so far, a form per candidate to ask for an introduction and one to propose again.
`GET /partners/choices?key=...` answers a browser with `choice_page` and other clients with
`ChoiceOut` (JSON); the forms post to `POST /partners/choices/introductions` and
`POST /partners/choices/proposals`, answered 303 back to the page (usecases/choices.py).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.partners.domain import matching
from services.partners.domain.rules import Side
from services.partners.repository import PartnersRepository, facts_from_row
from services.partners.schemas import ChoiceIntroductionIn, KeyAnswerIn, KeyIn
from services.partners.usecases import choices, introductions
from services.partners.usecases.introductions import ANSWER_PURPOSE
from services.partners.usecases.partner_requests import criteria
from shared.errors import Conflict, NotFound
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
    # the requester's choice page
    "choice_title": {"lt": "Pasirinkite partnerį", "en": "Choose a partner"},
    "choice_lead": {"lt": "{municipality} ieško partnerio projektui „{title}“. Žemiau – tinkamiausi kandidatai ir "
                          "kodėl jie tinka. Pasirinkite, su kuriuo norite susipažinti.",
                    "en": "{municipality} is looking for a partner for the project “{title}”. Below are the best "
                          "candidates and why each fits. Choose the one you would like to be introduced to."},
    "choice_status_open": {"lt": "Partnerio ieškoma", "en": "Looking for a partner"},
    "choice_status_partnered": {"lt": "Partneris rastas", "en": "A partner has been found"},
    "choice_done_introduced": {"lt": "Prašymas susipažinti išsiųstas. Kandidatą paklausėme; kai atsakys, parašysime "
                                     "jums el. paštu. Kontaktais pasidalinsime, kai jis sutiks.",
                               "en": "Your request for an introduction is sent. We have asked the candidate and will "
                                     "write to you when they answer; contact details are shared once they agree."},
    "choice_done_proposed": {"lt": "Kandidatus surikiavome iš naujo; naują pasiūlymą išsiuntėme el. paštu.",
                             "en": "The candidates were ranked again; the new proposal is sent by e-mail."},
    "choice_seeks": {"lt": "Ko ieško projektas", "en": "What the project seeks"},
    "choice_themes": {"lt": "Temos", "en": "Themes"},
    "choice_countries": {"lt": "Šalys", "en": "Countries"},
    "choice_types": {"lt": "Organizacijų tipai", "en": "Types of organisation"},
    "choice_languages": {"lt": "Darbo kalbos", "en": "Working languages"},
    "choice_any": {"lt": "bet kokios", "en": "any"},
    "choice_deadline": {"lt": "Partnerystę sutarti iki", "en": "Partnership to be agreed by"},
    "choice_call": {"lt": "Kvietimas", "en": "Call"},
    "choice_candidates": {"lt": "Kandidatai", "en": "Candidates"},
    "choice_candidates_intro": {"lt": "Surikiuota pagal atitiktį (iš 100 taškų). Pasirinkus kandidatą, tai laikoma "
                                      "jūsų sutikimu; kandidatą paklausime, ir kontaktais pasidalinsime, kai jis "
                                      "sutiks.",
                                "en": "Ranked by fit (out of 100 points). Choosing a candidate counts as your "
                                      "agreement; we ask the candidate and share contact details once they agree."},
    "choice_rank": {"lt": "Vieta reitinge", "en": "Place in the ranking"},
    "choice_fit": {"lt": "Atitiktis", "en": "Fit"},
    "choice_points_of_100": {"lt": "{score} iš 100", "en": "{score} of 100"},
    "choice_why": {"lt": "Kodėl tinka: {name}", "en": "Why it fits: {name}"},
    "choice_ask": {"lt": "Prašyti susipažinti su {name}", "en": "Ask for an introduction to {name}"},
    "choice_none": {"lt": "Šiuo metu nė viena organizacija neatitinka visų sąlygų.",
                    "en": "No organisation meets every condition right now."},
    "choice_excluded": {"lt": "Neįtrauktos organizacijos pagal priežastį", "en": "Organisations left out, by reason"},
    "reason_no_shared_theme": {"lt": "nėra bendrų temų", "en": "no shared theme"},
    "reason_ineligible_country": {"lt": "šalis netinka", "en": "country not eligible"},
    "reason_full_capacity": {"lt": "neturi laisvų vietų", "en": "no room for new projects"},
    "reason_profile_expired": {"lt": "profilis nebegalioja", "en": "profile expired"},
    "reason_requester_itself": {"lt": "pati savivaldybė", "en": "the municipality itself"},
    "reason_declined": {"lt": "atsisakė", "en": "declined"},
    "reason_already_introduced": {"lt": "jau pasiūlyta", "en": "already introduced"},
    "choice_introductions": {"lt": "Jau pasiūlyti susipažinti", "en": "Introductions so far"},
    "choice_introductions_none": {"lt": "Dar nė su vienu kandidatu nesusipažindinta.",
                                  "en": "No candidate has been introduced yet."},
    "choice_answer_by": {"lt": "Atsakyti iki", "en": "Answer by"},
    "choice_state": {"lt": "Būsena", "en": "Status"},
    "choice_state_pending": {"lt": "Laukiama atsakymo", "en": "Waiting for an answer"},
    "choice_state_established": {"lt": "Partnerystė užmegzta", "en": "Partnership established"},
    "choice_state_declined": {"lt": "Atsisakyta", "en": "Declined"},
    "choice_state_expired": {"lt": "Laiku neatsakyta", "en": "Not answered in time"},
    "choice_again": {"lt": "Netinka nė vienas?", "en": "None of them fits?"},
    "choice_again_intro": {"lt": "Surikiuosime iš naujo (pvz., atsiradus naujų profilių) ir atsiųsime naują "
                                 "pasiūlymą el. paštu. Atsisakę ir jau pasiūlyti kandidatai nebus siūlomi.",
                           "en": "We rank again (e.g. after new profiles were added) and send a new proposal by "
                                 "e-mail. Candidates who declined or were already introduced stay out."},
    "choice_propose": {"lt": "Siūlyti iš naujo", "en": "Propose again"},
    "choice_refused": {"lt": "{name} dabar pasiūlyti negalima: {reason}. Žemiau – kandidatai ir susipažinimai, "
                             "kokie jie yra dabar.",
                       "en": "{name} cannot be introduced now: {reason}. Below are the candidates and "
                             "introductions as they are now."},
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


LANGUAGE_NAMES = {
    "en": ("anglų", "English"), "lt": ("lietuvių", "Lithuanian"), "no": ("norvegų", "Norwegian"),
    "is": ("islandų", "Icelandic"), "de": ("vokiečių", "German"), "pl": ("lenkų", "Polish"),
    "lv": ("latvių", "Latvian"), "et": ("estų", "Estonian"), "fi": ("suomių", "Finnish"),
    "sv": ("švedų", "Swedish"), "da": ("danų", "Danish"), "uk": ("ukrainiečių", "Ukrainian"),
}


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


class ChoicePageQuery(KeyIn):
    """The choice link's key, plus what the page itself adds: its language and the confirmation."""

    lang: Literal["lt", "en"] | None = None
    done: Literal["introduced", "proposed"] | None = Field(default=None, description="the page after a form")


class ChoiceIntroductionForm(ChoiceIntroductionIn):
    model_config = ConfigDict(extra="forbid")
    lang: Literal["lt", "en"] | None = None


class ChoiceProposalForm(KeyIn):
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
        introductions.answer_by_key(self.db, KeyAnswerIn(key=form.key, answer=form.answer),
                                    public_url=self.settings.public_url)
        language = f"&lang={form.lang}" if form.lang else ""
        return see_other(f"/partners/answers?key={form.key}&done={form.answer}{language}")

    def choice_page(self, request, query: ChoicePageQuery, *, refused: dict | None = None, status: int = 200):
        """The request, its ranked and explained candidates and its introductions, in the requester's
        stored language (a coordinator's link: the browser's). `refused`: the candidate just asked
        for that a hard rule now excludes, shown with the reason (answered with `status` 409)."""
        view = choices.view_by_key(self.db, self.profiles, query)
        stored = choices.stored_language(self.db, query.key)
        language = page_language(request, stored)
        return PAGES.render(request, "choice.html.j2", {
            "view": view, "done": query.done, "key": query.key, "refused": refused,
            "reasons": {key for key in MESSAGES if key.startswith("reason_")},
            "country_name": lambda code: named(COUNTRIES, code, language),
            "type_name": lambda code: named(ORGANISATION_TYPE_NAMES, code, language),
            "language_name": lambda code: named(LANGUAGE_NAMES, code, language),
            "theme_name": lambda code: (THEMES[code].label_lt if language == "lt" else THEMES[code].label_en)
            if code in THEMES else code,
        }, stored_language=stored if stored in ("lt", "en") else None, status=status)

    @route("POST", "/partners/choices/introductions", public=True, html=True, errors=(404, 409, 413, 415, 422))
    def introduce_by_form(self, request):
        """Ask for an introduction to a candidate from the choice page (a form: key, organisation_id):
        the requesting side's acceptance; the candidate is asked (partners.introduction_sent).
        Answered 303 back to the page with a confirmation; 409 for a candidate now excluded."""
        form = read_form(request, ChoiceIntroductionForm)
        try:
            choices.introduce_by_key(self.db, ChoiceIntroductionIn(key=form.key, organisation_id=form.organisation_id),
                                     public_url=self.settings.public_url)
        except Conflict as conflict:
            if not wants_html(request):
                raise  # problem+json naming organisation_id and the reason
            # A person (a second click, an old tab) sees the page as it is now, saying why: 409.
            self.db.rollback()
            name = PartnersRepository(self.db.session).organisation(form.organisation_id).name
            return self.choice_page(request, ChoicePageQuery(key=form.key, lang=form.lang),
                                    refused={"name": name, "reason": conflict.code}, status=409)
        return see_other(choice_address(form.key, "introduced", form.lang))

    @route("POST", "/partners/choices/proposals", public=True, html=True, errors=(404, 413, 415, 422))
    def propose_by_form(self, request):
        """Rank again and send a new proposal (partners.matches_proposed) from the choice page (a
        form: key); answered 303 back to the page with a confirmation."""
        form = read_form(request, ChoiceProposalForm)
        choices.propose_by_key(self.db, self.profiles, KeyIn(key=form.key), public_url=self.settings.public_url)
        return see_other(choice_address(form.key, "proposed", form.lang))


def choice_address(key: str, done: str, language: str | None) -> str:
    return f"/partners/choices?key={key}&done={done}" + (f"&lang={language}" if language else "")


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
