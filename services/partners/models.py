"""Partners' tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.schema import UtcDateTime, new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Organisation(Base):
    """A profile: a Lithuanian municipality or a foreign body that may become a partner."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    # Set for Lithuanian municipalities: that municipality's token manages the profile.
    municipality_code: Mapped[str | None] = mapped_column(String(2), unique=True)
    organisation_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size: Mapped[int | None] = mapped_column(Integer)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    languages: Mapped[list] = mapped_column(JSON, nullable=False)
    description: Mapped[dict | None] = mapped_column(JSON)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_language: Mapped[str] = mapped_column(String(2), nullable=False, server_default="en")
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    # [{partner, country, project, year, description}]: cooperation before this service.
    past_cooperation: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    active_partnerships: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    partnerships_total: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # The expiry date the owner was last reminded of (one reminder per expiry).
    renewal_reminded_for: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on every change that matters to matching; in-memory indexes reload rows above their mark.
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ProfileRevision(Base):
    """One row: the last revision handed out. Taking the next one locks the row until commit, so
    revisions become visible in order and an index that has seen revision N has seen all below."""

    __tablename__ = "profile_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PartnerRequest(Base):
    __tablename__ = "partner_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    # One request per grant application (grants.partner_requested twice at once, or the API and
    # grants both asking, must not open two searches).
    application_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True, unique=True)
    call_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    call_code: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    countries: Mapped[list] = mapped_column(JSON, nullable=False)
    organisation_types: Mapped[list] = mapped_column(JSON, nullable=False)
    languages: Mapped[list] = mapped_column(JSON, nullable=False)
    preferred_size: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_language: Mapped[str] = mapped_column(String(2), nullable=False, server_default="lt")
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # open | partnered
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # api | grants
    # The last proposal (matches_proposed candidates), as sent.
    last_proposal: Mapped[list | None] = mapped_column(JSON)
    proposed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Introduction(Base):
    __tablename__ = "introductions"
    __table_args__ = (
        UniqueConstraint("request_id", "organisation_id"),
        Index("ix_introductions_status_last_contact_at", "status", "last_contact_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_requests.id"), nullable=False)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    requester_answer: Mapped[str | None] = mapped_column(String(20))
    requester_answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    candidate_answer: Mapped[str | None] = mapped_column(String(20))
    candidate_answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer_by: Mapped[date] = mapped_column(Date, nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    reminders_sent: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    # When the sides were last asked (the introduction itself, then each reminder).
    last_contact_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class AccessKey(Base):
    """A one-purpose key sent by e-mail to someone without a token (a candidate answering an
    introduction, an owner renewing a profile). Only its SHA-256 is stored."""

    __tablename__ = "access_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)  # introduction_answer | profile_renewal
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False, index=True)
    side: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Partnership(Base):
    __tablename__ = "partnerships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_requests.id"), nullable=False, index=True)
    introduction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("introductions.id"), nullable=False, unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), nullable=False, index=True)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    # Copied at establishment, for the report: the partner's country and the project's themes.
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # active | completed
    # Both contacts as they were when both sides accepted: what each side was given.
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_language: Mapped[str] = mapped_column(String(2), nullable=False, server_default="lt")
    partner_contact_name: Mapped[str | None] = mapped_column(String(200))
    partner_contact_email: Mapped[str | None] = mapped_column(String(254))
    partner_contact_language: Mapped[str] = mapped_column(String(2), nullable=False, server_default="en")
    established_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LetterOfIntent(Base):
    __tablename__ = "letters_of_intent"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    partnership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partnerships.id"), nullable=False, index=True)
    issued_by: Mapped[str] = mapped_column(String(20), nullable=False)  # partner | requester
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    reference: Mapped[str] = mapped_column(String(500), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Visit(Base):
    __tablename__ = "visits"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    partnership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partnerships.id"), nullable=False, index=True)
    direction: Mapped[str] = mapped_column(String(20), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(200), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    purpose: Mapped[str | None] = mapped_column(Text)
    # [{name, email, organisation, role}]; names and addresses are erased on request, the count stays.
    participants: Mapped[list] = mapped_column(JSON, nullable=False)
    participants_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
