"""The connection pool follows SAVIVALDA_MAX_WORKERS (plus headroom for the relay, the delivery
loop, gauges and health) and the inbox table is pruned after a retention (docs/configuration.md)."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from shared.config import distributed_settings
from shared.persistence import engines
from shared.persistence.engines import POOL_HEADROOM, dispose_engines, engine_for
from shared.persistence.outbox import Relay
from shared.persistence.schema import INBOX, OUTBOX, new_metadata, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from tests.unit.test_config import GOOD

NOWHERE = "postgresql+psycopg2://u@127.0.0.1:1/{}"  # an engine does not connect until used


def test_the_pool_holds_one_connection_per_worker_plus_the_headroom(monkeypatch):
    monkeypatch.delenv("SAVIVALDA_MAX_WORKERS", raising=False)
    try:
        for workers in (4, 10, 40):
            pool = engine_for(NOWHERE.format(f"w{workers}"), max_workers=workers).pool
            assert (pool.size(), pool._max_overflow) == (workers + POOL_HEADROOM, 0)
        monkeypatch.setenv("SAVIVALDA_MAX_WORKERS", "25")  # what an engine made without the setting uses
        assert engine_for(NOWHERE.format("env")).pool.size() == 25 + POOL_HEADROOM
        monkeypatch.delenv("SAVIVALDA_MAX_WORKERS")
        assert engine_for(NOWHERE.format("default")).pool.size() == engines.DEFAULT_MAX_WORKERS + POOL_HEADROOM
    finally:
        dispose_engines()


def test_the_relays_housekeeping_prunes_inbox_rows_older_than_the_retention(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    new_metadata().create_all(engine_for(url))
    now = utcnow()
    try:
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            for days in (45, 31, 29, 0):
                uow.session.execute(INBOX.insert().values(consumer="svc.on_x", event_id=uuid.uuid4(),
                                                          event_type=f"x.{days}", processed_at=now - timedelta(days=days)))
            for days in (8, 1):
                uow.session.execute(OUTBOX.insert().values(
                    event_id=uuid.uuid4(), event_type="x.y", exchange="x.events", routing_key=f"r{days}",
                    correlation_id="c", body="{}", created_at=now - timedelta(days=days),
                    published_at=now - timedelta(days=days)))
            uow.commit()
        relay = Relay("svc", url, broker=None, inbox_retention=timedelta(days=30))
        assert relay.prune() == {"outbox": 1, "inbox": 2}
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            assert sorted(uow.session.scalars(select(INBOX.c.event_type))) == ["x.0", "x.29"]
    finally:
        dispose_engines()


def test_the_inbox_retention_is_a_setting():
    assert distributed_settings(("enrollment",), GOOD).inbox_retention_days == 30
    settings = distributed_settings(("enrollment",), {**GOOD, "SAVIVALDA_INBOX_RETENTION_DAYS": "90"})
    assert settings.inbox_retention_days == 90
