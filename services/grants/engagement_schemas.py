"""Request and response bodies of the consulting engagements API (services/grants/usecases/engagements.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator

from services.grants.domain.engagements import MAX_DELIVERABLES, MAX_GROUP, OUTCOMES, STATUSES
from services.grants.schemas import ConsultationOut, ContactIn, ContactOut, StrictModel
from shared.events.types import check_municipality, check_themes
from shared.limits import ShortText
from shared.model import Model
from shared.reference import MunicipalityCode, ThemeCode

EngagementStatusCode = Literal["requested", "agreed", "in_progress", "closed", "declined"]
Outcome = Literal["achieved", "partly_achieved", "not_achieved"]
assert set(EngagementStatusCode.__args__) == set(STATUSES) and set(Outcome.__args__) == set(OUTCOMES)
GROUPINGS = ("municipality", "theme", "consultant", "status")


def _theme(value: str) -> str:
    check_themes([value])
    return value


class EngagementIn(StrictModel):
    municipality_code: MunicipalityCode = Field(description="the municipality that asks (a group's lead)")
    group_municipality_codes: list[MunicipalityCode] = Field(
        default_factory=list, max_length=MAX_GROUP - 1,
        description="the other municipalities of a group the engagement serves (each sees it)")
    theme: ThemeCode
    title: ShortText = Field(description="e.g. Organisation development study")
    description: str = Field(min_length=1, max_length=5000, description="what help the municipality asks for")
    contact: ContactIn | None = Field(default=None, description="the municipality's contact person")

    _municipality = field_validator("municipality_code")(check_municipality)
    _group = field_validator("group_municipality_codes")(lambda v: [check_municipality(c) for c in v])
    _theme = field_validator("theme")(_theme)


class DeliverableIn(StrictModel):
    title: ShortText
    due_on: date


class AgreementIn(StrictModel):
    scope: str = Field(min_length=1, max_length=5000, description="what the centre agreed to do")
    consultant: ContactIn = Field(description="the centre's consultant assigned to the engagement")
    agreed_on: date | None = Field(default=None, description="default today")
    deliverables: list[DeliverableIn] = Field(min_length=1, max_length=MAX_DELIVERABLES)


class DeclineIn(StrictModel):
    reason: str = Field(min_length=1, max_length=2000)


class DeliveryIn(StrictModel):
    delivered_on: date | None = Field(default=None, description="default today")
    note: str | None = Field(default=None, max_length=2000)


class ClosureIn(StrictModel):
    outcome: Outcome = Field(description="achieved needs every deliverable delivered")
    outcome_summary: str = Field(min_length=1, max_length=5000)
    closed_on: date | None = Field(default=None, description="default today")


class EngagementQuery(StrictModel):
    municipality_code: MunicipalityCode | None = Field(default=None, description="engagements serving it")
    status: EngagementStatusCode | None = None
    theme: ThemeCode | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=100_000)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _theme = field_validator("theme")(lambda v: v if v is None else _theme(v))


class EngagementReportQuery(StrictModel):
    group_by: Literal["municipality", "theme", "consultant", "status"] = "municipality"


assert set(GROUPINGS) == set(EngagementReportQuery.model_fields["group_by"].annotation.__args__)


class DeliverableOut(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    due_on: date
    delivered_on: date | None
    note: str | None
    late: bool = Field(description="past due and not delivered, or delivered after its due date")


class EngagementSummaryOut(Model):
    id: UUID
    municipality_code: str
    municipality_codes: list[str] = Field(description="every municipality it serves, the lead first")
    theme: str
    title: str
    status: EngagementStatusCode
    requested_on: date
    agreed_on: date | None
    closed_on: date | None
    consultant: ContactOut | None
    deliverables_due: int = Field(description="deliverables not delivered yet")
    late_deliverables: int


class EngagementOut(EngagementSummaryOut):
    description: str
    contact: ContactOut | None
    scope: str | None
    declined_on: date | None
    decline_reason: str | None
    outcome: Outcome | None
    outcome_summary: str | None
    deliverables: list[DeliverableOut]
    consultations: list[ConsultationOut]
    created_at: datetime
    updated_at: datetime


class EngagementReportRowOut(Model):
    group: str
    engagements: int
    by_status: dict[str, int]
    open: int = Field(description="requested, agreed or in progress")
    deliverables: int
    late_deliverables: int


class EngagementReportOut(Model):
    group_by: str
    municipality_code: str | None = Field(description="set when the report is limited to one municipality")
    rows: list[EngagementReportRowOut]
    totals: EngagementReportRowOut
