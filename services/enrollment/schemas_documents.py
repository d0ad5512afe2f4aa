"""Bodies and queries of the printable documents and bulk enrolment (issue 18 items 5 and 6)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.schemas import StrictModel
from shared.model import Model


class SignInSheetQuery(StrictModel):
    format: Literal["pdf", "csv"] = "pdf"


class BulkQuery(StrictModel):
    atomic: bool = Field(default=False, description="all or nothing: any refused row enrols nobody (422)")


class BulkFieldError(Model):
    field: str
    message: str


class BulkRefusal(Model):
    code: str = Field(description="validation, duplicate_row, registration_closed, forbidden, ...; "
                                  "not_applied: a valid row left out because an atomic batch was refused")
    detail: str
    field: str = Field(description="rows.<row>.<field>: the row number counts people from 1 (CSV: the line "
                                   "after the header)")
    errors: list[BulkFieldError]


class BulkRowOut(Model):
    row: int
    email: str | None
    outcome: str = Field(description="confirmed, waitlisted, offered, existing (enrolled already), refused, "
                                     "not_applied")
    enrollment_id: UUID | None
    status: str | None
    waitlist_position: int | None
    waiting_for: str | None
    manage_url: str | None
    reason: BulkRefusal | None


class BulkReportOut(Model):
    atomic: bool
    applied: bool = Field(description="false: an atomic batch was refused and nobody was enrolled")
    rows: list[BulkRowOut]
    totals: dict[str, int]
