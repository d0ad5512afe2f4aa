"""Notifications' tables: recipients, notifications and their delivery attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.schema import BigId, UtcDateTime, new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Recipient(Base):
    __tablename__ = "recipients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    municipality_code: Mapped[str | None] = mapped_column(String(2), index=True)
    # "event": known from an event (e.g. a participant); "api": registered with preferences.
    source: Mapped[str] = mapped_column(String(10), nullable=False, server_default="event")
    roles: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    channels: Mapped[list] = mapped_column(JSON, nullable=False, server_default='["email"]')
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    opt_out_categories: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    call_alerts: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")
    alert_themes: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    alert_regions: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    alert_applicant_types: Mapped[list] = mapped_column(JSON, nullable=False, server_default='["municipality"]')
    delivery_mode: Mapped[str] = mapped_column(String(20), nullable=False, server_default="immediate")
    digest_hour: Mapped[int] = mapped_column(Integer, nullable=False, server_default="8")
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", Europe/Vilnius
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    unsubscribed_all: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")
    bounced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # Exactly one notification per (event, recipient, channel), whatever the redeliveries.
        UniqueConstraint("event_id", "recipient_id", "channel"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_event_subject_recipient", "event_subject", "recipient_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    event_type: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    correlation_id: Mapped[str] = mapped_column(String(200), nullable=False)
    # The event's subject (the enrolment an enrolment event is about): its news is kept in order
    # (domain/ordering.py).
    event_subject: Mapped[str | None] = mapped_column(String(200))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    template: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str] = mapped_column(String(30), nullable=False, server_default="training")
    critical: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    # Rendered when first sent (a fan-out to thousands stores rows fast and renders in parallel).
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    # pending, sending, sent, failed; held (for the digest), digested (sent in one); suppressed
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    # why it is held, deferred (quiet hours) or suppressed (opted out, bounced, forgotten)
    status_reason: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The lease id of the sender holding the claim: renewing it and recording the outcome are
    # conditional on it (repository.py: claim_due, renew_leases, leased).
    lease_token: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_via: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReceivedEvent(Base):
    """The events notifications were made from, kept to render them, preview and resend."""

    __tablename__ = "received_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(120), nullable=False)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # the envelope as received
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), nullable=False, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    via: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
