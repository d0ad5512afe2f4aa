"""Joint applications' rules (services/grants/domain/joint.py): plain Python, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.grants.domain import joint
from services.grants.domain.joint import Part, PartnershipState
from services.grants.domain.reports import ApplicationFacts, report, totals
from shared.errors import Conflict, RuleViolation

D = Decimal
RATE = D("0.85")
KAUNAS = Part("15", D("60000.00"), D("9000.00"))
ALYTUS = Part("02", D("40000.00"), D("6000.00"))


def check(lead=KAUNAS, partners=(ALYTUS,), status="drafting", total=D("100000.00"), own=D("15000.00"), rate=RATE,
          eligible=None):
    joint.check_partnership(status=status, lead=lead, partners=list(partners), total_eligible_cost_eur=total,
                            own_contribution_eur=own, max_funding_rate=rate, eligible=eligible)


def violation(**kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as raised:
        check(**kwargs)
    return raised.value


def test_parts_adding_up_within_the_rate_pass():
    check()
    check(partners=(), lead=Part("15", D("100000.00"), D("15000.00")))


def test_shares_must_add_up_to_the_total_and_say_what_the_lead_would_have():
    wrong = violation(lead=Part("15", D("50000.00"), D("9000.00")))
    assert wrong.field == "partners"
    assert "€90,000.00" in wrong.detail and "€100,000.00" in wrong.detail and "€60,000.00" in wrong.detail


def test_own_contributions_must_add_up_to_the_applications():
    wrong = violation(lead=Part("15", D("60000.00"), D("10000.00")))
    assert wrong.field == "partners" and "own contributions add up to €16,000.00" in wrong.detail


def test_each_part_within_the_calls_rate():
    wrong = violation(partners=(Part("02", D("40000.00"), D("5999.99")),), lead=Part("15", D("60000.00"), D("9000.01")))
    assert wrong.field == "partners.0.own_contribution_eur" and "at least €6,000.00" in wrong.detail
    assert violation(partners=(Part("02", D("40000.00"), D("40000.01")),)).field == "partners.0.own_contribution_eur"
    assert violation(lead=Part("15", D("0"), D("0"))).field == "lead.budget_share_eur"


def test_the_lead_is_no_partner_and_no_partner_twice_and_only_eligible_ones():
    assert violation(partners=(Part("15", D("40000.00"), D("6000.00")),)).field == "partners.0.municipality_code"
    twice = violation(partners=(Part("02", D("20000.00"), D("3000.00")), Part("02", D("20000.00"), D("3000.00"))))
    assert twice.field == "partners.1.municipality_code" and "twice" in twice.detail
    outside = violation(eligible={"15", "16"})
    assert outside.field == "partners.0.municipality_code" and "not open to municipality 02" in outside.detail
    many = [Part(f"{n:02d}", D("1000.00"), D("150.00")) for n in range(20, 30)]
    assert violation(partners=many).field == "partners"


def test_changes_only_in_preparation():
    for status in ("idea", "drafting", "internal_review"):
        check(status=status)
    for status in ("submitted", "awarded", "contracted", "withdrawn"):
        with pytest.raises(Conflict) as closed:
            check(status=status)
        assert closed.value.code == "partnership_closed"


def test_an_answer_is_kept_only_while_the_figures_stay():
    assert joint.answer_after_change(ALYTUS, ALYTUS, "confirmed") == "confirmed"
    assert joint.answer_after_change(ALYTUS, Part("02", D("40000.00"), D("7000.00")), "confirmed") == "pending"
    assert joint.answer_after_change(None, ALYTUS, None) == "pending"


def test_a_confirmation_names_the_figures_as_they_are():
    joint.check_answer(status="drafting", part=ALYTUS, current_answer="pending", answer="confirmed",
                       budget_share_eur=D("40000.00"), own_contribution_eur=D("6000.00"))
    with pytest.raises(Conflict) as changed:
        joint.check_answer(status="drafting", part=ALYTUS, current_answer="pending", answer="confirmed",
                           budget_share_eur=D("30000.00"), own_contribution_eur=D("6000.00"))
    assert changed.value.code == "part_changed" and "€40,000.00" in changed.value.detail
    with pytest.raises(RuleViolation) as missing:
        joint.check_answer(status="drafting", part=ALYTUS, current_answer="pending", answer="confirmed",
                           budget_share_eur=None, own_contribution_eur=None)
    assert missing.value.field == "budget_share_eur"
    with pytest.raises(Conflict):
        joint.check_answer(status="drafting", part=ALYTUS, current_answer="declined", answer="declined",
                           budget_share_eur=None, own_contribution_eur=None)
    with pytest.raises(Conflict):
        joint.check_answer(status="submitted", part=ALYTUS, current_answer="pending", answer="declined",
                           budget_share_eur=None, own_contribution_eur=None)


def test_submission_waits_for_every_confirmation_and_a_balanced_partnership():
    state = PartnershipState(KAUNAS, (ALYTUS,), {"02": "pending"})
    ready = dict(total_eligible_cost_eur=D("100000.00"), own_contribution_eur=D("15000.00"), max_funding_rate=RATE)
    with pytest.raises(RuleViolation) as waiting:
        joint.check_ready_to_submit(state, **ready)
    assert waiting.value.field == "partnership" and "not confirmed: 02" in waiting.value.detail
    joint.check_ready_to_submit(PartnershipState(KAUNAS, (ALYTUS,), {"02": "confirmed"}), **ready)
    with pytest.raises(RuleViolation) as unbalanced:  # the budget changed since the parts were set
        joint.check_ready_to_submit(PartnershipState(KAUNAS, (ALYTUS,), {"02": "confirmed"}),
                                    **{**ready, "total_eligible_cost_eur": D("110000.00")})
    assert unbalanced.value.field == "partnership"
    with pytest.raises(RuleViolation) as declined:
        joint.check_ready_to_submit(PartnershipState(KAUNAS, (ALYTUS,), {"02": "declined"}), **ready)
    assert "declined: 02" in declined.value.detail
    joint.check_ready_to_submit(None, **ready)  # not joint


def test_apportion_adds_up_to_the_cent():
    assert joint.apportion(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    assert joint.apportion(D("85000.00"), [D("51000"), D("34000")]) == [D("51000.00"), D("34000.00")]
    assert joint.apportion(D("0.01"), [D(0), D(0)]) == [D("0.01"), D("0.00")]
    parts = joint.apportion(D("12345.67"), [D("7"), D("11"), D("13")])
    assert sum(parts) == D("12345.67")


def test_reports_count_each_municipalitys_share():
    facts = ApplicationFacts(status="completed", funder="Norway Grants", themes=("anti_corruption",),
                             municipality_code="15", call_code="C", requested_grant_eur=D("85000.00"),
                             awarded_grant_eur=D("80000.00"), final_cost_eur=D("90000.00"),
                             final_grant_eur=D("76500.00"), paid_eur=D("76500.00"))
    shares = joint.shares_of(facts, [KAUNAS, ALYTUS])  # grants 51,000 and 34,000: 60 % and 40 %
    assert [(s.municipality_code, s.requested_grant_eur, s.awarded_grant_eur, s.final_cost_eur, s.final_grant_eur)
            for s in shares] == [("15", D("51000.00"), D("48000.00"), D("54000.00"), D("45900.00")),
                                 ("02", D("34000.00"), D("32000.00"), D("36000.00"), D("30600.00"))]
    rows = {r.group: r for r in report(shares, "municipality")}
    assert rows["02"].applications == 1 and rows["02"].successful == 1 and rows["02"].paid_eur == D("30600.00")
    whole = totals([facts])
    assert sum(r.requested_eur for r in rows.values()) == whole.requested_eur == D("85000.00")
