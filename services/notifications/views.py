"""Rows → response bodies (no decisions here: those are in domain/)."""

from __future__ import annotations

from services.notifications.models import DeliveryAttempt, Notification, Recipient
from services.notifications.schemas import AttemptOut, DeliveryDetailOut, DeliveryOut, RecipientOut


def recipient_out(r: Recipient) -> RecipientOut:
    """A recipient as the API shows it: the webhook secret only in the answer that made it."""
    values = {field: getattr(r, field) for field in RecipientOut.model_fields if field != "webhook_secret"}
    return RecipientOut.model_validate({**values, "webhook_secret": getattr(r, "fresh_webhook_secret", None)})


def delivery_out(n: Notification) -> DeliveryOut:
    return DeliveryOut.model_validate({field: getattr(n, field) for field in DeliveryOut.model_fields})


def delivery_detail_out(n: Notification, attempts: list[DeliveryAttempt]) -> DeliveryDetailOut:
    return DeliveryDetailOut(
        **delivery_out(n).model_dump(), body_text=n.body_text,
        attempts_log=[AttemptOut(attempted_at=a.attempted_at, outcome=a.outcome, via=a.via, error=a.error)
                      for a in attempts],
    )


def mask(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"

