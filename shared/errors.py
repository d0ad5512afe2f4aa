"""Errors the domain raises. Plain Python: the HTTP layer turns them into problem+json
(404, 409, 422, 403) and the event layer into retries or dead letters. `Problem` is the HTTP
error itself, for the HTTP layer's helpers (shared/http.py, shared/ratelimit.py)."""

from __future__ import annotations

from pydantic import ValidationError


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.code = code


class NotFound(DomainError):
    status = 404
    title = "Not found"

    def __init__(self, what: str, identifier: object):
        super().__init__(f"{what} {identifier} does not exist", code="not_found")


class Conflict(DomainError):
    """The request is well-formed but clashes with the current state (409)."""

    status = 409
    title = "Conflict"


class RuleViolation(DomainError):
    """The request breaks a business rule; `field` names the input at fault (422)."""

    status = 422
    title = "Business rule violated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Problem(Exception):
    """An HTTP error to send as application/problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, code: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.errors = errors or []
        self.headers = headers or {}

    def document(self, instance: str, correlation_id: str) -> dict:
        doc = {
            "type": f"urn:savivalda:problem:{self.code}" if self.code else "about:blank",
            "title": self.title,
            "status": self.status,
            "instance": instance,
            "correlation_id": correlation_id,
        }
        if self.detail:
            doc["detail"] = self.detail
        if self.errors:
            doc["errors"] = self.errors
        return doc


def validation_problem(error: ValidationError, location: str) -> Problem:
    errors = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"])
        errors.append({"field": path or location, "location": location, "message": item["msg"], "type": item["type"]})
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(422, "Invalid request", f"invalid {location}: {fields}", code="validation", errors=errors)
