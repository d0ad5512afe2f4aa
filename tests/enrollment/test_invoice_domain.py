"""The fees' rules (domain/invoices.py), pure: money in cents, numbers, the cut-off, versions,
status changes and the report's amounts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.enrollment.domain.invoices import (
    Amounts,
    InvoiceFacts,
    Lines,
    amounts_by_group,
    cents,
    check_cutoff,
    check_issuable,
    check_paid_on,
    check_payable,
    check_waivable,
    cutoff_of,
    due_on,
    eur,
    invoice_number,
    lines_of,
    local_year,
    revision,
)
from shared.errors import Conflict, RuleViolation

START = datetime(2026, 12, 10, 7, tzinfo=timezone.utc)
A, B, C = (uuid.uuid4() for _ in range(3))


def test_money_is_counted_in_cents_and_shown_with_two_decimals():
    assert cents(Decimal("15")) == 1500 and cents(Decimal("0.01")) == 1 and cents(Decimal("100000.00")) == 10_000_000
    assert cents(Decimal("12.345")) == 1235  # (finer than a cent: half up)
    assert eur(3000) == Decimal("30.00") and str(eur(1)) == "0.01"
    assert lines_of([A, B], Decimal("15.00")).amount_cents == 3000


def test_numbers_are_per_year_of_issue_in_lithuanian_time():
    assert invoice_number(2026, 1) == "SAV-SF-2026-0001" and invoice_number(2026, 12345) == "SAV-SF-2026-12345"
    new_year_in_vilnius = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)  # 00:30 on 1 January there
    assert local_year(new_year_in_vilnius) == 2027
    assert due_on(new_year_in_vilnius, 30) == date(2027, 1, 31)


def test_the_cut_off_is_the_start_unless_set_earlier_and_never_after_it():
    assert cutoff_of(START, None) == START
    assert cutoff_of(START, START - timedelta(days=3)) == START - timedelta(days=3)
    assert cutoff_of(START - timedelta(days=5), START - timedelta(days=3)) == START - timedelta(days=5)  # start moved
    check_cutoff(START, START)
    with pytest.raises(RuleViolation) as refused:
        check_cutoff(START + timedelta(minutes=1), START)
    assert refused.value.field == "invoice_cutoff_at"


def test_only_a_session_with_a_fee_that_is_not_cancelled_is_invoiced():
    check_issuable(Decimal("0.01"), "scheduled")
    check_issuable(Decimal("15"), "completed")
    with pytest.raises(Conflict) as free:
        check_issuable(Decimal("0"), "scheduled")
    with pytest.raises(Conflict) as cancelled:
        check_issuable(Decimal("15"), "cancelled")
    assert (free.value.code, cancelled.value.code) == ("session_free", "session_cancelled")


def test_an_issued_invoice_follows_its_participants_until_the_cut_off_then_stands():
    issued = Lines((A, B), 1500)
    fewer = Lines((A,), 1500)
    before, after = START - timedelta(hours=1), START
    assert revision("issued", before, START, issued, fewer) == fewer
    assert revision("issued", before, START, issued, Lines((B, A), 1500)) is None  # the same people
    assert revision("issued", after, START, issued, fewer) is None  # at the cut-off: it stands
    assert revision("paid", before, START, issued, fewer) is None
    assert revision("waived", before, START, issued, fewer) is None
    assert revision("issued", before, START, issued, Lines((A, B, C), 1500)).amount_cents == 4500  # late enrolment
    assert revision("issued", before, START, issued, Lines((), 1500)).amount_cents == 0


def test_paid_and_waived_are_final():
    check_payable("issued", 2, None)
    check_payable("issued", 2, 2)
    check_waivable("issued")
    for call, code in ((lambda: check_payable("paid", 1, None), "invoice_paid"),
                       (lambda: check_payable("waived", 1, None), "invoice_waived"),
                       (lambda: check_payable("issued", 3, 2), "invoice_revised"),
                       (lambda: check_waivable("paid"), "invoice_paid"),
                       (lambda: check_waivable("waived"), "invoice_waived")):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == code


def test_the_day_paid_is_not_ahead_nor_before_the_issue():
    issued_at = datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)  # 30 November in Vilnius
    check_paid_on(date(2026, 11, 30), issued_at, date(2026, 12, 1))
    for paid_on in (date(2026, 11, 29), date(2026, 12, 2)):
        with pytest.raises(RuleViolation) as refused:
            check_paid_on(paid_on, issued_at, date(2026, 12, 1))
        assert refused.value.field == "paid_on"


def test_the_report_counts_invoiced_paid_waived_and_outstanding_per_group():
    facts = [InvoiceFacts("15", START, ("budgeting", "strategic_planning"), "paid", 3000, 3000),
             InvoiceFacts("57", START, ("budgeting",), "issued", 1500, None),
             InvoiceFacts("16", START + timedelta(days=40), ("budgeting",), "waived", 1500, None)]
    groups, total = amounts_by_group("municipality", facts)
    assert groups["15"].as_eur()["paid_eur"] == Decimal("30.00") and groups["57"].outstanding_cents == 1500
    assert (total.invoices, total.invoiced_cents, total.paid_cents, total.waived_cents, total.outstanding_cents) == (
        3, 6000, 3000, 1500, 1500)
    by_theme, theme_total = amounts_by_group("theme", facts)
    assert by_theme["budgeting"].invoiced_cents == 6000 and by_theme["strategic_planning"].invoiced_cents == 3000
    assert theme_total.invoiced_cents == 6000  # an invoice counts once in the total
    by_region, _ = amounts_by_group("region", facts)
    assert by_region["KU"].invoiced_cents == 3000 + 1500  # Kaunas city and Kaunas district
    by_month, _ = amounts_by_group("month", facts)
    assert set(by_month) == {"2026-12", "2027-01"}
    assert Amounts().as_eur()["invoiced_eur"] == Decimal("0.00")
