"""Events published by the grants service (exchange `grants.events`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict

from shared.events.registry import EventData, event
from shared.events.privacy import PersonErased
from shared.events.types import Contact, CountryCode, LanguageCode, LocalizedText
from shared.model import Model


class RequiredDocument(Model):
    """A document the funder requires with an application."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: str
    title: LocalizedText


@event("grants.call_published", summary="A funding call is open (or forecast) with its themes and eligibility.")
class CallPublished(EventData):
    call_id: UUID
    code: str
    funder: str
    title: LocalizedText
    themes: list[str]
    eligible_applicant_types: list[str]
    eligible_regions: list[str]
    opens_on: date | None = None
    closes_on: date
    min_grant_eur: Decimal | None = None
    max_grant_eur: Decimal | None = None
    max_funding_rate: Decimal | None = None
    foreign_partner_required: bool = False
    partner_countries: list[str] = []
    status: str
    summary: LocalizedText | None = None
    programme_code: str | None = Field(default=None, description="e.g. LT10 (Norway Grants 2009-2014)")
    first_stage_closes_on: date | None = Field(default=None, description="two-stage calls: concept note deadline")
    required_documents: list[RequiredDocument] = Field(default_factory=list)
    concept_note_documents: list[RequiredDocument] = Field(
        default_factory=list, description="two-stage calls: what the concept note needs")
    partner_organisation_types: list[str] = Field(default_factory=list)
    eligible_municipality_codes: list[str] = Field(
        default_factory=list, description="municipalities the call is open to (applicant type and region)")
    url: str | None = None
    source_kind: str | None = Field(default=None, description="the kind of funding, the programme's when it has one: "
                                                              "eu_funds, eea_norway_grants, national, ...")


@event("grants.partner_requested",
       summary="An application needs a foreign partner; partners should find candidates for it.")
class PartnerRequested(EventData):
    application_id: UUID
    call_id: UUID
    call_code: str
    municipality_code: str
    application_title: LocalizedText
    themes: list[str]
    countries: list[CountryCode] = Field(description="where the partner may come from, e.g. the donor states")
    organisation_types: list[str] = Field(default_factory=list, description="empty = any type")
    languages: list[LanguageCode] = Field(default_factory=list, description="preferred working languages")
    deadline: date = Field(description="when the partnership must be agreed (before the call closes)")
    consultant: Contact | None = Field(default=None, description="the centre's consultant on the application")
    reason: Literal["application_created", "consultant_assigned"] = Field(
        default="application_created",
        description="consultant_assigned: the same request again because a consultant was assigned since (partners "
                    "updates who answers for the municipality and proposes to them)")


class ApplicationEvent(EventData):
    """What every application event carries, so notifications can tell the municipality's contact
    person and the centre's consultant without calling back."""

    application_id: UUID
    call_id: UUID
    call_code: str
    call_title: LocalizedText
    funder: str
    municipality_code: str
    title: LocalizedText
    contact: Contact | None = Field(default=None, description="the municipality's contact person for the application")
    consultant: Contact | None = Field(default=None, description="the centre's consultant on the application")
    stage: Literal["concept_note", "full_application"] | None = Field(
        default=None, description="two-stage calls: the stage the application is at (null: a single-stage call)")


@event("grants.application_created", summary="A municipality started an application to a call.")
class ApplicationCreated(ApplicationEvent):
    status: str
    themes: list[str]
    total_eligible_cost_eur: Decimal
    requested_grant_eur: Decimal
    own_contribution_eur: Decimal
    internal_deadline: date
    first_stage_deadline: date | None = None
    official_deadline: date
    foreign_partner_required: bool


@event("grants.application_status_changed", summary="An application moved in its internal status workflow.")
class ApplicationStatusChanged(ApplicationEvent):
    from_status: str
    to_status: str
    changed_at: datetime
    note: str | None = None


@event("grants.application_decided", summary="The funder decided on an application: awarded (with the amount) or rejected.")
class ApplicationDecided(ApplicationEvent):
    outcome: Literal["awarded", "rejected", "invited"] = Field(
        description="invited: a concept note passed stage 1 and the full application is invited (stage is the "
                    "stage decided: concept_note)")
    requested_grant_eur: Decimal
    awarded_grant_eur: Decimal | None = None
    decided_on: date
    reasons: LocalizedText | None = None
    reference: str | None = None


@event("grants.call_deadline_approaching",
       summary="An application's internal or official deadline is 14, 7 or 1 days away and it is not submitted yet.")
class CallDeadlineApproaching(ApplicationEvent):
    status: str
    deadline_kind: Literal["internal", "first_stage", "official"]
    deadline: date
    days_left: int
    reminder_days: int = Field(description="which reminder this is: 14, 7 or 1 days before")


@event("grants.document_waived",
       summary="The centre's consultant marked a required document of an application not applicable, with the reason.")
class DocumentWaived(ApplicationEvent):
    document_code: str
    document_title: LocalizedText
    reason: str
    waived_by: str = Field(description="who waived it (the consultant's login)")


@event("grants.document_uploaded",
       summary="A file was attached to an application or to one of its required documents (each upload of the "
               "same document is its next version); the consultant is told.")
class DocumentUploaded(ApplicationEvent):
    document_id: UUID
    checklist_code: str | None = Field(
        default=None, description="the required document (checklist item) it was uploaded to; null: a file of the "
                                  "application itself")
    document_title: LocalizedText | None = Field(default=None, description="the required document's title")
    checklist_status: str | None = Field(
        default=None, description="the required document's status after the upload: ready, unless it was waived")
    file_type: str = Field(description="PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG, as its content shows (the file's "
                                       "name is not carried: it may name a person)")
    content_type: str
    size_bytes: int = Field(ge=1)
    version: int = Field(ge=1, description="1 for the document's first file, then one more per upload")
    uploaded_by: str = Field(description="who uploaded it (the token's subject)")


@event("grants.final_report_filed",
       summary="A contracted project closed with its final cost; the call's funding rate of it settles the final "
               "grant, and by how much it is below the award.")
class FinalReportFiled(ApplicationEvent):
    initial_cost_eur: Decimal = Field(description="the total eligible cost when applying")
    final_cost_eur: Decimal
    awarded_grant_eur: Decimal
    final_grant_eur: Decimal
    grant_reduction_eur: Decimal = Field(description="awarded minus final grant")
    max_funding_rate: Decimal | None = None
    completed_on: date


class PlannedReportDeadline(Model):
    model_config = ConfigDict(extra="ignore", frozen=True)

    report_id: UUID
    kind: Literal["interim", "final"]
    due_on: date


@event("grants.implementation_planned",
       summary="A contracted project's implementation period and reporting deadlines (interim, final) were set.")
class ImplementationPlanned(ApplicationEvent):
    starts_on: date
    ends_on: date
    contract_total_eur: Decimal
    contract_grant_eur: Decimal
    reports: list[PlannedReportDeadline]


@event("grants.reporting_deadline_approaching",
       summary="A contracted project's interim or final report is due in 14, 7 or 1 days and is not submitted yet.")
class ReportingDeadlineApproaching(ApplicationEvent):
    report_id: UUID
    report_kind: Literal["interim", "final"]
    due_on: date
    days_left: int
    reminder_days: int = Field(description="which reminder this is: 14, 7 or 1 days before")


@event("grants.project_report_submitted", summary="A contracted project's interim or final report was submitted.")
class ProjectReportSubmitted(ApplicationEvent):
    report_id: UUID
    report_kind: Literal["interim", "final"]
    due_on: date
    submitted_on: date
    late: bool = Field(description="submitted after its due date")


@event("grants.payment_claim_changed",
       summary="A payment claim of a contracted project was submitted, approved (possibly for less) or paid.")
class PaymentClaimChanged(ApplicationEvent):
    claim_id: UUID
    number: int = Field(description="the claim's number within the project, from 1")
    status: Literal["submitted", "approved", "paid"]
    amount_eur: Decimal = Field(description="the amount claimed")
    eligible_costs_eur: Decimal = Field(description="the eligible costs the claim declares")
    approved_amount_eur: Decimal | None = None
    on: date = Field(description="the day of this status")
    claimed_total_eur: Decimal = Field(description="all the project's claims so far (approved amounts once known)")
    paid_total_eur: Decimal
    contract_grant_eur: Decimal


class ContractTermsData(Model):
    model_config = ConfigDict(extra="ignore", frozen=True)

    total_eligible_cost_eur: Decimal
    grant_eur: Decimal
    ends_on: date


@event("grants.project_amended", summary="A contracted project's budget or end date was amended (before and after, why).")
class ProjectAmended(ApplicationEvent):
    before: ContractTermsData
    after: ContractTermsData
    reason: str
    reference: str | None = None


@event("grants.consultant_assigned",
       summary="The centre assigned its consultant to an application, or another consultant took it over.")
class ConsultantAssigned(ApplicationEvent):
    """The consultant (in `consultant`) is told, with the application's summary, next deadline and
    link; the one who had it before (`previous_consultant`) and the municipality's contact too."""

    status: str
    application_summary: LocalizedText | None = Field(default=None, description="the application's summary")
    previous_consultant: Contact | None = Field(default=None, description="who had it before (null: nobody)")
    assigned_on: date
    next_deadline: date | None = Field(default=None, description="the application's next deadline, if any")
    next_deadline_kind: str | None = Field(
        default=None, description="internal, first_stage, official, interim_report, final_report or follow_up")
    application_url: str = Field(max_length=500, description="the application in the grants API")


@event("grants.consultation_follow_up_due",
       summary="The follow-up date of an application's latest consultation has come: its consultant is reminded.")
class ConsultationFollowUpDue(ApplicationEvent):
    status: str
    consultation_id: UUID
    held_on: date
    channel: str
    consultation_summary: str = Field(description="what the consultation was about")
    next_steps: str | None = Field(default=None, description="what was agreed to do next")
    follow_up_on: date
    application_url: str = Field(max_length=500, description="the application in the grants API")


@event("grants.funded_project_recorded",
       summary="A project a programme funded was recorded in the funding catalogue (its number, promoter, funder); "
               "enrollment groups training programmes under it.")
class FundedProjectRecorded(EventData):
    project_id: UUID
    project_number: str = Field(min_length=1, max_length=60, description="the funder's number, e.g. LT10-0006")
    programme_code: str = Field(max_length=40, description="the funding programme, e.g. LT10")
    funder: str = Field(max_length=200)
    title: str = Field(min_length=1, max_length=500)
    promoter: str = Field(min_length=1, max_length=300)
    status: str = Field(description="in_progress or completed")
    region: str | None = None
    themes: list[str] = Field(default_factory=list)


class DeliverableData(Model):
    model_config = ConfigDict(extra="ignore", frozen=True)

    deliverable_id: UUID
    title: str
    due_on: date
    delivered_on: date | None = None


class EngagementEvent(EventData):
    """What every consulting engagement event carries, so notifications can tell the municipality's
    contact person and the centre's consultant without calling back."""

    engagement_id: UUID
    municipality_code: str = Field(description="the municipality that asked (the group's lead)")
    municipality_codes: list[str] = Field(description="every municipality the engagement serves, the lead first")
    theme: str
    title: str
    status: Literal["requested", "agreed", "in_progress", "closed", "declined"]
    contact: Contact | None = Field(default=None, description="the municipality's contact person")
    consultant: Contact | None = Field(default=None, description="the centre's consultant on the engagement")


@event("grants.engagement_requested",
       summary="A municipality (or a group of them) asked the centre for a consulting engagement.")
class EngagementRequested(EngagementEvent):
    description: str
    requested_on: date


@event("grants.engagement_agreed",
       summary="The centre agreed a consulting engagement's scope, assigned its consultant and set the deliverables.")
class EngagementAgreed(EngagementEvent):
    scope: str
    agreed_on: date
    deliverables: list[DeliverableData]


@event("grants.engagement_consultant_assigned",
       summary="Another consultant of the centre took over an agreed or in-progress consulting engagement.")
class EngagementConsultantAssigned(EngagementEvent):
    previous_consultant: Contact | None = Field(default=None, description="who had it before (null if erased)")


@event("grants.engagement_declined", summary="The centre declined a request for a consulting engagement, with the reason.")
class EngagementDeclined(EngagementEvent):
    reason: str
    declined_on: date


@event("grants.engagement_deliverable_due",
       summary="A deliverable of a consulting engagement is due in 7 or 1 days and is not delivered yet.")
class EngagementDeliverableDue(EngagementEvent):
    deliverable: DeliverableData
    days_left: int
    reminder_days: int = Field(description="which reminder this is: 7 or 1 days before")


@event("grants.engagement_closed", summary="A consulting engagement closed with its outcome.")
class EngagementClosed(EngagementEvent):
    outcome: Literal["achieved", "partly_achieved", "not_achieved"]
    outcome_summary: str
    closed_on: date
    deliverables: list[DeliverableData]
    late_deliverables: int = Field(description="delivered after their due date, or never delivered")


class JointPartnerEvent(ApplicationEvent):
    """What every joint application event carries: the application (its `municipality_code` is the
    lead's), the partner municipality concerned and its part. Notifications tells the partner
    municipality's EU-projects coordinator of its part, and the lead's contact and consultant of
    the partner's answer."""

    partner_municipality_code: str = Field(description="the partner municipality this event is about")
    municipality_codes: list[str] = Field(description="every municipality of the joint application, the lead first")
    budget_share_eur: Decimal = Field(description="the partner's part of the total eligible cost")
    own_contribution_eur: Decimal = Field(description="what the partner finds itself")
    grant_share_eur: Decimal = Field(description="the partner's part of the grant: budget share minus own contribution")
    answer: Literal["pending", "confirmed", "declined"] = Field(description="the partner's answer to its part")
    total_eligible_cost_eur: Decimal = Field(description="the whole application's")


@event("grants.joint_partner_added",
       summary="A municipality joined a joint application as a partner, with its budget share and own contribution "
               "to confirm.")
class JointPartnerAdded(JointPartnerEvent):
    pass


@event("grants.joint_partner_changed",
       summary="The lead changed a partner municipality's budget share or own contribution: the partner confirms "
               "its part again.")
class JointPartnerChanged(JointPartnerEvent):
    previous_budget_share_eur: Decimal
    previous_own_contribution_eur: Decimal


@event("grants.joint_partner_removed", summary="A partner municipality was removed from a joint application.")
class JointPartnerRemoved(JointPartnerEvent):
    pass


@event("grants.joint_partner_confirmed",
       summary="A partner municipality confirmed its part (budget share and own contribution) of a joint application.")
class JointPartnerConfirmed(JointPartnerEvent):
    note: str | None = Field(default=None, description="e.g. the council decision that commits the contribution")


@event("grants.joint_partner_declined",
       summary="A partner municipality declined its part of a joint application: the lead changes the partnership.")
class JointPartnerDeclined(JointPartnerEvent):
    note: str | None = Field(default=None, description="why")


@event("grants.person_erased", summary="Grants erased or pseudonymised what it held about a person (counts only).")
class GrantsPersonErased(PersonErased):
    pass
