"""Fixtures of the enrollment tests: the embedded system with a fast timer."""

import pytest

from tests.support import free_port, wait_until


@pytest.fixture
def system(tmp_path, reset_process_state):
    """All four services in this process on the embedded default, the enrollment timer every 0.2 s."""
    yield from _embedded(tmp_path, {"SAVIVALDA_TIMER_INTERVAL": "0.2"})


def _embedded(tmp_path, extra_env):
    from services.runner import Process
    from shared.auth import issue_token
    from shared.config import embedded_settings
    from tests.enrollment.helpers import Api

    env = {"SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{free_port()}", "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{free_port()}",
           "SAVIVALDA_RETRY_DELAYS": "0.1,0.2", "SAVIVALDA_RELAY_INTERVAL": "0.1", **extra_env}
    settings = embedded_settings(tmp_path / "data", env=env)
    process = Process(settings)
    process.prepare()
    process.start()
    api = Api(f"http://{settings.http_address}",
              lambda role="staff", **kw: issue_token(settings.auth_secret, subject="tester", role=role, **kw),
              settings.database_url("enrollment"))
    api.settings = settings
    api.wait_until = wait_until
    yield api
    process.stop()
