"""Alembic, driven from code: each service has its own migrations folder and its own database.

`services/<name>/migrations/env.py` calls `run_migrations(metadata)`; `savivalda migrate`
and the embedded start call `upgrade(service, url)`.

Importing Alembic was about a third of a start's CPU (docs/performance.md), mostly to learn that
there was nothing to migrate. So `upgrade` to head first compares the database's `alembic_version`
rows (one SELECT) with the heads named by the migration files' `revision` / `down_revision`
lines, and imports Alembic only when they differ (or cannot be read): a database at the heads is
left alone, anything else goes through Alembic as before.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

import sqlalchemy as sa

from shared.persistence.engines import engine_for

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(service: str, url: str):
    from alembic.config import Config

    location = resources.files(f"services.{service}") / "migrations"
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["database_url"] = url
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    if revision == "head" and at_heads(service, url):
        return
    from alembic import command

    command.upgrade(alembic_config(service, url), revision)


def at_heads(service: str, url: str) -> bool:
    """The database is at the heads of the service's migration files (False when unsure)."""
    heads = file_heads(service)
    return heads is not None and current_revisions(url) == heads


def current_revisions(url: str) -> frozenset[str]:
    """The `alembic_version` rows (empty: never migrated)."""
    engine = engine_for(url)
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def current_revision(url: str) -> str | None:
    found = sorted(current_revisions(url))
    return found[0] if len(found) == 1 else (", ".join(found) or None)


def file_heads(service: str) -> frozenset[str] | None:
    """The revisions no other migration file names as its down_revision, read from the files'
    `revision = ...` and `down_revision = ...` lines; None when a file cannot be read that way
    (then Alembic decides)."""
    folder = resources.files(f"services.{service}") / "migrations" / "versions"
    revisions, downs = set(), set()
    for entry in folder.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        values = dict(_ASSIGNMENT.findall(entry.read_text(encoding="utf-8")))
        try:
            revision, down = ast.literal_eval(values["revision"]), ast.literal_eval(values["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        downs.update([down] if isinstance(down, str) else (down or ()))
    heads = frozenset(revisions - downs)
    return heads or None


def head_revision(service: str, url: str) -> str | None:
    heads = file_heads(service)
    if heads is not None and len(heads) == 1:
        return next(iter(heads))
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()


def run_migrations(target_metadata) -> None:
    """Body of every service's env.py (online mode only: migrations run against a live database)."""
    from alembic import context

    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    engine = engine_for(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration recreates a table (copy, drop, rename); with foreign keys enforced,
            # dropping a table other rows reference fails. Off for the migration (outside its
            # transaction, where SQLite honours the pragma), checked before they are on again.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"migration left rows referencing nothing: {broken[:5]}")


# ---------------------------------------------------------------- infrastructure tables

def create_infrastructure_tables() -> None:
    """The tables every service's first migration creates: outbox, inbox, dead letters, runtime
    marks (see shared.persistence.schema.new_metadata). Later changes to them get a migration in each service."""
    import sqlalchemy as sa
    from alembic import op

    from shared.persistence.schema import UtcDateTime

    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=300), nullable=False),
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=True),
        sa.Column("event_type", sa.String(length=120), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("failed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("replay_requested_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("processed_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("exchange", sa.String(length=120), nullable=False),
        sa.Column("routing_key", sa.String(length=120), nullable=False),
        sa.Column("correlation_id", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("publish_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("unroutable", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index("ix_outbox_pending", "outbox", ["id"], unique=False,
                    postgresql_where=sa.text("published_at IS NULL"), sqlite_where=sa.text("published_at IS NULL"))
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], unique=False)
    op.create_table(
        "runtime_marks",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_runtime_marks")),
    )


def drop_infrastructure_tables() -> None:
    from alembic import op

    for table in ("runtime_marks", "outbox", "inbox", "dead_letters"):
        op.drop_table(table)
