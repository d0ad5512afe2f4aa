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
from collections.abc import Collection
from functools import lru_cache

from services.grants.domain import fit
from services.grants.fit_catalogue import CATALOGUE
from services.grants.schemas import FitQuery
from services.grants.usecases import local_today
from shared.errors import RuleViolation
from shared.http import NotModified, PreparedJson
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES


def assess(uow: UnitOfWork, query: FitQuery, municipality_code: str | None, *,
           client_has: Collection[str] = ()) -> PreparedJson | NotModified:
    """`municipality_code`: the enforced tenant (a municipality token's own, or the one staff named).
    Returns the FitOut document, encoded, with its ETag (scoped to the municipality) and, once a
    client accepted it, its gzip encoding: kept with the catalogue version, so the same question
    again is answered with the same object (shared/http.py answers 304 or gzip from it).
    `client_has`: the ETags the client says it has (If-None-Match); when one is this
    municipality's document for this question in the current catalogue, NotModified (304), even
    if the document itself is no longer kept."""
    if municipality_code is None:
        raise RuleViolation("name the municipality the idea is for", field="municipality_code")
    today = local_today()
    idea = fit.ProjectIdea(
        municipality_code=municipality_code, applicant_type=query.applicant_type, themes=tuple(query.themes),
        total_cost_eur=query.total_cost_eur, requested_grant_eur=query.requested_grant_eur,
        has_foreign_partner=query.has_foreign_partner or query.partner_country is not None,
        partner_country=query.partner_country)
    version = CATALOGUE.version(uow.session)
    # (Decimals as text: 1000 and 1000.00 are equal but answered as written.)
    question = (idea.applicant_type, idea.themes, str(idea.total_cost_eur), str(idea.requested_grant_eur),
                idea.has_foreign_partner, idea.partner_country, today)
    key = (municipality_code, question)
    if client_has:
        etag = version.etag(key)
        if etag is not None and etag in client_has:
            return NotModified(etag)
    return version.document(key, lambda etag, gzipped: _document(version, idea, today, question, etag, gzipped))


def _document(version, idea: fit.ProjectIdea, today, question, etag: str | None = None,
              gzipped: bytes | None = None) -> PreparedJson:
    """The answer for a municipality, from its county's (assembled once per idea, county and day:
    the ranking and every rule but the region's are the same for all municipalities of a county):
    the county's fixed parts with the municipality's region rule between each two, in one join."""
    county = MUNICIPALITIES[idea.municipality_code].region
    fixed, regions = version.assembled((county, question), lambda: _assemble(version.calls, idea, today))
    head = _dumps({"municipality_code": idea.municipality_code, "assessed_on": today.isoformat()})
    pieces: list = [None] * (2 * len(fixed))
    pieces[0] = head[:-1].encode()
    pieces[1::2] = fixed
    pieces[2::2] = map(_region_parts(idea.municipality_code), regions)
    return PreparedJson(b"".join(pieces), scope=idea.municipality_code, etag=etag, gzipped=gzipped)


def _assemble(calls, idea: fit.ProjectIdea, today) -> tuple[list[bytes], list[tuple[str, ...]]]:
    """The calls in ranked order as the document's parts that are the same for every municipality
    of the county, and each call's regions: `fixed[0]`, the first call's region rule, `fixed[1]`,
    the second's, ..., `fixed[-1]` — each fixed part the end of one call's JSON (after its region
    rule) and the start of the next (up to its region rule). Encoded (UTF-8: half the memory of
    non-ASCII text, and nothing to encode per municipality)."""
    fixed, regions, before = [], [], ', "calls": ['
    for assessment in fit.rank([c.facts for c in calls.values()], idea, today):
        at = next(n for n, r in enumerate(assessment.rules) if r.rule == "region")
        rules = assessment.rules
        fixed.append((before + calls[assessment.call.code].encoded_head + _call_tail(assessment) + "[" + "".join(
            _rule(r) + ", " for r in rules[:at])).encode())
        regions.append(assessment.call.eligible_regions)
        before = "".join(", " + _rule(r) for r in rules[at + 1:]) + "]}, "
    fixed.append((before[:-2] if regions else before).encode() + b"]}")
    return fixed, regions


_REGION_PARTS: dict[str, dict[tuple[str, ...], bytes]] = {}


def _region_parts(municipality_code: str):
    """The region rule's JSON for this municipality and a call's regions, kept per municipality
    (60) and set of regions (a few hundred): too many for the rules' shared cache."""
    kept = _REGION_PARTS.setdefault(municipality_code, {})

    def region(eligible_regions: tuple[str, ...]) -> bytes:
        found = kept.get(eligible_regions)
        if found is None:
            if len(kept) >= fit.RULE_CACHE_SIZE:
                kept.clear()
            found = kept[eligible_regions] = _rule_json(
                fit.region_rule(eligible_regions, municipality_code)).encode()
        return found

    return region


def _call_tail(assessment: fit.Assessment) -> str:
    """A call's fields after its fixed ones (FitCall.encoded_head), in CallFitOut's order, up to
    its rules' list."""
    failures = assessment.failures
    # A Decimal's str is digits, a sign, a point or an exponent: a JSON string without escaping.
    return (f'"fits": {"true" if failures == 0 else "false"}, "failures": {failures}, '
            f'"warnings": {assessment.warnings}, "grant_eur": "{assessment.grant_eur}", '
            f'"own_contribution_eur": "{assessment.own_contribution_eur}", '
            f'"days_left": {assessment.days_left}, "shared_themes": {_themes(assessment.shared_themes)}, '
            f'"rules": ')


@lru_cache(maxsize=fit.RULE_CACHE_SIZE)
def _themes(codes: tuple[str, ...]) -> str:
    return _dumps(list(codes))


@lru_cache(maxsize=fit.RULE_CACHE_SIZE)
def _rule(result: fit.RuleResult) -> str:
    return _rule_json(result)


def _rule_json(result: fit.RuleResult) -> str:
    return _dumps({"rule": result.rule, "verdict": result.verdict.value, "explanation": result.explanation.as_dict()})


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
