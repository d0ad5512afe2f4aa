"""Exactly one notification per (event, recipient, channel) with two notifications processes
and redelivered events, against RabbitMQ, PostgreSQL and a real SMTP server."""

import collections
import uuid
from datetime import date, timedelta

import eventlet

from shared.auth import issue_token
from shared.events import new_envelope
from shared.events.grants import CallPublished
from shared.events.publisher import EventPublisher
from shared.events.types import LocalizedText
from tests.support import TEST_SECRET, http, wait_until


def call(n: int) -> CallPublished:
    return CallPublished(call_id=uuid.uuid4(), code=f"TEST-{n}", funder="Test funder",
                         title=LocalizedText(lt=f"Kvietimas {n}", en=f"Call {n}"), themes=["budgeting"],
                         eligible_applicant_types=["municipality"], eligible_regions=[],
                         closes_on=date.today() + timedelta(days=30), status="open")


def test_two_replicas_and_redeliveries_still_send_each_e_mail_once(launcher, smtp_sink, distributed_env):
    replicas = [launcher.start("notifications"), launcher.start("notifications")]
    staff = issue_token(TEST_SECRET, subject="t", role="staff")
    for n in range(12):
        reply = http("POST", f"{replicas[n % 2].base_url}/notifications/recipients",
                     {"email": f"subscriber{n}@savivaldybe.lt", "name": f"Subscriber {n}", "municipality_code": "15",
                      "call_alerts": True, "language": "lt" if n % 3 else "en"}, token=staff)
        assert reply.status == 201, reply.body
    envelopes = [new_envelope(call(n), source="grants-test", correlation_id=f"fanout-{n}") for n in range(5)]
    with EventPublisher(distributed_env["SAVIVALDA_AMQP_URI"]) as publisher:
        for envelope in envelopes * 2:  # every event delivered twice
            publisher.publish(envelope)
    wait_until(lambda: len(smtp_sink.messages()) >= 60, timeout=60, message="sixty e-mails")
    eventlet.sleep(1.5)
    messages = smtp_sink.messages()
    ids = collections.Counter(m["Message-ID"] for m in messages)
    assert len(messages) == 60 and set(ids.values()) == {1}
    per_recipient = collections.Counter(m["To"].addresses[0].addr_spec for m in messages)
    assert set(per_recipient.values()) == {5} and len(per_recipient) == 12
    consumed = [r.metric("savivalda_events_consumed_total", handler="on_event") for r in replicas]
    duplicates = sum(r.metric("savivalda_events_consumed_total", handler="on_event", outcome="duplicate")
                     for r in replicas)
    assert sum(consumed) == 10 and duplicates == 5
