"""Request and response bodies of learning done elsewhere (usecases/learning.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.events.types import EMAIL_PATTERN, LocalizedText, Person, check_municipality
from shared.model import Model
from shared.reference import MunicipalityCode, ThemeCode


class CompletionQuery(Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    municipality_code: MunicipalityCode | None = None
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    from_: date | None = Field(default=None, alias="from", description="completed on or after (Lithuanian time)")
    to: date | None = Field(default=None, description="completed before this day")
    limit: int = Field(default=100, ge=1, le=500)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))

    @model_validator(mode="after")
    def _period(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class LearningCompletionOut(Model):
    id: UUID
    learning_system: str = Field(description="the event's source")
    external_id: str
    person: Person
    course_external_id: str
    course_title: LocalizedText
    course_id: UUID | None = Field(description="the catalogue course it corresponds to, if any")
    themes: list[ThemeCode]
    hours: Decimal
    completed_at: datetime
    received_at: datetime
    certificate_number: str | None
    verify_url: str | None
