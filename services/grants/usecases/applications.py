"""A municipality's application to a call: starting it (budget checked against the call, a
checklist from the call's required documents, a partner requested when the call needs one),
reading applications (listing and exporting them: usecases/desk.py), editing one being written,
assigning the centre's consultant and ticking off required documents."""

from __future__ import annotations

import uuid
from datetime import date

from services.grants.domain.budget import check_budget, complete_budget
from services.grants.domain.eligibility import (
    check_call_admits,
    check_consultant_assignment,
    check_deadline_ahead,
    check_partner_country,
    check_shared_themes,
    initial_partner_status,
)
from services.grants.domain.rules import check_internal_deadline, default_internal_deadline
from services.grants.domain.stages import check_can_start, checklist_of, initial_stage
from services.grants.domain.workflow import WAIVED, Status, check_checklist_change, check_editable
from services.grants.models import Application, ChecklistChange, ChecklistItem, FundingCall, StatusChange
from services.grants.repository import GrantsRepository
from services.grants.schemas import (
    ApplicationChange,
    ApplicationIn,
    ApplicationOut,
    ChecklistChange as ChecklistChangeIn,
    ContactIn,
)
from services.grants.usecases import desk, local_today, repository
from services.grants.usecases.partner_search import partner_search_open, request_partner
from services.grants.views import (
    application_deadline,
    application_event_fields,
    application_out,
    call_facts,
    consultant_of,
    grant_limits,
)
from shared.events.grants import ApplicationCreated, DocumentWaived
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def create_application(uow: UnitOfWork, body: ApplicationIn, principal) -> ApplicationOut:
    """`principal`: who starts it (its subject is the author; only staff may assign a consultant)."""
    check_consultant_assignment(body.consultant is not None, principal.is_staff)
    repo = repository(uow)
    call = repo.call(body.call_id)
    facts = call_facts(call)
    today = local_today()
    check_call_admits(facts, applicant_type=body.applicant_type, municipality_code=body.municipality_code,
                      themes=body.themes)
    budget = complete_budget(body.budget.total_eligible_cost_eur, body.budget.requested_grant_eur,
                             body.budget.own_contribution_eur)
    check_budget(budget, grant_limits(call))
    check_can_start(call.first_stage_closes_on, today, call.code)
    next_official = check_deadline_ahead(facts, today)
    internal_deadline = body.internal_deadline or default_internal_deadline(next_official, today)
    check_internal_deadline(internal_deadline, next_official, today)
    own_partner = body.partner
    check_partner_country(facts, own_partner.country if own_partner is not None else None)

    now = utcnow()
    application = Application(
        id=uuid.uuid4(), call_id=call.id, municipality_code=body.municipality_code,
        applicant_type=body.applicant_type, title=body.title.model_dump(),
        summary=body.summary and body.summary.model_dump(), themes=body.themes,
        total_eligible_cost_eur=budget.total_eligible_cost_eur, requested_grant_eur=budget.requested_grant_eur,
        own_contribution_eur=budget.own_contribution_eur, status=body.status, internal_deadline=internal_deadline,
        partner_status=initial_partner_status(call.foreign_partner_required, own_partner is not None),
        stage=initial_stage(call.first_stage_closes_on), created_at=now, created_by=principal.subject,
        updated_at=now)
    set_contact(application, body.contact)
    if body.consultant is not None:
        application.consultant_name = body.consultant.name
        application.consultant_email = body.consultant.email
        application.consultant_language = body.consultant.language
    if own_partner is not None:
        application.partner_name, application.partner_country = own_partner.name, own_partner.country
    repo.add(application)
    repo.add(*[ChecklistItem(application_id=application.id, code=d["code"], position=n, title=d["title"],
                             status="missing", updated_at=now, stage=stage)
               for n, (stage, d) in enumerate(checklist_of(application.stage, call.concept_note_documents,
                                                           call.required_documents))])
    repo.add(StatusChange(application_id=application.id, from_status=None, to_status=application.status,
                          changed_at=now, changed_by=principal.subject, note="created"))
    uow.emit(ApplicationCreated(
        **application_event_fields(application, call), status=application.status, themes=application.themes,
        total_eligible_cost_eur=application.total_eligible_cost_eur,
        requested_grant_eur=application.requested_grant_eur,
        own_contribution_eur=application.own_contribution_eur, internal_deadline=internal_deadline,
        first_stage_deadline=call.first_stage_closes_on, official_deadline=call.closes_on,
        foreign_partner_required=call.foreign_partner_required), subject=str(application.id))
    if application.partner_status == "requested":
        request_partner(uow, application, call)
    uow.commit()
    return view(repo, application, call, today)


def get_application(uow: UnitOfWork, application_id: uuid.UUID) -> ApplicationOut:
    repo = repository(uow)
    application = repo.application(application_id)
    return view(repo, application, repo.call(application.call_id), local_today())


def change_application(uow: UnitOfWork, application_id: uuid.UUID, body: ApplicationChange) -> ApplicationOut:
    """Texts, themes, budget (checked against the call again), internal deadline, contact person:
    only while the application is being written."""
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    check_editable(Status(application.status))
    call = repo.call(application.call_id)
    today = local_today()
    if body.title is not None:
        application.title = body.title.model_dump()
    if "summary" in body.model_fields_set:
        application.summary = body.summary and body.summary.model_dump()
    if body.themes is not None:
        check_shared_themes(body.themes, call.themes)
        application.themes = body.themes
    if body.budget is not None:
        budget = complete_budget(body.budget.total_eligible_cost_eur, body.budget.requested_grant_eur,
                                 body.budget.own_contribution_eur)
        check_budget(budget, grant_limits(call))
        application.total_eligible_cost_eur = budget.total_eligible_cost_eur
        application.requested_grant_eur = budget.requested_grant_eur
        application.own_contribution_eur = budget.own_contribution_eur
    if body.internal_deadline is not None:
        check_internal_deadline(body.internal_deadline, application_deadline(application, call, today), today)
        application.internal_deadline = body.internal_deadline
    set_contact(application, body.contact)
    application.updated_at = utcnow()
    uow.commit()
    return view(repo, application, call, today)


def assign_consultant(uow: UnitOfWork, application_id: uuid.UUID, body: ContactIn, public_url: str) -> ApplicationOut:
    """Another consultant (another e-mail) is told (grants.consultant_assigned, with the application's
    link under `public_url`), and so is the one who had it; the same one again changes the name or
    language only and tells no one."""
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    changed = (application.consultant_email or "").lower() != body.email.lower()
    previous = consultant_of(application)
    application.consultant_name, application.consultant_email = body.name, body.email
    application.consultant_language = body.language
    application.updated_at = utcnow()
    call = repo.call(application.call_id)
    if changed and partner_search_open(application.partner_status):
        # Partners learns who now answers for the municipality: matches, introductions and the
        # partnership reach the consultant (grants.partner_requested, reason consultant_assigned).
        request_partner(uow, application, call, reason="consultant_assigned")
    if changed:
        desk.tell_assignment(uow, application, call, previous, public_url)
    uow.commit()
    return view(repo, application, call, local_today())


def update_checklist_item(uow: UnitOfWork, application_id: uuid.UUID, code: str, body: ChecklistChangeIn,
                          principal) -> ApplicationOut:
    """Mark a required document missing, in progress, ready or not applicable (`principal`: who;
    only the centre's staff waive a document, i.e. mark it not applicable, and they say why). Each
    change is kept in the item's history; a waiver is published as grants.document_waived."""
    check_checklist_change(body.status, body.note, by_staff=principal.is_staff)
    repo = repository(uow)
    application = repo.application(application_id, lock=True)
    check_editable(Status(application.status))
    item = repo.checklist_item(application.id, code)
    previous = item.status
    record_checklist_change(repo, item, body.status, body.note, principal.subject)
    application.updated_at = item.updated_at
    call = repo.call(application.call_id)
    if body.status == WAIVED and previous != WAIVED:
        uow.emit(DocumentWaived(**application_event_fields(application, call), document_code=item.code,
                                document_title=LocalizedText(**item.title), reason=body.note.strip(),
                                waived_by=principal.subject), subject=str(application.id))
    uow.commit()
    return view(repo, application, call, local_today())


def record_checklist_change(repo: GrantsRepository, item: ChecklistItem, status: str, note: str | None,
                            by: str) -> None:
    """Set a checklist item's status and keep the change in its history."""
    now = utcnow()
    repo.add(ChecklistChange(application_id=item.application_id, code=item.code, from_status=item.status,
                             to_status=status, note=note, changed_at=now, changed_by=by))
    item.status, item.note = status, note
    item.updated_at, item.updated_by = now, by


# ---------------------------------------------------------------- shared by the application use cases

def view(repo: GrantsRepository, application: Application, call: FundingCall, today: date) -> ApplicationOut:
    """The whole application as the API shows it, with its history, checklist, consultations,
    partner candidates and reminders sent."""
    return application_out(
        application, call, today, history=repo.history(application.id), checklist=repo.checklist(application.id),
        checklist_changes=repo.checklist_changes(application.id),
        consultations=repo.consultations(application.id), candidates=repo.candidates(application.id),
        reminders=repo.reminders(application.id), reports=repo.project_reports(application.id),
        claims=repo.payment_claims(application.id), amendments=repo.amendments(application.id))


def set_contact(application: Application, contact) -> None:
    if contact is not None:
        application.contact_name, application.contact_email = contact.name, contact.email
        application.contact_language = contact.language
