"""Call fit: for a municipality's project idea, which open or forecast calls fit, and why — rule by
rule, so the answer can be checked rather than trusted (the complaint about alert services is that
they send irrelevant calls and hide eligibility in PDFs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from decimal import Decimal
from enum import Enum

from services.grants.domain import text
from services.grants.domain.budget import GrantLimits, max_grant_for, min_own_contribution
from services.grants.domain.rules import official_deadlines
from services.grants.domain.text import Text, eur, percent
from shared.reference import MUNICIPALITIES

# Fewer days than this before the next deadline makes a call hard to make: say so.
TIGHT_DEADLINE_DAYS = 14

# Each rule's result depends on a few facts of the call and the idea, and the same ones come back
# request after request (the same calls, 6 applicant types, 60 municipalities, today): each rule is
# computed once per distinct set of its inputs and its result (immutable) shared. This bounds the
# entries kept per rule (a few hundred bytes each).
RULE_CACHE_SIZE = 8192


class Verdict(str, Enum):
    PASS = "pass"
    WARN = "warn"  # fits, but needs attention (a partner to find, little time left, not yet open)
    FAIL = "fail"


@dataclass(frozen=True)
class ProjectIdea:
    municipality_code: str
    applicant_type: str
    themes: tuple[str, ...]
    total_cost_eur: Decimal
    requested_grant_eur: Decimal | None = None
    has_foreign_partner: bool = False
    partner_country: str | None = None


@dataclass(frozen=True)
class CallFacts:
    code: str
    status: str
    themes: tuple[str, ...]
    eligible_applicant_types: tuple[str, ...]
    eligible_regions: tuple[str, ...]
    opens_on: date | None
    first_stage_closes_on: date | None
    closes_on: date
    limits: GrantLimits
    foreign_partner_required: bool
    partner_countries: tuple[str, ...]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    verdict: Verdict
    explanation: Text


@dataclass(frozen=True)
class Assessment:
    call: CallFacts
    rules: tuple[RuleResult, ...]
    grant_eur: Decimal
    own_contribution_eur: Decimal
    days_left: int
    shared_themes: tuple[str, ...]
    failures: int  # rules failed
    warnings: int  # rules passed with a warning

    @property
    def fits(self) -> bool:
        return self.failures == 0

    def sort_key(self):
        # Fitting calls first; the others by how many rules they fail, fewest first; then fewer
        # warnings, more shared themes, more time.
        return (self.failures, self.warnings, -len(self.shared_themes), -self.days_left, self.call.code)


def assess(call: CallFacts, idea: ProjectIdea, today: date) -> Assessment:
    grant = idea.requested_grant_eur if idea.requested_grant_eur is not None else max_grant_for(
        idea.total_cost_eur, call.limits)
    days_left = _days_to_next_deadline(call.first_stage_closes_on, call.closes_on, today)
    shared = tuple(t for t in idea.themes if t in call.themes)
    rules = (
        _applicant_type(call.eligible_applicant_types, idea.applicant_type),
        _region(call.eligible_regions, idea.municipality_code),
        _themes(call.themes, shared),
        _amount_range(call.limits, idea.requested_grant_eur is not None, grant),
        _funding_rate(call.limits, idea.total_cost_eur, grant),
        _partner(call.foreign_partner_required, call.partner_countries, idea.has_foreign_partner,
                 idea.partner_country),
        _deadline(call.status, call.opens_on, call.first_stage_closes_on, call.closes_on, today, days_left),
    )
    verdicts = [r.verdict for r in rules]
    return Assessment(call=call, rules=rules, grant_eur=grant, own_contribution_eur=idea.total_cost_eur - grant,
                      days_left=days_left, shared_themes=shared, failures=verdicts.count(Verdict.FAIL),
                      warnings=verdicts.count(Verdict.WARN))


def rank(calls: list[CallFacts], idea: ProjectIdea, today: date) -> list[Assessment]:
    """Open and forecast calls assessed for the idea, best fit first (closed calls are left out)."""
    assessed = [assess(c, idea, today) for c in calls if c.status in ("open", "forecast")]
    return sorted(assessed, key=Assessment.sort_key)


# ---------------------------------------------------------------- the rules
# Each takes only the facts it depends on (hashable), so its results can be shared (RULE_CACHE_SIZE).

@lru_cache(maxsize=RULE_CACHE_SIZE)
def _applicant_type(eligible_applicant_types: tuple[str, ...], applicant_type: str) -> RuleResult:
    allowed = text.applicant_types(eligible_applicant_types)
    mine = text.applicant_types([applicant_type])
    if applicant_type in eligible_applicant_types:
        return RuleResult("applicant_type", Verdict.PASS, Text(
            f"Pareiškėjo tipas „{mine.lt}“ tinka (kvietimas skirtas: {allowed.lt}).",
            f"Applicant type '{mine.en}' is eligible (the call is open to: {allowed.en})."))
    return RuleResult("applicant_type", Verdict.FAIL, Text(
        f"Kvietimas skirtas tik šiems pareiškėjams: {allowed.lt}; „{mine.lt}“ negali teikti paraiškos.",
        f"The call is open only to: {allowed.en}; a {mine.en} cannot apply."))


def region_rule(eligible_regions: tuple[str, ...], municipality_code: str) -> RuleResult:
    """The region rule on its own: the only rule whose result depends on the municipality rather
    than on its county (its text names the municipality), so an answer can be assembled per county."""
    return _region(eligible_regions, municipality_code)


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _region(eligible_regions: tuple[str, ...], municipality_code: str) -> RuleResult:
    municipality = MUNICIPALITIES[municipality_code]
    name = text.municipality(municipality_code)
    county = text.regions([municipality.region])
    if not eligible_regions:
        return RuleResult("region", Verdict.PASS, Text(
            "Kvietimas skirtas visai Lietuvai.", "The call covers the whole of Lithuania."))
    allowed = text.regions(eligible_regions)
    if municipality.region in eligible_regions:
        return RuleResult("region", Verdict.PASS, Text(
            f"{name.lt} ({county.lt}) patenka į kvietimo teritoriją ({allowed.lt}).",
            f"{name.en} is in {county.en}, which the call covers ({allowed.en})."))
    return RuleResult("region", Verdict.FAIL, Text(
        f"Kvietimo teritorija: {allowed.lt}; {name.lt} yra kitoje apskrityje ({county.lt}).",
        f"The call covers only {allowed.en}; {name.en} is in {county.en}."))


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _themes(call_themes: tuple[str, ...], shared: tuple[str, ...]) -> RuleResult:
    if shared:
        labels = text.themes(shared)
        return RuleResult("themes", Verdict.PASS, Text(
            f"Sutampančios temos: {labels.lt}.", f"Shared themes: {labels.en}."))
    offered = text.themes(call_themes)
    return RuleResult("themes", Verdict.FAIL, Text(
        f"Idėjos temos nesutampa su kvietimo temomis ({offered.lt}).",
        f"None of the idea's themes is among the call's ({offered.en})."))


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _amount_range(limits: GrantLimits, requested: bool, grant: Decimal) -> RuleResult:
    """`requested`: the idea names the grant it asks for (else `grant` is the most the call gives)."""
    low, high = limits.min_grant_eur, limits.max_grant_eur
    if high is not None and grant > high:
        return RuleResult("amount_range", Verdict.FAIL, Text(
            f"Prašoma {eur(grant).lt}, o didžiausia kvietimo suma – {eur(high).lt}.",
            f"{eur(grant).en} requested; the call gives at most {eur(high).en}."))
    if low is not None and grant < low:
        if not requested:
            return RuleResult("amount_range", Verdict.FAIL, Text(
                f"Projektas per mažas: net didžiausias galimas finansavimas ({eur(grant).lt}) mažesnis už "
                f"mažiausią kvietimo sumą {eur(low).lt}.",
                f"The project is too small: even the largest possible grant ({eur(grant).en}) is below the "
                f"call's minimum of {eur(low).en}."))
        return RuleResult("amount_range", Verdict.FAIL, Text(
            f"Prašoma {eur(grant).lt}, o mažiausia kvietimo suma – {eur(low).lt}.",
            f"{eur(grant).en} requested; the call's minimum grant is {eur(low).en}."))
    bounds = Text(f"nuo {eur(low).lt} iki {eur(high).lt}", f"from {eur(low).en} to {eur(high).en}")
    how = Text("Prašoma suma", "Requested") if requested else Text(
        "Galimas finansavimas", "Possible grant")
    return RuleResult("amount_range", Verdict.PASS, Text(
        f"{how.lt} {eur(grant).lt} patenka į kvietimo ribas ({bounds.lt}).",
        f"{how.en} {eur(grant).en} is within the call's range ({bounds.en})."))


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _funding_rate(limits: GrantLimits, total: Decimal, grant: Decimal) -> RuleResult:
    rate = limits.max_funding_rate
    own = total - grant
    if rate is None:
        return RuleResult("funding_rate", Verdict.PASS, Text(
            f"Didžiausia finansavimo dalis neribojama; nuosavas įnašas būtų {eur(own).lt}.",
            f"No maximum funding rate; the own contribution would be {eur(own).en}."))
    ceiling = max_grant_for(total, GrantLimits(None, None, rate))
    least_own = min_own_contribution(total, limits)
    if grant > ceiling:
        return RuleResult("funding_rate", Verdict.FAIL, Text(
            f"Kvietimas finansuoja iki {percent(rate)} tinkamų išlaidų: iš {eur(total).lt} galima prašyti ne "
            f"daugiau kaip {eur(ceiling).lt}, nuosavas įnašas – bent {eur(least_own).lt}.",
            f"The call funds up to {percent(rate)} of eligible cost: of {eur(total).en} you may ask at most "
            f"{eur(ceiling).en}, with an own contribution of at least {eur(least_own).en}."))
    return RuleResult("funding_rate", Verdict.PASS, Text(
        f"Finansavimas {eur(grant).lt} iš {eur(total).lt} neviršija {percent(rate)}; savivaldybė turi "
        f"skirti {eur(own).lt} nuosavo įnašo.",
        f"A grant of {eur(grant).en} of {eur(total).en} is within {percent(rate)}; the municipality must "
        f"contribute {eur(own).en} of its own."))


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _partner(required: bool, partner_countries: tuple[str, ...], has_foreign_partner: bool,
             partner_country: str | None) -> RuleResult:
    countries = ", ".join(partner_countries)
    if not required:
        return RuleResult("partner", Verdict.PASS, Text(
            "Užsienio partneris nebūtinas.", "No foreign partner is required."))
    if has_foreign_partner and partner_country and partner_country not in partner_countries:
        return RuleResult("partner", Verdict.FAIL, Text(
            f"Partneris turi būti iš: {countries}; jūsų partneris yra iš {partner_country}.",
            f"The partner must come from {countries}; yours is from {partner_country}."))
    if has_foreign_partner:
        return RuleResult("partner", Verdict.PASS, Text(
            f"Reikalingas partneris iš {countries} – jį jau turite.",
            f"A partner from {countries} is required, and you have one."))
    return RuleResult("partner", Verdict.WARN, Text(
        f"Reikalingas partneris iš {countries}; centras gali jo paieškoti, kai sukursite paraišką.",
        f"A partner from {countries} is required; the centre can search for one once you create the application."))


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _days_to_next_deadline(first_stage_closes_on: date | None, closes_on: date, today: date) -> int:
    for _, deadline in official_deadlines(first_stage_closes_on, closes_on):
        if deadline >= today:
            return (deadline - today).days
    return (closes_on - today).days


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _deadline(status: str, opens_on: date | None, first_stage_closes_on: date | None, closes_on: date, today: date,
              days_left: int) -> RuleResult:
    if days_left < 0:
        return RuleResult("deadline", Verdict.FAIL, Text(
            f"Paraiškų priėmimas baigėsi {closes_on.isoformat()}.",
            f"Applications closed on {closes_on.isoformat()}."))
    if first_stage_closes_on is not None and first_stage_closes_on < today:
        # A two-stage call: past the concept note deadline, the full application is by invitation only.
        first = first_stage_closes_on.isoformat()
        return RuleResult("deadline", Verdict.FAIL, Text(
            f"Pirmojo etapo (projekto idėjų) priėmimas baigėsi {first}; visą paraišką teikia tik pakviestieji.",
            f"The concept note stage closed on {first}; the full application is by invitation only."))
    stage = first_stage_closes_on is not None and first_stage_closes_on >= today
    which = Text("pirmojo etapo (koncepcijos) terminas", "first-stage (concept note) deadline") if stage else Text(
        "paraiškų pateikimo terminas", "application deadline")
    deadline = first_stage_closes_on if stage else closes_on
    left = text.days(days_left)
    if status == "forecast":
        opens = opens_on.isoformat() if opens_on else "?"
        return RuleResult("deadline", Verdict.WARN, Text(
            f"Kvietimas dar neatidarytas (planuojamas nuo {opens}); {which.lt} {deadline.isoformat()} – "
            f"liko {left.lt}. Galima pradėti rengti idėją.",
            f"The call is not open yet (expected from {opens}); {which.en} {deadline.isoformat()}, "
            f"{left.en} left. The idea can be prepared now."))
    if days_left < TIGHT_DEADLINE_DAYS:
        return RuleResult("deadline", Verdict.WARN, Text(
            f"Liko tik {left.lt} iki termino ({which.lt} {deadline.isoformat()}).",
            f"Only {left.en} left ({which.en} {deadline.isoformat()})."))
    return RuleResult("deadline", Verdict.PASS, Text(
        f"Liko {left.lt} ({which.lt} {deadline.isoformat()}).",
        f"{left.en} left ({which.en} {deadline.isoformat()})."))
