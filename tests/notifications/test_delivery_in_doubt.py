"""The e-mails "in doubt" when a sender dies: accepted by the SMTP server, outcome not yet recorded,
so sent again (same Message-ID) once their lease expires. No SMTP client can close that window,
but it must stay at most one e-mail per connection (CONCURRENT_SENDS, 16 per process): a connection
sends its next e-mail only once the previous one's outcome is committed. The connections share the
commits (a group commit: the recorder writes every outcome reported meanwhile in one transaction,
and each connection waits for the one holding its own). The fault drill (bench/fault_drill.py)
found 8 in doubt for one SIGKILL of a process with 4 connections, up to 1.5 s before the kill: the
recorder lagged behind a loaded database and the connections went on sending.
"""

import uuid
from datetime import date, timedelta

import eventlet
import pytest
from sqlalchemy import select

from services.notifications.delivery import Result, SmtpMailer
from services.notifications.models import Notification
from services.notifications.schemas import RecipientIn
from services.notifications.usecases import recipients, telling
from services.notifications.usecases.delivery import CONCURRENT_SENDS, DeliveryRound, Links
from shared.events import new_envelope
from shared.events.grants import CallPublished
from shared.events.types import LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

LINKS = Links("https://savivalda.example", "in-doubt-test-secret-" + "y" * 24)


class CountingMailer:
    """Accepts every e-mail at once, like an SMTP server answering 250; before each one it counts
    the e-mails it already accepted whose outcome the database does not hold yet (in doubt)."""

    def __init__(self, units):
        self.units = units
        self.accepted: list[str] = []
        self.most_in_doubt = 0

    def send_many(self, outgoings, on_result=None):
        results = []
        for index, outgoing in enumerate(outgoings):
            with self.units() as db:
                recorded = set(db.session.scalars(select(Notification.message_id)
                                                  .where(Notification.status == "sent")))
            self.most_in_doubt = max(self.most_in_doubt, sum(1 for m in self.accepted if m not in recorded))
            self.accepted.append(outgoing.message_id)
            results.append(Result(via="counting"))
            if on_result is not None:
                on_result(index, results[-1])
            eventlet.sleep(0)  # the next e-mail goes out at once, as over a fast connection
        return results


@pytest.mark.parametrize("connections", [None, 3])
def test_a_connection_sends_its_next_e_mail_only_once_the_previous_outcome_is_recorded(
        notifications_db_url, monkeypatch, connections):
    def units(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(notifications_db_url), "notifications", correlation_id)

    total = 4 * CONCURRENT_SENDS + 8
    for n in range(total):
        with units() as db:
            recipients.register(db, RecipientIn(email=f"subscriber{n}@savivaldybe.lt", name=f"Subscriber {n}",
                                                municipality_code="15", call_alerts=True))
    event = CallPublished(call_id=uuid.uuid4(), code="DOUBT-1", funder="Test funder",
                          title=LocalizedText(lt="Kvietimas", en="Call"), themes=["budgeting"],
                          eligible_applicant_types=["municipality"], eligible_regions=[],
                          closes_on=date.today() + timedelta(days=30), status="open")
    with units() as db:
        telling.tell_event(db, event, new_envelope(event, source="savivalda/grants", correlation_id="doubt"),
                           service="notifications", wake=lambda: None)
        db.commit()

    real_record = DeliveryRound.record

    records = []

    def slow_record(self, results, token):  # a loaded database: each record commits 50 ms later
        records.append(len(results))
        eventlet.sleep(0.05)
        return real_record(self, results, token)

    monkeypatch.setattr(DeliveryRound, "record", slow_record)
    mailer = CountingMailer(units)
    mailer.connections = connections  # a relay allowing fewer connections: ?connections=3
    assert DeliveryRound("notifications", units, mailer, LINKS).run_once() == total
    assert len(mailer.accepted) == total
    # at most the one e-mail each connection has just had accepted
    assert mailer.most_in_doubt <= (connections or CONCURRENT_SENDS), mailer.most_in_doubt
    # and the connections did share commits (a record per e-mail would be as many as e-mails)
    assert len(records) < total / 2, len(records)
    with units() as db:
        assert set(db.session.scalars(select(Notification.status))) == {"sent"}


def test_the_smtp_url_says_how_many_connections_a_relay_allows():
    assert SmtpMailer("smtp://relay.example:25?connections=4", "a@b.lt").connections == 4
    assert SmtpMailer("smtp://relay.example:25", "a@b.lt").connections is None
    for bad in ("0", "-1", "many", "2.5"):
        with pytest.raises(ValueError, match="connections"):
            SmtpMailer(f"smtp://relay.example:25?connections={bad}", "a@b.lt")
