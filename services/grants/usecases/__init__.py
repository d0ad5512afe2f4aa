"""The grants application layer: one module per capability, each a few functions that take the
worker's unit of work (shared.persistence.unit_of_work.UnitOfWork) and plain inputs (the validated
request bodies, the principal or the enforced tenant), load through the repository, apply the rules
in domain/, emit events with `uow.emit` and commit. The nameko service (service.py) only maps its
entrypoints to them; the tests call them directly against a migrated SQLite database.

    catalogue       programmes, their funded projects, calls (grants.call_published)
    idea_fit        which calls fit a municipality's idea, rule by rule
    applications    starting, reading, listing, exporting and editing applications, checklists
    transitions     the workflow: moves, the funder's decision, the final report
    consultations   the consultation log
    partner_search  the partners service's events shown on the application
    reminders       deadline reminders (the timer)
    reports         amounts and success rates by status, funder, theme, municipality or call
    erasure         the right to be forgotten (privacy.erasure_requested)
    joint           joint applications: the partnership, partners' answers, each municipality's share

HTTP use cases commit; event use cases do not (the @subscribe wrapper commits the effect with the
inbox row)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.grants.repository import GrantsRepository
from shared.persistence.unit_of_work import UnitOfWork

# Deadlines are calendar days in Lithuania.
LOCAL_TIME = ZoneInfo("Europe/Vilnius")


def local_today() -> date:
    return datetime.now(LOCAL_TIME).date()


def repository(uow: UnitOfWork) -> GrantsRepository:
    return GrantsRepository(uow.session)
