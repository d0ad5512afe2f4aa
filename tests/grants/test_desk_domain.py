"""The consultants' desk rules (services/grants/domain/desk.py), plain Python: the next deadline by
status, the follow-up of the latest consultation, its bounds and its reminder day, the list's
deadline sort value and range, and the workload's order and counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.grants.domain.desk import (
    FOLLOW_UP_GRACE_DAYS,
    MAX_FOLLOW_UP_DAYS,
    ApplicationDates,
    ConsultationMark,
    DeskItem,
    Due,
    ReportDue,
    check_follow_up,
    deadline_sort_value,
    follow_up_due,
    in_range,
    latest,
    next_deadline,
    open_deadlines,
    workload,
)
from shared.errors import RuleViolation

TODAY = date(2027, 3, 10)


def d(n: int) -> date:
    return TODAY + timedelta(days=n)


def dates(status="drafting", *, stage=None, internal=d(5), first_stage=None, official=d(20), reports=(),
          follow_up=None) -> ApplicationDates:
    return ApplicationDates(status=status, stage=stage, internal=internal, first_stage=first_stage,
                            official=official, reports=tuple(reports), follow_up=follow_up)


def test_an_application_being_written_works_to_its_internal_then_its_stages_deadline():
    assert next_deadline(dates(), TODAY) == Due("internal", d(5))
    # The internal deadline passed: the funder's is next (a past one is not a deadline to meet).
    assert next_deadline(dates(internal=d(-1)), TODAY) == Due("official", d(20))
    # Today still counts.
    assert next_deadline(dates(internal=TODAY), TODAY) == Due("internal", TODAY)
    # A two-stage call's concept note works to the first stage; the full application to the official one.
    two_stage = dict(internal=d(30), first_stage=d(8), official=d(60))
    assert next_deadline(dates(stage="concept_note", **two_stage), TODAY) == Due("first_stage", d(8))
    assert [x.kind for x in open_deadlines(dates(stage="full_application", **two_stage), TODAY)] == [
        "internal", "official"]
    # Every deadline past: none.
    assert next_deadline(dates(internal=d(-9), official=d(-2)), TODAY) is None


def test_a_contracted_project_works_to_its_reports_overdue_ones_first_and_a_submitted_one_is_done():
    reports = [ReportDue("interim", d(-3)), ReportDue("final", d(40))]
    assert open_deadlines(dates("contracted", reports=reports), TODAY) == [
        Due("interim_report", d(-3)), Due("final_report", d(40))]
    submitted = [ReportDue("interim", d(-3), submitted_on=d(-4)), ReportDue("final", d(40))]
    assert next_deadline(dates("contracted", reports=submitted), TODAY) == Due("final_report", d(40))
    # Its application deadlines are behind it: they do not count once submitted.
    assert next_deadline(dates("contracted", internal=d(2), reports=[]), TODAY) is None


def test_the_follow_up_counts_in_any_open_status_and_closed_applications_have_nothing():
    assert next_deadline(dates("submitted", follow_up=d(3)), TODAY) == Due("follow_up", d(3))
    assert next_deadline(dates("awarded", follow_up=d(-1)), TODAY) is None  # a follow-up day past
    assert next_deadline(dates("drafting", follow_up=d(2)), TODAY) == Due("follow_up", d(2))
    for closed in ("rejected", "withdrawn", "completed"):
        assert open_deadlines(dates(closed, follow_up=d(2), reports=[ReportDue("final", d(1))]), TODAY) == []


def test_on_the_same_day_the_funders_deadline_comes_before_the_centres():
    same = dates(internal=d(7), official=d(7), follow_up=d(7))
    assert [x.kind for x in open_deadlines(same, TODAY)] == ["official", "internal", "follow_up"]
    reports = [ReportDue("interim", d(4)), ReportDue("final", d(4))]
    assert [x.kind for x in open_deadlines(dates("contracted", reports=reports, follow_up=d(4)), TODAY)] == [
        "final_report", "interim_report", "follow_up"]


def test_the_latest_consultation_supersedes_the_others():
    at = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
    older = ConsultationMark(uuid.uuid4(), d(-10), at, d(5))
    newer = ConsultationMark(uuid.uuid4(), d(-2), at, None)
    logged_later_same_day = ConsultationMark(uuid.uuid4(), d(-2), at + timedelta(hours=1), d(9))
    assert latest([older, newer]) == newer  # its follow-up (none) replaces the older one's
    assert latest([newer, logged_later_same_day, older]) == logged_later_same_day
    # Logged later but held earlier: it does not supersede the newer one.
    late_entry = ConsultationMark(uuid.uuid4(), d(-20), at + timedelta(days=5), d(3))
    assert latest([newer, late_entry]) == newer
    assert latest([]) is None


def test_a_follow_up_is_in_the_future_and_at_most_a_year_ahead():
    check_follow_up(None, TODAY)
    check_follow_up(d(1), TODAY)
    check_follow_up(d(MAX_FOLLOW_UP_DAYS), TODAY)
    for bad in (TODAY, d(-1), d(MAX_FOLLOW_UP_DAYS + 1)):
        with pytest.raises(RuleViolation) as refused:
            check_follow_up(bad, TODAY)
        assert refused.value.field == "follow_up_on"


def test_the_follow_up_reminder_is_due_on_its_day_and_a_few_days_late_at_most():
    assert follow_up_due(TODAY, TODAY)
    assert follow_up_due(d(-FOLLOW_UP_GRACE_DAYS), TODAY)
    assert not follow_up_due(d(-FOLLOW_UP_GRACE_DAYS - 1), TODAY)
    assert not follow_up_due(d(1), TODAY)
    assert not follow_up_due(None, TODAY)


def test_the_deadline_sort_value_orders_as_the_deadlines_and_none_last():
    values = [deadline_sort_value(x) for x in (Due("internal", d(1)), Due("official", d(1)), Due("internal", d(30)),
                                                 Due("final_report", d(-5)), None)]
    assert sorted(values) == [values[3], values[1], values[0], values[2], values[4]]


def test_the_deadline_range_is_inclusive_and_excludes_applications_without_a_deadline():
    due = Due("official", d(5))
    assert in_range(due, d(5), d(5)) and in_range(due, None, d(5)) and in_range(due, d(5), None)
    assert not in_range(due, d(6), None) and not in_range(due, None, d(4))
    assert in_range(None, None, None) and not in_range(None, d(0), None)


def test_the_workload_lists_each_consultants_applications_by_next_deadline_with_counts():
    def item(email, name, status, due, created_days_ago=0):
        return DeskItem(uuid.uuid4(), email, name, status, datetime(2027, 1, 1, tzinfo=timezone.utc)
                        - timedelta(days=created_days_ago), due)

    eglé_late = item("Egle@lsa.lt", "Eglė Petrauskė", "contracted", Due("interim_report", d(-2)))
    eglé_soon = item("egle@lsa.lt", "Eglė Petrauskė", "drafting", Due("internal", d(3)))
    eglé_none_old = item("egle@lsa.lt", "Eglė Petrauskė", "submitted", None, created_days_ago=9)
    eglé_none_new = item("egle@lsa.lt", "Eglė Petrauskė", "awarded", None)
    antanas = item("antanas@lsa.lt", "Antanas Būga", "idea", Due("official", d(40)))
    nobody = item(None, None, "idea", Due("internal", d(1)))
    desks = workload([eglé_none_new, antanas, eglé_soon, nobody, eglé_late, eglé_none_old], TODAY)
    assert [(x.consultant_email, x.consultant_name) for x in desks] == [
        ("antanas@lsa.lt", "Antanas Būga"), ("egle@lsa.lt", "Eglė Petrauskė"), (None, None)]
    egle = desks[1]
    assert egle.items == [eglé_late, eglé_soon, eglé_none_old, eglé_none_new]  # e-mail in any case is one desk
    assert (egle.open, egle.overdue, egle.due_soon) == (4, 1, 1)
    assert dict(egle.by_status) == {"contracted": 1, "drafting": 1, "submitted": 1, "awarded": 1}
    assert (desks[0].open, desks[0].due_soon, desks[2].due_soon) == (1, 0, 1)
