"""Each service's Alembic migrations create exactly what its models describe (SQLite here;
tests/integration/test_postgres_schema.py does the same on PostgreSQL)."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared import migrations
from shared.persistence.engines import dispose_engines, engine_for

SERVICES = ("enrollment", "grants", "partners", "notifications")


def schema_differences(service: str, url: str):
    migrations.upgrade(service, url)
    metadata = importlib.import_module(f"services.{service}.models").metadata
    with engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(service, tmp_path):
    url = f"sqlite:///{tmp_path / service}.db"
    try:
        assert schema_differences(service, url) == []
        assert migrations.current_revision(url) == migrations.head_revision(service, url)
    finally:
        dispose_engines()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_go_down_and_up_again(service, tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / service}.db"
    try:
        migrations.upgrade(service, url)
        command.downgrade(migrations.alembic_config(service, url), "base")
        assert migrations.current_revision(url) is None
        migrations.upgrade(service, url)
        assert migrations.current_revision(url) == migrations.head_revision(service, url)
    finally:
        dispose_engines()
