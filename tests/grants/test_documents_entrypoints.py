"""The documents entrypoints in isolation (nameko's worker_factory): an upload route reads the file
from the request (services/grants/documents.py, mocked here) and hands it with the worker's unit of
work and the documents folder to its use case; the others hand their ids; none touches the unit of
work itself."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.grants import service as module
from services.grants.service import GrantsService
from services.grants.usecases import documents
from shared.auth import Principal

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
ID, OTHER = uuid.uuid4(), uuid.uuid4()
QUERY = SimpleNamespace(filename="a.pdf", personal=False, about=None)
UPLOAD = SimpleNamespace(name="the file read from the request")
RESULT = SimpleNamespace(name="what the use case returned")

ROUTE_NAMES = {"upload_application_document", "upload_checklist_document", "list_application_documents",
               "download_application_document", "upload_call_template", "list_call_templates",
               "download_call_template"}


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments, owner", [
    ("upload_application_document", dict(application_id=ID), "upload_to_application", (ID, UPLOAD, STAFF.subject),
     "application"),
    ("upload_checklist_document", dict(application_id=ID, code="budget"), "upload_to_application",
     (ID, UPLOAD, STAFF.subject), "checklist"),
    ("upload_call_template", dict(call_id=ID), "upload_template", (ID, UPLOAD, STAFF.subject), "call"),
])
def test_an_upload_route_reads_the_file_and_hands_it_to_its_use_case(entrypoint, kwargs, use_case, arguments, owner):
    service = worker_factory(GrantsService)
    request = object()
    with mock.patch.object(module, "read_upload", return_value=UPLOAD) as read, \
            mock.patch.object(documents, use_case, return_value=RESULT) as called:
        result = getattr(service, entrypoint)(request=request, query=QUERY, principal=STAFF, **kwargs)
    read.assert_called_once_with(request, QUERY, service.documents.max_bytes, owner)
    extra = {"checklist_code": "budget"} if "code" in kwargs else {}
    called.assert_called_once_with(service.db, service.documents, *arguments, **extra)
    assert result == (201, RESULT)
    assert service.db.mock_calls == []


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments", [
    ("list_application_documents", dict(application_id=ID), "list_documents", ("application", ID)),
    ("list_call_templates", dict(call_id=ID), "list_documents", ("call", ID)),
])
def test_a_list_route_hands_its_owner_to_the_use_case(entrypoint, kwargs, use_case, arguments):
    service = worker_factory(GrantsService)
    with mock.patch.object(documents, use_case, return_value=RESULT) as called:
        assert getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs) is RESULT
    called.assert_called_once_with(service.db, *arguments)


@pytest.mark.parametrize("entrypoint, kwargs, arguments", [
    ("download_application_document", dict(application_id=ID, document_id=OTHER), ("application", ID, OTHER)),
    ("download_call_template", dict(call_id=ID, template_id=OTHER), ("call", ID, OTHER)),
])
def test_a_download_route_returns_the_use_cases_response(entrypoint, kwargs, arguments):
    service = worker_factory(GrantsService)
    with mock.patch.object(documents, "get_file", return_value=RESULT) as called:
        assert getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs) is RESULT
    called.assert_called_once_with(service.db, service.documents, *arguments)
