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
    the role in the municipality named by the event's `municipality_code`; `call_subscribers`:
    the subscribers whose call-alert interests the call matches."""

    kind: str
    attribute: str | None = None
    role: str | None = None


def person(attribute: str) -> Audience:
    return Audience("person", attribute)


def contact(attribute: str) -> Audience:
    return Audience("contact", attribute)


def role(name: str) -> Audience:
    return Audience("role", role=name)


CALL_SUBSCRIBERS = Audience("call_subscribers")


@dataclass(frozen=True)
class Teller:
    template: str
    category: str
    audiences: tuple[Audience, ...]
    critical: bool = False


TELLERS: dict[str, Teller] = {
    "enrollment.enrollment_confirmed": Teller("enrollment_confirmed", "training", (person("participant"),)),
    "enrollment.enrollment_waitlisted": Teller("enrollment_waitlisted", "training", (person("participant"),)),
    "grants.call_published": Teller("call_published", "call_alerts", (CALL_SUBSCRIBERS,)),
    "grants.partner_requested": Teller("partner_requested", "partners", (contact("consultant"),
                                                                         role("eu_projects_coordinator"))),
    "partners.matches_proposed": Teller("matches_proposed", "partners", (contact("requester"),)),
    "partners.introduction_sent": Teller("introduction_sent", "partners",
                                         (contact("requester"), contact("candidate_contact"))),
    "partners.partnership_established": Teller("partnership_established", "partners",
                                               (contact("requester"), contact("candidate_contact"),
                                                role("eu_projects_coordinator"))),
}
