"""On PostgreSQL too, each service's migrations create exactly what its models describe."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared import migrations
from shared.persistence.engines import engine_for


@pytest.mark.parametrize("service", ["enrollment", "grants", "partners", "notifications"])
def test_migrated_postgres_schema_matches_the_models(service, pg_databases):
    url = pg_databases[service]
    metadata = importlib.import_module(f"services.{service}.models").metadata
    with engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert migrations.current_revision(url) == migrations.head_revision(service, url)
