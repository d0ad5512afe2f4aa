"""Events published by the partners service (exchange `partners.events`)."""

from __future__ import annotations

from uuid import UUID

from shared.events.envelope import EventData, event


@event("partners.organisation_registered", summary="A partner organisation profile was created.")
class OrganisationRegistered(EventData):
    organisation_id: UUID
    name: str
    country: str
    organisation_type: str
    themes: list[str]
