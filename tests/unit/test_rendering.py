import uuid
from datetime import datetime, timedelta, timezone

from services.notifications.rendering import TemplateLibrary
from shared.events.enrollment import EnrollmentConfirmed
from shared.events.types import LocalizedText, Person

NOW = datetime(2026, 11, 24, 8, tzinfo=timezone.utc)


def event(name="Ona Onaitė", language="lt", fee="12.50"):
    return EnrollmentConfirmed(
        enrollment_id=uuid.uuid4(), session_id=uuid.uuid4(), course_id=uuid.uuid4(),
        course_title=LocalizedText(lt="Biudžeto planavimas", en="Budget planning"),
        starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=6), venue="Kaunas", fee_eur=fee,
        participant=Person(name=name, email="ona@example.lt", municipality_code="15", language=language),
    )


class Recipient:
    def __init__(self, name):
        self.name = name


def test_every_template_exists_in_both_languages():
    library = TemplateLibrary()
    assert "enrollment_confirmed" in library.names()
    for name in library.names():
        assert library.has(name, "lt") and library.has(name, "en")


def test_lithuanian_and_english_renderings():
    library = TemplateLibrary()
    lt = library.render("enrollment_confirmed", "lt", event=event(), recipient=Recipient("Ona Onaitė"), now=NOW)
    assert lt.subject == "Registracija patvirtinta: Biudžeto planavimas"
    assert "liko 3 dienos" in lt.text and "12,50 €" in lt.text and "2026 m. lapkričio 27 d." in lt.text
    en = library.render("enrollment_confirmed", "en", event=event(language="en"), recipient=Recipient("John"), now=NOW)
    assert en.subject == "Enrolment confirmed: Budget planning"
    assert "starts in 3 days" in en.text and "27 November 2026" in en.text and en.language == "en"


def test_html_escapes_what_people_typed_but_plain_text_keeps_it():
    library = TemplateLibrary()
    nasty = '<script>alert("x")</script>'
    rendered = library.render("enrollment_confirmed", "lt", event=event(name=nasty), recipient=Recipient(nasty), now=NOW)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert nasty in rendered.text


def test_an_unknown_language_falls_back_to_lithuanian():
    rendered = TemplateLibrary().render("enrollment_confirmed", "de", event=event(), recipient=Recipient("Ona"), now=NOW)
    assert rendered.language == "lt"
