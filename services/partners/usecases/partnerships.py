"""Partnerships after a double opt-in: letters of intent (partners.letter_of_intent_recorded),
visits both ways, completion (the partner's place freed)."""

from __future__ import annotations

import uuid

from services.partners.domain.rules import (
    VisitDirection,
    check_letter,
    check_partnership_open,
    check_visit,
    place_freed,
)
from services.partners.models import LetterOfIntent, Partnership, Visit
from services.partners.repository import PartnersRepository
from services.partners.schemas import LetterIn, LetterOut, PartnershipOut, PartnershipQuery, VisitIn, VisitOut
from services.partners.views import partnership_out, visit_out
from shared.events.partners import LetterOfIntentRecorded
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def find(uow: UnitOfWork, query: PartnershipQuery, tenant: str | None) -> list[PartnershipOut]:
    """`tenant` is the enforced municipality filter (None: every municipality)."""
    found = PartnersRepository(uow.session).partnerships(municipality_code=tenant, request_id=query.request_id)
    return [shown(uow, p) for p in found]


def get(uow: UnitOfWork, partnership_id: uuid.UUID) -> PartnershipOut:
    return shown(uow, PartnersRepository(uow.session).partnership(partnership_id))


def record_letter(uow: UnitOfWork, partnership_id: uuid.UUID, body: LetterIn) -> LetterOut:
    repository = PartnersRepository(uow.session)
    partnership = repository.partnership(partnership_id)
    check_partnership_open(partnership.status)
    check_letter(signed_on=body.signed_on, established_on=partnership.established_at.date())
    letter = LetterOfIntent(id=uuid.uuid4(), partnership_id=partnership.id, issued_by=body.issued_by,
                            signed_on=body.signed_on, reference=body.reference, note=body.note,
                            created_at=utcnow())
    repository.add(letter)
    organisation = repository.organisation(partnership.organisation_id)
    uow.emit(LetterOfIntentRecorded(
        letter_id=letter.id, partnership_id=partnership.id, partner_request_id=partnership.request_id,
        application_id=partnership.application_id, municipality_code=partnership.municipality_code,
        organisation_id=organisation.id, organisation_name=organisation.name, issued_by=body.issued_by,
        signed_on=body.signed_on, reference=body.reference,
    ), subject=str(partnership.id))
    uow.commit()
    return LetterOut.model_validate(letter, from_attributes=True)


def record_visit(uow: UnitOfWork, partnership_id: uuid.UUID, body: VisitIn) -> VisitOut:
    repository = PartnersRepository(uow.session)
    partnership = repository.partnership(partnership_id)
    check_visit(starts_on=body.starts_on, ends_on=body.ends_on, established_on=partnership.established_at.date(),
                direction=VisitDirection(body.direction), country=body.country,
                partner_country=partnership.country)
    participants = [p.model_dump(mode="json") for p in body.participants]
    visit = Visit(id=uuid.uuid4(), partnership_id=partnership.id, direction=body.direction,
                  starts_on=body.starts_on, ends_on=body.ends_on, place=body.place, country=body.country,
                  purpose=body.purpose, participants=participants, participants_count=len(participants),
                  created_at=utcnow())
    repository.add(visit)
    uow.commit()
    return visit_out(visit)


def complete(uow: UnitOfWork, partnership_id: uuid.UUID) -> PartnershipOut:
    """The project ended: the partnership is completed and the partner's place freed."""
    repository = PartnersRepository(uow.session)
    partnership = repository.partnership(partnership_id, lock=True)
    check_partnership_open(partnership.status)
    now = utcnow()
    organisation = repository.organisation(partnership.organisation_id, lock=True)
    organisation.active_partnerships = place_freed(organisation.active_partnerships)
    repository.touch(organisation, now)
    partnership.status, partnership.completed_at = "completed", now
    uow.commit()
    return shown(uow, partnership)


def shown(uow: UnitOfWork, partnership: Partnership) -> PartnershipOut:
    """A partnership with its partner's name, letters of intent and visits."""
    repository = PartnersRepository(uow.session)
    return partnership_out(partnership, repository.organisation(partnership.organisation_id),
                           repository.letters(partnership.id), repository.visits([partnership.id]))
