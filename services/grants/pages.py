"""The public catalogue of funding calls (issue 17): open and forecast calls for people without a
token (municipal staff reading a call alert, the public), in Lithuanian or English, filtered by
status, theme and source with a GET form, 20 a page. A JSON client (or ?format=json) gets the
same page of calls as JSON, so the page's "same as data" link is its API; the full catalogue API
is GET /grants/calls (with a token).

`GrantsPages` is a mixin of page routes the service class inherits.
"""

from __future__ import annotations

from datetime import date
from math import ceil
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from services.grants.schemas import CallOut, CallQuery
from services.grants.usecases import catalogue, local_today
from shared.events.types import check_themes
from shared.http import route
from shared.model import Model
from shared.pages import Pages, address_with, page_language, wants_html
from shared.reference import REGIONS, THEMES

PAGE_SIZE = 20
SOURCE_KINDS = ("eu_funds", "eea_norway_grants", "world_bank", "national", "small_grants", "other")

MESSAGES: dict[str, dict[str, str]] = {
    "catalogue_title": {"lt": "Finansavimo kvietimai", "en": "Funding calls"},
    "catalogue_intro": {"lt": "Atviri ir numatomi kvietimai savivaldybėms ir jų partneriams. Centro konsultantai "
                              "padeda parengti paraišką.",
                        "en": "Open and forthcoming calls for municipalities and their partners. The centre's "
                              "consultants help prepare an application."},
    "catalogue_filters": {"lt": "Atrinkti", "en": "Filter"},
    "catalogue_status": {"lt": "Būsena", "en": "Status"},
    "catalogue_status_open": {"lt": "Atviras", "en": "Open"},
    "catalogue_status_forecast": {"lt": "Numatomas", "en": "Forthcoming"},
    "catalogue_status_closed": {"lt": "Baigėsi", "en": "Closed"},
    "catalogue_theme": {"lt": "Tema", "en": "Theme"},
    "catalogue_source": {"lt": "Finansavimo šaltinis", "en": "Source of funding"},
    "catalogue_any": {"lt": "Bet kuri", "en": "Any"},
    "catalogue_show": {"lt": "Rodyti", "en": "Show"},
    "catalogue_count": {"lt": "Rasta kvietimų: {count}.", "en": "Calls found: {count}."},
    "catalogue_none": {"lt": "Pagal šiuos pasirinkimus kvietimų nėra.", "en": "No calls match these choices."},
    "catalogue_funder": {"lt": "Finansuotojas", "en": "Funder"},
    "catalogue_programme": {"lt": "Programa", "en": "Programme"},
    "catalogue_opens": {"lt": "Priimama nuo", "en": "Opens"},
    "catalogue_first_stage": {"lt": "Projekto idėjos iki", "en": "Concept notes by"},
    "catalogue_closes": {"lt": "Paraiškos iki", "en": "Applications by"},
    "catalogue_days_left": {"lt": "liko {days} d.", "en": "{days} days left"},
    "catalogue_last_day": {"lt": "paskutinė diena", "en": "last day"},
    "catalogue_grant": {"lt": "Finansavimas", "en": "Grant"},
    "catalogue_grant_range": {"lt": "{low}–{high} €", "en": "€{low}–{high}"},
    "catalogue_grant_up_to": {"lt": "iki {high} €", "en": "up to €{high}"},
    "catalogue_grant_from": {"lt": "nuo {low} €", "en": "from €{low}"},
    "catalogue_rate": {"lt": "iki {rate} % tinkamų išlaidų", "en": "up to {rate}% of eligible cost"},
    "catalogue_themes": {"lt": "Temos", "en": "Themes"},
    "catalogue_where": {"lt": "Kam", "en": "For"},
    "catalogue_all_lithuania": {"lt": "Visa Lietuva", "en": "All of Lithuania"},
    "catalogue_partner_required": {"lt": "Reikia užsienio partnerio", "en": "A foreign partner is required"},
    "catalogue_partner_countries": {"lt": "Partnerių šalys: {countries}", "en": "Partner countries: {countries}"},
    "catalogue_call_page": {"lt": "Kvietimo puslapis", "en": "The call's page"},
    "catalogue_source_eu_funds": {"lt": "ES fondai", "en": "EU funds"},
    "catalogue_source_eea_norway_grants": {"lt": "EEE ir Norvegijos finansinės priemonės",
                                           "en": "EEA and Norway Grants"},
    "catalogue_source_world_bank": {"lt": "Pasaulio bankas", "en": "World Bank"},
    "catalogue_source_national": {"lt": "Nacionalinės programos", "en": "National programmes"},
    "catalogue_source_small_grants": {"lt": "Mažosios paramos programos", "en": "Small grants"},
    "catalogue_source_other": {"lt": "Kita", "en": "Other"},
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)


class CallCatalogueQuery(Model):
    model_config = ConfigDict(extra="forbid")

    status: list[Literal["open", "forecast"]] = Field(default_factory=list, max_length=2,
                                                       description="default: open and forecast")
    theme: str | None = Field(default=None, max_length=40, description="a theme code; empty = any")
    source_kind: Literal[SOURCE_KINDS] | Literal[""] | None = None  # type: ignore[valid-type]
    page: int = Field(default=1, ge=1, le=1000)
    lang: Literal["lt", "en"] | None = None
    format: Literal["json"] | None = Field(default=None, description="json: the data, also for a browser")

    # The form's "any" choice sends an empty value.
    _theme = field_validator("theme")(lambda v: check_themes(v) if v else None)


class CallCatalogueOut(Model):
    page: int
    pages: int
    total: int
    calls: list[CallOut]


def call_catalogue(uow, query: CallCatalogueQuery) -> CallCatalogueOut:
    """Open and forecast calls (or the statuses asked), the soonest deadline first."""
    calls = catalogue.list_calls(uow, CallQuery(status=query.status or ["open", "forecast"], theme=query.theme))
    if query.source_kind:
        calls = [c for c in calls if c.source_kind == query.source_kind]
    pages = max(1, ceil(len(calls) / PAGE_SIZE))
    page = min(query.page, pages)
    return CallCatalogueOut(page=page, pages=pages, total=len(calls),
                            calls=calls[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])


def euros(amount) -> str:
    """1 234 567 (a thin no-break space between thousands, both languages)."""
    return f"{int(amount):,}".replace(",", "\u202f")


class GrantsPages:
    """Page routes of the grants service (the service class inherits them)."""

    @route("GET", "/grants/catalogue", public=True, html=True, query=CallCatalogueQuery,
           response=CallCatalogueOut)
    def call_catalogue_page(self, request, query: CallCatalogueQuery):
        """Open and forecast funding calls, soonest deadline first, by status, theme and source, 20 a
        page: a page for browsers, the same as JSON for other clients (no token needed)."""
        result = call_catalogue(self.db, query)
        if query.format == "json" or not wants_html(request):
            return result
        language = page_language(request)
        today = local_today()

        def label(table, code):
            item = table.get(code)
            if item is None:
                return code
            if table is THEMES:
                return item.label_lt if language == "lt" else item.label_en
            return item.name_lt if language == "lt" else item.name_en

        return PAGES.render(request, "catalogue_calls.html.j2", {
            "result": result, "query": query, "today": today, "euros": euros,
            "days_left": lambda closes: (closes - today).days if isinstance(closes, date) else None,
            "theme_name": lambda code: label(THEMES, code), "region_name": lambda code: label(REGIONS, code),
            "themes": sorted(THEMES, key=lambda code: label(THEMES, code)), "sources": SOURCE_KINDS,
            "statuses": query.status or [],
            "page_url": lambda n: address_with(request, page=str(n)),
            "api_url": address_with(request, lang=None, format="json"),
        })
