"""The consultants' desk entrypoints in isolation (nameko's worker_factory): each hands its inputs to
its use case and returns the result, the mock unit of work untouched; the consultant's assignment
gets the public address its e-mail links to; the follow-up timer runs its use case."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.grants.service import GrantsService
from services.grants.usecases import applications, desk
from shared.auth import Principal

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
ID = uuid.uuid4()
BODY = SimpleNamespace(name="the validated body")
QUERY = SimpleNamespace(sort="deadline")
RESULT = SimpleNamespace(name="what the use case returned")

ROUTES = [
    ("list_applications", dict(query=QUERY, tenant="15"), "list_applications", (QUERY, "15")),
    ("consultants_workload", dict(query=QUERY), "workload", (QUERY,)),
    ("own_desk", dict(query=QUERY), "own_desk", (STAFF.subject, QUERY)),
]
# Covered here (test_entrypoints.py's census adds them to its own).
ROUTE_NAMES = {r[0] for r in ROUTES} | {"export_applications", "assign_consultant"}


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_route_hands_its_inputs_to_its_use_case(entrypoint, kwargs, use_case, arguments):
    service = worker_factory(GrantsService)
    with mock.patch.object(desk, use_case, return_value=RESULT) as called:
        result = getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs)
    called.assert_called_once_with(service.db, *arguments)
    assert result == RESULT
    assert service.db.mock_calls == []


def test_the_assignment_gets_the_public_address_the_e_mail_links_to():
    service = worker_factory(GrantsService)
    service.settings.public_url = "https://savivalda.example"
    with mock.patch.object(applications, "assign_consultant", return_value=RESULT) as called:
        assert service.assign_consultant(request=None, principal=STAFF, application_id=ID, body=BODY) == RESULT
    called.assert_called_once_with(service.db, ID, BODY, "https://savivalda.example")


def test_the_csv_export_is_a_download_of_the_same_selection():
    service = worker_factory(GrantsService)
    with mock.patch.object(desk, "export_applications", return_value="a\r\n1\r\n") as called:
        response = service.export_applications(request=None, principal=STAFF, query=QUERY, tenant="15")
    called.assert_called_once_with(service.db, QUERY, "15")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="grant-applications.csv"'


def test_the_follow_up_timer_runs_its_use_case_with_the_public_address():
    service = worker_factory(GrantsService)
    service.settings.public_url = "https://savivalda.example"
    with mock.patch.object(desk, "remind_follow_ups", return_value=0) as called:
        service.remind_follow_ups()
    called.assert_called_once_with(service.db, "https://savivalda.example")
