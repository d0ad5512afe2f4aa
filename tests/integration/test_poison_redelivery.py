"""A message whose handler kills its process (OOM kill, segfault, liveness kill: no exception, no
ack) is redelivered by the broker. The project's attempt header never counts that, so without
counting the broker's redeliveries it came back forever, killing every replica in turn. Now it is
parked as a dead letter after SAVIVALDA_MAX_REDELIVERIES deliveries without an outcome: counted by
the quorum queue's x-delivery-count, or on a classic queue by the redelivered flag."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest
from kombu import Connection, Producer

from shared.broker import AmqpBroker
from shared.events.envelope import new_envelope
from shared.events.privacy import ErasureRequested
from shared.messaging import topology
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.schema import new_metadata
from tests.integration.poison_service import Poison, settings
from tests.support import ROOT

MAX_REDELIVERIES = 3


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_a_message_that_kills_its_handler_is_parked_after_the_redelivery_limit(amqp_uri, tmp_path, queue_type):
    database_url = f"sqlite:///{tmp_path}/poison.db"
    new_metadata().create_all(engine_for(database_url))
    dispose_engines()
    config = settings(amqp_uri, database_url, queue_type, MAX_REDELIVERIES)
    with Connection(amqp_uri) as connection:
        topology.declare_service_topology(connection, "poison", Poison, config, publishes=["privacy"])
        event = ErasureRequested(request_id=uuid.uuid4(), email="jonas@example.lt", requested_by="dpo")
        envelope = new_envelope(event, source="savivalda/test", correlation_id="poison")
        Producer(connection.channel()).publish(
            json.dumps(envelope.to_wire()), exchange=topology.events_exchange("privacy"),
            routing_key="erasure_requested", content_type="application/cloudevents+json",
            message_id=str(envelope.id), delivery_mode=2)
    runs = tmp_path / "runs.txt"
    broker = AmqpBroker(amqp_uri, "poison")
    parked = []
    for _ in range(MAX_REDELIVERIES + 3):  # a supervisor restarting the killed process
        process = subprocess.Popen([sys.executable, "-m", "tests.integration.poison_service", amqp_uri,
                                    database_url, queue_type, str(MAX_REDELIVERIES), str(runs)],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "stderr.txt", "a"))
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            parked = broker.dead_letters()
            if parked:
                break
            time.sleep(0.3)
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)
        if parked:
            break
    assert parked, f"still redelivered after {len(runs.read_text().splitlines())} runs that killed the process"
    (letter,) = parked
    assert letter.event_id == str(envelope.id) and letter.reason.startswith("redelivered:"), letter.reason
    assert len(runs.read_text().splitlines()) == MAX_REDELIVERIES  # the handler ran N times, then never again
