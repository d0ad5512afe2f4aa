"""nameko side of the database: the `Database` dependency gives each worker one unit of work.

The entrypoint's method commits (`self.db.commit()`) before it returns. nameko acknowledges a
consumed message when the method has returned, before dependencies' worker_result/teardown run,
so committing there would ack before the commit. Whatever is not committed is rolled back in
worker_teardown.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from nameko.extensions import DependencyProvider, Extension
from sqlalchemy import text

from shared.broker import broker_for
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.observability import HEALTH
from shared.persistence.outbox import Relay

log = logging.getLogger(__name__)


class OutboxRelay(Extension):
    """Runs the outbox relay of the container's service for as long as the container runs."""

    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        service = self.container.service_name
        self.relay = Relay(service, settings.database_url(service), broker_for(settings),
                           interval=settings.relay_interval,
                           inbox_retention=timedelta(days=settings.inbox_retention_days))
        HEALTH.add(service, "broker", self._broker_health)

    def start(self):
        if not self.relay.broker.durable:
            # The in-memory broker lost what it held if the previous run died.
            self.relay.redrive_after_unclean_stop()
        self.relay.start()

    def stop(self):
        self.relay.stop()

    def kill(self):
        self.relay.stop(drain_seconds=0)

    def _broker_health(self) -> str | None:
        if self.relay.last_error:
            return f"outbox relay cannot publish: {self.relay.last_error}"
        return self.relay.broker.health()


class Database(DependencyProvider):
    """`db = Database()` on a service class injects a fresh UnitOfWork into every worker."""

    relay = OutboxRelay()

    def setup(self):
        settings = self.container.config["SAVIVALDA"]
        self.service = self.container.service_name
        self.url = settings.database_url(self.service)
        self.engine = engine_for(self.url, max_workers=settings.max_workers)  # pool: workers + headroom
        HEALTH.add(self.service, "database", self._database_health)

    def get_dependency(self, worker_ctx) -> UnitOfWork:
        correlation_id = worker_ctx.data.get("correlation_id") or worker_ctx.call_id
        uow = UnitOfWork(self.engine, self.service, correlation_id, on_commit_with_events=self.relay.relay.wake)
        worker_ctx._savivalda_uow = uow
        return uow

    def worker_teardown(self, worker_ctx):
        uow = getattr(worker_ctx, "_savivalda_uow", None)
        if uow is not None:
            try:
                uow.close()
            except Exception as error:
                # The rollback of a connection the database dropped fails too. Raised here it would
                # kill the container (nameko treats a teardown error as fatal); the worker's own
                # outcome (e.g. 503 database_unavailable) has already been decided.
                log.warning("closing the unit of work failed: %s", error,
                            extra={"service": self.service, "error": type(error).__name__})

    def _database_health(self) -> str | None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
