"""An event told to a few people is sent from the handler's green thread right after its commit
(DeliveryRound.send_now): claimed by id under a lease of its own and recorded as a round records,
over one of the process's connections, and only when one is free (the in-doubt bound is the
rounds' own); a fan-out, or no free connection, is left to the delivery loop, which is woken."""

import time
import uuid
from datetime import date, timedelta

import eventlet
from sqlalchemy import select

from services.notifications.delivery import Result
from services.notifications.models import DeliveryAttempt, Notification
from services.notifications.schemas import RecipientIn
from services.notifications.sender import DeliveryLoop
from services.notifications.usecases import recipients, telling
from services.notifications.usecases.delivery import DeliveryRound, Links
from shared.events import new_envelope
from shared.events.grants import CallPublished
from shared.events.types import LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX
from shared.persistence.unit_of_work import UnitOfWork

LINKS = Links("https://savivalda.example", "send-now-test-secret-" + "w" * 24)


class Accepting:
    def __init__(self):
        self.sent: list[str] = []

    def send_many(self, outgoings, on_result=None):
        results = []
        for index, outgoing in enumerate(outgoings):
            self.sent.append(outgoing.to_address)
            results.append(Result(via="accepting"))
            if on_result is not None:
                on_result(index, results[-1])
        return results


def _setup(url: str, subscribers: int):
    def units(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(url), "notifications", correlation_id)

    for n in range(subscribers):
        with units() as db:
            recipients.register(db, RecipientIn(email=f"now{n}@savivaldybe.lt", name=f"Now {n}",
                                                municipality_code="15", call_alerts=True))
    event = CallPublished(call_id=uuid.uuid4(), code="NOW-1", funder="Test funder",
                          title=LocalizedText(lt="Kvietimas", en="Call"), themes=["budgeting"],
                          eligible_applicant_types=["municipality"], eligible_regions=[],
                          closes_on=date.today() + timedelta(days=30), status="open")
    return units, event, new_envelope(event, source="savivalda/grants", correlation_id="now")


def _tell(units, event, envelope, sender: DeliveryRound, woken: list, sent_now: list):
    """The handler's part: tell and commit; then what DeliveryLoop.send_now does (its green thread
    starts once the handler's unit of work is closed)."""
    due: list = []
    with units() as db:
        telling.tell_event(db, event, envelope, service="notifications", wake=lambda: woken.append(True),
                           send_now=due.append)
        db.commit()
    for ids in due:
        sent_now.append(sender.send_now(ids))


def test_the_delivery_loop_sends_a_handler_s_notifications_at_once_in_a_green_thread(notifications_db_url):
    units, event, envelope = _setup(notifications_db_url, 1)
    mailer = Accepting()
    loop = DeliveryLoop("notifications", notifications_db_url, mailer, LINKS, on_events_emitted=lambda: None)
    loop._running = True  # as started, without its loop thread: only the handler's path sends
    with loop._uow() as db:
        telling.tell_event(db, event, envelope, service="notifications", wake=loop.wake, send_now=loop.send_now)
        db.commit()
    def status() -> str:
        with units() as db:
            return db.session.scalars(select(Notification.status)).one()

    deadline = time.monotonic() + 30
    while status() != "sent" and time.monotonic() < deadline:
        eventlet.sleep(0.02)
    assert status() == "sent" and mailer.sent == ["now0@savivaldybe.lt"]


def test_a_few_notifications_are_sent_right_after_the_handler_s_commit(notifications_db_url):
    units, event, envelope = _setup(notifications_db_url, 2)
    mailer, woken, sent_now = Accepting(), [], []
    sender = DeliveryRound("notifications", units, mailer, LINKS)
    _tell(units, event, envelope, sender, woken, sent_now)
    assert sent_now == [2] and not woken  # none waits for the loop
    assert sorted(mailer.sent) == ["now0@savivaldybe.lt", "now1@savivaldybe.lt"]
    with units() as db:
        stored = db.session.scalars(select(Notification)).all()
        assert {(n.status, n.attempts, n.lease_token, n.delivered_via) for n in stored} == {
            ("sent", 1, None, "accepting")}
        assert all(n.subject for n in stored)
        assert db.session.scalars(select(DeliveryAttempt.outcome)).all() == ["sent", "sent"]
        assert sorted(db.session.scalars(select(OUTBOX.c.event_type))) == [
            "notifications.notification_sent"] * 2
    assert sender.run_once() == 0  # nothing left for the loop
    # the same event again (a redelivery) stores and sends nothing
    _tell(units, event, envelope, sender, woken, sent_now)
    assert len(mailer.sent) == 2


def test_without_a_free_connection_the_delivery_loop_sends_them(notifications_db_url):
    units, event, envelope = _setup(notifications_db_url, 1)
    mailer, woken, sent_now = Accepting(), [], []
    sender = DeliveryRound("notifications", units, mailer, LINKS)
    for _ in range(sender.connections):  # every connection busy with a round's groups
        assert sender._slots.acquire(blocking=False)
    _tell(units, event, envelope, sender, woken, sent_now)
    assert sent_now == [0] and mailer.sent == []
    with units() as db:  # not claimed: still pending, due, no lease
        (notification,) = db.session.scalars(select(Notification)).all()
        assert (notification.status, notification.lease_token) == ("pending", None)
    for _ in range(sender.connections):
        sender._slots.release()
    assert sender.run_once() == 1 and mailer.sent == ["now0@savivaldybe.lt"]


def test_a_fan_out_wakes_the_delivery_loop_instead(notifications_db_url):
    units, event, envelope = _setup(notifications_db_url, telling.SEND_AT_ONCE + 1)
    mailer, woken, sent_now = Accepting(), [], []
    sender = DeliveryRound("notifications", units, mailer, LINKS)
    _tell(units, event, envelope, sender, woken, sent_now)
    assert woken == [True] and sent_now == [] and mailer.sent == []
    assert sender.run_once() == telling.SEND_AT_ONCE + 1
