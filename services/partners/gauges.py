"""Business gauges read at scrape time: organisation profiles by state, introductions by status."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.partners.repository import PartnersRepository
from shared.observability import ServiceGauges
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow


class PartnerGauges(ServiceGauges):
    key = "partners-business"

    def samples(self):
        # A plain read-only session: no unit of work, so no SQLite writer's turn is taken for a scrape.
        with Session(engine_for(self.database_url)) as session:
            repository = PartnersRepository(session)
            profiles, introductions = repository.profile_counts(utcnow()), repository.introduction_counts()
        yield from self.by_label("savivalda_partner_profiles", "Organisation profiles by state (active or expired)",
                                 "state", profiles)
        yield from self.by_label("savivalda_partner_introductions", "Introductions by status", "status",
                                 introductions)
