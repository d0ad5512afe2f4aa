"""One SQLAlchemy engine per database URL per process, and SQLite's one-writer-at-a-time rule."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, event as sa_event
from sqlalchemy.engine import Engine

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
