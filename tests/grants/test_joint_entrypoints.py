"""The joint application entrypoints in isolation (nameko's worker_factory): each hands its inputs
to its use case; the tenancy declared on the routes runs before the use case: a municipality outside
the application gets 404, a partner municipality sees it but gets 403 on the lead's routes."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.grants.service import GrantsService
from services.grants.usecases import applications, joint
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
KAUNAS = Principal(subject="ruta@kaunas.lt", role="municipality", municipality_code="15")
ALYTUS = Principal(subject="asta@alytus.lt", role="municipality", municipality_code="02")
VILNIUS = Principal(subject="vida@vilnius.lt", role="municipality", municipality_code="57")
ID = uuid.uuid4()
BODY = SimpleNamespace(name="the validated body")
RESULT = SimpleNamespace(name="what the use case returned")

ROUTES = [
    ("get_partnership", dict(application_id=ID), "get_partnership", (ID, STAFF)),
    ("set_partnership", dict(application_id=ID, body=BODY), "set_partnership", (ID, BODY, STAFF)),
    ("answer_partnership", dict(application_id=ID, municipality_code="02", body=BODY), "answer_part",
     (ID, "02", BODY, STAFF)),
]
# Covered here (test_entrypoints.py's census adds them to its own).
ROUTE_NAMES = {r[0] for r in ROUTES}


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_route_hands_its_inputs_to_its_use_case(entrypoint, kwargs, use_case, arguments):
    service = worker_factory(GrantsService)
    with mock.patch.object(joint, use_case, return_value=RESULT) as called:
        result = getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs)
    called.assert_called_once_with(service.db, *arguments)
    assert result == RESULT


def _service(lead: str, members: list[str]):
    """A worker whose tenancy lookups read: the application's lead, and its municipalities."""
    service = worker_factory(GrantsService)
    service.db.session.scalar.return_value = lead
    service.db.session.scalars.return_value = members
    return service


def test_a_partner_sees_the_application_an_outsider_does_not():
    service = _service("15", ["15", "02"])
    with mock.patch.object(applications, "get_application", return_value=RESULT) as called:
        assert service.get_application(request=None, application_id=ID, principal=ALYTUS) is RESULT
        with pytest.raises(NotFound):
            service.get_application(request=None, application_id=ID, principal=VILNIUS)
    called.assert_called_once_with(service.db, ID)
    with mock.patch.object(joint, "get_partnership", return_value=RESULT) as called:
        with pytest.raises(NotFound):
            service.get_partnership(request=None, application_id=ID, principal=VILNIUS)
        service.get_partnership(request=None, application_id=ID, principal=ALYTUS)
    called.assert_called_once_with(service.db, ID, ALYTUS)


def test_only_the_lead_changes_the_application_a_partner_gets_403():
    service = _service("15", ["15", "02"])
    with mock.patch.object(joint, "set_partnership", return_value=RESULT) as called:
        with pytest.raises(Forbidden):
            service.set_partnership(request=None, application_id=ID, body=BODY, principal=ALYTUS)
        with pytest.raises(NotFound):
            service.set_partnership(request=None, application_id=ID, body=BODY, principal=VILNIUS)
        assert service.set_partnership(request=None, application_id=ID, body=BODY, principal=KAUNAS) is RESULT
    called.assert_called_once_with(service.db, ID, BODY, KAUNAS)
    with mock.patch.object(applications, "change_application", return_value=RESULT) as changed:
        with pytest.raises(Forbidden):
            service.change_application(request=None, application_id=ID, body=BODY, principal=ALYTUS)
    changed.assert_not_called()


def test_an_outsider_cannot_answer():
    """(The path scope, a municipality answering only for itself, runs in the HTTP layer before the
    worker: tests/grants/test_joint_embedded.py shows the lead refused Alytus' answer.)"""
    service = _service("15", ["15", "02"])
    with mock.patch.object(joint, "answer_part", return_value=RESULT) as called:
        with pytest.raises(NotFound):
            service.answer_partnership(request=None, application_id=ID, municipality_code="57", body=BODY,
                                       principal=VILNIUS)
        assert service.answer_partnership(request=None, application_id=ID, municipality_code="02", body=BODY,
                                          principal=ALYTUS) is RESULT
    called.assert_called_once_with(service.db, ID, "02", BODY, ALYTUS)
