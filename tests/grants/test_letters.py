"""Issue 17 item 2: a letter of intent ticks the grants checklist item it stands for."""

from services.grants.domain.partners import document_for_letter


def test_a_partners_letter_stands_for_the_partnership_letter_once():
    checklist = [("application_form", "missing"), ("budget", "ready"), ("partnership_letter", "missing")]
    assert document_for_letter("partner", checklist) == "partnership_letter"
    assert document_for_letter("partner", [("letter_of_intent", "in_progress")]) == "letter_of_intent"
    # Already done (ready, or waived by the centre): nothing to tick.
    assert document_for_letter("partner", [("partnership_letter", "ready")]) is None
    assert document_for_letter("partner", [("partnership_letter", "not_applicable")]) is None
    # The municipality's own letter, or a call asking for no such document: nothing.
    assert document_for_letter("requester", checklist) is None
    assert document_for_letter("partner", [("budget", "missing")]) is None
