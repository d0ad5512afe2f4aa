"""Joint applications: a group of municipalities applies together (seed 003: the centre prepares
"programmes and projects for municipalities or groups of them").

The application's municipality is the **lead**; up to `MAX_PARTNERS` **partner municipalities**
join it. The partnership divides the application's budget into parts, one per municipality (the
lead's included), each with its budget share (its part of the total eligible cost) and its own
contribution (what it finds itself; the rest of its share is its part of the grant).

Rules:

- partners are valid municipality codes (the schema), each named once, the lead is not one of
  them, and each is a municipality the call is open to (its applicant types and regions);
- each part: a share above zero, an own contribution not above the share, and at least the call's
  minimum own contribution of that share (the call's maximum funding rate applies to every part:
  own ≥ share × (1 − rate), rounded up to the cent, as for the whole budget);
- the parts' shares add up to the application's total eligible cost and their own contributions
  to the application's own contribution (so the parts' grants add up to the grant requested);
- the partnership changes only while the application is in preparation (idea, drafting, internal
  review): afterwards 409;
- the lead and the centre's staff change the partnership (the route's tenancy: a partner gets 403);
  a partner answers only for its own part (confirmed or declined); the lead's part needs no answer;
- a partner confirms the figures it saw: a confirmation naming other figures than its part's is
  409 (the lead changed them meanwhile); a change of a partner's figures sets its answer back to
  pending (it must confirm again); figures unchanged keep the answer;
- submission (any stage) needs the parts to add up to the budget as it is then, every part within
  the call's rate, and every partner confirmed.

A budget change of the application (PATCH) is not refused when a partnership exists: the parts
then no longer add up, the partnership shows `balanced: false`, and submission waits until the
lead sets the parts again.

Reports count each municipality's share of a joint application (`apportion`): the grant amounts
(requested, awarded, final grant, paid) in proportion to each part's grant, the final cost in
proportion to each part's share, to the cent, the parts adding up exactly to the application's.

Plain Python: no session, no nameko.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import Enum

from services.grants.domain.budget import CENT
from services.grants.domain.reports import ApplicationFacts
from services.grants.domain.text import eur, percent
from services.grants.domain.workflow import EDITABLE, Status
from shared.errors import Conflict, RuleViolation

MAX_PARTNERS = 9  # the lead and up to nine partner municipalities
ZERO = Decimal("0.00")


class Answer(str, Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


ANSWERS = tuple(a.value for a in Answer)
PREPARATION = EDITABLE  # idea, drafting, internal_review


@dataclass(frozen=True)
class Part:
    """One municipality's part of a joint application's budget."""

    municipality_code: str
    budget_share_eur: Decimal
    own_contribution_eur: Decimal

    @property
    def grant_share_eur(self) -> Decimal:
        return self.budget_share_eur - self.own_contribution_eur


def min_own_contribution(share: Decimal, max_funding_rate: Decimal | None) -> Decimal:
    """The least a part's own contribution may be under the call's maximum funding rate."""
    if max_funding_rate is None:
        return ZERO
    return (share * (1 - max_funding_rate)).quantize(CENT, rounding=ROUND_UP)


def check_preparation(status: str) -> None:
    if Status(status) not in PREPARATION:
        raise Conflict(f"the partnership of an application that is {status} can no longer change (only while it "
                       f"is in preparation: idea, drafting or internal review)", field="status",
                       code="partnership_closed")


def _check_part(part: Part, field: str, max_funding_rate: Decimal | None) -> None:
    if part.budget_share_eur <= 0:
        raise RuleViolation("a part's budget share is above zero", field=f"{field}.budget_share_eur")
    if part.own_contribution_eur < 0:
        raise RuleViolation("an own contribution is not negative", field=f"{field}.own_contribution_eur")
    if part.own_contribution_eur > part.budget_share_eur:
        raise RuleViolation(f"the own contribution {eur(part.own_contribution_eur).en} exceeds the budget share "
                            f"{eur(part.budget_share_eur).en}", field=f"{field}.own_contribution_eur")
    least = min_own_contribution(part.budget_share_eur, max_funding_rate)
    if part.own_contribution_eur < least:
        raise RuleViolation(
            f"the call funds at most {percent(max_funding_rate)} of eligible cost: a budget share of "
            f"{eur(part.budget_share_eur).en} needs an own contribution of at least {eur(least).en}, "
            f"{eur(part.own_contribution_eur).en} given", field=f"{field}.own_contribution_eur")


def _check_sums(lead: Part, partners: list[Part], total: Decimal, own: Decimal, field: str) -> None:
    parts = [lead, *partners]
    shares = sum((p.budget_share_eur for p in parts), ZERO)
    if shares != total:
        lead_would_be = total - sum((p.budget_share_eur for p in partners), ZERO)
        raise RuleViolation(
            f"the parts' budget shares add up to {eur(shares).en}; the application's total eligible cost is "
            f"{eur(total).en} (with these partners' shares the lead's would be {eur(lead_would_be).en})",
            field=field)
    owns = sum((p.own_contribution_eur for p in parts), ZERO)
    if owns != own:
        raise RuleViolation(
            f"the parts' own contributions add up to {eur(owns).en}; the application's own contribution is "
            f"{eur(own).en}", field=field)


def check_partnership(*, status: str, lead: Part, partners: list[Part], total_eligible_cost_eur: Decimal,
                      own_contribution_eur: Decimal, max_funding_rate: Decimal | None,
                      eligible: set[str] | None = None) -> None:
    """`eligible`: the municipalities the call is open to (None: not checked). The partnership the lead (or the centre) sets: see the module docstring. Fields are those of
    the request body (`lead`, `partners.<i>.*`)."""
    check_preparation(status)
    if len(partners) > MAX_PARTNERS:
        raise RuleViolation(f"a joint application has at most {MAX_PARTNERS} partner municipalities",
                            field="partners")
    seen: set[str] = set()
    for index, part in enumerate(partners):
        if part.municipality_code == lead.municipality_code:
            raise RuleViolation(f"municipality {part.municipality_code} leads the application and cannot also be "
                                f"its partner", field=f"partners.{index}.municipality_code")
        if part.municipality_code in seen:
            raise RuleViolation(f"municipality {part.municipality_code} is named twice",
                                field=f"partners.{index}.municipality_code")
        if eligible is not None and part.municipality_code not in eligible:
            raise RuleViolation(f"the call is not open to municipality {part.municipality_code} (its applicant types "
                                f"or regions)", field=f"partners.{index}.municipality_code")
        seen.add(part.municipality_code)
    _check_part(lead, "lead", max_funding_rate)
    for index, part in enumerate(partners):
        _check_part(part, f"partners.{index}", max_funding_rate)
    if partners:
        _check_sums(lead, partners, total_eligible_cost_eur, own_contribution_eur, "partners")


def answer_after_change(previous: Part | None, current: Part, answer: str | None) -> str:
    """A partner's answer once the partnership is set again: kept when its figures did not change,
    pending when it is new or its figures changed."""
    if previous is None or answer is None:
        return Answer.PENDING.value
    same = (previous.budget_share_eur == current.budget_share_eur
            and previous.own_contribution_eur == current.own_contribution_eur)
    return answer if same else Answer.PENDING.value


def check_answer(*, status: str, part: Part, current_answer: str, answer: str,
                 budget_share_eur: Decimal | None, own_contribution_eur: Decimal | None) -> None:
    """A partner confirms its part (naming the figures it confirms) or declines it."""
    check_preparation(status)
    if answer == current_answer:
        raise Conflict(f"municipality {part.municipality_code} has already {answer} its part", field="answer",
                       code="same_answer")
    if answer != Answer.CONFIRMED.value:
        return
    if budget_share_eur is None:
        raise RuleViolation("a confirmation names the budget share it confirms", field="budget_share_eur")
    if own_contribution_eur is None:
        raise RuleViolation("a confirmation names the own contribution it confirms", field="own_contribution_eur")
    if (budget_share_eur, own_contribution_eur) != (part.budget_share_eur, part.own_contribution_eur):
        raise Conflict(
            f"municipality {part.municipality_code}'s part is now a budget share of {eur(part.budget_share_eur).en} "
            f"with an own contribution of {eur(part.own_contribution_eur).en}, not "
            f"{eur(budget_share_eur).en} with {eur(own_contribution_eur).en}: confirm the part as it is",
            field="budget_share_eur", code="part_changed")


@dataclass(frozen=True)
class PartnershipState:
    lead: Part
    partners: tuple[Part, ...]
    answers: dict[str, str]  # partner code -> answer


def balanced(state: PartnershipState, total: Decimal, own: Decimal) -> bool:
    parts = (state.lead, *state.partners)
    return (sum((p.budget_share_eur for p in parts), ZERO) == total
            and sum((p.own_contribution_eur for p in parts), ZERO) == own)


def check_ready_to_submit(state: PartnershipState | None, *, total_eligible_cost_eur: Decimal,
                          own_contribution_eur: Decimal, max_funding_rate: Decimal | None) -> None:
    """Submission of a joint application: the parts add up to the budget as it is now, each within
    the call's rate, and every partner has confirmed its part (field `partnership`)."""
    if state is None or not state.partners:
        return
    _check_sums(state.lead, list(state.partners), total_eligible_cost_eur, own_contribution_eur, "partnership")
    for part in (state.lead, *state.partners):
        try:
            _check_part(part, "partnership", max_funding_rate)
        except RuleViolation as violation:
            raise RuleViolation(f"municipality {part.municipality_code}: {violation.detail}",
                                field="partnership") from None
    waiting = [p.municipality_code for p in state.partners if state.answers.get(p.municipality_code) != "confirmed"]
    if waiting:
        declined = [c for c in waiting if state.answers.get(c) == Answer.DECLINED.value]
        detail = "every partner municipality confirms its part before submission; not confirmed: " + ", ".join(waiting)
        if declined:
            detail += f" (declined: {', '.join(declined)}: change the partnership)"
        raise RuleViolation(detail, field="partnership")


# ---------------------------------------------------------------- reports: each municipality's share

def apportion(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` divided in proportion to `weights`, to the cent, adding up exactly to `amount`
    (largest remainders get the leftover cents; ties to the earlier weight). Equal parts when the
    weights are all zero."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [amount * w / total for w in weights]
    floors = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int(((amount - sum(floors, Decimal(0))) / CENT).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += CENT
    return floors


def shares_of(facts: ApplicationFacts, parts: list[Part]) -> list[ApplicationFacts]:
    """A joint application's facts as each municipality's share (the lead's part first): the grant
    amounts in proportion to each part's grant, the final cost to each part's share; counts (one
    application, its status) under each."""
    grants = [p.grant_share_eur for p in parts]
    shares = [p.budget_share_eur for p in parts]
    requested = apportion(facts.requested_grant_eur, grants)
    awarded = apportion(facts.awarded_grant_eur, grants) if facts.awarded_grant_eur is not None else None
    final_cost = apportion(facts.final_cost_eur, shares) if facts.final_cost_eur is not None else None
    final_grant = apportion(facts.final_grant_eur, grants) if facts.final_grant_eur is not None else None
    paid = apportion(facts.paid_eur, grants)
    return [replace(facts, municipality_code=part.municipality_code, requested_grant_eur=requested[i],
                    awarded_grant_eur=awarded[i] if awarded is not None else None,
                    final_cost_eur=final_cost[i] if final_cost is not None else None,
                    final_grant_eur=final_grant[i] if final_grant is not None else None, paid_eur=paid[i])
            for i, part in enumerate(parts)]
