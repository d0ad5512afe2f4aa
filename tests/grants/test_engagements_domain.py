"""Consulting engagement rules (services/grants/domain/engagements.py): plain Python, no database."""

from datetime import date, timedelta

import pytest

from services.grants.domain import engagements as rules
from services.grants.domain.engagements import DeliverablePlan, DeliverableState, EngagementFacts
from shared.errors import Conflict, RuleViolation

TODAY = date(2026, 11, 30)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def test_the_group_is_the_lead_first_each_once_and_bounded():
    assert rules.members("15", ["02", "15", "33"]) == ["15", "02", "33"]
    with pytest.raises(RuleViolation) as twice:
        rules.members("15", ["02", "02"])
    assert twice.value.field == "group_municipality_codes"
    with pytest.raises(RuleViolation):
        rules.members("15", [f"{n:02d}" for n in range(16, 26)])  # 11 municipalities
    assert len(rules.members("15", [f"{n:02d}" for n in range(16, 25)])) == rules.MAX_GROUP


def test_states_requested_agreed_in_progress_closed():
    plans = [DeliverablePlan("Study report", days(30))]
    rules.check_agreement("requested", TODAY, days(-3), plans)
    assert rules.status_after_consultation("agreed", TODAY, TODAY) == "in_progress"
    assert rules.status_after_consultation("in_progress", TODAY, days(-5)) == "in_progress"
    rules.check_closure("in_progress", "achieved", TODAY, days(-10), TODAY,
                        [DeliverableState("Study report", days(-1), days(-2))])


@pytest.mark.parametrize("status", ["agreed", "in_progress", "closed", "declined"])
def test_only_a_request_is_agreed_or_declined(status):
    with pytest.raises(Conflict):
        rules.check_agreement(status, TODAY, days(-1), [DeliverablePlan("x", days(3))])
    with pytest.raises(Conflict):
        rules.check_decline(status)


def test_declined_and_closed_are_final():
    rules.check_decline("requested")
    for status in ("declined", "closed"):
        with pytest.raises(Conflict):
            rules.status_after_consultation(status, TODAY, days(-1))
        with pytest.raises(Conflict):
            rules.check_closure(status, "not_achieved", TODAY, days(-1), TODAY, [])
        with pytest.raises(Conflict):
            rules.check_new_deliverable(status, DeliverablePlan("x", days(3)), days(-1), 0)


def test_the_work_starts_before_it_closes():
    with pytest.raises(Conflict):  # agreed, no consultation yet
        rules.check_closure("agreed", "not_achieved", TODAY, days(-1), TODAY, [])
    with pytest.raises(Conflict):  # nothing agreed: no consultation against it
        rules.status_after_consultation("requested", TODAY, TODAY)


def test_agreement_needs_deliverables_due_after_it():
    with pytest.raises(RuleViolation) as none:
        rules.check_agreement("requested", TODAY, days(-1), [])
    assert none.value.field == "deliverables"
    with pytest.raises(RuleViolation) as early:
        rules.check_agreement("requested", TODAY, days(-1), [DeliverablePlan("a", days(5)),
                                                             DeliverablePlan("b", days(-1))])
    assert early.value.field == "deliverables.1.due_on"
    with pytest.raises(RuleViolation) as before_request:
        rules.check_agreement("requested", days(-2), days(-1), [DeliverablePlan("a", days(5))])
    assert before_request.value.field == "agreed_on"


def test_a_consultation_is_held_after_the_agreement():
    with pytest.raises(RuleViolation) as early:
        rules.status_after_consultation("agreed", days(-2), days(-1))
    assert early.value.field == "held_on"


def test_achieved_needs_every_deliverable_delivered():
    open_item = [DeliverableState("Study report", days(-1), None), DeliverableState("Workshop", days(-5), days(-6))]
    with pytest.raises(RuleViolation) as refused:
        rules.check_closure("in_progress", "achieved", TODAY, days(-30), TODAY, open_item)
    assert refused.value.field == "outcome" and "Study report" in refused.value.detail
    assert "Workshop" not in refused.value.detail
    rules.check_closure("in_progress", "partly_achieved", TODAY, days(-30), TODAY, open_item)
    with pytest.raises(RuleViolation) as future:
        rules.check_closure("in_progress", "not_achieved", days(1), days(-30), TODAY, [])
    assert future.value.field == "closed_on"
    with pytest.raises(RuleViolation) as before_agreement:
        rules.check_closure("in_progress", "not_achieved", days(-31), days(-30), TODAY, [])
    assert before_agreement.value.field == "closed_on"


def test_a_deliverable_is_delivered_once_not_ahead_not_before_the_agreement():
    rules.check_delivery("in_progress", TODAY, None, days(-10), TODAY)
    with pytest.raises(Conflict):
        rules.check_delivery("in_progress", TODAY, days(-1), days(-10), TODAY)
    with pytest.raises(RuleViolation) as ahead:
        rules.check_delivery("agreed", days(1), None, days(-10), TODAY)
    assert ahead.value.field == "delivered_on"
    with pytest.raises(RuleViolation):
        rules.check_delivery("agreed", days(-11), None, days(-10), TODAY)
    with pytest.raises(Conflict):
        rules.check_delivery("closed", TODAY, None, days(-10), TODAY)


def test_deliverables_are_bounded():
    plans = [DeliverablePlan(str(i), days(i)) for i in range(rules.MAX_DELIVERABLES + 1)]
    with pytest.raises(RuleViolation):
        rules.check_agreement("requested", TODAY, TODAY, plans)
    with pytest.raises(RuleViolation):
        rules.check_new_deliverable("agreed", DeliverablePlan("x", days(1)), TODAY, rules.MAX_DELIVERABLES)
    with pytest.raises(RuleViolation) as early:
        rules.check_new_deliverable("agreed", DeliverablePlan("x", days(-1)), TODAY, 0)
    assert early.value.field == "due_on"


def test_late_is_past_due_undelivered_or_delivered_after_due():
    assert not rules.is_late(TODAY, None, TODAY)  # due today: not late yet
    assert rules.is_late(days(-1), None, TODAY)
    assert not rules.is_late(days(-1), days(-1), TODAY)
    assert rules.is_late(days(-1), TODAY, TODAY)
    assert not rules.is_late(days(5), days(1), TODAY)


def test_reminders_at_7_and_1_days_most_urgent_once():
    assert rules.reminder_due(days(8), TODAY, set()) is None
    assert rules.reminder_due(days(7), TODAY, set()) == 7
    assert rules.reminder_due(days(7), TODAY, {7}) is None
    assert rules.reminder_due(days(3), TODAY, {7}) is None
    assert rules.reminder_due(days(1), TODAY, {7}) == 1
    assert rules.reminder_due(days(0), TODAY, set()) == 1  # a timer that was down catches up with one
    assert rules.reminder_due(days(-1), TODAY, set()) is None


def test_report_counts_a_group_under_each_member_and_once_in_the_totals():
    study = EngagementFacts(("15", "02"), "public_service_quality", "Tomas", "in_progress",
                            (DeliverableState("a", days(-1), None), DeliverableState("b", days(3), None)))
    strategy = EngagementFacts(("15",), "strategic_planning", None, "closed", (DeliverableState("c", days(-9), days(-8)),))
    declined = EngagementFacts(("33",), "public_service_quality", None, "declined", ())
    rows, totals = rules.report([study, strategy, declined], "municipality", TODAY)
    by = {r.group: r for r in rows}
    assert list(by) == ["02", "15", "33"]
    assert by["15"].engagements == 2 and by["15"].open == 1 and by["15"].late_deliverables == 2
    assert by["02"].engagements == 1 and by["02"].by_status["in_progress"] == 1
    assert totals.engagements == 3 and totals.deliverables == 3 and totals.late_deliverables == 2
    assert totals.by_status == {"requested": 0, "agreed": 0, "in_progress": 1, "closed": 1, "declined": 1}
    mine, _ = rules.report([study, strategy], "municipality", TODAY, visible="02")
    assert [r.group for r in mine] == ["02"]
    themes, _ = rules.report([study, strategy, declined], "theme", TODAY)
    assert {r.group: r.engagements for r in themes} == {"public_service_quality": 2, "strategic_planning": 1}
    consultants, _ = rules.report([study, strategy], "consultant", TODAY)
    assert {r.group: r.engagements for r in consultants} == {"Tomas": 1, rules.UNASSIGNED: 1}


def test_another_consultant_takes_over_while_the_work_is_on():
    rules.check_reassignment("agreed", "tomas@lsa.lt", "jonas@lsa.lt")
    rules.check_reassignment("in_progress", None, "jonas@lsa.lt")  # the previous one was erased
    with pytest.raises(RuleViolation) as same:
        rules.check_reassignment("in_progress", "Tomas@lsa.lt", "tomas@LSA.lt")
    assert same.value.field == "email"
    for status in ("requested", "closed", "declined"):
        with pytest.raises(Conflict):
            rules.check_reassignment(status, "tomas@lsa.lt", "jonas@lsa.lt")
