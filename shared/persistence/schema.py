"""The tables every service's database carries besides its own (outbox, inbox, dead letters,
runtime marks), the naming convention and the column types every service's models use."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# SQLite autoincrements only INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def new_metadata() -> MetaData:
    """Metadata for one service's database, with the infrastructure tables already in it."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", Uuid(), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("exchange", String(120), nullable=False),
        Column("routing_key", String(120), nullable=False),
        Column("correlation_id", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime),
        Column("publish_attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        Column("unroutable", Boolean, nullable=False, server_default="0"),
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", Uuid(), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
    )
    # Dead letters of the embedded mode, where the in-memory broker cannot keep them.
    Table(
        "dead_letters",
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("queue", String(300), nullable=False),
        Column("consumer", String(200), nullable=False),
        Column("event_id", String(100)),
        Column("event_type", String(120)),
        Column("reason", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("failed_at", UtcDateTime, nullable=False),
        Column("replay_requested_at", UtcDateTime),
    )
    Table(
        "runtime_marks",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("value", String(200), nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )
    return metadata


# The infrastructure tables have the same shape in every service's database; shared code uses
# this copy of their definitions to build statements.
_INFRA_METADATA = new_metadata()
OUTBOX = _INFRA_METADATA.tables["outbox"]
INBOX = _INFRA_METADATA.tables["inbox"]
DEAD_LETTERS = _INFRA_METADATA.tables["dead_letters"]
RUNTIME_MARKS = _INFRA_METADATA.tables["runtime_marks"]
