"""The grants use cases on their own: each called with a unit of work on a migrated SQLite database
(a copy of one migrated per session), no HTTP, no nameko container, no broker. Event use cases do
not commit (the @subscribe wrapper does), so the tests commit after them as the wrapper would."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.grants.schemas import (
    AmendmentIn,
    ApplicationChange,
    ApplicationIn,
    CallChange,
    CallIn,
    CallQuery,
    ChecklistChange,
    ClaimStatusIn,
    ConsultationIn,
    ContactIn,
    DecisionIn,
    FinalReportIn,
    FitQuery,
    FundedProjectIn,
    ImplementationIn,
    PaymentClaimIn,
    ProgrammeIn,
    ProgrammeQuery,
    ReportSubmissionIn,
    TransitionIn,
)
from services.grants.desk_schemas import ApplicationFilters, ApplicationListQuery
from services.grants.usecases import (
    applications,
    catalogue,
    consultations,
    desk,
    erasure,
    idea_fit,
    implementation,
    local_today,
    partner_search,
    reminders,
    reports,
    transitions,
)
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from shared.events.partners import IntroductionAnswered, MatchesProposed, PartnershipEstablished
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import application_body, call_body, day

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
KAUNAS = Principal(subject="ruta.petraitiene@kaunas.lt", role="municipality", municipality_code="15")
NORWAY = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ICELAND = uuid.UUID("00000000-0000-4000-8000-00000000000b")


@pytest.fixture
def db(grants_db):
    """A fresh migrated grants database (tests/grants/conftest.py)."""
    return grants_db


@contextmanager
def work(url: str):
    """One unit of work, as the Database dependency gives a worker (closed, i.e. rolled back if
    not committed, at the end)."""
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        yield uow


def types(uow: UnitOfWork) -> list[str]:
    return [e.type for e in uow.emitted]


def new_call(url, **changes):
    with work(url) as uow:
        return catalogue.create_call(uow, CallIn.model_validate(call_body(**changes)))


def new_application(url, call_id, principal=STAFF, **changes):
    with work(url) as uow:
        return applications.create_application(
            uow, ApplicationIn.model_validate(application_body(str(call_id), **changes)), principal)


# ---------------------------------------------------------------- catalogue

def test_a_call_is_published_when_announced_and_again_when_its_terms_change(db):
    with work(db) as uow:
        call = catalogue.create_call(uow, CallIn.model_validate(call_body()))
        assert types(uow) == ["grants.call_published"]
        assert "15" in call.eligible_municipalities and "57" not in call.eligible_municipalities
    with work(db) as uow:
        assert [c.id for c in catalogue.list_calls(uow, CallQuery(theme="anti_corruption"))] == [call.id]
        assert catalogue.list_calls(uow, CallQuery(theme="culture_tourism")) == []
        moved = catalogue.change_call(uow, call.id, CallChange(closes_on=local_today() + timedelta(days=90)))
        assert moved.closes_on == local_today() + timedelta(days=90) and types(uow) == ["grants.call_published"]
    with work(db) as uow:
        catalogue.change_call(uow, call.id, CallChange(status="closed"))
        assert types(uow) == []  # closed calls are not announced
        assert catalogue.get_call(uow, call.id).status == "closed"
    with work(db) as uow, pytest.raises(Conflict) as duplicate:
        catalogue.create_call(uow, CallIn.model_validate(call_body()))
    assert duplicate.value.field == "code"
    with work(db) as uow, pytest.raises(NotFound):
        catalogue.get_call(uow, uuid.uuid4())


def test_programmes_record_their_funded_projects_with_the_cost_change(db):
    with work(db) as uow:
        programme = catalogue.create_programme(uow, ProgrammeIn(
            code="TEST-01", funder="Norway Grants", source_kind="eea_norway_grants",
            title={"lt": "Bandomoji programa", "en": "Test programme"}))
    project = dict(project_number="TEST-01-0001", title="Smart budgets", promoter="Kauno miesto savivaldybė",
                   initial_cost_eur="100000", final_cost_eur="92000", grant_eur="92000.01")
    with work(db) as uow, pytest.raises(RuleViolation) as too_much:
        catalogue.add_funded_project(uow, programme.id, FundedProjectIn.model_validate(project))
    assert too_much.value.field == "grant_eur"
    with work(db) as uow:
        added = catalogue.add_funded_project(uow, programme.id,
                                             FundedProjectIn.model_validate(project | {"grant_eur": "78200"}))
        assert added.cost_change_eur == Decimal("-8000")
    with work(db) as uow:
        shown = catalogue.get_programme(uow, programme.id)
        assert [p.project_number for p in shown.projects] == ["TEST-01-0001"]
        assert programme.id in [p.id for p in catalogue.list_programmes(uow, ProgrammeQuery())]


# ---------------------------------------------------------------- applications

def test_starting_an_application_checks_it_against_the_call_and_asks_for_a_partner(db):
    call = new_call(db)
    with work(db) as uow:
        started = applications.create_application(
            uow, ApplicationIn.model_validate(application_body(str(call.id))), STAFF)
        assert types(uow) == ["grants.application_created", "grants.partner_requested"]
    assert started.status == "idea" and started.partner.status == "requested" and not started.partner.met
    assert [i.status for i in started.checklist] == ["missing"] * 3
    assert started.deadlines.internal == local_today() + timedelta(days=53)  # a week before the official one
    assert started.created_by == STAFF.subject
    with pytest.raises(Forbidden):  # only staff assign the centre's consultant
        new_application(db, call.id, principal=KAUNAS)
    with pytest.raises(RuleViolation) as over_rate:
        new_application(db, call.id, budget={"total_eligible_cost_eur": "100000", "requested_grant_eur": "90000"})
    assert over_rate.value.field == "budget.requested_grant_eur"
    with pytest.raises(RuleViolation) as elsewhere:
        new_application(db, call.id, municipality_code="57")
    assert elsewhere.value.field == "municipality_code"
    with work(db) as uow:  # nothing of the refused ones was kept
        assert len(desk.list_applications(uow, ApplicationListQuery(), None)[1]) == 1
        assert desk.list_applications(uow, ApplicationListQuery(), "13")[1] == []
        exported = desk.export_applications(uow, ApplicationFilters(), "15")
    assert exported.splitlines()[0].startswith("id,municipality_code") and "@" not in exported


def test_an_application_is_edited_only_while_being_written(db):
    call = new_call(db, foreign_partner_required=False)
    started = new_application(db, call.id, municipality_code="13", consultant=None)
    assert started.partner.status == "not_required"
    with work(db) as uow:
        changed = applications.change_application(uow, started.id, ApplicationChange(
            themes=["anti_corruption"], budget={"total_eligible_cost_eur": "50000", "requested_grant_eur": "40000"}))
        assert changed.themes == ["anti_corruption"] and changed.budget.own_contribution_eur == Decimal("10000")
        consultant = applications.assign_consultant(uow, started.id, ContactIn(name="Eglė", email="egle@lsa.lt",
                                                                                 language="lt"), "http://x")
        assert consultant.consultant.email == "egle@lsa.lt"
    with work(db) as uow, pytest.raises(RuleViolation) as off_theme:
        applications.change_application(uow, started.id, ApplicationChange(themes=["culture_tourism"]))
    assert off_theme.value.field == "themes"
    with work(db) as uow:
        transitions.move_application(uow, started.id, TransitionIn(to="withdrawn"), STAFF)
    with work(db) as uow, pytest.raises(Conflict) as closed:
        applications.update_checklist_item(uow, started.id, "budget", ChecklistChange(status="ready"), STAFF)
    assert closed.value.code == "not_editable"


def test_from_proposed_partners_to_submission_decision_and_final_report(db):
    call = new_call(db)
    app_id = new_application(db, call.id).id
    request_id = uuid.uuid4()
    candidates = [dict(organisation_id=NORWAY, name="Viken fylkeskommune", country="NO",
                       organisation_type="county_council", score=0.9, components={"theme_overlap": 1.0}),
                  dict(organisation_id=ICELAND, name="Reykjavík", country="IS", organisation_type="municipality",
                       score=0.5, components={})]
    with work(db) as uow:
        partner_search.matches_proposed(uow, MatchesProposed(
            partner_request_id=request_id, application_id=app_id, municipality_code="15", candidates=candidates))
        partner_search.matches_proposed(uow, MatchesProposed(  # an unknown application is ignored
            partner_request_id=request_id, application_id=uuid.uuid4(), municipality_code="15", candidates=[]))
        partner_search.introduction_answered(uow, IntroductionAnswered(
            introduction_id=uuid.uuid4(), partner_request_id=request_id, application_id=app_id,
            organisation_id=NORWAY, side="candidate", answer="accepted", both_accepted=False))
        uow.commit()
    with work(db) as uow:
        shown = applications.get_application(uow, app_id)
    assert shown.partner.status == "proposed"
    assert [(c.name, c.rank, c.introduction_status) for c in shown.partner.candidates] == [
        ("Viken fylkeskommune", 1, "candidate_accepted"), ("Reykjavík", 2, None)]

    with work(db) as uow:
        for step in ("drafting", "internal_review"):
            transitions.move_application(uow, app_id, TransitionIn(to=step), STAFF)
    with work(db) as uow, pytest.raises(RuleViolation) as documents:
        transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF)
    assert documents.value.field == "checklist"
    with work(db) as uow:
        for item in shown.checklist:
            applications.update_checklist_item(uow, app_id, item.code, ChecklistChange(status="ready"), KAUNAS)
    with work(db) as uow, pytest.raises(RuleViolation) as partner:
        transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF)
    assert partner.value.field == "partner"

    with work(db) as uow:
        partner_search.partnership_established(uow, PartnershipEstablished(
            partnership_id=uuid.uuid4(), partner_request_id=request_id, application_id=app_id,
            municipality_code="15", organisation_id=NORWAY, organisation_name="Viken fylkeskommune", country="NO",
            candidate_contact={"name": "Kari Nordmann", "email": "kari@viken.no"},
            established_at=datetime.now(timezone.utc)))
        partner_search.introduction_answered(uow, IntroductionAnswered(  # late: the partnership stays
            introduction_id=uuid.uuid4(), partner_request_id=request_id, application_id=app_id,
            organisation_id=NORWAY, side="requester", answer="declined", both_accepted=False))
        uow.commit()
    with work(db) as uow:
        submitted = transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF)
        assert types(uow) == ["grants.application_status_changed"]
    assert submitted.partner.met and submitted.partner.contact.email == "kari@viken.no"
    assert submitted.partner.candidates[0].introduction_status == "established"

    with work(db) as uow:
        decided = transitions.record_decision(uow, app_id, DecisionIn(
            outcome="awarded", decided_on=local_today(), awarded_grant_eur="80000"), STAFF.subject)
        assert types(uow) == ["grants.application_status_changed", "grants.application_decided"]
        transitions.move_application(uow, app_id, TransitionIn(to="contracted"), STAFF)
    with work(db) as uow, pytest.raises(RuleViolation) as above_rate:
        transitions.file_final_report(uow, app_id, FinalReportIn(
            final_cost_eur="92000", final_grant_eur="80000", completed_on=local_today()), STAFF.subject)
    assert above_rate.value.field == "final_grant_eur" and "must shrink by €1,800.00" in above_rate.value.detail
    with work(db) as uow:
        completed = transitions.file_final_report(uow, app_id, FinalReportIn(
            final_cost_eur="92000", completed_on=local_today()), STAFF.subject)  # 85 % of it
        filed, = [e for e in uow.emitted if e.type == "grants.final_report_filed"]
        assert (filed.data["final_grant_eur"], filed.data["grant_reduction_eur"]) == ("78200.00", "1800.00")
    assert decided.decision.awarded_grant_eur == Decimal("80000")
    assert completed.status == "completed" and completed.costs.cost_change_eur == Decimal("-8000")
    assert (completed.costs.final_grant_eur, completed.costs.grant_reduction_eur) == (
        Decimal("78200"), Decimal("1800"))
    assert [h.to_status for h in completed.history] == [
        "idea", "drafting", "internal_review", "submitted", "awarded", "contracted", "completed"]

    with work(db) as uow:
        by_funder = reports.applications_report(uow, "funder", None)
        assert by_funder.totals.successful == 1 and by_funder.rows[0].group == "Norway Grants"
        assert reports.applications_report(uow, "funder", "57").totals.applications == 0
        assert reports.applications_report_csv(uow, "status", "15").splitlines()[-1].startswith("total,1,")


def test_consultations_are_logged_once_held(db):
    app_id = new_application(db, new_call(db).id).id
    with work(db) as uow:
        logged = consultations.log_consultation(uow, app_id, ConsultationIn(
            held_on=local_today(), channel="video", summary="Budget reviewed"), STAFF.subject)
    assert [(c.summary, c.recorded_by) for c in logged.consultations] == [("Budget reviewed", STAFF.subject)]
    with work(db) as uow, pytest.raises(RuleViolation) as early:
        consultations.log_consultation(uow, app_id, ConsultationIn(
            held_on=local_today() + timedelta(days=1), channel="phone", summary="Not yet"), STAFF.subject)
    assert early.value.field == "held_on"


def test_the_calls_that_fit_an_idea_are_ranked_with_their_reasons(db):
    call = new_call(db)
    new_call(db, code="LT-VL-ONLY", eligible_regions=["VL"])
    query = FitQuery(themes=["anti_corruption"], total_cost_eur="100000")
    with work(db) as uow:
        answer = idea_fit.assess(uow, query, "15")
        with pytest.raises(RuleViolation) as nobody:
            idea_fit.assess(uow, query, None)
    assert nobody.value.field == "municipality_code"
    answer = json.loads(answer)
    assert [(c["call_id"], c["fits"]) for c in answer["calls"]][0] == (str(call.id), True)
    assert answer["calls"][0]["own_contribution_eur"] == "15000.00"
    assert [c["fits"] for c in answer["calls"] if c["code"] == "LT-VL-ONLY"] == [False]


# ---------------------------------------------------------------- the timer and erasure

def test_each_deadline_reminder_goes_out_once(db):
    call = new_call(db, foreign_partner_required=False)
    app_id = new_application(db, call.id, internal_deadline=day(7)).id
    with work(db) as uow:
        assert reminders.remind_deadlines(uow) == 1
        assert types(uow) == ["grants.call_deadline_approaching"]
    with work(db) as uow:
        assert reminders.remind_deadlines(uow) == 0  # already sent
        assert reminders.remind_deadlines(uow, today=local_today() + timedelta(days=6)) == 1  # the 1-day one
    with work(db) as uow:
        sent = applications.get_application(uow, app_id).reminders_sent
    assert sorted(r.days_before for r in sent) == [1, 7]


def test_erasure_forgets_the_contact_and_pseudonymises_the_author(db):
    app_id = new_application(db, new_call(db).id, principal=STAFF, consultant=None,
                             contact={"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt"}).id
    request = ErasureRequested(request_id=uuid.uuid4(), email="Jonas.Jonaitis@LSA.lt", requested_by="dpo@lsa.lt")
    with work(db) as uow:
        counts = erasure.erase_person(uow, request)
        assert types(uow) == ["grants.person_erased"]
        uow.commit()
    assert counts["application_contacts"] == 1 and counts["applications_created"] == 1
    assert counts["status_changes"] == 1 and sum(counts.values()) == 3
    with work(db) as uow:
        shown = applications.get_application(uow, app_id)
        assert shown.contact is None and shown.created_by.startswith("erased-person-")
        assert erasure.erase_person(uow, request) == dict.fromkeys(counts, 0)  # again: nothing left


# ---------------------------------------------------------------- issue 19, item 1

def test_a_call_of_a_programme_takes_its_funder_and_source_kind(db):
    with work(db) as uow:
        lt10, = catalogue.list_programmes(uow, ProgrammeQuery(source_kind=["eea_norway_grants"]))
        assert catalogue.list_programmes(uow, ProgrammeQuery(source_kind=["world_bank"])) == []
        assert [p.code for p in catalogue.list_programmes(uow, ProgrammeQuery(theme="anti_corruption"))] == ["LT10"]
    with work(db) as uow, pytest.raises(RuleViolation) as contradicted:
        catalogue.create_call(uow, CallIn.model_validate(call_body("LT10-WB", programme_id=str(lt10.id),
                                                                   funder="World Bank")))
    assert contradicted.value.field == "funder"
    with work(db) as uow:
        body = call_body("LT10-OK", programme_id=str(lt10.id))
        del body["funder"]
        created = catalogue.create_call(uow, CallIn.model_validate(body))
        published, = [e for e in uow.emitted if e.type == "grants.call_published"]
    assert (created.funder, created.source_kind) == ("Norway Grants", "eea_norway_grants")
    assert published.data["source_kind"] == "eea_norway_grants"
    without_funder = call_body("NO-FUNDER")
    del without_funder["funder"]
    with work(db) as uow, pytest.raises(RuleViolation) as missing:
        catalogue.create_call(uow, CallIn.model_validate(without_funder))
    assert missing.value.field == "funder"


def test_only_staff_waive_a_document_with_the_reason_kept_and_only_staff_pass_the_review(db):
    app_id = new_application(db, new_call(db, foreign_partner_required=False, partner_countries=[]).id).id
    with work(db) as uow, pytest.raises(Forbidden) as municipality:
        applications.update_checklist_item(uow, app_id, "partnership_letter", ChecklistChange(
            status="not_applicable", note="no partner needed"), KAUNAS)
    assert municipality.value.field == "status"
    with work(db) as uow:
        applications.update_checklist_item(uow, app_id, "partnership_letter", ChecklistChange(
            status="in_progress"), KAUNAS)
        waived = applications.update_checklist_item(uow, app_id, "partnership_letter", ChecklistChange(
            status="not_applicable", note="the call needs no partner"), STAFF)
        assert types(uow) == ["grants.document_waived"]
        assert uow.emitted[0].data["reason"] == "the call needs no partner"
    item = {i.code: i for i in waived.checklist}["partnership_letter"]
    assert item.waived and [(h.from_status, h.to_status, h.note, h.changed_by) for h in item.history] == [
        ("missing", "in_progress", None, KAUNAS.subject),
        ("in_progress", "not_applicable", "the call needs no partner", STAFF.subject)]
    with work(db) as uow:
        for code in ("application_form", "budget"):
            applications.update_checklist_item(uow, app_id, code, ChecklistChange(status="ready"), KAUNAS)
        for step in ("drafting", "internal_review"):
            transitions.move_application(uow, app_id, TransitionIn(to=step), KAUNAS)
    with work(db) as uow, pytest.raises(Forbidden) as own_review:
        transitions.move_application(uow, app_id, TransitionIn(to="submitted"), KAUNAS)
    assert own_review.value.field == "to"
    with work(db) as uow:
        assert transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF).status == "submitted"


# ---------------------------------------------------------------- issue 19, item 3: after the contract

def contracted(url, code: str = "LT-NO-2027-01") -> uuid.UUID:
    """An application through review, award (€80,000 of €100,000 at 85 %) and contract."""
    app_id = new_application(url, new_call(url, code=code, foreign_partner_required=False,
                                            partner_countries=[]).id).id
    with work(url) as uow:
        for code in ("application_form", "budget", "partnership_letter"):
            applications.update_checklist_item(uow, app_id, code, ChecklistChange(status="ready"), KAUNAS)
        for step in ("drafting", "internal_review", "submitted"):
            transitions.move_application(uow, app_id, TransitionIn(to=step), STAFF)
        transitions.record_decision(uow, app_id, DecisionIn(outcome="awarded", decided_on=local_today(),
                                                            awarded_grant_eur="80000"), STAFF.subject)
        transitions.move_application(uow, app_id, TransitionIn(to="contracted"), STAFF)
    return app_id


def test_a_contracted_project_reports_claims_is_amended_and_closes_with_its_final_cost(db):
    today = local_today()
    app_id = contracted(db)
    with work(db) as uow:
        planned = implementation.plan(uow, app_id, ImplementationIn(
            starts_on=today, ends_on=today + timedelta(days=300), interim_reports_due=[today + timedelta(days=20)]))
        assert types(uow) == ["grants.implementation_planned"]
    plan = planned.implementation
    assert (plan.contract_total_eur, plan.contract_grant_eur) == (Decimal("100000"), Decimal("80000"))
    interim, final = plan.reports
    assert (interim.kind, final.kind, final.due_on) == ("interim", "final", today + timedelta(days=330))
    with work(db) as uow, pytest.raises(Conflict) as twice:
        implementation.plan(uow, app_id, ImplementationIn(starts_on=today, ends_on=today + timedelta(days=10)))
    assert twice.value.code == "already_planned"

    # Reminders 14, 7 and 1 days before the interim report, then none once it is submitted.
    with work(db) as uow:
        assert reminders.remind_deadlines(uow, today + timedelta(days=6)) == 1  # 14 days before
        reminded, = [e for e in uow.emitted if e.type == "grants.reporting_deadline_approaching"]
        assert (reminded.data["report_kind"], reminded.data["reminder_days"]) == ("interim", 14)
    with work(db) as uow:
        assert reminders.remind_deadlines(uow, today + timedelta(days=6)) == 0  # once
        assert reminders.remind_deadlines(uow, today + timedelta(days=13)) == 1  # 7 days before
    with work(db) as uow:
        shown = implementation.submit_report(uow, app_id, interim.id, ReportSubmissionIn(note="first year"),
                                             KAUNAS.subject)
        assert types(uow) == ["grants.project_report_submitted"]
    assert shown.implementation.reports[0].submitted_by == KAUNAS.subject
    with work(db) as uow:
        assert reminders.remind_deadlines(uow, today + timedelta(days=19)) == 0  # submitted: no 1-day reminder
    with work(db) as uow, pytest.raises(Conflict):
        implementation.submit_report(uow, app_id, interim.id, ReportSubmissionIn(), KAUNAS.subject)

    # Payment claims: at most 85 % of the costs declared, within the grant; approved for less, then paid.
    with work(db) as uow, pytest.raises(RuleViolation) as over_rate:
        implementation.submit_claim(uow, app_id, PaymentClaimIn(amount_eur="45000", eligible_costs_eur="50000"),
                                    KAUNAS.subject)
    assert over_rate.value.field == "amount_eur"
    with work(db) as uow:
        first = implementation.submit_claim(uow, app_id, PaymentClaimIn(amount_eur="42500",
                                                                        eligible_costs_eur="50000"), KAUNAS.subject)
        claim_id = first.implementation.payment_claims[0].id
        approved = implementation.change_claim(uow, app_id, claim_id, ClaimStatusIn(
            status="approved", approved_amount_eur="40000"), STAFF.subject)
        paid = implementation.change_claim(uow, app_id, claim_id, ClaimStatusIn(status="paid"), STAFF.subject)
        changes = [e.data["status"] for e in uow.emitted if e.type == "grants.payment_claim_changed"]
    assert changes == ["submitted", "approved", "paid"]
    assert approved.implementation.payment_claims[0].approved_amount_eur == Decimal("40000")
    assert (paid.implementation.paid_eur, paid.implementation.unclaimed_grant_eur) == (Decimal("40000"),
                                                                                       Decimal("40000"))
    with work(db) as uow, pytest.raises(Conflict):
        implementation.change_claim(uow, app_id, claim_id, ClaimStatusIn(status="approved"), STAFF.subject)

    # Amendments: later end (the final report moves with it), a smaller budget, not below what was claimed.
    with work(db) as uow:
        amended = implementation.amend(uow, app_id, AmendmentIn(
            ends_on=today + timedelta(days=360), total_eligible_cost_eur="90000", grant_eur="76500",
            reason="the tender came in lower; works finish later", reference="AM-1"), STAFF.subject)
        amendment, = [e for e in uow.emitted if e.type == "grants.project_amended"]
    assert amendment.data["before"]["grant_eur"] == "80000.00" and amendment.data["after"]["grant_eur"] == "76500.00"
    assert amended.implementation.reports[1].due_on == today + timedelta(days=390)
    assert [(a.before.grant_eur, a.after.grant_eur, a.reason) for a in amended.implementation.amendments] == [
        (Decimal("80000"), Decimal("76500"), "the tender came in lower; works finish later")]
    with work(db) as uow, pytest.raises(RuleViolation) as below_claimed:
        implementation.amend(uow, app_id, AmendmentIn(grant_eur="39999", reason="x"), STAFF.subject)
    assert below_claimed.value.field == "grant_eur"

    # The final cost closes the project: 85 % of €88,000 is €74,800, under the amended €76,500.
    with work(db) as uow:
        completed = transitions.file_final_report(uow, app_id, FinalReportIn(
            final_cost_eur="88000", completed_on=today), STAFF.subject)
    assert completed.costs.final_grant_eur == Decimal("74800") and completed.costs.grant_reduction_eur == Decimal("5200")
    assert completed.implementation.reports[1].submitted_on == today  # no more final-report reminders
    with work(db) as uow:
        assert reminders.remind_deadlines(uow, today + timedelta(days=389)) == 0
        by_period = reports.applications_report(uow, "programme_period", None)
        assert reports.applications_report(uow, "year", None).rows[0].group == str(today.year)
    rows = {r.group: r for r in by_period.rows}
    assert rows["none"].applications == 1 and rows["none"].paid_eur == Decimal("40000")
    assert rows["2009–2014"].funded_projects == 3 and rows["2009–2014"].funded_grant_eur == Decimal("673584")
    with work(db) as uow:
        assert reports.applications_report(uow, "programme_period", "15").totals.funded_projects == 0


def test_after_the_contract_needs_a_contract_and_a_plan(db):
    app_id = new_application(db, new_call(db).id).id
    today = local_today()
    with work(db) as uow, pytest.raises(Conflict) as not_contracted:
        implementation.plan(uow, app_id, ImplementationIn(starts_on=today, ends_on=today + timedelta(days=30)))
    assert not_contracted.value.code == "not_contracted"
    contracted_id = contracted(db, "CONTRACTED-1")
    with work(db) as uow, pytest.raises(Conflict) as not_planned:
        implementation.submit_claim(uow, contracted_id, PaymentClaimIn(amount_eur="1", eligible_costs_eur="2"),
                                    KAUNAS.subject)
    assert not_planned.value.code == "not_planned"
    with work(db) as uow, pytest.raises(NotFound):
        implementation.plan(uow, uuid.uuid4(), ImplementationIn(starts_on=today, ends_on=today))


# ---------------------------------------------------------------- issue 19, item 2: two-stage calls

def two_stage_call(url, code="TWO-STAGE-1"):
    return new_call(url, code=code, first_stage_closes_on=(local_today() + timedelta(days=20)).isoformat(),
                    concept_note_documents=[{"code": "concept_note", "title": {"lt": "Projekto idėja",
                                                                                "en": "Concept note"}}])


def test_a_two_stage_application_goes_concept_note_then_full_application(db):
    today = local_today()
    call = two_stage_call(db)
    created = new_application(db, call.id)
    assert created.stage == "concept_note" and created.deadlines.next_official == today + timedelta(days=20)
    assert [(i.code, i.stage) for i in created.checklist] == [
        ("concept_note", "concept_note"), ("application_form", "full_application"),
        ("budget", "full_application"), ("partnership_letter", "full_application")]
    app_id = created.id
    # Stage 1 is reminded of its own deadline, not the full application's.
    with work(db) as uow:
        reminders.remind_deadlines(uow, today + timedelta(days=6))
        kinds = {(e.data["deadline_kind"], e.data["stage"]) for e in uow.emitted}
    assert kinds == {("first_stage", "concept_note"), ("internal", "concept_note")}  # not "official"
    with work(db) as uow:
        applications.update_checklist_item(uow, app_id, "concept_note", ChecklistChange(status="ready"), KAUNAS)
        for step in ("drafting", "internal_review"):
            transitions.move_application(uow, app_id, TransitionIn(to=step), KAUNAS)
        # The concept note needs only its own document and no partner yet.
        submitted = transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF)
    assert submitted.concept_note.submitted_on == today and submitted.status == "submitted"
    with work(db) as uow, pytest.raises(RuleViolation) as wrong:
        transitions.record_decision(uow, app_id, DecisionIn(outcome="awarded", decided_on=today,
                                                            awarded_grant_eur="1000"), STAFF.subject)
    assert wrong.value.field == "outcome"
    with work(db) as uow:
        invited = transitions.record_decision(uow, app_id, DecisionIn(
            outcome="invited", decided_on=today, reasons={"lt": "Gera idėja", "en": "A good idea"}), STAFF.subject)
        decided, = [e for e in uow.emitted if e.type == "grants.application_decided"]
    assert (decided.data["outcome"], decided.data["stage"]) == ("invited", "concept_note")
    assert (invited.status, invited.stage, invited.concept_note.outcome) == ("drafting", "full_application",
                                                                             "invited")
    assert invited.deadlines.internal == today + timedelta(days=53)  # a week before the call closes
    assert invited.history[-1].note.startswith("invited to submit the full application")
    with work(db) as uow:
        reminders.remind_deadlines(uow, today + timedelta(days=46))  # 14 days before closing
        kinds = {(e.data["deadline_kind"], e.data["stage"]) for e in uow.emitted}
    assert ("official", "full_application") in kinds and not any(k == "first_stage" for k, _ in kinds)
    with work(db) as uow:
        transitions.move_application(uow, app_id, TransitionIn(to="internal_review"), KAUNAS)
    with work(db) as uow, pytest.raises(RuleViolation) as documents:
        transitions.move_application(uow, app_id, TransitionIn(to="submitted"), STAFF)
    assert documents.value.field == "checklist" and "concept_note" not in documents.value.detail


def test_a_concept_note_rejected_ends_the_application(db):
    today = local_today()
    app_id = new_application(db, two_stage_call(db, "TWO-STAGE-2").id).id
    with work(db) as uow:
        applications.update_checklist_item(uow, app_id, "concept_note", ChecklistChange(status="ready"), KAUNAS)
        for step in ("drafting", "internal_review", "submitted"):
            transitions.move_application(uow, app_id, TransitionIn(to=step), STAFF)
        rejected = transitions.record_decision(uow, app_id, DecisionIn(outcome="rejected", decided_on=today),
                                               STAFF.subject)
    assert (rejected.status, rejected.stage, rejected.concept_note.outcome) == ("rejected", "concept_note",
                                                                                "rejected")
    assert rejected.allowed_transitions == [] and rejected.decision is None
    with work(db) as uow, pytest.raises(Conflict):
        transitions.move_application(uow, app_id, TransitionIn(to="drafting"), STAFF)
    with work(db) as uow:
        assert reminders.remind_deadlines(uow, today + timedelta(days=19)) == 0  # rejected: no reminders
