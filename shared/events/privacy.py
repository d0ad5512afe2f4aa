"""The right to be forgotten: one request, every service answers.

`savivalda privacy erase <e-mail>` publishes `privacy.erasure_requested` (exchange
`privacy.events`). Each service that holds personal data subscribes, erases or pseudonymises
every personal field it holds for that e-mail address (keeping anonymous counts for reports) and
publishes `<service>.person_erased` with what it removed — counts only, no personal data.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from shared.events.registry import EventData, event
from shared.events.types import EMAIL_PATTERN


@event("privacy.erasure_requested", summary="A person asked to be forgotten; every service erases their data.")
class ErasureRequested(EventData):
    request_id: UUID
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    requested_by: str = Field(min_length=1, max_length=200, description="who recorded the request")
    reason: str | None = Field(default=None, max_length=1000)


class PersonErased(EventData):
    """Shape of every `<service>.person_erased` event (each service registers its own type)."""

    request_id: UUID
    removed: dict[str, int] = Field(description="what was erased or pseudonymised, e.g. {'enrollments': 3}")
