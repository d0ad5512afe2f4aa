"""Which events concern whom: for each event type, the template, its category, whether it is
critical, and the audiences to resolve to recipients.

An event type missing here is counted (`savivalda_notifications_untold_events_total`) and
logged by the handler, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Audience:
    """`person`/`contact`: the Person or Contact in the event's attribute; `role`: whoever holds
    the role in the municipality named by the event's `municipality_code` (or by the event's
    `attribute` when given, e.g. a joint application's partner municipality); `call_subscribers`:
    the subscribers whose call-alert interests the call matches."""

    kind: str
    attribute: str | None = None
    role: str | None = None


def person(attribute: str) -> Audience:
    return Audience("person", attribute)


def contact(attribute: str) -> Audience:
    return Audience("contact", attribute)


def role(name: str, municipality_attribute: str | None = None) -> Audience:
    return Audience("role", municipality_attribute, role=name)


CALL_SUBSCRIBERS = Audience("call_subscribers")


@dataclass(frozen=True)
class Teller:
    template: str
    category: str
    audiences: tuple[Audience, ...]
    critical: bool = False


PARTICIPANT = (person("participant"),)
APPLICATION = (contact("contact"), contact("consultant"))
COORDINATOR = role("eu_projects_coordinator")
INVOICE_AUDIENCE = (role("training_coordinator"), role("finance_officer"))
# A joint application's partner municipality: its EU-projects coordinator hears of its part.
PARTNER_COORDINATOR = role("eu_projects_coordinator", "partner_municipality_code")

TELLERS: dict[str, Teller] = {
    "enrollment.enrollment_confirmed": Teller("enrollment_confirmed", "training", PARTICIPANT),
    "enrollment.enrollment_waitlisted": Teller("enrollment_waitlisted", "training", PARTICIPANT),
    "enrollment.enrollment_promoted": Teller("enrollment_promoted", "training", PARTICIPANT),
    # An offer runs out in hours and a cancellation or reminder is about days: none may wait for a
    # digest or the end of quiet hours.
    "enrollment.waitlist_offer_made": Teller("waitlist_offer_made", "training", PARTICIPANT, critical=True),
    "enrollment.waitlist_offer_expired": Teller("waitlist_offer_expired", "training", PARTICIPANT),
    "enrollment.enrollment_cancelled": Teller("enrollment_cancelled", "training", PARTICIPANT, critical=True),
    "enrollment.session_reminder_due": Teller("session_reminder_due", "training", PARTICIPANT, critical=True),
    # A new date, place or link matters before the session, not in tomorrow's digest.
    "enrollment.session_changed": Teller("session_changed", "training", PARTICIPANT, critical=True),
    # The coordinator must decide before the session: a go/no-go notice waits for nothing.
    "enrollment.session_below_minimum": Teller("session_below_minimum", "training", (contact("coordinator"),),
                                               critical=True),
    "enrollment.trainer_session_notice": Teller("trainer_session_notice", "training", (contact("trainer"),),
                                                critical=True),
    # Working groups: each current member is told of a new meeting and of the published minutes.
    "enrollment.working_group_meeting_scheduled": Teller("working_group_meeting_scheduled", "training",
                                                         (person("member"),)),
    # A cancelled meeting matters before the day, not in tomorrow's digest.
    "enrollment.working_group_meeting_cancelled": Teller("working_group_meeting_cancelled", "training",
                                                         (person("member"),), critical=True),
    "enrollment.working_group_minutes_published": Teller("working_group_minutes_published", "training",
                                                         (person("member"),)),
    # After a completed session each attendee is asked for feedback (the form stays open for weeks).
    "enrollment.feedback_requested": Teller("feedback_requested", "training", PARTICIPANT),
    # Fees: the municipality invoiced — its training coordinator and finance officer — hears of an
    # invoice issued, recalculated (before the cut-off) or waived, with the link to its PDF.
    "enrollment.invoice_issued": Teller("invoice_issued", "training", INVOICE_AUDIENCE),
    "enrollment.invoice_revised": Teller("invoice_revised", "training", INVOICE_AUDIENCE),
    "enrollment.invoice_waived": Teller("invoice_waived", "training", INVOICE_AUDIENCE),
    "enrollment.certificate_issued": Teller("certificate_issued", "certificates", PARTICIPANT),
    "enrollment.certificate_revoked": Teller("certificate_revoked", "certificates", PARTICIPANT),
    "enrollment.certificate_expiring": Teller("certificate_expiring", "certificates", PARTICIPANT),
    "enrollment.learning_recorded": Teller("learning_recorded", "certificates", PARTICIPANT),
    "grants.application_created": Teller("application_created", "grants", APPLICATION),
    "grants.application_status_changed": Teller("application_status_changed", "grants", APPLICATION + (COORDINATOR,)),
    "grants.application_decided": Teller("application_decided", "grants", APPLICATION + (COORDINATOR,)),
    "grants.call_deadline_approaching": Teller("call_deadline_approaching", "grants", APPLICATION, critical=True),
    "grants.document_waived": Teller("document_waived", "grants", (contact("contact"),)),
    # A file for the application: its consultant (who reviews it) hears of it; the uploader knows.
    "grants.document_uploaded": Teller("document_uploaded", "grants", (contact("consultant"),)),
    # The consultants' desk: the consultant assigned, the one who had the application before and the
    # municipality's contact hear of an assignment (each their own text); the consultant alone hears
    # that a consultation's follow-up day has come (a day's errand: no digest, no quiet hours).
    "grants.consultant_assigned": Teller("consultant_assigned", "grants",
                                         APPLICATION + (contact("previous_consultant"),)),
    "grants.consultation_follow_up_due": Teller("consultation_follow_up_due", "grants", (contact("consultant"),),
                                                critical=True),
    "grants.final_report_filed": Teller("final_report_filed", "grants", APPLICATION + (COORDINATOR,)),
    "grants.implementation_planned": Teller("implementation_planned", "grants", APPLICATION),
    "grants.reporting_deadline_approaching": Teller("reporting_deadline_approaching", "grants", APPLICATION,
                                                    critical=True),
    "grants.project_report_submitted": Teller("project_report_submitted", "grants", (contact("consultant"),)),
    "grants.payment_claim_changed": Teller("payment_claim_changed", "grants", APPLICATION + (COORDINATOR,)),
    "grants.project_amended": Teller("project_amended", "grants", APPLICATION + (COORDINATOR,)),
    # Consulting engagements: the consultant assigned and the municipality's contact hear the agreement,
    # the reminders before a deliverable is due and the closure; the contact hears a decline.
    "grants.engagement_agreed": Teller("engagement_agreed", "grants", APPLICATION),
    "grants.engagement_consultant_assigned": Teller("engagement_consultant_assigned", "grants", APPLICATION),
    "grants.engagement_declined": Teller("engagement_declined", "grants", (contact("contact"),)),
    "grants.engagement_deliverable_due": Teller("engagement_deliverable_due", "grants", APPLICATION),
    "grants.engagement_closed": Teller("engagement_closed", "grants", APPLICATION),
    # Joint applications: the partner municipality's coordinator hears of its part (added, changed,
    # removed); the lead's contact and consultant hear the partner's answer.
    "grants.joint_partner_added": Teller("joint_partner_added", "grants", (PARTNER_COORDINATOR,)),
    "grants.joint_partner_changed": Teller("joint_partner_changed", "grants", (PARTNER_COORDINATOR,)),
    "grants.joint_partner_removed": Teller("joint_partner_removed", "grants", (PARTNER_COORDINATOR,)),
    "grants.joint_partner_confirmed": Teller("joint_partner_confirmed", "grants", APPLICATION),
    "grants.joint_partner_declined": Teller("joint_partner_declined", "grants", APPLICATION),
    "partners.introduction_reminder_due": Teller("introduction_reminder_due", "partners", (contact("recipient"),)),
    "partners.introduction_expired": Teller("introduction_expired", "partners", (COORDINATOR,)),
    # The candidate said no: the side that asked hears it (the requester's own "no" tells no one).
    "partners.introduction_declined": Teller("introduction_declined", "partners", (contact("requester"),)),
    "partners.profile_renewal_due": Teller("profile_renewal_due", "partners", (contact("contact"),)),
    "partners.letter_of_intent_recorded": Teller("letter_of_intent_recorded", "partners", (COORDINATOR,)),
    "grants.call_published": Teller("call_published", "call_alerts", (CALL_SUBSCRIBERS,)),
    "grants.partner_requested": Teller("partner_requested", "partners", (contact("consultant"), COORDINATOR)),
    "partners.matches_proposed": Teller("matches_proposed", "partners", (contact("requester"),)),
    "partners.introduction_sent": Teller("introduction_sent", "partners",
                                         (contact("requester"), contact("candidate_contact"))),
    "partners.partnership_established": Teller("partnership_established", "partners",
                                               (contact("requester"), contact("candidate_contact"), COORDINATOR)),
}
