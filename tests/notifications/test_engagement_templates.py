"""The consulting engagement e-mails (issue 20 item 1) in Lithuanian and English: what each says."""

from tests.notifications.test_templates import render


def test_agreement_names_the_group_the_consultant_and_the_deliverables():
    lt, en = render("engagement_agreed", "lt"), render("engagement_agreed", "en")
    assert lt.subject.startswith("Konsultavimas suderintas: Organizacijos plėtros studija")
    assert "Kauno miesto savivaldybė, Alytaus miesto savivaldybė" in lt.text
    assert "Konsultantas: Tomas Kazlauskas" in lt.text and "Analizės ataskaita / study report: iki " in lt.text
    assert "d.." not in lt.text  # a Lithuanian date ends in "d." and no second full stop follows
    assert "Kaunas City Municipality, Alytus City Municipality" in en.text and "Public-service quality" in en.text


def test_reminder_closure_decline_and_a_new_consultant():
    assert render("engagement_deliverable_due", "lt").subject.startswith("Liko 7 dienos: Analizės ataskaita")
    assert render("engagement_deliverable_due", "en").subject.startswith("7 days left: Analizės ataskaita")
    closed = render("engagement_closed", "lt")
    assert "tikslai pasiekti iš dalies" in closed.text and "Pavėluotų rezultatų: 1." in closed.text
    assert "partly achieved" in render("engagement_closed", "en").text
    assert "Priežastis: centras neturi laisvų konsultantų" in render("engagement_declined", "lt").text
    taken_over = render("engagement_consultant_assigned", "en")
    assert taken_over.subject.startswith("New consultant:")
    assert "led by Tomas Kazlauskas" in taken_over.text and "taking over from Jonas Jonaitis" in taken_over.text
    assert "perėmęs jį iš Jonas Jonaitis" in render("engagement_consultant_assigned", "lt").text
