"""Public pages of the enrollment service for people without a token (issue 17): the certificate
verification page (the link printed on every certificate and sent in the certificate e-mails) and
the catalogue of upcoming sessions with the seats left.

`PublicPages` is a mixin of page routes the service class inherits; the JSON answers stay where
they were (`GET /enrollment/certificates/verify` answers a browser with `certificate_page`, other
clients with JSON). The catalogue page answers JSON clients with the same sessions as JSON (public
data only: no participant), so the page's "same as data" link is its JSON API.
"""

from __future__ import annotations

from math import ceil
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import (SessionOut, SessionQuery, VerificationOut, VerifyQuery, check_region,
                                         check_theme)
from services.enrollment.usecases import catalogue, certificates
from shared.errors import NotFound
from shared.http import route
from shared.model import Model
from shared.pages import (Pages, address_with, day, hours_text, local, page_language, region_name, theme_name,
                          wants_html)
from shared.persistence.schema import utcnow
from shared.reference import REGIONS, THEMES

PAGE_SIZE = 20

MESSAGES: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- certificate verification
    "certificate_title": {"lt": "Pažymėjimo patikra", "en": "Certificate verification"},
    "certificate_intro": {"lt": "Įveskite pažymėjimo numerį ir patikros kodą, kaip jie išspausdinti pažymėjime.",
                          "en": "Enter the certificate's number and verification code as printed on it."},
    "certificate_number": {"lt": "Pažymėjimo numeris", "en": "Certificate number"},
    "certificate_number_hint": {"lt": "Pvz., LSA-2026-000123", "en": "For example LSA-2026-000123"},
    "certificate_code": {"lt": "Patikros kodas", "en": "Verification code"},
    "certificate_code_hint": {"lt": "Grupės po 4 ženklus; brūkšneliai ir raidžių dydis nesvarbūs.",
                              "en": "Groups of 4 characters; dashes and letter case do not matter."},
    "certificate_check": {"lt": "Tikrinti", "en": "Check"},
    "certificate_check_another": {"lt": "Tikrinti kitą pažymėjimą", "en": "Check another certificate"},
    "certificate_not_found": {"lt": "Tokio pažymėjimo nėra: numeris ir kodas nesutampa. Patikrinkite, ar "
                                    "įvedėte juos tiksliai taip, kaip išspausdinta.",
                              "en": "No such certificate: the number and the code do not match. Check that you "
                                    "entered them exactly as printed."},
    "certificate_status_valid": {"lt": "Galioja", "en": "Valid"},
    "certificate_status_expired": {"lt": "Nebegalioja", "en": "Expired"},
    "certificate_status_revoked": {"lt": "Atšauktas", "en": "Revoked"},
    "certificate_why_valid": {"lt": "Pažymėjimas tikras ir galioja.", "en": "The certificate is genuine and valid."},
    "certificate_why_valid_until": {"lt": "Pažymėjimas tikras ir galioja iki {date}.",
                                    "en": "The certificate is genuine and valid until {date}."},
    "certificate_why_expired": {"lt": "Pažymėjimas tikras, bet jo galiojimas baigėsi {date}.",
                                "en": "The certificate is genuine, but it expired on {date}."},
    "certificate_why_revoked": {"lt": "Pažymėjimą centras atšaukė (pvz., pataisius lankomumo duomenis); "
                                      "jis negalioja.",
                                "en": "The centre revoked this certificate (for example after attendance was "
                                      "corrected); it is not valid."},
    "certificate_holder": {"lt": "Kam išduotas", "en": "Issued to"},
    "certificate_course": {"lt": "Mokymai", "en": "Course"},
    "certificate_themes": {"lt": "Temos", "en": "Themes"},
    "certificate_hours": {"lt": "Valandos", "en": "Hours"},
    "certificate_hours_value": {"lt": "{hours} akad. val.", "en": "{hours} h"},
    "certificate_held": {"lt": "Mokymų data", "en": "Held"},
    "certificate_completed_in": {"lt": "Baigta sistemoje", "en": "Completed in"},
    "certificate_issued": {"lt": "Išduotas", "en": "Issued"},
    "certificate_valid_until": {"lt": "Galioja iki", "en": "Valid until"},
    "certificate_no_expiry": {"lt": "Neterminuotas", "en": "No expiry"},
    "certificate_status": {"lt": "Būsena", "en": "Status"},
    "certificate_print": {"lt": "Šį puslapį galima atsispausdinti: spausdinant paliekamas tik patikros "
                                "rezultatas.",
                          "en": "You can print this page: only the verification result is printed."},
    "certificate_checked_at": {"lt": "Patikrinta {moment}", "en": "Checked {moment}"},
    # ---------------------------------------------------------------- the session catalogue
    "catalogue_title": {"lt": "Artimiausi mokymai", "en": "Upcoming training sessions"},
    "catalogue_intro": {"lt": "Suplanuoti mokymai ir kiek vietų liko. Registruoja jūsų savivaldybės "
                              "koordinatorius.",
                        "en": "Scheduled sessions and the seats left. Your municipality's coordinator enrols you."},
    "catalogue_filters": {"lt": "Atrinkti", "en": "Filter"},
    "catalogue_theme": {"lt": "Tema", "en": "Theme"},
    "catalogue_region": {"lt": "Apskritis", "en": "County"},
    "catalogue_any": {"lt": "Bet kuri", "en": "Any"},
    "catalogue_with_seats": {"lt": "Tik su laisvomis vietomis", "en": "Only with free seats"},
    "catalogue_show": {"lt": "Rodyti", "en": "Show"},
    "catalogue_none": {"lt": "Pagal šiuos pasirinkimus artimiausių mokymų nėra.",
                       "en": "No upcoming sessions match these choices."},
    "catalogue_count": {"lt": "Rasta mokymų: {count}.", "en": "Sessions found: {count}."},
    "catalogue_when": {"lt": "Kada", "en": "When"},
    "catalogue_where": {"lt": "Kur", "en": "Where"},
    "catalogue_online": {"lt": "Nuotoliu", "en": "Online"},
    "catalogue_seats": {"lt": "Laisvos vietos", "en": "Seats left"},
    "catalogue_seats_value": {"lt": "{left} iš {capacity}", "en": "{left} of {capacity}"},
    "catalogue_full": {"lt": "Vietų nebėra (laukiančiųjų: {waiting})", "en": "Full ({waiting} waiting)"},
    "catalogue_mode_in_person": {"lt": "salėje", "en": "in person"},
    "catalogue_mode_online": {"lt": "nuotoliu", "en": "online"},
    "catalogue_themes_label": {"lt": "Temos", "en": "Themes"},
    "catalogue_fee": {"lt": "Kaina", "en": "Fee"},
    "catalogue_free": {"lt": "Nemokamai", "en": "Free of charge"},
    "catalogue_registration_closes": {"lt": "Registracija iki {moment}", "en": "Registration until {moment}"},
    "catalogue_registration_not_open": {"lt": "Registracija prasidės {moment}", "en": "Registration opens {moment}"},
    "catalogue_registration_closed": {"lt": "Registracija baigta", "en": "Registration closed"},
    "catalogue_calendar": {"lt": "Įtraukti į kalendorių", "en": "Add to calendar"},
}

PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)


# ---------------------------------------------------------------- queries of the pages

class PageQuery(Model):
    model_config = ConfigDict(extra="forbid")
    lang: Literal["lt", "en"] | None = None


class CatalogueQuery(PageQuery):
    theme: str | None = Field(default=None, max_length=40, description="a theme code; empty = any")
    region: str | None = Field(default=None, max_length=2, description="a county code; empty = any")
    with_seats: bool = False
    page: int = Field(default=1, ge=1, le=1000)
    format: Literal["json"] | None = Field(default=None, description="json: the data, also for a browser")

    # The form's "any" choice sends an empty value.
    _theme = field_validator("theme")(lambda v: check_theme(v) if v else None)
    _region = field_validator("region")(lambda v: check_region(v) if v else None)


class CataloguePageOut(Model):
    """One page of the public catalogue: upcoming scheduled sessions in start order."""

    page: int
    pages: int
    total: int
    sessions: list[SessionOut]


def catalogue_page(uow, links, query: CatalogueQuery) -> CataloguePageOut:
    sessions = catalogue.find_sessions(uow, links, SessionQuery(status="scheduled", starts_from=utcnow(),
                                                                 theme=query.theme or None,
                                                                 region=query.region or None))
    if query.with_seats:
        sessions = [s for s in sessions if s.seats_left > 0]
    pages = max(1, ceil(len(sessions) / PAGE_SIZE))
    page = min(query.page, pages)
    return CataloguePageOut(page=page, pages=pages, total=len(sessions),
                            sessions=sessions[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])


def certificate_themes(uow, verification: VerificationOut, number: str) -> list[str]:
    """The course's themes (a certificate of learning done elsewhere names none)."""
    repo = EnrollmentRepository.of(uow)
    certificate = repo.certificate_by_number(number)
    if certificate is None or certificate.session_id is None:
        return []
    return list(repo.course(repo.training_session(certificate.session_id).course_id).themes)


class PublicPages:
    """Page routes of the enrollment service's public pages (the service class inherits them)."""

    @route("GET", "/enrollment/certificates/check", public=True, html=True, query=PageQuery,
           content_types=("text/html",))
    def certificate_form(self, request, query: PageQuery):
        """The certificate verification form (a page; it sends the number and code to
        /enrollment/certificates/verify)."""
        return PAGES.render(request, "certificate_verify.html.j2", self._certificate_context(request, None, None))

    def certificate_page(self, request, query: VerifyQuery):
        """The answer of GET /enrollment/certificates/verify for a browser: the certificate, whether
        it is valid and why, with the form to check another (404 with the form when nothing matches)."""
        try:
            verification = certificates.verify_certificate(self.db, query)
        except NotFound:
            return PAGES.render(request, "certificate_verify.html.j2",
                                self._certificate_context(request, None, query, not_found=True), status=404)
        themes = certificate_themes(self.db, verification, verification.number)
        return PAGES.render(request, "certificate_verify.html.j2",
                            self._certificate_context(request, verification, query, themes=themes))

    def _certificate_context(self, request, verification, query, *, not_found=False, themes=()):
        language = page_language(request)
        return {"certificate": verification, "query": query, "not_found": not_found,
                "themes": [theme_name(code, language) for code in themes], "local": local, "day": day,
                "hours_text": hours_text, "checked_at": local(utcnow()),
                "check_url": "/enrollment/certificates/verify"}

    @route("GET", "/enrollment/catalogue", public=True, html=True, query=CatalogueQuery,
           response=CataloguePageOut)
    def session_catalogue(self, request, query: CatalogueQuery):
        """Upcoming sessions with the seats left, by theme and county, 20 a page: a page for
        browsers, the same as JSON for other clients (no token needed; it holds no personal data)."""
        result = catalogue_page(self.db, self.links, query)
        if query.format == "json" or not wants_html(request):
            return result
        language = page_language(request)
        courses = EnrollmentRepository.of(self.db).courses_by_id(s.course_id for s in result.sessions)
        return PAGES.render(request, "catalogue_sessions.html.j2", {
            "result": result, "query": query, "local": local, "now": utcnow(),
            "theme_name": lambda code: theme_name(code, language),
            "region_name": lambda code: region_name(code, language),
            "themes": sorted(THEMES, key=lambda code: theme_name(code, language)),
            "regions": sorted(REGIONS, key=lambda code: region_name(code, language)),
            "page_url": lambda n: address_with(request, page=str(n)),
            "session_themes": {course_id: list(course.themes) for course_id, course in courses.items()},
            "api_url": address_with(request, lang=None, format="json"),
        })
