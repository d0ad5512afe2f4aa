"""The grants service: funding catalogue, explained call fit, and application support from idea to
final cost. Entrypoints validate, call the rules in domain/, persist, emit through the outbox and
commit."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from services.grants.domain import fit, reminders, reports
from services.grants.domain.budget import check_budget, complete_budget
from services.grants.domain.rules import (
    CallTerms,
    check_call_status_change,
    check_call_terms,
    check_internal_deadline,
    default_internal_deadline,
    eligible_municipalities,
    is_announced,
    next_official_deadline,
)
from services.grants.domain.workflow import (

    REMINDED,
    Decision,
    Status,
    SubmissionReadiness,
    check_decision,
    check_editable,
    check_final_report,
    check_transition,
)
from services.grants.gauges import ApplicationGauges
from services.grants.models import (
    Application,
    ChecklistItem,
    Consultation,
    Erasure,
    FundedProject,
    FundingCall,
    PartnerCandidate,
    Programme,
    SentReminder,
    StatusChange,
)
from services.grants.repository import GrantsRepository
from services.grants.schemas import (
    ApplicationChange,
    ContactIn,
    ApplicationIn,
    ApplicationOut,
    ApplicationQuery,
    ApplicationSummaryOut,
    CallChange,
    CallIn,
    CallOut,
    CallQuery,
    ChecklistChange,
    ConsultationIn,
    DecisionIn,
    FinalReportIn,
    FitOut,
    FitQuery,
    FundedProjectIn,
    FundedProjectOut,
    ProgrammeIn,
    ProgrammeOut,
    ReportOut,
    ReportQuery,
    TransitionIn,
)
from services.grants.views import (
    application_event_fields,
    application_facts,
    application_out,
    application_summary_out,
    applications_csv,
    call_facts,
    call_fit_out,
    call_out,
    consultant_of,
    funded_project_out,
    grant_limits,
    programme_out,
    report_csv,
    report_row_out,
)
from shared.persistence.provider import Database
from shared.persistence.schema import OUTBOX, utcnow
from shared.erasure import scrub_dead_letters
from shared.errors import Conflict, Forbidden, RuleViolation
from shared.events.envelope import Envelope
from shared.events.grants import (
    ApplicationCreated,
    ApplicationDecided,
    ApplicationStatusChanged,
    CallDeadlineApproaching,
    CallPublished,
    GrantsPersonErased,
    PartnerRequested,
    RequiredDocument,
)
from shared.events.partners import IntroductionAnswered, IntroductionSent, MatchesProposed, PartnershipEstablished
from shared.events.privacy import ErasureRequested
from shared.events.types import LocalizedText
from shared.http import route
from shared.tenancy import Tenancy, owned_by
from shared.messaging.subscriptions import subscribe
from shared.service import ServiceBase
from shared.timers import timer

log = logging.getLogger(__name__)

ANYONE = ("staff", "operator", "municipality")
STAFF = ("staff",)
STAFF_OR_MUNICIPALITY = ("staff", "municipality")
# What grants.person_erased reports, always all of it (zeros included).
ERASURE_COUNTS = ("application_contacts", "consultant_assignments", "partner_contacts", "applications_created",
                  "status_changes", "checklist_updates", "consultation_entries", "published_events", "dead_letters")
# Deadlines are calendar days in Lithuania.
LOCAL_TIME = ZoneInfo("Europe/Vilnius")


# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
CATALOGUE = Tenancy.none("the funding catalogue: programmes, their funded projects and calls, no municipality's data")
APPLICATION = Tenancy.resource("application_id", owned_by(Application.municipality_code, Application.id),
                               "application")
OWN_APPLICATIONS = Tenancy.query("municipality_code")


def local_today() -> date:
    return datetime.now(LOCAL_TIME).date()


class GrantsService(ServiceBase):
    name = "grants"
    db = Database()
    gauges = ApplicationGauges()

    @property
    def repo(self) -> GrantsRepository:
        return GrantsRepository(self.db.session)

    # ------------------------------------------------------------------ programmes
    @route("POST", "/grants/programmes", roles=STAFF, body=ProgrammeIn, response=ProgrammeOut, status=201,
           errors=(409,))
    def create_programme(self, request, body: ProgrammeIn, principal):
        """Add a funding programme (funder, period, operator, budget, donor countries)."""
        programme = Programme(id=uuid.uuid4(), created_at=utcnow(),
                              **body.model_dump(mode="json", exclude={"title", "summary", "budget_eur"}),
                              budget_eur=body.budget_eur, title=body.title.model_dump(),
                              summary=body.summary and body.summary.model_dump())
        try:
            self.repo.add(programme)
        except IntegrityError:
            raise Conflict(f"a programme with code {body.code} already exists", field="code",
                           code="duplicate_code") from None
        self.db.commit()
        return 201, programme_out(programme, [], [])

    @route("GET", "/grants/programmes", roles=ANYONE, response=list[ProgrammeOut], scope=CATALOGUE)
    def list_programmes(self, request, principal):
        """Programmes with the projects they funded (initial vs final cost, grant, partners)."""
        repo = self.repo
        return [programme_out(p, repo.projects_of(p.id), repo.call_ids_of(p.id)) for p in repo.programmes()]

    @route("GET", "/grants/programmes/<uuid:programme_id>", roles=ANYONE, response=ProgrammeOut, errors=(404,),
           scope=CATALOGUE)
    def get_programme(self, request, programme_id, principal):
        """One programme with its funded projects and calls."""
        repo = self.repo
        programme = repo.programme(programme_id)
        return programme_out(programme, repo.projects_of(programme.id), repo.call_ids_of(programme.id))

    @route("POST", "/grants/programmes/<uuid:programme_id>/projects", roles=STAFF, body=FundedProjectIn,
           response=FundedProjectOut, status=201, errors=(404, 409))
    def add_funded_project(self, request, programme_id, body: FundedProjectIn, principal):
        """Record a project the programme funded, as the funder reports it."""
        repo = self.repo
        programme = repo.programme(programme_id)
        if body.final_cost_eur is not None and body.grant_eur is not None and body.grant_eur > body.final_cost_eur:
            raise RuleViolation("the grant exceeds the final cost", field="grant_eur")
        values = body.model_dump(mode="python")
        values["partners"] = [p.model_dump() for p in body.partners]
        project = FundedProject(id=uuid.uuid4(), programme_id=programme.id, created_at=utcnow(), **values)
        try:
            repo.add(project)
        except IntegrityError:
            raise Conflict(f"project {body.project_number} is already recorded", field="project_number",
                           code="duplicate_project") from None
        self.db.commit()
        return 201, funded_project_out(project)

    # ------------------------------------------------------------------ calls
    @route("POST", "/grants/calls", roles=STAFF, body=CallIn, response=CallOut, status=201, errors=(404, 409))
    def create_call(self, request, body: CallIn, principal):
        """Add a funding call to the catalogue; open and forecast calls publish grants.call_published."""
        check_call_terms(CallTerms(
            opens_on=body.opens_on, closes_on=body.closes_on, min_grant_eur=body.min_grant_eur,
            max_grant_eur=body.max_grant_eur, max_funding_rate=body.max_funding_rate,
            foreign_partner_required=body.foreign_partner_required, partner_countries=body.partner_countries,
            status=body.status, first_stage_closes_on=body.first_stage_closes_on,
            required_document_codes=tuple(d.code for d in body.required_documents),
        ))
        repo = self.repo
        programme = repo.programme(body.programme_id) if body.programme_id else None
        call = FundingCall(
            id=uuid.uuid4(), created_at=utcnow(),
            **body.model_dump(mode="python", exclude={"title", "summary", "required_documents"}),
            title=body.title.model_dump(), summary=body.summary and body.summary.model_dump(),
            required_documents=[d.model_dump() for d in body.required_documents])
        try:
            repo.add(call)
        except IntegrityError:
            raise Conflict(f"a call with code {body.code} already exists", field="code", code="duplicate_code") from None
        if is_announced(call.status):
            self._publish_call(call, programme.code if programme else None)
        self.db.commit()
        return 201, call_out(call, programme.code if programme else None)

    @route("GET", "/grants/calls", roles=ANYONE, query=CallQuery, response=list[CallOut], scope=CATALOGUE)
    def list_calls(self, request, query: CallQuery, principal):
        """The call catalogue, soonest deadline first; filter by status, theme and programme."""
        repo = self.repo
        codes = repo.programme_codes()
        calls = repo.calls(statuses=query.status, programme_id=query.programme_id)
        return [call_out(c, codes.get(c.programme_id)) for c in calls if not query.theme or query.theme in c.themes]

    @route("GET", "/grants/calls/<uuid:call_id>", roles=ANYONE, response=CallOut, errors=(404,), scope=CATALOGUE)
    def get_call(self, request, call_id, principal):
        """One call, with the municipalities it is open to."""
        repo = self.repo
        call = repo.call(call_id)
        return call_out(call, repo.programme_codes().get(call.programme_id))

    @route("PATCH", "/grants/calls/<uuid:call_id>", roles=STAFF, body=CallChange, response=CallOut,
           errors=(404, 409))
    def change_call(self, request, call_id, body: CallChange, principal):
        """Open a forecast call, close or reopen one, or move its dates. A call that becomes (or stays)
        announced with new dates publishes grants.call_published again."""
        repo = self.repo
        call = repo.call(call_id, lock=True)
        changes = body.model_dump(exclude_unset=True)
        if changes.get("status") is None:
            changes.pop("status", None)
        if "closes_on" in changes and changes["closes_on"] is None:
            raise RuleViolation("a call needs a closing date", field="closes_on")
        new_status = changes.get("status", call.status)
        check_call_status_change(call.status, new_status)
        merged = {name: changes.get(name, getattr(call, name))
                  for name in ("opens_on", "first_stage_closes_on", "closes_on")}
        check_call_terms(CallTerms(
            opens_on=merged["opens_on"], closes_on=merged["closes_on"], min_grant_eur=call.min_grant_eur,
            max_grant_eur=call.max_grant_eur, max_funding_rate=call.max_funding_rate,
            foreign_partner_required=call.foreign_partner_required, partner_countries=call.partner_countries,
            status=new_status, first_stage_closes_on=merged["first_stage_closes_on"]))
        if new_status == "open" and merged["closes_on"] < local_today():
            raise RuleViolation("an open call cannot have closed already; move closes_on", field="closes_on")
        republish = is_announced(new_status) and any(getattr(call, k) != v for k, v in changes.items())
        for name, value in changes.items():
            setattr(call, name, value)
        call.updated_at = utcnow()
        programme_code = repo.programme_codes().get(call.programme_id)
        if republish:
            self._publish_call(call, programme_code)
        self.db.commit()
        return call_out(call, programme_code)

    def _publish_call(self, call: FundingCall, programme_code: str | None) -> None:
        self.db.emit(CallPublished(
            call_id=call.id, code=call.code, funder=call.funder, title=LocalizedText(**call.title),
            themes=call.themes, eligible_applicant_types=call.eligible_applicant_types,
            eligible_regions=call.eligible_regions, opens_on=call.opens_on, closes_on=call.closes_on,
            min_grant_eur=call.min_grant_eur, max_grant_eur=call.max_grant_eur,
            max_funding_rate=call.max_funding_rate, foreign_partner_required=call.foreign_partner_required,
            partner_countries=call.partner_countries, status=call.status,
            summary=LocalizedText(**call.summary) if call.summary else None, programme_code=programme_code,
            first_stage_closes_on=call.first_stage_closes_on,
            required_documents=[RequiredDocument(**d) for d in call.required_documents],
            partner_organisation_types=call.partner_organisation_types,
            eligible_municipality_codes=eligible_municipalities(call.eligible_applicant_types, call.eligible_regions),
            url=call.url,
        ), subject=str(call.id))

    # ------------------------------------------------------------------ call fit
    @route("GET", "/grants/fit", roles=STAFF_OR_MUNICIPALITY, query=FitQuery, response=FitOut,
           scope=Tenancy.query("municipality_code"))
    def call_fit(self, request, query: FitQuery, principal, tenant):
        """Rank the open and forecast calls for a municipality's project idea, and say for each, rule
        by rule, why it fits or fails: applicant type, region, themes, amount range, funding rate
        (and so the own contribution), partner requirement and days left."""
        municipality_code = tenant
        if municipality_code is None:
            raise RuleViolation("name the municipality the idea is for", field="municipality_code")
        today = local_today()
        idea = fit.ProjectIdea(
            municipality_code=municipality_code, applicant_type=query.applicant_type, themes=tuple(query.themes),
            total_cost_eur=query.total_cost_eur, requested_grant_eur=query.requested_grant_eur,
            has_foreign_partner=query.has_foreign_partner or query.partner_country is not None,
            partner_country=query.partner_country)
        calls = {c.code: c for c in self.repo.calls(statuses=["open", "forecast"])}
        ranked = fit.rank([call_facts(c) for c in calls.values()], idea, today)
        return FitOut(municipality_code=municipality_code, assessed_on=today,
                      calls=[call_fit_out(calls[a.call.code], a) for a in ranked])

    # ------------------------------------------------------------------ applications
    @route("POST", "/grants/applications", roles=STAFF_OR_MUNICIPALITY, body=ApplicationIn,
           response=ApplicationOut, status=201, errors=(404, 409), scope=Tenancy.body("municipality_code"))
    def create_application(self, request, body: ApplicationIn, principal):
        """Start an application to a call for a municipality. The budget is checked against the
        call's rules, a document checklist is generated from the call, and when the call needs a
        foreign partner the municipality does not have yet, grants.partner_requested goes to the
        partners service."""
        if body.consultant is not None and not principal.is_staff:
            raise Forbidden("only the centre's staff assign consultants", field="consultant")
        repo = self.repo
        call = repo.call(body.call_id)
        today = local_today()
        if call.status == "closed":
            raise Conflict(f"call {call.code} is closed", field="call_id", code="call_closed")
        if body.applicant_type not in call.eligible_applicant_types:
            raise RuleViolation(f"call {call.code} is open to {', '.join(call.eligible_applicant_types)}, not "
                                f"{body.applicant_type}", field="applicant_type")
        if body.municipality_code not in eligible_municipalities(call.eligible_applicant_types,
                                                                 call.eligible_regions):
            raise RuleViolation(f"call {call.code} covers only {', '.join(call.eligible_regions)}",
                                field="municipality_code")
        if not set(body.themes) & set(call.themes):
            raise RuleViolation(f"none of the themes is among the call's ({', '.join(call.themes)})", field="themes")
        budget = complete_budget(body.budget.total_eligible_cost_eur, body.budget.requested_grant_eur,
                                 body.budget.own_contribution_eur)
        check_budget(budget, grant_limits(call))
        next_official = next_official_deadline(call.first_stage_closes_on, call.closes_on, today)
        if next_official < today:
            raise Conflict(f"call {call.code} closed on {call.closes_on.isoformat()}", field="call_id",
                           code="call_closed")
        internal_deadline = body.internal_deadline or default_internal_deadline(next_official, today)
        check_internal_deadline(internal_deadline, next_official, today)
        own_partner = body.partner
        if own_partner is not None and call.foreign_partner_required and \
                own_partner.country not in call.partner_countries:
            raise RuleViolation(f"the partner must come from {', '.join(call.partner_countries)}",
                                field="partner.country")

        now = utcnow()
        application = Application(
            id=uuid.uuid4(), call_id=call.id, municipality_code=body.municipality_code,
            applicant_type=body.applicant_type, title=body.title.model_dump(),
            summary=body.summary and body.summary.model_dump(), themes=body.themes,
            total_eligible_cost_eur=budget.total_eligible_cost_eur, requested_grant_eur=budget.requested_grant_eur,
            own_contribution_eur=budget.own_contribution_eur, status=body.status, internal_deadline=internal_deadline,
            partner_status="not_required", created_at=now, created_by=principal.subject, updated_at=now)
        self._set_contact(application, body.contact)
        if body.consultant is not None:
            application.consultant_name = body.consultant.name
            application.consultant_email = body.consultant.email
            application.consultant_language = body.consultant.language
        if own_partner is not None:
            application.partner_name, application.partner_country = own_partner.name, own_partner.country
        if call.foreign_partner_required:
            application.partner_status = "established" if own_partner is not None else "requested"
        repo.add(application)
        repo.add(*[ChecklistItem(application_id=application.id, code=d["code"], position=n, title=d["title"],
                                 status="missing", updated_at=now) for n, d in enumerate(call.required_documents)])
        repo.add(StatusChange(application_id=application.id, from_status=None, to_status=application.status,
                              changed_at=now, changed_by=principal.subject, note="created"))
        fields = application_event_fields(application, call)
        self.db.emit(ApplicationCreated(
            **fields, status=application.status, themes=application.themes,
            total_eligible_cost_eur=application.total_eligible_cost_eur,
            requested_grant_eur=application.requested_grant_eur,
            own_contribution_eur=application.own_contribution_eur, internal_deadline=internal_deadline,
            first_stage_deadline=call.first_stage_closes_on, official_deadline=call.closes_on,
            foreign_partner_required=call.foreign_partner_required), subject=str(application.id))
        if application.partner_status == "requested":
            self._request_partner(application, call)
        self.db.commit()
        return 201, self._application_out(application, call, today)

    def _request_partner(self, application: Application, call: FundingCall) -> None:
        self.db.emit(PartnerRequested(
            application_id=application.id, call_id=call.id, call_code=call.code,
            municipality_code=application.municipality_code, application_title=LocalizedText(**application.title),
            themes=application.themes, countries=call.partner_countries,
            organisation_types=call.partner_organisation_types, deadline=application.internal_deadline,
            consultant=consultant_of(application)), subject=str(application.id))

    @staticmethod
    def _set_contact(application: Application, contact) -> None:
        if contact is not None:
            application.contact_name, application.contact_email = contact.name, contact.email
            application.contact_language = contact.language

    @route("GET", "/grants/applications", roles=STAFF_OR_MUNICIPALITY, query=ApplicationQuery,
           response=list[ApplicationSummaryOut], scope=OWN_APPLICATIONS)
    def list_applications(self, request, query: ApplicationQuery, principal, tenant):
        """Applications, newest first. Municipality tokens see only their own municipality's."""
        today = local_today()
        rows = self.repo.applications(municipality_code=tenant,
                                      statuses=query.status, call_id=query.call_id)
        return [application_summary_out(a, c, today) for a, c in rows]

    @route("GET", "/grants/applications.csv", roles=STAFF_OR_MUNICIPALITY, query=ApplicationQuery,
           scope=OWN_APPLICATIONS)
    def export_applications(self, request, query: ApplicationQuery, principal, tenant):
        """The application list as CSV (amounts, dates, statuses; no personal data), same filters."""
        rows = self.repo.applications(municipality_code=tenant, statuses=query.status,
                                      call_id=query.call_id)
        return Response(applications_csv(rows), status=200, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="grant-applications.csv"'})

    @route("GET", "/grants/applications/<uuid:application_id>", roles=STAFF_OR_MUNICIPALITY,
           response=ApplicationOut, errors=(404,), scope=APPLICATION)
    def get_application(self, request, application_id, principal):
        """One application: budget, deadlines, checklist, history, consultations, partner candidates,
        decision and final cost beside the initial one."""
        application = self.repo.application(application_id)
        return self._application_out(application, self.repo.call(application.call_id), local_today())

    @route("PATCH", "/grants/applications/<uuid:application_id>", roles=STAFF_OR_MUNICIPALITY,
           body=ApplicationChange, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def change_application(self, request, application_id, body: ApplicationChange, principal):
        """Edit an application being written (idea, drafting, internal review): texts, themes,
        budget (checked against the call again), internal deadline, contact person."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        check_editable(Status(application.status))
        call = repo.call(application.call_id)
        today = local_today()
        if body.title is not None:
            application.title = body.title.model_dump()
        if "summary" in body.model_fields_set:
            application.summary = body.summary and body.summary.model_dump()
        if body.themes is not None:
            if not set(body.themes) & set(call.themes):
                raise RuleViolation(f"none of the themes is among the call's ({', '.join(call.themes)})",
                                    field="themes")
            application.themes = body.themes
        if body.budget is not None:
            budget = complete_budget(body.budget.total_eligible_cost_eur, body.budget.requested_grant_eur,
                                     body.budget.own_contribution_eur)
            check_budget(budget, grant_limits(call))
            application.total_eligible_cost_eur = budget.total_eligible_cost_eur
            application.requested_grant_eur = budget.requested_grant_eur
            application.own_contribution_eur = budget.own_contribution_eur
        if body.internal_deadline is not None:
            check_internal_deadline(body.internal_deadline,
                                    next_official_deadline(call.first_stage_closes_on, call.closes_on, today), today)
            application.internal_deadline = body.internal_deadline
        self._set_contact(application, body.contact)
        application.updated_at = utcnow()
        self.db.commit()
        return self._application_out(application, call, today)


    @route("PUT", "/grants/applications/<uuid:application_id>/consultant", roles=STAFF, body=ContactIn,
           response=ApplicationOut, errors=(404,))
    def assign_consultant(self, request, application_id, body: ContactIn, principal):
        """Assign the centre's consultant (name, e-mail, language) to an application."""
        application = self.repo.application(application_id, lock=True)
        application.consultant_name, application.consultant_email = body.name, body.email
        application.consultant_language = body.language
        application.updated_at = utcnow()
        self.db.commit()
        return self._application_out(application, self.repo.call(application.call_id), local_today())

    @route("POST", "/grants/applications/<uuid:application_id>/transitions", roles=STAFF_OR_MUNICIPALITY,
           body=TransitionIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def move_application(self, request, application_id, body: TransitionIn, principal):
        """Move an application in its workflow (idea → drafting → internal_review → submitted;
        awarded → contracted; withdrawn). Submitting needs every required document ready, an
        established partner where the call requires one, and the official deadline not passed."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        call = repo.call(application.call_id)
        today = local_today()
        current, target = Status(application.status), Status(body.to)
        readiness = None
        if target == Status.SUBMITTED:
            readiness = SubmissionReadiness(
                missing_documents=tuple(i.code for i in repo.checklist(application.id)
                                        if i.status not in ("ready", "not_applicable")),
                partner_required=call.foreign_partner_required,
                partner_established=application.partner_status == "established",
                official_deadline=call.closes_on, today=today)
        check_transition(current, target, readiness=readiness)
        effective_on = body.effective_on or today
        if body.effective_on is not None:
            if target not in (Status.SUBMITTED, Status.CONTRACTED):
                raise RuleViolation("effective_on applies to submitted and contracted only", field="effective_on")
            if body.effective_on > today:
                raise RuleViolation("effective_on is in the future", field="effective_on")
        if target == Status.SUBMITTED:
            application.submitted_on = effective_on
        if target == Status.CONTRACTED:
            if application.decided_on and effective_on < application.decided_on:
                raise RuleViolation(f"the contract cannot predate the decision ({application.decided_on})",
                                    field="effective_on")
            application.contracted_on = effective_on
        self._record_status(application, call, target, principal.subject, body.note)
        self.db.commit()
        return self._application_out(application, call, today)

    @route("PUT", "/grants/applications/<uuid:application_id>/checklist/<code>", roles=STAFF_OR_MUNICIPALITY,
           body=ChecklistChange, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def update_checklist_item(self, request, application_id, code, body: ChecklistChange, principal):
        """Mark a required document missing, in progress, ready or not applicable."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        check_editable(Status(application.status))
        item = repo.checklist_item(application.id, code)
        item.status, item.note = body.status, body.note
        item.updated_at, item.updated_by = utcnow(), principal.subject
        application.updated_at = item.updated_at
        self.db.commit()
        return self._application_out(application, repo.call(application.call_id), local_today())

    @route("POST", "/grants/applications/<uuid:application_id>/consultations", roles=STAFF_OR_MUNICIPALITY,
           body=ConsultationIn, response=ApplicationOut, status=201, errors=(404,), scope=APPLICATION)
    def log_consultation(self, request, application_id, body: ConsultationIn, principal):
        """Add an entry to the consultation log (meeting, phone, e-mail or video; what was agreed)."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        today = local_today()
        if body.held_on > today:
            raise RuleViolation("a consultation cannot be logged before it is held", field="held_on")
        if body.follow_up_on is not None and body.follow_up_on < body.held_on:
            raise RuleViolation("the follow-up comes after the consultation", field="follow_up_on")
        now = utcnow()
        repo.add(Consultation(id=uuid.uuid4(), application_id=application.id, recorded_by=principal.subject,
                              recorded_at=now, **body.model_dump()))
        application.updated_at = now
        self.db.commit()
        return 201, self._application_out(application, repo.call(application.call_id), today)

    @route("POST", "/grants/applications/<uuid:application_id>/decision", roles=STAFF_OR_MUNICIPALITY,
           body=DecisionIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def record_decision(self, request, application_id, body: DecisionIn, principal):
        """Record the funder's decision on a submitted application: awarded (amount) or rejected
        (reasons). Publishes grants.application_decided."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        call = repo.call(application.call_id)
        today = local_today()
        outcome = Status(body.outcome)
        check_transition(Status(application.status), outcome, via="decision")
        check_decision(Decision(outcome, body.decided_on, body.awarded_grant_eur),
                       requested_grant_eur=application.requested_grant_eur,
                       submitted_on=application.submitted_on, today=today)
        application.decided_on, application.decision_outcome = body.decided_on, body.outcome
        application.awarded_grant_eur = body.awarded_grant_eur if outcome == Status.AWARDED else None
        application.decision_reasons = body.reasons and body.reasons.model_dump()
        application.decision_reference = body.reference
        self._record_status(application, call, outcome, principal.subject,
                            (body.reasons.en or body.reasons.lt) if body.reasons else None)
        self.db.emit(ApplicationDecided(
            **application_event_fields(application, call), outcome=body.outcome,
            requested_grant_eur=application.requested_grant_eur, awarded_grant_eur=application.awarded_grant_eur,
            decided_on=body.decided_on, reasons=body.reasons, reference=body.reference), subject=str(application.id))
        self.db.commit()
        return self._application_out(application, call, today)

    @route("POST", "/grants/applications/<uuid:application_id>/final-report", roles=STAFF_OR_MUNICIPALITY,
           body=FinalReportIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def file_final_report(self, request, application_id, body: FinalReportIn, principal):
        """Close a contracted project with its final cost and grant, shown beside the initial ones."""
        repo = self.repo
        application = repo.application(application_id, lock=True)
        call = repo.call(application.call_id)
        today = local_today()
        check_transition(Status(application.status), Status.COMPLETED, via="final_report")
        check_final_report(final_cost_eur=body.final_cost_eur, final_grant_eur=body.final_grant_eur,
                           awarded_grant_eur=application.awarded_grant_eur, completed_on=body.completed_on,
                           decided_on=application.decided_on, today=today)
        application.final_cost_eur, application.final_grant_eur = body.final_cost_eur, body.final_grant_eur
        application.completed_on = body.completed_on
        self._record_status(application, call, Status.COMPLETED, principal.subject, "final report filed")
        self.db.commit()
        return self._application_out(application, call, today)

    def _record_status(self, application: Application, call: FundingCall, target: Status, by: str,
                       note: str | None) -> None:
        now = utcnow()
        previous = application.status
        application.status, application.updated_at = target.value, now
        self.repo.add(StatusChange(application_id=application.id, from_status=previous, to_status=target.value,
                                   changed_at=now, changed_by=by, note=note))
        self.db.emit(ApplicationStatusChanged(
            **application_event_fields(application, call), from_status=previous, to_status=target.value,
            changed_at=now, note=note), subject=str(application.id))

    def _application_out(self, application: Application, call: FundingCall, today: date) -> ApplicationOut:
        repo = self.repo
        return application_out(
            application, call, today, history=repo.history(application.id), checklist=repo.checklist(application.id),
            consultations=repo.consultations(application.id), candidates=repo.candidates(application.id),
            reminders=repo.reminders(application.id))

    # ------------------------------------------------------------------ reports
    def _report(self, group_by: str, visible: str | None) -> tuple[str | None, list, reports.ReportRow]:
        facts = [application_facts(a, c) for a, c in self.repo.applications(municipality_code=visible)]
        totals = reports.ReportRow("total")
        for item in facts:
            totals.add(item)
        return visible, reports.report(facts, group_by), totals

    @route("GET", "/grants/reports/applications", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery,
           response=ReportOut, scope=Tenancy.query())
    def applications_report(self, request, query: ReportQuery, principal, tenant):
        """Applications by status, funder, theme, municipality or call: counts per status, amounts
        requested, awarded and final, and the success rate (awarded ÷ decided). An application with
        several themes counts under each. Municipality tokens get their own municipality's figures."""
        visible, rows, totals = self._report(query.group_by, tenant)
        return ReportOut(group_by=query.group_by, municipality_code=visible,
                         rows=[report_row_out(r) for r in rows], totals=report_row_out(totals))

    @route("GET", "/grants/reports/applications.csv", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery,
           scope=Tenancy.query())
    def applications_report_csv(self, request, query: ReportQuery, principal, tenant):
        """The same report as CSV (one row per group, then the totals)."""
        _, rows, totals = self._report(query.group_by, tenant)
        return Response(report_csv(query.group_by, rows, totals), status=200,
                        content_type="text/csv; charset=utf-8", headers={
                            "Content-Disposition": f'attachment; filename="grant-applications-by-{query.group_by}.csv"'})

    # ------------------------------------------------------------------ partners' events
    @subscribe("partners.matches_proposed")
    def on_matches_proposed(self, event: MatchesProposed, envelope: Envelope):
        """Show the proposed partners on the application. A new proposal for the same partner request
        replaces that request's candidates not yet introduced; introduced ones stay."""
        repo = self.repo
        application = repo.find_application(event.application_id)
        if application is None:
            log.info("matches for an unknown application ignored", extra={"application_id": str(event.application_id)})
            return
        now = utcnow()
        proposed = {c.organisation_id for c in event.candidates}
        repo.session.execute(delete(PartnerCandidate).where(
            PartnerCandidate.application_id == application.id,
            PartnerCandidate.partner_request_id == event.partner_request_id,
            PartnerCandidate.introduction_status.is_(None), PartnerCandidate.organisation_id.not_in(proposed)))
        for position, candidate in enumerate(event.candidates, start=1):
            rank = candidate.rank or position
            row = repo.candidate(application.id, candidate.organisation_id)
            if row is None:
                row = PartnerCandidate(id=uuid.uuid4(), application_id=application.id,
                                       organisation_id=candidate.organisation_id)
                repo.session.add(row)
            row.partner_request_id, row.name, row.country = event.partner_request_id, candidate.name, candidate.country
            row.organisation_type, row.rank, row.score = candidate.organisation_type, rank, candidate.score
            row.components, row.proposed_at = dict(candidate.components), now
        application.partner_request_id = event.partner_request_id
        if application.partner_status == "requested" and event.candidates:
            application.partner_status = "proposed"
        application.updated_at = now

    @subscribe("partners.introduction_sent")
    def on_introduction_sent(self, event: IntroductionSent, envelope: Envelope):
        self._mark_candidate(event.application_id, event.organisation_id, "introduced", event.introduction_id,
                             name=event.organisation_name, country=event.country,
                             partner_request_id=event.partner_request_id)

    @subscribe("partners.introduction_answered")
    def on_introduction_answered(self, event: IntroductionAnswered, envelope: Envelope):
        status = "declined" if event.answer == "declined" else (
            "accepted" if event.both_accepted else f"{event.side}_accepted")
        self._mark_candidate(event.application_id, event.organisation_id, status, event.introduction_id)

    @subscribe("partners.partnership_established")
    def on_partnership_established(self, event: PartnershipEstablished, envelope: Envelope):
        """The partner requirement is met: the application shows the partner and may be submitted."""
        application = self.repo.find_application(event.application_id)
        if application is None:
            return
        application.partner_status = "established"
        application.partnership_id, application.partner_request_id = event.partnership_id, event.partner_request_id
        application.partner_organisation_id = event.organisation_id
        application.partner_name, application.partner_country = event.organisation_name, event.country
        application.partner_established_at = event.established_at
        if event.candidate_contact is not None:
            application.partner_contact_name = event.candidate_contact.name
            application.partner_contact_email = event.candidate_contact.email
        application.updated_at = utcnow()
        self._mark_candidate(event.application_id, event.organisation_id, "established", None,
                             name=event.organisation_name, country=event.country,
                             partner_request_id=event.partner_request_id)

    def _mark_candidate(self, application_id, organisation_id, status: str, introduction_id, *, name=None,
                        country=None, partner_request_id=None) -> None:
        repo = self.repo
        application = repo.find_application(application_id)
        if application is None:
            return
        row = repo.candidate(application.id, organisation_id)
        if row is None:
            if name is None:
                return  # an answer about an organisation we never heard of: nothing to show
            # Introduced or agreed outside the proposals (e.g. a partner the consultant knew).
            row = PartnerCandidate(id=uuid.uuid4(), application_id=application.id, organisation_id=organisation_id,
                                   partner_request_id=partner_request_id, name=name, country=country,
                                   organisation_type="unknown", rank=len(repo.candidates(application.id)) + 1,
                                   score=0.0, components={}, proposed_at=utcnow())
            repo.session.add(row)
        if row.introduction_status == "established" and status != "established":
            return  # a late answer does not undo an agreed partnership
        row.introduction_status = status
        if introduction_id is not None:
            row.introduction_id = introduction_id
        application.updated_at = utcnow()

    # ------------------------------------------------------------------ deadline reminders
    @timer()
    def remind_deadlines(self):
        """Every SAVIVALDA_TIMER_INTERVAL: emit grants.call_deadline_approaching for applications not
        yet submitted, at 14, 7 and 1 days before their internal, first-stage and official deadlines.
        The sent_reminders primary key makes each reminder go out once, whatever the replicas."""
        today = local_today()
        repo = self.repo
        sent = 0
        for application, call in repo.applications_in(tuple(s.value for s in REMINDED)):
            for deadline in reminders.deadlines(application.internal_deadline, call.first_stage_closes_on,
                                                call.closes_on, today):
                threshold = reminders.due_threshold(
                    deadline.on, today, repo.sent_thresholds(application.id, deadline.kind, deadline.on))
                if threshold is None or not self._claim_reminder(application.id, deadline, threshold):
                    continue
                self.db.emit(CallDeadlineApproaching(
                    **application_event_fields(application, call), status=application.status,
                    deadline_kind=deadline.kind, deadline=deadline.on, days_left=(deadline.on - today).days,
                    reminder_days=threshold), subject=str(application.id))
                sent += 1
        self.db.commit()
        if sent:
            log.info("deadline reminders emitted", extra={"count": sent})

    def _claim_reminder(self, application_id, deadline: reminders.Deadline, threshold: int) -> bool:
        insert = (postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert)(SentReminder.__table__)
        result = self.db.session.execute(insert.values(
            application_id=application_id, deadline_kind=deadline.kind, deadline=deadline.on, days_before=threshold,
            sent_at=utcnow()).on_conflict_do_nothing())
        return result.rowcount == 1

    # ------------------------------------------------------------------ the right to be forgotten
    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase the person's contact details wherever they appear and replace their name or e-mail
        as the author of history, checklist and consultation entries by a pseudonym; applications
        and their amounts stay, so reports keep their counts."""
        email = event.email.strip().lower()
        pseudonym = f"erased-person-{str(event.request_id)[:8]}"
        session = self.db.session
        removed = Counter(dict.fromkeys(ERASURE_COUNTS, 0))
        # How the person appears here: the e-mail, and the names recorded with it. SQLite's lower()
        # folds ASCII only, so both the original and the lowered spelling are matched.
        identities = {event.email.strip()}
        for application in self.repo.applications_mentioning(email):
            if (application.contact_email or "").lower() == email:
                identities |= {application.contact_email, application.contact_name}
                application.contact_name = application.contact_email = application.contact_language = None
                removed["application_contacts"] += 1
            if (application.consultant_email or "").lower() == email:
                identities |= {application.consultant_email, application.consultant_name}
                application.consultant_name = application.consultant_email = application.consultant_language = None
                removed["consultant_assignments"] += 1
            if (application.partner_contact_email or "").lower() == email:
                identities |= {application.partner_contact_email, application.partner_contact_name}
                application.partner_contact_name = application.partner_contact_email = None
                removed["partner_contacts"] += 1
        spellings = identities | {i.lower() for i in identities}
        # Authors are token subjects: the e-mail, or the name the person is known by here.
        for model, column, key in ((Application, Application.created_by, "applications_created"),
                                   (StatusChange, StatusChange.changed_by, "status_changes"),
                                   (ChecklistItem, ChecklistItem.updated_by, "checklist_updates"),
                                   (Consultation, Consultation.recorded_by, "consultation_entries")):
            result = session.execute(update(model).where(or_(column.in_(spellings), func.lower(column).in_(spellings)))
                                     .values({column.key: pseudonym}))
            removed[key] += result.rowcount
        # Events already published carried the contact details; the outbox keeps no copy of them.
        result = session.execute(delete(OUTBOX).where(OUTBOX.c.published_at.is_not(None), or_(
            *[OUTBOX.c.body.contains(spelling, autoescape=True) for spelling in spellings],
            *[func.lower(OUTBOX.c.body).contains(spelling, autoescape=True) for spelling in spellings])))
        removed["published_events"] += result.rowcount
        removed["dead_letters"] = scrub_dead_letters(self.db, sorted(spellings))
        counts = {key: removed[key] for key in sorted(removed)}
        # merge: the same request delivered again under another event id updates its record
        session.merge(Erasure(request_id=event.request_id, removed=counts, erased_at=utcnow()))
        self.db.emit(GrantsPersonErased(request_id=event.request_id, removed=counts), subject=str(event.request_id))
