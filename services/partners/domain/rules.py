"""Rules of organisation profiles, independent of storage and transport."""

from __future__ import annotations

from shared.errors import RuleViolation

ORGANISATION_TYPES = (
    "municipality", "county_council", "university", "research_institute", "ngo", "association",
    "public_agency", "company", "education_provider",
)


def check_profile(*, country: str, organisation_type: str, region: str | None, capacity: int) -> None:
    """A Lithuanian municipality names its county; every profile can take at least one partnership."""
    if country == "LT" and organisation_type == "municipality" and not region:
        raise RuleViolation("a Lithuanian municipality's profile needs its county", field="region")
    if capacity < 1:
        raise RuleViolation("an organisation must be able to take at least one partnership", field="capacity")
