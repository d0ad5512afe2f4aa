"""Partners as the containers run it: `savivalda run partners` (and grants) as separate processes
against the real RabbitMQ and PostgreSQL.

- the round trip with grants over the broker, then erasure leaving no personal field in PostgreSQL;
- two partners replicas: each sees the other's profile changes in its ranking, a candidate's
  capacity holds under concurrent acceptances, and their timers remind each side exactly once.
"""

import collections
import json
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from kombu import Connection, Queue

from services.partners.models import Introduction
from shared.auth import issue_token
from shared.messaging.topology import events_exchange
from tests.grants.helpers import application_body
from tests.partners.helpers import HORDALAND, REYKJAVIK, WESTERN_NORWAY, PartnersDatabase, key_of, request_body
from tests.partners.test_grants_round_trip import CALL
from tests.support import TEST_SECRET, http, run_cli, wait_until

pytestmark = pytest.mark.e2e
STAFF = issue_token(TEST_SECRET, subject="e2e-staff", role="staff")
KAUNAS_CITY = issue_token(TEST_SECRET, subject="e2e-kaunas", role="municipality:15")
KAUNAS_DISTRICT = issue_token(TEST_SECRET, subject="e2e-kaunas-district", role="municipality:16")


class BusListener:
    """A queue of our own bound to partners.events: what partners published, as other services see it."""

    def __init__(self, amqp_uri: str):
        self.uri = amqp_uri
        self.queue = Queue("test-partners-listener", exchange=events_exchange("partners"), routing_key="#",
                           durable=False, auto_delete=False)
        with Connection(amqp_uri) as connection:
            self.queue.bind(connection.default_channel).declare()
        self.seen: list[dict] = []

    def events(self, event_type: str) -> list[dict]:
        with Connection(self.uri) as connection:
            channel = connection.default_channel
            while True:
                message = channel.basic_get(queue=self.queue.name, no_ack=True)
                if message is None:
                    break
                self.seen.append(json.loads(message.body))
        return [e for e in self.seen if e["type"] == event_type]


def post(process, path, body, token=STAFF):
    return http("POST", f"{process.base_url}{path}", body, token=token)


def get(process, path, token=STAFF):
    return http("GET", f"{process.base_url}{path}", token=token)


def test_round_trip_with_grants_over_rabbitmq_then_erasure_leaves_nothing_in_postgresql(
        launcher, distributed_env, pg_databases):
    bus = BusListener(distributed_env["SAVIVALDA_AMQP_URI"])
    grants, partners = launcher.start("grants"), launcher.start("partners")
    hordaland = post(partners, "/partners/organisations", HORDALAND).body
    post(partners, "/partners/organisations", WESTERN_NORWAY)
    call = post(grants, "/grants/calls", CALL)
    assert call.status == 201, call.body
    created = post(grants, "/grants/applications", application_body(call.body["id"]))
    assert created.status == 201, created.body
    application_id = created.body["id"]

    proposed, = wait_until(lambda: bus.events("partners.matches_proposed"), timeout=30,
                           message="matches_proposed on the bus")
    assert proposed["data"]["application_id"] == application_id
    assert [c["name"] for c in proposed["data"]["candidates"]] == ["Hordaland county council",
                                                                   "Western Norway Research Institute"]
    candidate = proposed["data"]["candidates"][0]
    assert candidate["score"] == round(sum(candidate["components"].values()), 2)
    wait_until(lambda: get(grants, f"/grants/applications/{application_id}").body["partner"]["status"] == "proposed",
               timeout=30, message="grants to show the proposal")

    request_id = proposed["data"]["partner_request_id"]
    introduced = post(partners, f"/partners/requests/{request_id}/introductions", {"organisation_id": hordaland["id"]},
                      token=KAUNAS_CITY)
    assert introduced.status == 201, introduced.body
    sent, = wait_until(lambda: bus.events("partners.introduction_sent"), timeout=30, message="introduction_sent")
    accepted = http("POST", f"{partners.base_url}/partners/answers",
                    {"key": key_of(sent["data"]["candidate_answer_url"]), "answer": "accepted"})
    assert accepted.status == 200 and accepted.body["status"] == "established"
    established, = wait_until(lambda: bus.events("partners.partnership_established"), timeout=30,
                              message="partnership_established on the bus")
    assert established["data"]["application_id"] == application_id
    shown = wait_until(lambda: (lambda p: p if p["status"] == "established" else None)(
        get(grants, f"/grants/applications/{application_id}").body["partner"]), timeout=30,
        message="grants to record the partnership")
    assert shown["name"] == "Hordaland county council" and shown["met"]

    # The consultant asks to be forgotten: partners erases every trace of them in PostgreSQL.
    database = PartnersDatabase(pg_databases["partners"])
    try:
        assert "jonas.jonaitis@lsa.lt" in database.everything()
        done = run_cli("privacy", "erase", "Jonas.Jonaitis@lsa.lt", env=distributed_env)
        assert done.returncode == 0, done.stderr
        erased, = wait_until(lambda: bus.events("partners.person_erased"), timeout=30, message="person_erased")
        assert erased["data"]["removed"]["request_contacts"] == 1
        assert erased["data"]["removed"]["partnership_contacts"] == 1
        everything = database.everything()
        assert "jonas.jonaitis@lsa.lt" not in everything and "jonaitis" not in everything
        report = get(partners, "/partners/reports/partnerships").body
        assert report["partnerships"] == 1 and report["by_country"][0]["country"] == "NO"
    finally:
        database.close()


def test_two_replicas_share_profiles_hold_capacity_and_remind_once(launcher, pg_databases):
    fast_timers = {"SAVIVALDA_TIMER_INTERVAL": "0.2"}
    first, second = (launcher.start("partners", extra_env=fast_timers), launcher.start("partners",
                                                                                       extra_env=fast_timers))
    database = PartnersDatabase(pg_databases["partners"])
    try:
        # A profile registered through one replica is ranked by the other (its index catches up).
        assert post(second, "/partners/requests", request_body(), token=KAUNAS_DISTRICT).body["proposal"] == []
        western = post(first, "/partners/organisations", dict(WESTERN_NORWAY, themes=["regional_development"])).body
        post(first, "/partners/organisations", REYKJAVIK)
        request = post(second, "/partners/requests", request_body(organisation_types=[]), token=KAUNAS_DISTRICT).body
        assert [c["name"] for c in request["proposal"]] == ["Reykjavík City", "Western Norway Research Institute"]

        # Capacity 1, six introductions accepted by their municipalities, six acceptances at once
        # through both replicas: one partnership.
        introductions = []
        for n in range(6):
            own = post(first, "/partners/requests", request_body(title={"lt": f"Projektas {n}"}, organisation_types=[]),
                       token=KAUNAS_DISTRICT).body
            introductions.append(post(second, f"/partners/requests/{own['id']}/introductions",
                                      {"organisation_id": western["id"]}, token=KAUNAS_DISTRICT).body)
        pool = eventlet.GreenPool(6)
        replies = list(pool.imap(lambda n: post((first, second)[n % 2], f"/partners/introductions/"
                                                f"{introductions[n]['id']}/answers",
                                                {"side": "candidate", "answer": "accepted"}), range(6)))
        assert sorted(r.status for r in replies) == [200] + [409] * 5, [r.body for r in replies]
        assert {r.body["type"] for r in replies if r.status == 409} == {"urn:savivalda:problem:full_capacity"}
        assert database.rows("SELECT count(*) AS n FROM partnerships")[0].n == 1
        # the full profile is now excluded by the other replica too
        ranking = get(second, f"/partners/requests/{request['id']}/ranking", token=KAUNAS_DISTRICT).body
        assert [(e["name"], e["reasons"]) for e in ranking["excluded"]] == [
            ("Western Norway Research Institute", ["full_capacity"])]

        # Both replicas' timers see the same due reminders; each side is reminded once.
        pending = [i["id"] for i in introductions if database.rows(
            "SELECT status FROM introductions WHERE id = :id", id=i["id"])[0].status == "pending"]
        stale = datetime.now(timezone.utc) - timedelta(days=3, hours=1)
        for introduction_id in pending:
            database.update(Introduction, _uuid(introduction_id), last_contact_at=stale)

        def reminders():
            return [json.loads(r.body)["data"] for r in database.rows(
                "SELECT body FROM outbox WHERE event_type = 'partners.introduction_reminder_due'")]

        wait_until(lambda: len(reminders()) == len(pending), timeout=30, message="one reminder per introduction")
        eventlet.sleep(1.0)  # several more ticks of both timers
        counts = collections.Counter((r["introduction_id"], r["side"], r["reminder"]) for r in reminders())
        assert len(counts) == len(pending) and set(counts.values()) == {1}
        assert {side for _, side, _ in counts} == {"candidate"}  # the municipalities had accepted
    finally:
        database.close()


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)
