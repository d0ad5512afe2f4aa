"""Business gauge read at scrape time: applications by status."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy import func, select

from services.grants.domain.workflow import Status
from services.grants.models import Application
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.observability import SCRAPE_GAUGES


class ApplicationGauges(DependencyProvider):
    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.url = settings.database_url(self.service)
        self.key = f"grant-applications:{self.service}"

    def start(self):
        SCRAPE_GAUGES.add(self.key, self.samples)

    def stop(self):
        SCRAPE_GAUGES.remove(self.key)

    kill = stop

    def get_dependency(self, worker_ctx):
        return None

    def samples(self):
        with UnitOfWork(engine_for(self.url), self.service, "gauges") as uow:
            rows = uow.session.execute(select(Application.status, func.count()).group_by(Application.status)).all()
        counts = {s.value: 0 for s in Status}
        counts.update(dict(rows))
        for status, value in counts.items():
            yield ("savivalda_grant_applications", "Grant applications by internal status",
                   {"service": self.service, "status": status}, float(value))
