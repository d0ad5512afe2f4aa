"""Recipients: registering someone to notify (or updating them, by e-mail), their preferences,
their webhook signing key, and bounces the mail provider reports."""

from __future__ import annotations

import logging
import uuid

from services.notifications import outbound
from services.notifications.repository import NotificationsRepository
from services.notifications.schemas import BounceIn, PreferencesIn, RecipientIn, RecipientOut, WebhookSecretOut
from services.notifications.views import recipient_out
from shared.errors import NotFound, Problem
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def check_webhook(url: str | None, allowed_hosts) -> None:
    """422 naming webhook_url for a webhook the service may not call (services/notifications/outbound.py)."""
    try:
        outbound.check_registration(url, allowed_hosts)
    except outbound.UnsafeWebhook as error:
        raise Problem(422, "Invalid request", f"invalid body: webhook_url: {error}", code="validation",
                      errors=[{"field": "webhook_url", "location": "body", "message": str(error),
                               "type": "unsafe_webhook"}]) from None


def register(db: UnitOfWork, body: RecipientIn, *, allowed_hosts=()) -> tuple[RecipientOut, bool]:
    """Create or update a recipient by e-mail; (the recipient, True if created)."""
    check_webhook(body.webhook_url, allowed_hosts)
    recipient, created = NotificationsRepository(db).register(body.model_dump())
    db.commit()
    return recipient_out(recipient), created


def listing(db: UnitOfWork, *, municipality_code: str | None, role: str | None, limit: int) -> list[RecipientOut]:
    repo = NotificationsRepository(db)
    return [recipient_out(r) for r in repo.recipients(municipality_code=municipality_code, role=role, limit=limit)]


def get(db: UnitOfWork, recipient_id: uuid.UUID) -> RecipientOut:
    return recipient_out(NotificationsRepository(db).recipient(recipient_id))


def set_preferences(db: UnitOfWork, recipient_id: uuid.UUID, body: PreferencesIn, *, allowed_hosts=()) -> RecipientOut:
    """Replace a recipient's preferences (who they are stays)."""
    check_webhook(body.webhook_url, allowed_hosts)
    repo = NotificationsRepository(db)
    recipient = repo.recipient(recipient_id)
    recipient, _ = repo.register({"email": recipient.email, "name": recipient.name, "language": recipient.language,
                                  "municipality_code": recipient.municipality_code, "roles": recipient.roles,
                                  **body.model_dump()})
    db.commit()
    return recipient_out(recipient)


def rotate_webhook_secret(db: UnitOfWork, recipient_id: uuid.UUID) -> WebhookSecretOut:
    """A new signing key, shown in this answer only; the old one stops signing at once."""
    repo = NotificationsRepository(db)
    secret = repo.rotate_webhook_secret(repo.recipient(recipient_id))
    db.commit()
    return WebhookSecretOut(recipient_id=recipient_id, webhook_secret=secret)


def record_bounce(db: UnitOfWork, body: BounceIn) -> RecipientOut:
    """No more e-mail to an address the mail provider reports as bouncing."""
    recipient = NotificationsRepository(db).recipient_by_email(body.email)
    if recipient is None or recipient.erased_at is not None:
        raise NotFound("recipient with e-mail", body.email)
    recipient.bounced_at = recipient.bounced_at or utcnow()
    log.warning("address bounced: %s", body.reason, extra={"recipient_id": str(recipient.id)})
    db.commit()
    return recipient_out(recipient)
