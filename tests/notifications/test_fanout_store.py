"""Storing a fan-out's notifications on PostgreSQL: one INSERT over arrays (repository.add_notifications),
the same rows as the per-row path SQLite takes, and one per (event, recipient, channel) however
often the event comes."""

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from services.notifications.domain.identity import message_id
from services.notifications.models import Notification
from services.notifications.schemas import RecipientIn
from services.notifications.usecases import recipients, telling
from shared.events import new_envelope
from shared.events.grants import CallPublished
from shared.events.types import LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork


def _told_rows(url: str) -> tuple[object, list]:
    def units() -> UnitOfWork:
        return UnitOfWork(engine_for(url), "notifications", "test")

    for n in range(5):
        with units() as db:
            recipients.register(db, RecipientIn(email=f"store{n}@savivaldybe.lt", name=f"Store {n}",
                                                municipality_code="15", call_alerts=True,
                                                language="lt" if n % 2 else "en"))
    event = CallPublished(call_id=uuid.uuid4(), code="STORE-1", funder="Test funder",
                          title=LocalizedText(lt="Kvietimas", en="Call"), themes=["budgeting"],
                          eligible_applicant_types=["municipality"], eligible_regions=[],
                          closes_on=date.today() + timedelta(days=30), status="open")
    envelope = new_envelope(event, source="savivalda/grants", correlation_id="store-corr", subject="call-1")
    counts = []
    for _ in range(2):  # a redelivery stores nothing twice
        with units() as db:
            counts.append(telling.tell_event(db, event, envelope, service="notifications", wake=lambda: None))
            db.commit()
    with units() as db:
        rows = db.session.scalars(select(Notification).order_by(Notification.message_id)).all()
        db.session.expunge_all()
    return envelope, rows, counts


def test_a_fan_out_is_stored_by_one_statement_on_postgresql_with_the_same_rows_as_on_sqlite(
        pg_databases, notifications_db_url):
    for url in (pg_databases["notifications"], notifications_db_url):
        envelope, rows, counts = _told_rows(url)
        assert counts[0] == {"pending": 5}
        assert len(rows) == 5, url
        for row in rows:
            assert isinstance(row.id, uuid.UUID)
            assert (row.event_id, row.event_type, row.correlation_id, row.event_subject) == (
                envelope.id, envelope.type, "store-corr", "call-1")
            assert row.event_time == envelope.time and row.event_time.tzinfo is not None
            assert (row.channel, row.template, row.status, row.attempts, row.status_reason) == (
                "email", "call_published", "pending", 0, None)
            assert row.message_id == message_id(str(envelope.id), str(row.recipient_id), "email")
            assert row.language in ("lt", "en") and row.critical is False and row.category
            assert row.next_attempt_at.tzinfo is not None and row.created_at.tzinfo is not None
            assert row.lease_token is None and row.subject is None
