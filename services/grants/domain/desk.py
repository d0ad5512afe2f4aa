"""The consultants' desk: what an application is waiting for next, the follow-up a consultation
asks for, and each consultant's workload ordered by it.

**Next deadline.** An open application (not rejected, withdrawn or completed) has, by status:

- being written (idea, drafting, internal review): its internal deadline and the funder's deadline
  of its stage (a two-stage call's concept note: the first-stage deadline; otherwise the official
  one), those not past, as the deadline reminders count them (domain/reminders.py);
- contracted: every interim or final report not submitted yet, **past ones included** (an overdue
  report is the most urgent thing on the desk);
- in any open status: the follow-up date of its latest consultation, from today on.

Payment claims carry no due date (the funder approves and pays them in its own time), so they set
no deadline. The next deadline is the earliest of these; on the same day the funder's come first
(final report, interim report, official, first stage), then the centre's (internal, follow-up).

**Follow-up.** Only the latest consultation's follow-up counts (latest by the day it was held, then
by when it was recorded): a newer consultation supersedes it, with its own follow-up or none. The
consultant is reminded on the follow-up day (once; a timer that was down catches up for
`FOLLOW_UP_GRACE_DAYS` days, then lets it go); the reminder stops when the application closes.
A follow-up is set in the future: after today, at most `MAX_FOLLOW_UP_DAYS` ahead.

**Workload.** Each consultant's open applications, by next deadline (none last), then the oldest
application first; per consultant the counts by status, those overdue (next deadline past) and
those due within `SOON_DAYS` days.

Plain Python: no session, no nameko.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable
from uuid import UUID

from services.grants.domain import reminders, stages
from services.grants.domain.workflow import REMINDED, Status
from shared.errors import RuleViolation

CLOSED = (Status.REJECTED, Status.WITHDRAWN, Status.COMPLETED)
OPEN = tuple(s for s in Status if s not in CLOSED)
MAX_FOLLOW_UP_DAYS = 366
FOLLOW_UP_GRACE_DAYS = 3
SOON_DAYS = 7
# On the same day: the funder's deadlines before the centre's.
KIND_ORDER = ("final_report", "interim_report", "official", "first_stage", "internal", "follow_up")
KINDS = KIND_ORDER


@dataclass(frozen=True)
class Due:
    kind: str  # one of KINDS
    on: date

    def sort_key(self) -> tuple[date, int]:
        return self.on, KIND_ORDER.index(self.kind)


@dataclass(frozen=True)
class ReportDue:
    kind: str  # interim | final
    due_on: date
    submitted_on: date | None = None


@dataclass(frozen=True)
class ConsultationMark:
    """What the follow-up rule needs of a consultation."""

    id: UUID
    held_on: date
    recorded_at: datetime
    follow_up_on: date | None


@dataclass(frozen=True)
class ApplicationDates:
    """What the next-deadline rule needs of an application."""

    status: str
    stage: str | None
    internal: date | None
    first_stage: date | None
    official: date
    reports: tuple[ReportDue, ...] = ()
    follow_up: date | None = None


def check_follow_up(follow_up_on: date | None, today: date) -> None:
    """A follow-up is set in the future, within MAX_FOLLOW_UP_DAYS (422 naming follow_up_on)."""
    if follow_up_on is None:
        return
    if follow_up_on <= today:
        raise RuleViolation("the follow-up date must be in the future (after today)", field="follow_up_on")
    if follow_up_on > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise RuleViolation(f"the follow-up date may be at most {MAX_FOLLOW_UP_DAYS} days ahead",
                            field="follow_up_on")


def latest(consultations: Iterable[ConsultationMark]) -> ConsultationMark | None:
    """The consultation that supersedes the others: the latest held, then the latest recorded."""
    return max(consultations, key=lambda c: (c.held_on, c.recorded_at, str(c.id)), default=None)


def follow_up_due(follow_up_on: date | None, today: date) -> bool:
    """The follow-up reminder goes out on the day (or up to FOLLOW_UP_GRACE_DAYS late, once)."""
    return follow_up_on is not None and 0 <= (today - follow_up_on).days <= FOLLOW_UP_GRACE_DAYS


def is_open(status: str) -> bool:
    return Status(status) not in CLOSED


def open_deadlines(facts: ApplicationDates, today: date) -> list[Due]:
    """The application's deadlines still to meet, soonest first (see the module's docstring)."""
    status = Status(facts.status)
    if status in CLOSED:
        return []
    found: list[Due] = []
    if status in REMINDED:
        kinds = stages.reminded_kinds(facts.stage) if facts.stage else None
        found += [Due(d.kind, d.on) for d in reminders.deadlines(facts.internal, facts.first_stage, facts.official,
                                                                 today)
                  if kinds is None or d.kind in kinds]
    if status == Status.CONTRACTED:
        found += [Due(f"{r.kind}_report", r.due_on) for r in facts.reports if r.submitted_on is None]
    if facts.follow_up is not None and facts.follow_up >= today:
        found.append(Due("follow_up", facts.follow_up))
    return sorted(found, key=Due.sort_key)


def next_deadline(facts: ApplicationDates, today: date) -> Due | None:
    found = open_deadlines(facts, today)
    return found[0] if found else None


def deadline_sort_value(due: Due | None) -> str:
    """The text the list's `deadline` sort compares (and its cursor carries): the day and the kind's
    rank, ISO so text order is date order; no deadline sorts last."""
    if due is None:
        return "9999-12-31/9"
    return f"{due.on.isoformat()}/{KIND_ORDER.index(due.kind)}"


def in_range(due: Due | None, start: date | None, end: date | None) -> bool:
    """Whether the next deadline falls within [start, end] (no bound: open); an application without a
    next deadline is outside any range that has a bound."""
    if start is None and end is None:
        return True
    if due is None:
        return False
    return (start is None or due.on >= start) and (end is None or due.on <= end)


# ---------------------------------------------------------------- workload

@dataclass(frozen=True)
class DeskItem:
    """One open application on a desk."""

    id: UUID
    consultant_email: str | None
    consultant_name: str | None
    status: str
    created_at: datetime
    due: Due | None


@dataclass
class Desk:
    consultant_email: str | None  # None: open applications no consultant has yet
    consultant_name: str | None
    items: list[DeskItem] = field(default_factory=list)
    by_status: Counter = field(default_factory=Counter)
    overdue: int = 0
    due_soon: int = 0

    @property
    def open(self) -> int:
        return sum(self.by_status.values())


def item_order(item: DeskItem) -> tuple:
    """By next deadline (none last), then the oldest application first."""
    due = item.due.sort_key() if item.due else (date.max, len(KIND_ORDER))
    return due, item.created_at, str(item.id)


def workload(items: Iterable[DeskItem], today: date) -> list[Desk]:
    """One desk per consultant (by e-mail, case-insensitive; the name on their most urgent
    application), then the unassigned; each desk's items by `item_order` with its counts. Desks by the
    consultant's name, then e-mail."""
    desks: dict[str | None, Desk] = {}
    for item in sorted(items, key=item_order):
        key = item.consultant_email.lower() if item.consultant_email else None
        desk = desks.get(key)
        if desk is None:
            desk = desks[key] = Desk(key, item.consultant_name)
        desk.items.append(item)
        desk.by_status[item.status] += 1
        if item.due is not None and item.due.on < today:
            desk.overdue += 1
        elif item.due is not None and (item.due.on - today).days <= SOON_DAYS:
            desk.due_soon += 1
    named = sorted((d for k, d in desks.items() if k is not None),
                   key=lambda d: ((d.consultant_name or "").casefold(), d.consultant_email))
    return named + ([desks[None]] if None in desks else [])
