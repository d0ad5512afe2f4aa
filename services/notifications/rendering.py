"""Rendering notification templates (Jinja2 files, one set per language).

A template `name` exists in a language when `templates/<lang>/<name>.subject.j2`, `.txt.j2` and
`.html.j2` are all there. HTML is autoescaped; the plain text is not. Every template gets the
helpers `date`, `time`, `money` and `count` (Lithuanian plural forms), the recipient, and the
event (or, for the digest, the items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications.domain import language as lang

TEMPLATE_DIR = Path(__file__).parent / "templates"
PARTS = ("subject", "txt", "html")


@dataclass(frozen=True)
class Rendered:
    template: str
    language: str
    subject: str
    text: str
    html: str


class UnknownTemplate(LookupError):
    pass


def _theme_label(code: str, language: str) -> str:
    from shared.reference import THEMES

    theme = THEMES.get(code)
    return code if theme is None else (theme.label_lt if language == "lt" else theme.label_en)


def _municipality_name(code: str, language: str) -> str:
    from shared.reference import MUNICIPALITIES

    found = MUNICIPALITIES.get(code)
    return code if found is None else (found.name_lt if language == "lt" else found.name_en)


def _answer_url(event, recipient):
    """An introduction's answer link for the side this recipient is on (each side gets its own)."""
    me = (getattr(recipient, "email", "") or "").lower()
    requester = getattr(event, "requester", None)
    if requester is not None and requester.email.lower() == me:
        return getattr(event, "requester_answer_url", None)
    candidate = getattr(event, "candidate_contact", None)
    if candidate is not None and candidate.email.lower() == me:
        return getattr(event, "candidate_answer_url", None)
    return None


def _counterpart(event, recipient):
    """In a two-sided event, the other side's contact as seen by this recipient."""
    requester = getattr(event, "requester", None)
    candidate = getattr(event, "candidate_contact", None)
    me = (getattr(recipient, "email", "") or "").lower()
    if requester is not None and requester.email.lower() == me:
        return candidate
    if candidate is not None and candidate.email.lower() == me:
        return requester
    return candidate or requester


class TemplateLibrary:
    def __init__(self, directory: Path = TEMPLATE_DIR):
        self.directory = directory
        self.env = Environment(
            loader=FileSystemLoader(str(directory)),
            autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            # The templates ship with the code: a change is picked up on restart, not by asking the
            # file system for each template's time on every render (it showed in a fan-out's profile).
            auto_reload=False,
        )
        self._has: dict[tuple[str, str], bool] = {}

    def has(self, template: str, language: str) -> bool:
        key = (template, language)
        if key not in self._has:
            self._has[key] = all((self.directory / language / f"{template}.{part}.j2").is_file() for part in PARTS)
        return self._has[key]

    def names(self) -> list[str]:
        found = {p.name.split(".", 1)[0] for p in (self.directory / "lt").glob("*.subject.j2")}
        return sorted(name for name in found if self.has(name, "lt") and self.has(name, "en"))

    def render(self, template: str, language: str, *, recipient, now: datetime, event=None,
               unsubscribe_url: str | None = None, **extra) -> Rendered:
        if not self.has(template, "lt"):
            raise UnknownTemplate(template)
        if not self.has(template, language):
            language = "lt"  # every template exists in Lithuanian
        context = {
            "event": event,
            "recipient": recipient,
            "language": language,
            "unsubscribe_url": unsubscribe_url,
            "date": lambda value: lang.format_date(value, language),
            "time": lang.format_time,
            "money": lambda amount: lang.format_money(amount, language),
            "count": lambda n, lt_forms, en_forms: lang.count(n, language, tuple(lt_forms), tuple(en_forms)),
            "text": lambda localized: localized.in_language(language) if localized is not None else "",
            "themes": lambda codes: ", ".join(_theme_label(code, language) for code in codes),
            "municipality": lambda code: _municipality_name(code, language),
            "percent": lambda share: lang.format_percent(share, language),
            "days_until": lambda day: (day - now.astimezone(lang.LOCAL_TZ).date()).days,
            "counterpart": lambda event: _counterpart(event, recipient),
            "my_answer_url": lambda event: _answer_url(event, recipient),
            "eur": lambda amount: lang.format_eur(amount, language),
            "hours": lambda amount: lang.format_hours(amount, language),
            "status": lambda code: lang.label(lang.APPLICATION_STATUSES, code, language),
            "deadline_kind": lambda code: lang.label(lang.DEADLINE_KINDS, code, language),
            **extra,
        }
        title = getattr(event, "course_title", None) or getattr(event, "title", None)
        if title is not None and hasattr(title, "in_language"):
            context["course"] = title.in_language(language)
        starts_at = getattr(event, "starts_at", None)
        if isinstance(starts_at, datetime):
            # Calendar days in Vilnius (0 today, 1 tomorrow), never a rounded-up count of 24-hour spans.
            context["days_left"] = lang.calendar_days_until(starts_at, now)
        parts = {part: self.env.get_template(f"{language}/{template}.{part}.j2").render(**context) for part in PARTS}
        return Rendered(template=template, language=language, subject=" ".join(parts["subject"].split()),
                        text=parts["txt"].strip() + "\n", html=parts["html"].strip() + "\n")
