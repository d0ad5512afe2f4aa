"""Every template renders in Lithuanian and English with its example event."""

from datetime import datetime, timezone

import pytest

from services.notifications.examples import example_digest_items, example_event
from services.notifications.rendering import TemplateLibrary, UnknownTemplate
from services.notifications.domain.tellers import TELLERS

LIBRARY = TemplateLibrary()
NOW = datetime.now(timezone.utc)


class Someone:
    name = "Rūta Petrauskienė"
    email = "ruta.petrauskiene@example.lt"


def render(template, language):
    if template == "daily_digest":
        return LIBRARY.render(template, language, recipient=Someone(), now=NOW, items=example_digest_items(),
                              unsubscribe_url="https://savivalda.example/u?token=x")
    return LIBRARY.render(template, language, recipient=Someone(), now=NOW, event=example_event(template),
                          unsubscribe_url="https://savivalda.example/u?token=x")


@pytest.mark.parametrize("template", LIBRARY.names())
@pytest.mark.parametrize("language", ["lt", "en"])
def test_every_template_renders_in_both_languages(template, language):
    rendered = render(template, language)
    assert rendered.language == language
    assert rendered.subject and "\n" not in rendered.subject
    assert "Rūta Petrauskienė" in rendered.text and "Rūta Petrauskienė" in rendered.html
    assert "https://savivalda.example/u?token=x" in rendered.text
    greeting = "Sveiki" if language == "lt" else "Dear"
    assert rendered.text.startswith(greeting)


def test_every_teller_has_a_template():
    names = set(LIBRARY.names())
    assert {teller.template for teller in TELLERS.values()} <= names


def test_lithuanian_forms_in_templates():
    call = render("call_published", "lt")
    assert "liko 45 dienos" in call.text or "liko 44 dienos" in call.text
    assert "Finansavimo intensyvumas iki 85 %" in call.text
    assert "Viešųjų paslaugų kokybė" in call.text  # theme labels in the recipient's language
    matches = render("matches_proposed", "lt")
    assert matches.subject == "Pasiūlyti partneriai: 2 kandidatai"
    assert "tinkamumas 82 iš 100" in matches.text  # the partners score is out of 100
    english = render("matches_proposed", "en")
    assert english.subject == "Partner candidates proposed: 2 candidates"
    partnership = render("partnership_established", "en")
    assert "Ingrid Haugen" in partnership.text  # the Lithuanian side sees the Norwegian contact
    certificate = render("certificate_issued", "lt")
    assert "(6 valandos)" in certificate.text and "SAV-2026-00042" in certificate.subject
    assert "Liko 7 dienos: oficialus terminas" in render("call_deadline_approaching", "lt").subject
    assert "255 000,00 €" in render("application_created", "lt").text
    assert "vidinė peržiūra" in render("application_status_changed", "lt").subject
    waived = render("document_waived", "lt")
    assert "Partnerystės raštas" in waived.subject and "kvietimas partnerio nereikalauja" in waived.text
    assert "Letter of partnership" in render("document_waived", "en").subject
    final = render("final_report_filed", "lt")
    assert "finansavimas mažinamas 1 800,00 €" in final.subject and "Galutinės išlaidos: 92 000,00 €" in final.text
    assert "iki 85 % galutinių išlaidų" in final.text
    english = render("final_report_filed", "en")
    assert "grant reduced by €1,800.00" in english.subject and "The grant shrinks by €1,800.00" in english.text
    reminder = render("reporting_deadline_approaching", "lt")
    assert reminder.subject.startswith("Liko 7 dienos: tarpinės ataskaitos terminas")
    assert "7 days left: interim report" in render("reporting_deadline_approaching", "en").subject
    claim = render("payment_claim_changed", "lt")
    assert "Mokėjimo prašymas Nr. 1 patvirtintas" in claim.subject and "patvirtinta 40 000,00 €" in claim.text
    assert "€40,000.00 approved" in render("payment_claim_changed", "en").text
    amended = render("project_amended", "en")
    assert "grant: €80,000.00 → €76,500.00" in amended.text and "the tender came in lower" in amended.text
    assert "finansavimas: 80 000,00 € → 76 500,00 €" in render("project_amended", "lt").text
    planned = render("implementation_planned", "lt")
    assert "tarpinė – " in planned.text and "galutinė – " in planned.text
    assert render("project_report_submitted", "en").subject.startswith("Report submitted (interim)")
    # Two-stage calls: alerts and reminders name the stage; an invitation and a stage-1 rejection say so.
    def with_(template, language, **changes):
        return LIBRARY.render(template, language, recipient=Someone(), now=NOW,
                              event=example_event(template).model_copy(update=changes))
    concept = with_("call_deadline_approaching", "lt", stage="concept_note", deadline_kind="first_stage")
    assert "pirmojo etapo terminas (projekto idėja)" in concept.subject
    assert "Etapas: 1 – projekto idėja (koncepcija)" in concept.text
    full = with_("call_deadline_approaching", "en", stage="full_application")
    assert "official deadline (full application)" in full.subject and "Stage: 2, the full application" in full.text
    invited = with_("application_decided", "lt", outcome="invited", stage="concept_note", awarded_grant_eur=None)
    assert invited.subject.startswith("Kviečiama teikti visą paraišką") and "1 etapas" in invited.text
    assert with_("application_decided", "en", outcome="rejected", stage="concept_note",
                 awarded_grant_eur=None).subject.startswith("Concept note rejected")
    alert = with_("call_published", "en", first_stage_closes_on=NOW.date())
    assert "Two stages: 1. a concept note by" in alert.text
    assert "Dviejų etapų kvietimas" in with_("call_published", "lt", first_stage_closes_on=NOW.date()).text
    moved = with_("application_status_changed", "en", stage="full_application")
    assert "(stage 2, the full application) moved from" in moved.text
    class Norwegian:
        name, email = "Ingrid Haugen", "ingrid.haugen@example.no"

    intro = LIBRARY.render("introduction_sent", "en", recipient=Norwegian(), now=NOW,
                           event=example_event("introduction_sent"))
    assert "/answer/cand" in intro.text and "/answer/req" not in intro.text  # each side its own link
    cancelled = render("enrollment_cancelled", "en")
    assert "has been cancelled" in cancelled.text and "the trainer fell ill" in cancelled.text


def test_an_unknown_template_is_refused():
    with pytest.raises(UnknownTemplate):
        LIBRARY.render("no_such_template", "lt", recipient=Someone(), now=NOW)

