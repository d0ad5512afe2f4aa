"""The enrollment rules on their own: seats, quotas, promotions, completion, codes, calendars, figures."""

import random
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.enrollment.domain import calendar, codes
from services.enrollment.domain.completion import (
    attendance_hours,
    certificate_status,
    check_can_attend,
    check_can_complete,
    qualifies,
    valid_until,
)
from services.enrollment.domain.figures import (
    NeedFacts,
    ParticipationFacts,
    SessionFacts,
    demand_ranking,
    hours_ledger,
    local_year,
    restrict,
    summary_report,
)
from services.enrollment.domain.rules import (
    Attendance,
    AttendanceMode,
    CourseFormat,
    EnrollmentStatus,
    SessionPlan,
    SessionSettings,
    SessionStatus,
    attendance_mode,
    check_can_cancel,
    check_capacity_change,
    check_session_change,
    check_session_plan,
    offer_deadline,
    quota_release_at,
)
from services.enrollment.domain.seats import (
    SeatCounts,
    SeatPolicy,
    Waiting,
    WaitingFor,
    decide_arrival,
    plan_promotions,
)
from shared.errors import Conflict, RuleViolation

NOW = datetime(2026, 11, 24, 8, tzinfo=timezone.utc)
IN_PERSON, ONLINE = AttendanceMode.IN_PERSON, AttendanceMode.ONLINE


# ---------------------------------------------------------------- arrivals and the quota

def test_an_arrival_is_confirmed_while_its_pool_has_seats():
    policy = SeatPolicy({IN_PERSON: 2})
    counts = SeatCounts()
    decisions = [decide_arrival(policy, counts, IN_PERSON, m).status for m in ("15", "20", "21")]
    assert decisions == [EnrollmentStatus.CONFIRMED, EnrollmentStatus.CONFIRMED, EnrollmentStatus.WAITLISTED]


def test_hybrid_pools_fill_separately():
    policy = SeatPolicy({IN_PERSON: 1, ONLINE: 1})
    counts = SeatCounts()
    assert decide_arrival(policy, counts, IN_PERSON, "15").status is EnrollmentStatus.CONFIRMED
    assert decide_arrival(policy, counts, IN_PERSON, "16").status is EnrollmentStatus.WAITLISTED
    assert decide_arrival(policy, counts, ONLINE, "16").status is EnrollmentStatus.CONFIRMED


def test_a_municipality_over_its_quota_waits_while_others_still_get_seats():
    policy = SeatPolicy({IN_PERSON: 4}, quota=2)
    counts = SeatCounts()
    first = [decide_arrival(policy, counts, IN_PERSON, "15") for _ in range(3)]
    assert [a.status for a in first] == [EnrollmentStatus.CONFIRMED] * 2 + [EnrollmentStatus.WAITLISTED]
    assert first[2].waiting_for is WaitingFor.QUOTA
    assert decide_arrival(policy, counts, IN_PERSON, "20").status is EnrollmentStatus.CONFIRMED


def test_promotions_go_in_arrival_order_and_skip_people_their_quota_blocks():
    policy = SeatPolicy({IN_PERSON: 3}, quota=1)
    counts = SeatCounts.of([(IN_PERSON, "15"), (IN_PERSON, "20")])  # one seat free
    waiting = [Waiting(uuid.uuid4(), IN_PERSON, "15", 3), Waiting(uuid.uuid4(), IN_PERSON, "15", 4),
               Waiting(uuid.uuid4(), IN_PERSON, "33", 5), Waiting(uuid.uuid4(), IN_PERSON, "40", 6)]
    promoted = plan_promotions(policy, counts, list(reversed(waiting)))
    assert [p.enrollment_id for p in promoted] == [waiting[2].enrollment_id]
    assert promoted[0].status is EnrollmentStatus.CONFIRMED
    released = plan_promotions(SeatPolicy({IN_PERSON: 5}, quota=None), counts, waiting)
    assert [p.enrollment_id for p in released] == [waiting[0].enrollment_id, waiting[1].enrollment_id]


def test_with_offers_freed_seats_are_offered_not_given():
    promoted = plan_promotions(SeatPolicy({ONLINE: 1}, offers=True), SeatCounts(),
                               [Waiting(uuid.uuid4(), ONLINE, "15", 1), Waiting(uuid.uuid4(), ONLINE, "16", 2)])
    assert [p.status for p in promoted] == [EnrollmentStatus.OFFERED]


def test_arrivals_replayed_in_any_order_never_overbook_or_break_the_quota():
    rng = random.Random(7)
    for _ in range(50):
        capacity, quota = rng.randint(1, 10), rng.choice([None, 1, 2, 3])
        policy, counts = SeatPolicy({IN_PERSON: capacity}, quota=quota), SeatCounts()
        municipalities = [f"{rng.randint(1, 8):02d}" for _ in range(40)]
        statuses = [decide_arrival(policy, counts, IN_PERSON, m).status for m in municipalities]
        confirmed = [m for m, s in zip(municipalities, statuses) if s is EnrollmentStatus.CONFIRMED]
        assert len(confirmed) <= capacity
        if quota:
            assert max(confirmed.count(m) for m in set(confirmed)) <= quota
        # nobody eligible was turned away while a seat was free
        for m, s in zip(municipalities, statuses):
            if s is EnrollmentStatus.WAITLISTED and (quota is None or confirmed.count(m) < quota):
                assert len(confirmed) == capacity


# ---------------------------------------------------------------- sessions

def plan(**changes):
    values = dict(course_format=CourseFormat.IN_PERSON, starts_at=NOW + timedelta(days=10),
                  ends_at=NOW + timedelta(days=10, hours=6), registration_opens_at=NOW,
                  registration_closes_at=NOW + timedelta(days=9), capacity=20, region="KU", venue="Kaunas",
                  online_url=None)
    values.update(changes)
    return SessionPlan(**values)


def test_a_valid_plan_passes():
    check_session_plan(plan(), NOW)
    check_session_plan(plan(course_format=CourseFormat.ONLINE, venue=None, region=None,
                            online_url="https://meet.example/x"), NOW)


@pytest.mark.parametrize("changes, field", [
    ({"ends_at": NOW + timedelta(days=9)}, "ends_at"),
    ({"starts_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(hours=1),
      "registration_closes_at": NOW - timedelta(hours=2), "registration_opens_at": NOW - timedelta(days=1)}, "starts_at"),
    ({"registration_closes_at": NOW}, "registration_closes_at"),
    ({"registration_closes_at": NOW + timedelta(days=11)}, "registration_closes_at"),
    ({"venue": None}, "venue"),
    ({"region": None}, "region"),
    ({"course_format": CourseFormat.HYBRID}, "online_url"),
    ({"capacity": 0}, "capacity"),
    ({"course_format": CourseFormat.HYBRID, "online_url": "https://x.lt/a"}, "online_capacity"),
    ({"online_capacity": 5}, "online_capacity"),
    ({"min_participants": 21}, "min_participants"),
    ({"quota_release_days": 3}, "quota_release_days"),
])
def test_an_impossible_plan_names_the_field(changes, field):
    with pytest.raises(RuleViolation) as caught:
        check_session_plan(plan(**changes), NOW)
    assert caught.value.field == field


def test_a_hybrid_session_needs_a_chosen_mode_and_single_format_sessions_take_theirs():
    assert attendance_mode(CourseFormat.ONLINE, None) is ONLINE
    assert attendance_mode(CourseFormat.HYBRID, "online") is ONLINE
    with pytest.raises(RuleViolation) as caught:
        attendance_mode(CourseFormat.HYBRID, None)
    assert caught.value.field == "attendance_mode"
    with pytest.raises(RuleViolation):
        attendance_mode(CourseFormat.IN_PERSON, "online")


def test_capacity_cannot_drop_below_the_seats_taken():
    check_capacity_change(5, 5, "capacity")
    with pytest.raises(RuleViolation) as caught:
        check_capacity_change(4, 5, "capacity")
    assert caught.value.field == "capacity"


def test_quota_release_and_offer_deadline():
    starts = NOW + timedelta(days=10)
    assert quota_release_at(starts, 3) == NOW + timedelta(days=7)
    assert quota_release_at(starts, None) is None
    assert offer_deadline(NOW, 24, starts) == NOW + timedelta(hours=24)
    assert offer_deadline(NOW, 24, NOW + timedelta(hours=5)) == NOW + timedelta(hours=5)


def test_cancelling_is_for_open_enrolments_of_sessions_not_yet_started():
    check_can_cancel(EnrollmentStatus.WAITLISTED, SessionStatus.SCHEDULED, NOW + timedelta(hours=1), NOW)
    for status, session_status, starts in ((EnrollmentStatus.CANCELLED, SessionStatus.SCHEDULED, NOW + timedelta(1)),
                                           (EnrollmentStatus.CONFIRMED, SessionStatus.COMPLETED, NOW - timedelta(1)),
                                           (EnrollmentStatus.CONFIRMED, SessionStatus.SCHEDULED, NOW)):
        with pytest.raises(Conflict):
            check_can_cancel(status, session_status, starts, NOW)


# ---------------------------------------------------------------- attendance and certificates

def test_hours_default_to_the_course_and_are_bounded():
    assert attendance_hours(Attendance.ATTENDED, None, Decimal(6), "f") == 6
    assert attendance_hours(Attendance.ATTENDED, Decimal("4.5"), Decimal(6), "f") == Decimal("4.5")
    assert attendance_hours(Attendance.NO_SHOW, None, Decimal(6), "f") == 0
    for attendance, hours in ((Attendance.ATTENDED, Decimal(7)), (Attendance.ATTENDED, Decimal(0)),
                              (Attendance.NO_SHOW, Decimal(2))):
        with pytest.raises(RuleViolation) as caught:
            attendance_hours(attendance, hours, Decimal(6), "records.0.hours")
        assert caught.value.field == "records.0.hours"


def test_only_confirmed_people_attend():
    check_can_attend(EnrollmentStatus.CONFIRMED, "x")
    for status in (EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELLED, EnrollmentStatus.OFFERED):
        with pytest.raises(RuleViolation):
            check_can_attend(status, "x")


def test_the_completion_rule():
    assert qualifies(Attendance.ATTENDED, Decimal("4.8"), Decimal(6), 80)
    assert not qualifies(Attendance.ATTENDED, Decimal("4.7"), Decimal(6), 80)
    assert not qualifies(Attendance.NO_SHOW, Decimal(0), Decimal(6), 1)
    assert not qualifies(None, None, Decimal(6), 1)


def test_completion_needs_attendance_for_everyone_or_consent_to_mark_them_absent():
    check_can_complete(SessionStatus.SCHEDULED, NOW - timedelta(hours=1), NOW, 0, False)
    check_can_complete(SessionStatus.SCHEDULED, NOW - timedelta(hours=1), NOW, 3, True)
    with pytest.raises(Conflict, match="3 confirmed"):
        check_can_complete(SessionStatus.SCHEDULED, NOW - timedelta(hours=1), NOW, 3, False)
    with pytest.raises(Conflict):
        check_can_complete(SessionStatus.SCHEDULED, NOW + timedelta(hours=1), NOW, 0, False)


def test_validity_counts_whole_months_and_status_follows_time():
    assert valid_until(datetime(2026, 1, 31, tzinfo=timezone.utc), 1) == datetime(2026, 2, 28, tzinfo=timezone.utc)
    assert valid_until(datetime(2026, 11, 15, tzinfo=timezone.utc), 24) == datetime(2028, 11, 15, tzinfo=timezone.utc)
    assert valid_until(NOW, None) is None
    assert certificate_status("valid", NOW + timedelta(1), NOW).status == "valid"
    assert certificate_status("valid", NOW, NOW).status == "expired"
    assert certificate_status("revoked", None, NOW).valid is False


def test_codes():
    enrollment_id = uuid.uuid4()
    code = codes.enrollment_code("s" * 40, enrollment_id)
    assert codes.check_enrollment_code("s" * 40, enrollment_id, code)
    assert not codes.check_enrollment_code("t" * 40, enrollment_id, code)
    assert not codes.check_enrollment_code("s" * 40, uuid.uuid4(), code)
    printed = codes.verification_code()
    # 28 characters (138 bits) in seven groups of four: guessing is hopeless at the verification rate limit.
    assert len(printed) == 34 and printed.count("-") == 6 and not set(printed) & set("01ILO")
    assert len(printed.replace("-", "")) == codes.VERIFICATION_CODE_LENGTH == 28
    assert codes.normalise_verification_code(printed.lower().replace("-", " ")) == printed
    assert codes.certificate_number(2026, 42) == "SAV-2026-00042"


# ---------------------------------------------------------------- calendars

def test_calendar_lines_are_escaped_and_folded_without_splitting_letters():
    entry = calendar.CalendarEntry(uid="u@x", starts_at=NOW, ends_at=NOW + timedelta(hours=2),
                                   summary="Šiaulių; mokymai, " + "ž" * 60, description="a\nb", location="Vilnius")
    text = calendar.render([entry], "Mokymai", NOW)
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and lines[0] == "BEGIN:VCALENDAR"
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Šiaulių\\; mokymai\\, " + "ž" * 60 in unfolded
    assert "DESCRIPTION:a\\nb" in unfolded and "DTSTART:20261124T080000Z" in unfolded


# ---------------------------------------------------------------- figures

def session(status="completed", day=1, themes=("budgeting", "strategic_planning"), region="KU"):
    return SessionFacts(uuid.uuid4(), status, datetime(2026, 3, day, 8, tzinfo=timezone.utc), themes, region)


def took_part(s, key, municipality="15", attendance="attended", hours=6, certified=True, fee="10"):
    return ParticipationFacts(s.session_id, key, key.title(), f"{key}@x.lt", municipality, None, attendance,
                              Decimal(hours), certified, Decimal(fee))


def test_the_ledger_counts_hours_once_under_the_primary_theme_per_local_year():
    a, b = session(day=1), session(day=2, themes=("anti_corruption",))
    new_year = SessionFacts(uuid.uuid4(), "completed", datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc),
                            ("budgeting",), None)
    rows = [took_part(a, "ona"), took_part(b, "ona", hours=3), took_part(new_year, "ona", hours=2),
            took_part(a, "jonas", attendance="no_show", hours=0, certified=False)]
    lines = hours_ledger({s.session_id: s for s in (a, b, new_year)}, rows)
    assert [(l.person_key, l.year, l.theme, l.hours) for l in lines] == [
        ("ona", 2026, "anti_corruption", 3), ("ona", 2026, "budgeting", 6), ("ona", 2027, "budgeting", 2)]
    assert local_year(new_year.starts_at) == 2027


def test_the_report_counts_sessions_and_people_once_in_the_totals():
    a, b = session(day=1), session(day=2, themes=("anti_corruption",))
    cancelled = session(status="cancelled", day=3)
    rows = [took_part(a, "ona", "15"), took_part(b, "ona", "15"), took_part(a, "jonas", "20", certified=False),
            took_part(b, "ema", "20", attendance="no_show", hours=0, certified=False)]
    sessions = {s.session_id: s for s in (a, b, cancelled)}
    lines, total = summary_report("municipality", sessions, rows)
    by = {l.group: l.as_dict() for l in lines}
    assert by["15"]["sessions_held"] == 2 and by["15"]["participants_trained"] == 1
    assert by["20"]["sessions_held"] == 1 and by["20"]["no_shows"] == 1 and by["20"]["fees_eur"] == 20
    assert (total.sessions_held, total.participants_trained, total.attendances, total.certificates_issued) == (2, 2, 3, 2)
    themes, total_by_theme = summary_report("theme", sessions, rows)
    assert {l.group: l.sessions_held for l in themes} == {"budgeting": 1, "strategic_planning": 1,
                                                           "anti_corruption": 1}
    assert total_by_theme.sessions_held == 2
    regions, _ = summary_report("region", sessions, rows)
    assert {l.group for l in regions} == {"KU", "KL"}


def test_demand_is_ranked_by_municipalities_behind_a_theme_next_to_planned_sessions():
    needs = [NeedFacts(uuid.uuid4(), "budgeting", "KU", "15", frozenset({"16", "18"})),
             NeedFacts(uuid.uuid4(), "budgeting", "KU", "16", frozenset({"13"})),
             NeedFacts(uuid.uuid4(), "anti_corruption", "KU", "10", frozenset({"15"})),
             NeedFacts(uuid.uuid4(), "anti_corruption", "KU", "13", frozenset()),
             NeedFacts(uuid.uuid4(), "education", "VL", "57", frozenset())]
    upcoming = [session(status="scheduled", themes=("anti_corruption",), region=None),
                session(status="scheduled", themes=("anti_corruption",), region="VL")]
    ranking = demand_ranking(needs, upcoming)
    ku = ranking["KU"]
    assert [(l["rank"], l["theme"], l["supporting_municipalities"], l["proposals"]) for l in ku] == [
        (1, "budgeting", 4, 2), (2, "anti_corruption", 3, 2)]
    assert ku[0]["municipalities"] == sorted(ku[0]["municipalities"])
    assert {l["theme"]: l["planned_sessions"] for l in ku} == {"budgeting": 0, "anti_corruption": 1}
    assert ranking["VL"][0]["planned_sessions"] == 0  # the Vilnius session is on anti-corruption, not education
    assert ranking["VL"][0]["theme"] == "education"


def settings(**changes):
    values = dict(course_format=CourseFormat.HYBRID, starts_at=NOW + timedelta(days=10), capacity=4, online_capacity=2,
                  min_participants=0, registration_opens_at=NOW, registration_closes_at=NOW + timedelta(days=9),
                  quota_per_municipality=None, quota_release_days=None, offer_hours=None, reminder_hours_before=48)
    values.update(changes)
    return SessionSettings(**values)


def test_a_session_change_is_checked_against_the_seats_taken_in_each_pool():
    held = {IN_PERSON: 3, ONLINE: 2}
    assert check_session_change(settings(), {"capacity": 3, "online_capacity": 2}, held) == {"capacity": 3}
    for changes, field in (({"capacity": 2}, "capacity"), ({"online_capacity": 1}, "online_capacity"),
                           ({"online_capacity": None}, "online_capacity"), ({"min_participants": 7}, "min_participants"),
                           ({"quota_release_days": 3}, "quota_release_days"),
                           ({"registration_closes_at": NOW + timedelta(days=11)}, "registration_closes_at")):
        with pytest.raises(RuleViolation) as caught:
            check_session_change(settings(), changes, held)
        assert caught.value.field == field
    with pytest.raises(RuleViolation):
        check_session_change(settings(course_format=CourseFormat.ONLINE, online_capacity=None),
                             {"online_capacity": 3}, held)


def test_a_new_or_removed_quota_moves_its_release_time():
    quota = check_session_change(settings(), {"quota_per_municipality": 2, "quota_release_days": 3}, {})
    assert quota == {"quota_per_municipality": 2, "quota_release_days": 3, "quota_release_at": NOW + timedelta(days=7)}
    removed = check_session_change(settings(quota_per_municipality=2, quota_release_days=3),
                                   {"quota_per_municipality": None}, {})
    assert removed == {"quota_per_municipality": None, "quota_release_days": None, "quota_release_at": None}


def test_a_report_narrowed_to_a_region_counts_only_the_sessions_people_from_there_attended():
    a, b = session(day=1), session(day=2, themes=("anti_corruption",))
    rows = [took_part(a, "ona", "15"), took_part(b, "jonas", "20"),  # Kaunas county, Klaipėda county
            took_part(b, "ema", "16", attendance="no_show", hours=0, certified=False)]
    sessions = {s.session_id: s for s in (a, b)}
    kaunas, kaunas_rows = restrict(sessions, rows, region="KU", by_participants=True)
    assert list(kaunas) == [a.session_id] and [r.person_key for r in kaunas_rows] == ["ona"]
    themed, themed_rows = restrict(sessions, rows, theme="anti_corruption")
    assert list(themed) == [b.session_id] and {r.person_key for r in themed_rows} == {"jonas", "ema"}


# ---------------------------------------------------------------- rules that were inline in service.py

def test_only_a_scheduled_session_changes_or_is_cancelled():
    from services.enrollment.domain.rules import check_session_cancellable, check_session_changeable

    check_session_changeable(SessionStatus.SCHEDULED)
    check_session_cancellable(SessionStatus.SCHEDULED)
    with pytest.raises(Conflict, match="the session is completed") as changed:
        check_session_changeable(SessionStatus.COMPLETED)
    with pytest.raises(Conflict, match="already cancelled") as cancelled:
        check_session_cancellable(SessionStatus.CANCELLED)
    assert changed.value.code == cancelled.value.code == "session_not_open"


def test_pool_capacities_follow_the_course_format():
    from services.enrollment.domain.rules import pool_capacities

    assert pool_capacities(CourseFormat.HYBRID, 10, 5) == {IN_PERSON: 10, ONLINE: 5}
    assert pool_capacities(CourseFormat.ONLINE, 30, None) == {ONLINE: 30}
    assert pool_capacities(CourseFormat.IN_PERSON, 12, None) == {IN_PERSON: 12}


def test_an_offer_is_accepted_or_declined_only_while_it_stands():
    from services.enrollment.domain.rules import check_offer_acceptable, check_offer_declinable

    check_offer_acceptable(EnrollmentStatus.OFFERED)
    check_offer_declinable(EnrollmentStatus.OFFERED)
    with pytest.raises(Conflict) as expired:
        check_offer_acceptable(EnrollmentStatus.EXPIRED)
    assert expired.value.code == "offer_expired"
    for status in (EnrollmentStatus.CONFIRMED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELLED):
        with pytest.raises(Conflict) as refused:
            check_offer_acceptable(status)
        assert refused.value.code == "no_offer"
        with pytest.raises(Conflict) as refused:
            check_offer_declinable(status)
        assert refused.value.code == "no_offer"
    with pytest.raises(Conflict, match="no offer to decline"):
        check_offer_declinable(EnrollmentStatus.EXPIRED)


def test_leaving_an_offer_declines_it_and_leaving_otherwise_is_the_persons_own_cancellation():
    from services.enrollment.domain.rules import CancelReason, leave_reason

    assert leave_reason(EnrollmentStatus.OFFERED) is CancelReason.OFFER_DECLINED
    for status in (EnrollmentStatus.CONFIRMED, EnrollmentStatus.WAITLISTED):
        assert leave_reason(status) is CancelReason.BY_PARTICIPANT


def test_a_municipality_cannot_touch_a_person_another_municipality_enrolled():
    from services.enrollment.domain.rules import check_not_enrolled_by_another
    from shared.errors import Forbidden

    check_not_enrolled_by_another(None, "15")  # the centre may
    check_not_enrolled_by_another("15", "15")
    check_not_enrolled_by_another("15", None)  # nobody enrolled them yet
    with pytest.raises(Forbidden) as refused:
        check_not_enrolled_by_another("15", "57")
    assert refused.value.field == "email"


def test_an_idempotency_key_is_per_token_holder_and_bound_to_one_request():
    from services.enrollment.domain.idempotency import check_same_request, key_scope, request_fingerprint

    session = uuid.uuid4()
    assert key_scope("municipality:15", "ruta@kaunas.lt") == "municipality:15:ruta@kaunas.lt"
    first = request_fingerprint(session, {"name": "Rūta", "email": "ruta@kaunas.lt"})
    assert first == request_fingerprint(session, {"email": "ruta@kaunas.lt", "name": "Rūta"})  # key order aside
    assert first != request_fingerprint(uuid.uuid4(), {"name": "Rūta", "email": "ruta@kaunas.lt"})
    assert first != request_fingerprint(session, {"name": "Jonas", "email": "ruta@kaunas.lt"})
    check_same_request(first, first)
    with pytest.raises(Conflict) as reused:
        check_same_request(first, request_fingerprint(session, {"name": "Jonas"}))
    assert reused.value.code == "idempotency_key_reused"


def test_a_municipality_supports_others_open_proposals_only():
    from services.enrollment.domain.needs import check_can_support

    check_can_support("15", "open", "57")
    check_can_support("15", "planned", "57")
    with pytest.raises(RuleViolation) as own:
        check_can_support("15", "open", "15")
    assert own.value.field == "municipality_code"
    with pytest.raises(Conflict) as closed:
        check_can_support("15", "closed", "57")
    assert closed.value.code == "need_closed"


def test_a_bulk_attendance_record_names_an_enrolment_of_the_session():
    from services.enrollment.domain.completion import check_in_session

    session, other, enrollment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    check_in_session(enrollment, session, session, "records.0.enrollment_id")
    for found in (other, None):
        with pytest.raises(RuleViolation, match="is not in this session") as refused:
            check_in_session(enrollment, found, session, "records.3.enrollment_id")
        assert refused.value.field == "records.3.enrollment_id"


def test_report_periods_are_counted_in_lithuanian_time():
    from datetime import date

    from services.enrollment.domain.figures import local_day_start, local_year_bounds

    start, end = local_year_bounds(2026)
    assert start == datetime(2025, 12, 31, 22, tzinfo=timezone.utc)  # midnight in Vilnius (UTC+2 in winter)
    assert end == datetime(2026, 12, 31, 22, tzinfo=timezone.utc)
    assert local_day_start(date(2026, 7, 1)) == datetime(2026, 6, 30, 21, tzinfo=timezone.utc)  # summer: UTC+3
