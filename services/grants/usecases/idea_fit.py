"""Which open or forecast calls fit a municipality's project idea, and why: domain/fit.py judges each
call rule by rule; this loads the calls and shapes the answer."""

from __future__ import annotations

from services.grants.domain import fit
from services.grants.schemas import FitOut, FitQuery
from services.grants.usecases import local_today, repository
from services.grants.views import call_facts, call_fit_out
from shared.errors import RuleViolation
from shared.persistence.unit_of_work import UnitOfWork


def assess(uow: UnitOfWork, query: FitQuery, municipality_code: str | None) -> FitOut:
    """`municipality_code`: the enforced tenant (a municipality token's own, or the one staff named)."""
    if municipality_code is None:
        raise RuleViolation("name the municipality the idea is for", field="municipality_code")
    today = local_today()
    idea = fit.ProjectIdea(
        municipality_code=municipality_code, applicant_type=query.applicant_type, themes=tuple(query.themes),
        total_cost_eur=query.total_cost_eur, requested_grant_eur=query.requested_grant_eur,
        has_foreign_partner=query.has_foreign_partner or query.partner_country is not None,
        partner_country=query.partner_country)
    calls = {c.code: c for c in repository(uow).calls(statuses=["open", "forecast"])}
    ranked = fit.rank([call_facts(c) for c in calls.values()], idea, today)
    return FitOut(municipality_code=municipality_code, assessed_on=today,
                  calls=[call_fit_out(calls[a.call.code], a) for a in ranked])
