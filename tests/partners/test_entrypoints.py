"""The partners service's entrypoints only delegate: each hands the worker's unit of work and its
inputs to one use case and returns what it returns. With nameko's testing tools: worker_factory
builds the service instance with every dependency replaced (a mock unit of work, stub settings);
entrypoint_hook runs the timer and an event handler in a worker of a container (not started:
nothing listens or consumes) whose dependencies replace_dependencies swapped. No database, broker
or HTTP."""

from __future__ import annotations

import ast
import inspect
import textwrap
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from datetime import date, timedelta

from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook, replace_dependencies, worker_factory

from services.partners import service as service_module
from services.partners.schemas import AnswerIn, OrganisationIn, ReportQuery
from services.partners.service import PartnersService
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.envelope import new_envelope
from shared.events.grants import PartnerRequested
from shared.events.privacy import ErasureRequested
from shared.events.types import LocalizedText
from shared.messaging.subscriptions import DUPLICATE
from shared.persistence.unit_of_work import UnitOfWork
from tests.partners.helpers import HORDALAND
from tests.support.entrypoints import handler_steps

SETTINGS = SimpleNamespace(public_url="https://savivalda.example.lt", timer_interval=3600.0)
STAFF = Principal(subject="egle@lsa.lt", role="staff")
KAUNAS_DISTRICT = Principal(subject="ona@krs.lt", role="municipality", municipality_code="16")
USE_CASE_MODULES = {"choices", "erasure", "introductions", "organisations", "partner_requests", "partnerships", "reports",
                    "scheduled"}


@pytest.fixture
def service():
    return worker_factory(PartnersService, db=mock.create_autospec(UnitOfWork, instance=True), settings=SETTINGS)


def entrypoint_methods():
    return [name for name, member in vars(PartnersService).items()
            if callable(member) and getattr(member, "nameko_entrypoints", None)]


def test_every_entrypoint_is_one_call_to_a_use_case_with_the_unit_of_work():
    names = entrypoint_methods()
    assert len(names) == 30  # 27 routes, 2 subscriptions and the timer
    for name in names:
        function = inspect.unwrap(getattr(PartnersService, name))
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        body = tree.body[0].body
        statements = body[1:] if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else body
        assert len(statements) == 1, f"{name} does more than delegate"
        calls = [node for node in ast.walk(statements[0]) if isinstance(node, ast.Call)]
        assert len(calls) == 1, f"{name} should make exactly one call"
        target = calls[0].func
        assert isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
            and target.value.id in USE_CASE_MODULES, f"{name} calls {ast.unparse(target)}, not a use case"
        assert ast.unparse(calls[0].args[0]) == "self.db", f"{name} does not pass its unit of work first"


def test_a_route_hands_its_inputs_to_the_use_case_and_returns_its_result(service):
    body = OrganisationIn.model_validate(HORDALAND)
    with mock.patch.object(service_module.organisations, "register") as register:
        status, result = service.register_organisation(request=None, body=body, principal=STAFF)
    register.assert_called_once_with(service.db, body, STAFF)
    assert (status, result) == (201, register.return_value)

    answer = AnswerIn(side="candidate", answer="accepted")
    introduction_id = uuid.uuid4()
    with mock.patch.object(service_module.introductions, "answer_as") as answer_as:
        result = service.answer_introduction(request=None, introduction_id=introduction_id, body=answer,
                                             principal=STAFF)
    answer_as.assert_called_once_with(service.db, introduction_id, answer, STAFF,
                                      public_url=service.settings.public_url)
    assert result is answer_as.return_value
    service.db.commit.assert_not_called()  # the use case commits, not the entrypoint


def test_ranking_gets_the_process_profile_index_and_links_the_public_url(service):
    request_id = uuid.uuid4()
    with mock.patch.object(service_module.partner_requests, "propose_again") as propose_again:
        service.propose_again(request=None, request_id=request_id, principal=STAFF)
    propose_again.assert_called_once_with(service.db, service.profiles, request_id,
                                          public_url="https://savivalda.example.lt")
    with mock.patch.object(service_module.scheduled, "run_due") as run_due:
        service.run_timers()
    run_due.assert_called_once_with(service.db, public_url="https://savivalda.example.lt")
    with mock.patch.object(service_module.reports, "partnerships") as report:
        service.partnership_report(request=None, query=ReportQuery(year=2026), principal=STAFF)
    report.assert_called_once_with(service.db, ReportQuery(year=2026))


def test_another_municipalitys_resource_is_refused_before_the_use_case_runs(service):
    """The declared tenancy (shared/tenancy.py) runs in the worker before the entrypoint's body: the
    owner lookup reads through the unit of work (here: owned by Vilnius, 57)."""
    service.db.session.scalar.return_value = "57"
    with mock.patch.object(service_module.partnerships, "complete") as complete:
        with pytest.raises(NotFound):
            service.complete_partnership(request=None, partnership_id=uuid.uuid4(), principal=KAUNAS_DISTRICT)
        complete.assert_not_called()
        service.db.session.scalar.return_value = "16"
        service.complete_partnership(request=None, partnership_id=uuid.uuid4(), principal=KAUNAS_DISTRICT)
    complete.assert_called_once()


def erasure_requested():
    event = ErasureRequested(request_id=uuid.uuid4(), email="kari@hordaland.no", requested_by="dpo")
    return event, new_envelope(event, source="savivalda/cli", correlation_id="test")


def test_an_event_handler_claims_the_event_delegates_and_commits(service):
    event, envelope = erasure_requested()
    calls = mock.Mock()
    service.db.claim.side_effect = lambda *args: calls.claim(*args) or True
    service.db.commit.side_effect = calls.commit
    with mock.patch.object(service_module.erasure, "erase_person", side_effect=calls.erase_person):
        service.on_erasure_requested(event, envelope)
    assert calls.mock_calls == [mock.call.claim("partners.on_erasure_requested", envelope),
                                mock.call.erase_person(service.db, event), mock.call.commit()]


def test_an_event_handled_before_is_not_handed_to_the_use_case_again(service):
    event, envelope = erasure_requested()
    service.db.claim.return_value = False  # the inbox has it
    with mock.patch.object(service_module.erasure, "erase_person") as erase_person:
        assert service.on_erasure_requested(event, envelope) is DUPLICATE
    erase_person.assert_not_called()
    service.db.rollback.assert_called_once()


# ---------------------------------------------------------------- in a container's worker (entrypoint_hook)

@pytest.fixture
def unit_of_work():
    uow = mock.create_autospec(UnitOfWork, instance=True)
    uow.claim.return_value = True  # the event was not applied before
    return uow


@pytest.fixture
def index():
    return mock.Mock(name="the process's profile index")


@pytest.fixture
def container(unit_of_work, index):
    container = ServiceContainer(PartnersService, {"SAVIVALDA": SETTINGS, "AMQP_URI": "memory://",
                                                   "WEB_SERVER_ADDRESS": "127.0.0.1:0"})
    replace_dependencies(container, db=unit_of_work, settings=SETTINGS, profiles=index, gauges=None)
    return container


def test_the_timer_runs_the_scheduled_jobs_with_the_workers_unit_of_work(container, unit_of_work):
    with mock.patch.object(service_module.scheduled, "run_due") as run_due, \
            entrypoint_hook(container, "run_timers") as hook:
        hook()
    run_due.assert_called_once_with(unit_of_work, public_url="https://savivalda.example.lt")


def test_grants_partner_requested_goes_to_the_request_use_case_between_claim_and_commit(container, unit_of_work,
                                                                                        index):
    event = PartnerRequested(
        application_id=uuid.uuid4(), call_id=uuid.uuid4(), call_code="LT-NO-2027-01", municipality_code="16",
        application_title=LocalizedText(lt="Skaidrumas", en="Transparency"), themes=["anti_corruption"],
        countries=["NO"], deadline=date.today() + timedelta(days=30))
    envelope = new_envelope(event, source="savivalda/grants", correlation_id="test")
    steps = handler_steps(container, unit_of_work, "on_partner_requested", service_module.partner_requests,
                          "open_for_application", event, envelope)
    assert steps == [mock.call.uow.claim("partners.on_partner_requested", envelope),
                     mock.call.open_for_application(unit_of_work, index, event, envelope,
                                                    public_url="https://savivalda.example.lt"), mock.call.uow.commit()]
