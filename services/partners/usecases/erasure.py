"""Forgetting a person (privacy.erasure_requested): every personal field held for the address is
pseudonymised (PartnersRepository.erase_person says where a person appears) and
partners.person_erased says what changed, counted. The subscription commits."""

from __future__ import annotations

from services.partners.repository import PartnersRepository
from shared.erasure import leave_no_copy_on_disk
from shared.events.partners import PartnersPersonErased
from shared.events.privacy import ErasureRequested
from shared.persistence.unit_of_work import UnitOfWork


def erase_person(uow: UnitOfWork, event: ErasureRequested) -> dict[str, int]:
    removed = PartnersRepository(uow.session).erase_person(event.email)
    uow.emit(PartnersPersonErased(request_id=event.request_id, removed=removed), subject=str(event.request_id))
    leave_no_copy_on_disk(uow)  # no copy of what was overwritten stays in the SQLite files
    return removed
