"""The grants service: funding catalogue, explained call fit, and application support from idea to
final cost. This class only maps nameko entrypoints (HTTP routes, event subscriptions, the timer) to
the use cases in services/grants/usecases/, passing the worker's unit of work (`self.db`) and the
validated inputs; the orchestration is there, the rules in domain/, the queries in repository.py."""

from __future__ import annotations

from werkzeug.wrappers import Response

from services.grants.document_gauges import DocumentGauges
from services.grants.document_schemas import DocumentOut, UploadQuery
from services.grants.documents import DOWNLOAD_TYPES, UPLOAD_BODY_SCHEMAS, DocumentStore, read_upload
from services.grants.desk_gauges import DeskGauges
from services.grants.desk_schemas import (
    ApplicationFilters,
    ApplicationListItemOut,
    ApplicationListQuery,
    DeskOut,
    DeskQuery,
    WorkloadOut,
    WorkloadQuery,
)
from services.grants.engagement_gauges import EngagementGauges
from services.grants.engagement_repository import ENGAGEMENT_MUNICIPALITIES
from services.grants.engagement_schemas import (
    AgreementIn,
    ClosureIn,
    DeclineIn,
    DeliverableIn,
    DeliveryIn,
    EngagementIn,
    EngagementOut,
    EngagementQuery,
    EngagementReportOut,
    EngagementReportQuery,
    EngagementSummaryOut,
)
from services.grants.gauges import ApplicationGauges
from services.grants.joint_gauges import JointGauges
from services.grants.joint_repository import APPLICATION_MUNICIPALITIES, led_application
from services.grants.joint_schemas import PartnerAnswerIn, PartnershipIn, PartnershipOut
from services.grants.pages import GrantsPages
from services.grants.schemas import (
    AmendmentIn,
    ApplicationChange,
    ApplicationIn,
    ApplicationOut,
    CallChange,
    CallIn,
    CallOut,
    CallQuery,
    ChecklistChange,
    ClaimStatusIn,
    ConsultationIn,
    ContactIn,
    DecisionIn,
    FinalReportIn,
    FitOut,
    FitQuery,
    FundedProjectIn,
    FundedProjectOut,
    ImplementationIn,
    PaymentClaimIn,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeQuery,
    ReportOut,
    ReportQuery,
    ReportSubmissionIn,
    TransitionIn,
)
from services.grants.usecases import (
    applications,
    catalogue,
    consultations,
    desk,
    documents,
    engagements,
    erasure,
    idea_fit,
    implementation,
    joint,
    letters,
    partner_search,
    reminders,
    reports,
    transitions,
)
from shared.auth import ANYONE, STAFF, STAFF_OR_MUNICIPALITY
from shared.events.envelope import Envelope
from shared.events.partners import (
    IntroductionAnswered,
    IntroductionSent,
    LetterOfIntentRecorded,
    MatchesProposed,
    PartnershipEstablished,
)
from shared.events.privacy import ErasureRequested
from shared.http import client_etags, route
from shared.messaging.subscriptions import subscribe
from shared.persistence.provider import Database
from shared.service import ServiceBase
from shared.tenancy import Tenancy
from shared.timers import timer



# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
CATALOGUE = Tenancy.none("the funding catalogue: programmes, their funded projects and calls, no municipality's data")
# Changed by its lead municipality (a joint application's partners see it: 403 for them, 404 for others).
APPLICATION = led_application("application_id")
# Seen by its lead and, for a joint application, each partner municipality (services/grants/joint_repository.py).
JOINT_APPLICATION = Tenancy.shared("application_id", APPLICATION_MUNICIPALITIES, "application")
OWN_APPLICATIONS = Tenancy.query("municipality_code")
ENGAGEMENT = Tenancy.shared("engagement_id", ENGAGEMENT_MUNICIPALITIES, "engagement")


def csv_response(text: str, filename: str) -> Response:
    return Response(text, status=200, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class GrantsService(GrantsPages, ServiceBase):
    name = "grants"
    db = Database()
    gauges = ApplicationGauges()
    engagement_gauges = EngagementGauges()
    desk_gauges = DeskGauges()
    joint_gauges = JointGauges()
    documents = DocumentStore()
    document_gauges = DocumentGauges()

    # ------------------------------------------------------------------ programmes
    @route("POST", "/grants/programmes", roles=STAFF, body=ProgrammeIn, response=ProgrammeOut, status=201,
           errors=(409,))
    def create_programme(self, request, body: ProgrammeIn, principal):
        """Add a funding programme (funder, period, operator, budget, donor countries)."""
        return 201, catalogue.create_programme(self.db, body)

    @route("GET", "/grants/programmes", roles=ANYONE, query=ProgrammeQuery, response=list[ProgrammeOut],
           scope=CATALOGUE)
    def list_programmes(self, request, query: ProgrammeQuery, principal):
        """Programmes with the projects they funded (initial vs final cost, grant, partners); filter by
        source kind, funder and theme (an unknown filter is 422)."""
        return catalogue.list_programmes(self.db, query)

    @route("GET", "/grants/programmes/<uuid:programme_id>", roles=ANYONE, response=ProgrammeOut, errors=(404,),
           scope=CATALOGUE)
    def get_programme(self, request, programme_id, principal):
        """One programme with its funded projects and calls."""
        return catalogue.get_programme(self.db, programme_id)

    @route("POST", "/grants/programmes/<uuid:programme_id>/projects", roles=STAFF, body=FundedProjectIn,
           response=FundedProjectOut, status=201, errors=(404, 409))
    def add_funded_project(self, request, programme_id, body: FundedProjectIn, principal):
        """Record a project the programme funded, as the funder reports it."""
        return 201, catalogue.add_funded_project(self.db, programme_id, body)

    # ------------------------------------------------------------------ calls
    @route("POST", "/grants/calls", roles=STAFF, body=CallIn, response=CallOut, status=201, errors=(404, 409))
    def create_call(self, request, body: CallIn, principal):
        """Add a funding call to the catalogue; open and forecast calls publish grants.call_published. A
        call of a programme takes its funder and source kind from it (a funder contradicting the
        programme's is 422); a call outside any programme names its funder."""
        return 201, catalogue.create_call(self.db, body)

    @route("GET", "/grants/calls", roles=ANYONE, query=CallQuery, response=list[CallOut], scope=CATALOGUE)
    def list_calls(self, request, query: CallQuery, principal):
        """The call catalogue, soonest deadline first; filter by status, theme and programme."""
        return catalogue.list_calls(self.db, query)

    @route("GET", "/grants/calls/<uuid:call_id>", roles=ANYONE, response=CallOut, errors=(404,), scope=CATALOGUE)
    def get_call(self, request, call_id, principal):
        """One call, with the municipalities it is open to."""
        return catalogue.get_call(self.db, call_id)

    @route("PATCH", "/grants/calls/<uuid:call_id>", roles=STAFF, body=CallChange, response=CallOut,
           errors=(404, 409))
    def change_call(self, request, call_id, body: CallChange, principal):
        """Open a forecast call, close or reopen one, or move its dates. A call that becomes (or stays)
        announced with new dates publishes grants.call_published again."""
        return catalogue.change_call(self.db, call_id, body)

    # ------------------------------------------------------------------ call fit
    @route("GET", "/grants/fit", roles=STAFF_OR_MUNICIPALITY, query=FitQuery, response=FitOut,
           scope=Tenancy.query("municipality_code"), conditional=True)
    def call_fit(self, request, query: FitQuery, principal, tenant):
        """Rank the open and forecast calls for a municipality's project idea, and say for each, rule
        by rule, why it fits or fails: applicant type, region, themes, amount range, funding rate
        (and so the own contribution), partner requirement and days left."""
        has = client_etags(request)  # If-None-Match: 304 while its ETag is the current answer's
        if has:
            return idea_fit.assess(self.db, query, tenant, client_has=has)
        return idea_fit.assess(self.db, query, tenant)

    # ------------------------------------------------------------------ applications
    @route("POST", "/grants/applications", roles=STAFF_OR_MUNICIPALITY, body=ApplicationIn,
           response=ApplicationOut, status=201, errors=(404, 409), scope=Tenancy.body("municipality_code"))
    def create_application(self, request, body: ApplicationIn, principal):
        """Start an application to a call for a municipality. The budget is checked against the
        call's rules, a document checklist is generated from the call, and when the call needs a
        foreign partner the municipality does not have yet, grants.partner_requested goes to the
        partners service."""
        return 201, applications.create_application(self.db, body, principal)

    @route("GET", "/grants/applications", roles=STAFF_OR_MUNICIPALITY, query=ApplicationListQuery,
           response=list[ApplicationListItemOut], scope=OWN_APPLICATIONS)
    def list_applications(self, request, query: ApplicationListQuery, principal, tenant):
        """Applications, newest first by default; each with its next deadline. Pages of `limit` (1-500,
        default 100) with X-Next-Cursor and a Link to the next; sort by deadline, created, status or
        municipality (`-` descending); filter by status, call, funder, programme, theme, municipality,
        consultant and the next deadline's range. An unknown parameter is 422. Municipality tokens see
        only their own municipality's."""
        return desk.list_applications(self.db, query, tenant)

    @route("GET", "/grants/applications.csv", roles=STAFF_OR_MUNICIPALITY, query=ApplicationFilters,
           scope=OWN_APPLICATIONS)
    def export_applications(self, request, query: ApplicationFilters, principal, tenant):
        """The application list as CSV (amounts, dates, statuses; no personal data): every application
        the same filters select, in the same sort."""
        return csv_response(desk.export_applications(self.db, query, tenant), "grant-applications.csv")


    @route("GET", "/grants/applications/<uuid:application_id>", roles=STAFF_OR_MUNICIPALITY,
           response=ApplicationOut, errors=(404,), scope=JOINT_APPLICATION)
    def get_application(self, request, application_id, principal):
        """One application: budget, deadlines, checklist, history, consultations, partner candidates,
        decision and final cost beside the initial one. A joint application's partner municipalities
        see it too."""
        return applications.get_application(self.db, application_id)

    @route("PATCH", "/grants/applications/<uuid:application_id>", roles=STAFF_OR_MUNICIPALITY,
           body=ApplicationChange, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def change_application(self, request, application_id, body: ApplicationChange, principal):
        """Edit an application being written (idea, drafting, internal review): texts, themes,
        budget (checked against the call again), internal deadline, contact person."""
        return applications.change_application(self.db, application_id, body)

    @route("PUT", "/grants/applications/<uuid:application_id>/consultant", roles=STAFF, body=ContactIn,
           response=ApplicationOut, errors=(404,))
    def assign_consultant(self, request, application_id, body: ContactIn, principal):
        """Assign the centre's consultant (name, e-mail, language) to an application. Another
        consultant than before publishes grants.consultant_assigned: the new one is told (the
        application's summary, next deadline and link), and so are the previous one and the
        municipality's contact."""
        return applications.assign_consultant(self.db, application_id, body, self.settings.public_url)

    @route("POST", "/grants/applications/<uuid:application_id>/transitions", roles=STAFF_OR_MUNICIPALITY,
           body=TransitionIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def move_application(self, request, application_id, body: TransitionIn, principal):
        """Move an application in its workflow (idea → drafting → internal_review → submitted;
        awarded → contracted; withdrawn). Submitting needs every required document ready, an
        established partner where the call requires one, and the official deadline not passed; the
        internal review is the centre's: only staff pass it (403 for a municipality)."""
        return transitions.move_application(self.db, application_id, body, principal)

    @route("PUT", "/grants/applications/<uuid:application_id>/checklist/<code>", roles=STAFF_OR_MUNICIPALITY,
           body=ChecklistChange, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def update_checklist_item(self, request, application_id, code, body: ChecklistChange, principal):
        """Mark a required document missing, in progress, ready or not applicable. Only the centre's
        staff waive a document (not applicable, 403 otherwise), with the reason in `note` (422
        without); every change is kept in the item's history; a waiver publishes
        grants.document_waived."""
        return applications.update_checklist_item(self.db, application_id, code, body, principal)

    @route("POST", "/grants/applications/<uuid:application_id>/consultations", roles=STAFF_OR_MUNICIPALITY,
           body=ConsultationIn, response=ApplicationOut, status=201, errors=(404,), scope=APPLICATION)
    def log_consultation(self, request, application_id, body: ConsultationIn, principal):
        """Add an entry to the consultation log (meeting, phone, e-mail or video; what was agreed)."""
        return 201, consultations.log_consultation(self.db, application_id, body, principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/decision", roles=STAFF_OR_MUNICIPALITY,
           body=DecisionIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def record_decision(self, request, application_id, body: DecisionIn, principal):
        """Record the funder's decision on a submitted application: awarded (amount) or rejected
        (reasons). Publishes grants.application_decided."""
        return transitions.record_decision(self.db, application_id, body, principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/final-report", roles=STAFF_OR_MUNICIPALITY,
           body=FinalReportIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def file_final_report(self, request, application_id, body: FinalReportIn, principal):
        """Close a contracted project with its final cost, shown beside the initial one. The call's
        funding rate of the final cost (at most the award) is the most the final grant may be: the
        grant given defaults to it, one above it is 422 saying by how much it must shrink. Publishes
        grants.final_report_filed."""
        return transitions.file_final_report(self.db, application_id, body, principal.subject)

    # ------------------------------------------------------------------ documents
    @route("POST", "/grants/applications/<uuid:application_id>/documents", roles=STAFF_OR_MUNICIPALITY,
           query=UploadQuery, response=DocumentOut, status=201, errors=(404,), scope=APPLICATION,
           raw_body=UPLOAD_BODY_SCHEMAS, max_body_setting="document_max_bytes")
    def upload_application_document(self, request, application_id, query: UploadQuery, principal):
        """Attach a file to the application: a form's `file` part (multipart/form-data) or the raw body
        with its Content-Type and ?filename=. PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG, judged by the
        content (415 otherwise, 422 when the declared type contradicts it), at most
        SAVIVALDA_DOCUMENT_MAX_BYTES (413). A file of the same name again is its next version.
        `personal=true` marks personal data (a CV): deleted when the person is erased."""
        return 201, documents.upload_to_application(self.db, self.documents, application_id,
                                                    read_upload(request, query, self.documents.max_bytes,
                                                                "application"), principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/checklist/<code>/documents",
           roles=STAFF_OR_MUNICIPALITY, query=UploadQuery, response=DocumentOut, status=201, errors=(404, 409),
           scope=APPLICATION, raw_body=UPLOAD_BODY_SCHEMAS, max_body_setting="document_max_bytes")
    def upload_checklist_document(self, request, application_id, code, query: UploadQuery, principal):
        """Attach a file to a required document of the checklist (as for the application's files); each
        upload is the item's next version. The item becomes ready unless it is ready or waived (only
        the centre waives); 409 once the application is no longer being written."""
        return 201, documents.upload_to_application(self.db, self.documents, application_id,
                                                    read_upload(request, query, self.documents.max_bytes,
                                                                "checklist"), principal.subject, checklist_code=code)

    @route("GET", "/grants/applications/<uuid:application_id>/documents", roles=STAFF_OR_MUNICIPALITY,
           response=list[DocumentOut], errors=(404,), scope=JOINT_APPLICATION)
    def list_application_documents(self, request, application_id, principal):
        """Every version of the application's files and its checklist items' files, newest first per
        document, with who uploaded each and when. A joint application's partner municipalities see
        them too (uploading is the lead's: 403 for them)."""
        return documents.list_documents(self.db, "application", application_id)

    @route("GET", "/grants/applications/<uuid:application_id>/documents/<uuid:document_id>",
           roles=STAFF_OR_MUNICIPALITY, errors=(404,), scope=JOINT_APPLICATION, content_types=DOWNLOAD_TYPES)
    def download_application_document(self, request, application_id, document_id, principal):
        """One version of a file, as uploaded (its type, its name in Content-Disposition)."""
        return documents.get_file(self.db, self.documents, "application", application_id, document_id)

    @route("POST", "/grants/calls/<uuid:call_id>/templates", roles=STAFF, query=UploadQuery, response=DocumentOut,
           status=201, errors=(404,), raw_body=UPLOAD_BODY_SCHEMAS, max_body_setting="document_max_bytes")
    def upload_call_template(self, request, call_id, query: UploadQuery, principal):
        """Attach a template to a call (an application form, a budget sheet) for its applicants to
        download; the same name again is its next version. Types and size as for application files."""
        return 201, documents.upload_template(self.db, self.documents, call_id,
                                              read_upload(request, query, self.documents.max_bytes, "call"),
                                              principal.subject)

    @route("GET", "/grants/calls/<uuid:call_id>/templates", roles=ANYONE, response=list[DocumentOut],
           errors=(404,), scope=CATALOGUE)
    def list_call_templates(self, request, call_id, principal):
        """The call's templates, every version, newest first per template."""
        return documents.list_documents(self.db, "call", call_id)

    @route("GET", "/grants/calls/<uuid:call_id>/templates/<uuid:template_id>", roles=ANYONE, errors=(404,),
           scope=CATALOGUE, content_types=DOWNLOAD_TYPES)
    def download_call_template(self, request, call_id, template_id, principal):
        """One version of a call's template, as uploaded."""
        return documents.get_file(self.db, self.documents, "call", call_id, template_id)

    # ------------------------------------------------------------------ joint applications
    @route("GET", "/grants/applications/<uuid:application_id>/partnership", roles=STAFF_OR_MUNICIPALITY,
           response=PartnershipOut, errors=(404,), scope=JOINT_APPLICATION)
    def get_partnership(self, request, application_id, principal):
        """A joint application's partnership: the lead's part and each partner municipality's budget
        share, own contribution, grant share and answer; whether the parts add up to the budget and
        every partner confirmed. The lead and the centre see every part, a partner its own."""
        return joint.get_partnership(self.db, application_id, principal)

    @route("PUT", "/grants/applications/<uuid:application_id>/partnership", roles=STAFF_OR_MUNICIPALITY,
           body=PartnershipIn, response=PartnershipOut, errors=(404, 409), scope=APPLICATION)
    def set_partnership(self, request, application_id, body: PartnershipIn, principal):
        """Make the application joint (or change or end its partnership), while it is in preparation:
        the lead's part and up to nine partner municipalities' (distinct, not the lead), shares adding
        up to the total eligible cost and own contributions to the application's, each within the
        call's funding rate. The lead or the centre only (a partner 403). A partner whose figures
        change answers again. Publishes grants.joint_partner_added / _changed / _removed."""
        return joint.set_partnership(self.db, application_id, body, principal)

    @route("POST", "/grants/applications/<uuid:application_id>/partnership/<municipality_code>/answer",
           roles=STAFF_OR_MUNICIPALITY, body=PartnerAnswerIn, response=PartnershipOut, errors=(404, 409),
           scope=(Tenancy.path("municipality_code"), JOINT_APPLICATION))
    def answer_partnership(self, request, application_id, municipality_code, body: PartnerAnswerIn, principal):
        """A partner municipality confirms its part (naming the budget share and own contribution it
        confirms: other figures are 409) or declines it; only for itself (the centre may record it on
        its behalf). Submission waits for every partner's confirmation. Publishes
        grants.joint_partner_confirmed / _declined."""
        return joint.answer_part(self.db, application_id, municipality_code, body, principal)

    # ------------------------------------------------------------------ consultants' desk
    @route("GET", "/grants/workload", roles=STAFF, query=WorkloadQuery, response=WorkloadOut)
    def consultants_workload(self, request, query: WorkloadQuery, principal):
        """Each consultant's open applications by next deadline (stage, internal, report, follow-up;
        none last), with counts (open, by status, overdue, due within 7 days); then the open
        applications no consultant has. Filter by consultant and municipality."""
        return desk.workload(self.db, query)

    @route("GET", "/grants/desk", roles=STAFF, query=DeskQuery, response=DeskOut)
    def own_desk(self, request, query: DeskQuery, principal):
        """The calling consultant's own desk (the token's subject is their e-mail): their open
        applications by next deadline, with the same counts."""
        return desk.own_desk(self.db, principal.subject, query)

    @timer()
    def remind_follow_ups(self):
        """Every SAVIVALDA_TIMER_INTERVAL: grants.consultation_follow_up_due for open applications whose
        latest consultation's follow-up day has come, once each; a newer consultation supersedes it."""
        desk.remind_follow_ups(self.db, self.settings.public_url)

    # ------------------------------------------------------------------ after the contract
    @route("PUT", "/grants/applications/<uuid:application_id>/implementation", roles=STAFF_OR_MUNICIPALITY,
           body=ImplementationIn, response=ApplicationOut, errors=(404, 409), scope=APPLICATION)
    def plan_implementation(self, request, application_id, body: ImplementationIn, principal):
        """Set a contracted project's implementation period and reporting deadlines (interim ones
        within the period, the final one on or after its end, by default 30 days after), once; later
        changes are amendments. Publishes grants.implementation_planned; each report is reminded 14,
        7 and 1 days before it is due until it is submitted."""
        return implementation.plan(self.db, application_id, body)

    @route("POST", "/grants/applications/<uuid:application_id>/reports/<uuid:report_id>/submission",
           roles=STAFF_OR_MUNICIPALITY, body=ReportSubmissionIn, response=ApplicationOut, errors=(404, 409),
           scope=APPLICATION)
    def submit_project_report(self, request, application_id, report_id, body: ReportSubmissionIn, principal):
        """Record an interim or final report as submitted: its reminders stop. Publishes
        grants.project_report_submitted."""
        return implementation.submit_report(self.db, application_id, report_id, body, principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/payment-claims", roles=STAFF_OR_MUNICIPALITY,
           body=PaymentClaimIn, response=ApplicationOut, status=201, errors=(404, 409), scope=APPLICATION)
    def submit_payment_claim(self, request, application_id, body: PaymentClaimIn, principal):
        """Submit a payment claim: the amount and the eligible costs it declares (at most the call's
        rate of them; all claims within the contract's grant). Publishes grants.payment_claim_changed."""
        return 201, implementation.submit_claim(self.db, application_id, body, principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/payment-claims/<uuid:claim_id>/status",
           roles=STAFF_OR_MUNICIPALITY, body=ClaimStatusIn, response=ApplicationOut, errors=(404, 409),
           scope=APPLICATION)
    def change_payment_claim(self, request, application_id, claim_id, body: ClaimStatusIn, principal):
        """Record the funder's approval of a claim (possibly for less) or its payment: submitted →
        approved → paid. Publishes grants.payment_claim_changed."""
        return implementation.change_claim(self.db, application_id, claim_id, body, principal.subject)

    @route("POST", "/grants/applications/<uuid:application_id>/amendments", roles=STAFF_OR_MUNICIPALITY,
           body=AmendmentIn, response=ApplicationOut, status=201, errors=(404, 409), scope=APPLICATION)
    def amend_project(self, request, application_id, body: AmendmentIn, principal):
        """Amend a contracted project's budget (total and grant, within the call's rate and range and
        not below what was claimed) or end date (the final report deadline moves with it), with the
        reason; before and after are kept. Publishes grants.project_amended."""
        return 201, implementation.amend(self.db, application_id, body, principal.subject)

    # ------------------------------------------------------------------ reports
    @route("GET", "/grants/reports/applications", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery,
           response=ReportOut, scope=Tenancy.query())
    def applications_report(self, request, query: ReportQuery, principal, tenant):
        """Applications by status, funder, theme, municipality, call, year (submitted, or started) or
        programme period: counts per status, amounts requested, awarded, paid and final, and the
        success rate (awarded ÷ decided). An application with several themes counts under each. The
        centre's report counts the programmes' funded projects (the seeds) by funder, theme and
        programme period. Municipality tokens get their own municipality's figures."""
        return reports.applications_report(self.db, query.group_by, tenant)

    @route("GET", "/grants/reports/applications.csv", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery,
           scope=Tenancy.query())
    def applications_report_csv(self, request, query: ReportQuery, principal, tenant):
        """The same report as CSV (one row per group, then the totals)."""
        return csv_response(reports.applications_report_csv(self.db, query.group_by, tenant),
                            f"grant-applications-by-{query.group_by}.csv")

    # ------------------------------------------------------------------ consulting engagements
    @route("POST", "/grants/engagements", roles=STAFF_OR_MUNICIPALITY, body=EngagementIn, response=EngagementOut,
           status=201, scope=Tenancy.body("municipality_code"))
    def request_engagement(self, request, body: EngagementIn, principal):
        """Ask the centre for help beyond a grant application (an organisation development study, a
        strategy...): theme, title, description, the contact person, and for a group the other
        municipalities it serves (each of them sees it). Publishes grants.engagement_requested."""
        return 201, engagements.request_engagement(self.db, body, principal.subject)

    @route("GET", "/grants/engagements", roles=STAFF_OR_MUNICIPALITY, query=EngagementQuery,
           response=list[EngagementSummaryOut], scope=Tenancy.query("municipality_code"))
    def list_engagements(self, request, query: EngagementQuery, principal, tenant):
        """Engagements, newest request first; filter by municipality served, status and theme.
        Municipality tokens see those serving their own municipality (a group's included)."""
        return engagements.list_engagements(self.db, query, tenant)

    @route("GET", "/grants/engagements/<uuid:engagement_id>", roles=STAFF_OR_MUNICIPALITY,
           response=EngagementOut, errors=(404,), scope=ENGAGEMENT)
    def get_engagement(self, request, engagement_id, principal):
        """One engagement: request, scope, consultant, deliverables (late or not), consultations, outcome."""
        return engagements.get_engagement(self.db, engagement_id)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/agreement", roles=STAFF, body=AgreementIn,
           response=EngagementOut, errors=(404, 409))
    def agree_engagement(self, request, engagement_id, body: AgreementIn, principal):
        """The centre agrees the scope, assigns its consultant and sets the deliverables with their
        due dates (requested → agreed). Publishes grants.engagement_agreed."""
        return engagements.agree(self.db, engagement_id, body, principal.subject)

    @route("PUT", "/grants/engagements/<uuid:engagement_id>/consultant", roles=STAFF, body=ContactIn,
           response=EngagementOut, errors=(404, 409))
    def assign_engagement_consultant(self, request, engagement_id, body: ContactIn, principal):
        """Another consultant takes over an agreed or in-progress engagement. Publishes
        grants.engagement_consultant_assigned (the new consultant and the contact are told)."""
        return engagements.assign_consultant(self.db, engagement_id, body)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/decline", roles=STAFF, body=DeclineIn,
           response=EngagementOut, errors=(404, 409))
    def decline_engagement(self, request, engagement_id, body: DeclineIn, principal):
        """The centre declines a request, with the reason. Publishes grants.engagement_declined."""
        return engagements.decline(self.db, engagement_id, body, principal.subject)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/deliverables", roles=STAFF, body=DeliverableIn,
           response=EngagementOut, status=201, errors=(404, 409))
    def add_engagement_deliverable(self, request, engagement_id, body: DeliverableIn, principal):
        """Add a deliverable to an agreed or in-progress engagement."""
        return 201, engagements.add_deliverable(self.db, engagement_id, body)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/deliverables/<uuid:deliverable_id>/delivery",
           roles=STAFF, body=DeliveryIn, response=EngagementOut, errors=(404, 409))
    def deliver_engagement_deliverable(self, request, engagement_id, deliverable_id, body: DeliveryIn, principal):
        """Record a deliverable as delivered (its reminders stop; after its due date it counts late)."""
        return engagements.deliver(self.db, engagement_id, deliverable_id, body, principal.subject)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/consultations", roles=STAFF_OR_MUNICIPALITY,
           body=ConsultationIn, response=EngagementOut, status=201, errors=(404, 409), scope=ENGAGEMENT)
    def log_engagement_consultation(self, request, engagement_id, body: ConsultationIn, principal):
        """Add an entry to the engagement's consultation log; the first one starts the work (agreed →
        in_progress)."""
        return 201, engagements.log_consultation(self.db, engagement_id, body, principal.subject)

    @route("POST", "/grants/engagements/<uuid:engagement_id>/closure", roles=STAFF, body=ClosureIn,
           response=EngagementOut, errors=(404, 409))
    def close_engagement(self, request, engagement_id, body: ClosureIn, principal):
        """Close an engagement in progress with its outcome (achieved needs every deliverable
        delivered). Publishes grants.engagement_closed."""
        return engagements.close(self.db, engagement_id, body, principal.subject)

    @route("GET", "/grants/reports/engagements", roles=STAFF_OR_MUNICIPALITY, query=EngagementReportQuery,
           response=EngagementReportOut, scope=Tenancy.query())
    def engagements_report(self, request, query: EngagementReportQuery, principal, tenant):
        """Engagements by municipality (a group's counts under each), theme, consultant or status:
        counts per status, open ones, deliverables and late ones. Municipality tokens get their own
        municipality's figures."""
        return engagements.engagements_report(self.db, query.group_by, tenant)

    @route("GET", "/grants/reports/engagements.csv", roles=STAFF_OR_MUNICIPALITY, query=EngagementReportQuery,
           scope=Tenancy.query())
    def engagements_report_csv(self, request, query: EngagementReportQuery, principal, tenant):
        """The same report as CSV (one row per group, then the totals)."""
        return csv_response(engagements.engagements_report_csv(self.db, query.group_by, tenant),
                            f"consulting-engagements-by-{query.group_by}.csv")

    @timer()
    def remind_engagement_deliverables(self):
        """Every SAVIVALDA_TIMER_INTERVAL: grants.engagement_deliverable_due for deliverables of agreed
        or in-progress engagements not delivered, 7 and 1 days before they are due (each once)."""
        engagements.remind_deliverables(self.db)

    # ------------------------------------------------------------------ partners' events
    @subscribe("partners.matches_proposed")
    def on_matches_proposed(self, event: MatchesProposed, envelope: Envelope):
        """Show the proposed partners on the application. A new proposal for the same partner request
        replaces that request's candidates not yet introduced; introduced ones stay."""
        partner_search.matches_proposed(self.db, event)

    @subscribe("partners.introduction_sent")
    def on_introduction_sent(self, event: IntroductionSent, envelope: Envelope):
        partner_search.introduction_sent(self.db, event)

    @subscribe("partners.introduction_answered")
    def on_introduction_answered(self, event: IntroductionAnswered, envelope: Envelope):
        partner_search.introduction_answered(self.db, event)

    @subscribe("partners.partnership_established")
    def on_partnership_established(self, event: PartnershipEstablished, envelope: Envelope):
        """The partner requirement is met: the application shows the partner and may be submitted."""
        partner_search.partnership_established(self.db, event)

    @subscribe("partners.letter_of_intent_recorded")
    def on_letter_of_intent_recorded(self, event: LetterOfIntentRecorded, envelope: Envelope):
        """A partner's letter of intent ticks the checklist item it stands for (the partnership letter)."""
        letters.letter_of_intent_recorded(self.db, event)

    # ------------------------------------------------------------------ deadline reminders
    @timer()
    def remind_deadlines(self):
        """Every SAVIVALDA_TIMER_INTERVAL: emit grants.call_deadline_approaching for applications not
        yet submitted, at 14, 7 and 1 days before their internal, first-stage and official deadlines,
        and grants.reporting_deadline_approaching for contracted projects' reports not yet submitted.
        The sent_reminders primary key makes each reminder go out once, whatever the replicas."""
        reminders.remind_deadlines(self.db)

    # ------------------------------------------------------------------ the right to be forgotten
    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase the person's contact details wherever they appear and replace their name or e-mail
        as the author of history, checklist and consultation entries by a pseudonym; applications
        and their amounts stay, so reports keep their counts."""
        erasure.erase_person(self.db, event, self.documents)
