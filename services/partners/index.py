"""The in-memory profile index of one service process, kept current from the database.

Every profile change bumps the profile's `revision` (a locked counter, so revisions commit in
order). Before ranking, the index reads the counter; if it has not seen that revision it loads
only the rows above its mark. A change made by another replica is therefore visible to the next
ranking here, at the cost of one single-row query when nothing changed. The index reads through
its own connection, so it only ever sees committed profiles (never a worker's unfinished change).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Mapping
from uuid import UUID

import eventlet
from eventlet.semaphore import Semaphore
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.partners.domain.matching import MatchCriteria, ProfileFacts, ProfileIndex, Ranking
from services.partners.repository import PartnersRepository, facts_from_row
from shared.persistence.engines import engine_for
from shared.observability import ServiceGauges

log = logging.getLogger(__name__)
LOAD_SLICE = 5000


class IndexedProfiles:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.index = ProfileIndex()
        self.seen_revision = 0
        self._lock = Semaphore(1)

    def refresh(self) -> int:
        """Load what changed since the last refresh; returns how many profiles were (re)loaded."""
        with self._lock:  # one loader at a time; the others then find nothing new
            with Session(self.engine) as session:
                store = PartnersRepository(session)
                if store.current_revision() <= self.seen_revision:
                    return 0
                newest = self.seen_revision

                def facts():
                    nonlocal newest
                    for n, row in enumerate(store.changed_profiles(self.seen_revision), start=1):
                        newest = max(newest, row.revision)
                        if n % LOAD_SLICE == 0:
                            eventlet.sleep(0)  # a big load lets requests and health checks through
                        yield facts_from_row(row)

                loaded = self.index.put_many(facts())
                self.seen_revision = newest
                return loaded

    def rank(self, criteria: MatchCriteria, *, now: datetime, previous: Mapping[UUID, str] | None = None,
             limit: int | None = None, explain_limit: int = 50) -> Ranking:
        self.refresh()
        return self.index.rank(criteria, now=now, previous=previous, limit=limit, explain_limit=explain_limit)

    def profile(self, organisation_id: UUID) -> ProfileFacts | None:
        self.refresh()
        return self.index.get(organisation_id)


class ProfileIndexProvider(ServiceGauges):
    """`profiles = ProfileIndexProvider()` gives every worker the container's one index, loaded
    when the service starts (100,000 profiles take seconds) rather than by the first request; its
    size is a gauge."""

    key = "partners-index"

    def setup(self):
        super().setup()
        self.profiles = IndexedProfiles(engine_for(self.database_url))

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self._warm_up)

    def samples(self):
        yield ("savivalda_partner_index_profiles", "Profiles in this process's in-memory matching index",
               {"service": self.service}, float(len(self.profiles.index)))

    def _warm_up(self):
        try:
            loaded = self.profiles.refresh()
            log.info("profile index loaded", extra={"profiles": loaded, "service": self.container.service_name})
        except Exception:  # the first ranking loads it instead
            log.warning("could not load the profile index at start", exc_info=True)

    def get_dependency(self, worker_ctx) -> IndexedProfiles:
        return self.profiles
