from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.enrollment.domain.rules import (
    AttendanceMode,
    EnrollmentStatus,
    SessionStatus,
    check_registration_open,
    normalise_email,
)
from services.enrollment.domain.seats import SeatCounts, SeatPolicy, decide_arrival
from services.grants.domain.rules import CallTerms, check_call_terms
from services.partners.domain.rules import check_profile
from shared.errors import Conflict, RuleViolation

NOW = datetime(2026, 11, 24, 8, tzinfo=timezone.utc)


def test_confirmed_while_seats_remain_then_waitlisted():
    policy = SeatPolicy({AttendanceMode.IN_PERSON: 2})
    counts = SeatCounts.of([(AttendanceMode.IN_PERSON, "15")])
    assert decide_arrival(policy, counts, AttendanceMode.IN_PERSON, "15").status is EnrollmentStatus.CONFIRMED
    assert decide_arrival(policy, counts, AttendanceMode.IN_PERSON, "15").status is EnrollmentStatus.WAITLISTED


def test_enrolment_outside_the_window_or_in_a_cancelled_session_is_refused():
    opens, closes = NOW - timedelta(days=1), NOW + timedelta(days=1)
    check_registration_open(SessionStatus.SCHEDULED, opens, closes, NOW)
    with pytest.raises(RuleViolation, match="registration opens"):
        check_registration_open(SessionStatus.SCHEDULED, NOW + timedelta(hours=1), closes, NOW)
    with pytest.raises(RuleViolation, match="registration closed"):
        check_registration_open(SessionStatus.SCHEDULED, opens, NOW, NOW)
    with pytest.raises(Conflict):
        check_registration_open(SessionStatus.CANCELLED, opens, closes, NOW)


def test_same_person_is_recognised_whatever_the_case():
    assert normalise_email(" Ona@Kaunas.LT ") == "ona@kaunas.lt"


def test_call_terms():
    good = CallTerms(opens_on=date(2027, 1, 1), closes_on=date(2027, 3, 1), min_grant_eur=Decimal(1000),
                     max_grant_eur=Decimal(50000), max_funding_rate=Decimal("0.85"), foreign_partner_required=True,
                     partner_countries=["NO"], status="open")
    check_call_terms(good)
    for field, changes in (("closes_on", {"closes_on": date(2026, 12, 1)}),
                           ("min_grant_eur", {"min_grant_eur": Decimal(60000)}),
                           ("max_funding_rate", {"max_funding_rate": Decimal("1.5")}),
                           ("partner_countries", {"partner_countries": []})):
        with pytest.raises(RuleViolation) as caught:
            check_call_terms(CallTerms(**{**good.__dict__, **changes}))
        assert caught.value.field == field


def test_partner_profile_rules():
    check_profile(country="NO", organisation_type="county_council", region=None, capacity=2)
    with pytest.raises(RuleViolation):
        check_profile(country="LT", organisation_type="municipality", region=None, capacity=1)
