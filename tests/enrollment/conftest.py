"""Fixtures of the enrollment tests: the embedded system with a fast timer."""

import pytest

from tests.support import EmbeddedSystem, wait_until


@pytest.fixture
def system(tmp_path, reset_process_state):
    """All four services in this process on the embedded default, the enrollment timer every 0.2 s."""
    yield from _embedded(tmp_path, {"SAVIVALDA_TIMER_INTERVAL": "0.2"})


def _embedded(tmp_path, extra_env):
    from tests.enrollment.helpers import Api

    system = EmbeddedSystem(tmp_path / "data", env=extra_env)
    api = Api(system.base_url, system.token, system.settings.database_url("enrollment"))
    api.settings, api.ops_url, api.wait_until = system.settings, system.ops_url, system.wait_until
    yield api
    system.stop()


@pytest.fixture(scope="module")
def module_vhost(broker_admin):
    """One vhost for a module's distributed tests (each still gets fresh databases): making a vhost
    costs a second of rabbitmqctl, and these tests only need the enrollment service's own queues."""
    from services.runner import declare_topology
    from shared.config import operator_settings
    from tests.support import RABBIT_HOST, RABBIT_PORT

    name = broker_admin.add_vhost()
    # What `savivalda migrate` does for the broker (the databases come migrated from their template).
    declare_topology(operator_settings({"SAVIVALDA_AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/{name}"}),
                     ("enrollment",))
    yield name
    broker_admin.delete_vhost(name)


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.e2e)])
def any_system(request, tmp_path):
    """The same API on the embedded default, and as `savivalda run enrollment` on PostgreSQL and
    RabbitMQ (timer every 0.2 s in both)."""
    if request.param == "embedded":
        request.getfixturevalue("reset_process_state")
        yield from _embedded(tmp_path, {"SAVIVALDA_TIMER_INTERVAL": "0.2"})
        return
    from shared.auth import issue_token
    from tests.enrollment.helpers import Api
    from tests.support import RABBIT_HOST, RABBIT_PORT, TEST_SECRET, ProcessLauncher

    vhost = request.getfixturevalue("module_vhost")
    databases = request.getfixturevalue("pg_databases")
    env = {"SAVIVALDA_AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:{RABBIT_PORT}/{vhost}",
           "SAVIVALDA_AUTH_SECRET": TEST_SECRET, "SAVIVALDA_ENROLLMENT_DATABASE_URL": databases["enrollment"],
           "SAVIVALDA_RELAY_INTERVAL": "0.2", "SAVIVALDA_TIMER_INTERVAL": "0.2"}
    launcher = ProcessLauncher(env, tmp_path)
    process = launcher.start("enrollment")
    api = Api(process.base_url, lambda role="staff", **kw: issue_token(TEST_SECRET, subject="tester", role=role, **kw),
              databases["enrollment"])
    api.wait_until = wait_until
    yield api
    launcher.stop_all()
