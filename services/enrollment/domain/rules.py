"""Rules for courses, sessions and enrolments, independent of storage and transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from services.enrollment.domain.programmes import check_place
from shared.errors import Conflict, Forbidden, RuleViolation


class CourseFormat(str, Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class AttendanceMode(str, Enum):
    """How a participant takes part; hybrid sessions have a seat pool per mode."""

    IN_PERSON = "in_person"
    ONLINE = "online"


class SessionStatus(str, Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class EnrollmentStatus(str, Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # a freed seat is held for this person until the offer expires
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # an offer ran out; the person left the waitlist


# Statuses that occupy a seat of the session's capacity.
HOLDS_SEAT = frozenset({EnrollmentStatus.CONFIRMED, EnrollmentStatus.OFFERED})
# Statuses a person can still cancel from (leave the session or the waitlist).
ACTIVE = frozenset({EnrollmentStatus.CONFIRMED, EnrollmentStatus.OFFERED, EnrollmentStatus.WAITLISTED})


class Attendance(str, Enum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class CancelReason(str, Enum):
    BY_PARTICIPANT = "by_participant"  # the person, through their self-service link
    BY_COORDINATOR = "by_coordinator"  # staff or their municipality's coordinator
    OFFER_DECLINED = "offer_declined"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_HELD = "session_held"  # still waiting when the session was completed


def modes_for(course_format: CourseFormat) -> tuple[AttendanceMode, ...]:
    if course_format is CourseFormat.HYBRID:
        return (AttendanceMode.IN_PERSON, AttendanceMode.ONLINE)
    return (AttendanceMode(course_format.value),)


def available_modes(course_format: CourseFormat, venue: str | None,
                    online_url: str | None) -> tuple[AttendanceMode, ...]:
    """The modes a session still offers: a hybrid session whose venue (or online link) was removed
    offers only the other one; other formats always offer their one mode."""
    if course_format is not CourseFormat.HYBRID:
        return modes_for(course_format)
    return tuple(mode for mode in modes_for(course_format)
                 if (venue if mode is AttendanceMode.IN_PERSON else online_url))


def alternative_mode(offered: tuple[AttendanceMode, ...], mode: AttendanceMode) -> AttendanceMode | None:
    """The mode a person whose mode was dropped may switch to: the one the session still offers."""
    others = [m for m in offered if m is not mode]
    return others[0] if others else None


def check_mode_switch(current: AttendanceMode, offered: tuple[AttendanceMode, ...],
                      requested: AttendanceMode | None) -> AttendanceMode:
    """A person may switch only away from a mode the session no longer offers, to one it offers."""
    if current in offered:
        raise Conflict(f"the session still offers {current.value} attendance; nothing to switch",
                       code="mode_available")
    target = requested or alternative_mode(offered, current)
    if target is None or target not in offered:
        raise RuleViolation(f"the session does not offer {target.value if target else 'another'} attendance",
                            field="attendance_mode")
    return target


def check_course_open(retired_at: datetime | None) -> None:
    """A retired course takes no new sessions (it stays in the catalogue's history)."""
    if retired_at is not None:
        raise Conflict("the course is retired; it takes no new sessions", code="course_retired")


def attendance_mode(course_format: CourseFormat, requested: str | None,
                    available: tuple[AttendanceMode, ...] | None = None) -> AttendanceMode:
    """The seat pool an enrolment goes to: a hybrid session needs the person to choose (unless it
    offers only one mode now)."""
    modes = available if available is not None else modes_for(course_format)
    if requested is None and len(modes) == 1:
        return modes[0]
    if requested is not None and AttendanceMode(requested) in modes_for(course_format) \
            and AttendanceMode(requested) not in modes:
        raise RuleViolation(f"this session no longer offers {requested} attendance", field="attendance_mode")
    if requested is None:
        if len(modes) > 1:
            raise RuleViolation("a hybrid session needs attendance_mode: in_person or online",
                                field="attendance_mode")
        return modes[0]
    mode = AttendanceMode(requested)
    if mode not in modes:
        raise RuleViolation(f"this session is {course_format.value} only", field="attendance_mode")
    return mode


@dataclass(frozen=True)
class SessionPlan:
    """What staff ask for when scheduling a session of a course."""

    course_format: CourseFormat
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    region: str | None
    venue: str | None
    online_url: str | None
    online_capacity: int | None = None
    min_participants: int = 0
    quota_per_municipality: int | None = None
    quota_release_days: int | None = None
    offer_hours: int | None = None
    country: str = "LT"  # abroad: a city instead of a region (domain/programmes.py)
    city: str | None = None


def check_session_plan(plan: SessionPlan, now: datetime) -> None:
    """Refuse a session that could not run as described; the error names the field at fault."""
    if plan.ends_at <= plan.starts_at:
        raise RuleViolation("the session must end after it starts", field="ends_at")
    if plan.starts_at <= now:
        raise RuleViolation("the session must start in the future", field="starts_at")
    check_registration_window(plan.registration_opens_at, plan.registration_closes_at, plan.starts_at)
    if plan.capacity < 1:
        raise RuleViolation("capacity must be at least 1", field="capacity")
    in_person = plan.course_format in (CourseFormat.IN_PERSON, CourseFormat.HYBRID)
    online = plan.course_format in (CourseFormat.ONLINE, CourseFormat.HYBRID)
    if in_person and not plan.venue:
        raise RuleViolation(f"a {plan.course_format.value} session needs a venue", field="venue")
    check_place(plan.country, plan.region, plan.city, in_person)
    if online and not plan.online_url:
        raise RuleViolation(f"a {plan.course_format.value} session needs an online link", field="online_url")
    if plan.course_format is CourseFormat.HYBRID and not plan.online_capacity:
        raise RuleViolation("a hybrid session needs online_capacity (its online seats; capacity is the "
                            "in-person seats)", field="online_capacity")
    if plan.course_format is not CourseFormat.HYBRID and plan.online_capacity is not None:
        raise RuleViolation("online_capacity is only for hybrid sessions; capacity counts the seats",
                            field="online_capacity")
    if plan.min_participants > total_seats(plan.capacity, plan.online_capacity):
        raise RuleViolation("the minimum number of participants exceeds the seats", field="min_participants")
    if plan.quota_release_days is not None and plan.quota_per_municipality is None:
        raise RuleViolation("quota_release_days needs quota_per_municipality", field="quota_release_days")


@dataclass(frozen=True)
class SessionSettings:
    """What staff may change on a scheduled session (PATCH), as it stands."""

    course_format: CourseFormat
    starts_at: datetime
    capacity: int
    online_capacity: int | None
    min_participants: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    quota_per_municipality: int | None
    quota_release_days: int | None
    offer_hours: int | None
    reminder_hours_before: int


def check_session_change(current: SessionSettings, changes: dict, held: dict[AttendanceMode, int]) -> dict:
    """Validate a change of settings against the session and the seats taken (`held` per pool);
    returns the fields that really change, with `quota_release_at` recomputed when the quota moved."""
    hybrid = current.course_format is CourseFormat.HYBRID
    if "online_capacity" in changes and not hybrid:
        raise RuleViolation("online_capacity is only for hybrid sessions", field="online_capacity")
    if hybrid and "online_capacity" in changes and changes["online_capacity"] is None:
        raise RuleViolation("a hybrid session needs online seats", field="online_capacity")
    if "capacity" in changes:
        pool = AttendanceMode.ONLINE if current.course_format is CourseFormat.ONLINE else AttendanceMode.IN_PERSON
        check_capacity_change(changes["capacity"], held.get(pool, 0), "capacity")
    if "online_capacity" in changes:
        check_capacity_change(changes["online_capacity"], held.get(AttendanceMode.ONLINE, 0), "online_capacity")
    after = {**current.__dict__, **changes}
    check_registration_window(after["registration_opens_at"], after["registration_closes_at"], current.starts_at)
    if after["quota_per_municipality"] is None and changes.get("quota_release_days") is not None:
        raise RuleViolation("quota_release_days needs quota_per_municipality", field="quota_release_days")
    if after["min_participants"] > total_seats(after["capacity"], after["online_capacity"]):
        raise RuleViolation("the minimum number of participants exceeds the seats", field="min_participants")
    changed = {name: value for name, value in changes.items() if getattr(current, name) != value}
    if {"quota_per_municipality", "quota_release_days"} & set(changed):
        release_days = after["quota_release_days"] if after["quota_per_municipality"] is not None else None
        if release_days != current.quota_release_days:
            changed["quota_release_days"] = release_days
        changed["quota_release_at"] = quota_release_at(current.starts_at, release_days)
    return changed


# What a participant's calendar entry shows: a change of any of these is told to everyone enrolled.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "region", "venue", "online_url", "trainer")


@dataclass(frozen=True)
class SessionSchedule:
    """When, where and by whom a scheduled session is held, as it stands."""

    course_format: CourseFormat
    starts_at: datetime
    ends_at: datetime
    region: str | None
    venue: str | None
    online_url: str | None
    trainer: str | None
    registration_closes_at: datetime


def check_schedule_change(current: SessionSchedule, changes: dict, now: datetime) -> dict:
    """Validate a change of date, time, place, online link or trainer (`changes`: only those
    fields, as sent); returns what really changes. Registration that would close after a moved
    start, or that closed at the start, closes at the new start (the caller lets a
    registration_closes_at sent in the same request win).

    A hybrid session may drop its venue or its online link (its participants of that mode are
    then offered the other mode or a free leave) but not both; the other formats keep theirs."""
    after = {**current.__dict__, **changes}
    if "starts_at" in changes or "ends_at" in changes:
        if after["ends_at"] <= after["starts_at"]:
            raise RuleViolation("the session must end after it starts",
                                field="ends_at" if "ends_at" in changes else "starts_at")
        if "starts_at" in changes and after["starts_at"] <= now:
            raise RuleViolation("the session must start in the future", field="starts_at")
    fmt = current.course_format
    if fmt is CourseFormat.IN_PERSON:
        for name in ("venue", "region"):
            if not after[name]:
                raise RuleViolation(f"an in_person session needs a {name}; cancel it instead", field=name)
    if fmt is CourseFormat.ONLINE and not after["online_url"]:
        raise RuleViolation("an online session needs an online link; cancel it instead", field="online_url")
    if fmt is CourseFormat.HYBRID:
        if not after["venue"] and not after["online_url"]:
            raise RuleViolation("a hybrid session needs a venue or an online link; cancel it instead",
                                field="venue" if "venue" in changes else "online_url")
        if after["venue"] and not after["region"]:
            raise RuleViolation("a session with a venue needs a region", field="region")
    changed = {name: value for name, value in changes.items() if getattr(current, name) != value}
    if "starts_at" in changed and (current.registration_closes_at > changed["starts_at"]
                                   or current.registration_closes_at == current.starts_at):
        changed["registration_closes_at"] = changed["starts_at"]  # (open until the start: it follows)
    return changed


class GoDecision(str, Enum):
    """What became of a session at its go/no-go date."""

    MINIMUM_REACHED = "minimum_reached"
    BELOW_MINIMUM = "below_minimum"  # the coordinator was told and decides
    CONFIRMED = "confirmed"  # the coordinator decided it runs anyway
    CANCELLED = "cancelled"  # cancelled for too few participants (automatically or by the coordinator)


@dataclass(frozen=True)
class GoNoGo:
    """A session's go/no-go settings, as they will stand."""

    min_participants: int
    go_no_go_at: datetime | None
    auto_cancel: bool
    has_coordinator: bool
    starts_at: datetime


def check_go_no_go(plan: GoNoGo, now: datetime, *, date_changed: bool) -> None:
    """A go/no-go date needs a minimum to check, a coordinator to tell, and to fall before the start
    (and, when it is set or moved, after now); automatic cancellation needs the date."""
    if plan.go_no_go_at is None:
        if plan.auto_cancel:
            raise RuleViolation("auto_cancel_below_minimum needs go_no_go_at", field="auto_cancel_below_minimum")
        return
    if plan.min_participants < 1:
        raise RuleViolation("a go/no-go date needs min_participants of at least 1", field="min_participants")
    if plan.go_no_go_at >= plan.starts_at:
        raise RuleViolation("the go/no-go date must fall before the start", field="go_no_go_at")
    if date_changed and plan.go_no_go_at <= now:
        raise RuleViolation("the go/no-go date must be in the future", field="go_no_go_at")
    if not plan.has_coordinator:
        raise RuleViolation("a go/no-go date needs a coordinator to tell", field="coordinator")


def go_decision(confirmed: int, min_participants: int, auto_cancel: bool) -> GoDecision:
    """At the go/no-go date: enough confirmed seats, or too few (cancelled at once if the session says so)."""
    if confirmed >= min_participants:
        return GoDecision.MINIMUM_REACHED
    return GoDecision.CANCELLED if auto_cancel else GoDecision.BELOW_MINIMUM


def check_go_confirmable(status: SessionStatus, decision: str | None) -> None:
    """The coordinator confirms a scheduled session that is below its minimum at the go/no-go date."""
    if status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is {status.value}", code="session_not_open")
    if decision != GoDecision.BELOW_MINIMUM.value:
        raise Conflict("only a session below its minimum at its go/no-go date waits for a decision"
                       + (f"; it is {decision}" if decision else "; the date has not come"),
                       code="no_decision_pending")


def check_registration_window(opens_at: datetime, closes_at: datetime, starts_at: datetime) -> None:
    if closes_at <= opens_at:
        raise RuleViolation("registration must close after it opens", field="registration_closes_at")
    if closes_at > starts_at:
        raise RuleViolation("registration must close no later than the session starts",
                            field="registration_closes_at")


def total_seats(capacity: int, online_capacity: int | None) -> int:
    return capacity + (online_capacity or 0)


def capacity_of(mode: AttendanceMode, course_format: CourseFormat, capacity: int, online_capacity: int | None) -> int:
    """Seats of one pool: `capacity` is the in-person seats of a hybrid session, else all seats."""
    if course_format is CourseFormat.HYBRID and mode is AttendanceMode.ONLINE:
        return online_capacity or 0
    return capacity


def quota_release_at(starts_at: datetime, release_days: int | None) -> datetime | None:
    return None if release_days is None else starts_at - timedelta(days=release_days)


def check_registration_open(status: SessionStatus, opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    """Enrolment is possible only for a scheduled session inside its registration window."""
    if status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is {status.value}; enrolment is closed", code="session_not_open")
    if now < opens_at:
        raise RuleViolation(f"registration opens at {opens_at.isoformat()}", code="registration_not_open")
    if now >= closes_at:
        raise RuleViolation(f"registration closed at {closes_at.isoformat()}", code="registration_closed")


def check_can_cancel(status: EnrollmentStatus, session_status: SessionStatus, starts_at: datetime,
                     now: datetime) -> None:
    if session_status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is {session_status.value}", code="session_not_open")
    if status not in ACTIVE:
        raise Conflict(f"the enrolment is already {status.value}", code="not_active")
    if now >= starts_at:
        raise Conflict("the session has started; record attendance instead", code="session_started")


def check_session_changeable(session_status: SessionStatus) -> None:
    """Only a scheduled session's settings change (a cancelled or completed one is history)."""
    if session_status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is {session_status.value}", code="session_not_open")


def check_session_cancellable(session_status: SessionStatus) -> None:
    if session_status is not SessionStatus.SCHEDULED:
        raise Conflict(f"the session is already {session_status.value}", code="session_not_open")


def pool_capacities(course_format: CourseFormat, capacity: int,
                    online_capacity: int | None) -> dict[AttendanceMode, int]:
    """The seats of each pool the course's format has."""
    return {mode: capacity_of(mode, course_format, capacity, online_capacity) for mode in modes_for(course_format)}


def check_offer_acceptable(status: EnrollmentStatus) -> None:
    """A seat can be accepted only while it is offered (an expired offer went to the next person)."""
    if status is EnrollmentStatus.EXPIRED:
        raise Conflict("the offer has expired and the seat passed to the next person", code="offer_expired")
    if status is not EnrollmentStatus.OFFERED:
        raise Conflict(f"the enrolment is {status.value}; there is no offer to accept", code="no_offer")


def check_offer_declinable(status: EnrollmentStatus) -> None:
    if status is not EnrollmentStatus.OFFERED:
        raise Conflict(f"the enrolment is {status.value}; there is no offer to decline", code="no_offer")


def leave_reason(status: EnrollmentStatus) -> CancelReason:
    """Why a person leaving through their own link is cancelled: leaving an offer declines it."""
    return CancelReason.OFFER_DECLINED if status is EnrollmentStatus.OFFERED else CancelReason.BY_PARTICIPANT


def check_not_enrolled_by_another(acting_municipality: str | None, enrolled_by: str | None) -> None:
    """A municipality's coordinator (`acting_municipality`; None for the centre) cannot touch a
    person another municipality enrolled in the session (`enrolled_by`; None if nobody did)."""
    if acting_municipality is not None and enrolled_by is not None and enrolled_by != acting_municipality:
        raise Forbidden("this e-mail is enrolled in the session by another municipality", field="email")


def check_capacity_change(new_capacity: int, held: int, field: str) -> None:
    """Capacity cannot drop below the seats already given (confirmed or offered)."""
    if new_capacity < held:
        raise RuleViolation(f"{held} seats are taken; capacity cannot drop below that", field=field)


def offer_deadline(now: datetime, offer_hours: int, starts_at: datetime) -> datetime:
    """An offer runs `offer_hours`, but never past the session's start."""
    return min(now + timedelta(hours=offer_hours), starts_at)


def normalise_email(email: str) -> str:
    """The key that makes 'the same person enrolling twice' the same enrolment."""
    return email.strip().lower()
