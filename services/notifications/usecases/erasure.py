"""Forgetting a person (privacy.erasure_requested): pseudonymise the recipient, stop what was
waiting to be sent, and scrub their name and address from everything stored, keeping the
notification rows (without content) so counts for reports stay right. In the mailbox folder
(embedded mode) the e-mails sent to them are deleted and those naming them scrubbed
(services/notifications/mailbox.py); after the commit no copy stays in the SQLite files
(shared/erasure.py: leave_no_copy_on_disk)."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

from services.notifications.mailbox import forget_in_mailbox
from services.notifications.repository import NotificationsRepository
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.erasure import ERASED, leave_no_copy_on_disk, scrub, scrub_dead_letters
from shared.events.notifications import NotificationsPersonErased
from shared.events.privacy import ErasureRequested

log = logging.getLogger(__name__)


def _scrub_json(value, email: str):
    """In an event body, blank every person or contact object carrying this e-mail."""
    if isinstance(value, dict):
        if str(value.get("email", "")).lower() == email:
            return {k: (ERASED if k in ("name", "email", "position", "organisation") and v else v) for k, v in value.items()}
        return {k: _scrub_json(v, email) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, email) for v in value]
    return value


def erase(uow: UnitOfWork, request: ErasureRequested, *, mailbox: Path | None = None) -> dict[str, int]:
    """Pseudonymise the recipient with this e-mail, suppress what waited for them, scrub their
    name and address from what is stored and from the mailbox folder, and report the counts
    (notifications.person_erased). The caller (the @subscribe wrapper) commits."""
    email = request.email.strip().lower()
    repo = NotificationsRepository(uow)
    removed = {"recipients": 0, "notifications": 0, "delivery_attempts": 0, "received_events": 0,
               "dead_letters": 0}
    recipient = repo.recipient_by_email(email)
    needles = [email, request.email.strip()]
    own_message_ids: list[str] = []
    if recipient is not None:
        needles += [recipient.name, recipient.email]
        notifications = repo.notifications_of(recipient.id)
        own_message_ids = [n.message_id for n in notifications if n.channel == "email"]
        for notification in notifications:
            notification.subject = notification.body_text = notification.body_html = None
            if notification.status in ("pending", "held", "sending"):
                notification.status, notification.status_reason = "suppressed", "the person asked to be forgotten"
        removed["notifications"] = len(notifications)
        for attempt in repo.attempts_of([n.id for n in notifications]):
            attempt.error, changed = scrub(attempt.error, needles)
            removed["delivery_attempts"] += changed
        pseudonym = f"erased-{uuid.uuid4().hex}"
        recipient.email_key, recipient.email, recipient.name = pseudonym, f"{pseudonym}@erased.invalid", ERASED
        recipient.webhook_url = recipient.webhook_secret = None
        recipient.roles, recipient.channels, recipient.call_alerts = [], [], False
        recipient.alert_themes, recipient.alert_regions = [], []
        recipient.erased_at = recipient.updated_at = utcnow()
        removed["recipients"] = 1
    for event in repo.events_mentioning(email):
        event.body = json.dumps(_scrub_json(json.loads(event.body), email), ensure_ascii=False)
        event.body, _ = scrub(event.body, [email])
        removed["received_events"] += 1
    removed["dead_letters"] = scrub_dead_letters(uow, needles)
    removed.update(forget_in_mailbox(mailbox, own_message_ids, needles))
    leave_no_copy_on_disk(uow)
    uow.emit(NotificationsPersonErased(request_id=request.request_id, removed=removed), subject=str(request.request_id))
    log.info("erased a person's data", extra={"request_id": str(request.request_id), **removed})
    return removed
