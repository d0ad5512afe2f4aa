"""Certificates and sign-in sheets as PDF files (fpdf2, with a QR code drawn by segno).

Pure: plain values in, bytes out; no database, no nameko. Text is set in DejaVu Sans, a TTF font
embedded in the file, so Lithuanian letters (ąčęėįšųūž) print and are searchable. The fpdf2 wheel
ships no such font, and a fresh machine (where `bin/savivalda run` needs only Python) may have none,
so the project carries DejaVu Sans 2.37 in services/enrollment/fonts/ (its licence beside it);
`SAVIVALDA_PDF_FONT_DIR` names another folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2 and segno are imported when the first PDF is made, not when the service starts: they are
# the largest imports of the enrollment service (docs/performance.md, embedded start).

VILNIUS = ZoneInfo("Europe/Vilnius")
FONT_DIRS = (str(Path(__file__).resolve().parents[1] / "fonts"), "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu",
             "/opt/homebrew/share/fonts/dejavu")
FONT = "DejaVu"


class FontMissing(RuntimeError):
    """No DejaVu Sans TTF where the PDFs look for it (services/enrollment/fonts/ is missing)."""


@lru_cache(maxsize=1)
def font_files() -> tuple[Path, Path]:
    """(regular, bold) DejaVu Sans files: $SAVIVALDA_PDF_FONT_DIR first, then Debian's and others' places."""
    folders = [os.environ["SAVIVALDA_PDF_FONT_DIR"]] if os.environ.get("SAVIVALDA_PDF_FONT_DIR") else []
    for folder in (*folders, *FONT_DIRS):
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FontMissing("DejaVuSans.ttf not found in " + ", ".join((*folders, *FONT_DIRS))
                      + ": reinstall the package or set SAVIVALDA_PDF_FONT_DIR")


def _document(orientation: str = "P") -> FPDF:
    from fpdf import FPDF

    regular, bold = font_files()
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_creator("Savivalda")
    pdf.set_auto_page_break(auto=True, margin=15)
    return pdf


def local_date(moment: datetime) -> str:
    return moment.astimezone(VILNIUS).strftime("%Y-%m-%d")


def hours_text(hours: Decimal) -> str:
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------- certificates
@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate prints, in both languages where it has two."""

    number: str
    verification_code: str
    holder_name: str
    course_title_lt: str
    course_title_en: str
    hours: Decimal
    themes: tuple[tuple[str, str], ...]  # (Lithuanian label, English label)
    starts_at: datetime
    ends_at: datetime
    issued_at: datetime
    valid_until: datetime | None
    status: str  # valid, expired or revoked
    verify_url: str
    issuer: str = "Savivaldybių mokymo ir konsultavimo centras / Municipal training and consulting centre"
    learning_system: str | None = None


STATUS_WORDS = {"valid": ("Galioja", "Valid"), "expired": ("Nebegalioja", "Expired"),
                "revoked": ("Atšauktas", "Revoked")}


def qr_png(url: str) -> bytes:
    """The link as a QR code (PNG, error correction M), for the PDF and anyone who wants the image."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def certificate_pdf(facts: CertificateFacts) -> bytes:
    """One A4 page: Lithuanian first, English under it; the number, holder, course, hours, themes,
    dates, the verification code, link and its QR code."""
    pdf = _document()
    pdf.set_title(f"Pažymėjimas / Certificate {facts.number}")
    pdf.set_subject(facts.number)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font(FONT, "B", 24)
    pdf.cell(width, 12, "PAŽYMĖJIMAS", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 16)
    pdf.cell(width, 9, "CERTIFICATE", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    pdf.cell(width, 7, f"Nr. / No. {facts.number}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(width, 10, facts.holder_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(width, 6, "baigė mokymo kursą / has completed the training course", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(width, 8, facts.course_title_lt, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    if facts.course_title_en != facts.course_title_lt:
        pdf.multi_cell(width, 7, facts.course_title_en, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    dates = local_date(facts.starts_at)
    if local_date(facts.ends_at) != dates:
        dates += " – " + local_date(facts.ends_at)
    lines = [
        ("Trukmė / Duration", f"{hours_text(facts.hours)} val. / hours"),
        ("Data / Dates", dates),
    ]
    if facts.themes:
        lines.append(("Temos / Themes", "; ".join(f"{lt} / {en}" for lt, en in facts.themes)))
    if facts.learning_system:
        lines.append(("Mokymosi sistema / Learning system", facts.learning_system))
    lines.append(("Išduotas / Issued", local_date(facts.issued_at)))
    lines.append(("Galioja iki / Valid until",
                  local_date(facts.valid_until) if facts.valid_until else "neterminuotai / no expiry"))
    lt_status, en_status = STATUS_WORDS.get(facts.status, (facts.status, facts.status))
    lines.append(("Būsena / Status", f"{lt_status} / {en_status}"))
    label_width = 62
    for label, value in lines:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(label_width, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width - label_width, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    top = pdf.get_y()
    size = 38
    pdf.image(io.BytesIO(qr_png(facts.verify_url)), x=pdf.l_margin, y=top, w=size, h=size)
    pdf.set_xy(pdf.l_margin + size + 5, top)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width - size - 5, 6, "Patikrinti / Verify", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + size + 5)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(width - size - 5, 5,
                   f"Patikros kodas / Verification code: {facts.verification_code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + size + 5)
    pdf.multi_cell(width - size - 5, 5, facts.verify_url, link=facts.verify_url, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + size) + 8)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(width, 5, facts.issuer, align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# ---------------------------------------------------------------- sign-in sheets
@dataclass(frozen=True)
class SheetLine:
    name: str
    municipality: str
    position: str | None
    mode: str  # in_person or online


@dataclass(frozen=True)
class SheetFacts:
    course_title_lt: str
    course_title_en: str
    starts_at: datetime
    ends_at: datetime
    place: str
    trainer: str | None
    lines: tuple[SheetLine, ...]


MODE_WORDS = {"in_person": "Vietoje / In person", "online": "Nuotoliu / Online"}


def sign_in_sheet_pdf(sheet: SheetFacts) -> bytes:
    """A4 landscape: the session's heading, then one row per person with an empty signature box;
    the column headings repeat on every page."""
    pdf = _document("L")
    pdf.set_title(f"Dalyvių sąrašas / Sign-in sheet: {sheet.course_title_en}")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(width, 7, "Dalyvių registracijos lapas / Sign-in sheet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width, 6, sheet.course_title_lt, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    if sheet.course_title_en != sheet.course_title_lt:
        pdf.multi_cell(width, 6, sheet.course_title_en, new_x="LMARGIN", new_y="NEXT")
    start, end = sheet.starts_at.astimezone(VILNIUS), sheet.ends_at.astimezone(VILNIUS)
    when = f"{start:%Y-%m-%d %H:%M} – {end:%H:%M}" if start.date() == end.date() else \
        f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    pdf.multi_cell(width, 6, f"Laikas / Time: {when} (Vilnius)   Vieta / Place: {sheet.place}", new_x="LMARGIN",
                   new_y="NEXT")
    if sheet.trainer:
        pdf.multi_cell(width, 6, f"Lektorius / Trainer: {sheet.trainer}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "", 10)
    headings = ("Nr.", "Vardas, pavardė / Name", "Savivaldybė / Municipality", "Pareigos / Position",
                "Būdas / Mode", "Parašas / Signature")
    with pdf.table(col_widths=(8, 50, 40, 40, 30, 52), line_height=9, repeat_headings=1,
                   text_align="LEFT") as table:
        header = table.row()
        for heading in headings:
            header.cell(heading)
        for index, line in enumerate(sheet.lines, start=1):
            row = table.row()
            for value in (str(index), line.name, line.municipality, line.position or "",
                          MODE_WORDS.get(line.mode, line.mode), ""):
                row.cell(value)
    pdf.ln(4)
    pdf.cell(width, 6, f"Iš viso / Total: {len(sheet.lines)}")
    return bytes(pdf.output())
