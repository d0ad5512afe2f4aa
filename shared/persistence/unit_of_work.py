"""The unit of work: one transaction, the events it emits (written to the outbox in the same
transaction, so both commit or neither does) and the inbox claim of the event it handles."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shared.events.envelope import Envelope, EventData, new_envelope
from shared.persistence.engines import SQL_AFTER, engine_for, is_sqlite, sqlite_write_lock
from shared.persistence.schema import INBOX, OUTBOX, RUNTIME_MARKS, utcnow

class CommitOutcomeUnknown(Exception):
    """The connection was lost while COMMIT was under way: the transaction may or may not have
    committed. The HTTP layer answers 503 `commit_outcome_unknown`; retrying with the same
    Idempotency-Key tells which (docs/reliability.md)."""


class UnitOfWork:
    """One transaction: a session, the events it emits, and the inbox claim of the event it handles.

    Commit explicitly; anything not committed is rolled back on close.
    """

    # own_transaction(): the connection (autocommit at the driver) whose transaction this unit of
    # work opens and ends itself, and whether its BEGIN has been sent (then a COMMIT or a ROLLBACK
    # is owed before the connection goes back to the pool).
    _own: Connection | None = None
    _open = False

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
        self.session.execute(OUTBOX.insert().values(self._outbox_values(envelope)))
        self._emitted(envelope)
        return envelope

    def outbox_row(self, data: EventData, *, subject: str | None = None) -> dict:
        """Emit an event that the caller's own statement inserts into the outbox in this
        transaction (e.g. one statement writing a row and its event together): the outbox row's
        values. Counted as emitted, like `emit`; published only if this unit of work commits."""
        envelope = new_envelope(data, source=f"savivalda/{self.service}", correlation_id=self.correlation_id,
                                subject=subject)
        self._emitted(envelope)
        return self._outbox_values(envelope)

    def _emitted(self, envelope: Envelope) -> None:
        self._pending_events += 1
        self.emitted.append(envelope)

    @staticmethod
    def _outbox_values(envelope: Envelope) -> dict:
        return dict(event_id=envelope.id, event_type=envelope.type, exchange=envelope.exchange,
                    routing_key=envelope.routing_key, correlation_id=envelope.correlationid,
                    body=json.dumps(envelope.to_wire(), ensure_ascii=False), created_at=utcnow())

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

    # ---------------------------------------------------------------- a transaction in two round trips
    def own_transaction(self) -> bool:
        """PostgreSQL: from here on this unit of work sends its transaction's BEGIN with the first
        statement (`begin_sql`) and its COMMIT with the last (`commit_with`), each in the same round
        trip, so that a short transaction (a lock, a read, a write) is two round trips instead of
        BEGIN, each statement and COMMIT apart. The driver's connection is in autocommit mode for it;
        a ROLLBACK is sent on rollback() or close() if the transaction was begun and not committed.

        Call it before anything is written: what was read so far is committed first. False, and
        nothing changes, on SQLite (no round trips to save) or when events are already pending."""
        if self.dialect != "postgresql" or self._pending_events or self._after_commit:
            return False
        if self._own is not None:
            return True
        session = self.session
        if session.new or session.dirty or session.deleted:
            return False
        if session.in_transaction():
            session.commit()  # (only read: the tenancy lookup, an Idempotency-Key)
        self._own = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        self._open = False
        return True

    def begin_sql(self) -> str:
        """The text to send before this transaction's first statement, in its round trip (the
        execution option engines.SQL_BEFORE): "BEGIN; " if this unit of work owns its transaction and
        has not begun it (from now on it owes a COMMIT or a ROLLBACK), else ""."""
        if self._own is None or self._open:
            return ""
        self._open = True
        return "BEGIN; "

    def commit_with(self, statement, params: dict) -> None:
        """Execute the transaction's last statement and commit: as `statement; COMMIT`, one round
        trip, when this unit of work owns its begun transaction; else the statement, then commit().
        A connection lost meanwhile is CommitOutcomeUnknown (the COMMIT may have been carried out)."""
        if not self._open:
            self.session.execute(statement, params)
            self.commit()
            return
        self._session.flush()
        try:
            self._session.execute(statement, params, execution_options={SQL_AFTER: "; COMMIT"})
        except DBAPIError as error:
            if error.connection_invalidated:
                raise CommitOutcomeUnknown(str(error.orig).strip() or type(error.orig).__name__) from error
            raise  # (the transaction stays begun, aborted: rollback() or close() ends it)
        self._open, self._own = False, None
        self._session.commit()  # (the driver sends nothing in autocommit mode; the connection goes back)
        self._committed()

    def _end_own(self) -> None:
        """Forget the own transaction; if it was begun and not committed, ROLLBACK (the driver sends
        none in autocommit mode, and the pool would take the connection back inside the transaction);
        if that fails, the connection is invalidated rather than given back."""
        connection, begun = self._own, self._open
        self._own, self._open = None, False
        if connection is None or not begun or connection.closed or connection.invalidated:
            return  # (an invalidated connection's transaction ended with its server session)
        try:
            connection.exec_driver_sql("ROLLBACK")
        except Exception:
            try:
                connection.invalidate()
            except Exception:
                pass

    def commit(self) -> None:
        if self._session is None:
            return
        self._session.flush()  # a failure here is before COMMIT: nothing was committed
        try:
            if self._open:  # own transaction, begun: its COMMIT (the driver sends none in autocommit mode)
                self._own.exec_driver_sql("COMMIT")
            self._open, self._own = False, None
            self._session.commit()
        except DBAPIError as error:
            if error.connection_invalidated:  # COMMIT sent, its answer lost with the connection
                raise CommitOutcomeUnknown(str(error.orig).strip() or type(error.orig).__name__) from error
            raise
        self._committed()

    def _committed(self) -> None:
        callbacks, self._after_commit = self._after_commit, []
        if self._pending_events:
            self._pending_events = 0
            if self._on_commit_with_events:
                callbacks.append(self._on_commit_with_events)
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self._end_own()
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
            self._end_own()
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
