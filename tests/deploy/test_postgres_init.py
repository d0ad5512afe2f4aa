"""deploy/postgres/init-databases.sh run against the local PostgreSQL: a database and a role per
service, each role the owner of its own database and shut out of the others'."""

from __future__ import annotations

import psycopg2
import pytest

from shared import migrations
from shared.config import SERVICE_NAMES
from tests.deploy.conftest import drop_databases_and_roles, run_init_script

pytestmark = pytest.mark.postgres


def connect(role: str, database: str):
    return psycopg2.connect(host="127.0.0.1", port=5432, user=role, dbname=database, connect_timeout=5)


def test_each_role_owns_its_database_and_cannot_open_another(database_stack):
    for service in SERVICE_NAMES:
        own = database_stack.name(service)
        with connect(own, own) as connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE probe (id int)")  # the role may create tables in its public schema
            cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'probe'")
            assert cursor.fetchone() == (own,)
        connection.close()
        for other in SERVICE_NAMES:
            if other == service:
                continue
            with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
                connect(own, database_stack.name(other))


def test_a_role_can_neither_create_databases_nor_roles(database_stack):
    role = database_stack.name("grants")
    connection = connect(role, role)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(f'CREATE DATABASE "{role}_more"')
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(f'CREATE ROLE "{role}_friend"')
    finally:
        connection.close()


def test_migrations_run_as_the_service_role(database_stack):
    """The migrate job connects as each service's own role (deploy/docker-compose.yml)."""
    service = "partners"
    role = database_stack.name(service)
    url = f"postgresql+psycopg2://{role}@127.0.0.1:5432/{role}"
    migrations.upgrade(service, url)
    assert migrations.current_revision(url) == migrations.head_revision(service, url)


def test_a_missing_password_creates_nothing(pg_admin, stack_env):
    prefix = "savivalda_tmissing_"
    passwords = {k: v for k, v in stack_env.items() if k.endswith("_DB_PASSWORD") and not k.startswith("PARTNERS")}
    try:
        done = run_init_script(prefix, passwords)
        assert done.returncode != 0 and "PARTNERS_DB_PASSWORD is not set" in done.stderr
        connection = pg_admin.connect("postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,))
                assert cursor.fetchone() == (0,)
        finally:
            connection.close()
    finally:
        drop_databases_and_roles(pg_admin, prefix)
