"""Turning rows into response bodies: JSON models, CSV files and iCalendar files."""

from __future__ import annotations

import io
from datetime import datetime

from werkzeug.wrappers import Response

from services.enrollment.domain.calendar import CalendarEntry, render
from services.enrollment.domain.completion import certificate_status
from services.enrollment.domain.paging import Page, page_headers
from services.enrollment.domain.rules import AttendanceMode, CourseFormat, EnrollmentStatus, available_modes
from services.enrollment.models import Certificate, Course, Enrollment, TrainingSession
from services.enrollment.notices import Links, title_of
from services.enrollment.schemas import CertificateOut, CoordinatorIn, CourseOut, EnrollmentOut, SeatPoolOut, SessionOut
from shared.events.types import LocalizedText
from shared.reference import REGIONS
from shared.spreadsheet import csv_writer


def course_out(course: Course) -> CourseOut:
    return CourseOut(
        id=course.id, title=title_of(course),
        description=LocalizedText(**course.description) if course.description else None,
        themes=course.themes, audience=course.audience, duration_hours=course.duration_hours, format=course.format,
        completion_min_percent=course.completion_min_percent,
        certificate_validity_months=course.certificate_validity_months, created_at=course.created_at,
        updated_at=course.updated_at, retired_at=course.retired_at,
    )


def session_out(session: TrainingSession, course: Course, counts: dict[str, dict[str, int]],
                capacities: dict[AttendanceMode, int], links: Links) -> SessionOut:
    pools = {}
    for mode, capacity in capacities.items():
        by_status = counts[mode.value]
        held = by_status[EnrollmentStatus.CONFIRMED.value] + by_status[EnrollmentStatus.OFFERED.value]
        pools[mode.value] = SeatPoolOut(
            capacity=capacity, confirmed=by_status[EnrollmentStatus.CONFIRMED.value],
            offered=by_status[EnrollmentStatus.OFFERED.value], waitlisted=by_status[EnrollmentStatus.WAITLISTED.value],
            seats_left=max(capacity - held, 0))
    confirmed = sum(p.confirmed for p in pools.values())
    return SessionOut(
        id=session.id, course_id=session.course_id, course_title=title_of(course), format=course.format,
        starts_at=session.starts_at, ends_at=session.ends_at, region=session.region, venue=session.venue,
        online_url=session.online_url, trainer=session.trainer, trainer_id=session.trainer_id, country=session.country, city=session.city,
        kind=session.kind, programme_id=session.programme_id,
        attendance_modes=[m.value for m in available_modes(CourseFormat(course.format), session.venue,
                                                           session.online_url)],
        calendar_sequence=session.sequence or 0,
        capacity=session.capacity, online_capacity=session.online_capacity,
        fee_eur=session.fee_eur, min_participants=session.min_participants,
        minimum_reached=confirmed >= session.min_participants,
        go_no_go_at=session.go_no_go_at, auto_cancel_below_minimum=bool(session.auto_cancel_below_minimum),
        go_decision=session.go_decision,
        coordinator=CoordinatorIn(name=session.coordinator_name, email=session.coordinator_email,
                                  language=session.coordinator_language or "lt")
        if session.coordinator_email else None,
        invoice_cutoff_at=session.invoice_cutoff_at,
        registration_opens_at=session.registration_opens_at, registration_closes_at=session.registration_closes_at,
        quota_per_municipality=session.quota_per_municipality, quota_release_at=session.quota_release_at,
        quota_released_at=session.quota_released_at, offer_hours=session.offer_hours,
        reminder_hours_before=session.reminder_hours_before, status=session.status,
        cancel_reason=session.cancel_reason, confirmed=confirmed,
        waitlisted=sum(p.waitlisted for p in pools.values()), seats_left=sum(p.seats_left for p in pools.values()),
        pools=pools, calendar_url=links.session_calendar(session.id),
    )


def enrollment_out(enrollment: Enrollment, position: int | None, waiting_for: str | None, links: Links) -> EnrollmentOut:
    return EnrollmentOut(
        id=enrollment.id, session_id=enrollment.session_id, status=enrollment.status,
        attendance_mode=enrollment.mode, waitlist_position=position, waiting_for=waiting_for,
        offer_expires_at=enrollment.offer_expires_at, arrival=enrollment.arrival_seq, name=enrollment.name,
        email=enrollment.email, municipality_code=enrollment.municipality_code, position=enrollment.position,
        language=enrollment.language, attendance=enrollment.attendance, attended_hours=enrollment.attended_hours,
        cancel_reason=enrollment.cancel_reason, created_at=enrollment.created_at,
        manage_url=links.manage(enrollment.id),
    )


def certificate_out(certificate: Certificate, enrollment: Enrollment, links: Links, now: datetime) -> CertificateOut:
    return CertificateOut(
        id=certificate.id, number=certificate.number, verification_code=certificate.verification_code,
        enrollment_id=certificate.enrollment_id, session_id=certificate.session_id,
        holder_name=certificate.holder_name, municipality_code=enrollment.municipality_code, hours=certificate.hours,
        issued_at=certificate.issued_at, valid_until=certificate.valid_until,
        status=certificate_status(certificate.status, certificate.valid_until, now).status,
        verify_url=links.verify(certificate.number, certificate.verification_code),
    )


# ---------------------------------------------------------------- lists

def listing(page: Page, items: list, path: str, query) -> tuple[int, list, dict]:
    """A page answered as the same JSON array as always, with X-Next-Cursor and a Link to the next
    page when there is one (domain/paging.py)."""
    args = query.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"cursor"})
    if "limit" not in args and page.next_cursor:
        args["limit"] = query.limit
    return 200, items, page_headers(page.next_cursor, path, args)


# ---------------------------------------------------------------- files

def csv_response(filename: str, header: list[str], rows: list[list]) -> Response:
    """CSV with a UTF-8 byte-order mark, so spreadsheet programs show Lithuanian letters right."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)  # formula-like cells neutralised (shared/spreadsheet.py)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return Response("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def session_location(session: TrainingSession, mode: str | None = None) -> str | None:
    if mode == AttendanceMode.ONLINE.value or (session.venue is None):
        return session.online_url
    region = REGIONS.get(session.region)
    return f"{session.venue} ({region.name_lt})" if region else session.venue


def session_entry(session: TrainingSession, course: Course, language: str, links: Links, *,
                  uid: str | None = None, status: str | None = None, mode: str | None = None,
                  note: str = "") -> CalendarEntry:
    title = title_of(course)
    description = (course.description or {}).get(language) or (course.description or {}).get("lt") or ""
    if session.online_url and mode != AttendanceMode.IN_PERSON.value:
        description = (description + "\n\n" if description else "") + session.online_url
    if session.trainer:
        description = (description + "\n\n" if description else "") + \
            f"{'Lektorius' if language == 'lt' else 'Trainer'}: {session.trainer}"
    if note:
        description = (description + "\n\n" if description else "") + note
    cancelled = session.status == "cancelled"
    return CalendarEntry(
        uid=uid or f"session-{session.id}@savivalda", starts_at=session.starts_at, ends_at=session.ends_at,
        summary=title.in_language(language), description=description, location=session_location(session, mode),
        url=links.session_calendar(session.id) if uid is None else None,
        status="CANCELLED" if cancelled else (status or "CONFIRMED"),
        stamp=session.schedule_changed_at or session.created_at, sequence=session.sequence or 0,
    )


ENTRY_STATUS = {"confirmed": "CONFIRMED", "waitlisted": "TENTATIVE", "offered": "TENTATIVE",
                "cancelled": "CANCELLED", "expired": "CANCELLED"}
NOTES = {
    "lt": {"waitlisted": "Esate laukiančiųjų sąraše.", "offered": "Jums siūloma vieta – patvirtinkite ją.",
           "cancelled": "Registracija atšaukta.", "expired": "Pasiūlymo laikas baigėsi."},
    "en": {"waitlisted": "You are on the waitlist.", "offered": "A seat is offered to you - accept it.",
           "cancelled": "Enrolment cancelled.", "expired": "The offer expired."},
}


def ics_response(filename: str, entries: list[CalendarEntry], name: str, now: datetime) -> Response:
    return Response(render(entries, name, now), content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})
