"""The enrollment service: maps HTTP routes, the timer and event handlers to use cases
(usecases/, one module per capability) and nothing else. Each entrypoint hands its inputs — the
validated body or query, the principal or the enforced tenant — to a use case with the worker's
unit of work (`self.db`) and returns its answer; the rules are in domain/, the queries in
repository.py."""

from __future__ import annotations

from services.enrollment.domain.idempotency import HEADER as IDEMPOTENCY_HEADER
from services.enrollment.metrics import EnrollmentGauges
from services.enrollment.notices import Links
from services.enrollment.pages import after_action, enrolment_page, page_form
from services.enrollment.public_pages import PublicPages
from services.enrollment.repository import ENROLLED_PERSON_OWNER, ENROLLMENT_OWNER
from services.enrollment.schemas import (
    AttendanceIn,
    BulkAttendanceIn,
    BulkAttendanceOut,
    CancelEnrollmentIn,
    CancelSessionIn,
    CertificateOut,
    CertificateQuery,
    CompleteSessionIn,
    CompletionOut,
    CourseIn,
    CourseOut,
    CoursePatch,
    CourseQuery,
    DemandOut,
    DemandQuery,
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentQuery,
    HoursLineOut,
    HoursQuery,
    ReportOut,
    ReportQuery,
    SelfServiceOut,
    SessionIn,
    SessionOut,
    SessionPatch,
    SessionQuery,
    SupportIn,
    SwitchModeIn,
    TrainerDetailOut,
    TrainerIn,
    TrainerOut,
    TrainerQuery,
    TrainerReportOut,
    TrainerReportQuery,
    TrainingNeedIn,
    TrainingNeedOut,
    TrainingNeedQuery,
    TrainingNeedStatusIn,
    VerificationOut,
    VerifyQuery,
    WaitlistQuery,
)
from services.enrollment.usecases import (
    attendance,
    calendars,
    catalogue,
    certificates,
    enrolment,
    erasure,
    go_no_go,
    housekeeping,
    reports,
    self_service,
    trainers,
    training_needs,
)
from services.enrollment.schemas_learning import CompletionQuery, LearningCompletionOut
from services.enrollment.schemas_programmes import (
    FundedProjectOut,
    HistoryIn,
    HistoryOut,
    ProgrammeCourseIn,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeQuery,
    ProjectReportOut,
    ProjectReportQuery,
)
from services.enrollment.usecases import learning, programmes
from services.enrollment.schemas_working_groups import (
    CancelMeetingIn,
    MeetingAttendanceIn,
    MeetingIn,
    MeetingOut,
    MemberChange,
    MemberIn,
    MemberOut,
    MinutesIn,
    ProposalIn,
    ProposalOut,
    WorkingGroupIn,
    WorkingGroupOut,
    WorkingGroupQuery,
    WorkingGroupReportOut,
    WorkingGroupSummaryOut,
)
from services.enrollment.usecases import working_groups
from services.enrollment.schemas_documents import BulkQuery, BulkReportOut, SignInSheetQuery
from services.enrollment.usecases import bulk, documents
from services.enrollment.usecases.bulk import MAX_BYTES as BULK_MAX_BYTES
from services.enrollment.working_group_repository import working_group_municipalities
from services.enrollment.invoice_repository import INVOICE_OWNER
from services.enrollment.schemas_invoices import (
    InvoiceDetailOut,
    InvoiceDocumentQuery,
    InvoiceOut,
    InvoiceQuery,
    IssueInvoicesIn,
    PayInvoiceIn,
    WaiveInvoiceIn,
)
from services.enrollment.usecases import invoices
from services.enrollment.feedback_pages import FORM_SCHEMA as FEEDBACK_FORM_SCHEMA
from services.enrollment.feedback_pages import feedback_answer_page, feedback_page
from services.enrollment.feedback_repository import attended_municipalities
from services.enrollment.schemas_feedback import (
    FeedbackAnswerIn,
    FeedbackAnsweredOut,
    FeedbackFormOut,
    FeedbackQuestionsIn,
    FeedbackQuestionsOut,
    FeedbackReportOut,
    FeedbackReportQuery,
    SessionReportQuery,
)
from services.enrollment.usecases import feedback
from services.enrollment.usecases.feedback import MAX_BODY_BYTES as FEEDBACK_BODY_BYTES
from shared.events.envelope import Envelope
from shared.events.grants import FundedProjectRecorded
from shared.events.learning import CourseCompleted
from shared.events.privacy import ErasureRequested
from shared.auth import ANYONE, STAFF, STAFF_OR_MUNICIPALITY
from shared.http import Problem, read_body, route
from shared.pages import wants_html
from shared.messaging.subscriptions import subscribe
from shared.persistence.provider import Database
from shared.service import ServiceBase
from shared.tenancy import Tenancy
from shared.timers import timer



# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
CATALOGUE = Tenancy.none("the training catalogue: courses and sessions with their seats, no participant")
NEEDS = Tenancy.none("training needs are shared so that municipalities can see and support each other's proposals")
ENROLLMENT = Tenancy.resource("enrollment_id", ENROLLMENT_OWNER, "enrolment")
# The person (e-mail) already enrolled in the session, and the municipality that enrolled them.
ENROLLED_PERSON = Tenancy.identity("email", ENROLLED_PERSON_OWNER, "person enrolled in this session")
OWN_STAFF = Tenancy.query("municipality_code")
WORKING_GROUP_NAMES = Tenancy.none("working groups' public names, purposes and themes; no member, meeting or minutes")
# A group is seen by each municipality whose people sit in it now (members, meetings, minutes).
WORKING_GROUP = Tenancy.shared("group_id", working_group_municipalities, "working group")
CERTIFICATE = Tenancy.resource("certificate_id", documents.certificate_owner, "certificate")
INVOICE = Tenancy.resource("invoice_id", INVOICE_OWNER, "invoice")
PROGRAMMES = Tenancy.none("programmes of funded projects and their figures: aggregate counts, no person")
# A session's feedback results are seen by each municipality whose people attended it (anonymous aggregates).
SESSION_FEEDBACK = Tenancy.shared("session_id", attended_municipalities, "session feedback")


class EnrollmentService(PublicPages, ServiceBase):
    name = "enrollment"
    db = Database()
    gauges = EnrollmentGauges()

    @property
    def links(self) -> Links:
        return Links(self.settings.public_url, self.settings.auth_secret)

    # ================================================================== courses
    @route("POST", "/enrollment/courses", roles=STAFF, body=CourseIn, response=CourseOut, status=201)
    def create_course(self, request, body: CourseIn, principal):
        """Create a course in the catalogue."""
        return 201, catalogue.create_course(self.db, body)

    @route("GET", "/enrollment/courses", roles=ANYONE, query=CourseQuery, response=list[CourseOut], scope=CATALOGUE)
    def list_courses(self, request, query: CourseQuery, principal):
        """The course catalogue, optionally by theme, audience or format."""
        return catalogue.list_courses(self.db, query)

    @route("GET", "/enrollment/courses/<uuid:course_id>", roles=ANYONE, response=CourseOut, errors=(404,),
           scope=CATALOGUE)
    def get_course(self, request, course_id, principal):
        """One course."""
        return catalogue.get_course(self.db, course_id)

    @route("PATCH", "/enrollment/courses/<uuid:course_id>", roles=STAFF, body=CoursePatch, response=CourseOut,
           errors=(404,))
    def update_course(self, request, course_id, body: CoursePatch, principal):
        """Edit a course's titles, description, themes, audience, hours, completion rule or certificate
        validity (not its format); publishes enrollment.course_updated."""
        return catalogue.update_course(self.db, course_id, body)

    @route("POST", "/enrollment/courses/<uuid:course_id>/retire", roles=STAFF, response=CourseOut, errors=(404,))
    def retire_course(self, request, course_id, principal):
        """Retire a course: it takes no new sessions (409 course_retired), its sessions and history stay."""
        return catalogue.retire_course(self.db, course_id)

    # ================================================================== sessions
    @route("POST", "/enrollment/courses/<uuid:course_id>/sessions", roles=STAFF, body=SessionIn,
           response=SessionOut, status=201, errors=(404,))
    def schedule_session(self, request, course_id, body: SessionIn, principal):
        """Schedule a session of a course; publishes enrollment.session_scheduled."""
        return 201, catalogue.schedule_session(self.db, self.links, course_id, body)

    @route("GET", "/enrollment/sessions", roles=ANYONE, query=SessionQuery, response=list[SessionOut],
           scope=CATALOGUE)
    def list_sessions(self, request, query: SessionQuery, principal):
        """Sessions in start order, by course, theme, region, status, start date or open registration."""
        return catalogue.list_sessions(self.db, self.links, query)

    @route("GET", "/enrollment/sessions/<uuid:session_id>", roles=ANYONE, response=SessionOut, errors=(404,),
           scope=CATALOGUE)
    def get_session(self, request, session_id, principal):
        """One session with its seats per pool."""
        return catalogue.get_session(self.db, self.links, session_id)

    @route("PATCH", "/enrollment/sessions/<uuid:session_id>", roles=STAFF, body=SessionPatch, response=SessionOut,
           errors=(404, 409))
    def update_session(self, request, session_id, body: SessionPatch, principal):
        """Change date, time, venue, online link, trainer, seats, quota, offers, minimum or registration
        window. Capacity cannot drop below the seats taken; raised capacity or a lifted quota promotes
        waitlisted people in order. A new date, time, place, link or trainer is told to everyone
        enrolled (enrollment.session_changed) with their calendar entry's SEQUENCE raised."""
        return catalogue.update_session(self.db, self.links, session_id, body)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/cancel", roles=STAFF, body=CancelSessionIn,
           response=SessionOut, errors=(404, 409))
    def cancel_session(self, request, session_id, body: CancelSessionIn, principal):
        """Cancel a session: every enrolment (seat, offer, waitlist place) is cancelled and each
        person told (enrollment.enrollment_cancelled), then enrollment.session_cancelled."""
        return catalogue.cancel_session(self.db, self.links, session_id, body)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/confirm", roles=STAFF, response=SessionOut,
           errors=(404, 409))
    def confirm_session(self, request, session_id, principal):
        """The coordinator's answer to a go/no-go notice: the session below its minimum takes place
        (enrollment.session_go_confirmed); the other answer is POST .../cancel."""
        return go_no_go.confirm(self.db, self.links, session_id)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/complete", roles=STAFF, body=CompleteSessionIn,
           response=CompletionOut, errors=(404, 409))
    def complete_session(self, request, session_id, body: CompleteSessionIn, principal):
        """Close a session that took place: attendance must be recorded for every confirmed person
        (or mark_unmarked_absent), people still waiting are told they got no seat, and everyone who
        meets the course's completion rule gets a certificate (enrollment.certificate_issued)."""
        return attendance.complete_session(self.db, self.links, session_id, body)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/calendar.ics", public=True, errors=(404,),
           content_types=("text/calendar",))
    def session_calendar(self, request, session_id):
        """The session as an iCalendar file (public: it holds no personal data). ?lang=en for English."""
        language = "en" if request.args.get("lang") == "en" else "lt"
        return calendars.session_calendar(self.db, self.links, session_id, language)

    # ================================================================== enrolments
    @route("POST", "/enrollment/sessions/<uuid:session_id>/enrollments", roles=STAFF_OR_MUNICIPALITY,
           body=EnrollmentIn, response=EnrollmentOut, status=201, errors=(404, 409),
           scope=(Tenancy.body("municipality_code"), ENROLLED_PERSON))
    def enroll(self, request, session_id, body: EnrollmentIn, principal):
        """Enrol a municipal employee: confirmed while seats remain (and their municipality is under
        the session's quota), otherwise waitlisted in arrival order.

        Enrolling the same person (e-mail) again returns the existing enrolment with 200; so does
        repeating a request with the same `Idempotency-Key` header (a different request with a used
        key is 409). A municipality token may enrol only its own municipality's staff, and cannot
        touch a person another municipality enrolled in the session (403).
        """
        done = enrolment.enroll(self.db, self.links, session_id, body, principal, idempotency_key(request))
        return (201 if done.created else 200), done.enrollment

    @route("POST", "/enrollment/sessions/<uuid:session_id>/enrollments/bulk", roles=STAFF, query=BulkQuery,
           response=BulkReportOut, errors=(404, 409), raw_body=bulk.BODY_SCHEMAS)
    def enroll_many(self, request, session_id, query: BulkQuery, principal):
        """Enrol a list of people: text/csv (header line: name, email, municipality_code[, position,
        language, attendance_mode]) or a JSON list of enrolment bodies, at most 500 rows, in list
        order with the same rules as one enrolment. The report says what became of each row and why
        a refused row was refused (`rows.<n>.<field>`); `atomic=true`: any refused row enrols nobody
        (422 with the report). With an Idempotency-Key, sending the same list again answers the same."""
        return bulk.enroll_list(self.db, self.links, session_id, request.headers.get("Content-Type", ""),
                                read_body(request, BULK_MAX_BYTES), principal, idempotency_key(request), query)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/sign-in-sheet", roles=STAFF, query=SignInSheetQuery,
           errors=(404,), content_types=("application/pdf", "text/csv"))
    def sign_in_sheet(self, request, session_id, query: SignInSheetQuery, principal):
        """The session's sign-in sheet: everyone confirmed by name, with municipality, position, mode and
        a signature column; PDF to print (format=pdf, the default) or CSV."""
        return documents.sign_in_sheet(self.db, session_id, query)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/enrollments", roles=STAFF_OR_MUNICIPALITY,
           query=EnrollmentQuery, response=list[EnrollmentOut], errors=(404,), scope=OWN_STAFF)
    def list_enrollments(self, request, session_id, query: EnrollmentQuery, principal, tenant):
        """A session's enrolments in arrival order (municipality tokens: their own staff only)."""
        return enrolment.list_enrollments(self.db, self.links, session_id, query, tenant)

    @route("GET", "/enrollment/sessions/<uuid:session_id>/waitlist", roles=STAFF_OR_MUNICIPALITY,
           query=WaitlistQuery, response=list[EnrollmentOut], errors=(404,), scope=Tenancy.query())
    def waitlist(self, request, session_id, query: WaitlistQuery, principal, tenant):
        """The waitlist in order, per pool, with each person's position and what they wait for
        (municipality tokens see their own staff, with their real positions)."""
        return enrolment.waitlist(self.db, self.links, session_id, query, tenant)

    @route("GET", "/enrollment/enrollments/<uuid:enrollment_id>", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404,), scope=ENROLLMENT)
    def get_enrollment(self, request, enrollment_id, principal):
        """One enrolment with its waitlist position (municipality tokens: their own staff only)."""
        return enrolment.get_enrollment(self.db, self.links, enrollment_id)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/cancel", roles=STAFF_OR_MUNICIPALITY,
           body=CancelEnrollmentIn, response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def cancel_enrollment(self, request, enrollment_id, body: CancelEnrollmentIn, principal):
        """Cancel a seat, an offer or a waitlist place; a freed seat goes to the waitlist in order."""
        return enrolment.cancel_enrollment(self.db, self.links, enrollment_id, body)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/accept", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def accept_offer(self, request, enrollment_id, principal):
        """Accept a seat offered from the waitlist (before the offer expires)."""
        return enrolment.accept_offer(self.db, self.links, enrollment_id)

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/decline", roles=STAFF_OR_MUNICIPALITY,
           response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def decline_offer(self, request, enrollment_id, principal):
        """Decline a seat offered from the waitlist; it passes to the next person."""
        return enrolment.decline_offer(self.db, self.links, enrollment_id)

    # ================================================================== self-service (the person's link)
    # A browser gets the enrolment page (pages.py) and its forms' answers (303 back to the page);
    # JSON clients get the JSON as before. A GET changes nothing (mail scanners fetch links).
    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>", public=True, html=True,
           response=SelfServiceOut, errors=(404, 422))
    def self_service(self, request, enrollment_id, code):
        """A person's own enrolment through the link they were sent: status and waitlist position
        (for a browser, the enrolment page in their language: `?lang=lt|en`, `?done=` after a form)."""
        if wants_html(request):
            return enrolment_page(request, self_service.page(self.db, self.links, enrollment_id, code))
        return self_service.view(self.db, self.links, enrollment_id, code)

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/leave", public=True, html=True,
           response=SelfServiceOut, errors=(404, 409, 415, 422))
    def self_service_leave(self, request, enrollment_id, code):
        """The person leaves the session or its waitlist (declining an offer, if one is open)."""
        form = page_form(request)
        done = self_service.leave(self.db, self.links, enrollment_id, code)
        return after_action(request, form, "left") if form else done

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/accept", public=True, html=True,
           response=SelfServiceOut, errors=(404, 409, 415, 422))
    def self_service_accept(self, request, enrollment_id, code):
        """The person accepts the seat offered to them."""
        form = page_form(request)
        done = self_service.accept(self.db, self.links, enrollment_id, code)
        return after_action(request, form, "accepted") if form else done

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/decline", public=True, html=True,
           response=SelfServiceOut, errors=(404, 409, 415, 422))
    def self_service_decline(self, request, enrollment_id, code):
        """The person declines the seat offered to them (409 when no offer is open); it passes on."""
        form = page_form(request)
        done = self_service.decline(self.db, self.links, enrollment_id, code)
        return after_action(request, form, "declined") if form else done

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/calendar.ics", public=True,
           errors=(404,), content_types=("text/calendar",))
    def person_calendar(self, request, enrollment_id, code):
        """All the person's enrolments as an iCalendar feed, in their language (subscribe to it)."""
        return calendars.person_calendar(self.db, self.links, enrollment_id, code)

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/certificate.pdf", public=True,
           errors=(404,), content_types=("application/pdf",))
    def person_certificate_pdf(self, request, enrollment_id, code):
        """The person's certificate as PDF (Lithuanian and English, with its verification link and QR
        code); 404 until they have one."""
        return documents.person_certificate_document(self.db, self.links, enrollment_id, code)

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/switch-mode", public=True,
           html=True, response=SelfServiceOut, errors=(404, 409, 415, 422))
    def self_service_switch_mode(self, request, enrollment_id, code):
        """The person takes the attendance mode the session still offers, when theirs was dropped."""
        form = page_form(request)
        done = self_service.switch_mode(self.db, self.links, enrollment_id, code)
        return after_action(request, form, "switched") if form else done

    @route("POST", "/enrollment/enrollments/<uuid:enrollment_id>/switch-mode", roles=STAFF_OR_MUNICIPALITY,
           body=SwitchModeIn, response=EnrollmentOut, errors=(404, 409), scope=ENROLLMENT)
    def switch_mode(self, request, enrollment_id, body: SwitchModeIn, principal):
        """Move a person whose attendance mode the session dropped to the mode it still offers."""
        return enrolment.switch_mode_of(self.db, self.links, enrollment_id, body)

    # ================================================================== attendance and certificates
    @route("PUT", "/enrollment/enrollments/<uuid:enrollment_id>/attendance", roles=STAFF, body=AttendanceIn,
           response=EnrollmentOut, errors=(404, 409))
    def record_attendance(self, request, enrollment_id, body: AttendanceIn, principal):
        """Record (or correct) one person's attendance: attended (with hours) or no-show. After the
        session is completed a correction issues or revokes the certificate accordingly."""
        return attendance.record_attendance(self.db, self.links, enrollment_id, body)

    @route("POST", "/enrollment/sessions/<uuid:session_id>/attendance", roles=STAFF, body=BulkAttendanceIn,
           response=BulkAttendanceOut, errors=(404, 409))
    def record_attendance_bulk(self, request, session_id, body: BulkAttendanceIn, principal):
        """Record the attendance of many participants of a session at once (all or nothing)."""
        return attendance.record_attendance_bulk(self.db, self.links, session_id, body)

    @route("GET", "/enrollment/certificates", roles=STAFF_OR_MUNICIPALITY, query=CertificateQuery,
           response=list[CertificateOut], scope=OWN_STAFF)
    def list_certificates(self, request, query: CertificateQuery, principal, tenant):
        """Certificates by session, municipality or person (municipality tokens: their own staff)."""
        return certificates.list_certificates(self.db, self.links, query, tenant)

    @route("GET", "/enrollment/certificates/verify", public=True, query=VerifyQuery, response=VerificationOut,
           errors=(404,), rate_limit="10/minute", html=True)  # its own bucket, tighter than other public routes
    def verify_certificate(self, request, query: VerifyQuery):
        """Check a certificate without logging in: its number and verification code, as printed
        (a browser gets the printable verification page, public_pages.py)."""
        if wants_html(request):
            return self.certificate_page(request, query)
        return certificates.verify_certificate(self.db, query)

    @route("GET", "/enrollment/certificates/<uuid:certificate_id>/certificate.pdf", roles=STAFF_OR_MUNICIPALITY,
           errors=(404,), content_types=("application/pdf",), scope=CERTIFICATE)
    def certificate_pdf(self, request, certificate_id, principal):
        """The certificate as PDF: Lithuanian and English, number, holder, course, hours, themes, dates,
        the verification link and its QR code (municipality tokens: their own staff's; 404 otherwise)."""
        return documents.certificate_document(self.db, self.links, certificate_id)

    # ================================================================== trainers
    @route("POST", "/enrollment/trainers", roles=STAFF, body=TrainerIn, response=TrainerOut, status=201,
           errors=(409,))
    def register_trainer(self, request, body: TrainerIn, principal):
        """Add a trainer to the register (409 trainer_exists for an e-mail already there)."""
        return 201, trainers.register(self.db, body)

    @route("GET", "/enrollment/trainers", roles=STAFF, query=TrainerQuery, response=list[TrainerOut])
    def list_trainers(self, request, query: TrainerQuery, principal):
        """The trainers, with their sessions held and upcoming and hours taught (paged, searchable)."""
        return trainers.list_trainers(self.db, query)

    @route("GET", "/enrollment/trainers/<uuid:trainer_id>", roles=STAFF, response=TrainerDetailOut, errors=(404,))
    def get_trainer(self, request, trainer_id, principal):
        """One trainer with their sessions, latest first, and hours taught."""
        return trainers.get_trainer(self.db, trainer_id)

    @route("GET", "/enrollment/reports/trainers", roles=STAFF, query=TrainerReportQuery, response=TrainerReportOut,
           content_types=("text/csv",))
    def trainer_report(self, request, query: TrainerReportQuery, principal):
        """Per trainer, for sessions starting in a period: sessions held and cancelled, hours taught,
        participants, attendances, no-shows (format=csv for a spreadsheet)."""
        return trainers.report(self.db, query)

    # ================================================================== working groups (usecases/working_groups.py)
    @route("POST", "/enrollment/working-groups", roles=STAFF, body=WorkingGroupIn, response=WorkingGroupOut,
           status=201)
    def create_working_group(self, request, body: WorkingGroupIn, principal):
        """A standing working group of officials from several municipalities (name and purpose in lt/en)."""
        return 201, working_groups.create_group(self.db, body)

    @route("GET", "/enrollment/working-groups", roles=STAFF_OR_MUNICIPALITY, query=WorkingGroupQuery,
           response=list[WorkingGroupSummaryOut], scope=WORKING_GROUP_NAMES)
    def list_working_groups(self, request, query: WorkingGroupQuery, principal):
        """The groups' public names, purposes and themes, newest first (paged)."""
        return working_groups.list_groups(self.db, query)

    @route("GET", "/enrollment/working-groups/<uuid:group_id>", roles=STAFF_OR_MUNICIPALITY,
           response=WorkingGroupOut, errors=(404,), scope=WORKING_GROUP)
    def get_working_group(self, request, group_id, principal):
        """A group with its members, meetings (agenda, attendance, minutes) and proposals."""
        return working_groups.get_group(self.db, group_id)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/members", roles=STAFF, body=MemberIn,
           response=MemberOut, status=201, errors=(404, 409))
    def add_working_group_member(self, request, group_id, body: MemberIn, principal):
        """A person joins the group (409 member_exists if they sit in it; one chair: 422 naming role)."""
        return 201, working_groups.add_member(self.db, group_id, body)

    @route("PATCH", "/enrollment/working-groups/<uuid:group_id>/members/<uuid:member_id>", roles=STAFF,
           body=MemberChange, response=MemberOut, errors=(404, 409))
    def change_working_group_member(self, request, group_id, member_id, body: MemberChange, principal):
        """Make a member the chair (or the chair a member), or record the day they left."""
        return working_groups.change_member(self.db, group_id, member_id, body)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/meetings", roles=STAFF, body=MeetingIn,
           response=MeetingOut, status=201, errors=(404,))
    def schedule_working_group_meeting(self, request, group_id, body: MeetingIn, principal):
        """A meeting with its agenda; each current member is told in their language, with a calendar link
        (enrollment.working_group_meeting_scheduled)."""
        return 201, working_groups.schedule_meeting(self.db, self.links, group_id, body)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/cancel", roles=STAFF,
           body=CancelMeetingIn, response=MeetingOut, errors=(404, 409))
    def cancel_working_group_meeting(self, request, group_id, meeting_id, body: CancelMeetingIn, principal):
        """Cancel a meeting before it starts; its members are told (enrollment.working_group_meeting_cancelled)."""
        return working_groups.cancel_meeting(self.db, self.links, group_id, meeting_id, body)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/attendance",
           roles=STAFF, body=MeetingAttendanceIn, response=MeetingOut, errors=(404, 409))
    def record_working_group_attendance(self, request, group_id, meeting_id, body: MeetingAttendanceIn, principal):
        """Who was present, after the meeting (409 meeting_not_held before); members only."""
        return working_groups.record_attendance(self.db, group_id, meeting_id, body)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/minutes",
           roles=STAFF, body=MinutesIn, response=MeetingOut, errors=(404, 409))
    def publish_working_group_minutes(self, request, group_id, meeting_id, body: MinutesIn, principal):
        """The minutes, once, after the meeting; each current member is told with the text
        (enrollment.working_group_minutes_published)."""
        return working_groups.publish_minutes(self.db, group_id, meeting_id, body)

    @route("GET", "/enrollment/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/members/"
                  "<uuid:member_id>/<string:code>/calendar.ics", public=True, errors=(404,),
           content_types=("text/calendar",))
    def working_group_meeting_calendar(self, request, group_id, meeting_id, member_id, code):
        """The meeting as an .ics file, through the member's own link from their e-mail."""
        return working_groups.member_calendar(self.db, self.links, group_id, meeting_id, member_id, code)

    @route("POST", "/enrollment/working-groups/<uuid:group_id>/proposals", roles=STAFF, body=ProposalIn,
           response=ProposalOut, status=201, errors=(404,))
    def adopt_working_group_proposal(self, request, group_id, body: ProposalIn, principal):
        """A proposal the group adopted (enrollment.working_group_proposal_adopted)."""
        return 201, working_groups.adopt_proposal(self.db, group_id, body)

    @route("GET", "/enrollment/reports/working-groups", roles=STAFF, response=WorkingGroupReportOut)
    def working_group_report(self, request, principal):
        """Per group: members, municipalities, meetings held and upcoming, attendance rate, proposals;
        per municipality: seats, meetings attended by its people, attendance rate."""
        return working_groups.report(self.db)

    # ================================================================== feedback after a session (usecases/feedback.py)
    @route("GET", "/enrollment/courses/<uuid:course_id>/feedback-questions", roles=STAFF,
           response=FeedbackQuestionsOut, errors=(404,))
    def course_feedback_questions(self, request, course_id, principal):
        """The questions the course's sessions ask after completion (the default set when it sets none)."""
        return feedback.questions_of(self.db, course_id)

    @route("PUT", "/enrollment/courses/<uuid:course_id>/feedback-questions", roles=STAFF, body=FeedbackQuestionsIn,
           response=FeedbackQuestionsOut, errors=(404,))
    def set_course_feedback_questions(self, request, course_id, body: FeedbackQuestionsIn, principal):
        """Set the course's feedback questions (1-10: rating 1-5 or free text, in lt and en; null: the
        default set), how many days a form stays open, or no form (enabled=false). Forms already open
        keep their questions."""
        return feedback.set_questions(self.db, course_id, body)

    @route("GET", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/feedback", public=True, html=True,
           response=FeedbackFormOut, errors=(404, 422))
    def feedback_form(self, request, enrollment_id, code):
        """The attendee's feedback form, through the link in their invitation (for a browser, the page in
        their language: `?lang=lt|en`)."""
        if wants_html(request):
            return feedback_page(request, feedback.page(self.db, self.links, enrollment_id, code))
        return feedback.view(self.db, self.links, enrollment_id, code)

    @route("POST", "/enrollment/self-service/<uuid:enrollment_id>/<string:code>/feedback", public=True, html=True,
           response=FeedbackAnsweredOut, status=201, errors=(404, 409, 415, 422),
           raw_body={"application/x-www-form-urlencoded": FEEDBACK_FORM_SCHEMA,
                     "application/json": FeedbackAnswerIn.model_json_schema()})
    def answer_feedback(self, request, enrollment_id, code):
        """Answer the form, once (a second answer is 409 feedback_answered; after its date 409
        feedback_closed): the page's form, or JSON {answers: {key: 1-5 or text}, lang}. The answers are
        kept apart from the person."""
        raw = read_body(request, FEEDBACK_BODY_BYTES)
        if wants_html(request):
            return feedback_answer_page(request, feedback.answer_on_page(
                self.db, self.links, enrollment_id, code, request.headers.get("Content-Type", ""), raw))
        return 201, feedback.answer(self.db, self.links, enrollment_id, code, request.headers.get("Content-Type", ""),
                                    raw)

    @route("GET", "/enrollment/reports/feedback/sessions/<uuid:session_id>", roles=STAFF_OR_MUNICIPALITY,
           query=SessionReportQuery, response=FeedbackReportOut, errors=(404,), scope=SESSION_FEEDBACK)
    def session_feedback_report(self, request, session_id, query: SessionReportQuery, principal):
        """A session's feedback: invited, answers, and (from the anonymity threshold up) averages,
        distributions and comments per question. Municipality tokens: sessions their people attended."""
        return feedback.session_report(self.db, session_id, query, threshold=self.settings.feedback_min_answers)

    @route("GET", "/enrollment/reports/feedback/courses/<uuid:course_id>", roles=STAFF_OR_MUNICIPALITY,
           query=FeedbackReportQuery, response=FeedbackReportOut, errors=(404,), scope=OWN_STAFF)
    def course_feedback_report(self, request, course_id, query: FeedbackReportQuery, principal, tenant):
        """A course's feedback over its sessions in a period (only sessions reaching the threshold on
        their own are added up). Municipality tokens: the sessions their people attended."""
        return feedback.course_report(self.db, course_id, query, tenant, threshold=self.settings.feedback_min_answers)

    @route("GET", "/enrollment/reports/feedback/trainers/<uuid:trainer_id>", roles=STAFF,
           query=FeedbackReportQuery, response=FeedbackReportOut, errors=(404,))
    def trainer_feedback_report(self, request, trainer_id, query: FeedbackReportQuery, principal):
        """A trainer's feedback over the sessions they taught in a period (staff: the register is the centre's)."""
        return feedback.trainer_report(self.db, trainer_id, query, query.municipality_code,
                                       threshold=self.settings.feedback_min_answers)

    @route("GET", "/enrollment/reports/feedback/themes/<string:theme>", roles=STAFF_OR_MUNICIPALITY,
           query=FeedbackReportQuery, response=FeedbackReportOut, errors=(404,), scope=OWN_STAFF)
    def theme_feedback_report(self, request, theme, query: FeedbackReportQuery, principal, tenant):
        """Feedback over the sessions of courses on a theme in a period. Municipality tokens: the sessions
        their people attended."""
        return feedback.theme_report(self.db, theme, query, tenant, threshold=self.settings.feedback_min_answers)

    # ================================================================== fees: invoices (usecases/invoices.py)
    @route("POST", "/enrollment/sessions/<uuid:session_id>/invoices", roles=STAFF, body=IssueInvoicesIn,
           response=list[InvoiceOut], status=201, errors=(404, 409))
    def issue_invoices(self, request, session_id, body: IssueInvoicesIn, principal):
        """Invoice a session's fees: one invoice per municipality with confirmed participants that has
        none yet (numbered SAV-SF-<year>-<serial>, gap-free), each municipality told
        (enrollment.invoice_issued). 201 when one was issued, 200 when all existed; answers all the
        session's invoices. A free or cancelled session is 409."""
        return invoices.issue(self.db, self.links, session_id, body, principal)

    @route("GET", "/enrollment/invoices", roles=STAFF_OR_MUNICIPALITY, query=InvoiceQuery,
           response=list[InvoiceOut], scope=OWN_STAFF)
    def list_invoices(self, request, query: InvoiceQuery, principal, tenant):
        """Invoices, newest first (paged), by session, municipality or status (municipality tokens:
        their own)."""
        return invoices.list_invoices(self.db, query, tenant)

    @route("GET", "/enrollment/invoices/<uuid:invoice_id>", roles=STAFF_OR_MUNICIPALITY,
           response=InvoiceDetailOut, errors=(404,), scope=INVOICE)
    def get_invoice(self, request, invoice_id, principal):
        """One invoice with its lines (the current version's participants) and every version."""
        return invoices.get_invoice(self.db, invoice_id)

    @route("GET", "/enrollment/invoices/<uuid:invoice_id>/invoice.pdf", roles=STAFF_OR_MUNICIPALITY,
           query=InvoiceDocumentQuery, errors=(404,), content_types=("application/pdf",), scope=INVOICE)
    def invoice_pdf(self, request, invoice_id, query: InvoiceDocumentQuery, principal):
        """The invoice as PDF (Lithuanian and English), its current version or ?version=N."""
        return invoices.invoice_pdf(self.db, invoice_id, query)

    @route("GET", "/enrollment/invoices/<uuid:invoice_id>/invoice.csv", roles=STAFF_OR_MUNICIPALITY,
           query=InvoiceDocumentQuery, errors=(404,), content_types=("text/csv",), scope=INVOICE)
    def invoice_csv(self, request, invoice_id, query: InvoiceDocumentQuery, principal):
        """The invoice's lines as CSV (one per participant, then the total), current version or ?version=N."""
        return invoices.invoice_csv(self.db, invoice_id, query)

    @route("GET", "/enrollment/invoices/<uuid:invoice_id>/<string:code>/invoice.pdf", public=True, errors=(404,),
           content_types=("application/pdf",))
    def signed_invoice_pdf(self, request, invoice_id, code):
        """The invoice as PDF through the signed link its e-mail carries (a wrong code is 404)."""
        return invoices.signed_invoice_pdf(self.db, self.links, invoice_id, code)

    @route("POST", "/enrollment/invoices/<uuid:invoice_id>/pay", roles=STAFF, body=PayInvoiceIn,
           response=InvoiceOut, errors=(404, 409))
    def pay_invoice(self, request, invoice_id, body: PayInvoiceIn, principal):
        """Record the payment (final: a paid invoice is never changed); 409 invoice_paid, invoice_waived,
        or invoice_revised when `version` is not the current one."""
        return invoices.pay(self.db, self.links, invoice_id, body, principal)

    @route("POST", "/enrollment/invoices/<uuid:invoice_id>/waive", roles=STAFF, body=WaiveInvoiceIn,
           response=InvoiceOut, errors=(404, 409))
    def waive_invoice(self, request, invoice_id, body: WaiveInvoiceIn, principal):
        """Waive an issued invoice with the reason (final); 409 invoice_paid or invoice_waived."""
        return invoices.waive(self.db, self.links, invoice_id, body, principal)

    # ================================================================== hours ledger and reports
    @route("GET", "/enrollment/hours", roles=STAFF_OR_MUNICIPALITY, query=HoursQuery, response=list[HoursLineOut],
           content_types=("text/csv",), scope=OWN_STAFF)
    def training_hours(self, request, query: HoursQuery, principal, tenant):
        """Training hours per person, year and (primary) theme, from recorded attendance; format=csv
        gives the file for the municipality's HR. Municipality tokens see their own staff."""
        return reports.training_hours(self.db, query, tenant)

    @route("GET", "/enrollment/reports/summary", roles=STAFF_OR_MUNICIPALITY, query=ReportQuery, response=ReportOut,
           content_types=("text/csv",), scope=OWN_STAFF)
    def report(self, request, query: ReportQuery, principal, tenant):
        """Sessions held, participants trained, attendances, no-shows, hours, certificates and fees
        per municipality, region, theme, month or year, for a period (as reported to funders);
        format=csv for a spreadsheet. Municipality tokens get their own municipality's figures."""
        return reports.summary(self.db, query, tenant)

    # ================================================================== programmes of funded projects
    @route("GET", "/enrollment/funded-projects", roles=ANYONE, response=list[FundedProjectOut], scope=PROGRAMMES)
    def funded_projects(self, request, principal):
        """The funded projects the grants service announced (grants.funded_project_recorded)."""
        return programmes.list_funded_projects(self.db)

    @route("POST", "/enrollment/programmes", roles=STAFF, body=ProgrammeIn, response=ProgrammeOut, status=201,
           errors=(409,))
    def create_programme(self, request, body: ProgrammeIn, principal):
        """A training programme under a funded project (by its number); publishes enrollment.programme_created.
        Sessions join it with programme_id when scheduled."""
        return 201, programmes.create_programme(self.db, body)

    @route("GET", "/enrollment/programmes", roles=ANYONE, query=ProgrammeQuery, response=list[ProgrammeOut],
           scope=PROGRAMMES)
    def list_programmes(self, request, query: ProgrammeQuery, principal):
        """Programmes with their courses, sessions and recorded history, optionally of one project."""
        return programmes.list_programmes(self.db, query)

    @route("GET", "/enrollment/programmes/<uuid:programme_id>", roles=ANYONE, response=ProgrammeOut, errors=(404,),
           scope=PROGRAMMES)
    def get_programme(self, request, programme_id, principal):
        """One programme."""
        return programmes.get_programme(self.db, programme_id)

    @route("POST", "/enrollment/programmes/<uuid:programme_id>/courses", roles=STAFF, body=ProgrammeCourseIn,
           response=ProgrammeOut, errors=(404,))
    def add_programme_course(self, request, programme_id, body: ProgrammeCourseIn, principal):
        """Put a catalogue course in the programme (once)."""
        return programmes.add_course(self.db, programme_id, body)

    @route("POST", "/enrollment/programmes/<uuid:programme_id>/history", roles=STAFF, body=HistoryIn,
           response=HistoryOut, status=201, errors=(404,))
    def record_programme_history(self, request, programme_id, body: HistoryIn, principal):
        """Training the programme held before or outside this system, as the project reported it."""
        return 201, programmes.record_history(self.db, programme_id, body)

    @route("GET", "/enrollment/reports/projects/<string:project_number>", roles=STAFF_OR_MUNICIPALITY,
           query=ProjectReportQuery, response=ProjectReportOut, errors=(404,), content_types=("text/csv",),
           scope=PROGRAMMES)
    def project_report(self, request, project_number, query: ProjectReportQuery, principal):
        """The project's training as its promoter reports it to the funder: events and participants, in
        Lithuania and abroad, per programme (recorded history plus sessions held); format=csv."""
        return programmes.project_training_report(self.db, project_number, query)

    @subscribe("grants.funded_project_recorded")
    def on_funded_project_recorded(self, event: FundedProjectRecorded, envelope: Envelope):
        """Keep the funded project's reference (number, promoter, funder) that programmes hang under."""
        programmes.record_funded_project(self.db, event)

    # ================================================================== learning done elsewhere
    @route("GET", "/enrollment/learning-completions", roles=STAFF_OR_MUNICIPALITY, query=CompletionQuery,
           response=list[LearningCompletionOut], scope=OWN_STAFF)
    def learning_completions(self, request, query: CompletionQuery, principal, tenant):
        """Courses completed in external learning systems (learning.course_completed), newest first,
        with their certificate if one was issued. Municipality tokens see their own staff."""
        return learning.list_completions(self.db, self.links, query, tenant)

    @subscribe("learning.course_completed")
    def on_course_completed(self, event: CourseCompleted, envelope: Envelope):
        """Count a course completed in an external learning system in the person's hours (a repeat
        of the same source and external id changes nothing); certificate per the catalogue course."""
        learning.record_completion(self.db, self.links, event, envelope)

    # ================================================================== training needs
    @route("POST", "/enrollment/training-needs", roles=STAFF_OR_MUNICIPALITY, body=TrainingNeedIn,
           response=TrainingNeedOut, status=201, scope=Tenancy.body("municipality_code"))
    def propose_training_need(self, request, body: TrainingNeedIn, principal):
        """A municipality proposes a training topic (theme, region, description)."""
        return 201, training_needs.propose(self.db, body, principal)

    @route("GET", "/enrollment/training-needs", roles=ANYONE, query=TrainingNeedQuery,
           response=list[TrainingNeedOut], scope=NEEDS)
    def list_training_needs(self, request, query: TrainingNeedQuery, principal):
        """Proposed topics with the municipalities supporting them."""
        return training_needs.list_needs(self.db, query)

    @route("POST", "/enrollment/training-needs/<uuid:need_id>/support", roles=STAFF_OR_MUNICIPALITY, body=SupportIn,
           response=TrainingNeedOut, errors=(404, 409), scope=Tenancy.body("municipality_code"))
    def support_training_need(self, request, need_id, body: SupportIn, principal):
        """Another municipality supports a proposal (once each; supporting again changes nothing)."""
        return training_needs.support(self.db, need_id, body, principal)

    @route("DELETE", "/enrollment/training-needs/<uuid:need_id>/support/<string:municipality_code>",
           roles=STAFF_OR_MUNICIPALITY, response=TrainingNeedOut, errors=(404,), scope=Tenancy.path("municipality_code"))
    def withdraw_support(self, request, need_id, municipality_code, principal):
        """A municipality withdraws its support."""
        return training_needs.withdraw_support(self.db, need_id, municipality_code)

    @route("PUT", "/enrollment/training-needs/<uuid:need_id>/status", roles=STAFF, body=TrainingNeedStatusIn,
           response=TrainingNeedOut, errors=(404,))
    def set_training_need_status(self, request, need_id, body: TrainingNeedStatusIn, principal):
        """Staff mark a proposal planned (a session is coming) or closed; the demand report counts open ones."""
        return training_needs.set_status(self.db, need_id, body)

    @route("GET", "/enrollment/training-needs/demand", roles=ANYONE, query=DemandQuery, response=DemandOut,
           scope=NEEDS)
    def training_demand(self, request, query: DemandQuery, principal):
        """Themes ranked per region by how many municipalities want them (open proposals and their
        supporters), next to the sessions already planned there — where to schedule next."""
        return training_needs.demand(self.db, query)

    # ================================================================== timers and events
    @timer
    def run_timers(self):
        """Quota releases and expired offers, reminders, certificate expiry notices (each safe with
        several replicas; see usecases/housekeeping.py)."""
        housekeeping.run_all(self.db, self.links)

    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase or pseudonymise everything this service holds about the person."""
        erasure.erase(self.db, self.links, event)


def idempotency_key(request) -> str | None:
    """The request's Idempotency-Key header, if any (1-200 printable characters, else 422)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise Problem(422, "Invalid request", f"{IDEMPOTENCY_HEADER} must be 1-200 printable characters",
                      code="validation", errors=[{"field": IDEMPOTENCY_HEADER, "location": "header",
                                                  "message": "1-200 printable characters"}])
    return key
