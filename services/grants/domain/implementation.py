"""After the contract: the implementation period, its reporting deadlines (interim and final), the
municipality's payment claims and the amendments of the budget or the end date. Plain rules on
plain values; the use cases (usecases/implementation.py) load and store.

    plan:        starts_on ≤ ends_on; interim reports due within the period, in order; one final
                 report due on or after the end; the plan is set once, while contracted
    payment:     submitted → approved → paid (an approval may lower the amount); a claim asks at
                 most the funding rate of the eligible costs it declares, and all claims together
                 (the approved or paid amount once known) stay within the contract's grant
    amendment:   a new end date (the final report deadline moves with it) and/or a new budget (total
                 and grant within the call's rate and range, not below what has been claimed)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from services.grants.domain.budget import CENT, GrantLimits, max_grant_for
from services.grants.domain.text import eur, percent
from shared.errors import Conflict, RuleViolation

REPORT_KINDS = ("interim", "final")
CLAIM_STATUSES = ("submitted", "approved", "paid")
CLAIM_CHANGES = {"submitted": ("approved",), "approved": ("paid",), "paid": ()}
# A project has at most this many interim reports (bounded input).
MAX_INTERIM_REPORTS = 24


@dataclass(frozen=True)
class PlannedReport:
    kind: str
    due_on: date


def check_plan(starts_on: date, ends_on: date, interim_due: list[date], final_due: date,
               contracted_on: date | None) -> list[PlannedReport]:
    """The reporting deadlines of an implementation period, in order (interim ones, then the final)."""
    if ends_on < starts_on:
        raise RuleViolation("the project must end on or after its start", field="ends_on")
    if contracted_on is not None and ends_on < contracted_on:
        raise RuleViolation(f"the project cannot end before its contract ({contracted_on.isoformat()})",
                            field="ends_on")
    if len(set(interim_due)) != len(interim_due):
        raise RuleViolation("two interim reports are due the same day", field="interim_reports_due")
    for n, due in enumerate(sorted(interim_due)):
        if not starts_on < due <= ends_on:
            raise RuleViolation(f"interim report due {due.isoformat()} is outside the implementation period "
                                f"({starts_on.isoformat()} – {ends_on.isoformat()})", field=f"interim_reports_due.{n}")
    if final_due < ends_on:
        raise RuleViolation(f"the final report is due on or after the end of the project ({ends_on.isoformat()})",
                            field="final_report_due")
    return [PlannedReport("interim", d) for d in sorted(interim_due)] + [PlannedReport("final", final_due)]


def check_report_submission(kind: str, due_on: date, submitted_on: date | None, submitted_on_new: date,
                            starts_on: date, today: date) -> None:
    if submitted_on is not None:
        raise Conflict(f"the {kind} report due {due_on.isoformat()} was submitted on {submitted_on.isoformat()}",
                       field="report_id", code="already_submitted")
    if submitted_on_new > today:
        raise RuleViolation("a report cannot be submitted in the future", field="submitted_on")
    if submitted_on_new < starts_on:
        raise RuleViolation(f"the report predates the project's start ({starts_on.isoformat()})", field="submitted_on")


# ---------------------------------------------------------------- payment claims

@dataclass(frozen=True)
class ClaimFacts:
    status: str
    amount_eur: Decimal
    approved_amount_eur: Decimal | None

    @property
    def counted_eur(self) -> Decimal:
        """What the claim takes from the grant: the amount approved once known, else the amount asked."""
        return self.approved_amount_eur if self.approved_amount_eur is not None else self.amount_eur


def claim_ceiling(eligible_costs_eur: Decimal, max_funding_rate: Decimal | None) -> Decimal:
    """The most a claim may ask for the eligible costs it declares: the call's funding rate of them."""
    if max_funding_rate is None:
        return eligible_costs_eur
    return (eligible_costs_eur * max_funding_rate).quantize(CENT, rounding=ROUND_DOWN)


def check_new_claim(*, amount_eur: Decimal, eligible_costs_eur: Decimal, max_funding_rate: Decimal | None,
                    grant_eur: Decimal, earlier: list[ClaimFacts], submitted_on: date, starts_on: date,
                    today: date) -> None:
    """A payment claim: within the rate of the eligible costs it declares, and, with the earlier
    claims, within the contract's grant."""
    if submitted_on > today:
        raise RuleViolation("a claim cannot be submitted in the future", field="submitted_on")
    if submitted_on < starts_on:
        raise RuleViolation(f"the claim predates the project's start ({starts_on.isoformat()})", field="submitted_on")
    ceiling = claim_ceiling(eligible_costs_eur, max_funding_rate)
    if amount_eur > ceiling:
        rate = percent(max_funding_rate) if max_funding_rate is not None else "100 %"
        raise RuleViolation(f"the call funds {rate} of eligible costs: of {eur(eligible_costs_eur).en} declared the "
                            f"claim may ask at most {eur(ceiling).en}", field="amount_eur")
    claimed = sum((c.counted_eur for c in earlier), Decimal("0"))
    if claimed + amount_eur > grant_eur:
        raise RuleViolation(f"{eur(claimed).en} is already claimed of the {eur(grant_eur).en} grant: this claim may "
                            f"ask at most {eur(max(grant_eur - claimed, Decimal('0'))).en}", field="amount_eur")


def check_claim_change(current: str, target: str, *, amount_eur: Decimal, approved_amount_eur: Decimal | None,
                       on: date, previous_on: date, today: date) -> None:
    """submitted → approved (at most the amount asked) → paid; dated, not in the future, in order."""
    if target == current:
        raise Conflict(f"the claim is already {current}", field="status", code="same_status")
    if target not in CLAIM_CHANGES[current]:
        allowed = ", ".join(CLAIM_CHANGES[current]) or "none: the claim is paid"
        raise Conflict(f"a claim that is {current} cannot become {target} (allowed: {allowed})", field="status",
                       code="invalid_transition")
    if on > today:
        raise RuleViolation("the date is in the future", field="on")
    if on < previous_on:
        raise RuleViolation(f"the claim cannot be {target} before {previous_on.isoformat()}", field="on")
    if approved_amount_eur is not None:
        if target != "approved":
            raise RuleViolation("approved_amount_eur is given with the approval only", field="approved_amount_eur")
        if approved_amount_eur > amount_eur:
            raise RuleViolation(f"the approved amount exceeds the {eur(amount_eur).en} claimed",
                                field="approved_amount_eur")


# ---------------------------------------------------------------- amendments

@dataclass(frozen=True)
class ContractTerms:
    total_eligible_cost_eur: Decimal
    grant_eur: Decimal
    ends_on: date


def check_amendment(current: ContractTerms, *, total_eligible_cost_eur: Decimal | None, grant_eur: Decimal | None,
                    ends_on: date | None, starts_on: date, limits: GrantLimits, claimed_eur: Decimal,
                    reported_final: bool) -> ContractTerms:
    """The contract's new terms: something must change; the grant within the call's rate and range
    of the new total, and not below what has been claimed; the end not before the start, nor moved
    once the final report is in."""
    new = ContractTerms(total_eligible_cost_eur if total_eligible_cost_eur is not None else current.total_eligible_cost_eur,
                        grant_eur if grant_eur is not None else current.grant_eur,
                        ends_on if ends_on is not None else current.ends_on)
    if new == current:
        raise RuleViolation("the amendment changes nothing: give a new total_eligible_cost_eur, grant_eur or ends_on",
                            field="body")
    if new.ends_on != current.ends_on:
        if new.ends_on < starts_on:
            raise RuleViolation(f"the project cannot end before its start ({starts_on.isoformat()})", field="ends_on")
        if reported_final:
            raise Conflict("the final report is in: the end date no longer moves", field="ends_on",
                           code="final_report_submitted")
    if new.grant_eur > new.total_eligible_cost_eur:
        raise RuleViolation("the grant exceeds the total eligible cost", field="grant_eur")
    most = max_grant_for(new.total_eligible_cost_eur, GrantLimits(None, limits.max_grant_eur, limits.max_funding_rate))
    if new.grant_eur > most:
        rate = percent(limits.max_funding_rate) if limits.max_funding_rate is not None else "100 %"
        raise RuleViolation(f"the call funds at most {rate} of eligible cost (and {eur(limits.max_grant_eur).en}): "
                            f"of {eur(new.total_eligible_cost_eur).en} at most {eur(most).en}", field="grant_eur")
    if new.grant_eur < claimed_eur:
        raise RuleViolation(f"{eur(claimed_eur).en} has already been claimed: the grant cannot go below it",
                            field="grant_eur")
    return new


def shifted(due_on: date, old_end: date, new_end: date) -> date:
    """A report deadline tied to the end of the project moves with it."""
    return due_on + (new_end - old_end)
