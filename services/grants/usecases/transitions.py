"""An application's way through its workflow (domain/workflow.py): moves (idea → drafting →
internal_review → submitted; awarded → contracted; withdrawn), the funder's decision (awarded or
rejected, grants.application_decided) and the final report (completed, with the final cost). Every
move is kept with who made it and published as grants.application_status_changed."""

from __future__ import annotations

import uuid

from services.grants.domain import stages
from services.grants.domain.rules import default_internal_deadline
from services.grants.domain.workflow import (
    Decision,
    Status,
    SubmissionReadiness,
    awarded_amount,
    check_decision,
    check_final_report,
    check_transition,
    effective_date,
    missing_documents,
)
from services.grants.models import Application, FundingCall, StatusChange
from services.grants.repository import GrantsRepository
from services.grants.schemas import ApplicationOut, DecisionIn, FinalReportIn, TransitionIn
from services.grants.usecases import joint, local_today, repository
from services.grants.usecases.applications import view
from services.grants.views import application_event_fields
from shared.events.grants import ApplicationDecided, ApplicationStatusChanged, FinalReportFiled
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def move_application(uow: UnitOfWork, application_id: uuid.UUID, body: TransitionIn, principal) -> ApplicationOut:
    """Submitting needs every required document done, an established partner where the call
    requires one, and the official deadline not passed; only the centre's staff pass the internal
    review (`principal`: who moves it)."""
    by = principal.subject
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    call = repo.call(application.call_id)
    today = local_today()
    current, target = Status(application.status), Status(body.to)
    readiness = None
    if target == Status.SUBMITTED:
        # A two-stage application submits its stage: that stage's documents, by that stage's deadline.
        items = stages.of_stage(repo.checklist(application.id), application.stage)
        readiness = SubmissionReadiness(
            missing_documents=missing_documents((i.code, i.status) for i in items),
            partner_required=call.foreign_partner_required and application.stage != stages.CONCEPT_NOTE,
            partner_established=application.partner_status == "established",
            official_deadline=stages.stage_deadline(application.stage, call.first_stage_closes_on, call.closes_on),
            today=today)
    check_transition(current, target, readiness=readiness, by_staff=principal.is_staff)
    if target == Status.SUBMITTED:
        joint.check_submission(uow, application, call)  # a joint application: every partner confirmed
    effective_on = effective_date(target, body.effective_on, today=today, decided_on=application.decided_on)
    if target == Status.SUBMITTED and application.stage == stages.CONCEPT_NOTE:
        application.concept_submitted_on = effective_on
    elif target == Status.SUBMITTED:
        application.submitted_on = effective_on
    if target == Status.CONTRACTED:
        application.contracted_on = effective_on
    record_status(uow, repo, application, call, target, by, body.note)
    uow.commit()
    return view(repo, application, call, today)


def record_decision(uow: UnitOfWork, application_id: uuid.UUID, body: DecisionIn, by: str) -> ApplicationOut:
    """The funder's decision on the stage submitted: a concept note is invited to the full
    application (back to drafting, at stage 2) or rejected (the application ends); a full or
    single-stage application is awarded or rejected."""
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    call = repo.call(application.call_id)
    today = local_today()
    stages.check_outcome(application.stage, body.outcome)
    if application.stage == stages.CONCEPT_NOTE:
        return decide_concept_note(uow, repo, application, call, body, by, today)
    outcome = Status(body.outcome)
    check_transition(Status(application.status), outcome, via="decision")
    decision = Decision(outcome, body.decided_on, body.awarded_grant_eur)
    check_decision(decision, requested_grant_eur=application.requested_grant_eur,
                   submitted_on=application.submitted_on, today=today)
    application.decided_on, application.decision_outcome = body.decided_on, body.outcome
    application.awarded_grant_eur = awarded_amount(decision)
    application.decision_reasons = body.reasons and body.reasons.model_dump()
    application.decision_reference = body.reference
    record_status(uow, repo, application, call, outcome, by,
                  (body.reasons.en or body.reasons.lt) if body.reasons else None)
    uow.emit(ApplicationDecided(
        **application_event_fields(application, call), outcome=body.outcome,
        requested_grant_eur=application.requested_grant_eur, awarded_grant_eur=application.awarded_grant_eur,
        decided_on=body.decided_on, reasons=body.reasons, reference=body.reference), subject=str(application.id))
    uow.commit()
    return view(repo, application, call, today)


def decide_concept_note(uow: UnitOfWork, repo: GrantsRepository, application: Application, call: FundingCall,
                        body: DecisionIn, by: str, today) -> ApplicationOut:
    """Stage 1's outcome: invited (drafting the full application, its internal deadline a week
    before the call closes) or rejected (the end)."""
    invited = body.outcome == "invited"
    if invited:
        stages.check_invitation(application.status)
    else:
        check_transition(Status(application.status), Status.REJECTED, via="decision")
    check_decision(Decision(Status.REJECTED, body.decided_on, body.awarded_grant_eur),
                   requested_grant_eur=application.requested_grant_eur, submitted_on=application.concept_submitted_on,
                   today=today)
    application.concept_decided_on, application.concept_outcome = body.decided_on, body.outcome
    application.concept_reasons = body.reasons and body.reasons.model_dump()
    note = (body.reasons.en or body.reasons.lt) if body.reasons else None
    if invited:
        application.stage = stages.FULL_APPLICATION
        application.internal_deadline = default_internal_deadline(call.closes_on, today)
        record_status(uow, repo, application, call, Status.DRAFTING, by,
                      "invited to submit the full application" + (f": {note}" if note else ""))
    else:
        record_status(uow, repo, application, call, Status.REJECTED, by, note)
    uow.emit(ApplicationDecided(
        **{**application_event_fields(application, call), "stage": stages.CONCEPT_NOTE}, outcome=body.outcome,
        requested_grant_eur=application.requested_grant_eur, awarded_grant_eur=None, decided_on=body.decided_on,
        reasons=body.reasons, reference=body.reference), subject=str(application.id))
    uow.commit()
    return view(repo, application, call, today)


def file_final_report(uow: UnitOfWork, application_id: uuid.UUID, body: FinalReportIn, by: str) -> ApplicationOut:
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    call = repo.call(application.call_id)
    today = local_today()
    check_transition(Status(application.status), Status.COMPLETED, via="final_report")
    # The contract's grant as amended, when the implementation was planned; the award otherwise.
    grant = application.contract_grant_eur if application.contract_grant_eur is not None \
        else application.awarded_grant_eur
    settled = check_final_report(
        final_cost_eur=body.final_cost_eur, final_grant_eur=body.final_grant_eur,
        awarded_grant_eur=grant, max_funding_rate=call.max_funding_rate,
        completed_on=body.completed_on, decided_on=application.decided_on, today=today,
        starts_on=application.starts_on)
    application.final_cost_eur, application.final_grant_eur = body.final_cost_eur, settled.final_grant_eur
    application.completed_on = body.completed_on
    for report in repo.project_reports(application.id):  # the final report is in: no more reminders
        if report.kind == "final" and report.submitted_on is None:
            report.submitted_on, report.submitted_by, report.note = today, by, "final report filed"
    record_status(uow, repo, application, call, Status.COMPLETED, by, "final report filed")
    uow.emit(FinalReportFiled(
        **application_event_fields(application, call), initial_cost_eur=application.total_eligible_cost_eur,
        final_cost_eur=body.final_cost_eur, awarded_grant_eur=application.awarded_grant_eur,
        final_grant_eur=settled.final_grant_eur,
        grant_reduction_eur=application.awarded_grant_eur - settled.final_grant_eur,
        max_funding_rate=call.max_funding_rate, completed_on=body.completed_on), subject=str(application.id))
    uow.commit()
    return view(repo, application, call, today)


def record_status(uow: UnitOfWork, repo: GrantsRepository, application: Application, call: FundingCall,
                  target: Status, by: str, note: str | None) -> None:
    now = utcnow()
    previous = application.status
    application.status, application.updated_at = target.value, now
    repo.add(StatusChange(application_id=application.id, from_status=previous, to_status=target.value,
                          changed_at=now, changed_by=by, note=note))
    uow.emit(ApplicationStatusChanged(
        **application_event_fields(application, call), from_status=previous, to_status=target.value,
        changed_at=now, note=note), subject=str(application.id))
