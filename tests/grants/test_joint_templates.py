"""The joint application e-mails (issue 19 item 5) in Lithuanian and English: what each says."""

from tests.notifications.test_templates import render


def test_a_partner_is_asked_to_confirm_its_part_in_both_languages():
    lt, en = render("joint_partner_added", "lt"), render("joint_partner_added", "en")
    assert lt.subject.startswith("Bendra paraiška: Viešųjų paslaugų kokybė") and en.subject.endswith("confirm your part")
    assert "Kauno miesto savivaldybė kartu su partnerėmis" in lt.text and "Partnerė: Alytaus miesto savivaldybė" in lt.text
    assert "biudžeto dalis 40 000,00 €, nuosavas įnašas 6 000,00 €, dotacijos dalis 34 000,00 €" in lt.text
    assert "Kaunas City Municipality applies with partner municipalities" in en.text
    assert "budget share €40,000.00, own contribution €6,000.00, grant share €34,000.00" in en.text


def test_a_changed_part_a_removal_and_the_answers():
    changed = render("joint_partner_changed", "en")
    assert "before: budget share €30,000.00, own contribution €4,500.00" in changed.text
    assert "confirm the changed part again" in changed.text
    assert "anksčiau: biudžeto dalis 30 000,00 €" in render("joint_partner_changed", "lt").text
    assert "is no longer a partner" in render("joint_partner_removed", "en").text
    assert "nebėra partnerė" in render("joint_partner_removed", "lt").text
    confirmed = render("joint_partner_confirmed", "lt")
    assert confirmed.subject.startswith("Partnerė patvirtino dalį: Alytaus miesto savivaldybė")
    assert "Pastaba: Tarybos sprendimas Nr. T-12" in confirmed.text
    declined = render("joint_partner_declined", "en")
    assert "Alytus City Municipality declined its part" in declined.text
    assert "Change the partnership before the application is submitted." in declined.text
