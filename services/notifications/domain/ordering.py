"""One e-mail per piece of news, and the newest news per subject.

One piece of news, one e-mail: a funder's decision moves the application to awarded or rejected
(grants.application_status_changed) and is also grants.application_decided, with the amount and
the reasons; the status change to a decided status is therefore not told (`told_elsewhere`), and a
final report likewise (grants.final_report_filed).

Order per subject: what an enrolment's later news makes of its earlier, unsent news.

The events about one enrolment (confirmed, waitlisted, promoted, offered a seat, offer expired,
cancelled) each say where the person stands. Only the newest (by the event's time) is still true:

- a notification still waiting (held for the digest, deferred by quiet hours, or waiting for a
  retry) is dropped when a newer event about the same subject arrives for the same person and
  channel: a confirmation held until the morning must not follow the cancellation sent at night;
- an event that arrives after a newer one about the same subject was told (a redelivery, a retry
  from a dead-letter queue) is stale: it is stored suppressed and never sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

# The events of one family about one subject (the envelope's subject: the enrolment) each say where
# the person stands; only the newest is sent.
STATE_FAMILIES: dict[str, str] = {
    "enrollment.enrollment_confirmed": "enrolment",
    "enrollment.enrollment_waitlisted": "enrolment",
    "enrollment.enrollment_promoted": "enrolment",
    "enrollment.waitlist_offer_made": "enrolment",
    "enrollment.waitlist_offer_expired": "enrolment",
    "enrollment.enrollment_cancelled": "enrolment",
}

# An application's status change to these statuses comes with an event of its own that tells it.
STATUS_TOLD_BY = {
    "awarded": "grants.application_decided",
    "rejected": "grants.application_decided",
    "completed": "grants.final_report_filed",
}


def family_of(event_type: str) -> str | None:
    return STATE_FAMILIES.get(event_type)


def event_types_of(family: str) -> list[str]:
    return sorted(t for t, f in STATE_FAMILIES.items() if f == family)


def told_elsewhere(event_type: str, event, told_types) -> bool:
    """Whether this event's news is told by another event (one e-mail per decision): a status
    change to a status whose own event (`STATUS_TOLD_BY`) is told (`told_types`)."""
    if event_type != "grants.application_status_changed":
        return False
    if getattr(event, "from_status", None) == "submitted" and getattr(event, "to_status", None) == "drafting":
        # Only a two-stage call's concept note goes back to drafting once submitted: invited to the
        # full application, which grants.application_decided (outcome invited) tells.
        return "grants.application_decided" in told_types
    other = STATUS_TOLD_BY.get(getattr(event, "to_status", None))
    return other is not None and other in told_types


# Statuses of a notification that has not gone out and is not being sent right now.
WAITING = ("pending", "held")


@dataclass(frozen=True)
class Told:
    """A notification already stored about the same subject, for the same recipient and channel."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    event_time: datetime
    status: str


def newer_than(event_time: datetime, told: list[Told]) -> Told | None:
    """The newest notification told from an event later than this one, if any: then this event
    is stale and must not be sent."""
    newer = [t for t in told if t.event_time > event_time]
    return max(newer, key=lambda t: t.event_time) if newer else None


def superseded(event_time: datetime, told: list[Told]) -> list[Told]:
    """The earlier notifications this event makes stale that can still be stopped (not sent, not
    being sent)."""
    return [t for t in told if t.event_time < event_time and t.status in WAITING]


def superseded_reason(event_type: str) -> str:
    return f"superseded by {event_type}"
