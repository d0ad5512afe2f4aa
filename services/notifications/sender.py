"""The delivery loop: runs delivery rounds (services/notifications/usecases/delivery.py) in the
service's process, when woken (a handler stored something to send) or every `interval` seconds,
and the nameko dependency that starts it and lets handlers wake it."""

from __future__ import annotations

import logging

import eventlet
from eventlet.event import Event

from services.notifications.delivery import WebhookSender, mailer_for
from services.notifications.rendering import TemplateLibrary
from services.notifications.repository import NotificationsRepository
from services.notifications.usecases.delivery import DeliveryRound, Links
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.observability import ServiceGauges

log = logging.getLogger(__name__)


class DeliveryLoop:
    def __init__(self, service: str, database_url: str, mailer, links: Links, on_events_emitted,
                 interval: float = 1.0, library: TemplateLibrary | None = None, webhooks: WebhookSender | None = None):
        self.service = service
        self.database_url = database_url
        self.round = DeliveryRound(service, self._uow, mailer, links, library=library, webhooks=webhooks,
                                   on_events=on_events_emitted)
        # claim and render the next batch while a full one is sent (DeliveryRound.run_once)
        self.round.prefetch = True
        self.interval = interval
        self._on_events_emitted = on_events_emitted
        self._wake = Event()
        self._running = False
        self._thread = None

    def start(self):
        self._running = True
        self._thread = eventlet.spawn(self._loop)

    def stop(self):
        self._running = False
        self.round.stopping = True
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        try:
            self.round.release_next()
        except Exception:  # its leases expire instead
            log.exception("could not give back the delivery batch claimed ahead", extra={"service": self.service})

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _uow(self, correlation_id: str = "delivery") -> UnitOfWork:
        return UnitOfWork(engine_for(self.database_url), self.service, correlation_id,
                          on_commit_with_events=self._on_events_emitted)

    def _loop(self):
        while self._running:
            try:
                self.round.run_digests()
                sent = self.round.run_once()
            except Exception:
                log.exception("delivery round failed", extra={"service": self.service})
                sent = 0
            if sent:
                continue
            self._wake.wait(timeout=self.interval)
            self._wake = Event()

    def gauges(self):
        with self._uow() as uow:
            stored = NotificationsRepository(uow).status_counts()
        counts = {status: 0 for status in ("pending", "sending", "sent", "failed", "held", "digested", "suppressed")}
        counts.update(stored)
        for status, value in counts.items():
            yield ("savivalda_notifications", "Notifications stored, by delivery status",
                   {"service": self.service, "status": status}, float(value))


class Delivery(ServiceGauges):
    """Runs the delivery loop in the service's process; injects it so handlers can wake it. Its
    notifications by status are a gauge."""

    key = "notifications"

    def setup(self):
        super().setup()
        settings, service = self.settings, self.service
        self.loop = DeliveryLoop(service, settings.database_url(service), mailer_for(settings),
                                 Links(settings.public_url, settings.auth_secret), on_events_emitted=self._wake_relay,
                                 webhooks=WebhookSender(allowed_hosts=settings.webhook_allowed_hosts))

    def _wake_relay(self):
        from shared.persistence.provider import OutboxRelay

        for extension in self.container.extensions:
            if isinstance(extension, OutboxRelay):
                extension.relay.wake()

    def start(self):
        self.loop.start()
        super().start()

    def stop(self):
        super().stop()
        self.loop.stop()

    def get_dependency(self, worker_ctx):
        return self.loop

    def samples(self):
        return self.loop.gauges()
