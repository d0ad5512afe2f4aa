"""Business gauges read at scrape time: applications by status, payment claims by status, overdue
project reports."""

from __future__ import annotations

from services.grants.domain.implementation import CLAIM_STATUSES
from services.grants.domain.workflow import Status
from services.grants.repository import GrantsRepository
from services.grants.usecases import local_today
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.observability import ServiceGauges


class ApplicationGauges(ServiceGauges):
    key = "grant-applications"

    def samples(self):
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            repo = GrantsRepository(uow.session)
            counts = repo.count_by_status()
            claims = repo.count_claims_by_status()
            overdue = repo.count_overdue_reports(local_today(), (Status.CONTRACTED.value,))
        yield from self.by_label("savivalda_grant_applications", "Grant applications by internal status", "status",
                                 counts, every=(s.value for s in Status))
        yield from self.by_label("savivalda_grant_payment_claims", "Payment claims of contracted projects by status",
                                 "status", claims, every=CLAIM_STATUSES)
        yield ("savivalda_grant_reports_overdue",
               "Interim and final reports of contracted projects past due and not submitted",
               {"service": self.service}, float(overdue))
