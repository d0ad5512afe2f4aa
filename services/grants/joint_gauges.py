"""Joint application gauge read at scrape time: partner municipalities' answers to their parts of
joint applications still in preparation (pending ones hold a submission up)."""

from __future__ import annotations

from services.grants.domain.joint import ANSWERS, PREPARATION
from services.grants.joint_repository import JointRepository
from shared.observability import ServiceGauges
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork


class JointGauges(ServiceGauges):
    key = "grant-joint-applications"

    def samples(self):
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            counts = JointRepository(uow.session).count_answers(tuple(s.value for s in PREPARATION))
        yield from self.by_label("savivalda_grant_joint_partners",
                                 "Partner municipalities of joint applications in preparation, by their answer",
                                 "answer", counts, every=ANSWERS)
