"""Consulting engagements as the containers run them: two `savivalda run grants` replicas against the
real RabbitMQ and PostgreSQL. The events reach the broker; two staff agreeing the same request at
once through different replicas give one agreement (the row lock) and one 409; each deliverable
reminder goes out once although both replicas' timers scan; an erasure leaves no trace of the
contact in the PostgreSQL database."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.events.privacy import ErasureRequested
from tests.grants.helpers import day
from tests.grants.test_distributed import Listener, publish
from tests.grants.test_privacy_embedded import mentions
from tests.support import TEST_SECRET, http, wait_until

pytestmark = pytest.mark.e2e
CONTACT = "ruta.petraitiene@kaunas.lt"


def test_an_engagement_on_rabbitmq_and_postgresql(launcher, distributed_env, pg_databases):
    from shared.auth import issue_token

    amqp_uri = distributed_env["SAVIVALDA_AMQP_URI"]
    listener = Listener(amqp_uri)
    first, second = (launcher.start("grants", extra_env={"SAVIVALDA_TIMER_INTERVAL": "0.3"}) for _ in range(2))
    staff = issue_token(TEST_SECRET, subject="jonas.jonaitis@lsa.lt", role="staff")
    kaunas = issue_token(TEST_SECRET, subject=CONTACT, role="municipality:15")
    alytus = issue_token(TEST_SECRET, subject="asta@alytus.lt", role="municipality:02")
    vilnius = issue_token(TEST_SECRET, subject="vida@vilnius.lt", role="municipality:57")

    asked = http("POST", f"{first.base_url}/grants/engagements", {
        "municipality_code": "15", "group_municipality_codes": ["02"], "theme": "public_service_quality",
        "title": "Organisation development study", "description": "Structure and processes of both administrations",
        "contact": {"name": "Rūta Petraitienė", "email": CONTACT, "language": "lt"}}, token=kaunas)
    assert asked.status == 201, asked.body
    engagement_id = asked.body["id"]
    requested, = wait_until(lambda: listener.of_type("grants.engagement_requested"), timeout=20,
                            message="engagement_requested")
    assert requested["data"]["municipality_codes"] == ["15", "02"]
    assert http("GET", f"{second.base_url}/grants/engagements/{engagement_id}", token=alytus).status == 200
    assert http("GET", f"{second.base_url}/grants/engagements/{engagement_id}", token=vilnius).status == 404

    agreement = {"scope": "A study report", "consultant": {"name": "Tomas Kazlauskas", "email": "tomas@lsa.lt",
                                                           "language": "en"},
                 "deliverables": [{"title": "Study report", "due_on": day(7)}]}
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda base: http("POST", f"{base}/grants/engagements/{engagement_id}/agreement",
                                                  agreement, token=staff), (first.base_url, second.base_url)))
    assert sorted(r.status for r in replies) == [200, 409], [r.body for r in replies]
    shown = http("GET", f"{first.base_url}/grants/engagements/{engagement_id}", token=staff).body
    assert len(shown["deliverables"]) == 1  # one agreement, not two sets of deliverables

    wait_until(lambda: listener.of_type("grants.engagement_deliverable_due"), timeout=20, message="the reminder")
    time.sleep(1.5)  # several more scans of both timers
    due = listener.of_type("grants.engagement_deliverable_due")
    assert [(e["data"]["deliverable"]["title"], e["data"]["reminder_days"]) for e in due] == [("Study report", 7)]
    assert len(listener.of_type("grants.engagement_agreed")) == 1
    wait_until(lambda: first.metric("savivalda_grant_engagements_open", status="agreed") == 1, timeout=10,
               message="the gauge")

    logged = http("POST", f"{second.base_url}/grants/engagements/{engagement_id}/consultations",
                  {"held_on": day(0), "channel": "video", "summary": "Rūta Petraitienė walked us through the chart"},
                  token=kaunas)
    assert logged.status == 201 and logged.body["status"] == "in_progress", logged.body
    closed = http("POST", f"{first.base_url}/grants/engagements/{engagement_id}/closure",
                  {"outcome": "not_achieved", "outcome_summary": "Postponed by the councils"}, token=staff)
    assert closed.status == 200, closed.body
    event, = wait_until(lambda: listener.of_type("grants.engagement_closed"), timeout=20, message="engagement_closed")
    assert event["data"]["outcome"] == "not_achieved" and event["data"]["contact"]["language"] == "lt"

    publish(amqp_uri, ErasureRequested(request_id=uuid.uuid4(), email=CONTACT, requested_by="dpo@lsa.lt"),
            source="savivalda/cli")
    erased, = wait_until(lambda: listener.of_type("grants.person_erased"), timeout=20, message="person_erased")
    assert erased["data"]["removed"]["engagement_contacts"] == 1
    assert mentions(pg_databases["grants"], "ruta.petraitiene", "petraitien") == []
    report = http("GET", f"{second.base_url}/grants/reports/engagements?group_by=municipality", token=staff).body
    assert {r["group"]: r["engagements"] for r in report["rows"]} == {"02": 1, "15": 1}
