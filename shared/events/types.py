"""Value types that several events share."""

from __future__ import annotations

from typing import Annotated, Callable, Iterable

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from shared.model import Model
from shared.reference import LANGUAGES, MUNICIPALITIES, THEMES

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2, e.g. NO")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$"), Field(description="ISO 639-1, e.g. lt")]


def one_of(allowed: Iterable[str], what: str) -> Callable:
    """A validator for a code, or a list of codes, from a closed vocabulary; the error lists the
    vocabulary so the caller can correct the request."""
    allowed = tuple(allowed)

    def check(value):
        values = value if isinstance(value, list) else [value]
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}; one of {', '.join(allowed)}")
        return value

    return check


class LocalizedText(Model):
    """Text in Lithuanian and English; Lithuanian is required, English falls back to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lt: str = Field(min_length=1, max_length=2000)
    en: str | None = Field(default=None, max_length=2000)

    def in_language(self, language: str) -> str:
        return (self.en or self.lt) if language == "en" else self.lt


def check_municipality(code: str) -> str:
    if code not in MUNICIPALITIES:
        raise ValueError(f"unknown municipality code {code!r} (expected '01'..'60')")
    return code


check_themes = one_of(THEMES, "theme(s)")


def check_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return code


class Person(Model):
    """A municipal employee as events carry them: enough to address and greet them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    municipality_code: str
    position: str | None = None
    language: str = "lt"

    _municipality = field_validator("municipality_code")(check_municipality)
    _language = field_validator("language")(check_language)


class Contact(Model):
    """Someone to address outside the municipal staff register (a consultant, a partner's contact)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    language: str = "en"
    organisation: str | None = Field(default=None, max_length=300)

    _language = field_validator("language")(check_language)


__all__ = ["LocalizedText", "Person", "Contact", "CountryCode", "LanguageCode", "one_of", "check_municipality", "check_themes",
           "check_language"]
