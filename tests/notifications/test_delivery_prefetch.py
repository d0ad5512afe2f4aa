"""Claiming the next batch while a full one is sent (DeliveryRound.prefetch, set by the delivery
loop): the next batch is leased (with its own heartbeat) and rendered during the send, the next
round sends it, every e-mail goes once, and a batch claimed ahead when the process stops is given
back, due again at once."""

import collections

from sqlalchemy import select

from services.notifications.delivery import Result
from services.notifications.models import Notification
from services.notifications.usecases.delivery import BATCH, DeliveryRound, Links
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.notifications.test_delivery_faults import subscribers_told

LINKS = Links("https://savivalda.example", "prefetch-test-secret-" + "z" * 24)


class Recording:
    """Accepts every e-mail at once and notes its Message-ID."""

    def __init__(self, units):
        self.units = units
        self.sent: list[str] = []

    def send_many(self, outgoings, on_result=None):
        results = []
        for index, outgoing in enumerate(outgoings):
            self.sent.append(outgoing.message_id)
            results.append(Result(via="recording"))
            if on_result is not None:
                on_result(index, results[-1])
        return results


def statuses(units) -> collections.Counter:
    with units() as db:
        return collections.Counter(db.session.scalars(select(Notification.status)))


def test_the_next_batch_is_claimed_while_a_full_one_is_sent_and_every_e_mail_goes_once(notifications_db_url):
    def units(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(notifications_db_url), "notifications", correlation_id)

    total = 2 * BATCH + 30
    subscribers_told(units, total)
    mailer = Recording(units)
    sender = DeliveryRound("notifications", units, mailer, LINKS)
    sender.prefetch = True
    assert sender.run_once() == BATCH
    # the second batch is leased and rendered already, the rest waits
    after_first = statuses(units)
    assert after_first == {"sent": BATCH, "sending": BATCH, "pending": total - 2 * BATCH}, after_first
    with units() as db:
        leased = db.session.scalars(select(Notification).where(Notification.status == "sending")).all()
        assert all(n.subject and n.body_text and n.lease_token and n.lease_until for n in leased)
    assert sender.run_once() == BATCH  # the batch claimed ahead; the third (not full) is claimed now
    assert statuses(units) == {"sent": 2 * BATCH, "sending": total - 2 * BATCH}
    assert sender.run_once() == total - 2 * BATCH  # not full: nothing claimed ahead
    assert sender.run_once() == 0
    assert statuses(units) == {"sent": total}
    assert len(mailer.sent) == total and len(set(mailer.sent)) == total


def test_a_batch_claimed_ahead_is_given_back_when_the_process_stops(notifications_db_url):
    def units(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(notifications_db_url), "notifications", correlation_id)

    subscribers_told(units, 2 * BATCH)
    mailer = Recording(units)
    sender = DeliveryRound("notifications", units, mailer, LINKS)
    sender.prefetch = True
    assert sender.run_once() == BATCH
    assert statuses(units) == {"sent": BATCH, "sending": BATCH}
    sender.stopping = True
    sender.release_next()
    assert statuses(units) == {"sent": BATCH, "pending": BATCH}
    with units() as db:
        waiting = db.session.scalars(select(Notification).where(Notification.status == "pending")).all()
        assert all(n.lease_token is None and n.lease_until is None for n in waiting)
    # another sender (or this one started again) sends them, once
    other = Recording(units)
    assert DeliveryRound("notifications", units, other, LINKS).run_once() == BATCH
    assert statuses(units) == {"sent": 2 * BATCH}
    assert not set(other.sent) & set(mailer.sent)
