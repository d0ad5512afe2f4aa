"""Request and response bodies of working groups (usecases/working_groups.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from services.enrollment.domain.paging import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT
from shared.events.types import EMAIL_PATTERN, LocalizedText, check_municipality, check_themes, one_of
from shared.limits import MAX_ITEMS, Name, SINGLE_LINE
from shared.model import Model
from shared.reference import THEMES, MunicipalityCode, ThemeCode

check_theme = one_of(THEMES, "theme")

MAX_TEXT = 20000
AgendaItem = Annotated[str, Field(min_length=1, max_length=500, pattern=SINGLE_LINE)]


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


class WorkingGroupIn(StrictModel):
    name: LocalizedText = Field(description="the group's name in Lithuanian and English (public)")
    purpose: LocalizedText = Field(description="what the group studies or prepares (public)")
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS)

    _themes = field_validator("themes")(check_themes)


class WorkingGroupQuery(StrictModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")
    cursor: str | None = Field(default=None, min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$",
                               description="the X-Next-Cursor of the previous page")
    theme: ThemeCode | None = None

    _theme = field_validator("theme")(lambda v: v if v is None else check_theme(v))


class MemberIn(StrictModel):
    name: Name
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    language: Literal["lt", "en"] = "lt"
    municipality_code: MunicipalityCode
    position: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)
    role: Literal["member", "chair"] = "member"
    joined_on: date | None = Field(default=None, description="default today")

    _municipality = field_validator("municipality_code")(check_municipality)


class MemberChange(StrictModel):
    role: Literal["member", "chair"] | None = Field(default=None, description="the chair steps down to member "
                                                                              "before another is named")
    left_on: date | None = Field(default=None, description="the member leaves the group on this day")


class MeetingIn(StrictModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE)
    online_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    agenda: list[AgendaItem] = Field(min_length=1, max_length=MAX_ITEMS, description="the agenda items, in order")


class CancelMeetingIn(StrictModel):
    reason: str | None = Field(default=None, max_length=500, pattern=SINGLE_LINE, description="told to the members")


class PresenceIn(StrictModel):
    member_id: UUID
    present: bool


class MeetingAttendanceIn(StrictModel):
    records: list[PresenceIn] = Field(min_length=1, max_length=500)


class MinutesIn(StrictModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the minutes, told to every current member")


class ProposalIn(StrictModel):
    title: LocalizedText
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    adopted_on: date
    meeting_id: UUID | None = Field(default=None, description="the meeting of the group that adopted it")
    status: Literal["adopted", "submitted", "accepted", "rejected"] = Field(
        default="adopted", description="adopted by the group; submitted to the lawmaker or ministry; "
                                       "accepted or rejected there")


class WorkingGroupSummaryOut(Model):
    """What anyone may see of a group: its public name, purpose and themes."""

    id: UUID
    name: LocalizedText
    purpose: LocalizedText
    themes: list[str]


class MemberOut(Model):
    id: UUID
    name: str
    email: str
    language: str
    municipality_code: str
    position: str | None
    role: str
    joined_on: date
    left_on: date | None


class PresenceOut(Model):
    member_id: UUID
    present: bool


class MeetingOut(Model):
    id: UUID
    group_id: UUID
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_url: str | None
    agenda: list[str]
    status: str
    attendance: list[PresenceOut]
    minutes: str | None
    minutes_published_at: datetime | None


class ProposalOut(Model):
    id: UUID
    group_id: UUID
    meeting_id: UUID | None
    title: LocalizedText
    text: str
    adopted_on: date
    status: str


class WorkingGroupOut(WorkingGroupSummaryOut):
    created_at: datetime
    members: list[MemberOut] = Field(description="current members first, then those who left")
    meetings: list[MeetingOut] = Field(description="latest first")
    proposals: list[ProposalOut] = Field(description="latest adopted first")


class GroupReportLineOut(Model):
    group_id: UUID
    name: LocalizedText
    members: int = Field(description="current members")
    municipalities: int = Field(description="municipalities with a current member")
    meetings_held: int = Field(description="meetings that took place (ended, not cancelled)")
    meetings_upcoming: int
    attendance_rate: float | None = Field(description="present / recorded attendances (null: none recorded)")
    proposals: int


class MunicipalityReportLineOut(Model):
    municipality_code: str
    members: int = Field(description="current seats held by the municipality's people")
    meetings: int = Field(description="meetings with the attendance of its people recorded")
    attendance_rate: float | None


class WorkingGroupReportOut(Model):
    groups: list[GroupReportLineOut]
    municipalities: list[MunicipalityReportLineOut]
