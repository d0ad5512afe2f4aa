"""The grants tests: most run the whole embedded system like tests/conftest.py's `embedded`, with
the services' timers (deadline reminders) firing every few tenths of a second; the use-case and
entrypoint tests need only a migrated grants database (`grants_db`)."""

import shutil

import pytest

from tests.support import EmbeddedSystem

TIMER_INTERVAL = "0.3"


@pytest.fixture
def grants_system(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_TIMER_INTERVAL": TIMER_INTERVAL},
                            default_subject="consultant@lsa.lt")
    yield system
    system.stop()


@pytest.fixture(scope="session")
def migrated_grants_database(tmp_path_factory):
    """A grants SQLite database migrated once per test session (about half a second)."""
    from shared.migrations import upgrade
    from shared.persistence.engines import engine_for

    path = tmp_path_factory.mktemp("grants-template") / "grants.db"
    url = f"sqlite:///{path}"
    upgrade("grants", url)
    engine_for(url).dispose()  # the last connection closes: the WAL is checkpointed into the file
    return path


@pytest.fixture
def grants_db(migrated_grants_database, tmp_path) -> str:
    """The URL of a fresh copy of the migrated grants database, for one test."""
    path = tmp_path / "grants.db"
    for suffix in ("", "-wal", "-shm"):
        source = migrated_grants_database.with_name(migrated_grants_database.name + suffix)
        if source.exists():
            shutil.copy(source, path.with_name(path.name + suffix))
    return f"sqlite:///{path}"
