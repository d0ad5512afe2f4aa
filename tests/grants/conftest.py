"""The grants tests run the whole embedded system like tests/conftest.py's `embedded`, with the
services' timers (deadline reminders) firing every few tenths of a second."""

import pytest

from tests.support import free_port, wait_until

TIMER_INTERVAL = "0.3"


@pytest.fixture
def grants_system(tmp_path, reset_process_state):
    from services.runner import Process
    from shared.auth import issue_token
    from shared.config import embedded_settings

    env = {"SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{free_port()}", "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{free_port()}",
           "SAVIVALDA_RETRY_DELAYS": "0.1,0.2", "SAVIVALDA_RELAY_INTERVAL": "0.1",
           "SAVIVALDA_TIMER_INTERVAL": TIMER_INTERVAL}
    settings = embedded_settings(tmp_path / "data", env=env)
    process = Process(settings)
    process.prepare()
    process.start()

    class Running:
        pass

    running = Running()
    running.process = process
    running.settings = settings
    running.base_url = f"http://{settings.http_address}"
    running.ops_url = f"http://{settings.ops_address}"
    running.token = lambda role="staff", subject="consultant@lsa.lt", **kw: issue_token(
        settings.auth_secret, subject=subject, role=role, **kw)
    running.mailbox = settings.mailbox_dir
    running.wait_until = wait_until
    yield running
    process.stop()
