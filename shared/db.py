"""SQLAlchemy 2 plumbing every service shares: engines, the infrastructure tables each service's
database carries (outbox, inbox, dead letters, runtime marks) and the unit of work.

A unit of work is one session plus the events it will publish. Events are written to the outbox
table inside the same transaction as the state change, so both commit or neither does.
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

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
    create_engine,
    event as sa_event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from shared.events.envelope import Envelope, EventData, new_envelope

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


def is_sqlite(engine_or_url) -> bool:
    url = str(getattr(engine_or_url, "url", engine_or_url))
    return url.startswith("sqlite")


_ENGINES: dict[str, Engine] = {}
_SQLITE_WRITE_LOCKS: dict[str, threading.RLock] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per database URL per process (embedded mode shares them between services)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _create_engine(url)
            _ENGINES[url] = engine
        return engine


def dispose_engines() -> None:
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _SQLITE_WRITE_LOCKS.clear()


def _create_engine(url: str) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=30)


def sqlite_write_lock(url: str):
    """SQLite allows one writer; under eventlet a second writer would spin on 'database is locked'
    while holding the hub, so units of work on one SQLite file take turns (green-aware lock)."""
    with _ENGINES_LOCK:
        return _SQLITE_WRITE_LOCKS.setdefault(url, threading.RLock())


class UnitOfWork:
    """One transaction: a session, the events it emits, and the inbox claim of the event it handles.

    Commit explicitly; anything not committed is rolled back on close.
    """

    def __init__(
        self,
        engine: Engine,
        service: str,
        correlation_id: str,
        on_commit_with_events: Callable[[], None] | None = None,
    ):
        self._engine = engine
        self.service = service
        self.correlation_id = correlation_id
        self._on_commit_with_events = on_commit_with_events
        self._session: Session | None = None
        self._lock = sqlite_write_lock(str(engine.url)) if is_sqlite(engine) else None
        self._pending_events = 0
        self._after_commit: list[Callable[[], None]] = []
        self.emitted: list[Envelope] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            if self._lock is not None:
                self._lock.acquire()
            self._session = Session(self._engine, expire_on_commit=False, autoflush=True)
        return self._session

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def emit(self, data: EventData, *, subject: str | None = None) -> Envelope:
        """Record an event in the outbox; it is published only if this unit of work commits."""
        envelope = new_envelope(
            data, source=f"savivalda/{self.service}", correlation_id=self.correlation_id, subject=subject
        )
        return self.add_envelope(envelope)

    def add_envelope(self, envelope: Envelope) -> Envelope:
        """Put an already built envelope in the outbox (e.g. one the CLI makes for an operator)."""
        self.session.execute(
            OUTBOX.insert().values(
                event_id=envelope.id,
                event_type=envelope.type,
                exchange=envelope.exchange,
                routing_key=envelope.routing_key,
                correlation_id=envelope.correlationid,
                body=json.dumps(envelope.to_wire(), ensure_ascii=False),
                created_at=utcnow(),
            )
        )
        self._pending_events += 1
        self.emitted.append(envelope)
        return envelope

    def claim(self, consumer: str, envelope: Envelope) -> bool:
        """Record that `consumer` applies this event; False if it already did (redelivery).

        The inbox row commits together with the handler's effect. A concurrent duplicate waits on
        the row lock and then sees the conflict.
        """
        insert = postgresql.insert(INBOX) if self.dialect == "postgresql" else sqlite.insert(INBOX)
        result = self.session.execute(
            insert.values(
                consumer=consumer, event_id=envelope.id, event_type=envelope.type, processed_at=utcnow()
            ).on_conflict_do_nothing()
        )
        return result.rowcount == 1

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current transaction has committed (e.g. wake a delivery loop)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        if self._session is None:
            return
        self._session.commit()
        callbacks, self._after_commit = self._after_commit, []
        if self._pending_events:
            self._pending_events = 0
            if self._on_commit_with_events:
                callbacks.append(self._on_commit_with_events)
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._pending_events = 0
        self._after_commit.clear()
        self.emitted.clear()

    def upsert(self, table: Table, values: dict, key: list[str], update: list[str]) -> None:
        """INSERT ... ON CONFLICT (key) DO UPDATE SET update-columns (PostgreSQL and SQLite)."""
        insert = postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)
        statement = insert.values(**values)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=key, set_={name: statement.excluded[name] for name in update}))

    def close(self) -> None:
        if self._session is None:
            return
        try:
            self._session.close()
        finally:
            self._session = None
            self._pending_events = 0
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# The infrastructure tables have the same shape in every service's database; shared code uses
# this copy of their definitions to build statements.
_INFRA_METADATA = new_metadata()
OUTBOX = _INFRA_METADATA.tables["outbox"]
INBOX = _INFRA_METADATA.tables["inbox"]
DEAD_LETTERS = _INFRA_METADATA.tables["dead_letters"]
RUNTIME_MARKS = _INFRA_METADATA.tables["runtime_marks"]


@contextmanager
def unit_of_work(url: str, service: str, correlation_id: str | None = None) -> Iterator[UnitOfWork]:
    """A unit of work outside any worker (relays, timers, CLI)."""
    uow = UnitOfWork(engine_for(url), service, correlation_id or str(uuid.uuid4()))
    try:
        yield uow
    finally:
        uow.close()


def set_mark(uow: UnitOfWork, name: str, value: str) -> None:
    table = RUNTIME_MARKS
    insert = postgresql.insert(table) if uow.dialect == "postgresql" else sqlite.insert(table)
    stmt = insert.values(name=name, value=value, updated_at=utcnow())
    uow.session.execute(
        stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": utcnow()})
    )


def get_mark(uow: UnitOfWork, name: str) -> str | None:
    row = uow.session.execute(RUNTIME_MARKS.select().where(RUNTIME_MARKS.c.name == name)).first()
    return row.value if row else None
