"""Deadline reminders at 14, 7 and 1 days before an application's internal and official deadlines.

Only the most urgent reminder not yet sent goes out: an application created 5 days before a
deadline gets the 7-day reminder, not the 14-day one as well, and a timer that was down for a
while catches up with one reminder, not a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.grants.domain.rules import official_deadlines

THRESHOLDS = (14, 7, 1)


@dataclass(frozen=True)
class Deadline:
    kind: str  # internal | first_stage | official
    on: date


def deadlines(internal: date | None, first_stage: date | None, official: date, today: date) -> list[Deadline]:
    """The application's deadlines that are not past."""
    found = [Deadline("internal", internal)] if internal else []
    found += [Deadline(kind, on) for kind, on in official_deadlines(first_stage, official)]
    return [d for d in found if d.on >= today]


def due_threshold(deadline: date, today: date, already_sent: set[int]) -> int | None:
    """The reminder (days before) due today for this deadline, or None."""
    days_left = (deadline - today).days
    if days_left < 0:
        return None
    reached = [t for t in THRESHOLDS if t >= days_left]
    if not reached:
        return None
    threshold = min(reached)
    if any(sent <= threshold for sent in already_sent):
        return None  # this one, or a more urgent one, has gone out already
    return threshold
