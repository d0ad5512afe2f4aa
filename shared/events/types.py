"""Value types that several events share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.reference import LANGUAGES, MUNICIPALITIES, THEMES


class LocalizedText(BaseModel):
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


def check_themes(codes: list[str]) -> list[str]:
    unknown = [c for c in codes if c not in THEMES]
    if unknown:
        raise ValueError(f"unknown theme(s) {', '.join(unknown)}")
    return codes


def check_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return code


class Person(BaseModel):
    """A municipal employee as events carry them: enough to address and greet them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    municipality_code: str
    position: str | None = None
    language: str = "lt"

    _municipality = field_validator("municipality_code")(check_municipality)
    _language = field_validator("language")(check_language)


__all__ = ["LocalizedText", "Person", "check_municipality", "check_themes", "check_language"]
