"""The consulting engagement entrypoints in isolation (nameko's worker_factory): each hands its
inputs to its use case and returns the result, the mock unit of work untouched; a shared
engagement is refused to a municipality it does not serve before the use case runs."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.grants.service import GrantsService
from services.grants.usecases import engagements
from shared.auth import Principal
from shared.errors import NotFound

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
ALYTUS = Principal(subject="asta@alytus.lt", role="municipality", municipality_code="02")
ID = uuid.uuid4()
BODY = SimpleNamespace(name="the validated body")
QUERY = SimpleNamespace(group_by="theme")
RESULT = SimpleNamespace(name="what the use case returned")

ROUTES = [
    ("request_engagement", dict(body=BODY), "request_engagement", (BODY, STAFF.subject), 201),
    ("list_engagements", dict(query=QUERY, tenant="02"), "list_engagements", (QUERY, "02"), None),
    ("get_engagement", dict(engagement_id=ID), "get_engagement", (ID,), None),
    ("agree_engagement", dict(engagement_id=ID, body=BODY), "agree", (ID, BODY, STAFF.subject), None),
    ("assign_engagement_consultant", dict(engagement_id=ID, body=BODY), "assign_consultant", (ID, BODY), None),
    ("decline_engagement", dict(engagement_id=ID, body=BODY), "decline", (ID, BODY, STAFF.subject), None),
    ("add_engagement_deliverable", dict(engagement_id=ID, body=BODY), "add_deliverable", (ID, BODY), 201),
    ("deliver_engagement_deliverable", dict(engagement_id=ID, deliverable_id=ID, body=BODY), "deliver",
     (ID, ID, BODY, STAFF.subject), None),
    ("log_engagement_consultation", dict(engagement_id=ID, body=BODY), "log_consultation",
     (ID, BODY, STAFF.subject), 201),
    ("close_engagement", dict(engagement_id=ID, body=BODY), "close", (ID, BODY, STAFF.subject), None),
    ("engagements_report", dict(query=QUERY, tenant=None), "engagements_report", ("theme", None), None),
]
# Covered here (test_entrypoints.py's census adds them to its own).
ROUTE_NAMES = {r[0] for r in ROUTES} | {"engagements_report_csv"}


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments, status", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_route_hands_its_inputs_to_its_use_case(entrypoint, kwargs, use_case, arguments, status):
    service = worker_factory(GrantsService)
    with mock.patch.object(engagements, use_case, return_value=RESULT) as called:
        result = getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs)
    called.assert_called_once_with(service.db, *arguments)
    assert result == ((status, RESULT) if status else RESULT)
    assert service.db.mock_calls == []


def test_the_csv_report_is_a_download():
    service = worker_factory(GrantsService)
    with mock.patch.object(engagements, "engagements_report_csv", return_value="a\r\n1\r\n") as called:
        response = service.engagements_report_csv(request=None, principal=STAFF, query=QUERY, tenant="02")
    called.assert_called_once_with(service.db, "theme", "02")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consulting-engagements-by-theme.csv"'


def test_a_group_engagement_is_seen_by_its_members_only():
    service = worker_factory(GrantsService)
    service.db.session.scalars.return_value = ["15", "33"]  # the municipalities it serves
    with mock.patch.object(engagements, "get_engagement", return_value=RESULT) as called:
        with pytest.raises(NotFound):
            service.get_engagement(request=None, engagement_id=ID, principal=ALYTUS)
        called.assert_not_called()
        service.db.session.scalars.return_value = ["15", "02"]
        assert service.get_engagement(request=None, engagement_id=ID, principal=ALYTUS) is RESULT
    called.assert_called_once_with(service.db, ID)


def test_the_timer_delegates_to_the_deliverable_reminders():
    service = worker_factory(GrantsService)
    with mock.patch.object(engagements, "remind_deliverables", return_value=1) as called:
        service.remind_engagement_deliverables()
    called.assert_called_once_with(service.db)
