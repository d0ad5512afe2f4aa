"""Consulting engagements: a municipality (or a group of them) asks the centre for help beyond a
grant application (an organisation development study, a strategy, a review of its services).

    requested → agreed → in_progress → closed
        ↘ declined

- The centre agrees the scope, assigns its consultant and sets the deliverables with due dates
  (`agreed`); or it declines the request with the reason (`declined`, final).
- Work begins with the first consultation logged against the engagement (`in_progress`).
- The engagement closes with its outcome: `achieved` needs every deliverable delivered;
  `partly_achieved` or `not_achieved` may leave some undelivered (`closed`, final).
- A deliverable is late when it is past due and not delivered, or was delivered after its due date.
- A reminder goes to the consultant and the municipality's contact 7 and 1 days before a
  deliverable is due (only the most urgent one not yet sent, as for application deadlines).

Plain Python: no session, no nameko.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from shared.errors import Conflict, RuleViolation


class EngagementStatus(str, Enum):
    REQUESTED = "requested"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    DECLINED = "declined"


S = EngagementStatus
STATUSES = tuple(s.value for s in EngagementStatus)
OPEN = (S.REQUESTED, S.AGREED, S.IN_PROGRESS)
# Deliverables are planned, delivered and consultations logged only while the work is on.
WORKING = (S.AGREED, S.IN_PROGRESS)
OUTCOMES = ("achieved", "partly_achieved", "not_achieved")
REMINDER_THRESHOLDS = (7, 1)
MAX_GROUP = 10  # municipalities in one engagement (the lead and up to nine more)
MAX_DELIVERABLES = 20


@dataclass(frozen=True)
class DeliverablePlan:
    title: str
    due_on: date


@dataclass(frozen=True)
class DeliverableState:
    title: str
    due_on: date
    delivered_on: date | None


def members(lead: str, others: list[str]) -> list[str]:
    """The municipalities of an engagement, lead first, each once; the group is bounded."""
    ordered = [lead] + [code for code in others if code != lead]
    if len(set(ordered)) != len(ordered):
        raise RuleViolation("a municipality is named twice in the group", field="group_municipality_codes")
    if len(ordered) > MAX_GROUP:
        raise RuleViolation(f"an engagement serves at most {MAX_GROUP} municipalities",
                            field="group_municipality_codes")
    return ordered


def _require(status: str, allowed: tuple[EngagementStatus, ...], action: str) -> None:
    if EngagementStatus(status) not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise Conflict(f"cannot {action} an engagement that is {status} (only one that is {names})",
                       code="engagement_status")


def check_agreement(status: str, agreed_on: date, requested_on: date, deliverables: list[DeliverablePlan]) -> None:
    """The centre agrees the scope once, on or after the request, with at least one deliverable
    due on or after the agreement."""
    _require(status, (S.REQUESTED,), "agree")
    if agreed_on < requested_on:
        raise RuleViolation("the agreement cannot come before the request", field="agreed_on")
    if not deliverables:
        raise RuleViolation("agree at least one deliverable", field="deliverables")
    check_deliverables(deliverables, agreed_on, 0)


def check_deliverables(deliverables: list[DeliverablePlan], agreed_on: date, already: int) -> None:
    if already + len(deliverables) > MAX_DELIVERABLES:
        raise RuleViolation(f"an engagement has at most {MAX_DELIVERABLES} deliverables", field="deliverables")
    for index, item in enumerate(deliverables):
        if item.due_on < agreed_on:
            raise RuleViolation("a deliverable falls due on or after the agreement",
                                field=f"deliverables.{index}.due_on")


def check_new_deliverable(status: str, plan: DeliverablePlan, agreed_on: date, already: int) -> None:
    _require(status, WORKING, "add a deliverable to")
    if already + 1 > MAX_DELIVERABLES:
        raise RuleViolation(f"an engagement has at most {MAX_DELIVERABLES} deliverables", field="title")
    if plan.due_on < agreed_on:
        raise RuleViolation("a deliverable falls due on or after the agreement", field="due_on")


def check_reassignment(status: str, current_email: str | None, new_email: str) -> None:
    """Another consultant takes over while the work is on (agreed or in progress)."""
    _require(status, WORKING, "assign a consultant to")
    if current_email is not None and current_email.lower() == new_email.lower():
        raise RuleViolation("this consultant is already assigned", field="email")


def check_decline(status: str) -> None:
    _require(status, (S.REQUESTED,), "decline")


def check_delivery(status: str, delivered_on: date, already_delivered: date | None, agreed_on: date,
                   today: date) -> None:
    _require(status, WORKING, "deliver for")
    if already_delivered is not None:
        raise Conflict(f"the deliverable was delivered on {already_delivered.isoformat()}", code="delivered")
    if delivered_on > today:
        raise RuleViolation("a deliverable is recorded once delivered, not ahead", field="delivered_on")
    if delivered_on < agreed_on:
        raise RuleViolation("a deliverable cannot be delivered before the agreement", field="delivered_on")


def status_after_consultation(status: str, held_on: date, agreed_on: date) -> str:
    """Consultations are logged while the work is on, held on or after the agreement; the first
    one starts the work."""
    _require(status, WORKING, "log a consultation on")
    if held_on < agreed_on:
        raise RuleViolation("a consultation of the engagement is held on or after its agreement", field="held_on")
    return S.IN_PROGRESS.value


def check_closure(status: str, outcome: str, closed_on: date, agreed_on: date, today: date,
                  deliverables: list[DeliverableState]) -> None:
    _require(status, (S.IN_PROGRESS,), "close")
    if closed_on > today:
        raise RuleViolation("an engagement is closed on or before today", field="closed_on")
    if closed_on < agreed_on:
        raise RuleViolation("an engagement cannot close before its agreement", field="closed_on")
    open_items = [d.title for d in deliverables if d.delivered_on is None]
    if outcome == "achieved" and open_items:
        raise RuleViolation("an engagement is achieved only with every deliverable delivered; not delivered: "
                            + ", ".join(open_items), field="outcome")


def is_late(due_on: date, delivered_on: date | None, today: date) -> bool:
    """Past due and not delivered, or delivered after its due date."""
    if delivered_on is not None:
        return delivered_on > due_on
    return today > due_on


def reminder_due(due_on: date, today: date, already_sent: set[int]) -> int | None:
    """The reminder (days before) due today for a deliverable not delivered, or None: the most
    urgent threshold reached and not yet sent (a timer that was down catches up with one)."""
    days_left = (due_on - today).days
    if days_left < 0:
        return None
    reached = [t for t in REMINDER_THRESHOLDS if t >= days_left]
    if not reached:
        return None
    threshold = min(reached)
    if any(sent <= threshold for sent in already_sent):
        return None
    return threshold


# ---------------------------------------------------------------- reports

@dataclass(frozen=True)
class EngagementFacts:
    municipality_codes: tuple[str, ...]
    theme: str
    consultant: str | None
    status: str
    deliverables: tuple[DeliverableState, ...]


@dataclass
class ReportRow:
    group: str
    engagements: int
    by_status: dict[str, int]
    open: int
    deliverables: int
    late_deliverables: int


UNASSIGNED = "unassigned"


def _groups(facts: EngagementFacts, group_by: str, visible: str | None) -> list[str]:
    if group_by == "municipality":
        # a group's engagement counts under each municipality it serves (one token sees its own row)
        return [c for c in facts.municipality_codes if visible is None or c == visible]
    if group_by == "theme":
        return [facts.theme]
    if group_by == "consultant":
        return [facts.consultant or UNASSIGNED]
    if group_by == "status":
        return [facts.status]
    raise ValueError(f"unknown grouping {group_by!r}")


def _row(group: str, items: list[EngagementFacts], today: date) -> ReportRow:
    by_status = dict.fromkeys(STATUSES, 0)
    for item in items:
        by_status[item.status] += 1
    deliverables = [d for item in items for d in item.deliverables]
    return ReportRow(group=group, engagements=len(items), by_status=by_status,
                     open=sum(1 for i in items if EngagementStatus(i.status) in OPEN),
                     deliverables=len(deliverables),
                     late_deliverables=sum(1 for d in deliverables if is_late(d.due_on, d.delivered_on, today)))


def report(facts: list[EngagementFacts], group_by: str, today: date,
           visible: str | None = None) -> tuple[list[ReportRow], ReportRow]:
    """Engagements counted per group (by status, open, deliverables, late ones), groups in name
    order, and the totals (each engagement once)."""
    grouped: dict[str, list[EngagementFacts]] = {}
    for item in facts:
        for group in _groups(item, group_by, visible):
            grouped.setdefault(group, []).append(item)
    rows = [_row(group, grouped[group], today) for group in sorted(grouped)]
    return rows, _row("total", facts, today)
