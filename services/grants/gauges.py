"""Business gauge read at scrape time: applications by status."""

from __future__ import annotations

from services.grants.domain.workflow import Status
from services.grants.repository import GrantsRepository
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.observability import ServiceGauges


class ApplicationGauges(ServiceGauges):
    key = "grant-applications"

    def samples(self):
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            counts = GrantsRepository(uow.session).count_by_status()
        return self.by_label("savivalda_grant_applications", "Grant applications by internal status", "status",
                             counts, every=(s.value for s in Status))
