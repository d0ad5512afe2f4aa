"""The enrollment service class only maps entrypoints to use cases (services/enrollment/usecases/):
checked with nameko's testing tools — `worker_factory` (a service instance with its dependencies
replaced) for the HTTP routes, and `entrypoint_hook` on a container whose dependencies are replaced
(`replace_dependencies`) for the timer and the event handler. No HTTP, no broker."""

import inspect
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.services import entrypoint_hook, replace_dependencies, worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.enrollment import service as module
from services.enrollment.notices import Links
from services.enrollment.schemas import CourseIn, EnrollmentIn
from services.enrollment.service import EnrollmentService
from shared.auth import Principal
from shared.events.envelope import new_envelope
from shared.events.privacy import ErasureRequested
from shared.http import Problem, Route
from shared.persistence.unit_of_work import UnitOfWork
from tests.support.entrypoints import handler_steps

SETTINGS = SimpleNamespace(public_url="https://mokymai.example.lt", auth_secret="entrypoint-test-secret-0123456789",
                           timer_interval=3600.0, feedback_min_answers=5)
LINKS = Links(SETTINGS.public_url, SETTINGS.auth_secret)
STAFF = Principal(subject="egle@lsa.lt", role="staff")
USE_CASE_MODULES = ("attendance", "calendars", "catalogue", "certificates", "enrolment", "erasure", "housekeeping",
                    "go_no_go", "learning", "programmes", "reports", "self_service", "trainers", "training_needs",
                    "working_groups", "bulk", "documents", "feedback", "invoices")


def request(headers: dict | None = None, query: str = "") -> Request:
    return Request(EnvironBuilder(path="/enrollment", query_string=query, headers=headers or {}).get_environ())


@pytest.fixture
def use_cases():
    """Every use case module the service class sees, replaced by a mock."""
    with mock.patch.multiple(module, **{name: mock.DEFAULT for name in USE_CASE_MODULES}) as replaced:
        yield SimpleNamespace(**replaced)


@pytest.fixture
def service():
    return worker_factory(EnrollmentService, db=mock.MagicMock(spec=UnitOfWork), settings=SETTINGS)


def body_of(service, name: str):
    """The route's own body, bound to the worker (without the tenancy guard, which needs the
    database and is tested in tests/service/test_tenancy_openapi.py and tests/unit/test_tenancy.py)."""
    method = getattr(EnrollmentService, name)
    return getattr(method, "__wrapped__", method).__get__(service)


def routes() -> list[str]:
    return sorted(name for name, member in vars(EnrollmentService).items()
                  if any(isinstance(e, Route) for e in getattr(member, "nameko_entrypoints", ())))


# ---------------------------------------------------------------- HTTP routes (worker_factory)

def test_creating_a_course_hands_the_body_to_its_use_case_and_answers_201(service, use_cases):
    body = CourseIn.model_validate({"title": {"lt": "Biudžetas", "en": "Budget"}, "themes": ["budgeting"],
                                    "audience": ["officials"], "duration_hours": 6, "format": "online"})
    status, answer = service.create_course(request(), body=body, principal=STAFF)
    use_cases.catalogue.create_course.assert_called_once_with(service.db, body)
    assert (status, answer) == (201, use_cases.catalogue.create_course.return_value)


def test_enrolling_passes_the_idempotency_key_and_answers_200_for_an_existing_enrolment(service, use_cases):
    session_id = uuid.uuid4()
    body = EnrollmentIn.model_validate({"name": "Rūta", "email": "ruta@kaunas.lt", "municipality_code": "15"})
    principal = Principal(subject="ruta@kaunas.lt", role="municipality", municipality_code="15")
    for created, expected in ((True, 201), (False, 200)):
        use_cases.enrolment.enroll.return_value = SimpleNamespace(created=created, enrollment="the enrolment")
        answer = body_of(service, "enroll")(request({"Idempotency-Key": " kaunas-17 "}), session_id=session_id,
                                            body=body, principal=principal)
        assert answer == (expected, "the enrolment")
        use_cases.enrolment.enroll.assert_called_with(service.db, LINKS, session_id, body, principal, "kaunas-17")
    with pytest.raises(Problem) as refused:
        body_of(service, "enroll")(request({"Idempotency-Key": "x" * 201}), session_id=session_id, body=body,
                                   principal=principal)
    assert refused.value.status == 422
    assert use_cases.enrolment.enroll.call_count == 2  # the bad key never reached the use case


def test_the_session_calendar_language_comes_from_the_query(service, use_cases):
    session_id = uuid.uuid4()
    service.session_calendar(request(query="lang=en"), session_id=session_id)
    service.session_calendar(request(query="lang=de"), session_id=session_id)
    assert use_cases.calendars.session_calendar.call_args_list == [
        mock.call(service.db, LINKS, session_id, "en"), mock.call(service.db, LINKS, session_id, "lt")]


@pytest.mark.parametrize("name", routes())
def test_every_route_makes_one_use_case_call_with_the_unit_of_work_and_returns_its_answer(name, service, use_cases):
    body = body_of(service, name)
    arguments = {p: mock.MagicMock(name=p) for p in list(inspect.signature(body).parameters)[1:]}
    answer = body(request(), **arguments)
    calls = [(name, call) for name in USE_CASE_MODULES for call in getattr(use_cases, name).mock_calls
             if not call[0].endswith("__bool__")]
    assert len(calls) == 1, calls
    (module_name, (function, args, kwargs)), = calls
    assert args[0] is service.db
    result = getattr(getattr(use_cases, module_name), function).return_value
    if name == "enroll":
        assert answer == (201, result.enrollment)
    else:
        assert answer in (result, (201, result))
    handed_over = set(map(id, args)) | set(map(id, kwargs.values()))
    # (the principal was checked by the route; only the use cases that record who acted take it)
    inputs = {name: value for name, value in arguments.items() if name != "principal"}
    assert all(id(value) in handed_over for value in inputs.values()), "every input goes to the use case"


def test_the_service_module_holds_no_query_or_rule():
    source = inspect.getsource(module)
    for sign in ("sqlalchemy", "services.enrollment.models", "select(", ".session.", "repo.", "uow.emit",
                 "self.db.emit", ".commit(", "raise Conflict", "raise RuleViolation", "raise NotFound",
                 "services.enrollment.domain.rules"):
        assert sign not in source, sign


# ---------------------------------------------------------------- the timer and the event handler (entrypoint_hook)

@pytest.fixture
def unit_of_work():
    """The worker's unit of work, as a mock of the real class (the subscription looks for one)."""
    uow = mock.MagicMock(spec=UnitOfWork)
    uow.claim.return_value = True  # the event was not applied before
    return uow


@pytest.fixture
def container(unit_of_work):
    """The service's container (not started: nothing listens or consumes) with its database and
    settings replaced."""
    container = ServiceContainer(EnrollmentService, {"SAVIVALDA": SETTINGS, "AMQP_URI": "memory://",
                                                     "WEB_SERVER_ADDRESS": "127.0.0.1:0"})
    replace_dependencies(container, db=unit_of_work, settings=SETTINGS, gauges=None)
    return container


def test_the_timer_runs_the_housekeeping_use_case(container, unit_of_work):
    with mock.patch.object(module.housekeeping, "run_all") as run_all, entrypoint_hook(container, "run_timers") as hook:
        hook()
    run_all.assert_called_once_with(unit_of_work, LINKS)


def test_the_erasure_handler_delegates_between_the_inbox_claim_and_the_commit(container, unit_of_work):
    event = ErasureRequested(request_id=uuid.uuid4(), email="ruta@kaunas.lt", requested_by="dpo@lsa.lt")
    envelope = new_envelope(event, source="savivalda/cli", correlation_id="test")
    steps = handler_steps(container, unit_of_work, "on_erasure_requested", module.erasure, "erase", event, envelope)
    assert steps == [mock.call.uow.claim("enrollment.on_erasure_requested", envelope),
                     mock.call.erase(unit_of_work, LINKS, event), mock.call.uow.commit()]


def test_a_redelivered_erasure_request_is_not_applied_twice(container, unit_of_work):
    event = ErasureRequested(request_id=uuid.uuid4(), email="ruta@kaunas.lt", requested_by="dpo@lsa.lt")
    unit_of_work.claim.return_value = False  # the inbox has it
    with mock.patch.object(module.erasure, "erase") as erase, \
            entrypoint_hook(container, "on_erasure_requested") as hook:
        hook(event, new_envelope(event, source="savivalda/cli", correlation_id="test"))
    erase.assert_not_called()


def test_a_funded_project_from_grants_is_recorded_between_the_inbox_claim_and_the_commit(container, unit_of_work):
    from shared.events.grants import FundedProjectRecorded

    event = FundedProjectRecorded(project_id=uuid.uuid4(), project_number="LT10-0042", programme_code="LT10",
                                  funder="Norway Grants", title="t", promoter="p", status="in_progress")
    envelope = new_envelope(event, source="savivalda/grants", correlation_id="grants-1")
    steps = handler_steps(container, unit_of_work, "on_funded_project_recorded", module.programmes,
                          "record_funded_project", event, envelope)
    assert steps == [mock.call.uow.claim("enrollment.on_funded_project_recorded", envelope),
                     mock.call.record_funded_project(unit_of_work, event), mock.call.uow.commit()]


def test_a_completion_from_a_learning_system_is_recorded_between_the_inbox_claim_and_the_commit(container, unit_of_work):
    from shared.events.learning import example

    event = example()
    envelope = new_envelope(event, source="moodle.lsa.lt", correlation_id="moodle-1")
    steps = handler_steps(container, unit_of_work, "on_course_completed", module.learning, "record_completion",
                          event, envelope)
    assert steps == [mock.call.uow.claim("enrollment.on_course_completed", envelope),
                     mock.call.record_completion(unit_of_work, LINKS, event, envelope), mock.call.uow.commit()]
