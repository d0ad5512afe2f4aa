"""Which open or forecast calls fit a municipality's project idea, and why: domain/fit.py judges each
call rule by rule; this loads the calls and shapes the answer.

The answer lists every open and forecast call (hundreds) with seven explained rules each, so it is
built from parts kept between requests: the calls come decoded from the per-process catalogue
(fit_catalogue.py: one fingerprint query per request, decoded again only when a call changed), each
rule's result is shared by the requests with the same inputs (domain/fit.py), and the JSON of a
call's fixed fields and of each rule result is encoded once. The document is FitOut's, byte for byte
as json_response would encode the model (tests/grants/test_fit_catalogue.py)."""

from __future__ import annotations

import json
from functools import lru_cache

from services.grants.domain import fit
from services.grants.fit_catalogue import CATALOGUE
from services.grants.schemas import FitQuery
from services.grants.usecases import local_today
from shared.errors import RuleViolation
from shared.http import EncodedJson
from shared.persistence.unit_of_work import UnitOfWork


def assess(uow: UnitOfWork, query: FitQuery, municipality_code: str | None) -> EncodedJson:
    """`municipality_code`: the enforced tenant (a municipality token's own, or the one staff named).
    Returns the FitOut document, encoded."""
    if municipality_code is None:
        raise RuleViolation("name the municipality the idea is for", field="municipality_code")
    today = local_today()
    idea = fit.ProjectIdea(
        municipality_code=municipality_code, applicant_type=query.applicant_type, themes=tuple(query.themes),
        total_cost_eur=query.total_cost_eur, requested_grant_eur=query.requested_grant_eur,
        has_foreign_partner=query.has_foreign_partner or query.partner_country is not None,
        partner_country=query.partner_country)
    calls = CATALOGUE.calls(uow.session)
    ranked = fit.rank([c.facts for c in calls.values()], idea, today)
    head = _dumps({"municipality_code": municipality_code, "assessed_on": today.isoformat()})
    return EncodedJson(head[:-1] + ', "calls": [' + ", ".join(
        calls[a.call.code].encoded_head + _call_tail(a) for a in ranked) + "]}")


def _call_tail(assessment: fit.Assessment) -> str:
    """A call's fields after its fixed ones (FitCall.encoded_head), in CallFitOut's order."""
    failures = assessment.failures
    # A Decimal's str is digits, a sign, a point or an exponent: a JSON string without escaping.
    return (f'"fits": {"true" if failures == 0 else "false"}, "failures": {failures}, '
            f'"warnings": {assessment.warnings}, "grant_eur": "{assessment.grant_eur}", '
            f'"own_contribution_eur": "{assessment.own_contribution_eur}", '
            f'"days_left": {assessment.days_left}, "shared_themes": {_themes(assessment.shared_themes)}, '
            f'"rules": {_rules(assessment.rules)}}}')


@lru_cache(maxsize=fit.RULE_CACHE_SIZE)
def _themes(codes: tuple[str, ...]) -> str:
    return _dumps(list(codes))


@lru_cache(maxsize=fit.RULE_CACHE_SIZE)
def _rules(results: tuple[fit.RuleResult, ...]) -> str:
    return "[" + ", ".join(_rule(r) for r in results) + "]"


@lru_cache(maxsize=fit.RULE_CACHE_SIZE)
def _rule(result: fit.RuleResult) -> str:
    return _dumps({"rule": result.rule, "verdict": result.verdict.value, "explanation": result.explanation.as_dict()})


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
