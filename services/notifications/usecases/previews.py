"""The templates, the events they tell, and previews rendered with an example event or the
event data an operator gives."""

from __future__ import annotations

from pydantic import ValidationError

from services.notifications.domain.tellers import TELLERS
from services.notifications.examples import example_digest_items, example_event
from services.notifications.rendering import TemplateLibrary, UnknownTemplate
from services.notifications.schemas import PreviewIn, PreviewOut, TemplateOut
from shared.errors import NotFound
from shared.events import model_for
from shared.http import validation_problem
from shared.persistence.schema import utcnow

TEMPLATES = TemplateLibrary()


def templates(library: TemplateLibrary = TEMPLATES) -> list[TemplateOut]:
    """Every template with the event types it tells and their category."""
    out = []
    for name in library.names():
        tellers = {t: teller for t, teller in TELLERS.items() if teller.template == name}
        first = next(iter(tellers.values()), None)
        out.append(TemplateOut(name=name, event_types=sorted(tellers), category=first.category if first else "digest",
                               critical=bool(first and first.critical), languages=["lt", "en"]))
    return out


class _Example:
    def __init__(self, language: str):
        self.name = "Rūta Petrauskienė" if language == "lt" else "Ruth Peterson"
        self.email = "example@savivalda.example"


def preview(name: str, body: PreviewIn, library: TemplateLibrary = TEMPLATES) -> PreviewOut:
    """Render a template with its example event, or with the event data given (422 naming
    `data.<field>` when it is not a valid event of the template's type)."""
    if name not in library.names():
        raise NotFound("template", name)
    example = _Example(body.language)
    try:
        if name == "daily_digest":
            rendered = library.render(name, body.language, recipient=example, now=utcnow(),
                                      items=example_digest_items())
        else:
            event = example_event(name)
            if body.data is not None:
                try:
                    event = model_for(type(event).event_type).model_validate(body.data)
                except ValidationError as error:
                    problem = validation_problem(error, "body")
                    for item in problem.errors:
                        item["field"] = f"data.{item['field']}"
                    raise problem from None
            rendered = library.render(name, body.language, recipient=example, now=utcnow(), event=event)
    except UnknownTemplate:
        raise NotFound("template", name) from None
    return PreviewOut(template=name, language=rendered.language, subject=rendered.subject, text=rendered.text,
                      html=rendered.html)
