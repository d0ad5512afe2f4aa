"""Fixtures of the notifications tests: the embedded system sending over real SMTP, and a local
HTTP receiver that checks webhook signatures."""

import json

import eventlet
import pytest
from eventlet import wsgi

from tests.support import free_port


class WebhookReceiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.port = free_port()
        self._sock = eventlet.listen(("127.0.0.1", self.port))
        self._thread = eventlet.spawn(wsgi.server, self._sock, self._app, log_output=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/savivalda"

    def _app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        self.requests.append({"headers": {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                                          if k.startswith("HTTP_")}, "body": body, "json": json.loads(body)})
        status = {200: "200 OK", 410: "410 Gone", 503: "503 Service Unavailable"}[self.status]
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    def close(self):
        self._thread.kill()
        self._sock.close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def embedded_webhooks(tmp_path, reset_process_state):
    """The embedded system with webhooks allowed to 127.0.0.1, where the tests' receivers listen
    (without SAVIVALDA_WEBHOOK_ALLOWED_HOSTS loopback addresses are refused: docs/security.md)."""
    from tests.support import EmbeddedSystem

    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    yield system
    system.stop()


@pytest.fixture
def embedded_smtp(tmp_path, reset_process_state, smtp_sink):
    """All four services in this process (SQLite, in-memory broker) sending e-mail over real SMTP."""
    from tests.support import EmbeddedSystem

    system = EmbeddedSystem(tmp_path / "data", smtp_url=smtp_sink.url)
    system.smtp = smtp_sink
    yield system
    system.stop()


@pytest.fixture(scope="session")
def migrated_notifications(tmp_path_factory):
    """A folder with one migrated notifications SQLite database (notifications.db), made once per
    run; `notifications_db_url` gives each test a copy of it."""
    from shared import migrations
    from shared.persistence.engines import dispose_engines

    folder = tmp_path_factory.mktemp("notifications-template")
    migrations.upgrade("notifications", f"sqlite:///{folder / 'notifications.db'}")
    dispose_engines()
    return folder


@pytest.fixture
def notifications_db_url(migrated_notifications, tmp_path):
    """The URL of this test's own migrated notifications database (SQLite, in tmp_path)."""
    import shutil

    from shared.persistence.engines import dispose_engines

    for path in migrated_notifications.iterdir():
        shutil.copy(path, tmp_path / path.name)
    yield f"sqlite:///{tmp_path / 'notifications.db'}"
    dispose_engines()
