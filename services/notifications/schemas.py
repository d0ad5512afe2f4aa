"""Response bodies and queries of the notifications HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "sending", "sent", "failed"] | None = None
    event_type: str | None = Field(default=None, max_length=120)
    limit: int = Field(default=100, ge=1, le=1000)


class DeliveryOut(BaseModel):
    id: UUID
    event_id: UUID
    event_type: str
    correlation_id: str
    recipient_id: UUID
    channel: str
    template: str
    language: str
    subject: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    delivered_via: str | None
    created_at: datetime
    sent_at: datetime | None


class AttemptOut(BaseModel):
    attempted_at: datetime
    outcome: str
    via: str | None
    error: str | None


class DeliveryDetailOut(DeliveryOut):
    body_text: str
    attempts_log: list[AttemptOut]
