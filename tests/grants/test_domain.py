"""The grants rules on their own: call terms, budget, call fit, workflow, reminders, reports."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.grants.domain import fit, reminders, reports
from services.grants.domain.budget import Budget, GrantLimits, check_budget, complete_budget, max_grant_for
from services.grants.domain.rules import (
    CallTerms,
    check_call_status_change,
    check_call_terms,
    call_funding_source,
    check_internal_deadline,
    default_internal_deadline,
    eligible_municipalities,
    next_official_deadline,
)
from services.grants.domain.text import days, eur
from services.grants.domain.workflow import (
    Decision,
    Status,
    SubmissionReadiness,
    check_decision,
    check_final_report,
    check_checklist_change,
    check_transition,
    cost_change,
)
from shared.errors import Conflict, Forbidden, RuleViolation

TODAY = date(2026, 11, 24)
D = Decimal
NORWAY_LIMITS = GrantLimits(D("20000"), D("200000"), D("0.85"))


# ---------------------------------------------------------------- call terms

def terms(**changes):
    values = dict(opens_on=TODAY, closes_on=TODAY + timedelta(days=60), min_grant_eur=D("1000"),
                  max_grant_eur=D("5000"), max_funding_rate=D("0.85"), foreign_partner_required=False,
                  partner_countries=[], status="open", first_stage_closes_on=None, required_document_codes=())
    values.update(changes)
    return CallTerms(**values)


@pytest.mark.parametrize("changes, field", [
    ({"closes_on": TODAY}, "closes_on"),
    ({"first_stage_closes_on": TODAY + timedelta(days=60)}, "first_stage_closes_on"),
    ({"first_stage_closes_on": TODAY}, "first_stage_closes_on"),
    ({"min_grant_eur": D("6000")}, "min_grant_eur"),
    ({"max_funding_rate": D("1.2")}, "max_funding_rate"),
    ({"max_funding_rate": D("0")}, "max_funding_rate"),
    ({"foreign_partner_required": True}, "partner_countries"),
    ({"required_document_codes": ("budget", "cv", "budget")}, "required_documents"),
])
def test_impossible_call_terms_name_the_field(changes, field):
    with pytest.raises(RuleViolation) as caught:
        check_call_terms(terms(**changes))
    assert caught.value.field == field


def test_valid_two_stage_terms_pass():
    check_call_terms(terms(first_stage_closes_on=TODAY + timedelta(days=20), required_document_codes=("a", "b")))


def test_call_status_changes():
    check_call_status_change("forecast", "open")
    check_call_status_change("closed", "open")
    check_call_status_change("open", "open")
    with pytest.raises(Conflict):
        check_call_status_change("open", "forecast")


def test_eligible_municipalities_follow_applicant_types_and_regions():
    alytus_county = eligible_municipalities(["municipality"], ["AL"])
    assert alytus_county == ["02", "03", "07", "24", "55"]
    assert len(eligible_municipalities(["municipal_institution"], [])) == 60
    assert eligible_municipalities(["ngo", "university"], []) == []


def test_next_official_deadline_of_a_two_stage_call():
    first, final = TODAY + timedelta(days=10), TODAY + timedelta(days=40)
    assert next_official_deadline(first, final, TODAY) == first
    assert next_official_deadline(first, final, first + timedelta(days=1)) == final
    assert next_official_deadline(None, final, TODAY) == final


def test_internal_deadline_comes_before_the_official_one():
    official = TODAY + timedelta(days=30)
    assert default_internal_deadline(official, TODAY) == official - timedelta(days=7)
    assert default_internal_deadline(TODAY + timedelta(days=3), TODAY) == TODAY
    check_internal_deadline(official - timedelta(days=1), official, TODAY)
    for bad in (official, official + timedelta(days=1), TODAY - timedelta(days=1)):
        with pytest.raises(RuleViolation) as caught:
            check_internal_deadline(bad, official, TODAY)
        assert caught.value.field == "internal_deadline"
    check_internal_deadline(TODAY, TODAY, TODAY)  # deadline day: nothing earlier is possible


# ---------------------------------------------------------------- budget

def test_the_grant_is_capped_by_rate_then_by_amount():
    assert max_grant_for(D("100000"), NORWAY_LIMITS) == D("85000.00")
    assert max_grant_for(D("1000000"), NORWAY_LIMITS) == D("200000")
    assert max_grant_for(D("333.33"), GrantLimits(None, None, D("0.85"))) == D("283.33")  # rounded down
    assert complete_budget(D("100000"), D("85000"), None).own_contribution_eur == D("15000")


@pytest.mark.parametrize("budget, field, words", [
    (Budget(D("100000"), D("90000"), D("10000")), "budget.requested_grant_eur", "at most €85,000.00"),
    (Budget(D("100000"), D("85000"), D("10000")), "budget.own_contribution_eur", "€15,000.00"),
    (Budget(D("10000"), D("8000"), D("2000")), "budget.requested_grant_eur", "minimum grant is €20,000.00"),
    (Budget(D("400000"), D("250000"), D("150000")), "budget.requested_grant_eur", "maximum grant is €200,000.00"),
    (Budget(D("100000"), D("120000"), D("-20000")), "budget.requested_grant_eur", "exceeds the total"),
])
def test_a_budget_off_the_call_rules_says_what_would_pass(budget, field, words):
    with pytest.raises(RuleViolation) as caught:
        check_budget(budget, NORWAY_LIMITS)
    assert caught.value.field == field
    assert words in caught.value.detail


def test_a_budget_within_the_rules_passes():
    check_budget(Budget(D("100000"), D("85000"), D("15000")), NORWAY_LIMITS)
    check_budget(Budget(D("100000"), D("50000"), D("50000")), NORWAY_LIMITS)
    check_budget(Budget(D("100"), D("100"), D("0")), GrantLimits(None, None, None))


# ---------------------------------------------------------------- call fit

def call(**changes) -> fit.CallFacts:
    values = dict(code="C1", status="open", themes=("anti_corruption", "public_service_quality"),
                  eligible_applicant_types=("municipality",), eligible_regions=("KU",), opens_on=TODAY,
                  first_stage_closes_on=None, closes_on=TODAY + timedelta(days=60), limits=NORWAY_LIMITS,
                  foreign_partner_required=True, partner_countries=("NO", "IS", "LI"))
    values.update(changes)
    return fit.CallFacts(**values)


KAUNAS_IDEA = fit.ProjectIdea(municipality_code="15", applicant_type="municipality", themes=("anti_corruption",),
                              total_cost_eur=D("100000"))


def verdicts(assessment) -> dict:
    return {r.rule: r.verdict.value for r in assessment.rules}


def test_a_fitting_call_explains_every_rule_in_both_languages():
    assessed = fit.assess(call(), KAUNAS_IDEA, TODAY)
    assert verdicts(assessed) == {"applicant_type": "pass", "region": "pass", "themes": "pass",
                                  "amount_range": "pass", "funding_rate": "pass", "partner": "warn",
                                  "deadline": "pass"}
    assert assessed.fits and assessed.warnings == 1
    assert assessed.grant_eur == D("85000.00") and assessed.own_contribution_eur == D("15000.00")
    rate = next(r for r in assessed.rules if r.rule == "funding_rate")
    assert "€15,000.00" in rate.explanation.en and "15 000,00 €" in rate.explanation.lt
    partner = next(r for r in assessed.rules if r.rule == "partner").explanation
    assert "NO, IS, LI" in partner.en and "partneris" in partner.lt


@pytest.mark.parametrize("call_changes, idea_changes, failing", [
    ({"eligible_applicant_types": ("ngo",)}, {}, "applicant_type"),
    ({"eligible_regions": ("AL",)}, {}, "region"),
    ({"themes": ("culture_tourism",)}, {}, "themes"),
    ({}, {"total_cost_eur": D("10000")}, "amount_range"),  # even 85 % is below the minimum
    ({}, {"requested_grant_eur": D("250000"), "total_cost_eur": D("400000")}, "amount_range"),
    ({}, {"requested_grant_eur": D("95000")}, "funding_rate"),
    ({}, {"has_foreign_partner": True, "partner_country": "SE"}, "partner"),
    ({"closes_on": TODAY - timedelta(days=1), "opens_on": TODAY - timedelta(days=30)}, {}, "deadline"),
])
def test_each_rule_can_fail_on_its_own(call_changes, idea_changes, failing):
    idea = fit.ProjectIdea(**{**KAUNAS_IDEA.__dict__, **idea_changes})
    assessed = fit.assess(call(**call_changes), idea, TODAY)
    assert [rule for rule, verdict in verdicts(assessed).items() if verdict == "fail"] == [failing]
    assert not assessed.fits


def test_little_time_left_and_a_forecast_call_are_warnings():
    tight = fit.assess(call(closes_on=TODAY + timedelta(days=5)), KAUNAS_IDEA, TODAY)
    assert verdicts(tight)["deadline"] == "warn" and "5 days" in tight.rules[-1].explanation.en
    assert "5 dienos" in tight.rules[-1].explanation.lt
    forecast = fit.assess(call(status="forecast", opens_on=TODAY + timedelta(days=20)), KAUNAS_IDEA, TODAY)
    assert verdicts(forecast)["deadline"] == "warn" and "not open yet" in forecast.rules[-1].explanation.en
    two_stage = fit.assess(call(first_stage_closes_on=TODAY + timedelta(days=20)), KAUNAS_IDEA, TODAY)
    assert two_stage.days_left == 20 and "first-stage" in two_stage.rules[-1].explanation.en


def test_ranking_puts_fitting_calls_first_then_fewer_warnings_and_more_shared_themes():
    with_partner = fit.ProjectIdea(**{**KAUNAS_IDEA.__dict__, "themes": ("anti_corruption", "public_service_quality"),
                                      "has_foreign_partner": True, "partner_country": "NO"})
    calls = [
        call(code="WRONG-REGION", eligible_regions=("VL",)),
        call(code="ONE-THEME", themes=("anti_corruption",)),
        call(code="TWO-THEMES"),
        call(code="TIGHT", closes_on=TODAY + timedelta(days=3)),
        call(code="CLOSED", status="closed"),
    ]
    ranked = [a.call.code for a in fit.rank(calls, with_partner, TODAY)]
    assert ranked == ["TWO-THEMES", "ONE-THEME", "TIGHT", "WRONG-REGION"]


# ---------------------------------------------------------------- workflow

def ready(**changes):
    values = dict(missing_documents=(), partner_required=True, partner_established=True,
                  official_deadline=TODAY + timedelta(days=5), today=TODAY)
    values.update(changes)
    return SubmissionReadiness(**values)


def test_the_normal_path_from_idea_to_contract():
    path = [Status.IDEA, Status.DRAFTING, Status.INTERNAL_REVIEW, Status.DRAFTING, Status.INTERNAL_REVIEW,
            Status.SUBMITTED]
    for current, target in zip(path, path[1:]):
        check_transition(current, target, readiness=ready())
    check_transition(Status.SUBMITTED, Status.AWARDED, via="decision")
    check_transition(Status.AWARDED, Status.CONTRACTED)
    check_transition(Status.CONTRACTED, Status.COMPLETED, via="final_report")


@pytest.mark.parametrize("current, target", [
    (Status.IDEA, Status.SUBMITTED), (Status.DRAFTING, Status.AWARDED), (Status.REJECTED, Status.DRAFTING),
    (Status.WITHDRAWN, Status.IDEA), (Status.COMPLETED, Status.WITHDRAWN), (Status.CONTRACTED, Status.WITHDRAWN),
    (Status.IDEA, Status.IDEA),
])
def test_invalid_transitions_are_conflicts(current, target):
    with pytest.raises(Conflict) as caught:
        check_transition(current, target, readiness=ready())
    assert caught.value.field == "to"


def test_decision_and_completion_have_their_own_entrypoints():
    with pytest.raises(RuleViolation, match="decision"):
        check_transition(Status.SUBMITTED, Status.AWARDED)
    with pytest.raises(RuleViolation, match="final report"):
        check_transition(Status.CONTRACTED, Status.COMPLETED)


@pytest.mark.parametrize("changes, field", [
    ({"missing_documents": ("budget",)}, "checklist"),
    ({"partner_established": False}, "partner"),
    ({"official_deadline": TODAY - timedelta(days=1)}, "to"),
])
def test_submission_needs_documents_partner_and_time(changes, field):
    with pytest.raises(RuleViolation) as caught:
        check_transition(Status.INTERNAL_REVIEW, Status.SUBMITTED, readiness=ready(**changes))
    assert caught.value.field == field
    check_transition(Status.INTERNAL_REVIEW, Status.SUBMITTED,
                     readiness=ready(partner_required=False, partner_established=False))


def test_decision_rules():
    award = Decision(Status.AWARDED, TODAY, D("80000"))
    check_decision(award, requested_grant_eur=D("85000"), submitted_on=TODAY - timedelta(days=30), today=TODAY)
    for decision, field in [
        (Decision(Status.AWARDED, TODAY, None), "awarded_grant_eur"),
        (Decision(Status.AWARDED, TODAY, D("90000")), "awarded_grant_eur"),
        (Decision(Status.REJECTED, TODAY, D("10")), "awarded_grant_eur"),
        (Decision(Status.REJECTED, TODAY + timedelta(days=1), None), "decided_on"),
        (Decision(Status.REJECTED, TODAY - timedelta(days=31), None), "decided_on"),
    ]:
        with pytest.raises(RuleViolation) as caught:
            check_decision(decision, requested_grant_eur=D("85000"), submitted_on=TODAY - timedelta(days=30),
                           today=TODAY)
        assert caught.value.field == field


def test_final_report_rules_and_cost_change_as_the_seeds_report_it():
    check_final_report(final_cost_eur=D("253718"), final_grant_eur=D("183304"), awarded_grant_eur=D("200000"),
                       max_funding_rate=None, completed_on=TODAY, decided_on=TODAY - timedelta(days=400), today=TODAY)
    with pytest.raises(RuleViolation) as caught:
        check_final_report(final_cost_eur=D("100"), final_grant_eur=D("200"), awarded_grant_eur=D("300"),
                           max_funding_rate=None, completed_on=TODAY, decided_on=None, today=TODAY)
    assert caught.value.field == "final_grant_eur"
    with pytest.raises(RuleViolation) as caught:
        check_final_report(final_cost_eur=D("1000"), final_grant_eur=D("200"), awarded_grant_eur=D("100"),
                           max_funding_rate=None, completed_on=TODAY, decided_on=None, today=TODAY)
    assert caught.value.field == "final_grant_eur"
    # LT10-0019: initial €304,833, final €253,718
    assert cost_change(D("304833"), D("253718")) == (D("-51115"), D("-16.8"))
    assert cost_change(D("1"), None) == (None, None)


# ---------------------------------------------------------------- reminders

@pytest.mark.parametrize("days_left, sent, due", [
    (30, set(), None), (14, set(), 14), (10, set(), 14), (10, {14}, None), (7, {14}, 7), (5, set(), 7),
    (5, {7}, None), (1, {14, 7}, 1), (0, {14, 7}, 1), (1, {1}, None), (-1, set(), None), (3, {1}, None),
])
def test_only_the_most_urgent_reminder_not_yet_sent_is_due(days_left, sent, due):
    assert reminders.due_threshold(TODAY + timedelta(days=days_left), TODAY, sent) == due


def test_the_deadlines_reminded_are_internal_first_stage_and_official_still_ahead():
    found = reminders.deadlines(TODAY + timedelta(days=3), TODAY - timedelta(days=1), TODAY + timedelta(days=9),
                                TODAY)
    assert [(d.kind, (d.on - TODAY).days) for d in found] == [("internal", 3), ("official", 9)]


# ---------------------------------------------------------------- reports

def facts(status, funder="Norway Grants", themes=("anti_corruption",), requested="100", awarded=None, final=None):
    return reports.ApplicationFacts(status=status, funder=funder, themes=themes, municipality_code="15",
                                    call_code="C", requested_grant_eur=D(requested),
                                    awarded_grant_eur=D(awarded) if awarded else None,
                                    final_cost_eur=D(final) if final else None,
                                    final_grant_eur=D(awarded) if final else None)


def test_success_rate_is_awarded_over_decided_per_funder_and_theme():
    data = [facts("awarded", awarded="90"), facts("completed", awarded="80", final="120"), facts("rejected"),
            facts("drafting"), facts("rejected", funder="ERDF", themes=("anti_corruption", "education"))]
    by_funder = {r.group: r for r in reports.report(data, "funder")}
    norway = by_funder["Norway Grants"]
    assert (norway.applications, norway.decided, norway.successful) == (4, 3, 2)
    assert norway.success_rate == D("0.667")
    assert norway.requested_eur == D("400") and norway.awarded_eur == D("170") and norway.final_cost_eur == D("120")
    assert by_funder["ERDF"].success_rate == D("0.000")
    by_theme = {r.group: r for r in reports.report(data, "theme")}
    assert by_theme["anti_corruption"].applications == 5 and by_theme["education"].applications == 1
    assert reports.report([facts("idea")], "status")[0].success_rate is None


def test_money_and_plural_formatting():
    assert eur(D("1234567.5")).en == "€1,234,567.50" and eur(D("1234567.5")).lt == "1 234 567,50 €"
    assert [days(n).lt for n in (1, 2, 10, 11, 21, 22)] == [
        "1 diena", "2 dienos", "10 dienų", "11 dienų", "21 diena", "22 dienos"]


# ---------------------------------------------------------------- rules the service class used to hold inline

def test_a_funded_projects_grant_cannot_exceed_its_final_cost():
    from services.grants.domain.rules import check_funded_project

    check_funded_project(D("100"), D("100"))
    check_funded_project(None, D("500"))  # not finished yet: nothing to compare
    with pytest.raises(RuleViolation) as refused:
        check_funded_project(D("100"), D("100.01"))
    assert refused.value.field == "grant_eur"


def test_a_call_change_is_checked_against_its_terms_and_republished_only_when_announced_and_changed():
    from services.grants.domain.rules import plan_call_change

    current = terms(status="forecast")
    opened = plan_call_change(current, {"status": "open"}, TODAY)
    assert opened.changes == {"status": "open"} and opened.republish
    assert not plan_call_change(current, {"status": "forecast"}, TODAY).republish  # nothing changed
    assert not plan_call_change(current, {"status": "closed"}, TODAY).republish  # closed calls are not announced
    unchanged = plan_call_change(current, {"status": None, "closes_on": current.closes_on}, TODAY)
    assert unchanged.changes == {"closes_on": current.closes_on} and not unchanged.republish
    with pytest.raises(RuleViolation) as no_date:
        plan_call_change(current, {"closes_on": None}, TODAY)
    assert no_date.value.field == "closes_on"
    with pytest.raises(Conflict):
        plan_call_change(terms(status="open"), {"status": "forecast"}, TODAY)
    with pytest.raises(RuleViolation) as before_opening:
        plan_call_change(current, {"closes_on": TODAY - timedelta(days=1)}, TODAY)
    assert before_opening.value.field == "closes_on"  # the terms: it must close after it opens
    past = terms(status="closed", opens_on=TODAY - timedelta(days=90), closes_on=TODAY - timedelta(days=30))
    with pytest.raises(RuleViolation, match="cannot have closed already"):
        plan_call_change(past, {"status": "open"}, TODAY)


def test_an_application_must_fit_its_call_in_the_documented_order():
    from services.grants.domain.eligibility import (
        check_call_admits,
        check_consultant_assignment,
        check_deadline_ahead,
        check_partner_country,
        initial_partner_status,
    )
    from shared.errors import Forbidden

    norway = call(partner_countries=("NO",))
    check_call_admits(norway, applicant_type="municipality", municipality_code="15", themes=["anti_corruption"])
    with pytest.raises(Conflict) as closed:
        # closed comes first, whatever else is wrong
        check_call_admits(call(status="closed"), applicant_type="ngo", municipality_code="57", themes=["x"])
    assert closed.value.code == "call_closed"
    for kwargs, field in ((dict(applicant_type="ngo"), "applicant_type"), (dict(municipality_code="57"),
                          "municipality_code"), (dict(themes=["tourism"]), "themes")):
        arguments = dict(applicant_type="municipality", municipality_code="15", themes=["anti_corruption"]) | kwargs
        with pytest.raises(RuleViolation) as refused:
            check_call_admits(norway, **arguments)
        assert refused.value.field == field
    assert check_deadline_ahead(norway, TODAY) == norway.closes_on
    with pytest.raises(Conflict):
        check_deadline_ahead(call(closes_on=TODAY - timedelta(days=1)), TODAY)
    check_partner_country(norway, "NO")
    check_partner_country(norway, None)
    with pytest.raises(RuleViolation) as wrong_country:
        check_partner_country(norway, "DE")
    assert wrong_country.value.field == "partner.country"
    check_partner_country(call(foreign_partner_required=False), "DE")
    assert [initial_partner_status(*flags) for flags in ((False, False), (True, True), (True, False))] == [
        "not_required", "established", "requested"]
    check_consultant_assignment(True, is_staff=True)
    check_consultant_assignment(False, is_staff=False)
    with pytest.raises(Forbidden):
        check_consultant_assignment(True, is_staff=False)


def test_submission_and_contract_dates_and_the_documents_still_missing():
    from services.grants.domain.workflow import awarded_amount, check_consultation, effective_date, missing_documents

    assert missing_documents([("form", "ready"), ("budget", "in_progress"), ("letter", "not_applicable"),
                              ("cv", "missing")]) == ("budget", "cv")
    yesterday = TODAY - timedelta(days=1)
    assert effective_date(Status.SUBMITTED, None, today=TODAY, decided_on=None) == TODAY
    assert effective_date(Status.SUBMITTED, yesterday, today=TODAY, decided_on=None) == yesterday
    for target, effective_on, decided_on, message in (
            (Status.DRAFTING, yesterday, None, "submitted and contracted only"),
            (Status.SUBMITTED, TODAY + timedelta(days=1), None, "in the future"),
            (Status.CONTRACTED, yesterday, TODAY, "cannot predate the decision")):
        with pytest.raises(RuleViolation, match=message):
            effective_date(target, effective_on, today=TODAY, decided_on=decided_on)
    assert awarded_amount(Decision(Status.AWARDED, TODAY, D("80000"))) == D("80000")
    assert awarded_amount(Decision(Status.REJECTED, TODAY, D("0"))) is None
    check_consultation(TODAY, TODAY, TODAY)
    with pytest.raises(RuleViolation) as early:
        check_consultation(TODAY + timedelta(days=1), None, TODAY)
    assert early.value.field == "held_on"
    with pytest.raises(RuleViolation) as backwards:
        check_consultation(TODAY, yesterday, TODAY)
    assert backwards.value.field == "follow_up_on"


def test_partner_candidates_follow_proposals_and_answers_and_an_agreed_partnership_stays():
    from services.grants.domain.partners import (
        answered_status,
        candidate_rank,
        keeps_established,
        partner_status_after_proposal,
    )

    assert candidate_rank(None, 3) == 3 and candidate_rank(1, 3) == 1
    assert partner_status_after_proposal("requested", True) == "proposed"
    assert partner_status_after_proposal("requested", False) == "requested"
    assert partner_status_after_proposal("established", True) == "established"
    assert answered_status("declined", both_accepted=False, side="candidate") == "declined"
    assert answered_status("accepted", both_accepted=False, side="candidate") == "candidate_accepted"
    assert answered_status("accepted", both_accepted=True, side="requester") == "accepted"
    assert keeps_established("established", "declined")
    assert not keeps_established("established", "established")
    assert not keeps_established("introduced", "declined")


def test_erasure_finds_every_spelling_and_reports_every_count():
    import uuid

    from services.grants.domain import erasure

    email = erasure.normalised_email("  Ruta@Kaunas.LT ")
    assert email == "ruta@kaunas.lt"
    assert erasure.is_same_email("RUTA@kaunas.lt", email) and not erasure.is_same_email(None, email)
    assert erasure.spellings({"Rūta Petraitienė"}) == {"Rūta Petraitienė", "rūta petraitienė"}
    request = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert erasure.pseudonym(request) == "erased-person-12345678"
    report = erasure.report({"status_changes": 2})
    assert list(report) == sorted(erasure.ERASURE_COUNTS)
    assert report["status_changes"] == 2 and sum(report.values()) == 2


def test_report_totals_count_each_application_once():
    rows = [facts("awarded", themes=("a", "b"), requested="100", awarded="80"), facts("rejected", requested="50")]
    totals = reports.totals(rows)
    assert totals.group == "total" and totals.applications == 2 and totals.requested_eur == D("150")
    assert totals.success_rate == D("0.500")
    assert sum(r.applications for r in reports.report(rows, "theme")) == 3  # by theme it counts twice


# ---------------------------------------------------------------- issue 19, item 1: rules that must hold

LT10 = ("LT10", "Norway Grants", "eea_norway_grants")


def test_a_calls_funder_and_source_kind_come_from_its_programme():
    assert call_funding_source(LT10, None, None) == ("Norway Grants", "eea_norway_grants")
    assert call_funding_source(LT10, "Norway Grants", "eea_norway_grants") == ("Norway Grants", "eea_norway_grants")
    with pytest.raises(RuleViolation) as caught:
        call_funding_source(LT10, "World Bank", None)
    assert caught.value.field == "funder" and "Norway Grants" in caught.value.detail
    with pytest.raises(RuleViolation) as caught:
        call_funding_source(LT10, None, "world_bank")
    assert caught.value.field == "source_kind"
    # Outside a programme the call names its funder.
    assert call_funding_source(None, "Lietuvos Respublikos vidaus reikalų ministerija", "national") == (
        "Lietuvos Respublikos vidaus reikalų ministerija", "national")
    assert call_funding_source(None, "Some foundation", None) == ("Some foundation", "other")
    with pytest.raises(RuleViolation) as caught:
        call_funding_source(None, None, "national")
    assert caught.value.field == "funder"


def test_only_the_centres_consultant_waives_a_required_document_and_says_why():
    check_checklist_change("ready", None, by_staff=False)
    check_checklist_change("not_applicable", "the call's annex 3 does not apply to municipalities", by_staff=True)
    with pytest.raises(Forbidden) as caught:
        check_checklist_change("not_applicable", "we think so", by_staff=False)
    assert caught.value.field == "status"
    with pytest.raises(RuleViolation) as caught:
        check_checklist_change("not_applicable", "  ", by_staff=True)
    assert caught.value.field == "note"


def test_a_municipality_cannot_pass_its_own_internal_review():
    check_transition(Status.DRAFTING, Status.INTERNAL_REVIEW, by_staff=False)
    check_transition(Status.INTERNAL_REVIEW, Status.DRAFTING, by_staff=False)
    with pytest.raises(Forbidden) as caught:
        check_transition(Status.INTERNAL_REVIEW, Status.SUBMITTED, readiness=ready(), by_staff=False)
    assert caught.value.field == "to"
    check_transition(Status.INTERNAL_REVIEW, Status.SUBMITTED, readiness=ready(), by_staff=True)


def test_the_final_report_applies_the_calls_rate_to_the_final_cost():
    half = dict(awarded_grant_eur=D("95000"), max_funding_rate=D("0.5"), completed_on=TODAY, decided_on=None,
                today=TODAY)
    with pytest.raises(RuleViolation) as caught:
        check_final_report(final_cost_eur=D("100000"), final_grant_eur=D("95000"), **half)
    assert caught.value.field == "final_grant_eur"
    assert "at most €50,000.00" in caught.value.detail and "must shrink by €45,000.00" in caught.value.detail
    settled = check_final_report(final_cost_eur=D("100000"), final_grant_eur=None, **half)
    assert (settled.ceiling_eur, settled.final_grant_eur, settled.reduction_eur) == (
        D("50000.00"), D("50000.00"), D("45000.00"))
    # The README's project: €80,000 awarded at 85 %, final cost €92,000: €78,200, €1,800 less.
    readme = check_final_report(final_cost_eur=D("92000"), final_grant_eur=D("78200"), awarded_grant_eur=D("80000"),
                                max_funding_rate=D("0.85"), completed_on=TODAY, decided_on=None, today=TODAY)
    assert (readme.final_grant_eur, readme.reduction_eur) == (D("78200"), D("1800"))
    # Cheaper than planned but the rate of it is still above the award: the award is the ceiling.
    capped = check_final_report(final_cost_eur=D("99000"), final_grant_eur=None, awarded_grant_eur=D("80000"),
                                max_funding_rate=D("0.85"), completed_on=TODAY, decided_on=None, today=TODAY)
    assert (capped.final_grant_eur, capped.reduction_eur) == (D("80000"), D("0"))


def test_calls_that_do_not_fit_are_ranked_by_how_many_rules_they_fail():
    # The calls failing two and three rules share the idea's theme, the one failing one does not:
    # ranked by shared themes (as before the fix) the one failing more rules came first.
    calls = [
        call(code="A-TWO-FAILURES", eligible_regions=("VL",), eligible_applicant_types=("ngo",)),
        call(code="B-ONE-FAILURE", themes=("culture_tourism",)),
        call(code="C-THREE-FAILURES", eligible_regions=("VL",), eligible_applicant_types=("ngo",),
             closes_on=TODAY - timedelta(days=1), opens_on=TODAY - timedelta(days=30)),
        call(code="D-FITS"),
    ]
    ranked = fit.rank(calls, KAUNAS_IDEA, TODAY)
    assert [(a.call.code, a.failures) for a in ranked] == [
        ("D-FITS", 0), ("B-ONE-FAILURE", 1), ("A-TWO-FAILURES", 2), ("C-THREE-FAILURES", 3)]


# ---------------------------------------------------------------- issue 19, item 3: after the contract

from services.grants.domain import implementation as impl  # noqa: E402


def test_an_implementation_plan_orders_its_reports_within_the_period():
    start, end = TODAY, TODAY + timedelta(days=365)
    planned = impl.check_plan(start, end, [TODAY + timedelta(days=200), TODAY + timedelta(days=100)],
                              end + timedelta(days=30), contracted_on=TODAY)
    assert [(p.kind, (p.due_on - TODAY).days) for p in planned] == [("interim", 100), ("interim", 200),
                                                                    ("final", 395)]
    for args, field in [((end, start, [], end), "ends_on"),
                        ((start, end, [end + timedelta(days=1)], end), "interim_reports_due.0"),
                        ((start, end, [start], end), "interim_reports_due.0"),
                        ((start, end, [end, end], end), "interim_reports_due"),
                        ((start, end, [], end - timedelta(days=1)), "final_report_due")]:
        with pytest.raises(RuleViolation) as caught:
            impl.check_plan(*args, contracted_on=None)
        assert caught.value.field == field, args


def test_a_payment_claim_asks_the_rate_of_its_costs_and_stays_within_the_grant():
    claim = dict(max_funding_rate=D("0.85"), grant_eur=D("80000"), submitted_on=TODAY, starts_on=TODAY, today=TODAY)
    impl.check_new_claim(amount_eur=D("42500"), eligible_costs_eur=D("50000"), earlier=[], **claim)
    with pytest.raises(RuleViolation) as over_rate:
        impl.check_new_claim(amount_eur=D("42500.01"), eligible_costs_eur=D("50000"), earlier=[], **claim)
    assert over_rate.value.field == "amount_eur" and "at most €42,500.00" in over_rate.value.detail
    # An approval for less frees the rest of the grant: 40,000 approved of 42,500 claimed, 40,000 left.
    earlier = [impl.ClaimFacts("approved", D("42500"), D("40000"))]
    impl.check_new_claim(amount_eur=D("40000"), eligible_costs_eur=D("50000"), earlier=earlier, **claim)
    with pytest.raises(RuleViolation) as over_grant:
        impl.check_new_claim(amount_eur=D("40000.01"), eligible_costs_eur=D("50000"), earlier=earlier, **claim)
    assert "at most €40,000.00" in over_grant.value.detail


def test_a_claim_goes_submitted_approved_paid_in_order():
    impl.check_claim_change("submitted", "approved", amount_eur=D("100"), approved_amount_eur=D("90"), on=TODAY,
                            previous_on=TODAY, today=TODAY)
    impl.check_claim_change("approved", "paid", amount_eur=D("100"), approved_amount_eur=None, on=TODAY,
                            previous_on=TODAY, today=TODAY)
    with pytest.raises(Conflict):
        impl.check_claim_change("submitted", "paid", amount_eur=D("100"), approved_amount_eur=None, on=TODAY,
                                previous_on=TODAY, today=TODAY)
    with pytest.raises(Conflict):
        impl.check_claim_change("paid", "approved", amount_eur=D("100"), approved_amount_eur=None, on=TODAY,
                                previous_on=TODAY, today=TODAY)
    for changes, field in [({"approved_amount_eur": D("101")}, "approved_amount_eur"),
                           ({"on": TODAY + timedelta(days=1)}, "on"),
                           ({"previous_on": TODAY + timedelta(days=1)}, "on")]:
        values = dict(amount_eur=D("100"), approved_amount_eur=None, on=TODAY, previous_on=TODAY, today=TODAY)
        values.update(changes)
        with pytest.raises(RuleViolation) as caught:
            impl.check_claim_change("submitted", "approved", **values)
        assert caught.value.field == field


def test_an_amendment_changes_the_budget_or_the_end_within_the_rules():
    current = impl.ContractTerms(D("100000"), D("80000"), TODAY + timedelta(days=300))
    amend = dict(starts_on=TODAY, limits=NORWAY_LIMITS, claimed_eur=D("50000"), reported_final=False)
    later = impl.check_amendment(current, total_eligible_cost_eur=None, grant_eur=None,
                                 ends_on=TODAY + timedelta(days=360), **amend)
    assert later.ends_on == TODAY + timedelta(days=360) and later.grant_eur == D("80000")
    bigger = impl.check_amendment(current, total_eligible_cost_eur=D("120000"), grant_eur=D("102000"), ends_on=None,
                                  **amend)
    assert (bigger.total_eligible_cost_eur, bigger.grant_eur) == (D("120000"), D("102000"))
    for changes, field in [({}, "body"), ({"grant_eur": D("85000.01")}, "grant_eur"),
                           ({"grant_eur": D("49999")}, "grant_eur"),
                           ({"ends_on": TODAY - timedelta(days=1)}, "ends_on")]:
        values = dict(total_eligible_cost_eur=None, grant_eur=None, ends_on=None)
        values.update(changes)
        with pytest.raises(RuleViolation) as caught:
            impl.check_amendment(current, **values, **amend)
        assert caught.value.field == field, changes
    with pytest.raises(Conflict):
        impl.check_amendment(current, total_eligible_cost_eur=None, grant_eur=None,
                             ends_on=TODAY + timedelta(days=400), **dict(amend, reported_final=True))
    assert impl.shifted(TODAY + timedelta(days=330), TODAY + timedelta(days=300),
                        TODAY + timedelta(days=360)) == TODAY + timedelta(days=390)


def test_reports_by_year_and_programme_period_count_the_seeded_projects():
    apps = [reports.ApplicationFacts("completed", "Norway Grants", ("anti_corruption",), "15", "C1", D("85000"),
                                     D("80000"), D("92000"), D("78200"), year="2026", programme_period="2009–2014",
                                     paid_eur=D("78200")),
            reports.ApplicationFacts("idea", "ESF+", ("education",), "57", "C2", D("10000"), None, None, None,
                                     year="2027")]
    seeds = [reports.FundedFacts("Norway Grants", ("anti_corruption", "education"), "2009–2014", D("304833"),
                                 D("253718"), D("183304")),
             reports.FundedFacts("Norway Grants", ("education",), "2009–2014", D("147365"), D("144836"), D("98365"))]
    by_period = {r.group: r for r in reports.report(apps, "programme_period", seeds)}
    assert (by_period["2009–2014"].applications, by_period["2009–2014"].funded_projects) == (1, 2)
    assert by_period["2009–2014"].funded_grant_eur == D("281669") and by_period["none"].applications == 1
    assert by_period["2009–2014"].paid_eur == D("78200")
    assert [r.group for r in reports.report(apps, "year", seeds)] == ["2026", "2027"]  # seeds have no year
    by_theme = {r.group: r.funded_projects for r in reports.report(apps, "theme", seeds)}
    assert by_theme == {"anti_corruption": 1, "education": 2}
    total = reports.totals(apps, seeds)
    assert (total.applications, total.funded_projects, total.funded_final_cost_eur) == (2, 2, D("398554"))


# ---------------------------------------------------------------- issue 19, item 2: two-stage calls

from services.grants.domain import stages  # noqa: E402


def test_a_two_stage_call_has_a_checklist_and_a_deadline_per_stage():
    first, final = TODAY + timedelta(days=20), TODAY + timedelta(days=80)
    assert stages.initial_stage(first) == "concept_note" and stages.initial_stage(None) is None
    assert stages.stage_deadline("concept_note", first, final) == first
    assert stages.stage_deadline("full_application", first, final) == final
    concept, full = [{"code": "idea"}], [{"code": "budget"}, {"code": "cv"}]
    assert stages.checklist_of("concept_note", concept, full) == [
        ("concept_note", {"code": "idea"}), ("full_application", {"code": "budget"}),
        ("full_application", {"code": "cv"})]
    assert stages.checklist_of(None, [], full) == [(None, {"code": "budget"}), (None, {"code": "cv"})]
    assert stages.reminded_kinds("concept_note") == ("internal", "first_stage")
    assert stages.reminded_kinds("full_application") == ("internal", "official")
    with pytest.raises(RuleViolation) as single:
        stages.check_call_documents(None, ("idea",), ("budget",))
    assert single.value.field == "concept_note_documents"
    with pytest.raises(RuleViolation) as twice:
        stages.check_call_documents(first, ("budget",), ("budget",))
    assert twice.value.field == "concept_note_documents"
    stages.check_can_start(first, TODAY, "C")
    with pytest.raises(Conflict) as late:
        stages.check_can_start(TODAY - timedelta(days=1), TODAY, "C")
    assert late.value.code == "call_closed" and "invitation" in late.value.detail


def test_each_stage_has_its_own_outcomes():
    stages.check_outcome("concept_note", "invited")
    stages.check_outcome("concept_note", "rejected")
    stages.check_outcome("full_application", "awarded")
    stages.check_outcome(None, "awarded")
    for stage, outcome in [("concept_note", "awarded"), ("full_application", "invited"), (None, "invited")]:
        with pytest.raises(RuleViolation) as caught:
            stages.check_outcome(stage, outcome)
        assert caught.value.field == "outcome"
    stages.check_invitation("submitted")
    with pytest.raises(Conflict):
        stages.check_invitation("drafting")


def test_call_fit_fails_a_two_stage_call_whose_concept_note_stage_closed():
    closed_first = call(opens_on=TODAY - timedelta(days=30), first_stage_closes_on=TODAY - timedelta(days=1))
    assessed = fit.assess(closed_first, KAUNAS_IDEA, TODAY)
    assert verdicts(assessed)["deadline"] == "fail" and not assessed.fits
    assert "by invitation only" in assessed.rules[-1].explanation.en
    assert "pakviestieji" in assessed.rules[-1].explanation.lt
