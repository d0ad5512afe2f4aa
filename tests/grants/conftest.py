"""The grants tests run the whole embedded system like tests/conftest.py's `embedded`, with the
services' timers (deadline reminders) firing every few tenths of a second."""

import pytest

from tests.support import EmbeddedSystem

TIMER_INTERVAL = "0.3"


@pytest.fixture
def grants_system(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_TIMER_INTERVAL": TIMER_INTERVAL},
                            default_subject="consultant@lsa.lt")
    yield system
    system.stop()
