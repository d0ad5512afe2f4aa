"""The consultants' desk use cases (services/grants/usecases/desk.py) on a migrated SQLite database:
the consultant told when assigned (and the previous one), the follow-up reminder once on its day
and not when superseded or closed (the timer's `today` moved the way the other reminder tests do),
the application list's pages, sorts and filters, the workload and a consultant's own desk."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.grants.desk_schemas import ApplicationFilters, ApplicationListQuery, DeskQuery, WorkloadQuery
from services.grants.models import SentReminder
from services.grants.schemas import (
    ApplicationIn,
    CallIn,
    ConsultationIn,
    ContactIn,
    DecisionIn,
    ImplementationIn,
    TransitionIn,
)
from services.grants.usecases import applications, catalogue, consultations, desk, local_today, transitions
from shared.auth import Principal
from shared.errors import RuleViolation
from shared.events.catalogue import REGISTRY
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import application_body, call_body

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
URL = "https://savivalda.example"
TODAY = local_today()
EGLE = {"name": "Eglė Petrauskė", "email": "egle.petrauske@lsa.lt", "language": "lt"}


def day(n: int):
    return TODAY + timedelta(days=n)


@contextmanager
def work(url: str):
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        yield uow


class Told:
    """An emitted envelope with its event as the model (`data`)."""

    def __init__(self, envelope):
        self.type, self.data = envelope.type, REGISTRY[(envelope.type, 1)].model_validate(envelope.data)


def emitted(uow, event_type: str | None = None) -> list[Told]:
    return [Told(e) for e in uow.emitted if event_type is None or e.type == event_type]


def new_call(url, code="LT-NO-2027-01", **changes):
    simple = dict(foreign_partner_required=False, partner_countries=[], required_documents=[])
    with work(url) as uow:
        return catalogue.create_call(uow, CallIn.model_validate(call_body(code, **(simple | changes))))


def new_application(url, call_id, **changes):
    with work(url) as uow:
        return applications.create_application(
            uow, ApplicationIn.model_validate(application_body(str(call_id), **changes)), STAFF)


def consult(url, application_id, held_on, follow_up_on=None, summary="Budget walk-through"):
    with work(url) as uow:
        return consultations.log_consultation(uow, application_id, ConsultationIn(
            held_on=held_on, channel="meeting", summary=summary, next_steps="Ask the council",
            follow_up_on=follow_up_on), STAFF.subject)


def page(url, tenant=None, **query):
    with work(url) as uow:
        status, items, headers = desk.list_applications(uow, ApplicationListQuery.model_validate(query), tenant)
    assert status == 200
    return items, headers


def test_the_consultant_is_told_when_assigned_and_the_previous_one_too(grants_db):
    call = new_call(grants_db)
    started = new_application(grants_db, call.id, consultant=None, summary={"lt": "E. paslaugos", "en": "E-services"})
    with work(grants_db) as uow:
        applications.assign_consultant(uow, started.id, ContactIn(**EGLE), URL)
        first, = emitted(uow, "grants.consultant_assigned")
    assert first.data.consultant.email == EGLE["email"] and first.data.previous_consultant is None
    assert first.data.application_url == f"{URL}/grants/applications/{started.id}"
    assert first.data.application_summary.en == "E-services" and first.data.status == "idea"
    assert (first.data.next_deadline_kind, first.data.next_deadline) == ("internal", started.deadlines.internal)
    with work(grants_db) as uow:  # the same consultant again (another spelling): a new name, nobody told
        again = applications.assign_consultant(uow, started.id, ContactIn(**EGLE | {
            "email": "Egle.Petrauske@LSA.lt", "name": "Eglė P."}), URL)
        assert emitted(uow, "grants.consultant_assigned") == [] and again.consultant.name == "Eglė P."
    with work(grants_db) as uow:
        applications.assign_consultant(uow, started.id, ContactIn(name="Antanas Būga", email="antanas@lsa.lt"), URL)
        second, = emitted(uow, "grants.consultant_assigned")
    assert second.data.consultant.email == "antanas@lsa.lt"
    assert second.data.previous_consultant.email == "Egle.Petrauske@LSA.lt"


def test_a_follow_up_reminds_the_consultant_once_on_its_day(grants_db):
    call = new_call(grants_db)
    started = new_application(grants_db, call.id)
    consult(grants_db, started.id, day(0), follow_up_on=day(5))
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(4)) == 0  # not yet
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(5)) == 1
        due, = emitted(uow, "grants.consultation_follow_up_due")
    assert due.data.follow_up_on == day(5) and due.data.consultant.email == "jonas.jonaitis@lsa.lt"
    assert due.data.consultation_summary == "Budget walk-through" and due.data.next_steps == "Ask the council"
    assert due.data.application_url == f"{URL}/grants/applications/{started.id}"
    for later in (day(5), day(6), day(8)):  # once, whatever the runs
        with work(grants_db) as uow:
            assert desk.remind_follow_ups(uow, URL, today=later) == 0
    with work(grants_db) as uow:
        kept = uow.session.scalars(select(SentReminder).where(SentReminder.application_id == started.id)).all()
        assert [(r.deadline_kind, r.deadline, r.days_before) for r in kept if r.deadline_kind == "follow_up"] == [
            ("follow_up", day(5), 0)]


def test_a_timer_that_was_down_catches_up_for_three_days_then_lets_it_go(grants_db):
    call = new_call(grants_db)
    first = new_application(grants_db, call.id, title={"lt": "Pirma", "en": "First"})
    second = new_application(grants_db, call.id, title={"lt": "Antra", "en": "Second"})
    consult(grants_db, first.id, day(0), follow_up_on=day(2))
    consult(grants_db, second.id, day(0), follow_up_on=day(6))
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(9)) == 1  # day 6 + 3; day 2 is too long ago
        assert [e.data.title.en for e in emitted(uow)] == ["Second"]


def test_a_newer_consultation_supersedes_the_follow_up_and_a_closed_application_is_not_reminded(grants_db):
    call = new_call(grants_db)
    superseded = new_application(grants_db, call.id, title={"lt": "Pakeista", "en": "Superseded"})
    consult(grants_db, superseded.id, day(-3), follow_up_on=day(4))
    consult(grants_db, superseded.id, day(0), follow_up_on=None, summary="Agreed otherwise")
    moved = new_application(grants_db, call.id, title={"lt": "Perkelta", "en": "Moved"})
    consult(grants_db, moved.id, day(0), follow_up_on=day(4))
    consult(grants_db, moved.id, day(0), follow_up_on=day(10), summary="Later")
    withdrawn = new_application(grants_db, call.id, title={"lt": "Atsiimta", "en": "Withdrawn"})
    consult(grants_db, withdrawn.id, day(0), follow_up_on=day(4))
    with work(grants_db) as uow:
        transitions.move_application(uow, withdrawn.id, TransitionIn(to="withdrawn"), STAFF)
    unassigned = new_application(grants_db, call.id, consultant=None, title={"lt": "Be konsultanto", "en": "None"})
    consult(grants_db, unassigned.id, day(0), follow_up_on=day(4))
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(4)) == 0
    with work(grants_db) as uow:  # a consultant assigned within the grace days gets the reminder
        applications.assign_consultant(uow, unassigned.id, ContactIn(**EGLE), URL)
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(5)) == 1
        assert emitted(uow)[0].data.consultant.email == EGLE["email"]
    with work(grants_db) as uow:
        assert desk.remind_follow_ups(uow, URL, today=day(10)) == 1  # the newer follow-up of "Moved"
        assert [e.data.title.en for e in emitted(uow)] == ["Moved"]


def test_a_follow_up_is_refused_unless_in_the_future_and_within_a_year(grants_db):
    call = new_call(grants_db)
    started = new_application(grants_db, call.id)
    for bad in (day(0), day(-1), day(367)):
        with pytest.raises(RuleViolation) as refused:
            consult(grants_db, started.id, day(0), follow_up_on=bad)
        assert refused.value.field == "follow_up_on"
    with work(grants_db) as uow:
        assert applications.get_application(uow, started.id).consultations == []  # nothing kept


def test_the_list_pages_sorts_and_filters(grants_db):
    programme_call = new_call(grants_db, "SOON", closes_on=day(30), funder="Norway Grants")
    later_call = new_call(grants_db, "LATER", closes_on=day(90), funder="EEA Grants",
                          themes=["culture_tourism", "public_service_quality"])
    a = new_application(grants_db, programme_call.id, internal_deadline=day(10), title={"lt": "A", "en": "A"})
    b = new_application(grants_db, later_call.id, internal_deadline=day(5), municipality_code="02",
                        themes=["culture_tourism"], title={"lt": "B", "en": "B"}, consultant=EGLE)
    c = new_application(grants_db, later_call.id, internal_deadline=day(60), title={"lt": "C", "en": "C"})
    consult(grants_db, c.id, day(0), follow_up_on=day(2))
    ids = {x.id: x.title.en for x in (a, b, c)}

    def titles(items):
        return [ids[i.id] for i in items]

    items, headers = page(grants_db, sort="deadline")
    assert titles(items) == ["C", "B", "A"] and headers == {}
    assert [(i.next_deadline.kind, i.next_deadline.days_left) for i in items] == [
        ("follow_up", 2), ("internal", 5), ("internal", 10)]
    assert titles(page(grants_db, sort="-deadline")[0]) == ["A", "B", "C"]
    assert titles(page(grants_db)[0]) == ["C", "B", "A"]  # newest first by default
    assert titles(page(grants_db, sort="municipality")[0])[0] == "B"  # 02 before 15
    # Pages of two: the cursor continues after the last one, in the same sort.
    first, headers = page(grants_db, sort="deadline", limit=2)
    assert titles(first) == ["C", "B"] and headers["X-Next-Cursor"]
    assert headers["Link"].startswith("</grants/applications?") and 'rel="next"' in headers["Link"]
    rest, more = page(grants_db, sort="deadline", limit=2, cursor=headers["X-Next-Cursor"])
    assert titles(rest) == ["A"] and more == {}
    with pytest.raises(RuleViolation) as other_sort:  # a cursor of another sort is refused, never page 1
        page(grants_db, sort="created", limit=2, cursor=headers["X-Next-Cursor"])
    assert other_sort.value.field == "cursor"
    # Filters: funder, theme, municipality, consultant (any case), status, call, deadline range.
    assert titles(page(grants_db, funder="EEA Grants", sort="created")[0]) == ["B", "C"]
    assert titles(page(grants_db, theme="culture_tourism")[0]) == ["B"]
    assert titles(page(grants_db, tenant="02")[0]) == ["B"]  # the route's effective municipality filter
    assert titles(page(grants_db, consultant="EGLE.petrauske@lsa.lt")[0]) == ["B"]
    assert titles(page(grants_db, status=["drafting"])[0]) == []
    assert titles(page(grants_db, call_id=str(programme_call.id))[0]) == ["A"]
    assert titles(page(grants_db, deadline_from=day(3).isoformat(), deadline_to=day(10).isoformat(),
                       sort="deadline")[0]) == ["B", "A"]
    # Tenancy: the enforced municipality sees its own only.
    assert titles(page(grants_db, tenant="15", sort="deadline")[0]) == ["C", "A"]
    assert page(grants_db, tenant="57")[0] == []
    with work(grants_db) as uow:
        exported = desk.export_applications(uow, ApplicationFilters(sort="deadline", municipality_code="15"), "15")
    lines = exported.splitlines()
    assert lines[0].startswith("id,municipality_code") and [line.split(",")[0] for line in lines[1:]] == [
        str(c.id), str(a.id)]
    assert "@" not in exported


def test_the_list_pages_by_programme_and_contracted_reports(grants_db):
    with work(grants_db) as uow:
        from services.grants.schemas import ProgrammeIn

        programme = catalogue.create_programme(uow, ProgrammeIn(
            code="TEST-02", funder="Norway Grants", source_kind="eea_norway_grants",
            title={"lt": "Bandomoji", "en": "Test"}))
    in_programme = new_call(grants_db, "IN-PROGRAMME", programme_id=str(programme.id), funder="Norway Grants")
    other = new_call(grants_db, "OTHER")
    contracted = new_application(grants_db, in_programme.id)
    new_application(grants_db, other.id)
    with work(grants_db) as uow:
        for status in ("drafting", "internal_review", "submitted"):
            transitions.move_application(uow, contracted.id, TransitionIn(to=status), STAFF)
        transitions.record_decision(uow, contracted.id, DecisionIn(outcome="awarded", decided_on=TODAY,
                                                                   awarded_grant_eur="85000"), STAFF.subject)
        transitions.move_application(uow, contracted.id, TransitionIn(to="contracted"), STAFF)
    with work(grants_db) as uow:
        from services.grants.usecases import implementation

        implementation.plan(uow, contracted.id, ImplementationIn.model_validate(
            {"starts_on": TODAY.isoformat(), "ends_on": day(200).isoformat(),
             "interim_reports_due": [day(20).isoformat()]}))
    items, _ = page(grants_db, programme_id=str(programme.id))
    assert [i.id for i in items] == [contracted.id]
    assert (items[0].next_deadline.kind, items[0].next_deadline.on) == ("interim_report", day(20))


def test_the_workload_and_a_consultants_own_desk(grants_db):
    call = new_call(grants_db, closes_on=day(40))
    jonas_a = new_application(grants_db, call.id, internal_deadline=day(20))
    jonas_b = new_application(grants_db, call.id, internal_deadline=day(3))
    egle_a = new_application(grants_db, call.id, consultant=EGLE, internal_deadline=day(9))
    nobody = new_application(grants_db, call.id, consultant=None, municipality_code="02")
    withdrawn = new_application(grants_db, call.id, internal_deadline=day(1))
    with work(grants_db) as uow:
        transitions.move_application(uow, withdrawn.id, TransitionIn(to="withdrawn"), STAFF)
    with work(grants_db) as uow:
        seen = desk.workload(uow, WorkloadQuery())
    assert [(d.consultant_email, d.counts.open) for d in seen.consultants] == [
        ("egle.petrauske@lsa.lt", 1), ("jonas.jonaitis@lsa.lt", 2), (None, 1)]
    jonas = seen.consultants[1]
    assert [a.id for a in jonas.applications] == [jonas_b.id, jonas_a.id]  # by next deadline
    assert jonas.counts.due_soon == 1 and jonas.counts.by_status == {"idea": 2}
    assert seen.consultants[2].applications[0].id == nobody.id
    with work(grants_db) as uow:
        only_assigned = desk.workload(uow, WorkloadQuery(unassigned=False, per_consultant=1))
    assert [d.consultant_email for d in only_assigned.consultants] == ["egle.petrauske@lsa.lt", "jonas.jonaitis@lsa.lt"]
    assert len(only_assigned.consultants[1].applications) == 1 and only_assigned.consultants[1].counts.open == 2
    with work(grants_db) as uow:
        one = desk.workload(uow, WorkloadQuery(consultant="EGLE.PETRAUSKE@lsa.lt"))
        assert [a.id for d in one.consultants for a in d.applications] == [egle_a.id]
        assert desk.workload(uow, WorkloadQuery(municipality_code="02", unassigned=True)).consultants[0].applications[
            0].id == nobody.id
        own = desk.own_desk(uow, "Jonas.Jonaitis@lsa.lt", DeskQuery())
        assert own.consultant_name == "Jonas Jonaitis" and [a.id for a in own.applications] == [jonas_b.id, jonas_a.id]
        empty = desk.own_desk(uow, "nobody@lsa.lt", DeskQuery())
        assert empty.counts.open == 0 and empty.applications == []


def test_an_unknown_application_is_not_found_when_assigning(grants_db):
    from shared.errors import NotFound

    with work(grants_db) as uow, pytest.raises(NotFound):
        applications.assign_consultant(uow, uuid.uuid4(), ContactIn(**EGLE), URL)


def test_a_partner_municipality_lists_the_joint_application_it_is_part_of(grants_db):
    from services.grants.joint_schemas import PartnershipIn
    from services.grants.usecases import joint

    call = new_call(grants_db)
    lead = new_application(grants_db, call.id, title={"lt": "Bendra", "en": "Joint"})
    other = new_application(grants_db, call.id, municipality_code="02", title={"lt": "Alytaus", "en": "Alytus'"})
    with work(grants_db) as uow:
        joint.set_partnership(uow, lead.id, PartnershipIn.model_validate(
            {"lead": {"budget_share_eur": "60000", "own_contribution_eur": "9000"},
             "partners": [{"municipality_code": "02", "budget_share_eur": "40000", "own_contribution_eur": "6000"}]}),
            STAFF)
    assert {i.id for i in page(grants_db, tenant="02")[0]} == {lead.id, other.id}  # its own and the joint one
    assert [i.id for i in page(grants_db, tenant="15")[0]] == [lead.id]  # the lead: not the partner's own
    assert page(grants_db, tenant="16")[0] == []
