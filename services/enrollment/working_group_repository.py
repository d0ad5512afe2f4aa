"""Storage of working groups: the queries of usecases/working_groups.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from services.enrollment.models import (
    WorkingGroup,
    WorkingGroupAttendance,
    WorkingGroupMeeting,
    WorkingGroupMember,
    WorkingGroupProposal,
)
from shared.errors import NotFound

MAX_SHOWN = 500  # members, meetings or proposals shown on a group's page


class WorkingGroupRepository:
    def __init__(self, session):
        self.session = session

    @classmethod
    def of(cls, uow) -> "WorkingGroupRepository":
        return cls(uow.session)

    def add(self, obj) -> None:
        self.session.add(obj)

    def group(self, group_id: uuid.UUID, *, lock: bool = False) -> WorkingGroup:
        """The group (locked: its membership and chair change one request at a time)."""
        query = select(WorkingGroup).where(WorkingGroup.id == group_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("working group", group_id)
        return found

    def groups_by_id(self, ids) -> dict[uuid.UUID, WorkingGroup]:
        ids = set(ids)
        if not ids:
            return {}
        return {g.id: g for g in self.session.scalars(select(WorkingGroup).where(WorkingGroup.id.in_(ids)))}

    def all_groups(self) -> list[WorkingGroup]:
        return list(self.session.scalars(select(WorkingGroup).order_by(WorkingGroup.created_at)))

    def members(self, group_id: uuid.UUID) -> list[WorkingGroupMember]:
        return list(self.session.scalars(
            select(WorkingGroupMember).where(WorkingGroupMember.group_id == group_id)
            .order_by(WorkingGroupMember.left_on.is_not(None), WorkingGroupMember.joined_on, WorkingGroupMember.name)
            .limit(MAX_SHOWN)))

    def member(self, group_id: uuid.UUID, member_id: uuid.UUID) -> WorkingGroupMember:
        found = self.session.get(WorkingGroupMember, member_id)
        if found is None or found.group_id != group_id:
            raise NotFound("working group member", member_id)
        return found

    def meeting(self, group_id: uuid.UUID, meeting_id: uuid.UUID, *, lock: bool = False) -> WorkingGroupMeeting:
        query = select(WorkingGroupMeeting).where(WorkingGroupMeeting.id == meeting_id,
                                                  WorkingGroupMeeting.group_id == group_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("working group meeting", meeting_id)
        return found

    def meetings(self, group_id: uuid.UUID) -> list[WorkingGroupMeeting]:
        return list(self.session.scalars(
            select(WorkingGroupMeeting).where(WorkingGroupMeeting.group_id == group_id)
            .order_by(WorkingGroupMeeting.starts_at.desc()).limit(MAX_SHOWN)))

    def attendance(self, meeting_ids) -> dict[uuid.UUID, list[WorkingGroupAttendance]]:
        meeting_ids = list(meeting_ids)
        result: dict[uuid.UUID, list[WorkingGroupAttendance]] = {m: [] for m in meeting_ids}
        if not meeting_ids:
            return result
        for row in self.session.scalars(select(WorkingGroupAttendance)
                                        .where(WorkingGroupAttendance.meeting_id.in_(meeting_ids))):
            result[row.meeting_id].append(row)
        return result

    def proposals(self, group_id: uuid.UUID, meeting_id: uuid.UUID | None = None) -> list[WorkingGroupProposal]:
        query = select(WorkingGroupProposal).where(WorkingGroupProposal.group_id == group_id)
        if meeting_id is not None:
            query = query.where(WorkingGroupProposal.meeting_id == meeting_id)
        return list(self.session.scalars(query.order_by(WorkingGroupProposal.adopted_on.desc(),
                                                        WorkingGroupProposal.created_at.desc()).limit(MAX_SHOWN)))

    # ---------------------------------------------------------------- report
    def current_seats(self) -> list[tuple[uuid.UUID, str]]:
        """(group, municipality) of every current seat."""
        return [tuple(r) for r in self.session.execute(
            select(WorkingGroupMember.group_id, WorkingGroupMember.municipality_code)
            .where(WorkingGroupMember.left_on.is_(None)))]

    def meeting_rows(self) -> list[tuple[uuid.UUID, uuid.UUID, str, datetime]]:
        """(meeting, group, status, ends_at) of every meeting."""
        return [tuple(r) for r in self.session.execute(
            select(WorkingGroupMeeting.id, WorkingGroupMeeting.group_id, WorkingGroupMeeting.status,
                   WorkingGroupMeeting.ends_at))]

    def presences(self) -> list[tuple[uuid.UUID, uuid.UUID, str, bool]]:
        """(group, meeting, municipality, present) of every attendance recorded."""
        return [tuple(r) for r in self.session.execute(
            select(WorkingGroupMeeting.group_id, WorkingGroupAttendance.meeting_id,
                   WorkingGroupMember.municipality_code, WorkingGroupAttendance.present)
            .join(WorkingGroupMeeting, WorkingGroupMeeting.id == WorkingGroupAttendance.meeting_id)
            .join(WorkingGroupMember, WorkingGroupMember.id == WorkingGroupAttendance.member_id))]

    def proposal_counts(self) -> dict[uuid.UUID, int]:
        return dict(self.session.execute(select(WorkingGroupProposal.group_id, func.count())
                                         .group_by(WorkingGroupProposal.group_id)).all())

    # ---------------------------------------------------------------- erasure
    def seats_of_person(self, email_key: str) -> list[WorkingGroupMember]:
        return list(self.session.scalars(select(WorkingGroupMember).where(WorkingGroupMember.email_key == email_key)))


def working_group_municipalities(service, group_id) -> set[str]:
    """Owner lookup for Tenancy.shared: the municipalities whose people sit in the group now."""
    return set(service.db.session.scalars(
        select(WorkingGroupMember.municipality_code).where(WorkingGroupMember.group_id == group_id,
                                                           WorkingGroupMember.left_on.is_(None))))
