"""Turning an event into notifications: resolve the audiences to recipients, apply each one's
preferences per channel, and store one notification per (event, recipient, channel)."""

from __future__ import annotations

from datetime import datetime

from services.notifications.domain.preferences import schedule, wants_call_alert
from services.notifications.models import Recipient
from services.notifications.store import NotificationStore, interests_of, preferences_of
from services.notifications.tellers import Audience, Teller


def resolve(store: NotificationStore, teller: Teller, event) -> list[Recipient]:
    found: dict = {}
    for audience in teller.audiences:
        for recipient in _audience(store, audience, event):
            if recipient.erased_at is None:
                found.setdefault(recipient.id, recipient)
    return list(found.values())


def _audience(store: NotificationStore, audience: Audience, event):
    if audience.kind in ("person", "contact"):
        who = getattr(event, audience.attribute, None)
        if who is not None:
            yield store.person_from_event(email=who.email, name=who.name, language=who.language,
                                          municipality_code=getattr(who, "municipality_code", None))
    elif audience.kind == "role":
        municipality_code = getattr(event, "municipality_code", None)
        if municipality_code:
            yield from store.holders_of(audience.role, municipality_code)
    elif audience.kind == "call_subscribers":
        for recipient in store.call_alert_subscribers():
            if wants_call_alert(interests_of(recipient), call_themes=event.themes, call_regions=event.eligible_regions,
                                call_applicant_types=event.eligible_applicant_types):
                yield recipient
    else:  # pragma: no cover - the tellers table is code
        raise ValueError(f"unknown audience {audience.kind}")


def channels_of(recipient: Recipient) -> list[str]:
    channels = [c for c in (recipient.channels or ["email"]) if c in ("email", "webhook")]
    return [c for c in channels if c != "webhook" or recipient.webhook_url]


def tell(store: NotificationStore, teller: Teller, event, envelope, now: datetime) -> dict[str, int]:
    """Store the notifications an event causes; returns how many per status (new ones only)."""
    rows = []
    for recipient in resolve(store, teller, event):
        preferences = preferences_of(recipient)
        for channel in channels_of(recipient):
            plan = schedule(preferences, channel=channel, category=teller.category, critical=teller.critical, now=now)
            rows.append(store.notification_row(
                envelope=envelope, recipient=recipient, channel=channel, template=teller.template,
                category=teller.category, critical=teller.critical, status=plan.status, send_at=plan.send_at,
                reason=plan.reason, now=now))
    store.remember_event(envelope)
    store.add_notifications(rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts
