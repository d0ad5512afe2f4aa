"""Notifications' tables: recipients, notifications and their delivery attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, UtcDateTime, new_metadata

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
    municipality_code: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # Exactly one notification per (event, recipient, channel), whatever the redeliveries.
        UniqueConstraint("event_id", "recipient_id", "channel"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    event_type: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    correlation_id: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    template: Mapped[str] = mapped_column(String(100), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    message_id: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_via: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), nullable=False, index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    via: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
