"""`savivalda privacy erase` publishes privacy.erasure_requested in both modes."""

import json

from kombu import Connection, Queue

from shared.events import parse_event
from shared.messaging.topology import events_exchange
from tests.support import run_cli, wait_until


def listen(uri: str) -> Queue:
    queue = Queue("test-privacy-listener", exchange=events_exchange("privacy"), routing_key="erasure_requested")
    with Connection(uri) as connection:
        queue.bind(connection.default_channel).declare()
    return queue


def take(uri: str, queue: Queue):
    with Connection(uri) as connection:
        message = connection.default_channel.basic_get(queue=queue.name, no_ack=True)
        return json.loads(message.body) if message else None


def test_embedded_erasure_request_is_published_by_the_running_process(embedded):
    queue = listen("memory://")
    done = run_cli("--data-dir", str(embedded.settings.data_dir), "privacy", "erase", "Ona@Kaunas.lt",
                   "--requested-by", "dpo", "--reason", "request 2026/17")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    body = wait_until(lambda: take("memory://", queue), message="the erasure request on the bus")
    envelope, data = parse_event(body)
    assert envelope.type == "privacy.erasure_requested" and str(envelope.id) == printed["event_id"]
    assert (data.email, data.requested_by, data.reason) == ("Ona@Kaunas.lt", "dpo", "request 2026/17")


def test_distributed_erasure_request_goes_to_the_broker(amqp_uri):
    queue = listen(amqp_uri)
    done = run_cli("privacy", "erase", "john@example.lt", env={"SAVIVALDA_AMQP_URI": amqp_uri})
    assert done.returncode == 0, done.stderr
    body = wait_until(lambda: take(amqp_uri, queue), message="the erasure request in the queue")
    assert body["data"]["email"] == "john@example.lt" and body["source"] == "savivalda/cli"


def test_an_invalid_address_is_refused(tmp_path):
    done = run_cli("--data-dir", str(tmp_path), "privacy", "erase", "not-an-address")
    assert done.returncode == 2 and "email" in done.stderr
