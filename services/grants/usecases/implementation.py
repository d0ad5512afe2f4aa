"""After the contract (domain/implementation.py): the implementation period and its reporting
deadlines, report submissions, payment claims (submitted → approved → paid) and amendments of the
budget or the end date, each kept with who and when and published for notifications."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from services.grants.domain import implementation as rules
from services.grants.domain.budget import GrantLimits
from services.grants.domain.workflow import Status
from services.grants.models import Amendment, Application, PaymentClaim, ProjectReport
from services.grants.schemas import (
    AmendmentIn,
    ApplicationOut,
    ClaimStatusIn,
    ImplementationIn,
    PaymentClaimIn,
    ReportSubmissionIn,
)
from services.grants.usecases import local_today, repository
from services.grants.usecases.applications import view
from services.grants.views import application_event_fields, claim_facts, contract_terms_data, grant_limits
from shared.errors import Conflict
from shared.events.grants import (
    ImplementationPlanned,
    PaymentClaimChanged,
    PlannedReportDeadline,
    ProjectAmended,
    ProjectReportSubmitted,
)
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

# The final report is due this many days after the project ends unless the contract says otherwise.
DEFAULT_FINAL_REPORT_DAYS = 30


def _contracted(repo, application_id: uuid.UUID) -> Application:
    application = repo.application(application_id, lock=True)
    if application.status != Status.CONTRACTED.value:
        raise Conflict(f"an application that is {application.status} has no implementation to manage (it must be "
                       f"contracted)", field="status", code="not_contracted")
    return application


def _planned(repo, application_id: uuid.UUID) -> Application:
    application = _contracted(repo, application_id)
    if application.starts_on is None:
        raise Conflict("plan the implementation first (PUT …/implementation)", field="implementation",
                       code="not_planned")
    return application


def plan(uow: UnitOfWork, application_id: uuid.UUID, body: ImplementationIn) -> ApplicationOut:
    """Set the implementation period and the reporting deadlines of a contracted project, once;
    the contract's total and grant start as the application's total and the award."""
    repo = repository(uow)
    application = _contracted(repo, application_id)
    if application.starts_on is not None:
        raise Conflict("the implementation is planned already; change the end date or budget by an amendment",
                       field="implementation", code="already_planned")
    final_due = body.final_report_due or body.ends_on + timedelta(days=DEFAULT_FINAL_REPORT_DAYS)
    planned = rules.check_plan(body.starts_on, body.ends_on, list(body.interim_reports_due), final_due,
                               application.contracted_on)
    application.starts_on, application.ends_on = body.starts_on, body.ends_on
    application.contract_total_eur = application.total_eligible_cost_eur
    application.contract_grant_eur = application.awarded_grant_eur
    application.updated_at = utcnow()
    reports = [ProjectReport(id=uuid.uuid4(), application_id=application.id, kind=p.kind, position=n,
                             due_on=p.due_on) for n, p in enumerate(planned)]
    repo.add(*reports)
    call = repo.call(application.call_id)
    uow.emit(ImplementationPlanned(
        **application_event_fields(application, call), starts_on=body.starts_on, ends_on=body.ends_on,
        contract_total_eur=application.contract_total_eur, contract_grant_eur=application.contract_grant_eur,
        reports=[PlannedReportDeadline(report_id=r.id, kind=r.kind, due_on=r.due_on) for r in reports]),
        subject=str(application.id))
    uow.commit()
    return view(repo, application, call, local_today())


def submit_report(uow: UnitOfWork, application_id: uuid.UUID, report_id: uuid.UUID, body: ReportSubmissionIn,
                  by: str) -> ApplicationOut:
    """An interim or final report handed in: its reminders stop."""
    repo = repository(uow)
    application = _planned(repo, application_id)
    report = repo.project_report(application.id, report_id)
    today = local_today()
    submitted_on = body.submitted_on or today
    rules.check_report_submission(report.kind, report.due_on, report.submitted_on, submitted_on,
                                  application.starts_on, today)
    report.submitted_on, report.submitted_by, report.note = submitted_on, by, body.note
    application.updated_at = utcnow()
    call = repo.call(application.call_id)
    uow.emit(ProjectReportSubmitted(
        **application_event_fields(application, call), report_id=report.id, report_kind=report.kind,
        due_on=report.due_on, submitted_on=submitted_on, late=submitted_on > report.due_on),
        subject=str(application.id))
    uow.commit()
    return view(repo, application, call, today)


def _claim_event(uow, application, call, claim: PaymentClaim, claims: list[PaymentClaim], on) -> None:
    counted = [claim_facts(c) for c in claims]
    uow.emit(PaymentClaimChanged(
        **application_event_fields(application, call), claim_id=claim.id, number=claim.number, status=claim.status,
        amount_eur=claim.amount_eur, eligible_costs_eur=claim.eligible_costs_eur,
        approved_amount_eur=claim.approved_amount_eur, on=on,
        claimed_total_eur=sum((c.counted_eur for c in counted), Decimal("0")),
        paid_total_eur=sum((c.counted_eur for c in counted if c.status == "paid"), Decimal("0")),
        contract_grant_eur=application.contract_grant_eur), subject=str(application.id))


def submit_claim(uow: UnitOfWork, application_id: uuid.UUID, body: PaymentClaimIn, by: str) -> ApplicationOut:
    """A payment claim: at most the call's rate of the eligible costs it declares, and with the
    earlier claims within the contract's grant."""
    repo = repository(uow)
    application = _planned(repo, application_id)
    call = repo.call(application.call_id)
    today = local_today()
    earlier = repo.payment_claims(application.id)
    submitted_on = body.submitted_on or today
    rules.check_new_claim(amount_eur=body.amount_eur, eligible_costs_eur=body.eligible_costs_eur,
                          max_funding_rate=call.max_funding_rate, grant_eur=application.contract_grant_eur,
                          earlier=[claim_facts(c) for c in earlier], submitted_on=submitted_on,
                          starts_on=application.starts_on, today=today)
    claim = PaymentClaim(id=uuid.uuid4(), application_id=application.id, number=len(earlier) + 1,
                         amount_eur=body.amount_eur, eligible_costs_eur=body.eligible_costs_eur, status="submitted",
                         submitted_on=submitted_on, submitted_by=by, note=body.note, updated_at=utcnow())
    repo.add(claim)
    application.updated_at = claim.updated_at
    _claim_event(uow, application, call, claim, earlier + [claim], submitted_on)
    uow.commit()
    return view(repo, application, call, today)


def change_claim(uow: UnitOfWork, application_id: uuid.UUID, claim_id: uuid.UUID, body: ClaimStatusIn,
                 by: str) -> ApplicationOut:
    """The funder approved a claim (possibly for less) or paid it."""
    repo = repository(uow)
    application = _planned(repo, application_id)
    claim = repo.payment_claim(application.id, claim_id)
    today = local_today()
    on = body.on or today
    previous_on = claim.approved_on if claim.status == "approved" else claim.submitted_on
    rules.check_claim_change(claim.status, body.status, amount_eur=claim.amount_eur,
                             approved_amount_eur=body.approved_amount_eur, on=on, previous_on=previous_on,
                             today=today)
    if body.status == "approved":
        claim.approved_on, claim.approved_by = on, by
        claim.approved_amount_eur = body.approved_amount_eur if body.approved_amount_eur is not None \
            else claim.amount_eur
    else:
        claim.paid_on, claim.paid_by = on, by
    claim.status = body.status
    if body.note:
        claim.note = body.note
    claim.updated_at = application.updated_at = utcnow()
    call = repo.call(application.call_id)
    _claim_event(uow, application, call, claim, repo.payment_claims(application.id), on)
    uow.commit()
    return view(repo, application, call, today)


def amend(uow: UnitOfWork, application_id: uuid.UUID, body: AmendmentIn, by: str) -> ApplicationOut:
    """A new end date (an unsubmitted final report deadline moves with it) and/or budget, with the
    reason; before and after are kept."""
    repo = repository(uow)
    application = _planned(repo, application_id)
    call = repo.call(application.call_id)
    reports = repo.project_reports(application.id)
    final = next(r for r in reports if r.kind == "final")
    claimed = sum((claim_facts(c).counted_eur for c in repo.payment_claims(application.id)), Decimal("0"))
    current = rules.ContractTerms(application.contract_total_eur, application.contract_grant_eur, application.ends_on)
    limits = grant_limits(call)
    new = rules.check_amendment(current, total_eligible_cost_eur=body.total_eligible_cost_eur,
                                grant_eur=body.grant_eur, ends_on=body.ends_on, starts_on=application.starts_on,
                                limits=GrantLimits(None, limits.max_grant_eur, limits.max_funding_rate),
                                claimed_eur=claimed, reported_final=final.submitted_on is not None)
    if new.ends_on != current.ends_on:
        final.due_on = rules.shifted(final.due_on, current.ends_on, new.ends_on)
        late = [r for r in reports if r.kind == "interim" and r.submitted_on is None and r.due_on > new.ends_on]
        if late:
            raise Conflict(f"an interim report is due {late[0].due_on.isoformat()}, after the new end", field="ends_on",
                           code="interim_after_end")
    now = utcnow()
    before = contract_terms_data(current.total_eligible_cost_eur, current.grant_eur, current.ends_on)
    after = contract_terms_data(new.total_eligible_cost_eur, new.grant_eur, new.ends_on)
    application.contract_total_eur, application.contract_grant_eur = new.total_eligible_cost_eur, new.grant_eur
    application.ends_on, application.updated_at = new.ends_on, now
    repo.add(Amendment(application_id=application.id, before=before, after=after, reason=body.reason,
                       reference=body.reference, changed_at=now, changed_by=by))
    uow.emit(ProjectAmended(**application_event_fields(application, call), before=before, after=after,
                            reason=body.reason, reference=body.reference), subject=str(application.id))
    uow.commit()
    return view(repo, application, call, local_today())
