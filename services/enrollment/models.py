"""Enrollment's tables (its own database; no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime, new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    description: Mapped[dict | None] = mapped_column(JSON)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    audience: Mapped[list] = mapped_column(JSON, nullable=False)
    duration_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    format: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class TrainingSession(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    region: Mapped[str | None] = mapped_column(String(2))
    venue: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    fee_eur: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    registration_opens_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    registration_closes_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        # One enrolment per person per session: a repeated request returns the existing one.
        UniqueConstraint("session_id", "email_key"),
        # The waitlist is the session's waitlisted rows in arrival order (created under the session's
        # row lock, so created_at order is arrival order).
        Index("ix_enrollments_session_status_created", "session_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)
