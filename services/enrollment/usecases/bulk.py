"""Bulk enrolment (issue 18 item 6): a list of people from CSV or JSON, enrolled row by row with the
same rules as one enrolment (window, seats, quotas, waitlist, the same person twice), with a report
of what became of each row and why a refused row was refused. `atomic`: all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from typing import Any

from prometheus_client import Counter
from pydantic import ValidationError

from services.enrollment.domain.rules import normalise_email
from services.enrollment.notices import Links
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas import EnrollmentIn
from services.enrollment.schemas_documents import BulkQuery
from services.enrollment.usecases import enrolment
from shared.auth import Principal
from shared.errors import DomainError
from shared.http import Problem
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_ROWS = 500
MAX_BYTES = 256 * 1024  # 500 rows of ~500 bytes
COLUMNS = ("name", "email", "municipality_code", "position", "language", "attendance_mode")
REQUIRED = ("name", "email", "municipality_code")
# The request body, for the OpenAPI document (EnrollmentIn is there for POST .../enrollments).
BODY_SCHEMAS = {
    "text/csv": {"type": "string", "maxLength": 256 * 1024,
                 "description": f"a header line naming {', '.join(REQUIRED)} and optionally position, language, "
                                f"attendance_mode; then one person a line (at most {MAX_ROWS})",
                 "example": "name,email,municipality_code\r\nOna Žemaitytė,ona@vilnius.lt,57\r\n"},
    "application/json": {"type": "array", "minItems": 1, "maxItems": MAX_ROWS,
                         "items": {"$ref": "#/components/schemas/EnrollmentIn"}},
}

BULK_ROWS = Counter("savivalda_enrollment_bulk_rows_total",
                    "Rows of bulk enrolments by outcome: confirmed, waitlisted, offered, existing, refused",
                    ["outcome"])


def bad_input(detail: str, field: str, message: str | None = None, errors: list | None = None) -> Problem:
    return Problem(422, "Invalid request", detail, code="validation",
                   errors=errors or [{"field": field, "location": "body", "message": message or detail}])


# ---------------------------------------------------------------- reading the list
def parse_rows(content_type: str, raw: bytes) -> list[dict[str, Any]]:
    """The rows of a text/csv body (a header line naming COLUMNS; name, email, municipality_code
    required) or of a JSON list of enrolment bodies; at most MAX_ROWS. Row 1 is the first person."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_input("the body is not UTF-8", "body") from None
    if kind == "text/csv":
        rows = _csv_rows(text)
    elif kind == "application/json":
        rows = _json_rows(text)
    else:
        raise Problem(415, "Unsupported media type", "send text/csv (a header line, then one person a line) or "
                      "application/json (a list of enrolments)", code="unsupported_media_type")
    if not rows:
        raise bad_input("the list holds nobody", "rows", "at least one row")
    if len(rows) > MAX_ROWS:
        raise bad_input(f"{len(rows)} rows: at most {MAX_ROWS} in one request", "rows", f"at most {MAX_ROWS} rows")
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise bad_input("the CSV is empty: a header line is needed", "header")
        header = [h.strip().lower() for h in header]
        unknown = [h for h in header if h not in COLUMNS]
        missing = [c for c in REQUIRED if c not in header]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if unknown or missing or duplicated:
            problems = ([f"unknown column {h!r}" for h in unknown] + [f"missing column {c!r}" for c in missing]
                        + [f"column {h!r} twice" for h in duplicated])
            raise bad_input("wrong CSV header: " + "; ".join(problems) + f" (columns: {', '.join(COLUMNS)}; "
                            f"required: {', '.join(REQUIRED)})", "header", "; ".join(problems))
        rows = []
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue  # blank lines (a spreadsheet's trailing ones)
            if len(rows) >= MAX_ROWS:
                rows.append({})  # counted, not read: the request is refused for its size
                continue
            if len(line) != len(header):
                rows.append({"__error__": f"{len(line)} cells where the header has {len(header)}"})
                continue
            rows.append({k: v.strip() for k, v in zip(header, line) if v.strip() != ""})
        return rows
    except csv.Error as error:
        raise bad_input(f"the CSV cannot be read: {error}", "body") from None


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise bad_input(f"the body is not JSON: {error.msg} at line {error.lineno}", "body") from None
    if isinstance(data, dict) and set(data) == {"rows"}:
        data = data["rows"]
    if not isinstance(data, list):
        raise bad_input("send a JSON list of enrolments (or {\"rows\": [...]})", "body", "a list")
    return [row if isinstance(row, dict) else {"__error__": "not an object"} for row in data]


# ---------------------------------------------------------------- enrolling
def enroll_list(uow: UnitOfWork, links: Links, session_id, content_type: str, raw: bytes, principal: Principal,
                key: str | None, query: BulkQuery) -> tuple[int, dict]:
    """The request's list (parse_rows), enrolled (enroll_many)."""
    return enroll_many(uow, links, session_id, parse_rows(content_type, raw), principal, key, query.atomic)


def validate(rows: list[dict[str, Any]]) -> tuple[dict[int, EnrollmentIn], dict[int, dict]]:
    """Each row checked as one enrolment's body; (valid bodies, refusals) by row number (from 1).
    The same person (e-mail) twice in the list: the later row is refused."""
    valid, refused, seen = {}, {}, {}
    for number, row in enumerate(rows, start=1):
        if "__error__" in row:
            refused[number] = _refusal("validation", row["__error__"], f"rows.{number}")
            continue
        try:
            body = EnrollmentIn.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            refused[number] = _refusal("validation", f"row {number}: {where}: {first['msg']}",
                                       f"rows.{number}.{where}" if where else f"rows.{number}",
                                       errors=[{"field": f"rows.{number}." + ".".join(str(p) for p in e["loc"]),
                                                "message": e["msg"]} for e in error.errors()])
            continue
        key = normalise_email(body.email)
        if key in seen:
            refused[number] = _refusal("duplicate_row", f"row {number}: the same e-mail as row {seen[key]}",
                                       f"rows.{number}.email")
            continue
        seen[key] = number
        valid[number] = body
    return valid, refused


def _refusal(code: str, detail: str, field: str, errors: list | None = None) -> dict:
    return {"code": code, "detail": detail, "field": field,
            "errors": errors or [{"field": field, "message": detail}]}


class _OneTransaction:
    """The unit of work for an atomic batch: each enrolment's commit only flushes, so every row
    commits together at the end (or none: a refusal rolls all back)."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    def __getattr__(self, name):
        return getattr(self._uow, name)

    def commit(self) -> None:
        self._uow.session.flush()

    def own_transaction(self) -> bool:
        return False  # (the batch is one transaction: no row's COMMIT travels with its statement)

    def rollback(self) -> None:
        raise _Concurrent()


class _Concurrent(Exception):
    """An atomic batch met a concurrent enrolment of one of its people."""


def enroll_many(uow: UnitOfWork, links: Links, session_id, rows: list[dict[str, Any]], principal: Principal,
                key: str | None, atomic: bool) -> tuple[int, dict]:
    """Enrol each valid row in list order (arrival order: the first row arrives first). Answers
    (status, report): 200 with every row's outcome; atomic and any row refused: 422 with the report,
    nothing changed. With an Idempotency-Key each row has its own key derived from it, so the same
    list sent again answers as the first time."""
    EnrollmentRepository.of(uow).training_session(session_id)  # an unknown session is 404, not N refusals
    valid, refused = validate(rows)
    if atomic and refused:
        return 422, _report(rows, {}, refused, atomic, applied=False)
    target = _OneTransaction(uow) if atomic else uow
    done: dict[int, dict] = {}
    for number, body in valid.items():
        row_key = _row_key(key, number)
        try:
            enrolled = enrolment.enroll(target, links, session_id, body, principal, row_key)
        except _Concurrent:
            uow.rollback()
            raise Problem(409, "Conflict", f"row {number}: the person was enrolled concurrently by another request; "
                          "nothing was enrolled, send the list again", code="concurrent_enrolment") from None
        except DomainError as error:
            if atomic:
                uow.rollback()
                refused[number] = _refusal(error.code or type(error).__name__.lower(), f"row {number}: {error.detail}",
                                           f"rows.{number}.{error.field}" if error.field else f"rows.{number}")
                refused.update({n: _refusal("not_applied", f"row {n}: not enrolled, the batch is atomic",
                                            f"rows.{n}") for n in done})
                return 422, _report(rows, {}, refused, atomic, applied=False)
            uow.rollback()  # whatever the refused row began (enroll commits only what it finished)
            refused[number] = _refusal(error.code or type(error).__name__.lower(), f"row {number}: {error.detail}",
                                       f"rows.{number}.{error.field}" if error.field else f"rows.{number}")
            continue
        out = enrolled.enrollment
        done[number] = {"outcome": out.status if enrolled.created else "existing", "enrollment": out}
    if atomic:
        uow.commit()
    report = _report(rows, done, refused, atomic, applied=True)
    for line in report["rows"]:
        BULK_ROWS.labels(line["outcome"]).inc()
    log.info("bulk enrolment", extra={"session_id": str(session_id), "rows": len(rows), "atomic": atomic,
                                      **report["totals"]})
    return 200, report


def _row_key(key: str | None, number: int) -> str | None:
    if key is None:
        return None
    return f"bulk:{hashlib.sha256(key.encode()).hexdigest()[:40]}:{number}"


def _report(rows, done: dict[int, dict], refused: dict[int, dict], atomic: bool, applied: bool) -> dict:
    lines, totals = [], {"confirmed": 0, "waitlisted": 0, "offered": 0, "existing": 0, "refused": 0,
                         "not_applied": 0}
    for number, row in enumerate(rows, start=1):
        email = row.get("email") if isinstance(row.get("email"), str) else None
        if number in done:
            out = done[number]["enrollment"]
            outcome = done[number]["outcome"]
            lines.append({"row": number, "email": email, "outcome": outcome, "enrollment_id": str(out.id),
                          "status": out.status, "waitlist_position": out.waitlist_position,
                          "waiting_for": out.waiting_for, "manage_url": out.manage_url, "reason": None})
        else:
            reason = refused.get(number) or _refusal("not_applied", f"row {number}: not enrolled, the batch is atomic",
                                                     f"rows.{number}")
            outcome = "not_applied" if reason["code"] == "not_applied" else "refused"
            lines.append({"row": number, "email": email, "outcome": outcome, "enrollment_id": None, "status": None,
                          "waitlist_position": None, "waiting_for": None, "manage_url": None, "reason": reason})
        totals[outcome] = totals.get(outcome, 0) + 1
    return {"atomic": atomic, "applied": applied, "rows": lines, "totals": totals}
