"""Fees invoiced to municipalities (issue 18 item 7): the rules, pure.

A session with a fee is invoiced per municipality: one invoice for the municipality's confirmed
participants, the session's fee each. Money is counted in integer cents of EUR (the fee is at most
100 000.00 EUR and a session at most 20 000 seats, so an invoice stays far below 2^63 cents).

- Numbers `SAV-SF-<year>-<serial>` (the year of issue in Lithuanian time): the serial is taken from
  a counter row locked in the issuing transaction, so numbers are unique and gap-free.
- Status: `issued`, then `paid` or `waived` — both final. A paid invoice is never changed; a waived
  one is not paid.
- Until the session's invoicing cut-off (by default its start) a cancellation or a late enrolment
  recalculates the municipality's issued invoice as a new version (the earlier ones stay as they
  were); from the cut-off on, the invoice stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Iterable
from uuid import UUID
from zoneinfo import ZoneInfo

from services.enrollment.domain.figures import local_month
from shared.errors import Conflict, RuleViolation
from shared.reference import MUNICIPALITIES

VILNIUS = ZoneInfo("Europe/Vilnius")
CURRENCY = "EUR"
SERIES = "SAV-SF"
DEFAULT_DUE_DAYS = 30
MAX_DUE_DAYS = 120
CENT = Decimal("0.01")


class InvoiceStatus(str, Enum):
    ISSUED = "issued"
    PAID = "paid"
    WAIVED = "waived"


class VersionReason(str, Enum):
    ISSUED = "issued"
    RECALCULATED = "recalculated"


def cents(amount_eur: Decimal) -> int:
    """EUR to integer cents (a fee has at most two decimals; anything finer is rounded half up)."""
    return int((Decimal(amount_eur) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def eur(amount_cents: int) -> Decimal:
    """Integer cents to EUR with two decimals."""
    return (Decimal(amount_cents) / 100).quantize(CENT)


def invoice_number(year: int, serial: int) -> str:
    return f"{SERIES}-{year}-{serial:04d}"


def local_year(moment: datetime) -> int:
    return moment.astimezone(VILNIUS).year


def due_on(issued_at: datetime, days: int) -> date:
    """The payment's due day: `days` after the day of issue (Lithuanian time)."""
    return issued_at.astimezone(VILNIUS).date() + timedelta(days=days)


def cutoff_of(starts_at: datetime, invoice_cutoff_at: datetime | None) -> datetime:
    """Until when an issued invoice follows cancellations and late enrolments: the session's own
    cut-off, never later than its start (a start moved earlier takes the cut-off along)."""
    if invoice_cutoff_at is None:
        return starts_at
    return min(invoice_cutoff_at, starts_at)


def check_cutoff(invoice_cutoff_at: datetime | None, starts_at: datetime) -> None:
    """A session's cut-off falls at or before its start (422 naming `invoice_cutoff_at`)."""
    if invoice_cutoff_at is not None and invoice_cutoff_at > starts_at:
        raise RuleViolation("the invoicing cut-off must be at or before the session's start",
                            field="invoice_cutoff_at")


def check_issuable(fee_eur: Decimal, session_status: str) -> None:
    """Only a session with a fee is invoiced, and not a cancelled one (409)."""
    if session_status == "cancelled":
        raise Conflict("the session is cancelled: nothing to invoice", code="session_cancelled")
    if fee_eur <= 0:
        raise Conflict("the session is free: it has no fee to invoice", code="session_free")


@dataclass(frozen=True)
class Lines:
    """What one version of an invoice charges: the enrolments (in arrival order) at the unit price."""

    enrollment_ids: tuple[UUID, ...]
    unit_price_cents: int

    @property
    def participants(self) -> int:
        return len(self.enrollment_ids)

    @property
    def amount_cents(self) -> int:
        return self.participants * self.unit_price_cents

    def same_as(self, enrollment_ids: Iterable, unit_price_cents: int) -> bool:
        return (unit_price_cents == self.unit_price_cents
                and sorted(map(str, enrollment_ids)) == sorted(map(str, self.enrollment_ids)))


def lines_of(confirmed: Iterable[UUID], fee_eur: Decimal) -> Lines:
    return Lines(tuple(confirmed), cents(fee_eur))


def revision(status: str, now: datetime, cutoff: datetime, latest: Lines, current: Lines) -> Lines | None:
    """The new version an issued invoice gets when its confirmed participants changed before the
    cut-off; None when it stands (paid, waived, past the cut-off, or nothing changed)."""
    if status != InvoiceStatus.ISSUED.value or now >= cutoff:
        return None
    if latest.same_as(current.enrollment_ids, current.unit_price_cents):
        return None
    return current


def check_payable(status: str, version: int, expected_version: int | None) -> None:
    """issued -> paid. Paying a paid or waived invoice, or a version other than the one the payer
    saw (it was recalculated meanwhile), is 409."""
    if status == InvoiceStatus.PAID.value:
        raise Conflict("the invoice is already paid; a paid invoice is never changed", code="invoice_paid")
    if status == InvoiceStatus.WAIVED.value:
        raise Conflict("the invoice was waived; a waived invoice is not paid", code="invoice_waived")
    if expected_version is not None and expected_version != version:
        raise Conflict(f"the invoice was recalculated: it is at version {version}, not {expected_version}",
                       code="invoice_revised")


def check_waivable(status: str) -> None:
    """issued -> waived. A paid invoice is never changed; a waived one stays waived (409)."""
    if status == InvoiceStatus.PAID.value:
        raise Conflict("the invoice is already paid; a paid invoice is never changed", code="invoice_paid")
    if status == InvoiceStatus.WAIVED.value:
        raise Conflict("the invoice is already waived", code="invoice_waived")


def check_paid_on(paid_on: date, issued_at: datetime, today: date) -> None:
    """The day the money came: not before the invoice was issued, not in the future (422)."""
    if paid_on > today:
        raise RuleViolation("paid_on cannot be in the future", field="paid_on")
    if paid_on < issued_at.astimezone(VILNIUS).date():
        raise RuleViolation("paid_on cannot be before the invoice was issued", field="paid_on")


@dataclass
class Amounts:
    """Invoiced and paid amounts (cents) for a report line."""

    invoices: int = 0
    invoiced_cents: int = 0
    paid_cents: int = 0
    waived_cents: int = 0
    outstanding_cents: int = 0

    def add(self, status: str, amount_cents: int, paid_amount_cents: int | None) -> None:
        self.invoices += 1
        self.invoiced_cents += amount_cents
        if status == InvoiceStatus.PAID.value:
            self.paid_cents += paid_amount_cents if paid_amount_cents is not None else amount_cents
        elif status == InvoiceStatus.WAIVED.value:
            self.waived_cents += amount_cents
        else:
            self.outstanding_cents += amount_cents

    def as_eur(self) -> dict:
        return {"invoices": self.invoices, "invoiced_eur": eur(self.invoiced_cents), "paid_eur": eur(self.paid_cents),
                "waived_eur": eur(self.waived_cents), "outstanding_eur": eur(self.outstanding_cents)}


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice as the summary report counts it."""

    municipality_code: str
    starts_at: datetime  # the session's
    themes: tuple[str, ...]  # the session's course's
    status: str
    amount_cents: int
    paid_amount_cents: int | None


def amounts_by_group(group_by: str, invoices: Iterable[InvoiceFacts]) -> tuple[dict[str, Amounts], Amounts]:
    """Invoiced, paid, waived and outstanding amounts per report group and in total: by the
    invoice's municipality (or its county) or by the session's themes, month or year, as the
    summary report groups its other figures. An invoice counts once in the total."""
    groups: dict[str, Amounts] = {}
    total = Amounts()
    for invoice in invoices:
        if group_by == "municipality":
            keys = [invoice.municipality_code]
        elif group_by == "region":
            keys = [MUNICIPALITIES[invoice.municipality_code].region]
        elif group_by == "theme":
            keys = list(invoice.themes) or ["unspecified"]
        elif group_by == "month":
            keys = [local_month(invoice.starts_at)]
        elif group_by == "year":
            keys = [str(local_year(invoice.starts_at))]
        else:
            raise ValueError(group_by)
        total.add(invoice.status, invoice.amount_cents, invoice.paid_amount_cents)
        for key in keys:
            groups.setdefault(key, Amounts()).add(invoice.status, invoice.amount_cents, invoice.paid_amount_cents)
    return groups, total
