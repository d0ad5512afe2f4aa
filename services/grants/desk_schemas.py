"""Request and response bodies of the consultants' desk (domain/desk.py): the application list's
pages, sorts and filters, the workload view and a consultant's own desk."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from services.grants.domain.desk import KINDS
from services.grants.schemas import ApplicationStatus, ApplicationSummaryOut, StrictModel
from shared.events.types import EMAIL_PATTERN, check_municipality, check_themes
from shared.limits import MAX_ITEMS
from shared.model import Model
from shared.paging import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT
from shared.reference import MunicipalityCode, ThemeCode

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DeadlineKind = Literal["final_report", "interim_report", "official", "first_stage", "internal", "follow_up"]
assert set(DeadlineKind.__args__) == set(KINDS)
MAX_PER_DESK = 200


class ApplicationFilters(StrictModel):
    """The application list's filters (the CSV export takes the same, and the sort)."""

    sort: Literal["deadline", "-deadline", "created", "-created", "status", "-status", "municipality",
                  "-municipality"] = Field(default="-created", description="`-` for descending; deadline = the "
                                                                          "next deadline, none last")
    status: list[ApplicationStatus] = Field(default_factory=list, max_length=MAX_ITEMS)
    call_id: UUID | None = None
    municipality_code: MunicipalityCode | None = None
    funder: str | None = Field(default=None, min_length=1, max_length=200, description="the call's funder, exactly")
    programme_id: UUID | None = Field(default=None, description="the call's programme")
    theme: ThemeCode | None = None
    consultant: str | None = Field(default=None, min_length=3, max_length=254, pattern=EMAIL_PATTERN,
                                   description="the consultant's e-mail (any case)")
    deadline_from: date | None = Field(default=None, ge=EARLIEST, le=LATEST,
                                       description="next deadline on or after this day")
    deadline_to: date | None = Field(default=None, ge=EARLIEST, le=LATEST,
                                     description="next deadline on or before this day")

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _theme = field_validator("theme")(lambda v: v if v is None else check_themes(v))

    @field_validator("deadline_to")
    @classmethod
    def _range(cls, value: date | None, info: ValidationInfo):
        start = info.data.get("deadline_from")
        if value is not None and start is not None and start > value:
            raise ValueError("must not be before deadline_from")
        return value


class ApplicationListQuery(ApplicationFilters):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="applications per page")
    cursor: str | None = Field(default=None, min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$",
                               description="the X-Next-Cursor of the previous page")


class NextDeadlineOut(Model):
    kind: DeadlineKind
    on: date
    days_left: int = Field(description="negative: overdue (a report not submitted)")


class ApplicationListItemOut(ApplicationSummaryOut):
    next_deadline: NextDeadlineOut | None = Field(description="the earliest deadline still to meet (docs/grants.md)")


class WorkloadQuery(StrictModel):
    consultant: str | None = Field(default=None, min_length=3, max_length=254, pattern=EMAIL_PATTERN,
                                   description="one consultant's desk (e-mail, any case)")
    municipality_code: MunicipalityCode | None = None
    per_consultant: int = Field(default=20, ge=1, le=MAX_PER_DESK,
                                description="applications listed per consultant (the counts count all)")
    unassigned: bool = Field(default=True, description="also the open applications no consultant has")

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class DeskQuery(StrictModel):
    limit: int = Field(default=100, ge=1, le=MAX_PER_DESK, description="applications listed (the counts count all)")


class DeskCountsOut(Model):
    open: int
    by_status: dict[str, int]
    overdue: int = Field(description="next deadline past (a report not submitted)")
    due_soon: int = Field(description="next deadline within 7 days")


class DeskOut(Model):
    consultant_email: str | None = Field(description="null: open applications no consultant has yet")
    consultant_name: str | None
    counts: DeskCountsOut
    applications: list[ApplicationListItemOut] = Field(description="by next deadline (none last), oldest first")


class WorkloadOut(Model):
    as_of: date
    consultants: list[DeskOut]
