"""Organisation profiles: registration, changes, renewal (also by the reminder link's key), the
example profiles."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from services.partners.domain.rules import check_capacity_change, check_profile, profile_expiry
from services.partners.models import Organisation
from services.partners.repository import PartnersRepository
from services.partners.schemas import KeyIn, OrganisationIn, OrganisationOut, OrganisationQuery, RenewalOut
from services.partners.seeds import EXAMPLE_PROFILES, example_id
from services.partners.views import organisation_out
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events.partners import OrganisationRegistered
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

RENEWAL_PURPOSE = "profile_renewal"


def register(uow: UnitOfWork, body: OrganisationIn, principal: Principal | None) -> OrganisationOut:
    """Add a profile, valid for a year (partners.organisation_registered)."""
    check_profile(country=body.country, organisation_type=body.organisation_type, region=body.region,
                  capacity=body.capacity, municipality_code=body.municipality_code)
    now = utcnow()
    organisation = Organisation(id=uuid.uuid4(), created_at=now, expires_at=profile_expiry(now),
                                active_partnerships=0, partnerships_total=0)
    fill_profile(organisation, body)
    repository = PartnersRepository(uow.session)
    repository.touch(organisation, now)
    try:
        repository.add(organisation)
    except IntegrityError:
        raise duplicate_profile(body) from None
    emit_registered(uow, organisation)
    uow.commit()
    return organisation_out(organisation, principal)


def load_examples(uow: UnitOfWork, principal: Principal | None) -> list[OrganisationOut]:
    """The example foreign profiles (services/partners/seeds.py); loading them again changes nothing."""
    repository, now, loaded = PartnersRepository(uow.session), utcnow(), []
    for example in EXAMPLE_PROFILES:
        body = OrganisationIn.model_validate(example)
        organisation = repository.organisation_or_none(example_id(body.name))
        if organisation is None:
            organisation = Organisation(id=example_id(body.name), created_at=now, expires_at=profile_expiry(now),
                                        active_partnerships=0, partnerships_total=0)
            fill_profile(organisation, body)
            repository.touch(organisation, now)
            repository.add(organisation)
            emit_registered(uow, organisation)
        loaded.append(organisation)
    uow.commit()
    return [organisation_out(o, principal) for o in loaded]


def find(uow: UnitOfWork, query: OrganisationQuery, principal: Principal | None) -> list[OrganisationOut]:
    found = PartnersRepository(uow.session).organisations(
        country=query.country, organisation_type=query.organisation_type, theme=query.theme,
        include_expired=query.include_expired, now=utcnow(), limit=query.limit, offset=query.offset)
    return [organisation_out(o, principal) for o in found]


def get(uow: UnitOfWork, organisation_id: uuid.UUID, principal: Principal | None) -> OrganisationOut:
    return organisation_out(PartnersRepository(uow.session).organisation(organisation_id), principal)


def update(uow: UnitOfWork, organisation_id: uuid.UUID, body: OrganisationIn,
           principal: Principal | None) -> OrganisationOut:
    """Replace a profile's details; capacity cannot drop below the partnerships it has."""
    repository = PartnersRepository(uow.session)
    organisation = repository.organisation(organisation_id, lock=True)
    check_profile(country=body.country, organisation_type=body.organisation_type, region=body.region,
                  capacity=body.capacity, municipality_code=body.municipality_code)
    check_capacity_change(capacity=body.capacity, active_partnerships=organisation.active_partnerships)
    fill_profile(organisation, body)
    repository.touch(organisation, utcnow())
    try:
        uow.session.flush()
    except IntegrityError:
        raise duplicate_profile(body) from None
    uow.commit()
    return organisation_out(organisation, principal)


def renew(uow: UnitOfWork, organisation_id: uuid.UUID, principal: Principal | None) -> OrganisationOut:
    """Valid for another year from now."""
    organisation = PartnersRepository(uow.session).organisation(organisation_id, lock=True)
    _renew(uow, organisation)
    uow.commit()
    return organisation_out(organisation, principal)


def preview_renewal(uow: UnitOfWork, query: KeyIn) -> RenewalOut:
    """The profile a renewal link is for (no login; the key is the link's)."""
    repository = PartnersRepository(uow.session)
    key = repository.access_key(query.key, RENEWAL_PURPOSE, utcnow())
    if key is None:
        raise NotFound("renewal key", "given")
    organisation = repository.organisation(key.subject_id)
    return RenewalOut(organisation_id=organisation.id, name=organisation.name, expires_at=organisation.expires_at)


def renew_by_key(uow: UnitOfWork, body: KeyIn) -> RenewalOut:
    """Renew with the key from the renewal reminder's link (no login)."""
    repository = PartnersRepository(uow.session)
    key = repository.access_key(body.key, RENEWAL_PURPOSE, utcnow())
    if key is None:
        raise NotFound("renewal key", "given")
    organisation = repository.organisation(key.subject_id, lock=True)
    _renew(uow, organisation)
    uow.commit()
    return RenewalOut(organisation_id=organisation.id, name=organisation.name, expires_at=organisation.expires_at)


def _renew(uow: UnitOfWork, organisation: Organisation) -> None:
    now = utcnow()
    organisation.expires_at = profile_expiry(now)
    PartnersRepository(uow.session).touch(organisation, now)


def fill_profile(organisation: Organisation, body: OrganisationIn) -> None:
    values = body.model_dump(mode="json", exclude={"description"})
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation.description = body.description.model_dump() if body.description else None


def emit_registered(uow: UnitOfWork, organisation: Organisation) -> None:
    uow.emit(OrganisationRegistered(
        organisation_id=organisation.id, name=organisation.name, country=organisation.country,
        organisation_type=organisation.organisation_type, themes=organisation.themes,
    ), subject=str(organisation.id))


def duplicate_profile(body: OrganisationIn) -> Conflict:
    return Conflict(f"municipality {body.municipality_code} already has a profile", field="municipality_code",
                    code="duplicate_profile")
