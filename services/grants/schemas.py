"""Request and response bodies of the grants HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from services.grants.domain.implementation import MAX_INTERIM_REPORTS
from services.grants.domain.reports import GROUPINGS
from services.grants.domain.rules import APPLICANT_TYPES, FUNDING_SOURCES
from services.grants.domain.workflow import Status
from shared.limits import MAX_ITEMS, Name, ShortText
from shared.events.types import EMAIL_PATTERN, CountryCode, LocalizedText, check_municipality, check_themes, one_of
from shared.model import Model
from shared.openapi import Codes, DecimalText
from shared.reference import REGIONS, MunicipalityCode, RegionCode, ThemeCode

ApplicationStatus = Literal["idea", "drafting", "internal_review", "submitted", "awarded", "rejected", "withdrawn",
                            "contracted", "completed"]
assert set(ApplicationStatus.__args__) == {s.value for s in Status}
_applicant_type = one_of(APPLICANT_TYPES, "applicant type")
ApplicantType = Annotated[str, Codes(APPLICANT_TYPES)]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


# Euro amounts: at most 12 digits before the point and 2 after (checked before rounding to cents).
# The bounds are part of the type, so they stay JSON Schema (exclusiveMinimum/minimum, a pattern
# for the string form) when the field is optional too.
PositiveEur = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2), AfterValidator(_cents),
                        DecimalText(12, 2)]
NonNegativeEur = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), AfterValidator(_cents),
                           DecimalText(12, 2)]


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- programmes and funded projects

class PartnerName(StrictModel):
    name: ShortText
    country: CountryCode


class FundedProjectIn(StrictModel):
    project_number: str = Field(min_length=1, max_length=60, description="the funder's number, e.g. LT10-0019")
    title: str = Field(min_length=1, max_length=500, description="as the funder publishes it")
    promoter: str = Field(min_length=1, max_length=300)
    region: RegionCode | None = Field(default=None, description="county code; null = the whole country")
    target_groups: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS)
    themes: list[ThemeCode] = Field(default_factory=list, max_length=MAX_ITEMS)
    status: Literal["in_progress", "completed"] = "completed"
    initial_cost_eur: PositiveEur
    final_cost_eur: PositiveEur | None = None
    grant_eur: NonNegativeEur | None = None
    partners: list[PartnerName] = Field(default_factory=list, max_length=MAX_ITEMS)
    summary: str | None = Field(default=None, max_length=5000)

    _themes = field_validator("themes")(check_themes)
    _region = field_validator("region")(lambda v: v if v is None else one_of(REGIONS, "region")(v))


class FundedProjectOut(FundedProjectIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    programme_id: UUID
    cost_change_eur: Decimal | None = Field(description="final minus initial cost")
    cost_change_percent: Decimal | None


class ProgrammeIn(StrictModel):
    code: str = Field(min_length=1, max_length=60, description="e.g. LT10")
    funder: str = Field(min_length=1, max_length=200, description="e.g. Norway Grants, European Regional Development Fund")
    source_kind: Literal["eu_funds", "eea_norway_grants", "world_bank", "national", "small_grants", "other"]
    title: LocalizedText
    summary: LocalizedText | None = None
    period: str | None = Field(default=None, max_length=40, description="e.g. 2021–2027")
    operator: str | None = Field(default=None, max_length=300, description="the programme operator")
    budget_eur: PositiveEur | None = None
    donor_countries: list[CountryCode] = Field(default_factory=list, max_length=MAX_ITEMS)
    themes: list[ThemeCode] = Field(default_factory=list, max_length=MAX_ITEMS)
    url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")

    _themes = field_validator("themes")(check_themes)


class ProgrammeOut(ProgrammeIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime
    projects: list[FundedProjectOut]
    calls: list[UUID] = Field(description="ids of the programme's calls in the catalogue")


assert set(FUNDING_SOURCES) == set(ProgrammeIn.model_fields["source_kind"].annotation.__args__)


# ---------------------------------------------------------------- calls

class RequiredDocumentIn(StrictModel):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,59}$", description="e.g. budget_form")
    title: LocalizedText


SourceKind = Literal["eu_funds", "eea_norway_grants", "world_bank", "national", "small_grants", "other"]


class CallIn(StrictModel):
    code: str = Field(min_length=1, max_length=60)
    funder: str | None = Field(default=None, min_length=1, max_length=200,
                               description="taken from the programme when programme_id is given (may repeat it, "
                                           "not contradict it); required otherwise")
    source_kind: SourceKind | None = Field(default=None, description="taken from the programme; default other")
    programme_id: UUID | None = None
    title: LocalizedText
    summary: LocalizedText | None = None
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)
    eligible_applicant_types: list[ApplicantType] = Field(min_length=1, max_length=MAX_ITEMS)
    eligible_regions: list[RegionCode] = Field(default_factory=list, max_length=MAX_ITEMS,
                                               description="county codes; empty = all of Lithuania")
    opens_on: date | None = None
    first_stage_closes_on: date | None = Field(default=None, description="two-stage calls: the concept note deadline")
    closes_on: date = Field(description="the (final) application deadline")
    min_grant_eur: NonNegativeEur | None = None
    max_grant_eur: PositiveEur | None = None
    max_funding_rate: Decimal | None = Field(default=None, max_digits=5, decimal_places=4,
                                             description="share of eligible cost, e.g. 0.85")
    required_documents: list[RequiredDocumentIn] = Field(default_factory=list, max_length=MAX_ITEMS,
                                                         description="two-stage calls: the full application's")
    concept_note_documents: list[RequiredDocumentIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="two-stage calls: the concept note's documents")
    foreign_partner_required: bool = False
    partner_countries: list[CountryCode] = Field(default_factory=list, max_length=MAX_ITEMS)
    partner_organisation_types: list[ShortText] = Field(default_factory=list, max_length=MAX_ITEMS,
                                                  description="kinds of partner sought; empty = any")
    url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    status: Literal["forecast", "open", "closed"] = "open"

    _themes = field_validator("themes")(check_themes)
    _types = field_validator("eligible_applicant_types")(_applicant_type)
    _regions = field_validator("eligible_regions")(one_of(REGIONS, "region"))


class CallOut(CallIn):
    model_config = ConfigDict(extra="ignore")

    funder: str
    source_kind: SourceKind
    id: UUID
    programme_code: str | None
    eligible_municipalities: list[MunicipalityCode] = Field(description="municipality codes the call is open to")
    created_at: datetime
    updated_at: datetime | None


class CallChange(StrictModel):
    status: Literal["forecast", "open", "closed"] | None = None
    opens_on: date | None = None
    first_stage_closes_on: date | None = None
    closes_on: date | None = None

    @model_validator(mode="after")
    def something_to_change(self):
        if not self.model_fields_set:
            raise ValueError("give at least one of status, opens_on, first_stage_closes_on, closes_on")
        return self


class ProgrammeQuery(StrictModel):
    source_kind: list[SourceKind] = Field(default_factory=list, max_length=MAX_ITEMS)
    funder: str | None = Field(default=None, min_length=1, max_length=200)
    theme: ThemeCode | None = None

    _theme = field_validator("theme")(lambda v: v if v is None else check_themes(v))


class CallQuery(StrictModel):
    status: list[Literal["forecast", "open", "closed"]] = Field(default_factory=list, max_length=MAX_ITEMS)
    theme: ThemeCode | None = None
    programme_id: UUID | None = None

    _theme = field_validator("theme")(lambda v: v if v is None else check_themes(v))


# ---------------------------------------------------------------- call fit

class FitQuery(StrictModel):
    municipality_code: MunicipalityCode | None = Field(default=None, description="default: the token's municipality")
    applicant_type: ApplicantType = "municipality"
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)
    total_cost_eur: PositiveEur = Field(description="the idea's total eligible cost")
    requested_grant_eur: PositiveEur | None = Field(default=None,
                                                      description="default: the most each call would give")
    has_foreign_partner: bool = False
    partner_country: CountryCode | None = None

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _themes = field_validator("themes")(check_themes)
    _type = field_validator("applicant_type")(_applicant_type)


class RuleOut(Model):
    rule: Literal["applicant_type", "region", "themes", "amount_range", "funding_rate", "partner", "deadline"]
    verdict: Literal["pass", "warn", "fail"]
    explanation: LocalizedText


class CallFitOut(Model):
    call_id: UUID
    code: str
    title: LocalizedText
    funder: str
    status: str
    fits: bool
    failures: int = Field(description="rules failed; calls that do not fit are ranked by it, fewest first")
    warnings: int
    grant_eur: Decimal = Field(description="requested, or the most the call would give")
    own_contribution_eur: Decimal
    days_left: int = Field(description="to the next official deadline")
    shared_themes: list[str]
    rules: list[RuleOut]


class FitOut(Model):
    municipality_code: MunicipalityCode
    assessed_on: date
    calls: list[CallFitOut]


# ---------------------------------------------------------------- applications

class ContactIn(StrictModel):
    name: Name
    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    language: Literal["lt", "en"] = "lt"


class BudgetIn(StrictModel):
    total_eligible_cost_eur: PositiveEur
    requested_grant_eur: PositiveEur
    own_contribution_eur: NonNegativeEur | None = Field(default=None, description="default: total minus grant")


class OwnPartnerIn(StrictModel):
    """A foreign partner the municipality already has (no search needed)."""

    name: ShortText
    country: CountryCode


class ApplicationIn(StrictModel):
    call_id: UUID
    municipality_code: MunicipalityCode
    applicant_type: ApplicantType = "municipality"
    title: LocalizedText
    summary: LocalizedText | None = None
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)
    budget: BudgetIn
    internal_deadline: date | None = Field(default=None, description="default: a week before the next official one")
    contact: ContactIn | None = Field(default=None, description="the municipality's contact person")
    consultant: ContactIn | None = Field(default=None, description="staff only: the centre's consultant")
    partner: OwnPartnerIn | None = None
    status: Literal["idea", "drafting"] = "idea"

    _municipality = field_validator("municipality_code")(check_municipality)
    _themes = field_validator("themes")(check_themes)
    _type = field_validator("applicant_type")(_applicant_type)


class ApplicationChange(StrictModel):
    title: LocalizedText | None = None
    summary: LocalizedText | None = None
    themes: list[ThemeCode] | None = Field(default=None, min_length=1)
    budget: BudgetIn | None = None
    internal_deadline: date | None = None
    contact: ContactIn | None = None

    _themes = field_validator("themes")(lambda v: v if v is None else check_themes(v))

    @model_validator(mode="after")
    def something_to_change(self):
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class TransitionIn(StrictModel):
    to: ApplicationStatus
    note: str | None = Field(default=None, max_length=2000)
    effective_on: date | None = Field(default=None, description="e.g. the submission or contract date; default today")


class ChecklistChange(StrictModel):
    status: Literal["missing", "in_progress", "ready", "not_applicable"]
    note: str | None = Field(default=None, max_length=2000,
                             description="required for not_applicable (a waiver, staff only): the reason")


class ConsultationIn(StrictModel):
    held_on: date
    channel: Literal["meeting", "phone", "email", "video"]
    summary: str = Field(min_length=1, max_length=5000)
    next_steps: str | None = Field(default=None, max_length=5000)
    follow_up_on: date | None = None


class DecisionIn(StrictModel):
    outcome: Literal["awarded", "rejected", "invited"] = Field(
        description="a concept note (stage 1 of a two-stage call) is invited or rejected; a full or single-stage "
                    "application awarded or rejected")
    decided_on: date
    awarded_grant_eur: NonNegativeEur | None = None
    reasons: LocalizedText | None = None
    reference: str | None = Field(default=None, max_length=200)


class FinalReportIn(StrictModel):
    final_cost_eur: PositiveEur
    final_grant_eur: NonNegativeEur | None = Field(
        default=None, description="default: the call's funding rate of the final cost, at most the amount awarded")
    completed_on: date


# ---------------------------------------------------------------- after the contract

class ImplementationIn(StrictModel):
    starts_on: date
    ends_on: date
    interim_reports_due: list[date] = Field(default_factory=list, max_length=MAX_INTERIM_REPORTS,
                                            description="due dates of the interim reports, within the period")
    final_report_due: date | None = Field(default=None, description="default: 30 days after ends_on")


class ReportSubmissionIn(StrictModel):
    submitted_on: date | None = Field(default=None, description="default: today")
    note: str | None = Field(default=None, max_length=2000)


class PaymentClaimIn(StrictModel):
    amount_eur: PositiveEur = Field(description="the amount claimed")
    eligible_costs_eur: PositiveEur = Field(description="the eligible costs the claim declares")
    submitted_on: date | None = Field(default=None, description="default: today")
    note: str | None = Field(default=None, max_length=2000)


class ClaimStatusIn(StrictModel):
    status: Literal["approved", "paid"]
    on: date | None = Field(default=None, description="default: today")
    approved_amount_eur: NonNegativeEur | None = Field(
        default=None, description="with the approval: the amount approved when less than claimed")
    note: str | None = Field(default=None, max_length=2000)


class AmendmentIn(StrictModel):
    total_eligible_cost_eur: PositiveEur | None = None
    grant_eur: PositiveEur | None = None
    ends_on: date | None = None
    reason: str = Field(min_length=1, max_length=2000)
    reference: str | None = Field(default=None, max_length=200, description="e.g. the funder's amendment number")


class ContactOut(Model):
    name: str
    email: str
    language: str


class BudgetOut(Model):
    total_eligible_cost_eur: Decimal
    requested_grant_eur: Decimal
    own_contribution_eur: Decimal
    funding_rate: Decimal


class CandidateOut(Model):
    organisation_id: UUID
    name: str
    country: str
    organisation_type: str
    rank: int
    score: float
    components: dict[str, float]
    introduction_status: str | None


class PartnerOut(Model):
    required: bool
    countries: list[str]
    status: Literal["not_required", "requested", "proposed", "established"]
    met: bool
    organisation_id: UUID | None
    name: str | None
    country: str | None
    contact: ContactOut | None
    established_at: datetime | None
    candidates: list[CandidateOut]


class DecisionOut(Model):
    outcome: Literal["awarded", "rejected"]
    decided_on: date
    awarded_grant_eur: Decimal | None
    reasons: LocalizedText | None
    reference: str | None


class CostsOut(Model):
    """The end of the story, as the funder reports projects: initial vs final cost and grant."""

    initial_cost_eur: Decimal
    final_cost_eur: Decimal | None
    cost_change_eur: Decimal | None
    cost_change_percent: Decimal | None
    requested_grant_eur: Decimal
    awarded_grant_eur: Decimal | None
    final_grant_eur: Decimal | None
    grant_reduction_eur: Decimal | None = Field(description="awarded minus final grant: how much the grant shrank")
    contracted_on: date | None
    completed_on: date | None


class StatusChangeOut(Model):
    from_status: str | None
    to_status: str
    changed_at: datetime
    changed_by: str
    note: str | None


class ChecklistChangeOut(Model):
    from_status: str
    to_status: str
    note: str | None
    changed_at: datetime
    changed_by: str


class ChecklistItemOut(Model):
    code: str
    stage: Literal["concept_note", "full_application"] | None = Field(
        description="two-stage calls: the stage whose submission needs it")
    title: LocalizedText
    status: str
    note: str | None
    updated_at: datetime
    updated_by: str | None
    waived: bool = Field(description="marked not applicable by the centre's consultant")
    history: list[ChecklistChangeOut] = Field(description="every change of the item, oldest first")


class ConsultationOut(ConsultationIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    recorded_by: str
    recorded_at: datetime


class ReminderOut(Model):
    deadline_kind: str
    deadline: date
    days_before: int
    sent_at: datetime


class ConceptNoteOut(Model):
    """Stage 1 of a two-stage call."""

    deadline: date
    submitted_on: date | None
    outcome: Literal["invited", "rejected"] | None
    decided_on: date | None
    reasons: LocalizedText | None


class DeadlinesOut(Model):
    internal: date
    first_stage: date | None
    official: date
    next_official: date
    days_to_next_official: int


class ProjectReportOut(Model):
    id: UUID
    kind: Literal["interim", "final"]
    due_on: date
    submitted_on: date | None
    submitted_by: str | None
    note: str | None
    overdue: bool = Field(description="due date passed and not submitted")


class PaymentClaimOut(Model):
    id: UUID
    number: int
    amount_eur: Decimal
    eligible_costs_eur: Decimal
    status: Literal["submitted", "approved", "paid"]
    submitted_on: date
    submitted_by: str
    approved_on: date | None
    approved_amount_eur: Decimal | None
    approved_by: str | None
    paid_on: date | None
    paid_by: str | None
    note: str | None


class ContractTermsOut(Model):
    total_eligible_cost_eur: Decimal
    grant_eur: Decimal
    ends_on: date


class AmendmentOut(Model):
    before: ContractTermsOut
    after: ContractTermsOut
    reason: str
    reference: str | None
    changed_at: datetime
    changed_by: str


class ImplementationOut(Model):
    starts_on: date
    ends_on: date
    contract_total_eur: Decimal = Field(description="the total eligible cost, as amended")
    contract_grant_eur: Decimal = Field(description="the grant, as amended")
    reports: list[ProjectReportOut]
    next_report_due: date | None
    payment_claims: list[PaymentClaimOut]
    claimed_eur: Decimal = Field(description="all claims (the approved amount once known)")
    approved_eur: Decimal = Field(description="approved or paid claims")
    paid_eur: Decimal
    unclaimed_grant_eur: Decimal = Field(description="contract grant minus claimed")
    amendments: list[AmendmentOut]


class ApplicationSummaryOut(Model):
    id: UUID
    call_id: UUID
    call_code: str
    call_title: LocalizedText
    funder: str
    municipality_code: MunicipalityCode
    applicant_type: ApplicantType
    title: LocalizedText
    themes: list[ThemeCode]
    status: ApplicationStatus
    stage: Literal["concept_note", "full_application"] | None = Field(
        description="two-stage calls: the stage the application is at; null for a single-stage call")
    budget: BudgetOut
    deadlines: DeadlinesOut
    partner_status: str
    consultant: ContactOut | None
    created_at: datetime
    updated_at: datetime


class ApplicationOut(ApplicationSummaryOut):
    summary: LocalizedText | None
    contact: ContactOut | None
    partner: PartnerOut
    concept_note: ConceptNoteOut | None = Field(description="two-stage calls: the concept note stage")
    decision: DecisionOut | None
    costs: CostsOut
    checklist: list[ChecklistItemOut]
    history: list[StatusChangeOut]
    consultations: list[ConsultationOut]
    reminders_sent: list[ReminderOut]
    allowed_transitions: list[str]
    created_by: str
    implementation: ImplementationOut | None = Field(description="after the contract: set by PUT …/implementation")


# ---------------------------------------------------------------- reports

class ReportQuery(StrictModel):
    group_by: Literal["status", "funder", "theme", "municipality", "call", "year", "programme_period"] = "status"


assert set(GROUPINGS) == set(ReportQuery.model_fields["group_by"].annotation.__args__)


class ReportRowOut(Model):
    group: str
    applications: int
    by_status: dict[str, int]
    requested_eur: Decimal
    awarded_eur: Decimal
    final_cost_eur: Decimal
    final_grant_eur: Decimal
    decided: int
    successful: int
    success_rate: Decimal | None = Field(description="successful ÷ decided; null before any decision")
    paid_eur: Decimal = Field(description="payment claims paid")
    funded_projects: int = Field(description="projects the catalogue's programmes funded (the seeds), in this group")
    funded_initial_cost_eur: Decimal
    funded_final_cost_eur: Decimal
    funded_grant_eur: Decimal


class ReportOut(Model):
    group_by: str
    municipality_code: str | None = Field(description="set when the report is limited to one municipality")
    rows: list[ReportRowOut]
    totals: ReportRowOut
