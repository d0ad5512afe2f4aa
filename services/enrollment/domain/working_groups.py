"""Working groups: standing groups of officials from several municipalities (seed 000: a group
studying amendments to the Law on Local Governments, a group of city administrators). The rules
of membership, meetings, attendance and minutes, and the figures of the report (pure Python)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from shared.errors import Conflict, RuleViolation

ROLES = ("member", "chair")


@dataclass(frozen=True)
class Seat:
    """A member of a group as the rules see them: who, in which role, since and until when."""

    member_id: UUID
    email_key: str
    role: str
    joined_on: date
    left_on: date | None = None

    def active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)

    @property
    def current(self) -> bool:
        return self.left_on is None


def check_new_member(seats: list[Seat], email_key: str, role: str) -> None:
    """A person sits in a group once (while they have not left), and a group has one chair."""
    if role not in ROLES:
        raise RuleViolation(f"role must be one of {', '.join(ROLES)}", field="role")
    if any(s.current and s.email_key == email_key for s in seats):
        raise Conflict("this person is already a member of the group", code="member_exists")
    if role == "chair":
        check_one_chair(seats, None)


def check_one_chair(seats: list[Seat], becoming_chair: UUID | None) -> None:
    """Only one current chair: naming another while one sits is refused (the chair first steps
    down to member, or leaves)."""
    chairs = [s for s in seats if s.current and s.role == "chair" and s.member_id != becoming_chair]
    if chairs:
        raise RuleViolation("the group has a chair already; make the chair a member first", field="role")


def check_leaving(seat: Seat, left_on: date) -> None:
    if not seat.current:
        raise Conflict("the member has left the group already", code="member_left")
    if left_on < seat.joined_on:
        raise RuleViolation("a member leaves on or after the day they joined", field="left_on")


def check_meeting_times(starts_at: datetime, ends_at: datetime, venue: str | None, online_url: str | None) -> None:
    if ends_at <= starts_at:
        raise RuleViolation("a meeting ends after it starts", field="ends_at")
    if (ends_at - starts_at).total_seconds() > 24 * 3600:
        raise RuleViolation("a meeting lasts at most a day", field="ends_at")
    if not venue and not online_url:
        raise RuleViolation("give the venue or the online link (or both)", field="venue")


def check_attendance(seats: list[Seat], meeting_day: date, member_ids: list[UUID]) -> None:
    """Attendance is recorded only of the group's members (those sitting on the meeting's day),
    each once. The field named is the index of the record at fault."""
    sitting = {s.member_id for s in seats if s.active_on(meeting_day)}
    seen: set[UUID] = set()
    for index, member_id in enumerate(member_ids):
        if member_id not in sitting:
            raise RuleViolation("not a member of the group on the meeting's day",
                                field=f"records.{index}.member_id")
        if member_id in seen:
            raise RuleViolation("the member is named twice", field=f"records.{index}.member_id")
        seen.add(member_id)


def check_meeting_held(status: str, ends_at: datetime, now: datetime) -> None:
    """Attendance and minutes only after the meeting has ended (and never for a cancelled one)."""
    if status == "cancelled":
        raise Conflict("the meeting was cancelled", code="meeting_cancelled")
    if now < ends_at:
        raise Conflict(f"the meeting has not ended yet (it ends at {ends_at.isoformat()})", code="meeting_not_held")


def check_cancellable(status: str, starts_at: datetime, now: datetime) -> None:
    """A meeting is cancelled before it starts, once."""
    if status == "cancelled":
        raise Conflict("the meeting is cancelled already", code="meeting_cancelled")
    if now >= starts_at:
        raise Conflict("the meeting has started; record its attendance and minutes instead", code="meeting_started")


def check_minutes_once(published_at: datetime | None) -> None:
    if published_at is not None:
        raise Conflict("the minutes of this meeting are published already", code="minutes_published")


def member_code(secret: str, member_id: UUID) -> str:
    """The code in a member's calendar link (HMAC of the member id: nothing stored, not guessable)."""
    digest = hmac.new(secret.encode(), f"working_group_member:{member_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def check_member_code(secret: str, member_id: UUID, code: str) -> bool:
    return hmac.compare_digest(member_code(secret, member_id), code)


# ---------------------------------------------------------------- figures of the report

@dataclass(frozen=True)
class Presence:
    """One member's attendance of one held meeting."""

    group_id: UUID
    meeting_id: UUID
    municipality_code: str
    present: bool


@dataclass
class AttendanceFigures:
    meetings_held: int = 0
    recorded: int = 0
    present: int = 0
    meetings: set = field(default_factory=set)

    @property
    def rate(self) -> float | None:
        """Share of recorded attendances that were present (None when nothing was recorded)."""
        return round(self.present / self.recorded, 4) if self.recorded else None


def attendance_figures(presences: list[Presence]) -> tuple[dict[UUID, AttendanceFigures], dict[str, AttendanceFigures]]:
    """Per group and per municipality: meetings held (with attendance recorded), attendances
    recorded and present, and the rate."""
    by_group: dict[UUID, AttendanceFigures] = {}
    by_municipality: dict[str, AttendanceFigures] = {}
    for p in presences:
        for line in (by_group.setdefault(p.group_id, AttendanceFigures()),
                     by_municipality.setdefault(p.municipality_code, AttendanceFigures())):
            if p.meeting_id not in line.meetings:
                line.meetings.add(p.meeting_id)
                line.meetings_held += 1
            line.recorded += 1
            line.present += int(p.present)
    return by_group, by_municipality
