"""Embedded mode writes its clean-stop mark only when the in-memory broker really holds nothing
once the services have stopped. The mark was decided before nameko stopped the services, so an
event that reached a memory queue during the stop (the relay draining its last rows, a timer's
event) was counted clean, not re-published at the next start, and never delivered."""

from __future__ import annotations

import json
import uuid

from shared.broker import OutgoingMessage
from shared.broker.memory import MemoryBroker
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork, get_mark
from tests.support import EmbeddedSystem


def marks(system, service: str):
    with UnitOfWork(engine_for(system.settings.database_url(service)), service, "test") as uow:
        return get_mark(uow, "embedded.run_started_at"), get_mark(uow, "embedded.clean_stop_at")


def test_an_event_left_in_a_memory_queue_at_stop_means_the_stop_was_not_clean(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data")
    stop_services = system.process.runner.stop

    def stop_while_an_event_arrives():
        stop_services()
        # What the enrollment relay's last drain (or a timer) leaves behind: an event published
        # into notifications' queue after its consumer has stopped.
        event_id = str(uuid.uuid4())
        MemoryBroker("enrollment").publish([OutgoingMessage(
            row_id=1, event_id=event_id, event_type="enrollment.session_scheduled", exchange="enrollment.events",
            routing_key="session_scheduled", correlation_id="stop", body=json.dumps({"id": event_id}).encode(),
            app_id="savivalda/enrollment")])

    system.process.runner.stop = stop_while_an_event_arrives
    system.stop()
    started, clean = marks(system, "enrollment")
    assert started is not None
    assert clean is None or clean < started, "a stop that left an event in a memory queue was marked clean"


def test_a_stop_with_nothing_in_flight_is_marked_clean(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data")
    system.stop()
    started, clean = marks(system, "enrollment")
    assert clean is not None and clean >= started
