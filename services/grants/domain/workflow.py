"""An application's internal status workflow, from idea to completed project.

    idea → drafting → internal_review → submitted → awarded → contracted → completed
                          ↑      │                 ↘ rejected
                          └──────┘ (changes requested)
    withdrawn from any status before the contract (the municipality drops it or declines the grant)

`awarded`/`rejected` are reached only by recording the decision (amount, reasons, date) and
`completed` only by the final report (final cost beside the initial one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from enum import Enum

from services.grants.domain.budget import CENT
from services.grants.domain.text import eur, percent
from shared.errors import Conflict, Forbidden, RuleViolation


class Status(str, Enum):
    IDEA = "idea"
    DRAFTING = "drafting"
    INTERNAL_REVIEW = "internal_review"
    SUBMITTED = "submitted"
    AWARDED = "awarded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CONTRACTED = "contracted"
    COMPLETED = "completed"


TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.IDEA: (Status.DRAFTING, Status.WITHDRAWN),
    Status.DRAFTING: (Status.INTERNAL_REVIEW, Status.WITHDRAWN),
    Status.INTERNAL_REVIEW: (Status.DRAFTING, Status.SUBMITTED, Status.WITHDRAWN),
    Status.SUBMITTED: (Status.AWARDED, Status.REJECTED, Status.WITHDRAWN),
    Status.AWARDED: (Status.CONTRACTED, Status.WITHDRAWN),
    Status.CONTRACTED: (Status.COMPLETED,),
    Status.REJECTED: (),
    Status.WITHDRAWN: (),
    Status.COMPLETED: (),
}
BY_DECISION = (Status.AWARDED, Status.REJECTED)
BY_FINAL_REPORT = (Status.COMPLETED,)
INITIAL = (Status.IDEA, Status.DRAFTING)
# The budget, texts and internal deadline may change only while the application is being written.
EDITABLE = (Status.IDEA, Status.DRAFTING, Status.INTERNAL_REVIEW)
# Deadline reminders go out in these statuses and stop by themselves once submitted or withdrawn.
REMINDED = EDITABLE
SUCCESSFUL = (Status.AWARDED, Status.CONTRACTED, Status.COMPLETED)
DECIDED = SUCCESSFUL + (Status.REJECTED,)


@dataclass(frozen=True)
class SubmissionReadiness:
    missing_documents: tuple[str, ...]
    partner_required: bool
    partner_established: bool
    official_deadline: date
    today: date


def check_transition(current: Status, target: Status, *, via: str = "transition",
                     readiness: SubmissionReadiness | None = None, by_staff: bool = True) -> None:
    """Raise unless `current` → `target` is allowed; `via` is 'transition', 'decision' or 'final_report';
    `by_staff`: the centre moves it (only the centre passes its internal review)."""
    if target == current:
        raise Conflict(f"the application is already {current.value}", field="to", code="same_status")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        names = ", ".join(s.value for s in allowed) or "none: the application is closed"
        raise Conflict(f"an application that is {current.value} cannot become {target.value} (allowed: {names})",
                       field="to", code="invalid_transition")
    if target in BY_DECISION and via != "decision":
        raise RuleViolation(f"record the funder's decision (POST …/decision) to make the application {target.value}",
                            field="to")
    if target in BY_FINAL_REPORT and via != "final_report":
        raise RuleViolation("file the final report (POST …/final-report) to complete the application", field="to")
    if current == Status.INTERNAL_REVIEW and target == Status.SUBMITTED and not by_staff:
        raise Forbidden("the internal review is the centre's: its consultant passes it and submits the application",
                        field="to")
    if target == Status.SUBMITTED:
        check_ready_to_submit(readiness)


def check_ready_to_submit(readiness: SubmissionReadiness | None) -> None:
    if readiness is None:
        raise ValueError("submission needs the readiness facts")
    if readiness.today > readiness.official_deadline:
        raise RuleViolation(f"the official deadline passed on {readiness.official_deadline.isoformat()}", field="to")
    if readiness.missing_documents:
        raise RuleViolation("required documents are not ready: " + ", ".join(readiness.missing_documents),
                            field="checklist")
    if readiness.partner_required and not readiness.partner_established:
        raise RuleViolation("the call requires a foreign partner and no partnership is established yet",
                            field="partner")


def check_editable(current: Status) -> None:
    if current not in EDITABLE:
        raise Conflict(f"an application that is {current.value} can no longer be edited", field="status",
                       code="not_editable")


@dataclass(frozen=True)
class Decision:
    outcome: Status  # AWARDED or REJECTED
    decided_on: date
    awarded_grant_eur: Decimal | None


def check_decision(decision: Decision, *, requested_grant_eur: Decimal, submitted_on: date | None,
                   today: date) -> None:
    if decision.decided_on > today:
        raise RuleViolation("a decision cannot be dated in the future", field="decided_on")
    if submitted_on is not None and decision.decided_on < submitted_on:
        raise RuleViolation(f"the decision predates the submission ({submitted_on.isoformat()})", field="decided_on")
    if decision.outcome == Status.AWARDED:
        if not decision.awarded_grant_eur:
            raise RuleViolation("an award needs the awarded amount", field="awarded_grant_eur")
        if decision.awarded_grant_eur > requested_grant_eur:
            raise RuleViolation(f"the awarded amount exceeds the {requested_grant_eur} requested",
                                field="awarded_grant_eur")
    elif decision.awarded_grant_eur not in (None, Decimal("0")):
        raise RuleViolation("a rejection awards nothing", field="awarded_grant_eur")


@dataclass(frozen=True)
class FinalGrant:
    """What the final report settles: the grant the final cost allows (the call's funding rate of
    the final cost, never more than awarded), the grant kept and how much less than awarded it is."""

    ceiling_eur: Decimal
    final_grant_eur: Decimal
    reduction_eur: Decimal


def final_grant_ceiling(final_cost_eur: Decimal, awarded_grant_eur: Decimal,
                        max_funding_rate: Decimal | None) -> Decimal:
    """The most the funder pays on the final cost: its rate of it (rounded down to the cent), and
    never more than awarded."""
    ceiling = final_cost_eur
    if max_funding_rate is not None:
        ceiling = (final_cost_eur * max_funding_rate).quantize(CENT, rounding=ROUND_DOWN)
    return min(ceiling, awarded_grant_eur)


def check_final_report(*, final_cost_eur: Decimal, final_grant_eur: Decimal | None, awarded_grant_eur: Decimal,
                       max_funding_rate: Decimal | None, completed_on: date, decided_on: date | None,
                       today: date, starts_on: date | None = None) -> FinalGrant:
    """The call's funding rate applied to the final cost: a final grant above it is refused, saying
    by how much it must shrink; none given means the most allowed."""
    ceiling = final_grant_ceiling(final_cost_eur, awarded_grant_eur, max_funding_rate)
    if final_grant_eur is not None and final_grant_eur > ceiling:
        rate = f"{percent(max_funding_rate)} of" if max_funding_rate is not None else "at most"
        raise RuleViolation(
            f"the call funds {rate} the final cost {eur(final_cost_eur).en}, and {eur(awarded_grant_eur).en} was "
            f"awarded: the final grant is at most {eur(ceiling).en}, so {eur(final_grant_eur).en} must shrink by "
            f"{eur(final_grant_eur - ceiling).en}", field="final_grant_eur")
    if completed_on > today:
        raise RuleViolation("the completion date is in the future", field="completed_on")
    if decided_on is not None and completed_on < decided_on:
        raise RuleViolation(f"the project cannot end before the decision ({decided_on.isoformat()})",
                            field="completed_on")
    if starts_on is not None and completed_on < starts_on:
        raise RuleViolation(f"the project cannot end before its implementation started ({starts_on.isoformat()})",
                            field="completed_on")
    final = ceiling if final_grant_eur is None else final_grant_eur
    return FinalGrant(ceiling_eur=ceiling, final_grant_eur=final, reduction_eur=awarded_grant_eur - final)


# A required document counts as done when it is ready or does not apply to this application.
DOCUMENTS_DONE = ("ready", "not_applicable")
WAIVED = "not_applicable"


def check_checklist_change(status: str, note: str | None, *, by_staff: bool) -> None:
    """Only the centre's consultant waives a required document (marks it not applicable), and says why."""
    if status != WAIVED:
        return
    if not by_staff:
        raise Forbidden("only the centre's consultant may waive a required document", field="status")
    if not (note and note.strip()):
        raise RuleViolation("say why the document is waived (note)", field="note")


def missing_documents(checklist) -> tuple[str, ...]:
    """Codes of the required documents not done yet; `checklist` is (code, status) pairs in order."""
    return tuple(code for code, status in checklist if status not in DOCUMENTS_DONE)


def effective_date(target: Status, effective_on: date | None, *, today: date, decided_on: date | None) -> date:
    """The day a submission or contract takes effect: the one given (not in the future, and a
    contract not before the decision) or today."""
    if effective_on is not None:
        if target not in (Status.SUBMITTED, Status.CONTRACTED):
            raise RuleViolation("effective_on applies to submitted and contracted only", field="effective_on")
        if effective_on > today:
            raise RuleViolation("effective_on is in the future", field="effective_on")
    effective = effective_on or today
    if target == Status.CONTRACTED and decided_on and effective < decided_on:
        raise RuleViolation(f"the contract cannot predate the decision ({decided_on})", field="effective_on")
    return effective


def awarded_amount(decision: Decision) -> Decimal | None:
    """What the application keeps as awarded: the amount of an award, nothing for a rejection."""
    return decision.awarded_grant_eur if decision.outcome == Status.AWARDED else None


def check_consultation(held_on: date, follow_up_on: date | None, today: date) -> None:
    """A consultation is logged once held; its follow-up comes after it."""
    if held_on > today:
        raise RuleViolation("a consultation cannot be logged before it is held", field="held_on")
    if follow_up_on is not None and follow_up_on < held_on:
        raise RuleViolation("the follow-up comes after the consultation", field="follow_up_on")


def cost_change(initial: Decimal, final: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """Final minus initial cost, in euro and as a percentage of the initial cost (one decimal)."""
    if final is None:
        return None, None
    delta = final - initial
    return delta, (delta * 100 / initial).quantize(Decimal("0.1"))
