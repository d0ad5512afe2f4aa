"""Call fit: for a municipality's project idea, which open or forecast calls fit, and why — rule by
rule, so the answer can be checked rather than trusted (the complaint about alert services is that
they send irrelevant calls and hide eligibility in PDFs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from services.grants.domain import text
from services.grants.domain.budget import GrantLimits, max_grant_for, min_own_contribution
from services.grants.domain.rules import official_deadlines
from services.grants.domain.text import Text, eur, percent
from shared.reference import MUNICIPALITIES

# Fewer days than this before the next deadline makes a call hard to make: say so.
TIGHT_DEADLINE_DAYS = 14


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

    @property
    def fits(self) -> bool:
        return all(r.verdict is not Verdict.FAIL for r in self.rules)

    @property
    def warnings(self) -> int:
        return sum(r.verdict is Verdict.WARN for r in self.rules)

    @property
    def failures(self) -> int:
        return sum(r.verdict is Verdict.FAIL for r in self.rules)

    def sort_key(self):
        # Fitting calls first; the others by how many rules they fail, fewest first; then fewer
        # warnings, more shared themes, more time.
        return (self.failures, self.warnings, -len(self.shared_themes), -self.days_left, self.call.code)


def assess(call: CallFacts, idea: ProjectIdea, today: date) -> Assessment:
    grant = idea.requested_grant_eur if idea.requested_grant_eur is not None else max_grant_for(
        idea.total_cost_eur, call.limits)
    days_left = _days_to_next_deadline(call, today)
    shared = tuple(t for t in idea.themes if t in call.themes)
    rules = (
        _applicant_type(call, idea),
        _region(call, idea),
        _themes(call, shared),
        _amount_range(call, idea, grant),
        _funding_rate(call, idea, grant),
        _partner(call, idea),
        _deadline(call, today, days_left),
    )
    return Assessment(call=call, rules=rules, grant_eur=grant, own_contribution_eur=idea.total_cost_eur - grant,
                      days_left=days_left, shared_themes=shared)


def rank(calls: list[CallFacts], idea: ProjectIdea, today: date) -> list[Assessment]:
    """Open and forecast calls assessed for the idea, best fit first (closed calls are left out)."""
    assessed = [assess(c, idea, today) for c in calls if c.status in ("open", "forecast")]
    return sorted(assessed, key=Assessment.sort_key)


# ---------------------------------------------------------------- the rules

def _applicant_type(call: CallFacts, idea: ProjectIdea) -> RuleResult:
    allowed = text.applicant_types(call.eligible_applicant_types)
    mine = text.applicant_types([idea.applicant_type])
    if idea.applicant_type in call.eligible_applicant_types:
        return RuleResult("applicant_type", Verdict.PASS, Text(
            f"Pareiškėjo tipas „{mine.lt}“ tinka (kvietimas skirtas: {allowed.lt}).",
            f"Applicant type '{mine.en}' is eligible (the call is open to: {allowed.en})."))
    return RuleResult("applicant_type", Verdict.FAIL, Text(
        f"Kvietimas skirtas tik šiems pareiškėjams: {allowed.lt}; „{mine.lt}“ negali teikti paraiškos.",
        f"The call is open only to: {allowed.en}; a {mine.en} cannot apply."))


def _region(call: CallFacts, idea: ProjectIdea) -> RuleResult:
    municipality = MUNICIPALITIES[idea.municipality_code]
    name = text.municipality(idea.municipality_code)
    county = text.regions([municipality.region])
    if not call.eligible_regions:
        return RuleResult("region", Verdict.PASS, Text(
            "Kvietimas skirtas visai Lietuvai.", "The call covers the whole of Lithuania."))
    allowed = text.regions(call.eligible_regions)
    if municipality.region in call.eligible_regions:
        return RuleResult("region", Verdict.PASS, Text(
            f"{name.lt} ({county.lt}) patenka į kvietimo teritoriją ({allowed.lt}).",
            f"{name.en} is in {county.en}, which the call covers ({allowed.en})."))
    return RuleResult("region", Verdict.FAIL, Text(
        f"Kvietimo teritorija: {allowed.lt}; {name.lt} yra kitoje apskrityje ({county.lt}).",
        f"The call covers only {allowed.en}; {name.en} is in {county.en}."))


def _themes(call: CallFacts, shared: tuple[str, ...]) -> RuleResult:
    if shared:
        labels = text.themes(shared)
        return RuleResult("themes", Verdict.PASS, Text(
            f"Sutampančios temos: {labels.lt}.", f"Shared themes: {labels.en}."))
    offered = text.themes(call.themes)
    return RuleResult("themes", Verdict.FAIL, Text(
        f"Idėjos temos nesutampa su kvietimo temomis ({offered.lt}).",
        f"None of the idea's themes is among the call's ({offered.en})."))


def _amount_range(call: CallFacts, idea: ProjectIdea, grant: Decimal) -> RuleResult:
    low, high = call.limits.min_grant_eur, call.limits.max_grant_eur
    if high is not None and grant > high:
        return RuleResult("amount_range", Verdict.FAIL, Text(
            f"Prašoma {eur(grant).lt}, o didžiausia kvietimo suma – {eur(high).lt}.",
            f"{eur(grant).en} requested; the call gives at most {eur(high).en}."))
    if low is not None and grant < low:
        if idea.requested_grant_eur is None:
            return RuleResult("amount_range", Verdict.FAIL, Text(
                f"Projektas per mažas: net didžiausias galimas finansavimas ({eur(grant).lt}) mažesnis už "
                f"mažiausią kvietimo sumą {eur(low).lt}.",
                f"The project is too small: even the largest possible grant ({eur(grant).en}) is below the "
                f"call's minimum of {eur(low).en}."))
        return RuleResult("amount_range", Verdict.FAIL, Text(
            f"Prašoma {eur(grant).lt}, o mažiausia kvietimo suma – {eur(low).lt}.",
            f"{eur(grant).en} requested; the call's minimum grant is {eur(low).en}."))
    bounds = Text(f"nuo {eur(low).lt} iki {eur(high).lt}", f"from {eur(low).en} to {eur(high).en}")
    how = Text("Prašoma suma", "Requested") if idea.requested_grant_eur is not None else Text(
        "Galimas finansavimas", "Possible grant")
    return RuleResult("amount_range", Verdict.PASS, Text(
        f"{how.lt} {eur(grant).lt} patenka į kvietimo ribas ({bounds.lt}).",
        f"{how.en} {eur(grant).en} is within the call's range ({bounds.en})."))


def _funding_rate(call: CallFacts, idea: ProjectIdea, grant: Decimal) -> RuleResult:
    total, rate = idea.total_cost_eur, call.limits.max_funding_rate
    own = total - grant
    if rate is None:
        return RuleResult("funding_rate", Verdict.PASS, Text(
            f"Didžiausia finansavimo dalis neribojama; nuosavas įnašas būtų {eur(own).lt}.",
            f"No maximum funding rate; the own contribution would be {eur(own).en}."))
    ceiling = max_grant_for(total, GrantLimits(None, None, rate))
    least_own = min_own_contribution(total, call.limits)
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


def _partner(call: CallFacts, idea: ProjectIdea) -> RuleResult:
    countries = ", ".join(call.partner_countries)
    if not call.foreign_partner_required:
        return RuleResult("partner", Verdict.PASS, Text(
            "Užsienio partneris nebūtinas.", "No foreign partner is required."))
    if idea.has_foreign_partner and idea.partner_country and idea.partner_country not in call.partner_countries:
        return RuleResult("partner", Verdict.FAIL, Text(
            f"Partneris turi būti iš: {countries}; jūsų partneris yra iš {idea.partner_country}.",
            f"The partner must come from {countries}; yours is from {idea.partner_country}."))
    if idea.has_foreign_partner:
        return RuleResult("partner", Verdict.PASS, Text(
            f"Reikalingas partneris iš {countries} – jį jau turite.",
            f"A partner from {countries} is required, and you have one."))
    return RuleResult("partner", Verdict.WARN, Text(
        f"Reikalingas partneris iš {countries}; centras gali jo paieškoti, kai sukursite paraišką.",
        f"A partner from {countries} is required; the centre can search for one once you create the application."))


def _days_to_next_deadline(call: CallFacts, today: date) -> int:
    for _, deadline in official_deadlines(call.first_stage_closes_on, call.closes_on):
        if deadline >= today:
            return (deadline - today).days
    return (call.closes_on - today).days


def _deadline(call: CallFacts, today: date, days_left: int) -> RuleResult:
    if days_left < 0:
        return RuleResult("deadline", Verdict.FAIL, Text(
            f"Paraiškų priėmimas baigėsi {call.closes_on.isoformat()}.",
            f"Applications closed on {call.closes_on.isoformat()}."))
    if call.first_stage_closes_on is not None and call.first_stage_closes_on < today:
        # A two-stage call: past the concept note deadline, the full application is by invitation only.
        first = call.first_stage_closes_on.isoformat()
        return RuleResult("deadline", Verdict.FAIL, Text(
            f"Pirmojo etapo (projekto idėjų) priėmimas baigėsi {first}; visą paraišką teikia tik pakviestieji.",
            f"The concept note stage closed on {first}; the full application is by invitation only."))
    stage = call.first_stage_closes_on is not None and call.first_stage_closes_on >= today
    which = Text("pirmojo etapo (koncepcijos) terminas", "first-stage (concept note) deadline") if stage else Text(
        "paraiškų pateikimo terminas", "application deadline")
    deadline = call.first_stage_closes_on if stage else call.closes_on
    left = text.days(days_left)
    if call.status == "forecast":
        opens = call.opens_on.isoformat() if call.opens_on else "?"
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
