"""An application against its call: the checks made when a municipality starts or edits one. Where
fit.py explains an idea's chances rule by rule, these refuse (404/409/422) what the call cannot take.
Each check raises the same error in the same order the API documents; the callers keep that order."""

from __future__ import annotations

from datetime import date

from services.grants.domain.fit import CallFacts
from services.grants.domain.rules import eligible_municipalities, next_official_deadline
from shared.errors import Conflict, Forbidden, RuleViolation


def check_consultant_assignment(assigns_consultant: bool, is_staff: bool) -> None:
    """Only the centre's staff assign its consultants."""
    if assigns_consultant and not is_staff:
        raise Forbidden("only the centre's staff assign consultants", field="consultant")


def check_call_admits(call: CallFacts, *, applicant_type: str, municipality_code: str, themes) -> None:
    """The call is not closed, is open to this kind of applicant and this municipality, and shares
    at least one theme with the application."""
    if call.status == "closed":
        raise Conflict(f"call {call.code} is closed", field="call_id", code="call_closed")
    if applicant_type not in call.eligible_applicant_types:
        raise RuleViolation(f"call {call.code} is open to {', '.join(call.eligible_applicant_types)}, not "
                            f"{applicant_type}", field="applicant_type")
    if municipality_code not in eligible_municipalities(list(call.eligible_applicant_types),
                                                        list(call.eligible_regions)):
        raise RuleViolation(f"call {call.code} covers only {', '.join(call.eligible_regions)}",
                            field="municipality_code")
    check_shared_themes(themes, call.themes)


def check_shared_themes(themes, call_themes) -> None:
    if not set(themes) & set(call_themes):
        raise RuleViolation(f"none of the themes is among the call's ({', '.join(call_themes)})", field="themes")


def check_deadline_ahead(call: CallFacts, today: date) -> date:
    """The call's next funder deadline, refused (409 call_closed) when every deadline has passed."""
    next_official = next_official_deadline(call.first_stage_closes_on, call.closes_on, today)
    if next_official < today:
        raise Conflict(f"call {call.code} closed on {call.closes_on.isoformat()}", field="call_id",
                       code="call_closed")
    return next_official


def check_partner_country(call: CallFacts, partner_country: str | None) -> None:
    """A partner the municipality already has must come from a country the call accepts."""
    if partner_country is not None and call.foreign_partner_required and \
            partner_country not in call.partner_countries:
        raise RuleViolation(f"the partner must come from {', '.join(call.partner_countries)}",
                            field="partner.country")


def initial_partner_status(foreign_partner_required: bool, has_own_partner: bool) -> str:
    """not_required, established (the municipality brings its partner) or requested (the partners
    service is asked to propose some)."""
    if not foreign_partner_required:
        return "not_required"
    return "established" if has_own_partner else "requested"
