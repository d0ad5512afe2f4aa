"""The right to be forgotten in grants: after privacy.erasure_requested no field of any grants table
holds the person's e-mail or name, other people's data and the anonymous counts stay, and
grants.person_erased says what was removed."""

import json
import uuid

from kombu import Connection, Producer
from sqlalchemy import MetaData, select

from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.events import new_envelope
from shared.events.privacy import ErasureRequested
from shared.messaging.topology import events_exchange
from tests.grants.helpers import application_body, call_body, create, day, get, move, outbox_events, unpublished
from tests.support import http, wait_until

RUTA_EMAIL = "Ruta.Petraitiene@Kaunas.lt"  # as she typed it in the erasure request; stored in lower case


def every_value(database_url: str) -> list[tuple[str, str]]:
    """(table, text of one value) for every non-null value of every table."""
    engine = engine_for(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    found = []
    with UnitOfWork(engine, "grants", "test") as uow:
        for table in metadata.sorted_tables:
            for row in uow.session.execute(select(table)).all():
                found += [(table.name, str(value)) for value in row if value is not None]
    return found


def mentions(database_url: str, *needles: str) -> list[tuple[str, str]]:
    return [(table, value[:120]) for table, value in every_value(database_url)
            if any(n.lower() in value.lower() for n in needles)]


def request_erasure(email: str) -> dict:
    envelope = new_envelope(ErasureRequested(request_id=uuid.uuid4(), email=email, requested_by="dpo@lsa.lt"),
                            source="savivalda/cli", correlation_id="erase-test").to_wire()
    with Connection("memory://") as connection:
        exchange = events_exchange("privacy")
        Producer(connection.channel()).publish(json.dumps(envelope).encode(), exchange=exchange,
                                               routing_key="erasure_requested", declare=[exchange],
                                               content_type="application/json")
    return envelope


def test_no_personal_field_survives_an_erasure_and_counts_stay(grants_system):
    url = grants_system.settings.database_url("grants")
    ruta = grants_system.token("municipality:15", subject="ruta.petraitiene@kaunas.lt")
    call = create(grants_system, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    first = create(grants_system, "/grants/applications", application_body(call["id"], consultant=None), token=ruta)
    second = create(grants_system, "/grants/applications", application_body(call["id"]))
    other = create(grants_system, "/grants/applications", application_body(
        call["id"], contact={"name": "Tomas Tomaitis", "email": "tomas@kaunas.lt", "language": "lt"}))
    assert move(grants_system, first["id"], "drafting", token=ruta).status == 200
    assert http("PUT", f"{grants_system.base_url}/grants/applications/{first['id']}/checklist/budget",
                {"status": "in_progress"}, token=ruta).status == 200
    assert http("POST", f"{grants_system.base_url}/grants/applications/{first['id']}/consultations",
                {"held_on": day(0), "channel": "phone", "summary": "Budget questions"}, token=ruta).status == 201
    # The centre's staff record her as a consultant too (she moved jobs): every role she holds goes.
    assert http("PUT", f"{grants_system.base_url}/grants/applications/{other['id']}/consultant",
                {"name": "Rūta Petraitienė", "email": "ruta.petraitiene@kaunas.lt"},
                token=grants_system.token()).status == 200
    wait_until(lambda: unpublished(url) == 0, message="the outbox published")
    assert mentions(url, "ruta.petraitiene", "petraitien")  # she is there before
    report_before = get(grants_system, "/grants/reports/applications?group_by=municipality")

    request = request_erasure(RUTA_EMAIL)
    erased = wait_until(lambda: outbox_events(url, "grants.person_erased"), message="grants.person_erased")
    assert erased[0]["data"] == {"request_id": request["data"]["request_id"], "removed": {
        "application_contacts": 2, "applications_created": 1, "checklist_changes": 1, "checklist_updates": 1,
        "consultant_assignments": 1,
        "consultation_entries": 1, "dead_letters": 0, "partner_contacts": 0,
        # application_created x2, status_changed and consultant_assigned (her assignment as consultant)
        "published_events": 4, "status_changes": 2,
        "amendments": 0, "payment_claims_approved": 0, "payment_claims_paid": 0, "payment_claims_submitted": 0,
        "report_submissions": 0, "engagement_authors": 0, "engagement_consultants": 0, "engagement_contacts": 0,
        "engagement_texts": 0, "documents_deleted": 0, "document_uploaders": 0, "document_names": 0,
        "joint_answers": 0}}

    assert mentions(url, "ruta.petraitiene", "petraitien") == []
    for application in (first, second):
        shown = get(grants_system, f"/grants/applications/{application['id']}")
        assert shown["contact"] is None
    shown = get(grants_system, f"/grants/applications/{first['id']}")
    assert {h["changed_by"] for h in shown["history"]} == {f"erased-person-{request['data']['request_id'][:8]}"}
    assert shown["consultations"][0]["recorded_by"].startswith("erased-person-")
    assert shown["consultations"][0]["summary"] == "Budget questions"
    untouched = get(grants_system, f"/grants/applications/{other['id']}")
    assert untouched["contact"]["email"] == "tomas@kaunas.lt" and untouched["consultant"] is None
    assert get(grants_system, f"/grants/applications/{second['id']}")["consultant"]["email"] == "jonas.jonaitis@lsa.lt"
    assert get(grants_system, "/grants/reports/applications?group_by=municipality") == report_before

    # Asked again (the CLI run twice, or a redelivery with a new id): nothing left, nothing broken.
    request_erasure(RUTA_EMAIL)
    again = wait_until(lambda: len(outbox_events(url, "grants.person_erased")) == 2
                       and outbox_events(url, "grants.person_erased")[1], message="the second answer")
    assert set(again["data"]["removed"].values()) == {0}
