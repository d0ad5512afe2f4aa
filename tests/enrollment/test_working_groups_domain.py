"""Working groups (issue 20 item 2): the rules, plain Python."""

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.enrollment.domain.working_groups import (
    Presence,
    Seat,
    attendance_figures,
    check_attendance,
    check_cancellable,
    check_leaving,
    check_meeting_held,
    check_meeting_times,
    check_member_code,
    check_minutes_once,
    check_new_member,
    check_one_chair,
    member_code,
)
from shared.errors import Conflict, RuleViolation

NOW = datetime(2027, 3, 1, 10, tzinfo=timezone.utc)


def seat(email, role="member", joined=date(2027, 1, 1), left=None):
    return Seat(uuid4(), email, role, joined, left)


def test_a_group_has_one_chair():
    chair = seat("ona@kaunas.lt", "chair")
    check_new_member([seat("a@b.lt")], "c@d.lt", "chair")
    with pytest.raises(RuleViolation) as second:
        check_new_member([chair], "jonas@vilnius.lt", "chair")
    assert second.value.field == "role"
    check_new_member([chair], "jonas@vilnius.lt", "member")
    # the chair who left does not count; the chair herself may be named chair again
    check_new_member([seat("ona@kaunas.lt", "chair", left=date(2027, 2, 1))], "jonas@vilnius.lt", "chair")
    check_one_chair([chair], chair.member_id)
    with pytest.raises(RuleViolation):
        check_one_chair([chair], uuid4())


def test_a_person_sits_in_a_group_once_while_a_member():
    with pytest.raises(Conflict) as again:
        check_new_member([seat("ona@kaunas.lt")], "ona@kaunas.lt", "member")
    assert again.value.code == "member_exists"
    check_new_member([seat("ona@kaunas.lt", left=date(2027, 2, 1))], "ona@kaunas.lt", "member")
    with pytest.raises(RuleViolation) as role:
        check_new_member([], "ona@kaunas.lt", "secretary")
    assert role.value.field == "role"


def test_leaving_once_and_not_before_joining():
    member = seat("ona@kaunas.lt", joined=date(2027, 2, 1))
    check_leaving(member, date(2027, 2, 1))
    with pytest.raises(RuleViolation) as early:
        check_leaving(member, date(2027, 1, 31))
    assert early.value.field == "left_on"
    with pytest.raises(Conflict):
        check_leaving(seat("x@y.lt", left=date(2027, 2, 2)), date(2027, 3, 1))


def test_attendance_only_of_members_sitting_on_the_meeting_day_each_once():
    ona, jonas = seat("ona@kaunas.lt"), seat("jonas@vilnius.lt", joined=date(2027, 3, 2))
    gone = seat("petras@alytus.lt", left=date(2027, 2, 1))
    check_attendance([ona, jonas, gone], date(2027, 3, 1), [ona.member_id])
    for outsider in (jonas.member_id, gone.member_id, uuid4()):
        with pytest.raises(RuleViolation) as refused:
            check_attendance([ona, jonas, gone], date(2027, 3, 1), [ona.member_id, outsider])
        assert refused.value.field == "records.1.member_id"
    with pytest.raises(RuleViolation) as twice:
        check_attendance([ona], date(2027, 3, 1), [ona.member_id, ona.member_id])
    assert twice.value.field == "records.1.member_id"


def test_minutes_and_attendance_only_after_the_meeting():
    check_meeting_held("scheduled", NOW - timedelta(minutes=1), NOW)
    with pytest.raises(Conflict) as early:
        check_meeting_held("scheduled", NOW + timedelta(minutes=1), NOW)
    assert early.value.code == "meeting_not_held"
    with pytest.raises(Conflict) as cancelled:
        check_meeting_held("cancelled", NOW - timedelta(days=1), NOW)
    assert cancelled.value.code == "meeting_cancelled"
    check_minutes_once(None)
    with pytest.raises(Conflict):
        check_minutes_once(NOW)


def test_a_meeting_is_cancelled_before_it_starts_and_once():
    check_cancellable("scheduled", NOW + timedelta(minutes=1), NOW)
    with pytest.raises(Conflict) as started:
        check_cancellable("scheduled", NOW, NOW)
    assert started.value.code == "meeting_started"
    with pytest.raises(Conflict) as again:
        check_cancellable("cancelled", NOW + timedelta(days=1), NOW)
    assert again.value.code == "meeting_cancelled"


def test_meeting_times_and_place():
    check_meeting_times(NOW, NOW + timedelta(hours=2), "Kaunas", None)
    check_meeting_times(NOW, NOW + timedelta(hours=2), None, "https://meet.example/x")
    for ends, venue, url, name in ((NOW, "Kaunas", None, "ends_at"), (NOW + timedelta(hours=25), "K", None, "ends_at"),
                                   (NOW + timedelta(hours=1), None, None, "venue")):
        with pytest.raises(RuleViolation) as bad:
            check_meeting_times(NOW, ends, venue, url)
        assert bad.value.field == name


def test_member_calendar_code_is_the_members_own():
    member = uuid4()
    code = member_code("secret", member)
    assert check_member_code("secret", member, code)
    assert not check_member_code("secret", uuid4(), code)
    assert not check_member_code("other", member, code)


def test_attendance_rate_per_group_and_municipality():
    law, admins = uuid4(), uuid4()
    m1, m2, m3 = uuid4(), uuid4(), uuid4()
    by_group, by_municipality = attendance_figures([
        Presence(law, m1, "15", True), Presence(law, m1, "57", False), Presence(law, m2, "15", True),
        Presence(admins, m3, "15", False)])
    assert (by_group[law].meetings_held, by_group[law].recorded, by_group[law].present, by_group[law].rate) == \
        (2, 3, 2, 0.6667)
    assert (by_group[admins].rate, by_municipality["15"].meetings_held, by_municipality["15"].rate) == (0.0, 3, 0.6667)
    assert by_municipality["57"].rate == 0.0
