"""Consulting engagement gauges read at scrape time: open engagements by status, and deliverables
of open engagements past due and not delivered."""

from __future__ import annotations

from services.grants.domain.engagements import OPEN, WORKING
from services.grants.engagement_repository import EngagementRepository
from services.grants.usecases import local_today
from shared.observability import ServiceGauges
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork


class EngagementGauges(ServiceGauges):
    key = "grant-engagements"

    def samples(self):
        open_statuses = tuple(s.value for s in OPEN)
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            repo = EngagementRepository(uow.session)
            counts = repo.count_open(open_statuses)
            late = repo.count_late_deliverables(local_today(), tuple(s.value for s in WORKING))
        yield from self.by_label("savivalda_grant_engagements_open",
                                 "Consulting engagements not closed or declined, by status", "status", counts,
                                 every=open_statuses)
        yield ("savivalda_grant_engagement_deliverables_late",
               "Deliverables of agreed or in-progress consulting engagements past due and not delivered",
               {"service": self.service}, float(late))
