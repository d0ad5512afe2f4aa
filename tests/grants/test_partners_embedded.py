"""The foreign-partner round trip on the embedded default: grants asks for a partner, the partners
service's documented events (published here as partners would) show candidates on the application,
introductions progress, and an established partnership meets the requirement so it can be submitted."""

import json
import uuid
from datetime import datetime, timezone

from kombu import Connection, Producer

from shared.events import new_envelope
from shared.events.partners import (
    Candidate,
    IntroductionAnswered,
    IntroductionSent,
    MatchesProposed,
    PartnershipEstablished,
)
from shared.events.types import Contact
from shared.messaging.topology import events_exchange
from tests.grants.helpers import application_body, call_body, create, get, make_ready, move, outbox_events
from tests.grants.test_privacy_embedded import mentions, request_erasure
from tests.support import http, metric_value, wait_until

VESTLAND = uuid.uuid4()
WESTERN_NORWAY_RESEARCH = uuid.uuid4()
CONSULTANT = Contact(name="Jonas Jonaitis", email="jonas.jonaitis@lsa.lt", language="en")


def publish(data) -> dict:
    envelope = new_envelope(data, source="savivalda/partners", correlation_id=f"test-{uuid.uuid4()}").to_wire()
    with Connection("memory://") as connection:
        exchange = events_exchange("partners")
        Producer(connection.channel()).publish(json.dumps(envelope).encode(), exchange=exchange,
                                               routing_key=envelope["type"].split(".", 1)[1], declare=[exchange],
                                               content_type="application/json", content_encoding="utf-8")
    return envelope


def consumed(system, handler: str, outcome: str) -> float:
    return metric_value(http("GET", f"{system.ops_url}/metrics").body, "savivalda_events_consumed_total",
                        service="grants", handler=handler, outcome=outcome)


def test_partner_request_proposals_introductions_and_partnership_meet_the_requirement(grants_system):
    call = create(grants_system, "/grants/calls", call_body())
    application = create(grants_system, "/grants/applications", application_body(call["id"]))
    application_id = application["id"]
    assert application["partner"] == {
        "required": True, "countries": ["NO"], "status": "requested", "met": False, "organisation_id": None,
        "name": None, "country": None, "contact": None, "established_at": None, "candidates": []}
    request, = outbox_events(grants_system.settings.database_url("grants"), "grants.partner_requested")
    assert request["subject"] == application_id
    assert request["data"]["countries"] == ["NO"] and request["data"]["municipality_code"] == "15"
    assert request["data"]["organisation_types"] == ["county_council", "municipality", "research_institute"]
    assert request["data"]["deadline"] == application["deadlines"]["internal"]
    assert request["data"]["consultant"]["email"] == "jonas.jonaitis@lsa.lt"
    assert request["data"]["themes"] == ["public_service_quality", "anti_corruption"]

    def on_application():
        return get(grants_system, f"/grants/applications/{application_id}")

    def ours(candidates):
        # The partners service of this same process may propose its own candidates for the request too.
        return {c["organisation_id"]: c for c in candidates if c["organisation_id"] in
                (str(VESTLAND), str(WESTERN_NORWAY_RESEARCH))}

    # No organisation fits (yet): the request stays open rather than look answered.
    handled = consumed(grants_system, "on_matches_proposed", "applied")
    publish(MatchesProposed(partner_request_id=uuid.uuid4(), application_id=uuid.UUID(application_id),
                            municipality_code="15", candidates=[]))
    wait_until(lambda: consumed(grants_system, "on_matches_proposed", "applied") > handled,
               message="the empty proposal handled")
    assert on_application()["partner"]["status"] == "requested"

    partner_request_id = uuid.uuid4()
    publish(MatchesProposed(
        partner_request_id=partner_request_id, application_id=uuid.UUID(application_id), municipality_code="15",
        requester=CONSULTANT, candidates=[
            Candidate(organisation_id=VESTLAND, name="Vestland fylkeskommune", country="NO",
                      organisation_type="county_council", score=0.91,
                      components={"theme_overlap": 0.6, "shared_language": 0.2, "free_capacity": 0.11}),
            Candidate(organisation_id=WESTERN_NORWAY_RESEARCH, name="Western Norway Research Institute", country="NO",
                      organisation_type="research_institute", score=0.74, components={"theme_overlap": 0.5}),
        ]))
    shown = wait_until(lambda: len(ours(on_application()["partner"]["candidates"])) == 2 and on_application(),
                       message="the proposed candidates on the application")
    assert shown["partner"]["status"] == "proposed" and not shown["partner"]["met"]
    candidates = ours(shown["partner"]["candidates"])
    vestland = candidates[str(VESTLAND)]
    assert (vestland["rank"], vestland["score"], vestland["organisation_type"]) == (1, 0.91, "county_council")
    assert vestland["components"]["theme_overlap"] == 0.6 and vestland["introduction_status"] is None
    assert candidates[str(WESTERN_NORWAY_RESEARCH)]["rank"] == 2

    introduction_id = uuid.uuid4()
    publish(IntroductionSent(
        introduction_id=introduction_id, partner_request_id=partner_request_id,
        application_id=uuid.UUID(application_id), municipality_code="15", organisation_id=VESTLAND,
        organisation_name="Vestland fylkeskommune", country="NO", requester=CONSULTANT,
        answer_by=datetime.now(timezone.utc).date()))
    wait_until(lambda: ours(on_application()["partner"]["candidates"])[str(VESTLAND)]["introduction_status"]
               == "introduced", message="the introduction on the candidate")
    publish(IntroductionAnswered(introduction_id=introduction_id, partner_request_id=partner_request_id,
                                 application_id=uuid.UUID(application_id), organisation_id=VESTLAND,
                                 side="candidate", answer="accepted", both_accepted=False))
    wait_until(lambda: ours(on_application()["partner"]["candidates"])[str(VESTLAND)]["introduction_status"]
               == "candidate_accepted", message="the candidate's answer")

    make_ready(grants_system, application)
    for status in ("drafting", "internal_review"):
        assert move(grants_system, application_id, status).status == 200
    refused = move(grants_system, application_id, "submitted")
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "partner"

    established = PartnershipEstablished(
        partnership_id=uuid.uuid4(), partner_request_id=partner_request_id, application_id=uuid.UUID(application_id),
        municipality_code="15", organisation_id=VESTLAND, organisation_name="Vestland fylkeskommune", country="NO",
        requester=CONSULTANT, established_at=datetime.now(timezone.utc),
        candidate_contact=Contact(name="Kari Nordmann", email="kari.nordmann@vlfk.no", language="en",
                                  organisation="Vestland fylkeskommune"))
    envelope = publish(established)
    met = wait_until(lambda: on_application()["partner"]["met"] and on_application(),
                     message="the partner requirement met")
    partner = met["partner"]
    assert partner["status"] == "established" and partner["name"] == "Vestland fylkeskommune"
    assert partner["country"] == "NO" and partner["organisation_id"] == str(VESTLAND)
    assert partner["contact"] == {"name": "Kari Nordmann", "email": "kari.nordmann@vlfk.no", "language": "en"}
    assert ours(partner["candidates"])[str(VESTLAND)]["introduction_status"] == "established"
    assert move(grants_system, application_id, "submitted").status == 200

    # The same event again changes nothing: the inbox recognises it.
    duplicates = consumed(grants_system, "on_partnership_established", "duplicate")
    with Connection("memory://") as connection:
        exchange = events_exchange("partners")
        Producer(connection.channel()).publish(json.dumps(envelope).encode(), exchange=exchange,
                                               routing_key="partnership_established", declare=[exchange],
                                               content_type="application/json")
    wait_until(lambda: consumed(grants_system, "on_partnership_established", "duplicate") == duplicates + 1,
               message="the duplicate recognised")
    assert on_application()["status"] == "submitted"

    # The partner's contact person asks to be forgotten: the partnership stays, her details go.
    request_erasure("kari.nordmann@vlfk.no")
    url = grants_system.settings.database_url("grants")
    erased = wait_until(lambda: outbox_events(url, "grants.person_erased"), message="grants.person_erased")
    assert erased[0]["data"]["removed"]["partner_contacts"] == 1
    assert on_application()["partner"]["contact"] is None and on_application()["partner"]["met"]
    assert mentions(url, "kari.nordmann", "Nordmann") == []


def test_events_about_other_requests_are_applied_harmlessly(grants_system):
    applied = consumed(grants_system, "on_matches_proposed", "applied")
    publish(MatchesProposed(partner_request_id=uuid.uuid4(), application_id=None, municipality_code="15",
                            candidates=[]))
    publish(MatchesProposed(partner_request_id=uuid.uuid4(), application_id=uuid.uuid4(), municipality_code="15",
                            candidates=[]))
    wait_until(lambda: consumed(grants_system, "on_matches_proposed", "applied") == applied + 2,
               message="both events handled")
    letters = http("GET", f"{grants_system.ops_url}/metrics").body
    assert metric_value(letters, "savivalda_dead_letters", service="grants") == 0


def test_a_municipality_with_its_own_partner_needs_no_search(grants_system):
    call = create(grants_system, "/grants/calls", call_body())
    own = create(grants_system, "/grants/applications", application_body(
        call["id"], partner={"name": "Bergen kommune", "country": "NO"}))
    assert own["partner"]["status"] == "established" and own["partner"]["met"]
    assert own["partner"]["name"] == "Bergen kommune"
    assert outbox_events(grants_system.settings.database_url("grants"), "grants.partner_requested") == []
    swedish = http("POST", f"{grants_system.base_url}/grants/applications",
                   application_body(call["id"], partner={"name": "Stockholms stad", "country": "SE"}),
                   token=grants_system.token())
    assert swedish.status == 422 and swedish.body["errors"][0]["field"] == "partner.country"
    assert len(get(grants_system, "/grants/applications")) == 1
