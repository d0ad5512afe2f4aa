"""What a delivery attempt leads to, and how far an event's notifications have got."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notifications.domain.identity import retry_delay

MAX_ATTEMPTS = 6
UNFINISHED = ("pending", "sending", "failed")


@dataclass(frozen=True)
class AfterFailure:
    """`failed` for good (with `bounced`: the address refused, no more e-mail to it), or
    `retrying` at `retry_at`."""

    outcome: str
    bounced: bool = False
    retry_at: datetime | None = None


def after_failure(*, permanent: bool, channel: str, attempts: int, now: datetime,
                  max_attempts: int = MAX_ATTEMPTS) -> AfterFailure:
    """A refused address is a bounce (e-mail only); a permanent refusal or the last attempt fails
    the notification; anything else is retried with backoff."""
    bounced = permanent and channel == "email"
    if permanent or attempts >= max_attempts:
        return AfterFailure("failed", bounced=bounced)
    return AfterFailure("retrying", retry_at=now + timedelta(seconds=retry_delay(attempts)))


def count_by_status(statuses: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def complete(counts: dict[str, int]) -> bool:
    """An event's notifications are complete when none waits to be sent or has failed."""
    return not any(counts.get(status) for status in UNFINISHED)


def resendable(status: str) -> bool:
    """Only a failed notification is sent again on an operator's request."""
    return status == "failed"
