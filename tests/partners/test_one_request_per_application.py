"""One partner request per grant application: two grants.partner_requested handled at once (two
workers, two replicas) or the API asking for an application grants already asked for must not
open two searches. partner_requests.application_id is unique (migration 0003)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import eventlet
import pytest
from sqlalchemy import func, select

from services.partners.index import IndexedProfiles
from services.partners.models import PartnerRequest
from services.partners.schemas import PartnerRequestIn
from services.partners.usecases import partner_requests
from shared.auth import Principal
from shared.errors import Conflict
from shared.events.envelope import new_envelope
from shared.events.grants import PartnerRequested
from shared.events.types import Contact, LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.partners.helpers import CONSULTANT, request_body
from tests.partners.test_usecases import PUBLIC_URL, db, migrated  # noqa: F401 (fixtures)

STAFF = Principal(subject="egle@lsa.lt", role="staff")


def partner_requested(application_id: uuid.UUID) -> tuple[PartnerRequested, object]:
    event = PartnerRequested(
        application_id=application_id, call_id=uuid.uuid4(), call_code="LT-NO-2027-01", municipality_code="16",
        application_title=LocalizedText(lt="Skaidrumas", en="Transparency"), themes=["public_service_quality"],
        countries=["NO"], deadline=date.today() + timedelta(days=30), consultant=Contact(**CONSULTANT))
    return event, new_envelope(event, source="savivalda/grants", correlation_id="test")


def requests_of(engine, application_id) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(PartnerRequest)
                                  .where(PartnerRequest.application_id == application_id)).scalar_one()


def test_the_api_refuses_a_second_request_for_an_application(db):  # noqa: F811
    application_id = uuid.uuid4()
    db(partner_requests.create, db.profiles, PartnerRequestIn.model_validate(
        request_body(application_id=str(application_id))), STAFF, public_url=PUBLIC_URL)
    with pytest.raises(Conflict):
        db(partner_requests.create, db.profiles, PartnerRequestIn.model_validate(
            request_body(application_id=str(application_id))), STAFF, public_url=PUBLIC_URL)
    event, envelope = partner_requested(application_id)  # grants asking later updates that request
    db(partner_requests.open_for_application, db.profiles, event, envelope, public_url=PUBLIC_URL)
    assert requests_of(db.engine, application_id) == 1


def test_two_workers_opening_the_same_applications_request_at_once_make_one_request(pg_databases):
    """On PostgreSQL (row locks, real concurrency): the first worker has inserted the request and not
    committed yet when the second handles another grants.partner_requested for the application."""
    engine = engine_for(pg_databases["partners"])
    profiles = IndexedProfiles(engine)
    application_id = uuid.uuid4()
    first_event, first_envelope = partner_requested(application_id)
    second_event, second_envelope = partner_requested(application_id)

    def second_worker():
        with UnitOfWork(engine, "partners", "second") as uow:
            done = partner_requests.open_for_application(uow, profiles, second_event, second_envelope,
                                                         public_url=PUBLIC_URL)
            uow.commit()
            return done.id

    with UnitOfWork(engine, "partners", "first") as uow:
        first = partner_requests.open_for_application(uow, profiles, first_event, first_envelope,
                                                      public_url=PUBLIC_URL)
        uow.session.flush()
        second = eventlet.spawn(second_worker)
        eventlet.sleep(1.0)  # the second worker reaches its insert (and, with the constraint, waits there)
        uow.commit()
    assert second.wait() == first.id
    assert requests_of(engine, application_id) == 1
