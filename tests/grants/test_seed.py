"""The seed catalogue is a data migration: it runs once per database, on SQLite and PostgreSQL
alike, and does not duplicate a programme someone entered by hand first."""

import uuid
from datetime import datetime, timezone

from sqlalchemy import func, select

from services.grants.models import FundedProject, Programme
from shared import migrations
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.unit_of_work import UnitOfWork


def catalogue(url):
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        programmes = [(p.code, p.id) for p in uow.session.scalars(select(Programme))]
        projects = uow.session.execute(select(FundedProject.project_number, FundedProject.programme_id)
                                       .order_by(FundedProject.project_number)).all()
        return programmes, [tuple(p) for p in projects]


def test_a_new_database_gets_lt10_and_three_projects_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'grants.db'}"
    try:
        migrations.upgrade("grants", url)
        migrations.upgrade("grants", url)  # at head already: nothing runs again
        programmes, projects = catalogue(url)
        (code, programme_id), = programmes
        assert code == "LT10"
        assert projects == [("LT10-0002", programme_id), ("LT10-0006", programme_id), ("LT10-0019", programme_id)]
    finally:
        dispose_engines()


def test_a_programme_entered_by_hand_first_is_completed_not_duplicated(tmp_path):
    url = f"sqlite:///{tmp_path / 'grants.db'}"
    try:
        migrations.upgrade("grants", url, "0002")
        mine = uuid.uuid4()
        with UnitOfWork(engine_for(url), "grants", "test") as uow:
            uow.session.add(Programme(id=mine, code="LT10", funder="Norway Grants", source_kind="eea_norway_grants",
                                      title={"lt": "LT10"}, donor_countries=["NO"], themes=[],
                                      created_at=datetime.now(timezone.utc)))
            uow.commit()
        migrations.upgrade("grants", url)
        programmes, projects = catalogue(url)
        assert programmes == [("LT10", mine)]
        assert {p for p, _ in projects} == {"LT10-0002", "LT10-0006", "LT10-0019"}
        assert {owner for _, owner in projects} == {mine}
        with UnitOfWork(engine_for(url), "grants", "test") as uow:
            assert uow.session.execute(select(func.count()).select_from(Programme)).scalar_one() == 1
    finally:
        dispose_engines()
