"""An application's budget against its call's rules: grant range and maximum funding rate, from
which the own contribution the municipality must find follows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from services.grants.domain.text import eur, percent
from shared.errors import RuleViolation

CENT = Decimal("0.01")


@dataclass(frozen=True)
class GrantLimits:
    min_grant_eur: Decimal | None
    max_grant_eur: Decimal | None
    max_funding_rate: Decimal | None


@dataclass(frozen=True)
class Budget:
    total_eligible_cost_eur: Decimal
    requested_grant_eur: Decimal
    own_contribution_eur: Decimal

    @property
    def funding_rate(self) -> Decimal:
        return self.requested_grant_eur / self.total_eligible_cost_eur


def complete_budget(total: Decimal, requested: Decimal, own: Decimal | None) -> Budget:
    """The own contribution defaults to what the grant leaves uncovered."""
    return Budget(total, requested, total - requested if own is None else own)


def max_grant_for(total: Decimal, limits: GrantLimits) -> Decimal:
    """The largest grant the call gives for this eligible cost (rate cap, then amount cap)."""
    grant = total
    if limits.max_funding_rate is not None:
        grant = (total * limits.max_funding_rate).quantize(CENT, rounding=ROUND_DOWN)
    if limits.max_grant_eur is not None:
        grant = min(grant, limits.max_grant_eur)
    return grant


def min_own_contribution(total: Decimal, limits: GrantLimits) -> Decimal:
    if limits.max_funding_rate is None:
        return Decimal("0.00")
    return (total * (1 - limits.max_funding_rate)).quantize(CENT, rounding=ROUND_UP)


def check_budget(budget: Budget, limits: GrantLimits) -> None:
    """Raise RuleViolation naming the budget field at fault, with the figures that would pass."""
    total, requested, own = budget.total_eligible_cost_eur, budget.requested_grant_eur, budget.own_contribution_eur
    if requested > total:
        raise RuleViolation(f"the requested grant {eur(requested).en} exceeds the total eligible cost {eur(total).en}",
                            field="budget.requested_grant_eur")
    if requested + own != total:
        raise RuleViolation(
            f"grant {eur(requested).en} + own contribution {eur(own).en} must equal the total eligible cost "
            f"{eur(total).en}; the own contribution would be {eur(total - requested).en}",
            field="budget.own_contribution_eur")
    if limits.min_grant_eur is not None and requested < limits.min_grant_eur:
        raise RuleViolation(f"the call's minimum grant is {eur(limits.min_grant_eur).en}; {eur(requested).en} requested",
                            field="budget.requested_grant_eur")
    if limits.max_grant_eur is not None and requested > limits.max_grant_eur:
        raise RuleViolation(f"the call's maximum grant is {eur(limits.max_grant_eur).en}; {eur(requested).en} requested",
                            field="budget.requested_grant_eur")
    if limits.max_funding_rate is not None and requested > max_grant_for(total, limits):
        raise RuleViolation(
            f"the call funds at most {percent(limits.max_funding_rate)} of eligible cost: at most "
            f"{eur(max_grant_for(total, limits)).en} of {eur(total).en}, with an own contribution of at least "
            f"{eur(min_own_contribution(total, limits)).en}", field="budget.requested_grant_eur")
