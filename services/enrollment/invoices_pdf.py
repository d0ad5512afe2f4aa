"""An invoice as PDF (issue 18 item 7): plain values in, bytes out.

Set like the certificates and sign-in sheets (domain/certificate_pdf.py: DejaVu Sans embedded, so
Lithuanian letters print and stay searchable); fpdf2 is imported when the first PDF is made, not
when the service starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.enrollment.domain.certificate_pdf import FONT, VILNIUS, _document, local_date

SELLER = ("Lietuvos savivaldybių asociacija, Mokymo ir konsultavimo centras",
          "Association of Local Authorities in Lithuania, Training and Consulting Centre")
STATUS_WORDS = {"issued": ("išrašyta, neapmokėta", "issued, not paid"), "paid": ("apmokėta", "paid"),
                "waived": ("atleista nuo mokėjimo", "waived")}


@dataclass(frozen=True)
class InvoiceFacts:
    number: str
    version: int
    latest_version: int
    status: str
    issued_at: datetime
    due_on: date
    municipality: str
    municipality_code: str
    course_title_lt: str
    course_title_en: str
    starts_at: datetime
    ends_at: datetime
    lines: tuple[tuple[str, str | None, Decimal], ...]  # (name, position, amount)
    amount_eur: Decimal
    currency: str
    paid_on: date | None
    payment_reference: str | None
    waive_reason: str | None
    version_created_at: datetime


def money(amount: Decimal, currency: str = "EUR") -> str:
    return f"{amount:.2f} {currency}"


def invoice_pdf_bytes(facts: InvoiceFacts) -> bytes:
    """A4 portrait: seller and buyer, the session, one line per participant, the total and status."""
    pdf = _document("P")
    pdf.set_title(f"Sąskaita / Invoice {facts.number}")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(width, 8, "Sąskaita faktūra / Invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width, 7, f"Nr. / No. {facts.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    start, end = facts.starts_at.astimezone(VILNIUS), facts.ends_at.astimezone(VILNIUS)
    when = f"{start:%Y-%m-%d %H:%M} – {end:%H:%M}" if start.date() == end.date() else \
        f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    lt_status, en_status = STATUS_WORDS.get(facts.status, (facts.status, facts.status))
    rows = [
        ("Išrašyta / Issued", local_date(facts.issued_at)),
        ("Apmokėti iki / Due", facts.due_on.isoformat()),
        ("Versija / Version", f"{facts.version}" + (f" (perskaičiuota {local_date(facts.version_created_at)} / "
                                                    f"recalculated)" if facts.version > 1 else "")
         + ("" if facts.version == facts.latest_version else f" – ne naujausia / not the latest ({facts.latest_version})")),
        ("Pardavėjas / Seller", f"{SELLER[0]} / {SELLER[1]}"),
        ("Pirkėjas / Buyer", f"{facts.municipality} ({facts.municipality_code})"),
        ("Mokymai / Training", f"{facts.course_title_lt} / {facts.course_title_en}"),
        ("Laikas / Time", f"{when} (Vilnius)"),
        ("Būsena / Status", f"{lt_status} / {en_status}"),
    ]
    if facts.status == "paid" and facts.paid_on:
        rows.append(("Apmokėta / Paid on", facts.paid_on.isoformat()
                     + (f", {facts.payment_reference}" if facts.payment_reference else "")))
    if facts.status == "waived" and facts.waive_reason:
        rows.append(("Priežastis / Reason", facts.waive_reason))
    label_width = 52
    for label, value in rows:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(label_width, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width - label_width, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(12, 70, 60, 38), line_height=7, repeat_headings=1, text_align="LEFT") as table:
        header = table.row()
        for heading in ("Nr.", "Dalyvis / Participant", "Pareigos / Position", "Suma / Amount"):
            header.cell(heading)
        for number, (name, position, amount) in enumerate(facts.lines, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(name)
            row.cell(position or "")
            row.cell(money(amount, facts.currency))
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width, 7, f"Iš viso / Total: {money(facts.amount_eur, facts.currency)} "
                             f"({len(facts.lines)} dalyv. / participants)", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.ln(4)
    pdf.multi_cell(width, 4, "Sąskaita perskaičiuojama, kai dalyviai atsisako "
                             "iki sąskaitų termino; vėliau ji nekinta. / The invoice is recalculated when "
                             "participants cancel before the invoicing cut-off; afterwards it stands.",
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
