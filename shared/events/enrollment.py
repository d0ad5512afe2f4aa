"""Events published by the enrollment service (exchange `enrollment.events`).

Every event about one person carries what the notifications service needs to tell them without
calling back: the participant (name, e-mail, municipality, language), the course title in both
languages, the dates, the venue or link, and the person's self-service and calendar links.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import ConfigDict, Field

from shared.events.registry import EventData, event
from shared.events.privacy import PersonErased
from shared.events.types import Contact, LocalizedText, Person
from shared.model import Model

MANAGE_URL = "the person's self-service page: status, waitlist position, accept an offer, leave"
CALENDAR_URL = "the person's enrolments as an iCalendar (.ics) feed"


class ParticipantEvent(EventData):
    """Shape shared by the events about one person's enrolment in a session."""

    enrollment_id: UUID
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    region: str | None = Field(default=None, description="County code; null for online sessions")
    venue: str | None = None
    online_url: str | None = None
    attendance_mode: str = Field(description="in_person or online (hybrid sessions have both)")
    participant: Person
    manage_url: str | None = Field(default=None, description=MANAGE_URL)
    calendar_url: str | None = Field(default=None, description=CALENDAR_URL)


# ---------------------------------------------------------------- sessions

@event("enrollment.session_scheduled", summary="A training session was scheduled and opens for enrolment.")
class SessionScheduled(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    themes: list[str]
    starts_at: datetime
    ends_at: datetime
    region: str | None = Field(description="County code (shared.reference.REGIONS); null for online sessions")
    venue: str | None = None
    online_url: str | None = None
    capacity: int
    fee_eur: Decimal
    registration_opens_at: datetime
    registration_closes_at: datetime
    format: str | None = Field(default=None, description="in_person, online or hybrid")
    audience: list[str] = Field(default_factory=list, description="officials, council_members")
    duration_hours: Decimal | None = None
    online_capacity: int | None = Field(default=None, description="online seats of a hybrid session")
    min_participants: int = 0
    quota_per_municipality: int | None = Field(default=None, description="most seats one municipality may hold")
    quota_release_at: datetime | None = Field(default=None, description="when the quota stops applying")
    calendar_url: str | None = Field(default=None, description="the session as an iCalendar (.ics) file")
    country: str = Field(default="LT", description="LT, or the country of a session held abroad (ISO 3166-1)")
    city: str | None = Field(default=None, description="the city of a session held abroad")
    kind: str = Field(default="training", description="training or conference")
    programme_id: UUID | None = Field(default=None, description="the training programme of a funded project")


@event("enrollment.session_updated", summary="Staff changed a session's seats, quota, offers or registration window.")
class SessionUpdated(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    changed: list[str] = Field(description="names of the fields that changed")
    capacity: int
    online_capacity: int | None = None
    min_participants: int
    quota_per_municipality: int | None = None
    quota_release_at: datetime | None = None
    offer_hours: int | None = None
    registration_opens_at: datetime
    registration_closes_at: datetime
    ends_at: datetime | None = None
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    trainer: str | None = None
    calendar_sequence: int = Field(default=0, description="the calendar entries' SEQUENCE now")


class SessionPlace(Model):
    """When, where and by whom a session is held (before a change)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    starts_at: datetime
    ends_at: datetime
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    trainer: str | None = None


@event("enrollment.session_changed",
       summary="A session's date, time, venue, online link or trainer changed: one event per person enrolled "
               "(seat, offer or waitlist place), with the new calendar entry and, if their attendance mode is no "
               "longer offered, the other mode or a free leave.")
class SessionChanged(ParticipantEvent):
    enrollment_status: str = Field(description="confirmed, offered or waitlisted")
    changed: list[str] = Field(description="starts_at, ends_at, region, venue, online_url, trainer")
    previous: SessionPlace
    trainer: str | None = None
    fee_eur: Decimal
    calendar_sequence: int = Field(description="SEQUENCE of the updated calendar entry (same UID)")
    mode_available: bool = Field(description="false: the session no longer offers the person's attendance_mode")
    alternative_mode: str | None = Field(
        default=None, description="the mode the person may switch to (through manage_url) when theirs is gone")


@event("enrollment.session_below_minimum",
       summary="At its go/no-go date a session has fewer confirmed participants than its minimum: its "
               "coordinator confirms or cancels it, or (auto_cancelled) it was cancelled and everyone told.")
class SessionBelowMinimum(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    go_no_go_at: datetime
    confirmed: int = Field(description="confirmed participants at the go/no-go date")
    min_participants: int
    waitlisted: int = 0
    outcome: str = Field(description="awaiting_decision (confirm: POST confirm_url, or cancel: POST cancel_url) "
                                     "or auto_cancelled")
    coordinator: Contact | None = Field(default=None, description="the session's coordinator, who is told")
    session_url: str = Field(description="the session in the API")
    confirm_url: str | None = None
    cancel_url: str | None = None


@event("enrollment.session_go_confirmed",
       summary="The coordinator confirmed that a session below its minimum at the go/no-go date takes place.")
class SessionGoConfirmed(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    confirmed: int
    min_participants: int


@event("enrollment.trainer_session_notice",
       summary="A trainer is told of a session they teach: assigned, changed (date, time, place, link), "
               "unassigned or cancelled.")
class TrainerSessionNotice(EventData):
    trainer_id: UUID
    trainer: Contact = Field(description="the trainer told")
    notice: str = Field(description="assigned, changed, unassigned or cancelled")
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    changed: list[str] = Field(default_factory=list, description="for changed: the fields that changed")
    previous: SessionPlace | None = Field(default=None, description="for changed: the date, place and link before")
    reason: str | None = Field(default=None, description="for cancelled: why")
    confirmed: int = Field(default=0, description="confirmed participants now")
    calendar_url: str | None = Field(default=None, description="the session as an iCalendar (.ics) file")
    calendar_sequence: int = 0


@event("enrollment.course_updated", summary="A course of the catalogue was edited or retired.")
class CourseUpdated(EventData):
    course_id: UUID
    course_title: LocalizedText
    themes: list[str]
    audience: list[str]
    duration_hours: Decimal
    format: str
    changed: list[str] = Field(description="names of the fields that changed; 'retired' when it was retired")
    retired_at: datetime | None = Field(default=None, description="set: the course takes no new sessions")


@event("enrollment.session_cancelled",
       summary="A session was cancelled; every enrolment in it is cancelled (one enrollment_cancelled each).")
class SessionCancelled(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    reason: str
    enrollments_cancelled: int


@event("enrollment.session_completed", summary="A session took place; attendance is final and certificates issued.")
class SessionCompleted(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    themes: list[str]
    region: str | None = None
    starts_at: datetime
    ends_at: datetime
    attended: int
    no_shows: int
    certificates_issued: int


@event("enrollment.quota_released",
       summary="A session's per-municipality quota stopped applying; waitlisted people were promoted in order.")
class QuotaReleased(EventData):
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    quota_per_municipality: int
    promoted: int


@event("enrollment.session_reminder_due", summary="A confirmed participant's session starts soon.")
class SessionReminderDue(ParticipantEvent):
    fee_eur: Decimal
    hours_before: int = Field(description="how long before the start the reminder is due")


# ---------------------------------------------------------------- enrolments and the waitlist

@event("enrollment.enrollment_confirmed", summary="A participant holds a confirmed seat in a session.")
class EnrollmentConfirmed(EventData):
    enrollment_id: UUID
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    venue: str | None = None
    online_url: str | None = None
    fee_eur: Decimal
    participant: Person
    region: str | None = None
    attendance_mode: str | None = Field(default=None, description="in_person or online")
    manage_url: str | None = Field(default=None, description=MANAGE_URL)
    calendar_url: str | None = Field(default=None, description=CALENDAR_URL)


@event("enrollment.enrollment_waitlisted", summary="A session is full; the participant is on its waitlist.")
class EnrollmentWaitlisted(EventData):
    enrollment_id: UUID
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    position: int = Field(ge=1, description="1 = next in line")
    participant: Person
    ends_at: datetime | None = None
    region: str | None = None
    venue: str | None = None
    online_url: str | None = None
    attendance_mode: str | None = Field(default=None, description="in_person or online")
    waiting_for: str | None = Field(
        default=None, description="seat (the session is full) or municipality_quota (the municipality has its share)")
    manage_url: str | None = Field(default=None, description=MANAGE_URL)
    calendar_url: str | None = Field(default=None, description=CALENDAR_URL)


@event("enrollment.enrollment_promoted", summary="A waitlisted participant got a seat.")
class EnrollmentPromoted(ParticipantEvent):
    fee_eur: Decimal
    cause: str = Field(description="seat_freed, capacity_raised or quota_released")


@event("enrollment.waitlist_offer_made",
       summary="A freed seat is held for a waitlisted participant until the offer expires.")
class WaitlistOfferMade(ParticipantEvent):
    fee_eur: Decimal
    expires_at: datetime = Field(description="accept before this (through manage_url) or the seat passes on")


@event("enrollment.waitlist_offer_expired",
       summary="A participant did not accept an offered seat in time; the seat passed to the next person.")
class WaitlistOfferExpired(ParticipantEvent):
    expired_at: datetime


@event("enrollment.enrollment_cancelled", summary="An enrolment (a seat, an offer or a waitlist place) was cancelled.")
class EnrollmentCancelled(ParticipantEvent):
    reason: str = Field(description="by_participant, by_coordinator, offer_declined, session_cancelled or session_held")
    previous_status: str = Field(description="confirmed, offered or waitlisted")
    detail: str | None = Field(default=None, description="e.g. why the session was cancelled")


# ---------------------------------------------------------------- attendance and certificates

@event("enrollment.attendance_recorded", summary="A participant's attendance (attended or no-show) was recorded.")
class AttendanceRecorded(ParticipantEvent):
    attendance: str = Field(description="attended or no_show")
    hours: Decimal = Field(description="hours attended (0 for a no-show)")


class CertificateEvent(ParticipantEvent):
    certificate_id: UUID
    number: str = Field(description="unique certificate number, e.g. SAV-2026-00042")
    verify_url: str = Field(description="public page that checks the certificate with its verification code")


@event("enrollment.certificate_issued", summary="A participant who completed a course got a certificate.")
class CertificateIssued(CertificateEvent):
    verification_code: str
    hours: Decimal
    issued_at: datetime
    valid_until: datetime | None = Field(default=None, description="null: does not expire")


@event("enrollment.certificate_revoked", summary="A certificate was withdrawn after attendance was corrected.")
class CertificateRevoked(CertificateEvent):
    revoked_at: datetime


@event("enrollment.certificate_expiring", summary="A certificate's validity ends soon.")
class CertificateExpiring(CertificateEvent):
    valid_until: datetime
    days_left: int


@event("enrollment.feedback_requested",
       summary="A session was completed: an attendee is asked to answer its short evaluation form (once, "
               "until closes_at), in their language.")
class FeedbackRequested(ParticipantEvent):
    feedback_url: str = Field(description="the person's own feedback form (a page in their language; answered once)")
    closes_at: datetime = Field(description="the form takes answers until then")
    questions: int = Field(ge=1, description="how many questions the form asks")


# ---------------------------------------------------------------- programmes of funded projects

@event("enrollment.programme_created",
       summary="A training programme was set up under a funded project (grants' project reference); its sessions "
               "and recorded history make the project's training report.")
class ProgrammeCreated(EventData):
    programme_id: UUID
    project_id: UUID
    project_number: str
    code: str
    title: LocalizedText


# ---------------------------------------------------------------- learning done elsewhere

@event("enrollment.learning_recorded",
       summary="A course completed in an external learning system was counted in the person's training hours "
               "(with a certificate when the catalogue course's rule was met).")
class LearningRecorded(EventData):
    completion_id: UUID
    learning_system: str = Field(description="the `source` of the learning.course_completed event")
    course_title: LocalizedText
    course_id: UUID | None = Field(default=None, description="the catalogue course it corresponds to, if any")
    themes: list[str]
    hours: Decimal
    completed_at: datetime
    participant: Person
    certificate_id: UUID | None = Field(default=None, description="null: no certificate (no catalogue course, or "
                                                                   "too few hours for its completion rule)")
    number: str | None = None
    verification_code: str | None = None
    verify_url: str | None = None
    valid_until: datetime | None = None


# ---------------------------------------------------------------- training needs

@event("enrollment.training_need_submitted", summary="A municipality proposed a training topic.")
class TrainingNeedSubmitted(EventData):
    need_id: UUID
    theme: str
    region: str
    description: str
    municipality_code: str
    audience: str | None = None


@event("enrollment.training_need_supported", summary="A municipality supported another's training proposal.")
class TrainingNeedSupported(EventData):
    need_id: UUID
    theme: str
    region: str
    municipality_code: str = Field(description="the supporting municipality")
    supporters: int = Field(description="municipalities behind the proposal now, the proposer included")


# ---------------------------------------------------------------- working groups

class WorkingGroupMemberEvent(EventData):
    """Shape shared by the events told to one member of a working group."""

    group_id: UUID
    group_name: LocalizedText
    member_id: UUID
    member: Person = Field(description="the member told (municipality, language)")
    role: str = Field(description="member or chair")
    meeting_id: UUID
    starts_at: datetime
    ends_at: datetime
    venue: str | None = None
    online_url: str | None = None


@event("enrollment.working_group_meeting_scheduled",
       summary="A working group's meeting was scheduled: one event per current member, with the agenda and "
               "the member's calendar (.ics) link.")
class WorkingGroupMeetingScheduled(WorkingGroupMemberEvent):
    agenda: list[str] = Field(default_factory=list, description="the agenda items, in order")
    calendar_url: str | None = Field(default=None, description="the meeting as an iCalendar (.ics) file, "
                                                               "through the member's own link")


@event("enrollment.working_group_meeting_cancelled",
       summary="A working group's meeting was cancelled before it started: one event per member told of it, "
               "with the reason and the calendar link (the entry now says CANCELLED).")
class WorkingGroupMeetingCancelled(WorkingGroupMemberEvent):
    reason: str | None = None
    calendar_url: str | None = Field(default=None, description="the meeting's calendar entry, now cancelled")


@event("enrollment.working_group_minutes_published",
       summary="The minutes of a working group's meeting were published after the meeting: one event per "
               "current member, with the minutes' text.")
class WorkingGroupMinutesPublished(WorkingGroupMemberEvent):
    minutes: str = Field(description="the minutes' text")
    present: bool | None = Field(default=None, description="whether the member was recorded present")
    proposals: list[LocalizedText] = Field(default_factory=list,
                                           description="titles of the proposals adopted at the meeting")


@event("enrollment.working_group_proposal_adopted",
       summary="A working group adopted a proposal (e.g. an amendment to a law); no personal data.")
class WorkingGroupProposalAdopted(EventData):
    group_id: UUID
    group_name: LocalizedText
    proposal_id: UUID
    title: LocalizedText
    adopted_on: date
    status: str
    municipalities: list[str] = Field(description="codes of the municipalities whose people sit in the group")


# ---------------------------------------------------------------- invoices (fees)

class InvoiceEvent(EventData):
    """Shape shared by the events about one invoice of a session's fees to a municipality. No
    participant is named: the invoice's lines are in its PDF and CSV."""

    invoice_id: UUID
    number: str = Field(description="SAV-SF-<year>-<serial>, gap-free")
    version: int = Field(description="1 when issued; raised by each recalculation before the cut-off")
    session_id: UUID
    course_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    municipality_code: str = Field(description="the municipality invoiced (its training coordinator and finance "
                                               "officer are told)")
    participants: int
    unit_price_eur: Decimal
    amount_eur: Decimal
    currency: str = "EUR"
    status: str = Field(description="issued, paid or waived")
    due_on: date
    invoice_cutoff_at: datetime = Field(description="until then cancellations and late enrolments recalculate it")
    pdf_url: str = Field(description="the invoice as PDF, through a signed link (no token needed)")


@event("enrollment.invoice_issued",
       summary="A session's fees were invoiced to a municipality for its confirmed participants: one invoice "
               "per session and municipality, with its number, amount, due day and the link to its PDF.")
class InvoiceIssued(InvoiceEvent):
    pass


@event("enrollment.invoice_revised",
       summary="A municipality's issued invoice was recalculated before the session's invoicing cut-off (a "
               "cancellation or a late enrolment): a new version with the new amount; earlier versions stay.")
class InvoiceRevised(InvoiceEvent):
    previous_participants: int
    previous_amount_eur: Decimal


@event("enrollment.invoice_paid",
       summary="Staff recorded an invoice as paid (final: a paid invoice is never changed).")
class InvoicePaid(InvoiceEvent):
    paid_on: date
    paid_amount_eur: Decimal
    payment_reference: str | None = None


@event("enrollment.invoice_waived",
       summary="Staff waived an invoice (it is not charged), with the reason.")
class InvoiceWaived(InvoiceEvent):
    reason: str


# ---------------------------------------------------------------- privacy

@event("enrollment.person_erased",
       summary="Enrollment erased or pseudonymised a person's data on request (counts only, no personal data).")
class EnrollmentPersonErased(PersonErased):
    pass
