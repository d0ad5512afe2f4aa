"""Figures for issue 18 item 5: how long a certificate PDF and a 100-person sign-in sheet take to
make (in process, the layout alone: fpdf2 with the DejaVu font embedded, segno's QR code).

    .venv/bin/python -m bench.documents [--repeat 20]

Prints the median and the slowest time per document and its size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal


def timed(fn, repeat: int) -> tuple[float, float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, max(times) * 1000, size


def layouts(repeat: int) -> None:
    from services.enrollment.domain.certificate_pdf import (
        CertificateFacts, SheetFacts, SheetLine, certificate_pdf, sign_in_sheet_pdf)

    now = datetime.now(timezone.utc)
    facts = CertificateFacts(
        number="SAV-2026-000042", verification_code="K7Q2-MX9P-4TWC-D4QG-88TN-8UDW-PYBQ", holder_name="Žydrūnė Ąžuolaitytė",
        course_title_lt="Biudžeto planavimas savivaldybėje", course_title_en="Municipal budget planning",
        hours=Decimal("6"), themes=(("Biudžeto planavimas ir finansai", "Budgeting and finance"),), starts_at=now,
        ends_at=now + timedelta(hours=6), issued_at=now, valid_until=None, status="valid",
        verify_url="https://mokymai.example.lt/enrollment/certificates/verify?number=SAV-2026-000042&code=K7Q2")
    sheet = SheetFacts("Biudžeto planavimas", "Budget planning", now, now + timedelta(hours=6), "Kaunas", "Jonas",
                       tuple(SheetLine(f"Dalyvė Nr. {n} Šarūnė", "Kauno miesto savivaldybė", "specialistė",
                                       "in_person") for n in range(100)))
    print("document                       median ms  slowest ms  bytes")
    for name, fn in (("certificate PDF", lambda: certificate_pdf(facts)),
                     ("sign-in sheet PDF, 100 people", lambda: sign_in_sheet_pdf(sheet))):
        median, slowest, size = timed(fn, repeat)
        print(f"{name:30} {median:9.1f}  {slowest:10.1f}  {size}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    layouts(args.repeat)


if __name__ == "__main__":
    main()
