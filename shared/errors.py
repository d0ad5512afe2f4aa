"""Errors the domain raises. Plain Python: the HTTP layer turns them into problem+json
(404, 409, 422, 403) and the event layer into retries or dead letters."""

from __future__ import annotations


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
