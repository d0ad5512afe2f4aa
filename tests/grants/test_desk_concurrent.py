"""The follow-up reminder on PostgreSQL with timer replicas running at once: eight concurrent runs of
remind_follow_ups on the follow-up day write one grants.consultation_follow_up_due between them (the
sent_reminders primary key: a run inserting the same reminder waits for the first one's commit, then
inserts nothing and emits nothing)."""

from __future__ import annotations

from datetime import timedelta

import eventlet
from sqlalchemy import func, select

from services.grants.usecases import desk
from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.test_desk_usecases import TODAY, URL, consult, new_application, new_call, work


def test_replicas_on_the_follow_up_day_send_one_reminder(pg_databases):
    url = pg_databases["grants"]
    engine = engine_for(url)
    call = new_call(url)
    application = new_application(url, call.id)
    consult(url, application.id, TODAY, follow_up_on=TODAY + timedelta(days=3))

    def replica(n: int) -> int:
        with UnitOfWork(engine, "grants", f"timer-{n}") as uow:
            return desk.remind_follow_ups(uow, URL, today=TODAY + timedelta(days=3))

    runs = [eventlet.spawn(replica, n) for n in range(8)]
    assert sorted(run.wait() for run in runs) == [0] * 7 + [1]
    with work(url) as uow:
        written = uow.session.execute(select(func.count()).select_from(OUTBOX).where(
            OUTBOX.c.event_type == "grants.consultation_follow_up_due")).scalar_one()
    assert written == 1
