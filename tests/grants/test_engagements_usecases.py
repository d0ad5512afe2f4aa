"""Consulting engagement use cases (services/grants/usecases/engagements.py) on a migrated SQLite
database: no HTTP, no nameko, no broker."""

from __future__ import annotations

import csv
import io
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import update

from services.grants.engagement_gauges import EngagementGauges
from services.grants.engagement_repository import EngagementRepository
from services.grants.engagement_schemas import (
    AgreementIn,
    ClosureIn,
    DeclineIn,
    DeliverableIn,
    DeliveryIn,
    EngagementIn,
    EngagementQuery,
)
from services.grants.models import Deliverable
from services.grants.schemas import ConsultationIn
from services.grants.usecases import engagements, erasure, local_today
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

STAFF = "jonas.jonaitis@lsa.lt"
TODAY = local_today()


def day(n: int):
    return TODAY + timedelta(days=n)


@contextmanager
def work(url: str):
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        yield uow


def types(uow) -> list[str]:
    return [e.type for e in uow.emitted]


def study(**changes) -> EngagementIn:
    """Seed 000: an organisation development study for Kaunas city with Alytus city."""
    body = {"municipality_code": "15", "group_municipality_codes": ["02"], "theme": "public_service_quality",
            "title": "Organisation development study",
            "description": "Review the administration's structure and processes and propose changes.",
            "contact": {"name": "Rūta Petraitienė", "email": "ruta.petraitiene@kaunas.lt", "language": "lt"}}
    body.update(changes)
    return EngagementIn.model_validate(body)


def agreement(*due: int) -> AgreementIn:
    return AgreementIn.model_validate({
        "scope": "Interviews with heads of department; a study report with recommendations; a workshop.",
        "consultant": {"name": "Tomas Kazlauskas", "email": "tomas.kazlauskas@lsa.lt", "language": "en"},
        "deliverables": [{"title": f"Deliverable {n}", "due_on": day(n).isoformat()} for n in due or (30,)]})


def requested(db, **changes):
    with work(db) as uow:
        return engagements.request_engagement(uow, study(**changes), "ruta.petraitiene@kaunas.lt")


def agreed(db, *due: int):
    engagement = requested(db)
    with work(db) as uow:
        return engagements.agree(uow, engagement.id, agreement(*due), STAFF)


def consulted(db, engagement_id, summary="Kick-off meeting with the mayor's office"):
    with work(db) as uow:
        return engagements.log_consultation(uow, engagement_id, ConsultationIn(
            held_on=TODAY, channel="meeting", summary=summary), STAFF)


def test_the_whole_course_requested_agreed_in_progress_closed(grants_db):
    db = grants_db
    with work(db) as uow:
        created = engagements.request_engagement(uow, study(), "ruta.petraitiene@kaunas.lt")
        assert types(uow) == ["grants.engagement_requested"]
        event = uow.emitted[0].data
    assert created.status == "requested" and created.municipality_codes == ["15", "02"]
    assert event["municipality_codes"] == ["15", "02"] and event["contact"]["email"] == "ruta.petraitiene@kaunas.lt"
    with work(db) as uow:
        shown = engagements.agree(uow, created.id, agreement(20, 40), STAFF)
        assert types(uow) == ["grants.engagement_agreed"]
        event = uow.emitted[0].data
    assert shown.status == "agreed" and shown.consultant.email == "tomas.kazlauskas@lsa.lt"
    assert [d.title for d in shown.deliverables] == ["Deliverable 20", "Deliverable 40"]
    assert event["consultant"]["name"] == "Tomas Kazlauskas" and len(event["deliverables"]) == 2
    progressing = consulted(db, created.id)
    assert progressing.status == "in_progress" and progressing.consultations[0].summary.startswith("Kick-off")
    first, second = progressing.deliverables
    with work(db) as uow:
        engagements.deliver(uow, created.id, first.id, DeliveryIn(note="sent by e-mail"), STAFF)
    with work(db) as uow, pytest.raises(RuleViolation) as not_all:
        engagements.close(uow, created.id, ClosureIn(outcome="achieved", outcome_summary="done"), STAFF)
    assert not_all.value.field == "outcome" and "Deliverable 40" in not_all.value.detail
    with work(db) as uow:
        closed = engagements.close(uow, created.id, ClosureIn(outcome="partly_achieved",
                                                              outcome_summary="Study delivered; workshop dropped"),
                                   STAFF)
        assert types(uow) == ["grants.engagement_closed"]
        event = uow.emitted[0].data
    assert closed.status == "closed" and closed.outcome == "partly_achieved" and closed.closed_on == TODAY
    assert event["late_deliverables"] == 0 and event["status"] == "closed"
    with work(db) as uow, pytest.raises(Conflict):
        engagements.log_consultation(uow, created.id, ConsultationIn(held_on=TODAY, channel="phone", summary="x"),
                                     STAFF)


def test_a_declined_request_is_final_and_tells_its_reason(grants_db):
    engagement = requested(grants_db)
    with work(grants_db) as uow:
        declined = engagements.decline(uow, engagement.id, DeclineIn(reason="No consultant is free this year"), STAFF)
        assert types(uow) == ["grants.engagement_declined"]
    assert declined.status == "declined" and declined.decline_reason == "No consultant is free this year"
    with work(grants_db) as uow, pytest.raises(Conflict):
        engagements.agree(uow, engagement.id, agreement(), STAFF)
    with work(grants_db) as uow, pytest.raises(NotFound):
        engagements.get_engagement(uow, uuid.uuid4())


def test_each_municipality_of_a_group_lists_the_engagement(grants_db):
    group = requested(grants_db)
    alone = requested(grants_db, municipality_code="33", group_municipality_codes=[], theme="strategic_planning")
    with work(grants_db) as uow:
        assert [e.id for e in engagements.list_engagements(uow, EngagementQuery(), "02")] == [group.id]
        assert [e.id for e in engagements.list_engagements(uow, EngagementQuery(), "15")] == [group.id]
        assert engagements.list_engagements(uow, EngagementQuery(), "57") == []
        assert {e.id for e in engagements.list_engagements(uow, EngagementQuery(), None)} == {group.id, alone.id}
        assert [e.id for e in engagements.list_engagements(uow, EngagementQuery(theme="strategic_planning"),
                                                           None)] == [alone.id]


def _past_due(db, engagement_id, days_ago: int):
    with work(db) as uow:
        uow.session.execute(update(Deliverable).where(Deliverable.engagement_id == engagement_id)
                            .values(due_on=day(-days_ago)))
        uow.session.execute(update(Deliverable.__table__.metadata.tables["engagements"])
                            .values(agreed_on=day(-days_ago - 10), requested_on=day(-days_ago - 11)))
        uow.commit()


def test_late_deliverables_in_the_view_the_report_and_the_gauge(grants_db):
    engagement = agreed(grants_db, 30)
    _past_due(grants_db, engagement.id, 2)
    with work(grants_db) as uow:
        shown = engagements.get_engagement(uow, engagement.id)
        assert shown.late_deliverables == 1 and shown.deliverables[0].late
        repo = EngagementRepository(uow.session)
        assert repo.count_late_deliverables(TODAY, ("agreed", "in_progress")) == 1
        assert repo.count_open(("requested", "agreed", "in_progress")) == {"agreed": 1}
        report = engagements.engagements_report(uow, "consultant", None)
    assert [(r.group, r.engagements, r.late_deliverables) for r in report.rows] == [("Tomas Kazlauskas", 1, 1)]
    consulted(grants_db, engagement.id)
    with work(grants_db) as uow:  # delivered after its due date: still late
        shown = engagements.deliver(uow, engagement.id, shown.deliverables[0].id, DeliveryIn(), STAFF)
        assert shown.deliverables[0].late and shown.deliverables_due == 0
        assert EngagementRepository(uow.session).count_late_deliverables(TODAY, ("agreed", "in_progress")) == 0


def test_reminders_go_7_and_1_days_before_each_once(grants_db):
    engagement = agreed(grants_db, 7, 30)
    with work(grants_db) as uow:
        assert engagements.remind_deliverables(uow) == 1
        due, = [e.data for e in uow.emitted]
    assert due["deliverable"]["title"] == "Deliverable 7" and due["reminder_days"] == 7 and due["days_left"] == 7
    assert due["consultant"]["email"] == "tomas.kazlauskas@lsa.lt" and due["contact"]["language"] == "lt"
    with work(grants_db) as uow:
        assert engagements.remind_deliverables(uow) == 0  # once
        assert engagements.remind_deliverables(uow, today=day(6)) == 1  # 1 day before
        assert engagements.remind_deliverables(uow, today=day(23)) == 1  # the second one, 7 days before
    shown = consulted(grants_db, engagement.id)
    with work(grants_db) as uow:
        engagements.deliver(uow, engagement.id, shown.deliverables[1].id, DeliveryIn(), STAFF)
        assert engagements.remind_deliverables(uow, today=day(29)) == 0  # delivered: no reminder


def test_another_consultant_takes_over_and_is_told(grants_db):
    from services.grants.schemas import ContactIn

    engagement = agreed(grants_db, 30)
    with work(grants_db) as uow:
        shown = engagements.assign_consultant(uow, engagement.id, ContactIn(
            name="Jonas Jonaitis", email="jonas.jonaitis@lsa.lt", language="lt"))
        assert types(uow) == ["grants.engagement_consultant_assigned"]
        event = uow.emitted[0].data
    assert shown.consultant.email == "jonas.jonaitis@lsa.lt"
    assert event["consultant"]["email"] == "jonas.jonaitis@lsa.lt"
    assert event["previous_consultant"]["email"] == "tomas.kazlauskas@lsa.lt"
    with work(grants_db) as uow:  # the reminders go to the new one
        engagements.remind_deliverables(uow, today=day(23))
        assert uow.emitted[0].data["consultant"]["email"] == "jonas.jonaitis@lsa.lt"


def test_deliverables_added_while_the_work_is_on(grants_db):
    engagement = agreed(grants_db, 30)
    with work(grants_db) as uow:
        shown = engagements.add_deliverable(uow, engagement.id, DeliverableIn(title="Workshop", due_on=day(45)))
    assert [d.title for d in shown.deliverables] == ["Deliverable 30", "Workshop"]
    with work(grants_db) as uow, pytest.raises(RuleViolation) as early:
        engagements.add_deliverable(uow, engagement.id, DeliverableIn(title="Too early", due_on=day(-1)))
    assert early.value.field == "due_on"
    with work(grants_db) as uow, pytest.raises(NotFound):
        engagements.deliver(uow, engagement.id, uuid.uuid4(), DeliveryIn(), STAFF)


def test_report_by_municipality_theme_and_consultant_json_and_csv(grants_db):
    agreed(grants_db, 30)
    requested(grants_db, municipality_code="33", group_municipality_codes=[], theme="strategic_planning")
    with work(grants_db) as uow:
        by_municipality = engagements.engagements_report(uow, "municipality", None)
        assert {r.group: r.engagements for r in by_municipality.rows} == {"02": 1, "15": 1, "33": 1}
        assert by_municipality.totals.engagements == 2 and by_municipality.totals.open == 2
        own = engagements.engagements_report(uow, "municipality", "02")
        assert [r.group for r in own.rows] == ["02"] and own.totals.engagements == 1
        by_theme = engagements.engagements_report(uow, "theme", None)
        assert {r.group: r.by_status for r in by_theme.rows}["strategic_planning"]["requested"] == 1
        text = engagements.engagements_report_csv(uow, "consultant", None)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["consultant", "engagements", "requested", "agreed", "in_progress", "closed", "declined", "open",
                       "deliverables", "late_deliverables"]
    assert rows[1][:2] == ["Tomas Kazlauskas", "1"] and rows[2][:2] == ["unassigned", "1"]
    assert rows[-1][:2] == ["total", "2"]


def test_erasure_forgets_the_contact_and_the_consultant_and_their_names_in_texts(grants_db):
    engagement = agreed(grants_db, 30)
    with work(grants_db) as uow:
        engagements.log_consultation(uow, engagement.id, ConsultationIn(
            held_on=TODAY, channel="video", summary="Rūta Petraitienė presented the organisation chart"),
            "ruta.petraitiene@kaunas.lt")
    request = ErasureRequested(request_id=uuid.uuid4(), email="Ruta.Petraitiene@kaunas.lt", requested_by="dpo@lsa.lt")
    with work(grants_db) as uow:
        counts = erasure.erase_person(uow, request)
        uow.commit()
    assert counts["engagement_contacts"] == 1 and counts["engagement_consultants"] == 0
    assert counts["engagement_authors"] == 1  # requested_by
    assert counts["consultation_entries"] == 1  # she wrote the entry (pseudonymised, and her name scrubbed)
    with work(grants_db) as uow:
        shown = engagements.get_engagement(uow, engagement.id)
        assert shown.contact is None and shown.consultant.email == "tomas.kazlauskas@lsa.lt"
        assert "Petraitien" not in shown.consultations[0].summary
        assert shown.consultations[0].recorded_by.startswith("erased-person-")
        assert erasure.erase_person(uow, request) == dict.fromkeys(counts, 0)


def test_the_gauges_read_open_engagements_and_late_deliverables(grants_db):
    engagement = agreed(grants_db, 30)
    requested(grants_db)
    _past_due(grants_db, engagement.id, 1)
    gauges = EngagementGauges()
    gauges.service = "grants"

    class Settings:
        @staticmethod
        def database_url(service):
            return grants_db

    gauges.settings = Settings()
    samples = {(name, tuple(sorted(labels.items()))): value for name, _, labels, value in gauges.samples()}
    assert samples[("savivalda_grant_engagements_open", (("service", "grants"), ("status", "agreed")))] == 1
    assert samples[("savivalda_grant_engagements_open", (("service", "grants"), ("status", "requested")))] == 1
    assert samples[("savivalda_grant_engagements_open", (("service", "grants"), ("status", "in_progress")))] == 0
    assert samples[("savivalda_grant_engagement_deliverables_late", (("service", "grants"),))] == 1
