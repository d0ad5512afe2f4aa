"""The grants entrypoints in isolation, with nameko's testing tools: `worker_factory` builds the
service class with its dependencies replaced (the unit of work by a mock, or by a real one where
the @subscribe wrapper needs its inbox), and each entrypoint is called as nameko would call it.
Each only hands its inputs to its use case and returns the result: the use cases are replaced
here and the mock unit of work must come back untouched."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.grants.service import GrantsService
from services.grants.usecases import (
    applications,
    catalogue,
    consultations,
    erasure,
    idea_fit,
    implementation,
    letters,
    partner_search,
    reminders,
    reports,
    transitions,
)
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.envelope import new_envelope
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import engine_for
from shared.persistence.schema import INBOX
from shared.persistence.unit_of_work import UnitOfWork

STAFF = Principal(subject="jonas.jonaitis@lsa.lt", role="staff")
KAUNAS = Principal(subject="ruta.petraitiene@kaunas.lt", role="municipality", municipality_code="15")
ID = uuid.uuid4()
BODY = SimpleNamespace(name="the validated body")  # passed through untouched
QUERY = SimpleNamespace(group_by="funder")
RESULT = SimpleNamespace(name="what the use case returned")

# entrypoint, its keyword arguments (besides request and principal), use case, the use case's
# arguments after the unit of work, the status the entrypoint adds (201) or None
ROUTES = [
    ("create_programme", dict(body=BODY), (catalogue, "create_programme"), (BODY,), 201),
    ("list_programmes", dict(query=QUERY), (catalogue, "list_programmes"), (QUERY,), None),
    ("get_programme", dict(programme_id=ID), (catalogue, "get_programme"), (ID,), None),
    ("add_funded_project", dict(programme_id=ID, body=BODY), (catalogue, "add_funded_project"), (ID, BODY), 201),
    ("create_call", dict(body=BODY), (catalogue, "create_call"), (BODY,), 201),
    ("list_calls", dict(query=QUERY), (catalogue, "list_calls"), (QUERY,), None),
    ("get_call", dict(call_id=ID), (catalogue, "get_call"), (ID,), None),
    ("change_call", dict(call_id=ID, body=BODY), (catalogue, "change_call"), (ID, BODY), None),
    ("call_fit", dict(query=QUERY, tenant="15"), (idea_fit, "assess"), (QUERY, "15"), None),
    ("create_application", dict(body=BODY), (applications, "create_application"), (BODY, STAFF), 201),
    ("get_application", dict(application_id=ID), (applications, "get_application"), (ID,), None),
    ("change_application", dict(application_id=ID, body=BODY), (applications, "change_application"), (ID, BODY),
     None),
    ("move_application", dict(application_id=ID, body=BODY), (transitions, "move_application"),
     (ID, BODY, STAFF), None),
    ("update_checklist_item", dict(application_id=ID, code="budget", body=BODY),
     (applications, "update_checklist_item"), (ID, "budget", BODY, STAFF), None),
    ("log_consultation", dict(application_id=ID, body=BODY), (consultations, "log_consultation"),
     (ID, BODY, STAFF.subject), 201),
    ("record_decision", dict(application_id=ID, body=BODY), (transitions, "record_decision"),
     (ID, BODY, STAFF.subject), None),
    ("file_final_report", dict(application_id=ID, body=BODY), (transitions, "file_final_report"),
     (ID, BODY, STAFF.subject), None),
    ("applications_report", dict(query=QUERY, tenant=None), (reports, "applications_report"), ("funder", None),
     None),
    ("plan_implementation", dict(application_id=ID, body=BODY), (implementation, "plan"), (ID, BODY), None),
    ("submit_project_report", dict(application_id=ID, report_id=ID, body=BODY), (implementation, "submit_report"),
     (ID, ID, BODY, STAFF.subject), None),
    ("submit_payment_claim", dict(application_id=ID, body=BODY), (implementation, "submit_claim"),
     (ID, BODY, STAFF.subject), 201),
    ("change_payment_claim", dict(application_id=ID, claim_id=ID, body=BODY), (implementation, "change_claim"),
     (ID, ID, BODY, STAFF.subject), None),
    ("amend_project", dict(application_id=ID, body=BODY), (implementation, "amend"), (ID, BODY, STAFF.subject), 201),
]


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments, status", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_route_hands_its_inputs_to_its_use_case_and_returns_the_result(entrypoint, kwargs, use_case, arguments,
                                                                         status):
    service = worker_factory(GrantsService)
    with mock.patch.object(*use_case, return_value=RESULT) as called:
        result = getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs)
    called.assert_called_once_with(service.db, *arguments)
    assert result == ((status, RESULT) if status else RESULT)
    assert service.db.mock_calls == []  # the entrypoint itself neither queries nor commits


def test_every_route_of_the_service_is_covered_here():
    routes = {name for name, value in vars(GrantsService).items()
              if callable(value) and getattr(value, "nameko_entrypoints", None)
              and any(type(e).__name__ == "Route" for e in value.nameko_entrypoints)}
    csv_routes = {"applications_report_csv"}
    from tests.grants.test_desk_entrypoints import ROUTE_NAMES as desk_routes
    from tests.grants.test_documents_entrypoints import ROUTE_NAMES as document_routes
    from tests.grants.test_engagements_entrypoints import ROUTE_NAMES as engagement_routes
    from tests.grants.test_joint_entrypoints import ROUTE_NAMES as joint_routes

    assert routes == {r[0] for r in ROUTES} | csv_routes | engagement_routes | document_routes | desk_routes | joint_routes


@pytest.mark.parametrize("entrypoint, kwargs, use_case, arguments, filename", [
    ("applications_report_csv", dict(query=QUERY, tenant="15"), (reports, "applications_report_csv"),
     ("funder", "15"), "grant-applications-by-funder.csv"),
])
def test_a_csv_route_wraps_its_use_cases_text_in_a_download(entrypoint, kwargs, use_case, arguments, filename):
    service = worker_factory(GrantsService)
    with mock.patch.object(*use_case, return_value="a,b\r\n1,2\r\n") as called:
        response = getattr(service, entrypoint)(request=None, principal=STAFF, **kwargs)
    called.assert_called_once_with(service.db, *arguments)
    assert response.status_code == 200 and response.get_data(as_text=True) == "a,b\r\n1,2\r\n"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_another_municipalitys_application_is_refused_before_the_use_case_runs():
    service = worker_factory(GrantsService)
    # the application's municipalities (the lead and a joint application's partners), as the lookup reads them
    service.db.session.scalars.return_value = ["57"]
    with mock.patch.object(applications, "get_application", return_value=RESULT) as called:
        with pytest.raises(NotFound):
            service.get_application(request=None, application_id=ID, principal=KAUNAS)
        called.assert_not_called()
        service.db.session.scalars.return_value = ["15"]
        assert service.get_application(request=None, application_id=ID, principal=KAUNAS) is RESULT
    called.assert_called_once_with(service.db, ID)


def test_the_timer_delegates_to_the_reminders():
    service = worker_factory(GrantsService)
    with mock.patch.object(reminders, "remind_deadlines", return_value=2) as called:
        service.remind_deadlines()
    called.assert_called_once_with(service.db)


HANDLERS = [
    ("on_matches_proposed", (partner_search, "matches_proposed")),
    ("on_introduction_sent", (partner_search, "introduction_sent")),
    ("on_introduction_answered", (partner_search, "introduction_answered")),
    ("on_partnership_established", (partner_search, "partnership_established")),
    ("on_letter_of_intent_recorded", (letters, "letter_of_intent_recorded")),
    ("on_erasure_requested", (erasure, "erase_person")),
]


@pytest.mark.parametrize("handler, use_case", HANDLERS, ids=[h[0] for h in HANDLERS])
def test_an_event_handler_delegates_once_per_event_and_commits_with_the_inbox(grants_db, handler, use_case):
    """The @subscribe wrapper needs the worker's real unit of work for its inbox claim: a SQLite
    one stands in for the Database dependency. A redelivered event does not reach the use case."""
    event = ErasureRequested(request_id=uuid.uuid4(), email="ruta@kaunas.lt", requested_by="dpo@lsa.lt")
    envelope = new_envelope(event, source="savivalda/test", correlation_id="test")
    with UnitOfWork(engine_for(grants_db), "grants", "test") as uow:
        service = worker_factory(GrantsService, db=uow)
        with mock.patch.object(*use_case) as called:
            getattr(service, handler)(event, envelope)
            getattr(service, handler)(event, envelope)  # the same event again
        # the erasure also gets the documents folder, where the person's personal files go
        extra = (service.documents,) if handler == "on_erasure_requested" else ()
        called.assert_called_once_with(uow, event, *extra)
    with UnitOfWork(engine_for(grants_db), "grants", "test") as uow:
        claimed = uow.session.scalars(select(INBOX.c.consumer).where(INBOX.c.event_id == envelope.id)).all()
    assert claimed == [f"grants.{handler}"]
