"""Rows → response bodies and event payloads (no decisions here: those are in domain/)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from services.grants.domain.budget import GrantLimits
from services.grants.domain import stages
from services.grants.domain.fit import Assessment, CallFacts
from services.grants.domain.implementation import ClaimFacts
from services.grants.domain.reports import NO_PROGRAMME, ApplicationFacts, FundedFacts, ReportRow
from services.grants.domain.rules import CallTerms, eligible_municipalities, next_official_deadline
from services.grants.domain.workflow import TRANSITIONS, BY_DECISION, BY_FINAL_REPORT, Status, cost_change
from services.grants.models import Application, FundedProject, FundingCall, PaymentClaim, Programme
from services.grants.schemas import (
    ApplicationOut,
    ApplicationSummaryOut,
    CallFitOut,
    CallOut,
    FundedProjectOut,
    ProgrammeOut,
    ReportRowOut,
)
from shared.events.types import Contact, LocalizedText
from shared.reference import MUNICIPALITIES
from shared.spreadsheet import csv_writer


# ---------------------------------------------------------------- programmes and calls

def funded_project_out(project: FundedProject) -> FundedProjectOut:
    change, change_percent = cost_change(project.initial_cost_eur, project.final_cost_eur)
    values = {c.name: getattr(project, c.name) for c in FundedProject.__table__.columns}
    return FundedProjectOut.model_validate(dict(values, cost_change_eur=change, cost_change_percent=change_percent))


def programme_out(programme: Programme, projects: list[FundedProject], call_ids) -> ProgrammeOut:
    values = {c.name: getattr(programme, c.name) for c in Programme.__table__.columns}
    return ProgrammeOut.model_validate(dict(values, projects=[funded_project_out(p) for p in projects],
                                            calls=list(call_ids)))


def call_out(call: FundingCall, programme_code: str | None) -> CallOut:
    values = {c.name: getattr(call, c.name) for c in FundingCall.__table__.columns}
    return CallOut.model_validate(dict(
        values, programme_code=programme_code,
        eligible_municipalities=eligible_municipalities(call.eligible_applicant_types, call.eligible_regions)))


def grant_limits(call: FundingCall) -> GrantLimits:
    return GrantLimits(call.min_grant_eur, call.max_grant_eur, call.max_funding_rate)


def call_terms(call: FundingCall) -> CallTerms:
    """A stored call's terms, as the rules check a change of them."""
    return CallTerms(
        opens_on=call.opens_on, closes_on=call.closes_on, min_grant_eur=call.min_grant_eur,
        max_grant_eur=call.max_grant_eur, max_funding_rate=call.max_funding_rate,
        foreign_partner_required=call.foreign_partner_required, partner_countries=call.partner_countries,
        status=call.status, first_stage_closes_on=call.first_stage_closes_on)


def call_facts(call: FundingCall) -> CallFacts:
    return CallFacts(
        code=call.code, status=call.status, themes=tuple(call.themes),
        eligible_applicant_types=tuple(call.eligible_applicant_types), eligible_regions=tuple(call.eligible_regions),
        opens_on=call.opens_on, first_stage_closes_on=call.first_stage_closes_on, closes_on=call.closes_on,
        limits=grant_limits(call), foreign_partner_required=call.foreign_partner_required,
        partner_countries=tuple(call.partner_countries))


def call_fit_out(call: FundingCall, assessment: Assessment) -> CallFitOut:
    return CallFitOut(
        call_id=call.id, code=call.code, title=LocalizedText(**call.title), funder=call.funder, status=call.status,
        fits=assessment.fits, failures=assessment.failures, warnings=assessment.warnings, grant_eur=assessment.grant_eur,
        own_contribution_eur=assessment.own_contribution_eur, days_left=assessment.days_left,
        shared_themes=list(assessment.shared_themes),
        rules=[{"rule": r.rule, "verdict": r.verdict.value, "explanation": r.explanation.as_dict()}
               for r in assessment.rules])


# ---------------------------------------------------------------- applications

def contact(name: str | None, email: str | None, language: str | None, organisation: str | None = None):
    if not (name and email):
        return None
    return Contact(name=name, email=email, language=language or "lt", organisation=organisation)


def contact_of(application: Application) -> Contact | None:
    return contact(application.contact_name, application.contact_email, application.contact_language,
                   MUNICIPALITIES[application.municipality_code].name_lt)


def consultant_of(application: Application) -> Contact | None:
    return contact(application.consultant_name, application.consultant_email, application.consultant_language)


def application_event_fields(application: Application, call: FundingCall) -> dict:
    """The fields every grants.application_* event carries (shared.events.grants.ApplicationEvent)."""
    return dict(
        application_id=application.id, call_id=call.id, call_code=call.code, call_title=LocalizedText(**call.title),
        funder=call.funder, municipality_code=application.municipality_code,
        title=LocalizedText(**application.title), contact=contact_of(application),
        consultant=consultant_of(application), stage=application.stage)


def _contact_out(found: Contact | None):
    return None if found is None else {"name": found.name, "email": found.email, "language": found.language}


def allowed_transitions(status: str) -> list[str]:
    """What the transitions endpoint accepts next (decision and final report have their own)."""
    return [s.value for s in TRANSITIONS[Status(status)] if s not in BY_DECISION + BY_FINAL_REPORT]


def application_deadline(application: Application, call: FundingCall, today: date) -> date:
    """The funder deadline the application works to (its stage's, for a two-stage call)."""
    if application.stage is None:
        return next_official_deadline(call.first_stage_closes_on, call.closes_on, today)
    return stages.next_deadline(application.stage, call.first_stage_closes_on, call.closes_on, today)


def _summary_fields(application: Application, call: FundingCall, today: date) -> dict:
    next_official = application_deadline(application, call, today)
    return dict(
        id=application.id, call_id=call.id, call_code=call.code, call_title=call.title, funder=call.funder,
        municipality_code=application.municipality_code, applicant_type=application.applicant_type,
        title=application.title, themes=application.themes, status=application.status, stage=application.stage,
        budget=dict(total_eligible_cost_eur=application.total_eligible_cost_eur,
                    requested_grant_eur=application.requested_grant_eur,
                    own_contribution_eur=application.own_contribution_eur,
                    funding_rate=(application.requested_grant_eur / application.total_eligible_cost_eur).quantize(
                        Decimal("0.0001"))),
        deadlines=dict(internal=application.internal_deadline, first_stage=call.first_stage_closes_on,
                       official=call.closes_on, next_official=next_official,
                       days_to_next_official=(next_official - today).days),
        partner_status=application.partner_status, consultant=_contact_out(consultant_of(application)),
        created_at=application.created_at, updated_at=application.updated_at)


def application_summary_out(application: Application, call: FundingCall, today: date) -> ApplicationSummaryOut:
    return ApplicationSummaryOut.model_validate(_summary_fields(application, call, today))


def implementation_out(application: Application, today: date, reports, claims, amendments) -> dict | None:
    """The implementation period with its reporting deadlines, payment claims and amendments (None
    until planned)."""
    if application.starts_on is None:
        return None
    counted = [claim_facts(c) for c in claims]
    claimed = sum((c.counted_eur for c in counted), Decimal("0"))
    approved = sum((c.counted_eur for c in counted if c.status in ("approved", "paid")), Decimal("0"))
    paid = sum((c.counted_eur for c in counted if c.status == "paid"), Decimal("0"))
    open_reports = [r.due_on for r in reports if r.submitted_on is None]
    return dict(
        starts_on=application.starts_on, ends_on=application.ends_on,
        contract_total_eur=application.contract_total_eur, contract_grant_eur=application.contract_grant_eur,
        reports=[dict(id=r.id, kind=r.kind, due_on=r.due_on, submitted_on=r.submitted_on, submitted_by=r.submitted_by,
                      note=r.note, overdue=r.submitted_on is None and r.due_on < today) for r in reports],
        next_report_due=min(open_reports) if open_reports else None,
        payment_claims=[{c.name: getattr(claim, c.name) for c in PaymentClaim.__table__.columns
                         if c.name not in ("application_id", "updated_at")} for claim in claims],
        claimed_eur=claimed, approved_eur=approved, paid_eur=paid,
        unclaimed_grant_eur=application.contract_grant_eur - claimed,
        amendments=[dict(before=a.before, after=a.after, reason=a.reason, reference=a.reference,
                         changed_at=a.changed_at, changed_by=a.changed_by) for a in amendments])


def claim_facts(claim: PaymentClaim) -> ClaimFacts:
    return ClaimFacts(status=claim.status, amount_eur=claim.amount_eur, approved_amount_eur=claim.approved_amount_eur)


def contract_terms_data(total: Decimal, grant: Decimal, ends_on: date) -> dict:
    return {"total_eligible_cost_eur": str(total), "grant_eur": str(grant), "ends_on": ends_on.isoformat()}


def application_out(application: Application, call: FundingCall, today: date, *, history, checklist, consultations,
                    candidates, reminders, checklist_changes=(), reports=(), claims=(),
                    amendments=()) -> ApplicationOut:
    change, change_percent = cost_change(application.total_eligible_cost_eur, application.final_cost_eur)
    partner_contact = contact(application.partner_contact_name, application.partner_contact_email, "en")
    decision = None
    if application.decided_on is not None:
        decision = dict(
            outcome=application.decision_outcome,
            decided_on=application.decided_on, awarded_grant_eur=application.awarded_grant_eur,
            reasons=application.decision_reasons, reference=application.decision_reference)
    return ApplicationOut.model_validate(dict(
        _summary_fields(application, call, today),
        summary=application.summary, contact=_contact_out(contact_of(application)),
        partner=dict(
            required=call.foreign_partner_required, countries=call.partner_countries,
            status=application.partner_status, met=application.partner_status in ("not_required", "established"),
            organisation_id=application.partner_organisation_id, name=application.partner_name,
            country=application.partner_country, contact=_contact_out(partner_contact),
            established_at=application.partner_established_at,
            candidates=[dict(organisation_id=c.organisation_id, name=c.name, country=c.country,
                             organisation_type=c.organisation_type, rank=c.rank, score=c.score,
                             components=c.components, introduction_status=c.introduction_status)
                        for c in candidates]),
        decision=decision,
        concept_note=None if application.stage is None else dict(
            deadline=call.first_stage_closes_on, submitted_on=application.concept_submitted_on,
            outcome=application.concept_outcome, decided_on=application.concept_decided_on,
            reasons=application.concept_reasons),
        costs=dict(initial_cost_eur=application.total_eligible_cost_eur, final_cost_eur=application.final_cost_eur,
                   cost_change_eur=change, cost_change_percent=change_percent,
                   requested_grant_eur=application.requested_grant_eur,
                   awarded_grant_eur=application.awarded_grant_eur, final_grant_eur=application.final_grant_eur,
                   grant_reduction_eur=(application.awarded_grant_eur - application.final_grant_eur
                                        if application.final_grant_eur is not None
                                        and application.awarded_grant_eur is not None else None),
                   contracted_on=application.contracted_on, completed_on=application.completed_on),
        checklist=[dict(code=i.code, stage=i.stage, title=i.title, status=i.status, note=i.note, updated_at=i.updated_at,
                        updated_by=i.updated_by, waived=i.status == "not_applicable",
                        history=[dict(from_status=c.from_status, to_status=c.to_status, note=c.note,
                                      changed_at=c.changed_at, changed_by=c.changed_by)
                                 for c in checklist_changes if c.code == i.code]) for i in checklist],
        history=[dict(from_status=h.from_status, to_status=h.to_status, changed_at=h.changed_at,
                      changed_by=h.changed_by, note=h.note) for h in history],
        consultations=[dict(id=c.id, held_on=c.held_on, channel=c.channel, summary=c.summary,
                            next_steps=c.next_steps, follow_up_on=c.follow_up_on, recorded_by=c.recorded_by,
                            recorded_at=c.recorded_at) for c in consultations],
        reminders_sent=[dict(deadline_kind=r.deadline_kind, deadline=r.deadline, days_before=r.days_before,
                             sent_at=r.sent_at) for r in reminders],
        allowed_transitions=allowed_transitions(application.status),
        created_by=application.created_by,
        implementation=implementation_out(application, today, reports, claims, amendments),
    ))


# ---------------------------------------------------------------- reports

def application_facts(application: Application, call: FundingCall, periods: dict | None = None,
                      paid: dict | None = None) -> ApplicationFacts:
    """`periods`: programme id → period; `paid`: application id → amount paid."""
    period = (periods or {}).get(call.programme_id) if call.programme_id else None
    year = application.submitted_on.year if application.submitted_on else application.created_at.year
    return ApplicationFacts(
        status=application.status, funder=call.funder, themes=tuple(application.themes),
        municipality_code=application.municipality_code, call_code=call.code,
        requested_grant_eur=application.requested_grant_eur, awarded_grant_eur=application.awarded_grant_eur,
        final_cost_eur=application.final_cost_eur, final_grant_eur=application.final_grant_eur,
        year=str(year), programme_period=period or NO_PROGRAMME,
        paid_eur=Decimal((paid or {}).get(application.id) or 0))


def funded_facts(project: FundedProject, programme: Programme) -> FundedFacts:
    return FundedFacts(funder=programme.funder, themes=tuple(project.themes),
                       programme_period=programme.period or NO_PROGRAMME, initial_cost_eur=project.initial_cost_eur,
                       final_cost_eur=project.final_cost_eur, grant_eur=project.grant_eur)


def report_row_out(row: ReportRow) -> ReportRowOut:
    return ReportRowOut(group=row.group, applications=row.applications, by_status=row.by_status,
                        requested_eur=row.requested_eur, awarded_eur=row.awarded_eur,
                        final_cost_eur=row.final_cost_eur, final_grant_eur=row.final_grant_eur, decided=row.decided,
                        successful=row.successful, success_rate=row.success_rate, paid_eur=row.paid_eur,
                        funded_projects=row.funded_projects, funded_initial_cost_eur=row.funded_initial_cost_eur,
                        funded_final_cost_eur=row.funded_final_cost_eur, funded_grant_eur=row.funded_grant_eur)


def report_csv(group_by: str, rows: list[ReportRow], totals: ReportRow) -> str:
    statuses = [s.value for s in Status]
    out = io.StringIO()
    writer = csv_writer(out)  # formula-like cells neutralised
    writer.writerow([group_by, "applications", *statuses, "requested_eur", "awarded_eur", "final_cost_eur",
                     "final_grant_eur", "decided", "successful", "success_rate", "paid_eur", "funded_projects",
                     "funded_initial_cost_eur", "funded_final_cost_eur", "funded_grant_eur"])
    for row in rows + [totals]:
        writer.writerow([row.group, row.applications, *(row.by_status[s] for s in statuses), row.requested_eur,
                         row.awarded_eur, row.final_cost_eur, row.final_grant_eur, row.decided, row.successful,
                         "" if row.success_rate is None else row.success_rate, row.paid_eur, row.funded_projects,
                         row.funded_initial_cost_eur, row.funded_final_cost_eur, row.funded_grant_eur])
    return out.getvalue()


APPLICATION_COLUMNS = ("id", "municipality_code", "municipality", "call_code", "funder", "title_lt", "title_en",
                       "themes", "status", "total_eligible_cost_eur", "requested_grant_eur", "own_contribution_eur",
                       "internal_deadline", "official_deadline", "partner_status", "submitted_on", "decided_on",
                       "awarded_grant_eur", "final_cost_eur", "final_grant_eur", "completed_on")


def applications_csv(rows: list[tuple[Application, FundingCall]]) -> str:
    """One line per application, amounts and dates only: no contact or consultant details."""
    out = io.StringIO()
    writer = csv_writer(out)  # formula-like cells neutralised
    writer.writerow(APPLICATION_COLUMNS)
    for application, call in rows:
        writer.writerow([
            application.id, application.municipality_code, MUNICIPALITIES[application.municipality_code].name_lt,
            call.code, call.funder, application.title["lt"], application.title.get("en") or "",
            " ".join(application.themes), application.status, application.total_eligible_cost_eur,
            application.requested_grant_eur, application.own_contribution_eur, application.internal_deadline,
            call.closes_on, application.partner_status, application.submitted_on or "", application.decided_on or "",
            application.awarded_grant_eur or "", application.final_cost_eur or "", application.final_grant_eur or "",
            application.completed_on or ""])
    return out.getvalue()
