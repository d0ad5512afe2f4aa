"""Fixtures of the partners tests: the embedded system (optionally with fast timers) and a
client of the partners API with a staff and a municipality token."""

import pytest

from tests.partners.helpers import PartnersDatabase, created, get, post
from tests.support import EmbeddedSystem


def start_embedded(tmp_path, **env_changes):
    return EmbeddedSystem(tmp_path / "data", env=env_changes)


class PartnersClient:
    def __init__(self, system):
        self.system = system
        self.base = system.base_url
        self.db = PartnersDatabase(system.settings.database_url("partners"))
        self.staff = system.token()
        self.kaunas = system.token("municipality:16")

    def post(self, path, body, token=None):
        return post(self.base, path, body, self.staff if token is None else token)

    def put(self, path, body, token=None):
        from tests.support import http

        return http("PUT", f"{self.base}/partners{path}", body, token=self.staff if token is None else token)

    def get(self, path, token=None):
        return get(self.base, path, self.staff if token is None else token)

    def profile(self, body, token=None):
        return created(self.post("/organisations", body, token))


@pytest.fixture
def partners(embedded):
    client = PartnersClient(embedded)
    yield client
    client.db.close()


@pytest.fixture
def partners_with_timers(tmp_path, reset_process_state):
    """The embedded system with every service's timers firing every 0.2 s."""
    system = start_embedded(tmp_path, SAVIVALDA_TIMER_INTERVAL="0.2")
    client = PartnersClient(system)
    yield client
    client.db.close()
    system.process.stop()
