"""Server-rendered pages for the people who hold no token: participants, partner contacts and
subscribers reach them from the links in their e-mails.

A page is a public route declared with `html=True` that returns `pages.render(...)` when the
browser asks for HTML (`wants_html`) and the route's JSON otherwise, so API clients see no change.
Pages work without JavaScript: every change is a POST form (a link fetched by a mail scanner
changes nothing) answered with 303 to the page again (`see_other`).

    PAGES = Pages(Path(__file__).parent / "pages", MESSAGES)   # services/<svc>/pages/*.html.j2

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>", public=True, html=True, ...)
    def self_service(self, request, enrollment_id, code):
        view = ...
        if wants_html(request):
            return PAGES.render(request, "enrolment.html.j2", {"view": view}, stored_language=view.language)
        return view

Language: `?lang=lt|en` first (the switch on every page), then the person's stored language,
then Accept-Language, then Lithuanian. Texts come from message catalogues: `t("key")` in a
template looks the key up in the service's catalogue and the shared one below; a key missing in
either language fails the render (StrictUndefined), and tests/unit/test_pages.py checks every
catalogue has both languages.

Errors raised by an `html=True` route reach a browser as an HTML page in its language
(`problem_page`), with the same status; JSON clients still get problem+json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Request, Response

from shared.errors import Problem, validation_problem
from shared.reference import REGIONS, THEMES

LANGUAGES = ("lt", "en")
DEFAULT_LANGUAGE = "lt"
SHARED_TEMPLATES = Path(__file__).parent / "templates" / "pages"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 16 * 1024
LOCAL_TIME = ZoneInfo("Europe/Vilnius")  # the people these pages serve read Lithuanian time

# The codes in page addresses are the only key a person holds: no referrer leaks them to a
# linked site, nothing is cached on a shared computer, nothing loads from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

SHARED_MESSAGES: dict[str, dict[str, str]] = {
    "site_name": {"lt": "Savivaldybių mokymo ir konsultavimo centras",
                  "en": "Municipal training and consulting centre"},
    "skip_to_content": {"lt": "Pereiti prie turinio", "en": "Skip to content"},
    "language": {"lt": "Kalba", "en": "Language"},
    "language_lt": {"lt": "Lietuvių", "en": "Lietuvių (Lithuanian)"},
    "language_en": {"lt": "English (anglų)", "en": "English"},
    "json_version": {"lt": "Tas pats duomenų formatu (JSON)", "en": "The same as data (JSON)"},
    "error_title": {"lt": "Nepavyko", "en": "Something went wrong"},
    "error_404": {"lt": "Tokio puslapio nėra arba nuoroda nebegalioja.",
                  "en": "There is no such page, or the link is no longer valid."},
    "error_409": {"lt": "To padaryti dabar negalima.", "en": "This cannot be done now."},
    "error_422": {"lt": "Patikrinkite, ką įvedėte.", "en": "Please check what you entered."},
    "error_429": {"lt": "Per daug užklausų. Pabandykite po minutės.",
                  "en": "Too many requests. Please try again in a minute."},
    "error_503": {"lt": "Sistema trumpam nepasiekiama. Pabandykite po kelių sekundžių.",
                  "en": "The system is briefly unavailable. Please try again in a few seconds."},
    "error_other": {"lt": "Įvyko klaida. Jei kartosis, parašykite mums ir nurodykite šį kodą:",
                    "en": "An error occurred. If it happens again, write to us and quote this code:"},
    "back": {"lt": "Grįžti", "en": "Back"},
    "correlation_id": {"lt": "Užklausos kodas", "en": "Request code"},
    # a public catalogue's paging and its way to the same list as data (every catalogue page)
    "catalogue_pages": {"lt": "Puslapiai", "en": "Pages"},
    "catalogue_page_of": {"lt": "Puslapis {page} iš {pages}", "en": "Page {page} of {pages}"},
    "catalogue_previous": {"lt": "Ankstesni", "en": "Previous"},
    "catalogue_next": {"lt": "Tolesni", "en": "Next"},
    "catalogue_api": {"lt": "Šis sąrašas duomenų formatu (JSON)", "en": "This list as data (JSON)"},
    "catalogue_api_docs": {"lt": "API aprašas (OpenAPI)", "en": "API description (OpenAPI)"},
}


def local(moment: datetime | None) -> str:
    """A moment as people in Lithuania read it: local date and time, 24-hour clock."""
    return "" if moment is None else moment.astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LOCAL_TIME).date()
    return moment.isoformat()


def hours_text(hours: Decimal) -> str:
    """Hours without trailing zeros (4, 1.5), as a certificate or a session page shows them."""
    return format(hours.normalize(), "f") if isinstance(hours, Decimal) else str(hours)


def theme_name(code: str, language: str) -> str:
    theme = THEMES.get(code)
    return code if theme is None else (theme.label_lt if language == "lt" else theme.label_en)


def region_name(code: str | None, language: str) -> str:
    region = REGIONS.get(code or "")
    return "" if region is None else (region.name_lt if language == "lt" else region.name_en)


def wants_html(request: Request) -> bool:
    """A browser's Accept header prefers text/html; API clients (no Accept, */*, JSON) get JSON."""
    accept = request.accept_mimetypes
    if not accept or accept.best == "*/*":
        return False
    return accept.best_match(["application/json", "text/html"]) == "text/html" and \
        accept.quality("text/html") > accept.quality("application/json")


def page_language(request: Request, stored: str | None = None) -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    if stored in LANGUAGES:
        return stored
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def address_with(request: Request, **changes: str | None) -> str:
    """This page's path and query with some parameters changed (None removes one)."""
    query = dict(request.args.items(multi=False))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return request.path + ("?" + urlencode(query) if query else "")


def see_other(location: str) -> Response:
    """The answer to a page's POST: the browser fetches the page again (Post/Redirect/Get)."""
    return Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def read_form(request: Request, model: type[BaseModel], *, max_bytes: int = MAX_FORM_BYTES) -> BaseModel:
    """A page's POST form, bounded and validated like a JSON body (422 names the field)."""
    content_type = (request.mimetype or "").lower()
    if content_type != FORM_TYPE:
        raise Problem(415, "Unsupported media type", f"send the form as {FORM_TYPE}", code="unsupported_media_type")
    length = request.content_length
    if length is not None and length > max_bytes:
        raise Problem(413, "Payload too large", f"a form is at most {max_bytes} bytes", code="payload_too_large")
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Problem(413, "Payload too large", f"a form is at most {max_bytes} bytes", code="payload_too_large")
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "Malformed form", "the form could not be read", code="malformed") from None
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key in fields:  # a repeated field (checkboxes) becomes a list
            previous = fields[key]
            fields[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            fields[key] = value
    for name, field in model.model_fields.items():
        if name not in fields and _is_list(field.annotation):
            fields[name] = []  # no box ticked: the browser sends nothing
        elif name in fields and _is_list(field.annotation) and not isinstance(fields[name], list):
            fields[name] = [fields[name]]
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise validation_problem(error, "form") from None


def _is_list(annotation) -> bool:
    from typing import get_origin

    return get_origin(annotation) in (list, tuple, set, frozenset) or annotation in (list, tuple, set)


@dataclass
class Catalogue:
    messages: Mapping[str, Mapping[str, str]]

    def text(self, language: str, key: str, **values: Any) -> str:
        entry = self.messages.get(key)
        if entry is None or language not in entry:
            raise KeyError(f"no {language} text for {key!r}")
        text = entry[language]
        return text.format(**values) if values else text

    def missing(self) -> list[str]:
        return sorted(f"{key}:{lang}" for key, entry in self.messages.items() for lang in LANGUAGES
                      if not entry.get(lang))


SHARED_CATALOGUE = Catalogue(SHARED_MESSAGES)


class Pages:
    """One service's page templates (its `pages/` folder, over the shared base) and texts."""

    def __init__(self, template_dir: Path, messages: Mapping[str, Mapping[str, str]]):
        self.catalogue = Catalogue({**SHARED_MESSAGES, **messages})
        self.environment = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(template_dir)), FileSystemLoader(str(SHARED_TEMPLATES))]),
            autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        )

    def render_text(self, request: Request, template: str, context: Mapping[str, Any], language: str) -> str:
        def t(key: str, **values: Any) -> str:
            return self.catalogue.text(language, key, **values)

        return self.environment.get_template(template).render(
            **context, t=t, lang=language, languages=LANGUAGES, request=request,
            switch_to={code: address_with(request, lang=code) for code in LANGUAGES},
            json_url=address_with(request, lang=None),
        )

    def render(self, request: Request, template: str, context: Mapping[str, Any], *, stored_language: str | None = None,
               status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        language = page_language(request, stored_language)
        body = self.render_text(request, template, context, language)
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept, Accept-Language"
        for name, value in {**PAGE_HEADERS, **(headers or {})}.items():
            response.headers[name] = value
        return response


SHARED_PAGES = Pages(SHARED_TEMPLATES, {})


def problem_page(problem: Problem, request: Request, correlation_id: str) -> Response:
    """A problem as a page in the person's language, for a browser on an `html=True` route."""
    key = f"error_{problem.status}" if f"error_{problem.status}" in SHARED_MESSAGES else "error_other"
    response = SHARED_PAGES.render(request, "error.html.j2", {
        "status": problem.status, "message_key": key, "detail": problem.detail,
        "correlation_id": correlation_id, "errors": getattr(problem, "errors", None) or [],
    }, status=problem.status, headers=getattr(problem, "headers", None) or {})
    return response
