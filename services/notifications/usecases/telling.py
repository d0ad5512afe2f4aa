"""Telling an event: resolve the audiences to recipients, apply each one's preferences per
channel, and store one notification per (event, recipient, channel). Rendering and sending come
later, in the delivery loop (usecases/delivery.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from services.notifications.domain import ordering
from services.notifications.domain.preferences import Schedule, schedule, usable_channels, wants_call_alert
from services.notifications.domain.tellers import TELLERS, Audience, Teller
from services.notifications.metrics import NOTIFICATIONS_DELIVERED, UNTOLD_EVENTS
from services.notifications.models import Recipient
from services.notifications.repository import NotificationsRepository, interests_of, preferences_of
from shared.events.envelope import Envelope
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def tell_event(db: UnitOfWork, event, envelope: Envelope, *, service: str,
               wake: Callable[[], None]) -> dict[str, int] | None:
    """Every event of the other services: told to whom it concerns (the delivery loop is woken
    after the commit when something is to be sent), or counted and logged as untold (None).
    The caller (the @subscribe wrapper) commits."""
    teller = TELLERS.get(envelope.type)
    if teller is None:
        UNTOLD_EVENTS.labels(service, envelope.type).inc()
        log.info("no notification for %s", envelope.type, extra={"event_id": str(envelope.id)})
        return None
    if ordering.told_elsewhere(envelope.type, event, TELLERS):
        log.info("%s is told by its own event", envelope.type, extra={"event_id": str(envelope.id)})
        return {}
    counts = tell(NotificationsRepository(db), teller, event, envelope, utcnow())
    if counts.get("suppressed"):
        NOTIFICATIONS_DELIVERED.labels(service, "any", teller.template, "suppressed").inc(counts["suppressed"])
    if counts.get("pending"):
        db.after_commit(wake)
    return counts


def resolve(repo: NotificationsRepository, teller: Teller, event) -> list[Recipient]:
    found: dict = {}
    for audience in teller.audiences:
        for recipient in _audience(repo, audience, event):
            if recipient.erased_at is None:
                found.setdefault(recipient.id, recipient)
    return list(found.values())


def _audience(repo: NotificationsRepository, audience: Audience, event):
    if audience.kind in ("person", "contact"):
        who = getattr(event, audience.attribute, None)
        if who is not None:
            yield repo.person_from_event(email=who.email, name=who.name, language=who.language,
                                         municipality_code=getattr(who, "municipality_code", None))
    elif audience.kind == "role":
        municipality_code = getattr(event, audience.attribute or "municipality_code", None)
        if municipality_code:
            yield from repo.holders_of(audience.role, municipality_code)
    elif audience.kind == "call_subscribers":
        for recipient in repo.call_alert_subscribers():
            if wants_call_alert(interests_of(recipient), call_themes=event.themes, call_regions=event.eligible_regions,
                                call_applicant_types=event.eligible_applicant_types):
                yield recipient
    else:  # pragma: no cover - the tellers table is code
        raise ValueError(f"unknown audience {audience.kind}")


def in_order(repo: NotificationsRepository, family: str, envelope, recipient: Recipient, channel: str,
             plan: Schedule, now: datetime) -> Schedule:
    """Only the newest news about a subject goes out (domain/ordering.py): this event is dropped if
    a newer one about the same subject was told to this person, and drops the older ones still
    waiting (held for a digest, deferred by quiet hours)."""
    told = repo.told_about(envelope.subject, recipient.id, channel, ordering.event_types_of(family), but=envelope.id)
    newer = ordering.newer_than(envelope.time, told)
    if newer is not None:
        return Schedule("suppressed", now, ordering.superseded_reason(newer.event_type))
    stale = ordering.superseded(envelope.time, told)
    if stale:
        dropped = repo.supersede([t.id for t in stale], ordering.superseded_reason(envelope.type))
        log.info("%d earlier notification(s) superseded by %s", dropped, envelope.type,
                 extra={"event_id": str(envelope.id), "subject": envelope.subject})
    return plan


def channels_of(recipient: Recipient) -> list[str]:
    return usable_channels(recipient.channels, has_webhook=bool(recipient.webhook_url))


def tell(repo: NotificationsRepository, teller: Teller, event, envelope, now: datetime) -> dict[str, int]:
    """Store the notifications an event causes; returns how many per status (new ones only)."""
    rows = []
    family = ordering.family_of(envelope.type) if envelope.subject else None
    for recipient in resolve(repo, teller, event):
        preferences = preferences_of(recipient)
        for channel in channels_of(recipient):
            plan = schedule(preferences, channel=channel, category=teller.category, critical=teller.critical, now=now)
            if family is not None and plan.status != "suppressed":
                plan = in_order(repo, family, envelope, recipient, channel, plan, now)
            rows.append(repo.notification_row(
                envelope=envelope, recipient=recipient, channel=channel, template=teller.template,
                category=teller.category, critical=teller.critical, status=plan.status, send_at=plan.send_at,
                reason=plan.reason, now=now))
    repo.remember_event(envelope)
    repo.add_notifications(rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts
