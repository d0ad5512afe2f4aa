"""Joint applications' use cases (services/grants/usecases/joint.py) on a migrated SQLite database:
the partnership set, answered and changed; submission waiting for the confirmations; the reports
counting each municipality's share while the seeded projects keep their figures; erasure."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from services.grants.joint_schemas import PartnerAnswerIn, PartnershipIn
from services.grants.schemas import ApplicationChange, ChecklistChange, TransitionIn
from services.grants.usecases import applications, erasure, joint, reports, transitions
from shared.auth import Principal
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.privacy import ErasureRequested
from tests.grants.test_usecases import STAFF, new_application, new_call, types, work

D = Decimal
ALYTUS = Principal(subject="asta.a@alytus.lt", role="municipality", municipality_code="02")
PARTNERSHIP = {"lead": {"budget_share_eur": "60000", "own_contribution_eur": "9000"},
               "partners": [{"municipality_code": "02", "budget_share_eur": "40000", "own_contribution_eur": "6000"}]}
CONFIRM = {"answer": "confirmed", "budget_share_eur": "40000", "own_contribution_eur": "6000",
           "note": "Tarybos sprendimas Nr. T-12"}


@pytest.fixture
def joint_application(grants_db):
    """Kaunas city (15) leads, Alytus city (02) joins: 100,000 total, 85,000 grant, no foreign partner."""
    call = new_call(grants_db, foreign_partner_required=False, partner_countries=[])
    application = new_application(grants_db, call.id)
    with work(grants_db) as uow:
        shown = joint.set_partnership(uow, application.id, PartnershipIn.model_validate(PARTNERSHIP), STAFF)
        assert types(uow) == ["grants.joint_partner_added"]
        added = uow.emitted[0].data
    assert added["partner_municipality_code"] == "02" and D(added["grant_share_eur"]) == D("34000.00")
    assert added["municipality_codes"] == ["15", "02"] and added["answer"] == "pending"
    assert shown.joint and shown.balanced and shown.waiting_for == ["02"] and shown.ready_to_submit is False
    return grants_db, application


def partnership(url, application_id, principal=STAFF):
    with work(url) as uow:
        return joint.get_partnership(uow, application_id, principal)


def test_the_lead_sees_every_part_and_a_partner_its_own(joint_application):
    url, application = joint_application
    full = partnership(url, application.id)
    assert [(p.municipality_code, p.role, p.grant_share_eur, p.answer) for p in full.parts] == [
        ("15", "lead", D("51000.00"), None), ("02", "partner", D("34000.00"), "pending")]
    assert full.parts[1].min_own_contribution_eur == D("6000.00")
    own = partnership(url, application.id, ALYTUS)
    assert [p.municipality_code for p in own.parts] == ["02"] and own.municipality_codes == ["15", "02"]
    assert own.balanced is None and own.waiting_for is None  # the others' answers are the lead's business


def test_submission_waits_for_the_partners_confirmation(joint_application):
    url, application = joint_application
    with work(url) as uow:
        for item in applications.get_application(uow, application.id).checklist:
            applications.update_checklist_item(uow, application.id, item.code, ChecklistChange(status="ready"), STAFF)
        transitions.move_application(uow, application.id, TransitionIn(to="drafting"), STAFF)
        transitions.move_application(uow, application.id, TransitionIn(to="internal_review"), STAFF)
    with work(url) as uow, pytest.raises(RuleViolation) as waiting:
        transitions.move_application(uow, application.id, TransitionIn(to="submitted"), STAFF)
    assert waiting.value.field == "partnership" and "not confirmed: 02" in waiting.value.detail
    with work(url) as uow:
        answered = joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(CONFIRM), ALYTUS)
        assert types(uow) == ["grants.joint_partner_confirmed"] and uow.emitted[0].data["note"].endswith("T-12")
    assert [(p.answer, p.answered_by) for p in answered.parts] == [("confirmed", "asta.a@alytus.lt")]
    with work(url) as uow:
        submitted = transitions.move_application(uow, application.id, TransitionIn(to="submitted"), STAFF)
    assert submitted.status == "submitted"
    # After submission the partnership is closed: 409, nothing changed.
    with work(url) as uow, pytest.raises(Conflict) as closed:
        joint.set_partnership(uow, application.id, PartnershipIn(partners=[]), STAFF)
    assert closed.value.code == "partnership_closed"
    with work(url) as uow, pytest.raises(Conflict):
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn(answer="declined"), ALYTUS)
    assert partnership(url, application.id).parts[1].answer == "confirmed"


def test_a_change_of_a_partners_figures_asks_it_again_and_a_stale_confirmation_is_409(joint_application):
    url, application = joint_application
    changed = {"lead": {"budget_share_eur": "70000", "own_contribution_eur": "10500"},
               "partners": [{"municipality_code": "02", "budget_share_eur": "30000", "own_contribution_eur": "4500"}]}
    with work(url) as uow:
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(CONFIRM), STAFF)
    with work(url) as uow:
        shown = joint.set_partnership(uow, application.id, PartnershipIn.model_validate(changed), STAFF)
        assert types(uow) == ["grants.joint_partner_changed"]
        assert D(uow.emitted[0].data["previous_budget_share_eur"]) == D("40000.00")
    assert shown.parts[1].answer == "pending" and shown.parts[1].answered_by is None
    with work(url) as uow, pytest.raises(Conflict) as stale:  # Alytus confirms what it saw before
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(CONFIRM), ALYTUS)
    assert stale.value.code == "part_changed"
    # Setting the same figures again keeps the answer and tells no one.
    with work(url) as uow:
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(
            {**CONFIRM, "budget_share_eur": "30000", "own_contribution_eur": "4500"}), ALYTUS)
    with work(url) as uow:
        again = joint.set_partnership(uow, application.id, PartnershipIn.model_validate(changed), STAFF)
        assert types(uow) == []
    assert again.parts[1].answer == "confirmed"
    # A partner added and one removed: each told.
    with work(url) as uow:
        joint.set_partnership(uow, application.id, PartnershipIn.model_validate(
            {"lead": changed["lead"], "partners": [{"municipality_code": "16", "budget_share_eur": "30000",
                                                   "own_contribution_eur": "4500"}]}), STAFF)
        assert sorted(types(uow)) == ["grants.joint_partner_added", "grants.joint_partner_removed"]
    with work(url) as uow:
        ended = joint.set_partnership(uow, application.id, PartnershipIn(partners=[]), STAFF)
        assert types(uow) == ["grants.joint_partner_removed"]
    assert not ended.joint and ended.parts == []


def test_bad_partnerships_change_nothing(joint_application):
    url, application = joint_application
    before = partnership(url, application.id)
    bad = [
        ({**PARTNERSHIP, "lead": {"budget_share_eur": "50000", "own_contribution_eur": "9000"}}, "partners"),
        ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "municipality_code": "15"}]},
         "partners.0.municipality_code"),
        ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "budget_share_eur": "20000",
                                       "own_contribution_eur": "3000"}] * 2}, "partners.1.municipality_code"),
        ({**PARTNERSHIP, "partners": [{**PARTNERSHIP["partners"][0], "municipality_code": "57"}]},
         "partners.0.municipality_code"),  # Vilnius: the call is for Kaunas and Alytus counties
        ({"partners": PARTNERSHIP["partners"]}, "lead"),
    ]
    for body, field in bad:
        with work(url) as uow, pytest.raises(RuleViolation) as refused:
            joint.set_partnership(uow, application.id, PartnershipIn.model_validate(body), STAFF)
        assert refused.value.field == field, (body, refused.value.detail)
        assert uow.emitted == []
    assert partnership(url, application.id) == before
    with work(url) as uow, pytest.raises(NotFound):  # Kaunas district is no partner of it
        joint.answer_part(uow, application.id, "16", PartnerAnswerIn(answer="declined"), STAFF)
    with work(url) as uow, pytest.raises(NotFound):  # the lead's part takes no answer
        joint.answer_part(uow, application.id, "15", PartnerAnswerIn(answer="declined"), STAFF)


def test_a_budget_change_unbalances_the_partnership_until_it_is_set_again(joint_application):
    url, application = joint_application
    with work(url) as uow:
        applications.change_application(uow, application.id, ApplicationChange.model_validate(
            {"budget": {"total_eligible_cost_eur": "120000", "requested_grant_eur": "102000"}}))
    shown = partnership(url, application.id)
    assert shown.balanced is False and shown.ready_to_submit is False


def test_reports_count_each_municipalitys_share_and_the_seeds_keep_their_figures(joint_application):
    url, application = joint_application
    with work(url) as uow:
        before = reports.applications_report(uow, "funder", None)
    other_call = new_call(url, code="SOLO-1", foreign_partner_required=False, partner_countries=[])
    new_application(url, other_call.id, municipality_code="02",
                    budget={"total_eligible_cost_eur": "50000", "requested_grant_eur": "40000"})
    with work(url) as uow:
        by_municipality = reports.applications_report(uow, "municipality", None)
        alytus = reports.applications_report(uow, "status", "02")
        kaunas = reports.applications_report(uow, "municipality", "15")
        centre = reports.applications_report(uow, "funder", None)
    rows = {r.group: r for r in by_municipality.rows}
    # Kaunas: its share (51,000) of the joint application; Alytus: its own 40,000 and its share 34,000.
    assert (rows["15"].requested_eur, rows["15"].applications) == (D("51000.00"), 1)
    assert (rows["02"].requested_eur, rows["02"].applications) == (D("74000.00"), 2)
    assert by_municipality.totals.requested_eur == D("125000.00") == sum(r.requested_eur for r in rows.values())
    assert alytus.totals.requested_eur == D("74000.00") and alytus.totals.applications == 2
    assert kaunas.totals.requested_eur == D("51000.00") and [r.group for r in kaunas.rows] == ["15"]
    # The seeded projects (LT10's three) keep their figures in the centre's report.
    assert (centre.totals.funded_projects, centre.totals.funded_initial_cost_eur, centre.totals.funded_grant_eur) == (
        before.totals.funded_projects, before.totals.funded_initial_cost_eur, before.totals.funded_grant_eur)
    assert centre.totals.funded_projects == 3
    with work(url) as uow:
        csv_text = reports.applications_report_csv(uow, "municipality", None)
    assert "74000.00" in csv_text and "51000.00" in csv_text


def test_erasure_reaches_who_answered_for_a_partner(joint_application):
    url, application = joint_application
    with work(url) as uow:
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(CONFIRM), ALYTUS)
    with work(url) as uow:
        counts = erasure.erase_person(uow, ErasureRequested(request_id=uuid.uuid4(), email="asta.a@alytus.lt",
                                                            requested_by="dpo@lsa.lt"))
        uow.commit()
    assert counts["joint_answers"] == 1
    answered_by = partnership(url, application.id).parts[1].answered_by
    assert answered_by and "alytus" not in answered_by


def test_the_gauge_counts_partners_answers_of_applications_in_preparation(joint_application):
    from services.grants.joint_gauges import JointGauges

    url, application = joint_application
    gauges = JointGauges()
    gauges.service = "grants"

    class Settings:
        @staticmethod
        def database_url(service):
            return url

    gauges.settings = Settings()

    def samples():
        return {labels["answer"]: value for name, _, labels, value in gauges.samples()
                if name == "savivalda_grant_joint_partners"}

    assert samples() == {"pending": 1, "confirmed": 0, "declined": 0}
    with work(url) as uow:
        joint.answer_part(uow, application.id, "02", PartnerAnswerIn.model_validate(CONFIRM), ALYTUS)
    assert samples() == {"pending": 0, "confirmed": 1, "declined": 0}
    with work(url) as uow:
        transitions.move_application(uow, application.id, TransitionIn(to="withdrawn"), STAFF)
    assert samples() == {"pending": 0, "confirmed": 0, "declined": 0}  # no longer in preparation
