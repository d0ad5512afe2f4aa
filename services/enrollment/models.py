"""Enrollment's tables (its own database; no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.schema import UtcDateTime, new_metadata

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
    # Completion rule: a certificate needs at least this share of the course's hours attended.
    completion_min_percent: Mapped[int] = mapped_column(Integer, nullable=False, server_default="80")
    certificate_validity_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A retired course takes no new sessions; its sessions, certificates and figures stay.
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TrainingSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_status_starts_at", "status", "starts_at"),
        Index("ix_sessions_go_no_go_at", "go_no_go_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    region: Mapped[str | None] = mapped_column(String(2))
    venue: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    # Where it is held: Lithuania (then in a region) or abroad (country and city; migration 0007).
    country: Mapped[str] = mapped_column(String(2), nullable=False, server_default="LT")
    city: Mapped[str | None] = mapped_column(String(100))
    # training or conference; the programme (of a funded project) it belongs to, if any.
    kind: Mapped[str] = mapped_column(String(20), nullable=False, server_default="training")
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("training_programmes.id"), index=True)
    trainer: Mapped[str | None] = mapped_column(String(200))
    # The trainer in the register (trainers), when the session names one; `trainer` is their name then.
    trainer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("trainers.id"), index=True)
    # The calendar entry's SEQUENCE: raised whenever the date, time, place, link or trainer changes.
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    schedule_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Go/no-go: at go_no_go_at the timer compares the confirmed seats with min_participants; below
    # it, the session's coordinator is told (or, with auto_cancel_below_minimum, it is cancelled).
    go_no_go_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    auto_cancel_below_minimum: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    go_no_go_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # minimum_reached, below_minimum (waiting for the coordinator), confirmed (runs anyway), cancelled
    go_decision: Mapped[str | None] = mapped_column(String(20))
    # The centre's coordinator of the session (personal data: erased on request).
    coordinator_name: Mapped[str | None] = mapped_column(String(200))
    coordinator_email: Mapped[str | None] = mapped_column(String(254))
    coordinator_language: Mapped[str | None] = mapped_column(String(2))
    # In-person seats of a hybrid session, otherwise all seats; online_capacity only for hybrid.
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    online_capacity: Mapped[int | None] = mapped_column(Integer)
    min_participants: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    fee_eur: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    registration_opens_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    registration_closes_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    quota_per_municipality: Mapped[int | None] = mapped_column(Integer)
    quota_release_days: Mapped[int | None] = mapped_column(Integer)
    quota_release_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    quota_released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    offer_hours: Mapped[int | None] = mapped_column(Integer)
    reminder_hours_before: Mapped[int] = mapped_column(Integer, nullable=False, server_default="48")
    # Next arrival number; taken and incremented under the session's row lock.
    next_arrival_seq: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Fees (migration 0010): until this moment a cancellation or a late enrolment recalculates the
    # municipality's issued invoice; afterwards the invoice stands. Null: the session's start.
    invoice_cutoff_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Trainer(Base):
    """Someone who teaches sessions: told of their sessions and of every change to them."""

    __tablename__ = "trainers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    # Personal data (pseudonymised when the person asks to be forgotten).
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    organisation: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        # One enrolment per person per session: a repeated request returns the existing one.
        UniqueConstraint("session_id", "email_key"),
        # Arrival order: numbers handed out under the session's row lock.
        UniqueConstraint("session_id", "arrival_seq"),
        # The waitlist of a pool, in arrival order.
        Index("ix_enrollments_session_mode_status_seq", "session_id", "mode", "status", "arrival_seq"),
        Index("ix_enrollments_offer_expires_at", "offer_expires_at"),
        Index("ix_enrollments_email_key", "email_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), nullable=False)
    # Personal data (pseudonymised when the person asks to be forgotten).
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False)
    position: Mapped[str | None] = mapped_column(String(200))
    # Kept for reports (anonymous once the person is erased).
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False, server_default="in_person")
    arrival_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    attendance: Mapped[str | None] = mapped_column(String(10))
    attended_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(Text, nullable=False)


class IdempotencyKey(Base):
    """An Idempotency-Key a client sent with an enrolment, so a retried request returns the first
    answer. Scoped per token subject and role."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (PrimaryKeyConstraint("principal", "key"),)

    principal: Mapped[str] = mapped_column(String(250), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_valid_until", "valid_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    number: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    verification_code: Mapped[str] = mapped_column(String(40), nullable=False)  # 34 since migration 0003
    # A certificate is for an enrolment in a session, or (since migration 0004) for learning done
    # in an external learning system (external_completion_id); exactly one of the two.
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sessions.id"), index=True)
    external_completion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("external_completions.id"),
                                                                      unique=True)
    holder_name: Mapped[str] = mapped_column(String(200), nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ExternalCompletion(Base):
    """A course completed in an external learning system (learning.course_completed), counted in
    the person's hours ledger and the reports like an attended session."""

    __tablename__ = "external_completions"
    __table_args__ = (
        # A repeat of the same completion from the same system is ignored.
        UniqueConstraint("source", "external_id"),
        Index("ix_external_completions_completed_at", "completed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    # Personal data (pseudonymised when the person asks to be forgotten).
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    # Kept for reports (anonymous once the person is erased).
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    course_external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    course_title: Mapped[dict] = mapped_column(JSON, nullable=False)
    course_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("courses.id"))
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FundedProjectRef(Base):
    """A funded project as the grants service announced it (grants.funded_project_recorded): the
    reference a training programme hangs under. Enrollment's own copy; grants' tables are not read."""

    __tablename__ = "funded_projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)  # grants' project id
    project_number: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    programme_code: Mapped[str | None] = mapped_column(String(40))
    funder: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    promoter: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class TrainingProgramme(Base):
    """Courses and sessions grouped under a funded project (a project's training strand)."""

    __tablename__ = "training_programmes"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funded_projects.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    description: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ProgrammeCourse(Base):
    __tablename__ = "programme_courses"
    __table_args__ = (PrimaryKeyConstraint("programme_id", "course_id"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_programmes.id"), nullable=False)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), nullable=False)


class ProgrammeHistory(Base):
    """Training a programme held before it was run in this system (or outside it), as the project
    reported it: events in Lithuania and abroad and their participants."""

    __tablename__ = "programme_history"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_programmes.id"), nullable=False,
                                                    index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # training, conference, training_and_conferences
    events_in_lithuania: Mapped[int] = mapped_column(Integer, nullable=False)
    events_abroad: Mapped[int] = mapped_column(Integer, nullable=False)
    abroad_countries: Mapped[list] = mapped_column(JSON, nullable=False)
    participants: Mapped[int] = mapped_column(Integer, nullable=False)
    participants_abroad: Mapped[int | None] = mapped_column(Integer)  # null: the report did not split them
    period: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class CertificateCounter(Base):
    """Last certificate number given per year (row-locked while numbering)."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)


class TrainingNeed(Base):
    """A topic a municipality wants training on; other municipalities support it."""

    __tablename__ = "training_needs"
    __table_args__ = (
        Index("ix_training_needs_region_theme", "region", "theme"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    theme: Mapped[str] = mapped_column(String(60), nullable=False)
    region: Mapped[str] = mapped_column(String(2), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    audience: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    proposed_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class TrainingNeedSupport(Base):
    __tablename__ = "training_need_supports"
    __table_args__ = (PrimaryKeyConstraint("need_id", "municipality_code"),)

    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_needs.id"), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    supported_by: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


# ---------------------------------------------------------------- working groups (domain/working_groups.py)

class WorkingGroup(Base):
    """A standing group of officials from several municipalities, facilitated by the centre."""

    __tablename__ = "working_groups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    name: Mapped[dict] = mapped_column(JSON, nullable=False)  # {"lt": ..., "en": ...}: public
    purpose: Mapped[dict] = mapped_column(JSON, nullable=False)  # public
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class WorkingGroupMember(Base):
    """A seat in a group. One current seat per person and group (partial unique index), one chair."""

    __tablename__ = "working_group_members"
    __table_args__ = (
        Index("uq_working_group_members_current", "group_id", "email_key", unique=True,
              sqlite_where=text("left_on IS NULL"), postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_groups.id"), nullable=False, index=True)
    # Personal data (pseudonymised when the person asks to be forgotten).
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_key: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(10), nullable=False)  # member or chair
    joined_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WorkingGroupMeeting(Base):
    __tablename__ = "working_group_meetings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_groups.id"), nullable=False, index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    venue: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    agenda: Mapped[list] = mapped_column(JSON, nullable=False)  # items, in order
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # scheduled, cancelled
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class WorkingGroupAttendance(Base):
    __tablename__ = "working_group_attendance"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "member_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group_meetings.id"), nullable=False)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group_members.id"), nullable=False,
                                                 index=True)
    present: Mapped[bool] = mapped_column(Boolean, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class WorkingGroupProposal(Base):
    """A proposal the group adopted (e.g. an amendment to the Law on Local Governments)."""

    __tablename__ = "working_group_proposals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_groups.id"), nullable=False, index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("working_group_meetings.id"))
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    adopted_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # adopted, submitted, accepted, rejected
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


# ---------------------------------------------------------------- invoices (domain/invoices.py, migration 0010)

class Invoice(Base):
    """One invoice per session and municipality for its confirmed participants' fees. Its amount is
    that of its latest version (invoice_versions); a version, once committed, never changes."""

    __tablename__ = "invoices"
    __table_args__ = (
        # Never two invoices for the same session and municipality, however many staff issue at once.
        UniqueConstraint("session_id", "municipality_code"),
        CheckConstraint("status IN ('issued', 'paid', 'waived')", name="status"),
        CheckConstraint("amount_cents >= 0", name="amount_cents"),
        Index("ix_invoices_municipality_issued_at", "municipality_code", "issued_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    # SAV-SF-<year>-<serial>: serials from a row-locked counter per year (invoice_counters), gap-free.
    number: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), nullable=False, index=True)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="EUR")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    participants: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    issued_by: Mapped[str] = mapped_column(Text, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    # Paid (final): who recorded it, when, the day the money came, the payment's reference, the amount.
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_by: Mapped[str | None] = mapped_column(Text)
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    paid_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Waived (final): who, when and why.
    waived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waived_by: Mapped[str | None] = mapped_column(Text)
    waive_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class InvoiceVersion(Base):
    """What an invoice said at each version: 1 when issued, then one per recalculation before the
    session's cut-off. Inserted, never updated."""

    __tablename__ = "invoice_versions"
    __table_args__ = (
        PrimaryKeyConstraint("invoice_id", "version"),
        CheckConstraint("amount_cents >= 0", name="amount_cents"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    participants: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)  # issued or recalculated
    # The enrolments invoiced (names come from the enrolments, so an erasure reaches them there).
    enrollment_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class InvoiceCounter(Base):
    """Last invoice number given per year (row-locked while numbering: gap-free, never twice)."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False)


# ---------------------------------------------------------------- feedback after a session (domain/feedback.py)

class CourseFeedbackSettings(Base):
    """A course's own feedback questions (none: the default set), how long a form stays open, or
    no form at all."""

    __tablename__ = "course_feedback_settings"

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    open_days: Mapped[int] = mapped_column(Integer, nullable=False)
    questions: Mapped[list | None] = mapped_column(JSON)  # [{key, kind, text: {lt, en}, required}]; null: default
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class FeedbackForm(Base):
    """A completed session's form: the course's questions as they were then, open until closes_at."""

    __tablename__ = "feedback_forms"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), nullable=False, index=True)
    trainer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("trainers.id"), index=True)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    questions: Mapped[list] = mapped_column(JSON, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class FeedbackInvitation(Base):
    """An attendee was invited to answer (enrollment.feedback_requested), once."""

    __tablename__ = "feedback_invitations"

    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id"), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_forms.session_id"), nullable=False,
                                                  index=True)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class FeedbackBallot(Base):
    """Who has answered (the primary key makes it once per enrolment, i.e. per person and session).
    It holds no time and no reference to the answer, which is stored apart (FeedbackAnswer)."""

    __tablename__ = "feedback_ballots"

    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_invitations.enrollment_id"),
                                                     primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_forms.session_id"), nullable=False,
                                                  index=True)


class FeedbackAnswer(Base):
    """What was answered: the session, the language of the form and the answers ({key: 1-5 or text}).
    No person, no time: a random id, so neither staff nor the row order tie it to its author."""

    __tablename__ = "feedback_answers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_forms.session_id"), nullable=False,
                                                  index=True)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    answers: Mapped[dict] = mapped_column(JSON, nullable=False)
