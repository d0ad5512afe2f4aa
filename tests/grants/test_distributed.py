"""Grants as the containers run it: two `savivalda run grants` replicas against the real RabbitMQ and
PostgreSQL. A call goes from publication to a decided application; the partners service's
documented events arrive through the broker; each deadline reminder goes out once although both
replicas' timers scan; an erasure leaves no personal field in the PostgreSQL database."""

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection, Queue

from shared.events import new_envelope
from shared.events.partners import Candidate, MatchesProposed, PartnershipEstablished
from shared.events.privacy import ErasureRequested
from shared.events.publisher import EventPublisher
from shared.events.types import Contact
from shared.messaging.topology import events_exchange
from tests.grants.helpers import application_body, call_body, day
from tests.grants.test_privacy_embedded import mentions
from tests.support import TEST_SECRET, http, wait_until

pytestmark = pytest.mark.e2e
VESTLAND = uuid.uuid4()


class Listener:
    """A queue bound to everything grants publishes, read as the test goes."""

    def __init__(self, amqp_uri: str):
        self.uri = amqp_uri
        self.queue = Queue(f"test-grants-listener-{uuid.uuid4().hex[:6]}", exchange=events_exchange("grants"),
                           routing_key="#")
        with Connection(amqp_uri) as connection:
            self.queue.bind(connection.default_channel).declare()
        self.received: list[dict] = []

    def of_type(self, event_type: str) -> list[dict]:
        with Connection(self.uri) as connection:
            while True:
                message = connection.default_channel.basic_get(queue=self.queue.name, no_ack=True)
                if message is None:
                    break
                self.received.append(json.loads(message.body))
        return [e for e in self.received if e["type"] == event_type]


def publish(amqp_uri: str, data, source: str = "savivalda/partners") -> None:
    with EventPublisher(amqp_uri) as publisher:
        assert publisher.publish(new_envelope(data, source=source, correlation_id=f"e2e-{uuid.uuid4()}"))


def test_from_publication_to_a_decided_application_on_rabbitmq_and_postgresql(launcher, distributed_env, pg_databases):
    from shared.auth import issue_token

    amqp_uri = distributed_env["SAVIVALDA_AMQP_URI"]
    listener = Listener(amqp_uri)
    first, second = (launcher.start("grants", extra_env={"SAVIVALDA_TIMER_INTERVAL": "0.3"}) for _ in range(2))
    staff = issue_token(TEST_SECRET, subject="jonas.jonaitis@lsa.lt", role="staff")
    kaunas = issue_token(TEST_SECRET, subject="ruta.petraitiene@kaunas.lt", role="municipality:15")

    programmes = http("GET", f"{first.base_url}/grants/programmes", token=kaunas).body
    assert [p["code"] for p in programmes] == ["LT10"] and len(programmes[0]["projects"]) == 3

    # Publication: the call alert carries themes and eligibility.
    call = http("POST", f"{first.base_url}/grants/calls", call_body(closes_on=day(7)), token=staff)
    assert call.status == 201, call.body
    published, = wait_until(lambda: listener.of_type("grants.call_published"), timeout=20, message="call_published")
    assert published["data"]["themes"] == call.body["themes"] and "15" in published["data"]["eligible_municipality_codes"]

    # Fit, through the other replica, for the municipality's own idea.
    fit = http("GET", f"{second.base_url}/grants/fit?themes=anti_corruption&total_cost_eur=100000", token=kaunas)
    assert fit.status == 200 and fit.body["calls"][0]["code"] == call.body["code"] and fit.body["calls"][0]["fits"]

    created = http("POST", f"{second.base_url}/grants/applications",
                   application_body(call.body["id"], internal_deadline=day(1)), token=staff)
    assert created.status == 201, created.body
    application_id = created.body["id"]
    request, = wait_until(lambda: listener.of_type("grants.partner_requested"), timeout=20,
                          message="partner_requested")
    assert request["data"]["application_id"] == application_id and request["data"]["countries"] == ["NO"]

    # The partners service's answers, as documented, through the broker.
    partner_request_id = uuid.uuid4()
    publish(amqp_uri, MatchesProposed(
        partner_request_id=partner_request_id, application_id=uuid.UUID(application_id), municipality_code="15",
        candidates=[Candidate(organisation_id=VESTLAND, name="Vestland fylkeskommune", country="NO",
                              organisation_type="county_council", score=0.9, components={"theme_overlap": 0.9})]))

    def shown():
        return http("GET", f"{first.base_url}/grants/applications/{application_id}", token=kaunas).body

    wait_until(lambda: shown()["partner"]["status"] == "proposed", timeout=20, message="the candidates shown")
    assert [c["name"] for c in shown()["partner"]["candidates"]] == ["Vestland fylkeskommune"]
    publish(amqp_uri, PartnershipEstablished(
        partnership_id=uuid.uuid4(), partner_request_id=partner_request_id, application_id=uuid.UUID(application_id),
        municipality_code="15", organisation_id=VESTLAND, organisation_name="Vestland fylkeskommune", country="NO",
        established_at=datetime.now(timezone.utc),
        candidate_contact=Contact(name="Kari Nordmann", email="kari.nordmann@vlfk.no")))
    wait_until(lambda: shown()["partner"]["met"], timeout=20, message="the partner requirement met")

    # Each reminder once, though both replicas' timers scan every 0.3 s.
    wait_until(lambda: len(listener.of_type("grants.call_deadline_approaching")) >= 2, timeout=20,
               message="two reminders")
    time.sleep(1.5)
    reminders = sorted((e["data"]["deadline_kind"], e["data"]["reminder_days"])
                       for e in listener.of_type("grants.call_deadline_approaching"))
    assert reminders == [("internal", 1), ("official", 7)]

    # Submission, decision.
    for item in created.body["checklist"]:
        assert http("PUT", f"{first.base_url}/grants/applications/{application_id}/checklist/{item['code']}",
                    {"status": "ready"}, token=kaunas).status == 200
    for status, who in (("drafting", kaunas), ("internal_review", kaunas), ("submitted", staff)):
        moved = http("POST", f"{second.base_url}/grants/applications/{application_id}/transitions", {"to": status},
                     token=who)  # the internal review is the centre's: its consultant submits
        assert moved.status == 200, moved.body
    decided = http("POST", f"{first.base_url}/grants/applications/{application_id}/decision",
                   {"outcome": "awarded", "decided_on": day(0), "awarded_grant_eur": "80000"}, token=staff)
    assert decided.status == 200 and decided.body["status"] == "awarded"
    decision, = wait_until(lambda: listener.of_type("grants.application_decided"), timeout=20,
                           message="application_decided")
    assert decision["data"]["awarded_grant_eur"] == "80000.00" and decision["data"]["contact"]["language"] == "lt"
    assert [e["data"]["to_status"] for e in listener.of_type("grants.application_status_changed")] == [
        "drafting", "internal_review", "submitted", "awarded"]
    report = http("GET", f"{second.base_url}/grants/reports/applications?group_by=funder", token=staff).body
    assert report["rows"][0]["success_rate"] == "1.000"
    wait_until(lambda: first.metric("savivalda_grant_applications", status="awarded") == 1, timeout=10,
               message="the gauge")

    # The contact person is forgotten.
    publish(amqp_uri, ErasureRequested(request_id=uuid.uuid4(), email="ruta.petraitiene@kaunas.lt",
                                       requested_by="dpo@lsa.lt"), source="savivalda/cli")
    erased, = wait_until(lambda: listener.of_type("grants.person_erased"), timeout=20, message="person_erased")
    assert erased["data"]["removed"]["application_contacts"] == 1
    assert mentions(pg_databases["grants"], "ruta.petraitiene", "petraitien") == []
    assert shown()["status"] == "awarded" and shown()["contact"] is None
