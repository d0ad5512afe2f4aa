"""Rules of profiles, introductions (double opt-in), reminders, visits, the report and erasure,
in plain Python."""

from datetime import datetime, timedelta, timezone

import pytest

from services.partners.domain import rules
from services.partners.domain.privacy import ERASED_NAME, pseudonym_email, scrub_people
from services.partners.domain.report import PartnershipFact, VisitFact, partnership_report
from services.partners.domain.rules import Answer, IntroductionState, IntroductionStatus, Side
from shared.errors import Conflict, Forbidden, RuleViolation

NOW = datetime(2026, 11, 24, 8, tzinfo=timezone.utc)
TODAY = NOW.date()


def pending(requester=None, candidate=None, answer_by=TODAY + timedelta(days=14)):
    return IntroductionState(IntroductionStatus.PENDING, requester, candidate, answer_by)


def test_both_acceptances_establish_in_either_order():
    for first, second in ((Side.REQUESTER, Side.CANDIDATE), (Side.CANDIDATE, Side.REQUESTER)):
        half = rules.apply_answer(pending(), first, Answer.ACCEPTED, today=TODAY)
        assert half.status is IntroductionStatus.PENDING and half.answer_of(first) is Answer.ACCEPTED
        both = rules.apply_answer(half, second, Answer.ACCEPTED, today=TODAY)
        assert both.status is IntroductionStatus.ESTABLISHED
        assert rules.contacts_visible(both.status) and not rules.contacts_visible(half.status)


def test_one_decline_ends_it_whoever_declines():
    assert rules.apply_answer(pending(), Side.CANDIDATE, Answer.DECLINED, today=TODAY).status is \
        IntroductionStatus.DECLINED
    accepted_first = pending(candidate=Answer.ACCEPTED)
    assert rules.apply_answer(accepted_first, Side.REQUESTER, Answer.DECLINED, today=TODAY).status is \
        IntroductionStatus.DECLINED


def test_answering_the_same_again_is_harmless_and_changing_it_is_refused():
    state = pending(requester=Answer.ACCEPTED)
    assert rules.apply_answer(state, Side.REQUESTER, Answer.ACCEPTED, today=TODAY) == state
    with pytest.raises(Conflict) as refused:
        rules.apply_answer(state, Side.REQUESTER, Answer.DECLINED, today=TODAY)
    assert refused.value.field == "answer" and refused.value.code == "already_answered"


def test_no_answer_after_the_introduction_closed_or_expired():
    declined = IntroductionState(IntroductionStatus.DECLINED, Answer.DECLINED, None, TODAY)
    with pytest.raises(Conflict) as closed:
        rules.apply_answer(declined, Side.CANDIDATE, Answer.ACCEPTED, today=TODAY)
    assert closed.value.code == "introduction_closed"
    late = pending(answer_by=TODAY - timedelta(days=1))
    with pytest.raises(Conflict) as too_late:
        rules.apply_answer(late, Side.CANDIDATE, Answer.ACCEPTED, today=TODAY)
    assert too_late.value.code == "expired"
    assert rules.apply_answer(pending(answer_by=TODAY), Side.CANDIDATE, Answer.ACCEPTED, today=TODAY).status is \
        IntroductionStatus.PENDING  # the answer-by day itself still counts
    assert rules.expired(late, today=TODAY) and not rules.expired(pending(answer_by=TODAY), today=TODAY)


def test_reminders_go_to_unanswered_sides_every_three_days_twice_at_most():
    state = pending(requester=Answer.ACCEPTED)
    assert rules.sides_to_remind(state, reminders_sent=0, last_contact=NOW - timedelta(days=2), now=NOW) == []
    assert rules.sides_to_remind(state, reminders_sent=0, last_contact=NOW - timedelta(days=3), now=NOW) == \
        [Side.CANDIDATE]
    assert rules.sides_to_remind(pending(), reminders_sent=1, last_contact=NOW - timedelta(days=4), now=NOW) == \
        [Side.REQUESTER, Side.CANDIDATE]
    assert rules.sides_to_remind(pending(), reminders_sent=2, last_contact=NOW - timedelta(days=9), now=NOW) == []
    assert rules.sides_to_remind(pending(answer_by=TODAY - timedelta(days=1)), reminders_sent=0,
                                 last_contact=NOW - timedelta(days=9), now=NOW) == []


def test_answer_by_defaults_to_two_weeks_within_the_deadline():
    assert rules.answer_by_date(None, today=TODAY, deadline=TODAY + timedelta(days=60)) == TODAY + timedelta(days=14)
    assert rules.answer_by_date(None, today=TODAY, deadline=TODAY + timedelta(days=5)) == TODAY + timedelta(days=5)
    with pytest.raises(RuleViolation) as after:
        rules.answer_by_date(TODAY + timedelta(days=61), today=TODAY, deadline=TODAY + timedelta(days=60))
    assert after.value.field == "answer_by"
    with pytest.raises(RuleViolation):
        rules.answer_by_date(TODAY - timedelta(days=1), today=TODAY, deadline=TODAY + timedelta(days=60))


def test_only_staff_answer_for_the_candidate():
    rules.check_answering_side(Side.CANDIDATE, is_staff=True, is_requesting_municipality=False)
    rules.check_answering_side(Side.REQUESTER, is_staff=False, is_requesting_municipality=True)
    with pytest.raises(Forbidden):
        rules.check_answering_side(Side.CANDIDATE, is_staff=False, is_requesting_municipality=True)
    with pytest.raises(Forbidden):
        rules.check_answering_side(Side.REQUESTER, is_staff=False, is_requesting_municipality=False)


def test_profiles():
    rules.check_profile(country="NO", organisation_type="county_council", region=None, capacity=2)
    rules.check_profile(country="LT", organisation_type="municipality", region="KU", capacity=1,
                        municipality_code="16")
    for changes, field in ((dict(region=None), "region"), (dict(municipality_code=None), "municipality_code")):
        values = dict(country="LT", organisation_type="municipality", region="KU", capacity=1, municipality_code="16")
        values.update(changes)
        with pytest.raises(RuleViolation) as refused:
            rules.check_profile(**values)
        assert refused.value.field == field
    with pytest.raises(RuleViolation) as foreign:
        rules.check_profile(country="NO", organisation_type="municipality", region=None, capacity=1,
                            municipality_code="16")
    assert foreign.value.field == "municipality_code"
    with pytest.raises(RuleViolation):
        rules.check_capacity_change(capacity=1, active_partnerships=2)


def test_renewal_is_due_a_month_ahead_once_per_expiry():
    expires = NOW + timedelta(days=29)
    assert rules.renewal_due(expires_at=expires, reminded_for=None, now=NOW)
    assert not rules.renewal_due(expires_at=expires, reminded_for=expires, now=NOW)
    assert not rules.renewal_due(expires_at=NOW + timedelta(days=31), reminded_for=None, now=NOW)
    assert rules.renewal_due(expires_at=expires + timedelta(days=365), reminded_for=expires,
                             now=NOW + timedelta(days=370))
    assert rules.profile_expiry(NOW) == NOW + timedelta(days=365)


@pytest.mark.parametrize("direction, country, field", [
    ("to_lithuania", "NO", "country"), ("to_partner", "LT", "country")])
def test_a_visit_takes_place_where_its_direction_says(direction, country, field):
    with pytest.raises(RuleViolation) as refused:
        rules.check_visit(starts_on=TODAY, ends_on=TODAY, established_on=TODAY,
                          direction=rules.VisitDirection(direction), country=country, partner_country="NO")
    assert refused.value.field == field
    rules.check_visit(starts_on=TODAY, ends_on=TODAY, established_on=TODAY, direction=rules.VisitDirection.TO_PARTNER,
                      country="NO", partner_country="NO")


def test_the_report_counts_partnerships_by_country_and_theme_and_visits_both_ways():
    report = partnership_report(
        [PartnershipFact("NO", ("regional_development", "education"), "active"),
         PartnershipFact("NO", ("education",), "completed"),
         PartnershipFact("IS", ("social_services",), "active")],
        [VisitFact("NO", "to_partner", 12), VisitFact("NO", "to_lithuania", 5), VisitFact("NO", "to_partner", 3),
         VisitFact("IS", "to_lithuania", 4)],
    )
    assert report["partnerships"] == 3
    assert report["visits"] == {"to_partner": 2, "to_lithuania": 2, "participants": 24}
    assert report["by_country"] == [
        {"country": "NO", "partnerships": 2, "active": 1, "completed": 1, "visits_to_partner": 2,
         "visits_to_lithuania": 1, "participants": 20},
        {"country": "IS", "partnerships": 1, "active": 1, "completed": 0, "visits_to_partner": 0,
         "visits_to_lithuania": 1, "participants": 4}]
    assert [(t["theme"], t["partnerships"]) for t in report["by_theme"]] == [
        ("education", 2), ("regional_development", 1), ("social_services", 1)]
    assert report["by_theme"][0]["label"]["en"] == "Education and lifelong learning"


def test_scrubbing_finds_the_person_anywhere_in_a_document_by_address_case_insensitively():
    document = {"requester": {"name": "Ona", "email": "Ona@Krs.lt"},
                "candidates": [{"name": "Hordaland", "contact": {"name": "Kari", "email": "kari@h.no"}}],
                "participants": [{"name": "Ona", "email": "ona@krs.lt", "role": "x"}]}
    scrubbed, found = scrub_people(document, "ONA@krs.lt")
    assert found == 2
    assert scrubbed["requester"] == {"name": ERASED_NAME, "email": pseudonym_email("ona@krs.lt")}
    assert scrubbed["candidates"] == document["candidates"]
    assert "ona@krs.lt" not in str(scrubbed).lower()
    assert pseudonym_email("Ona@Krs.lt") == pseudonym_email("ona@krs.lt").lower()


# ---------------------------------------------------------------- moved out of the service class

def test_an_answer_outcome_says_whether_it_changed_anything_and_whether_it_establishes():
    half = rules.answer_introduction(pending(), Side.REQUESTER, Answer.ACCEPTED, today=TODAY)
    assert half.changed and not half.establishes and half.state.status is IntroductionStatus.PENDING
    both = rules.answer_introduction(half.state, Side.CANDIDATE, Answer.ACCEPTED, today=TODAY)
    assert both.changed and both.establishes
    again = rules.answer_introduction(both.state, Side.CANDIDATE, Answer.ACCEPTED, today=TODAY)
    assert not again.changed and not again.establishes and again.state == both.state
    declined = rules.answer_introduction(half.state, Side.CANDIDATE, Answer.DECLINED, today=TODAY)
    assert declined.changed and not declined.establishes
    assert rules.unanswered_sides(half.state) == [Side.CANDIDATE]
    assert rules.unanswered_sides(pending()) == [Side.REQUESTER, Side.CANDIDATE]


def test_the_municipality_picking_a_candidate_has_accepted_and_links_last_the_answer_by_day():
    picked = rules.new_introduction(answer_by=TODAY, picked_by_requester=True)
    assert picked == pending(requester=Answer.ACCEPTED, answer_by=TODAY)
    assert rules.new_introduction(answer_by=TODAY, picked_by_requester=False) == pending(answer_by=TODAY)
    assert rules.answer_link_expiry(TODAY) == datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_the_capacity_rule_and_places_taken_and_freed():
    rules.check_free_capacity(name="Hordaland", capacity=2, active_partnerships=1)
    with pytest.raises(Conflict) as refused:
        rules.check_free_capacity(name="Hordaland", capacity=2, active_partnerships=2)
    assert refused.value.code == "full_capacity" and "Hordaland" in str(refused.value)
    assert rules.place_taken(active_partnerships=1, partnerships_total=4) == (2, 5)
    assert rules.place_freed(1) == 0 and rules.place_freed(0) == 0
    assert rules.free_capacity(capacity=2, active_partnerships=3) == 0
    assert rules.free_capacity(capacity=3, active_partnerships=1) == 2


def test_letters_are_signed_around_the_partnership_and_reports_cover_a_year():
    rules.check_letter(signed_on=TODAY - timedelta(days=365), established_on=TODAY)
    with pytest.raises(RuleViolation):
        rules.check_letter(signed_on=TODAY - timedelta(days=366), established_on=TODAY)
    assert rules.report_period(None) == (None, None)
    assert rules.report_period(2026) == (datetime(2026, 1, 1, tzinfo=timezone.utc),
                                         datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert rules.renewal_key_expiry(NOW) == NOW + timedelta(days=90)


def test_an_address_named_in_free_text_is_replaced_whatever_its_case():
    from services.partners.domain.privacy import replace_address

    text = "write to Kari@Hordaland.no or kari@hordaland.no"
    replaced = replace_address(text, "kari@hordaland.no")
    assert "hordaland.no" not in replaced.lower()
    assert replaced.count(pseudonym_email("kari@hordaland.no")) == 2 and replaced.startswith("write to ")
