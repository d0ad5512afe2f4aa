"""Issue 13: webhooks only to public http(s) addresses (unless allowed), no redirects, timeouts;
webhook secrets shown once, when created or rotated."""

import time as clock

import eventlet
import pytest
from eventlet import wsgi

from services.notifications.delivery import WebhookSender
from services.notifications.domain.tokens import verify_webhook
from services.notifications.outbound import UnsafeWebhook, address_allowed, check_registration, safe_addresses
from tests.notifications.test_service import deliveries, publish_call, register, sql
from tests.support import free_port, http, wait_until

PAYLOAD = {"notification_id": "n", "event_type": "grants.call_published", "text": "hello"}


def fixed(*addresses):
    return lambda host, port: list(addresses)


# ---------------------------------------------------------------- the address policy

@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.1", "10.1.2.3", "172.16.0.5", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1",
                                     "255.255.255.255", "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
                                     "::"])
def test_non_public_addresses_are_refused(address):
    assert not address_allowed(address)


def test_public_addresses_and_allowed_networks_pass():
    assert address_allowed("93.184.216.34") and address_allowed("2606:2800:220:1:248:1893:25c8:1946")
    assert address_allowed("10.20.1.5", ("10.20.0.0/16",)) and not address_allowed("10.21.1.5", ("10.20.0.0/16",))


def test_urls_are_checked_by_shape_and_by_every_address_their_host_resolves_to():
    for url in ("ftp://hooks.kaunas.lt/x", "file:///etc/passwd", "http://user:pw@hooks.kaunas.lt/x", "http:///x",
                "gopher://hooks.kaunas.lt/"):
        with pytest.raises(UnsafeWebhook):
            safe_addresses(url, resolver=fixed("93.184.216.34"))
    with pytest.raises(UnsafeWebhook, match="private"):
        safe_addresses("https://hooks.kaunas.lt/x", resolver=fixed("93.184.216.34", "10.0.0.7"))  # one bad is enough
    with pytest.raises(UnsafeWebhook):
        safe_addresses("http://[::1]:8000/x")
    assert safe_addresses("https://hooks.kaunas.lt/x", resolver=fixed("93.184.216.34"))[3] == ["93.184.216.34"]
    assert safe_addresses("http://intranet.lsa.lt/x", ("intranet.lsa.lt",), resolver=fixed("10.0.0.7"))[3] == ["10.0.0.7"]
    with pytest.raises(UnsafeWebhook):
        check_registration("http://localhost:9100/metrics")
    check_registration("https://not-yet-registered.invalid/hook")  # checked again at every delivery


# ---------------------------------------------------------------- the sender

class Receiver:
    def __init__(self, app):
        self.requests = []
        self.app = app
        self.port = free_port()
        self._sock = eventlet.listen(("127.0.0.1", self.port))
        self._thread = eventlet.spawn(wsgi.server, self._sock, self._handle, log_output=False)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def _handle(self, environ, start_response):
        self.requests.append(environ["PATH_INFO"])
        return self.app(environ, start_response)

    def close(self):
        self._thread.kill()
        self._sock.close()


@pytest.fixture
def receivers():
    made = []

    def make(app):
        made.append(Receiver(app))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_the_sender_refuses_loopback_unless_allowed_and_never_connects(receivers):
    receiver = receivers(ok)
    refused = WebhookSender().send(receiver.url(), "k", PAYLOAD, idempotency_key="i")
    assert not refused.ok and refused.permanent and "refused" in refused.error
    assert receiver.requests == []
    allowed = WebhookSender(allowed_hosts=("127.0.0.1",)).send(receiver.url(), "k", PAYLOAD, idempotency_key="i")
    assert allowed.ok, allowed.error
    assert receiver.requests == ["/hook"]


def test_redirects_are_not_followed(receivers):
    target = receivers(ok)

    def redirect(environ, start_response):
        start_response("302 Found", [("Location", target.url("/internal")), ("Content-Type", "text/plain")])
        return [b""]

    origin = receivers(redirect)
    result = WebhookSender(allowed_hosts=("127.0.0.1",)).send(origin.url(), "k", PAYLOAD, idempotency_key="i")
    assert not result.ok and result.permanent and "redirects are not followed" in result.error
    assert target.requests == []


def test_a_receiver_that_does_not_answer_times_out(receivers):
    def slow(environ, start_response):
        eventlet.sleep(5)
        return ok(environ, start_response)

    receiver = receivers(slow)
    started = clock.monotonic()
    result = WebhookSender(timeout=0.3, allowed_hosts=("127.0.0.1",)).send(receiver.url(), "k", PAYLOAD,
                                                                            idempotency_key="i")
    assert not result.ok and not result.permanent and clock.monotonic() - started < 3


# ---------------------------------------------------------------- through the API

def test_registration_refuses_internal_webhook_urls_naming_the_field(embedded):
    url = f"{embedded.base_url}/notifications/recipients"
    base = {"email": "hook@kaunas.lt", "name": "Hook", "municipality_code": "15", "channels": ["webhook"]}
    for target in ("http://127.0.0.1:15672/api/users", "http://169.254.169.254/latest/meta-data/",
                   "http://localhost:9100/metrics", "http://10.0.0.5/hook", "http://[::1]/hook",
                   "http://user:pw@hooks.kaunas.lt/x"):
        reply = http("POST", url, {**base, "webhook_url": target}, token=embedded.token())
        assert reply.status == 422, (target, reply.body)
        assert "webhook_url" in [e["field"] for e in reply.body["errors"]], reply.body
    created = http("POST", url, {**base, "channels": ["email"]}, token=embedded.token())
    assert created.status == 201
    change = http("PUT", f"{url}/{created.body['id']}/preferences",
                  {"channels": ["webhook"], "webhook_url": "http://127.0.0.1:5672/"}, token=embedded.token())
    assert change.status == 422 and "webhook_url" in [e["field"] for e in change.body["errors"]]


def test_delivery_checks_the_address_again_and_never_calls_loopback(embedded, webhook_receiver):
    """A row registered before the check (or a name re-pointed since) is refused when delivering."""
    subscriber = register(embedded, email="hook@kaunas.lt", name="Integracija", channels=["webhook"],
                          webhook_url="https://hooks.kaunas.example/savivalda")
    sql(embedded, "UPDATE recipients SET webhook_url = :url WHERE id = :id", url=webhook_receiver.url,
        id=subscriber["id"].replace("-", ""))
    stored = sql(embedded, "SELECT webhook_url FROM recipients")
    assert [r[0] for r in stored] == [webhook_receiver.url], stored
    publish_call(embedded)
    failed = wait_until(lambda: deliveries(embedded, status="failed", channel="webhook"), message="the refused webhook")
    assert "refused" in failed[0]["last_error"] and failed[0]["attempts"] == 1
    clock.sleep(0.3)
    assert webhook_receiver.requests == []


def test_the_webhook_secret_is_shown_once_and_rotated_on_request(embedded_webhooks, webhook_receiver):
    system = embedded_webhooks
    url = f"{system.base_url}/notifications/recipients"
    created = register(system, email="hook@kaunas.lt", name="Integracija", channels=["webhook"],
                       webhook_url=webhook_receiver.url)
    first = created["webhook_secret"]
    assert first and len(first) >= 32
    rid = created["id"]
    for role in ("staff", "operator", "municipality:15"):
        assert http("GET", f"{url}/{rid}", token=system.token(role)).body["webhook_secret"] is None, role
        listed = http("GET", url, token=system.token(role)).body
        assert [r["webhook_secret"] for r in listed] == [None], role
    again = register(system, email="hook@kaunas.lt", name="Integracija", channels=["webhook"],
                     webhook_url=webhook_receiver.url)
    assert again["webhook_secret"] is None  # an update does not show it either
    preferences = http("PUT", f"{url}/{rid}/preferences", {"channels": ["webhook"], "webhook_url": webhook_receiver.url,
                                                      "call_alerts": True},
                       token=system.token())
    assert preferences.status == 200 and preferences.body["webhook_secret"] is None

    assert http("POST", f"{url}/{rid}/webhook-secret", token=system.token("operator")).status == 403
    assert http("POST", f"{url}/{rid}/webhook-secret", token=system.token("municipality:57")).status in (403, 404)
    rotated = http("POST", f"{url}/{rid}/webhook-secret", token=system.token("municipality:15"))
    assert rotated.status == 200, rotated.body
    second = rotated.body["webhook_secret"]
    assert second and second != first and rotated.body["recipient_id"] == rid
    assert http("GET", f"{url}/{rid}", token=system.token()).body["webhook_secret"] is None

    publish_call(system)
    request = wait_until(lambda: webhook_receiver.requests and webhook_receiver.requests[0], message="the webhook")
    timestamp, signature = int(request["headers"]["X-Savivalda-Timestamp"]), request["headers"]["X-Savivalda-Signature"]
    assert verify_webhook(second, timestamp, request["body"], signature, now=int(clock.time()))
    assert not verify_webhook(first, timestamp, request["body"], signature, now=int(clock.time()))
