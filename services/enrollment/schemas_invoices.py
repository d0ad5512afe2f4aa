"""Bodies and queries of the invoices (issue 18 item 7; rules in domain/invoices.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator

from services.enrollment.domain.invoices import DEFAULT_DUE_DAYS, MAX_DUE_DAYS
from services.enrollment.schemas import Paging, StrictModel
from shared.events.types import LocalizedText, check_municipality
from shared.limits import MULTI_LINE, SINGLE_LINE
from shared.model import Model
from shared.reference import MunicipalityCode


class IssueInvoicesIn(StrictModel):
    """Issue the session's invoices: one per municipality with confirmed participants that has none
    yet (all of them, or the one named)."""

    municipality_code: MunicipalityCode | None = Field(default=None, description="only this municipality's")
    due_days: int = Field(default=DEFAULT_DUE_DAYS, ge=1, le=MAX_DUE_DAYS,
                          description="days from the day of issue to the payment's due day")

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class PayInvoiceIn(StrictModel):
    paid_on: date = Field(description="the day the payment came (Lithuanian date; not ahead, not before issue)")
    reference: str | None = Field(default=None, min_length=1, max_length=100, pattern=SINGLE_LINE,
                                  description="the payment's reference (bank statement line, order number)")
    version: int | None = Field(default=None, ge=1, le=100000,
                                description="the version the payer saw: 409 invoice_revised if it was "
                                            "recalculated since")


class WaiveInvoiceIn(StrictModel):
    reason: str = Field(min_length=3, max_length=1000, pattern=MULTI_LINE, description="why it is not charged")


class InvoiceQuery(Paging):
    sort: Literal["-issued_at", "issued_at", "number", "-number"] = "-issued_at"
    session_id: UUID | None = None
    municipality_code: MunicipalityCode | None = None
    status: Literal["issued", "paid", "waived"] | None = None

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class InvoiceDocumentQuery(StrictModel):
    version: int | None = Field(default=None, ge=1, le=100000, description="an earlier version (default: the "
                                                                           "current one)")


class InvoiceVersionOut(Model):
    version: int
    reason: str = Field(description="issued, or recalculated (a cancellation or late enrolment before the cut-off)")
    participants: int
    unit_price_eur: Decimal
    amount_eur: Decimal
    created_at: datetime


class InvoiceLineOut(Model):
    line: int
    enrollment_id: UUID
    name: str
    position: str | None
    amount_eur: Decimal


class InvoiceOut(Model):
    id: UUID
    number: str
    session_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    municipality_code: MunicipalityCode
    municipality: str = Field(description="the municipality's name (Lithuanian)")
    currency: str = "EUR"
    version: int = Field(description="1 when issued; raised by each recalculation before the cut-off")
    participants: int
    unit_price_eur: Decimal
    amount_eur: Decimal
    status: Literal["issued", "paid", "waived"]
    issued_at: datetime
    issued_by: str
    due_on: date
    invoice_cutoff_at: datetime = Field(description="until then cancellations and late enrolments recalculate it")
    paid_on: date | None = None
    paid_at: datetime | None = None
    paid_by: str | None = None
    payment_reference: str | None = None
    paid_amount_eur: Decimal | None = None
    waived_at: datetime | None = None
    waived_by: str | None = None
    waive_reason: str | None = None
    pdf_url: str = Field(description="the invoice as PDF (this API, with a token)")
    csv_url: str = Field(description="the invoice's lines as CSV (this API, with a token)")


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut] = Field(description="the current version's participants")
    versions: list[InvoiceVersionOut] = Field(description="every version, oldest first; none is ever changed")
