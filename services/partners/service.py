"""The partners service (organisation profiles so far; matching comes with its own issue)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.partners.domain.rules import check_profile
from services.partners.models import Organisation
from services.partners.schemas import OrganisationIn, OrganisationOut
from shared.database import Database
from shared.db import utcnow
from shared.errors import NotFound
from shared.events.partners import OrganisationRegistered
from shared.http import route
from shared.service import ServiceBase

ANYONE = ("staff", "operator", "municipality")


class PartnersService(ServiceBase):
    name = "partners"
    db = Database()

    @route("POST", "/partners/organisations", roles=("staff",), body=OrganisationIn, response=OrganisationOut,
           status=201)
    def register_organisation(self, request, body: OrganisationIn, principal):
        """Add an organisation profile (a Lithuanian municipality or a foreign body)."""
        check_profile(country=body.country, organisation_type=body.organisation_type, region=body.region,
                      capacity=body.capacity)
        organisation = Organisation(
            id=uuid.uuid4(), created_at=utcnow(), **body.model_dump(mode="python", exclude={"description"}),
            description=body.description and body.description.model_dump(),
        )
        self.db.session.add(organisation)
        self.db.emit(OrganisationRegistered(
            organisation_id=organisation.id, name=organisation.name, country=organisation.country,
            organisation_type=organisation.organisation_type, themes=organisation.themes,
        ), subject=str(organisation.id))
        self.db.commit()
        return 201, organisation_out(organisation)

    @route("GET", "/partners/organisations", roles=ANYONE, response=list[OrganisationOut])
    def list_organisations(self, request, principal):
        """Organisation profiles by country and name."""
        found = self.db.session.scalars(select(Organisation).order_by(Organisation.country, Organisation.name))
        return [organisation_out(o) for o in found]

    @route("GET", "/partners/organisations/<uuid:organisation_id>", roles=ANYONE, response=OrganisationOut,
           errors=(404,))
    def get_organisation(self, request, organisation_id, principal):
        """One organisation profile."""
        organisation = self.db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("organisation", organisation_id)
        return organisation_out(organisation)


def organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut.model_validate({c.name: getattr(organisation, c.name)
                                           for c in Organisation.__table__.columns})
