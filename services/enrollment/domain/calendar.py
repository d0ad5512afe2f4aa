"""iCalendar (RFC 5545) files for sessions and for a person's enrolments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

PRODUCT_ID = "-//Savivalda//Training enrolment//EN"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    location: str | None = None
    url: str | None = None
    status: str = "CONFIRMED"  # CONFIRMED, TENTATIVE (waitlisted, offered) or CANCELLED
    stamp: datetime | None = None
    # Raised on every change of the entry (RFC 5545 3.8.7.4): with the same UID, a calendar
    # replaces the older version of the entry it already has.
    sequence: int = 0


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (never splitting a
    UTF-8 character)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def render(entries: list[CalendarEntry], name: str, now: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODUCT_ID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for entry in entries:
        lines += ["BEGIN:VEVENT", f"UID:{entry.uid}", f"DTSTAMP:{_utc(entry.stamp or now)}",
                  f"SEQUENCE:{entry.sequence}", f"DTSTART:{_utc(entry.starts_at)}", f"DTEND:{_utc(entry.ends_at)}",
                  f"SUMMARY:{escape(entry.summary)}", f"STATUS:{entry.status}"]
        if entry.description:
            lines.append(f"DESCRIPTION:{escape(entry.description)}")
        if entry.location:
            lines.append(f"LOCATION:{escape(entry.location)}")
        if entry.url:
            lines.append(f"URL:{entry.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
