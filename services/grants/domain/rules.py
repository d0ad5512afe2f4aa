"""Rules of funding programmes and calls, independent of storage and transport."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from shared.errors import Conflict, RuleViolation
from shared.reference import MUNICIPALITIES

APPLICANT_TYPES = ("municipality", "municipal_institution", "ngo", "association", "university", "company")
# Who applies on a municipality's behalf: the municipality itself or one of its institutions.
MUNICIPAL_APPLICANT_TYPES = ("municipality", "municipal_institution")
FUNDING_SOURCES = ("eu_funds", "eea_norway_grants", "world_bank", "national", "small_grants", "other")
CALL_STATUSES = ("forecast", "open", "closed")
CALL_STATUS_CHANGES = {
    "forecast": ("open", "closed"),
    "open": ("closed",),
    "closed": ("open",),  # reopened, e.g. when the funder extends the deadline
}


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
    first_stage_closes_on: date | None = None
    required_document_codes: tuple[str, ...] = field(default_factory=tuple)


def check_call_terms(terms: CallTerms) -> None:
    if terms.opens_on and terms.closes_on <= terms.opens_on:
        raise RuleViolation("the call must close after it opens", field="closes_on")
    if terms.first_stage_closes_on is not None:
        if terms.first_stage_closes_on >= terms.closes_on:
            raise RuleViolation("the first stage (concept note) must close before the full application deadline",
                                field="first_stage_closes_on")
        if terms.opens_on and terms.first_stage_closes_on <= terms.opens_on:
            raise RuleViolation("the first stage must close after the call opens", field="first_stage_closes_on")
    if terms.min_grant_eur is not None and terms.max_grant_eur is not None and terms.min_grant_eur > terms.max_grant_eur:
        raise RuleViolation("the minimum grant exceeds the maximum", field="min_grant_eur")
    if terms.max_funding_rate is not None and not (0 < terms.max_funding_rate <= 1):
        raise RuleViolation("the funding rate is a share between 0 and 1", field="max_funding_rate")
    if terms.foreign_partner_required and not terms.partner_countries:
        raise RuleViolation("name the countries a foreign partner may come from", field="partner_countries")
    codes = terms.required_document_codes
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise RuleViolation(f"document code(s) {', '.join(duplicates)} appear more than once",
                            field="required_documents")


def is_announced(status: str) -> bool:
    """Open and forecast calls are announced to municipalities; closed ones are not."""
    return status in ("open", "forecast")


def check_call_status_change(current: str, new: str) -> None:
    if new == current:
        return
    if new not in CALL_STATUS_CHANGES[current]:
        allowed = ", ".join(CALL_STATUS_CHANGES[current])
        raise Conflict(f"a call that is {current} cannot become {new} (allowed: {allowed})", field="status",
                       code="call_status")


def eligible_municipalities(applicant_types: list[str], regions: list[str]) -> list[str]:
    """Codes of the municipalities a call is open to: municipal applicants allowed, and the
    municipality's county among the eligible regions (no regions = the whole country)."""
    if not set(applicant_types) & set(MUNICIPAL_APPLICANT_TYPES):
        return []
    return [code for code, m in MUNICIPALITIES.items() if not regions or m.region in regions]


def official_deadlines(first_stage_closes_on: date | None, closes_on: date) -> list[tuple[str, date]]:
    """The funder's deadlines of a call, earliest first: ('first_stage', d) for two-stage calls,
    then ('official', closes_on)."""
    deadlines = [("first_stage", first_stage_closes_on)] if first_stage_closes_on else []
    return deadlines + [("official", closes_on)]


def next_official_deadline(first_stage_closes_on: date | None, closes_on: date, today: date) -> date:
    """The next funder deadline still ahead (or the final one when all have passed)."""
    for _, deadline in official_deadlines(first_stage_closes_on, closes_on):
        if deadline >= today:
            return deadline
    return closes_on


# The internal deadline the centre sets when none is given: a week before the funder's.
DEFAULT_INTERNAL_LEAD_DAYS = 7


def default_internal_deadline(next_official: date, today: date) -> date:
    return max(today, next_official - timedelta(days=DEFAULT_INTERNAL_LEAD_DAYS))


def check_internal_deadline(internal: date, next_official: date, today: date) -> None:
    """The internal deadline leaves time before the funder's (equal only when that is today)."""
    if internal < today:
        raise RuleViolation("the internal deadline is in the past", field="internal_deadline")
    if internal > next_official or (internal == next_official and next_official > today):
        raise RuleViolation(f"the internal deadline must come before the official one ({next_official.isoformat()})",
                            field="internal_deadline")


def call_funding_source(programme: tuple[str, str, str] | None, funder: str | None,
                        source_kind: str | None) -> tuple[str, str]:
    """A call's funder and source kind: its programme's ((code, funder, source_kind)), which a call
    may repeat but not contradict; a call outside any programme names its funder (source kind
    'other' unless given)."""
    if programme is not None:
        code, programme_funder, programme_kind = programme
        if funder is not None and funder != programme_funder:
            raise RuleViolation(f"programme {code} is funded by {programme_funder}, not {funder}; leave funder out "
                                f"or repeat it", field="funder")
        if source_kind is not None and source_kind != programme_kind:
            raise RuleViolation(f"programme {code} is {programme_kind}, not {source_kind}", field="source_kind")
        return programme_funder, programme_kind
    if not funder:
        raise RuleViolation("name the funder, or the programme_id the call belongs to", field="funder")
    return funder, source_kind or "other"


def check_funded_project(final_cost_eur: Decimal | None, grant_eur: Decimal | None) -> None:
    """A funded project's grant cannot exceed its final cost (when both are known)."""
    if final_cost_eur is not None and grant_eur is not None and grant_eur > final_cost_eur:
        raise RuleViolation("the grant exceeds the final cost", field="grant_eur")


@dataclass(frozen=True)
class CallChangePlan:
    changes: dict  # the attributes to set on the call
    republish: bool  # announce the call again (grants.call_published)


def plan_call_change(current: CallTerms, requested: dict, today: date) -> CallChangePlan:
    """Check a change of a call's status or dates against its current terms (`requested`: the
    fields the client sent; a null status means no change). A call that becomes, or stays,
    announced with something changed is published again."""
    changes = dict(requested)
    if changes.get("status") is None:
        changes.pop("status", None)
    if "closes_on" in changes and changes["closes_on"] is None:
        raise RuleViolation("a call needs a closing date", field="closes_on")
    new_status = changes.get("status", current.status)
    check_call_status_change(current.status, new_status)
    merged = {name: changes.get(name, getattr(current, name))
              for name in ("opens_on", "first_stage_closes_on", "closes_on")}
    check_call_terms(replace(current, status=new_status, required_document_codes=(), **merged))
    if new_status == "open" and merged["closes_on"] < today:
        raise RuleViolation("an open call cannot have closed already; move closes_on", field="closes_on")
    republish = is_announced(new_status) and any(getattr(current, k) != v for k, v in changes.items())
    return CallChangePlan(changes, republish)
