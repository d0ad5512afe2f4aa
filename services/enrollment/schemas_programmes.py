"""Request and response bodies of training programmes of funded projects (usecases/programmes.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.events.types import CountryCode, LocalizedText
from shared.limits import MULTI_LINE, SINGLE_LINE
from shared.model import Model

ProjectNumber = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]*$",
                      description="the funder's project number, e.g. LT10-0006")


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


class FundedProjectOut(Model):
    id: UUID = Field(description="the grants service's project id")
    project_number: str
    programme_code: str | None
    funder: str | None
    title: str
    promoter: str
    status: str | None
    updated_at: datetime


class ProgrammeIn(StrictModel):
    project_number: str = ProjectNumber
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$",
                      description="short name, unique within the project, e.g. anti-corruption")
    title: LocalizedText
    description: LocalizedText | None = None


class ProgrammeCourseIn(StrictModel):
    course_id: UUID


class HistoryIn(StrictModel):
    kind: Literal["training", "conference", "training_and_conferences"] = "training"
    events_in_lithuania: int = Field(ge=0, le=10000)
    events_abroad: int = Field(default=0, ge=0, le=10000)
    abroad_countries: list[CountryCode] = Field(default_factory=list, max_length=30)
    participants: int = Field(ge=0, le=1_000_000)
    participants_abroad: int | None = Field(default=None, ge=0, le=1_000_000,
                                            description="null when the report does not split them by country")
    period: str | None = Field(default=None, max_length=40, pattern=SINGLE_LINE, description="e.g. 2014-2016")
    source: str = Field(min_length=1, max_length=1000, pattern=MULTI_LINE, description="where the figures come from")

    @field_validator("abroad_countries")
    @classmethod
    def _not_home(cls, countries: list[str]) -> list[str]:
        if "LT" in countries:
            raise ValueError("LT is not abroad")
        return countries

    @model_validator(mode="after")
    def _consistent(self):
        if self.events_in_lithuania + self.events_abroad == 0:
            raise ValueError("at least one event (events_in_lithuania or events_abroad)")
        if self.events_abroad and not self.abroad_countries:
            raise ValueError("abroad_countries: name the countries of the events abroad")
        if not self.events_abroad and self.abroad_countries:
            raise ValueError("abroad_countries: no events abroad")
        if self.participants_abroad is not None and self.participants_abroad > self.participants:
            raise ValueError("participants_abroad cannot exceed participants")
        return self


class HistoryOut(HistoryIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: datetime


class ProgrammeOut(Model):
    id: UUID
    project_id: UUID
    project_number: str
    code: str
    title: LocalizedText
    description: LocalizedText | None
    course_ids: list[UUID]
    session_ids: list[UUID]
    history: list[HistoryOut]
    created_at: datetime


class ProgrammeQuery(StrictModel):
    project_number: str | None = Field(default=None, min_length=1, max_length=60)


class ProjectReportQuery(StrictModel):
    format: Literal["json", "csv"] = "json"


class FiguresOut(Model):
    events: int
    participants: int = Field(description="attendances: each event's participants, as funders count them")
    events_in_lithuania: int
    events_abroad: int
    participants_in_lithuania: int | None = Field(description="null: a report counted did not split them")
    participants_abroad: int | None
    conferences: int
    countries_abroad: list[str]


class ProgrammeLineOut(FiguresOut):
    programme_id: UUID
    code: str
    title: LocalizedText


class ProjectReportOut(Model):
    project_id: UUID
    project_number: str
    title: str
    promoter: str
    funder: str | None
    programmes: list[ProgrammeLineOut]
    total: FiguresOut
