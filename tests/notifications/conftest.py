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
def embedded_smtp(tmp_path, reset_process_state, smtp_sink):
    """All four services in this process (SQLite, in-memory broker) sending e-mail over real SMTP."""
    from services.runner import Process
    from shared.auth import issue_token
    from shared.config import embedded_settings

    env = {"SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{free_port()}", "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{free_port()}",
           "SAVIVALDA_RETRY_DELAYS": "0.1,0.2", "SAVIVALDA_RELAY_INTERVAL": "0.1"}
    settings = embedded_settings(tmp_path / "data", env=env).with_changes(smtp_url=smtp_sink.url)
    process = Process(settings)
    process.prepare()
    process.start()

    class Running:
        pass

    running = Running()
    running.process, running.settings, running.smtp = process, settings, smtp_sink
    running.base_url = f"http://{settings.http_address}"
    running.ops_url = f"http://{settings.ops_address}"
    running.token = lambda role="staff", **kw: issue_token(settings.auth_secret, subject="tester", role=role, **kw)
    yield running
    process.stop()
