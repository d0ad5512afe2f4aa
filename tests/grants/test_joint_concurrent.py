"""Joint applications under concurrent clients on PostgreSQL: partnership changes and partners'
answers serialise on the application row (SELECT ... FOR UPDATE in repository.application), so

- a partner's confirmation arriving while the lead is changing its figures waits for the change
  and is then refused (409 part_changed): no partner is ever confirmed with figures it did not see;
- many clients setting different partnerships at once leave exactly one of them, whole (the parts
  add up to the budget, no mixture of two sets, no duplicate-key failure), with one event per
  partner added by the partnership that stands last."""

from __future__ import annotations

from decimal import Decimal

import eventlet
import pytest

from services.grants.joint_schemas import PartnerAnswerIn, PartnershipIn
from services.grants.models import JointPart
from services.grants.usecases import joint
from shared.auth import Principal
from shared.errors import Conflict
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.test_usecases import STAFF, new_application, new_call, work

ALYTUS = Principal(subject="asta@alytus.lt", role="municipality", municipality_code="02")
LEAD = {"budget_share_eur": "60000", "own_contribution_eur": "9000"}


def partnership(*partners: tuple[str, str, str]) -> PartnershipIn:
    return PartnershipIn.model_validate({"lead": LEAD, "partners": [
        {"municipality_code": c, "budget_share_eur": s, "own_contribution_eur": o} for c, s, o in partners]})


@pytest.fixture
def application(pg_databases):
    url = pg_databases["grants"]
    call = new_call(url, foreign_partner_required=False, partner_countries=[])
    created = new_application(url, call.id)
    with work(url) as uow:
        joint.set_partnership(uow, created.id, partnership(("02", "40000", "6000")), STAFF)
    return url, created.id


def test_a_confirmation_during_a_change_of_the_figures_waits_and_is_refused(application):
    url, application_id = application
    engine = engine_for(url)
    outcome = []

    def confirm():
        try:
            with UnitOfWork(engine, "grants", "alytus") as uow:
                joint.answer_part(uow, application_id, "02", PartnerAnswerIn.model_validate(
                    {"answer": "confirmed", "budget_share_eur": "40000", "own_contribution_eur": "6000"}), ALYTUS)
            outcome.append("confirmed")
        except Conflict as refused:
            outcome.append(refused.code)

    with UnitOfWork(engine, "grants", "lead") as uow:
        repo_application = joint.repository(uow).application(application_id, lock=True)
        assert repo_application.status == "idea"  # in preparation
        answering = eventlet.spawn(confirm)
        eventlet.sleep(1.0)
        assert outcome == [], "the confirmation did not wait for the change being made"
        # the lead's change, in the same transaction that holds the row
        joint.set_partnership(uow, application_id, PartnershipIn.model_validate(
            {"lead": {"budget_share_eur": "70000", "own_contribution_eur": "10500"},
             "partners": [{"municipality_code": "02", "budget_share_eur": "30000",
                           "own_contribution_eur": "4500"}]}), STAFF)
    answering.wait()
    assert outcome == ["part_changed"]
    with work(url) as uow:
        part = uow.session.get(JointPart, (application_id, "02"))
        assert (part.answer, part.budget_share_eur) == ("pending", Decimal("30000.00"))


def test_many_clients_setting_partnerships_at_once_leave_one_whole(application):
    url, application_id = application
    engine = engine_for(url)
    choices = [partnership(("02", "40000", "6000")),
               partnership(("16", "20000", "3000"), ("05", "20000", "3000")),
               partnership(("03", "10000", "1500"), ("07", "10000", "1500"), ("10", "20000", "3000")),
               partnership(("18", "40000", "6000"))]
    failures, events = [], []

    def client(body):
        try:
            with UnitOfWork(engine, "grants", "client") as uow:
                joint.set_partnership(uow, application_id, body, STAFF)
                events.append([e.type for e in uow.emitted])
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            failures.append(repr(error))

    pool = eventlet.GreenPool(16)
    for round_ in range(4):
        for body in choices * 4:
            pool.spawn(client, body)
        pool.waitall()
    assert failures == []
    assert len(events) == 64
    with work(url) as uow:
        rows = joint.joint_repository(uow).parts(application_id)
    codes = sorted(r.municipality_code for r in rows if r.role == "partner")
    assert codes in [sorted(p.municipality_code for p in body.partners) for body in choices]
    assert sum(r.budget_share_eur for r in rows) == Decimal("100000.00")
    assert sum(r.own_contribution_eur for r in rows) == Decimal("15000.00")
