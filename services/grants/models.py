"""Grants' tables (its own database; no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.persistence.schema import BigId, UtcDateTime, new_metadata

metadata = new_metadata()
Money = Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = metadata


class Programme(Base):
    """A funding programme (e.g. Norway Grants LT10) that calls belong to, with the projects it funded."""

    __tablename__ = "programmes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    funder: Mapped[str] = mapped_column(String(200), nullable=False)
    source_kind: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    summary: Mapped[dict | None] = mapped_column(JSON)
    period: Mapped[str | None] = mapped_column(String(40))
    operator: Mapped[str | None] = mapped_column(String(300))
    budget_eur: Mapped[Decimal | None] = mapped_column(Money)
    donor_countries: Mapped[list] = mapped_column(JSON, nullable=False)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class FundedProject(Base):
    """A project a programme funded, as the funder reports it: initial vs final cost, grant, partners."""

    __tablename__ = "funded_projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), nullable=False, index=True)
    project_number: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    promoter: Mapped[str] = mapped_column(String(300), nullable=False)
    region: Mapped[str | None] = mapped_column(String(2))
    target_groups: Mapped[list] = mapped_column(JSON, nullable=False)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    initial_cost_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    final_cost_eur: Mapped[Decimal | None] = mapped_column(Money)
    grant_eur: Mapped[Decimal | None] = mapped_column(Money)
    partners: Mapped[list] = mapped_column(JSON, nullable=False)
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class FundingCall(Base):
    __tablename__ = "funding_calls"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    funder: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    summary: Mapped[dict | None] = mapped_column(JSON)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    eligible_applicant_types: Mapped[list] = mapped_column(JSON, nullable=False)
    eligible_regions: Mapped[list] = mapped_column(JSON, nullable=False)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date, nullable=False)
    min_grant_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    max_grant_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    max_funding_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    foreign_partner_required: Mapped[bool] = mapped_column(Boolean, nullable=False)
    partner_countries: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    first_stage_closes_on: Mapped[date | None] = mapped_column(Date)
    required_documents: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    partner_organisation_types: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Two-stage calls: the documents of the concept note (required_documents: the full application's).
    concept_note_documents: Mapped[list] = mapped_column(JSON, nullable=False, server_default="[]")
    # The funder's kind of money (rules.FUNDING_SOURCES): the programme's when the call has one.
    source_kind: Mapped[str] = mapped_column(String(30), nullable=False, server_default="other")


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_municipality_status", "municipality_code", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    call_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funding_calls.id"), nullable=False, index=True)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    applicant_type: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    summary: Mapped[dict | None] = mapped_column(JSON)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    total_eligible_cost_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    requested_grant_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    own_contribution_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    internal_deadline: Mapped[date] = mapped_column(Date, nullable=False)
    # The municipality's contact person and the centre's consultant: personal data (see erase_person).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    contact_language: Mapped[str | None] = mapped_column(String(2))
    consultant_name: Mapped[str | None] = mapped_column(String(200))
    consultant_email: Mapped[str | None] = mapped_column(String(254), index=True)
    consultant_language: Mapped[str | None] = mapped_column(String(2))
    # Foreign partner requirement: not_required | requested | proposed | established
    partner_status: Mapped[str] = mapped_column(String(20), nullable=False)
    partner_request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    partnership_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    partner_organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    partner_name: Mapped[str | None] = mapped_column(String(300))
    partner_country: Mapped[str | None] = mapped_column(String(2))
    partner_contact_name: Mapped[str | None] = mapped_column(String(200))
    partner_contact_email: Mapped[str | None] = mapped_column(String(254))
    partner_established_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_outcome: Mapped[str | None] = mapped_column(String(10))
    awarded_grant_eur: Mapped[Decimal | None] = mapped_column(Money)
    decision_reasons: Mapped[dict | None] = mapped_column(JSON)
    decision_reference: Mapped[str | None] = mapped_column(String(200))
    contracted_on: Mapped[date | None] = mapped_column(Date)
    final_cost_eur: Mapped[Decimal | None] = mapped_column(Money)
    final_grant_eur: Mapped[Decimal | None] = mapped_column(Money)
    completed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    # Two-stage calls: the stage the application is at (None for a single-stage call) and the
    # concept note's submission and outcome (the full application's are submitted_on/decided_on/...).
    stage: Mapped[str | None] = mapped_column(String(20))
    concept_submitted_on: Mapped[date | None] = mapped_column(Date)
    concept_decided_on: Mapped[date | None] = mapped_column(Date)
    concept_outcome: Mapped[str | None] = mapped_column(String(10))
    concept_reasons: Mapped[dict | None] = mapped_column(JSON)
    # The implementation period (set once contracted) and the contract's terms as amended.
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    contract_total_eur: Mapped[Decimal | None] = mapped_column(Money)
    contract_grant_eur: Mapped[Decimal | None] = mapped_column(Money)


class StatusChange(Base):
    """Who moved an application from which status to which, when, and why."""

    __tablename__ = "application_status_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class ChecklistItem(Base):
    """One required document of an application, generated from its call."""

    __tablename__ = "checklist_items"
    __table_args__ = (PrimaryKeyConstraint("application_id", "code"),)

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    # concept_note or full_application for a two-stage call's application; None otherwise
    stage: Mapped[str | None] = mapped_column(String(20))


class ChecklistChange(Base):
    """Every change of a checklist item: who, when, from and to which status, and why (a waiver's reason)."""

    __tablename__ = "checklist_changes"
    __table_args__ = (Index("ix_checklist_changes_item", "application_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(60), nullable=False)
    from_status: Mapped[str] = mapped_column(String(20), nullable=False)
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)


class Consultation(Base):
    """The consultation log: each meeting, call or e-mail exchange with the municipality."""

    __tablename__ = "consultations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    # An entry belongs to an application or to a consulting engagement (exactly one of the two).
    application_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("applications.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    next_steps: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    engagement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("engagements.id"), index=True)


class PartnerCandidate(Base):
    """A foreign partner the partners service proposed for an application (from matches_proposed)."""

    __tablename__ = "partner_candidates"
    __table_args__ = (UniqueConstraint("application_id", "organisation_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    partner_request_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    organisation_type: Mapped[str] = mapped_column(String(60), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    components: Mapped[dict] = mapped_column(JSON, nullable=False)
    introduction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    # None until introduced; then introduced | accepted | declined | established
    introduction_status: Mapped[str | None] = mapped_column(String(20))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ProjectReport(Base):
    """A reporting deadline of a contracted project (interim or final) and its submission."""

    __tablename__ = "project_reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class PaymentClaim(Base):
    """A payment claim of a contracted project: amount, eligible costs declared, submitted → approved → paid."""

    __tablename__ = "payment_claims"
    __table_args__ = (UniqueConstraint("application_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    eligible_costs_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    submitted_on: Mapped[date] = mapped_column(Date, nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    approved_on: Mapped[date | None] = mapped_column(Date)
    approved_amount_eur: Mapped[Decimal | None] = mapped_column(Money)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Amendment(Base):
    """A change of a contracted project's budget or end date: before and after, why, who, when."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False, index=True)
    before: Mapped[dict] = mapped_column(JSON, nullable=False)
    after: Mapped[dict] = mapped_column(JSON, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    reference: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)


class SentReminder(Base):
    """A deadline reminder that went out. The primary key makes two timer replicas send it once."""

    __tablename__ = "sent_reminders"
    __table_args__ = (PrimaryKeyConstraint("application_id", "deadline_kind", "deadline", "days_before"),)

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False)
    deadline_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    days_before: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Erasure(Base):
    """Erasure requests this service applied, with what it removed (counts only, no personal data)."""

    __tablename__ = "erasures"

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    removed: Mapped[dict] = mapped_column(JSON, nullable=False)
    erased_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Engagement(Base):
    """A consulting engagement (domain/engagements.py): a municipality, or a group led by one, asks
    the centre for help beyond a grant application; scope, consultant, outcome."""

    __tablename__ = "engagements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False, index=True)  # the lead
    theme: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    requested_on: Mapped[date] = mapped_column(Date, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # The municipality's contact person and the centre's consultant: personal data (see erase_person).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    contact_language: Mapped[str | None] = mapped_column(String(2))
    consultant_name: Mapped[str | None] = mapped_column(String(200))
    consultant_email: Mapped[str | None] = mapped_column(String(254), index=True)
    consultant_language: Mapped[str | None] = mapped_column(String(2))
    scope: Mapped[str | None] = mapped_column(Text)
    agreed_on: Mapped[date | None] = mapped_column(Date)
    agreed_by: Mapped[str | None] = mapped_column(String(200))
    declined_on: Mapped[date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class EngagementMunicipality(Base):
    """The municipalities an engagement serves (the lead among them): each one sees it."""

    __tablename__ = "engagement_municipalities"
    __table_args__ = (PrimaryKeyConstraint("engagement_id", "municipality_code"),
                      Index("ix_engagement_municipalities_code", "municipality_code"))

    engagement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagements.id"), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class Deliverable(Base):
    """What an engagement delivers (a study, a plan, a workshop) and when."""

    __tablename__ = "engagement_deliverables"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagements.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    delivered_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class DeliverableReminder(Base):
    """A deliverable reminder that went out; the primary key makes timer replicas send it once."""

    __tablename__ = "engagement_reminders"
    __table_args__ = (PrimaryKeyConstraint("deliverable_id", "due_on", "days_before"),)

    deliverable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagement_deliverables.id"), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    days_before: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Document(Base):
    """One version of a file kept for an application (the application's own files and its checklist
    items') or a call (its templates). The bytes are in the documents folder under their sha256
    (services/grants/documents.py); versions of one document share its `slot`, numbered from 1, each
    number once (the unique constraint, whatever the replicas)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("owner_id", "slot", "version", name="uq_documents_version"),
        Index("ix_documents_owner", "owner_kind", "owner_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(12), nullable=False)  # application | call
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    checklist_code: Mapped[str | None] = mapped_column(String(60))
    slot: Mapped[str] = mapped_column(String(260), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    # Personal files (a CV, a signed declaration) are deleted when the person is erased; `about` is
    # whose they are when not the uploader's own (an e-mail), else None.
    personal: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="0")
    about: Mapped[str | None] = mapped_column(String(254), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class JointPart(Base):
    """A joint application's part (domain/joint.py): the lead's (role lead) or a partner
    municipality's budget share and own contribution, and the partner's answer to it."""

    __tablename__ = "joint_parts"
    __table_args__ = (PrimaryKeyConstraint("application_id", "municipality_code"),
                      Index("ix_joint_parts_municipality_code", "municipality_code"))

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), nullable=False)
    municipality_code: Mapped[str] = mapped_column(String(2), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)  # lead | partner
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    budget_share_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    own_contribution_eur: Mapped[Decimal] = mapped_column(Money, nullable=False)
    # A partner's answer to its part: pending | confirmed | declined (None for the lead's part).
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(200))  # personal data (see erase_person)
    answer_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


__all__ = ["metadata", "Engagement", "EngagementMunicipality", "Deliverable", "DeliverableReminder", "Programme", "FundedProject", "FundingCall", "Application", "StatusChange", "ChecklistItem",
           "ChecklistChange", "Consultation", "ProjectReport", "PaymentClaim", "Amendment", "PartnerCandidate", "SentReminder", "Erasure", "Document", "JointPart"]
