"""Rules of funding calls, independent of storage and transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.errors import RuleViolation

APPLICANT_TYPES = ("municipality", "municipal_institution", "ngo", "association", "university", "company")
CALL_STATUSES = ("forecast", "open", "closed")


@dataclass(frozen=True)
class CallTerms:
    opens_on: date | None
    closes_on: date
    min_grant_eur: Decimal | None
    max_grant_eur: Decimal | None
    max_funding_rate: Decimal | None
    foreign_partner_required: bool
    partner_countries: list[str]
    status: str


def check_call_terms(terms: CallTerms) -> None:
    if terms.opens_on and terms.closes_on <= terms.opens_on:
        raise RuleViolation("the call must close after it opens", field="closes_on")
    if terms.min_grant_eur is not None and terms.max_grant_eur is not None and terms.min_grant_eur > terms.max_grant_eur:
        raise RuleViolation("the minimum grant exceeds the maximum", field="min_grant_eur")
    if terms.max_funding_rate is not None and not (0 < terms.max_funding_rate <= 1):
        raise RuleViolation("the funding rate is a share between 0 and 1", field="max_funding_rate")
    if terms.foreign_partner_required and not terms.partner_countries:
        raise RuleViolation("name the countries a foreign partner may come from", field="partner_countries")


def is_announced(status: str) -> bool:
    """Open and forecast calls are announced to municipalities; closed ones are not."""
    return status in ("open", "forecast")
