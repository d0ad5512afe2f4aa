"""The consultants' desk's metrics: notices written to consultants (counters) and, read at scrape
time, open applications no consultant has and follow-ups past their day (gauges).

    savivalda_grant_consultant_notices_total{notice}   assigned (grants.consultant_assigned),
                                                       follow_up (grants.consultation_follow_up_due)
    savivalda_grant_application_lists_total{sort}      application list pages and CSV exports served
    (gauge) savivalda_grant_applications_unassigned    open applications without a consultant
    (gauge) savivalda_grant_follow_ups_overdue         open applications whose latest consultation's
                                                       follow-up day has passed
"""

from __future__ import annotations

from prometheus_client import Counter
from sqlalchemy import func, select

from services.grants.desk_repository import DeskRepository
from services.grants.domain.desk import OPEN
from services.grants.models import Application
from services.grants.usecases import local_today
from shared.observability import ServiceGauges
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

CONSULTANT_NOTICES = Counter("savivalda_grant_consultant_notices_total",
                             "Notices written to consultants: assigned, follow_up", ["notice"])
APPLICATION_LISTS = Counter("savivalda_grant_application_lists_total",
                            "Application list pages and CSV exports served, by sort", ["sort"])


class DeskGauges(ServiceGauges):
    key = "grant-desk"

    def samples(self):
        statuses = [s.value for s in OPEN]
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            unassigned = uow.session.execute(select(func.count()).select_from(Application).where(
                Application.status.in_(statuses), Application.consultant_email.is_(None))).scalar_one()
            overdue = DeskRepository(uow.session).count_follow_ups_overdue(local_today(), statuses)
        yield ("savivalda_grant_applications_unassigned", "Open grant applications without a consultant",
               {"service": self.service}, float(unassigned))
        yield ("savivalda_grant_follow_ups_overdue",
               "Open grant applications whose latest consultation's follow-up day has passed",
               {"service": self.service}, float(overdue))
