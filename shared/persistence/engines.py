"""One SQLAlchemy engine per database URL per process, and SQLite's one-writer-at-a-time rule."""

from __future__ import annotations

import os
import threading

from sqlalchemy import create_engine, event as sa_event
from sqlalchemy.engine import Engine

DEFAULT_MAX_WORKERS = 10
# Connections a service process needs besides its workers' (one each): the outbox relay (1), the
# notifications delivery loop (2: its round and its lease heartbeat/recorder), the scrape-time
# gauges (2: outbox and the service's own), the health checks (1), and 2 spare.
POOL_HEADROOM = 8

# Execution options: SQL text sent before / after a statement in the same round trip, as one
# simple-query string (PostgreSQL runs them in turn, each statement with its own snapshot). The
# unit of work sends a transaction's BEGIN with its first statement and COMMIT with its last this
# way (UnitOfWork.own_transaction); the parameters are the statement's own.
SQL_BEFORE = "savivalda_sql_before"
SQL_AFTER = "savivalda_sql_after"


def pool_size(max_workers: int) -> int:
    """Connections in a PostgreSQL engine's pool for SAVIVALDA_MAX_WORKERS workers (no overflow:
    the bound is what the database's max_connections must allow per service process)."""
    return max(1, max_workers) + POOL_HEADROOM


def is_sqlite(engine_or_url) -> bool:
    url = str(getattr(engine_or_url, "url", engine_or_url))
    return url.startswith("sqlite")


_ENGINES: dict[str, Engine] = {}
_SQLITE_WRITE_LOCKS: dict[str, threading.RLock] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(url: str, *, max_workers: int | None = None) -> Engine:
    """One engine per database URL per process (embedded mode shares them between services).

    The pool of a PostgreSQL engine holds `pool_size(max_workers)` connections; max_workers is the
    service's setting (the Database dependency passes it), else SAVIVALDA_MAX_WORKERS, else 10."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _create_engine(url, max_workers)
            _ENGINES[url] = engine
        return engine


def dispose_engines() -> None:
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _SQLITE_WRITE_LOCKS.clear()


def _workers(max_workers: int | None) -> int:
    if max_workers is not None:
        return max_workers
    configured = os.environ.get("SAVIVALDA_MAX_WORKERS")
    return int(configured) if configured else DEFAULT_MAX_WORKERS


def _casefold(text):
    return text.casefold() if isinstance(text, str) else text


def _create_engine(url: str, max_workers: int | None = None) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # What is deleted or overwritten is zeroed in the file, not left in free space: an
            # erased person's data must not stay on disk (shared/erasure.py, leave_no_copy_on_disk).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()
            # SQLite's lower() folds ASCII only; searches compare casefold(column) (Š, Ž, Ū too).
            dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

        return engine
    # No pool_pre_ping: it was a round trip (SELECT 1) on every checkout. A pooled connection the
    # server closed (restart, pg_terminate_backend) fails on the unit of work's first statement,
    # before anything is written: SQLAlchemy sees the disconnect and invalidates the whole pool
    # (every connection older than the error is replaced at its next checkout), and the request is
    # answered 503 database_unavailable with Retry-After (shared/http.py), never 500
    # (docs/reliability.md; tests/integration/test_reliability.py).
    engine = create_engine(url, pool_pre_ping=False, pool_size=pool_size(_workers(max_workers)), max_overflow=0,
                           pool_timeout=30)
    sa_event.listen(engine, "before_cursor_execute", _sql_around, retval=True)
    return engine


def _sql_around(connection, cursor, statement, parameters, context, executemany):
    """SQL_BEFORE / SQL_AFTER of the execution options around the statement (see above)."""
    if context is not None:
        options = context.execution_options
        before, after = options.get(SQL_BEFORE), options.get(SQL_AFTER)
        if before or after:
            statement = f"{before or ''}{statement}{after or ''}"
    return statement, parameters


def sqlite_write_lock(url: str):
    """SQLite allows one writer; under eventlet a second writer would spin on 'database is locked'
    while holding the hub, so units of work on one SQLite file take turns (green-aware lock)."""
    with _ENGINES_LOCK:
        return _SQLITE_WRITE_LOCKS.setdefault(url, threading.RLock())
