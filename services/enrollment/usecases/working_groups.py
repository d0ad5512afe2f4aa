"""Working groups (issue 20 item 2): standing groups of officials from several municipalities —
members and their chair, meetings with an agenda, attendance, minutes, adopted proposals — and
what members are told (enrollment.working_group_meeting_scheduled with their calendar link,
enrollment.working_group_minutes_published), in their language, by the notifications service."""

from __future__ import annotations

import uuid
from collections import Counter as Tally

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from services.enrollment.domain.calendar import CalendarEntry
from services.enrollment.domain.figures import LOCAL_TIME as LOCAL_TZ
from services.enrollment.domain.paging import decode_cursor, page_of, sorts
from services.enrollment.domain.rules import normalise_email
from services.enrollment.domain.working_groups import (
    Presence,
    Seat,
    attendance_figures,
    check_attendance,
    check_cancellable,
    check_leaving,
    check_meeting_held,
    check_meeting_times,
    check_member_code,
    check_minutes_once,
    check_new_member,
    check_one_chair,
    member_code,
)
from services.enrollment.metrics import WORKING_GROUP_EVENTS
from services.enrollment.models import (
    WorkingGroup,
    WorkingGroupAttendance,
    WorkingGroupMeeting,
    WorkingGroupMember,
    WorkingGroupProposal,
)
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas_working_groups import (
    CancelMeetingIn,
    GroupReportLineOut,
    MeetingAttendanceIn,
    MeetingIn,
    MeetingOut,
    MemberChange,
    MemberIn,
    MemberOut,
    MinutesIn,
    MunicipalityReportLineOut,
    PresenceOut,
    ProposalIn,
    ProposalOut,
    WorkingGroupIn,
    WorkingGroupOut,
    WorkingGroupQuery,
    WorkingGroupReportOut,
    WorkingGroupSummaryOut,
)
from services.enrollment.views import ics_response, listing
from services.enrollment.working_group_repository import WorkingGroupRepository
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.enrollment import (
    WorkingGroupMeetingCancelled,
    WorkingGroupMeetingScheduled,
    WorkingGroupMinutesPublished,
    WorkingGroupProposalAdopted,
)
from shared.events.types import LocalizedText, Person
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

GROUP_SORTS = sorts("-created_at:time")


# ---------------------------------------------------------------- groups

def create_group(uow: UnitOfWork, body: WorkingGroupIn) -> WorkingGroupOut:
    group = WorkingGroup(id=uuid.uuid4(), name=body.name.model_dump(), purpose=body.purpose.model_dump(),
                         themes=list(body.themes), created_at=utcnow())
    WorkingGroupRepository.of(uow).add(group)
    uow.commit()
    return WorkingGroupOut(**summary_out(group).model_dump(), created_at=group.created_at, members=[], meetings=[],
                           proposals=[])


def list_groups(uow: UnitOfWork, query: WorkingGroupQuery):
    """Every group's public name, purpose and themes (no member, meeting or minutes), newest first."""
    repo = EnrollmentRepository.of(uow)
    sort = GROUP_SORTS["-created_at"]
    rows = Lists(repo).rows(select(WorkingGroup), WorkingGroup.created_at, WorkingGroup.id, sort,
                            decode_cursor(query.cursor, sort), 2000 if query.theme else query.limit)
    if query.theme:  # themes are a JSON list: filtered here, within a bounded read
        rows = [g for g in rows if query.theme in g.themes][:query.limit + 1]
    page = page_of(rows, query.limit, sort, lambda g: (g.created_at, g.id))
    return listing(page, [summary_out(g) for g in page.items], "/enrollment/working-groups", query)


def get_group(uow: UnitOfWork, group_id) -> WorkingGroupOut:
    """The group with its members, meetings (attendance, minutes) and proposals."""
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    meetings = repo.meetings(group.id)
    attendance = repo.attendance(m.id for m in meetings)
    return WorkingGroupOut(
        **summary_out(group).model_dump(), created_at=group.created_at,
        members=[member_out(m) for m in repo.members(group.id)],
        meetings=[meeting_out(m, attendance[m.id]) for m in meetings],
        proposals=[proposal_out(p) for p in repo.proposals(group.id)])


# ---------------------------------------------------------------- members

def add_member(uow: UnitOfWork, group_id, body: MemberIn) -> MemberOut:
    """A person joins the group (409 member_exists if they sit in it; 422 naming role for a second chair)."""
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id, lock=True)
    email_key = normalise_email(body.email)
    check_new_member(_seats(repo, group.id), email_key, body.role)
    member = WorkingGroupMember(
        id=uuid.uuid4(), group_id=group.id, name=body.name, email=body.email.strip(), email_key=email_key,
        position=body.position, language=body.language, municipality_code=body.municipality_code, role=body.role,
        joined_on=body.joined_on or utcnow().astimezone(LOCAL_TZ).date(), created_at=utcnow())
    repo.add(member)
    try:
        uow.commit()
    except IntegrityError:  # the same person added by two requests at once: the partial unique index
        uow.rollback()
        raise Conflict("this person is already a member of the group", code="member_exists") from None
    return member_out(member)


def change_member(uow: UnitOfWork, group_id, member_id, body: MemberChange) -> MemberOut:
    """Make a member the chair (or the chair a member), or record that they left."""
    if body.role is None and body.left_on is None:
        raise RuleViolation("give role or left_on", field="role")
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id, lock=True)
    member = repo.member(group.id, member_id)
    seat = _seat(member)
    if body.role is not None and body.role != member.role:
        if not seat.current:
            raise Conflict("the member has left the group", code="member_left")
        if body.role == "chair":
            check_one_chair(_seats(repo, group.id), member.id)
        member.role = body.role
    if body.left_on is not None:
        check_leaving(seat, body.left_on)
        member.left_on = body.left_on
    uow.commit()
    return member_out(member)


# ---------------------------------------------------------------- meetings

def schedule_meeting(uow: UnitOfWork, links: Links, group_id, body: MeetingIn) -> MeetingOut:
    """A meeting with its agenda; every current member is told, with their calendar link."""
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    check_meeting_times(body.starts_at, body.ends_at, body.venue, body.online_url)
    if body.starts_at <= utcnow():
        raise RuleViolation("a meeting is scheduled ahead (record past meetings' attendance on them)",
                            field="starts_at")
    meeting = WorkingGroupMeeting(
        id=uuid.uuid4(), group_id=group.id, starts_at=body.starts_at, ends_at=body.ends_at, venue=body.venue,
        online_url=body.online_url, agenda=list(body.agenda), status="scheduled", created_at=utcnow())
    repo.add(meeting)
    day = body.starts_at.astimezone(LOCAL_TZ).date()
    for member in repo.members(group.id):
        if member.erased_at is None and _seat(member).active_on(day):
            uow.emit(WorkingGroupMeetingScheduled(
                **_member_fields(group, member, meeting), agenda=list(meeting.agenda),
                calendar_url=member_calendar_url(links, meeting, member)), subject=f"{meeting.id}:{member.id}")
    uow.commit()
    WORKING_GROUP_EVENTS.labels(event="meeting_scheduled").inc()
    return meeting_out(meeting, [])


def cancel_meeting(uow: UnitOfWork, links: Links, group_id, meeting_id, body: CancelMeetingIn) -> MeetingOut:
    """Cancel a meeting before it starts; the members told of it are told it is off (their calendar
    entry then says CANCELLED)."""
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    meeting = repo.meeting(group.id, meeting_id, lock=True)
    check_cancellable(meeting.status, meeting.starts_at, utcnow())
    meeting.status = "cancelled"
    day = meeting.starts_at.astimezone(LOCAL_TZ).date()
    for member in repo.members(group.id):
        if member.erased_at is None and _seat(member).active_on(day):
            uow.emit(WorkingGroupMeetingCancelled(
                **_member_fields(group, member, meeting), reason=body.reason,
                calendar_url=member_calendar_url(links, meeting, member)), subject=f"{meeting.id}:{member.id}")
    uow.commit()
    WORKING_GROUP_EVENTS.labels(event="meeting_cancelled").inc()
    return meeting_out(meeting, [])


def record_attendance(uow: UnitOfWork, group_id, meeting_id, body: MeetingAttendanceIn) -> MeetingOut:
    """Who was present, once the meeting has ended; only the group's members. A member recorded
    again is corrected."""
    repo = WorkingGroupRepository.of(uow)
    meeting = repo.meeting(group_id, meeting_id, lock=True)
    check_meeting_held(meeting.status, meeting.ends_at, utcnow())
    seats = [_seat(m) for m in repo.members(group_id)]
    check_attendance(seats, meeting.starts_at.astimezone(LOCAL_TZ).date(), [r.member_id for r in body.records])
    existing = {a.member_id: a for a in repo.attendance([meeting.id])[meeting.id]}
    now = utcnow()
    for record in body.records:
        row = existing.get(record.member_id)
        if row is None:
            repo.add(WorkingGroupAttendance(meeting_id=meeting.id, member_id=record.member_id,
                                            present=record.present, recorded_at=now))
        else:
            row.present, row.recorded_at = record.present, now
    uow.commit()
    return meeting_out(meeting, repo.attendance([meeting.id])[meeting.id])


def publish_minutes(uow: UnitOfWork, group_id, meeting_id, body: MinutesIn) -> MeetingOut:
    """The minutes, once, after the meeting; every current member is told with the text."""
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    meeting = repo.meeting(group.id, meeting_id, lock=True)
    check_meeting_held(meeting.status, meeting.ends_at, utcnow())
    check_minutes_once(meeting.minutes_published_at)
    meeting.minutes, meeting.minutes_published_at = body.text, utcnow()
    attendance = repo.attendance([meeting.id])[meeting.id]
    present = {a.member_id: a.present for a in attendance}
    adopted = [LocalizedText(**p.title) for p in repo.proposals(group.id, meeting.id)]
    for member in repo.members(group.id):
        if member.erased_at is None and member.left_on is None:
            uow.emit(WorkingGroupMinutesPublished(
                **_member_fields(group, member, meeting), minutes=body.text, present=present.get(member.id),
                proposals=adopted), subject=f"{meeting.id}:{member.id}")
    uow.commit()
    WORKING_GROUP_EVENTS.labels(event="minutes_published").inc()
    return meeting_out(meeting, attendance)


def member_calendar(uow: UnitOfWork, links: Links, group_id, meeting_id, member_id, code: str) -> Response:
    """The meeting as an .ics file through the member's own link (any other code is 404)."""
    if not check_member_code(links.secret, member_id, code):
        raise NotFound("working group meeting", meeting_id)
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    meeting = repo.meeting(group.id, meeting_id)
    member = repo.member(group.id, member_id)
    if member.erased_at is not None:
        raise NotFound("working group meeting", meeting_id)
    name = LocalizedText(**group.name).in_language(member.language)
    heading = "Darbotvarkė" if member.language == "lt" else "Agenda"
    description = heading + ":\n" + "\n".join(f"{n}. {item}" for n, item in enumerate(meeting.agenda, 1))
    if meeting.online_url:
        description += "\n\n" + meeting.online_url
    entry = CalendarEntry(uid=f"working-group-meeting-{meeting.id}@savivalda", starts_at=meeting.starts_at,
                          ends_at=meeting.ends_at, summary=name, description=description,
                          location=meeting.venue or meeting.online_url, url=meeting.online_url,
                          status="CANCELLED" if meeting.status == "cancelled" else "CONFIRMED",
                          stamp=meeting.created_at)
    return ics_response(f"working-group-meeting-{meeting.id}.ics", [entry], name, utcnow())


# ---------------------------------------------------------------- proposals

def adopt_proposal(uow: UnitOfWork, group_id, body: ProposalIn) -> ProposalOut:
    repo = WorkingGroupRepository.of(uow)
    group = repo.group(group_id)
    if body.meeting_id is not None:
        try:
            meeting = repo.meeting(group.id, body.meeting_id)
        except NotFound:
            raise RuleViolation("no such meeting of this group", field="meeting_id") from None
        if meeting.status == "cancelled" or body.adopted_on < meeting.starts_at.astimezone(LOCAL_TZ).date():
            raise RuleViolation("a proposal is adopted at or after the meeting it names", field="adopted_on")
    if body.adopted_on > utcnow().astimezone(LOCAL_TZ).date():
        raise RuleViolation("a proposal is recorded once adopted, not ahead", field="adopted_on")
    proposal = WorkingGroupProposal(id=uuid.uuid4(), group_id=group.id, meeting_id=body.meeting_id,
                                    title=body.title.model_dump(), text=body.text, adopted_on=body.adopted_on,
                                    status=body.status, created_at=utcnow())
    repo.add(proposal)
    uow.emit(WorkingGroupProposalAdopted(
        group_id=group.id, group_name=LocalizedText(**group.name), proposal_id=proposal.id, title=body.title,
        adopted_on=body.adopted_on, status=body.status,
        municipalities=sorted({code for _, code in repo.current_seats() if _ == group.id})), subject=str(group.id))
    uow.commit()
    return proposal_out(proposal)


# ---------------------------------------------------------------- report

def report(uow: UnitOfWork) -> WorkingGroupReportOut:
    """Per group: current members and municipalities, meetings held and upcoming, attendance rate,
    proposals; per municipality: seats, meetings its people's attendance was recorded at, rate."""
    repo = WorkingGroupRepository.of(uow)
    now = utcnow()
    seats = repo.current_seats()
    by_group, by_municipality = attendance_figures([Presence(g, m, code, present)
                                                    for g, m, code, present in repo.presences()])
    held, upcoming = Tally(), Tally()
    for _, group_id, status, ends_at in repo.meeting_rows():
        if status == "cancelled":
            continue
        (held if ends_at <= now else upcoming)[group_id] += 1
    members, municipalities = Tally(g for g, _ in seats), {}
    for group_id, code in seats:
        municipalities.setdefault(group_id, set()).add(code)
    proposals = repo.proposal_counts()
    groups = [GroupReportLineOut(
        group_id=g.id, name=LocalizedText(**g.name), members=members[g.id],
        municipalities=len(municipalities.get(g.id, ())), meetings_held=held[g.id], meetings_upcoming=upcoming[g.id],
        attendance_rate=by_group[g.id].rate if g.id in by_group else None, proposals=proposals.get(g.id, 0))
        for g in repo.all_groups()]
    seats_by_code = Tally(code for _, code in seats)
    lines = [MunicipalityReportLineOut(
        municipality_code=code, members=seats_by_code[code],
        meetings=by_municipality[code].meetings_held if code in by_municipality else 0,
        attendance_rate=by_municipality[code].rate if code in by_municipality else None)
        for code in sorted(set(seats_by_code) | set(by_municipality))]
    return WorkingGroupReportOut(groups=groups, municipalities=lines)


# ---------------------------------------------------------------- erasure

def erase_members(uow: UnitOfWork, email_key: str, pseudonym: str, name: str, now) -> tuple[int, set[str]]:
    """The person's seats in working groups: name, e-mail and position pseudonymised (their
    municipality, role, dates and attendance stay, so the figures still count them). Returns the
    seats erased and the names they held (to scrub the outbox)."""
    names = set()
    seats = WorkingGroupRepository.of(uow).seats_of_person(email_key)
    for member in seats:
        names.add(member.name)
        member.name, member.email = name, f"erased-{pseudonym}@erased.invalid"
        member.email_key, member.position, member.erased_at = f"erased:{pseudonym}:{member.id}", None, now
    return len(seats), names


# ---------------------------------------------------------------- shapes

def member_calendar_url(links: Links, meeting: WorkingGroupMeeting, member: WorkingGroupMember) -> str:
    return (f"{links.base}/working-groups/{meeting.group_id}/meetings/{meeting.id}/members/{member.id}/"
            f"{member_code(links.secret, member.id)}/calendar.ics")


def summary_out(group: WorkingGroup) -> WorkingGroupSummaryOut:
    return WorkingGroupSummaryOut(id=group.id, name=LocalizedText(**group.name),
                                  purpose=LocalizedText(**group.purpose), themes=list(group.themes))


def member_out(member: WorkingGroupMember) -> MemberOut:
    return MemberOut(id=member.id, name=member.name, email=member.email, language=member.language,
                     municipality_code=member.municipality_code, position=member.position, role=member.role,
                     joined_on=member.joined_on, left_on=member.left_on)


def meeting_out(meeting: WorkingGroupMeeting, attendance) -> MeetingOut:
    return MeetingOut(id=meeting.id, group_id=meeting.group_id, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                      venue=meeting.venue, online_url=meeting.online_url, agenda=list(meeting.agenda),
                      status=meeting.status,
                      attendance=[PresenceOut(member_id=a.member_id, present=a.present) for a in attendance],
                      minutes=meeting.minutes, minutes_published_at=meeting.minutes_published_at)


def proposal_out(proposal: WorkingGroupProposal) -> ProposalOut:
    return ProposalOut(id=proposal.id, group_id=proposal.group_id, meeting_id=proposal.meeting_id,
                       title=LocalizedText(**proposal.title), text=proposal.text, adopted_on=proposal.adopted_on,
                       status=proposal.status)


def _seat(member: WorkingGroupMember) -> Seat:
    return Seat(member.id, member.email_key, member.role, member.joined_on, member.left_on)


def _seats(repo: WorkingGroupRepository, group_id) -> list[Seat]:
    return [_seat(m) for m in repo.members(group_id)]


def _member_fields(group: WorkingGroup, member: WorkingGroupMember, meeting: WorkingGroupMeeting) -> dict:
    return dict(group_id=group.id, group_name=LocalizedText(**group.name), member_id=member.id,
                member=Person(name=member.name, email=member.email, municipality_code=member.municipality_code,
                              position=member.position, language=member.language),
                role=member.role, meeting_id=meeting.id, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                venue=meeting.venue, online_url=meeting.online_url)
