"""The relay loop wakes on a commit, publishes what waits in one round and then sleeps: no empty
round after a partial batch, and no commit waits for the interval (SQLite and the in-memory broker,
the embedded default)."""

import time

from sqlalchemy import func, select

from shared.broker.memory import MemoryBroker
from datetime import datetime, timedelta, timezone

from shared.events.enrollment import SessionScheduled
from shared.events.types import LocalizedText
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.outbox import Relay
from shared.persistence.schema import OUTBOX, new_metadata
from shared.persistence.unit_of_work import UnitOfWork
from tests.support import wait_until


def pending(url: str) -> int:
    with UnitOfWork(engine_for(url), "svc", "t") as uow:
        return uow.session.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))).scalar_one()


def scheduled(n: int) -> SessionScheduled:
    import uuid

    start = datetime(2027, 1, 1, 8, tzinfo=timezone.utc) + timedelta(days=n)
    return SessionScheduled(
        session_id=uuid.uuid4(), course_id=uuid.uuid4(), course_title=LocalizedText(lt=f"Kursas {n}"),
        themes=["budgeting"], starts_at=start, ends_at=start + timedelta(hours=4), region="KU", venue="Kaunas",
        capacity=n + 1, fee_eur="0", registration_opens_at=start - timedelta(days=30),
        registration_closes_at=start - timedelta(days=1),
    )


def emit(url: str, relay: Relay, count: int) -> None:
    """Commit `count` events the way a request does: the commit wakes the relay."""
    uow = UnitOfWork(engine_for(url), "svc", "t", on_commit_with_events=relay.wake)
    with uow:
        for n in range(count):
            uow.emit(scheduled(n))
        uow.commit()


def test_a_commit_is_published_in_one_round_without_waiting_for_the_interval(tmp_path):
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    new_metadata().create_all(engine_for(url))
    relay = Relay("svc", url, MemoryBroker("svc", url), interval=30.0)  # only a wake can start a round soon
    try:
        relay.start()
        wait_until(lambda: relay.rounds == 1)  # the first round, at start: nothing waits
        for burst, expected_rounds in ((3, 2), (5, 3)):
            began = time.monotonic()
            emit(url, relay, burst)
            wait_until(lambda: pending(url) == 0, timeout=10)
            assert time.monotonic() - began < 5  # woken by the commit, not the 30 s interval
            time.sleep(0.3)
            assert relay.rounds == expected_rounds  # one round per wake: no empty round after it
    finally:
        relay.stop(drain_seconds=1)
        dispose_engines()
