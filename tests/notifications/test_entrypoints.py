"""The notifications service's entrypoints only delegate: each calls its use case with the unit of
work and its inputs and returns the result (services/notifications/service.py). Checked with
nameko's testing tools — worker_factory (the service class with its dependencies replaced) and
entrypoint_hook (a worker spawned by a container whose dependencies are replaced) — with the use
cases replaced by mocks; no HTTP, no broker. What the use cases do is in test_usecases.py."""

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.containers import ServiceContainer
from nameko.extensions import Entrypoint
from nameko.testing.services import entrypoint_hook, replace_dependencies, worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

import services.notifications.service as service_module
from services.notifications.domain.preferences import CATEGORIES
from services.notifications.pages import PreferencesPageQuery
from services.notifications.usecases.unsubscribe import PreferencesView
from services.notifications.examples import example_event
from services.notifications.schemas import (
    BounceIn,
    DeliveryQuery,
    PreferencesIn,
    PreviewIn,
    RecipientIn,
    RecipientQuery,
)
from services.notifications.service import NotificationsService
from shared.auth import Principal
from shared.config import embedded_settings
from shared.events import new_envelope
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

STAFF = Principal(subject="egle@lsa.lt", role="staff")
OPERATOR = Principal(subject="ops@lsa.lt", role="operator")
SETTINGS = SimpleNamespace(webhook_allowed_hosts=("hooks.lsa.lt",), auth_secret="entrypoint-test-secret",
                           mailbox_dir="/data/mailbox")
ID = uuid.UUID("00000000-0000-4000-8000-00000000000a")
RECIPIENT = RecipientIn(email="ona@kaunas.lt", name="Ona", municipality_code="15")
PAGE = PreferencesPageQuery(token="t" * 20)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RESULT = object()


@pytest.fixture
def service():
    return worker_factory(NotificationsService, settings=SETTINGS)


# (entrypoint, its arguments, use case module, use case function, the call the use case must get;
#  `DB` and `WAKE` stand for the worker's unit of work and its delivery loop's wake)
DB, WAKE = object(), object()
ROUTES = [
    ("list_recipients", dict(query=RecipientQuery(role="eu_projects_coordinator", limit=5), principal=STAFF,
                             tenant="15"),
     "recipients", "listing", ((DB,), dict(municipality_code="15", role="eu_projects_coordinator", limit=5))),
    ("get_recipient", dict(recipient_id=ID, principal=STAFF), "recipients", "get", ((DB, ID), {})),
    ("set_preferences", dict(recipient_id=ID, body=PreferencesIn(), principal=STAFF), "recipients", "set_preferences",
     ((DB, ID, PreferencesIn()), dict(allowed_hosts=("hooks.lsa.lt",)))),
    ("rotate_webhook_secret", dict(recipient_id=ID, principal=STAFF), "recipients", "rotate_webhook_secret",
     ((DB, ID), {})),
    ("record_bounce", dict(body=BounceIn(email="a@b.lt", reason="550"), principal=OPERATOR), "recipients",
     "record_bounce", ((DB, BounceIn(email="a@b.lt", reason="550")), {})),
    ("list_templates", dict(principal=OPERATOR), "previews", "templates", ((), {})),
    ("preview", dict(name="enrollment_confirmed", body=PreviewIn(), principal=OPERATOR), "previews", "preview",
     (("enrollment_confirmed", PreviewIn()), {})),
    ("list_deliveries", dict(query=DeliveryQuery(status="failed"), principal=OPERATOR), "operator", "deliveries",
     ((DB, DeliveryQuery(status="failed")), {})),
    ("get_delivery", dict(notification_id=ID, principal=OPERATOR), "operator", "delivery", ((DB, ID), {})),
    ("resend", dict(notification_id=ID, principal=OPERATOR), "operator", "resend", ((DB, ID), dict(wake=WAKE))),
    ("event_delivery", dict(event_id=ID, principal=OPERATOR), "operator", "event_progress", ((DB, ID), {})),
    ("retry_failed", dict(event_id=ID, principal=OPERATOR), "operator", "retry_failed", ((DB, ID), dict(wake=WAKE))),
    ("stats", dict(principal=OPERATOR), "operator", "stats", ((DB,), {})),
]


def expected(call, service):
    args, kwargs = call
    swap = {id(DB): service.db, id(WAKE): service.delivery.wake}
    return (tuple(swap.get(id(a), a) for a in args), {k: swap.get(id(v), v) for k, v in kwargs.items()})


@pytest.mark.parametrize("entrypoint, arguments, module, function, call", ROUTES, ids=[r[0] for r in ROUTES])
def test_each_route_calls_its_use_case_with_the_unit_of_work_and_returns_its_answer(
        service, entrypoint, arguments, module, function, call):
    with mock.patch.object(getattr(service_module, module), function, return_value=RESULT) as use_case:
        answer = getattr(service, entrypoint)(None, **arguments)
    assert answer is RESULT
    use_case.assert_called_once_with(*expected(call, service)[0], **expected(call, service)[1])
    service.db.commit.assert_not_called()  # committing is the use case's business


def test_registration_answers_201_for_a_new_recipient_and_200_for_an_update(service):
    for created, status in ((True, 201), (False, 200)):
        with mock.patch.object(service_module.recipients, "register", return_value=(RESULT, created)) as register:
            assert service.register_recipient(None, body=RECIPIENT, principal=STAFF) == (status, RESULT)
        register.assert_called_once_with(service.db, RECIPIENT, allowed_hosts=("hooks.lsa.lt",))


def request(accept=None, data=None):
    headers = {"Accept": accept} if accept else {}
    return Request(EnvironBuilder(method="POST" if data else "GET", headers=headers, data=data,
                                  content_type="application/x-www-form-urlencoded" if data else None).get_environ())


def test_the_unsubscribe_page_renders_the_use_case_s_view(service):
    view = PreferencesView(address="o***@kaunas.lt", language="en", category="training", still_told=True,
                           categories=CATEGORIES, wanted=frozenset(CATEGORIES), delivery_mode="immediate",
                           digest_hour=8)
    with mock.patch.object(service_module.unsubscribe, "page", return_value=view) as page:
        answer = service.unsubscribe_page(request(BROWSER), query=PAGE)
    page.assert_called_once_with(service.db, PAGE.token, secret="entrypoint-test-secret")
    assert isinstance(answer, Response) and answer.headers["Content-Language"] == "en"
    assert "Training courses and your enrolments" in answer.get_data(as_text=True)


def test_one_click_unsubscribe_answers_json_and_a_browser_303(service):
    for accept, expect_page in ((None, False), ("application/json", False), (BROWSER, True)):
        with mock.patch.object(service_module.unsubscribe, "unsubscribe", return_value=RESULT) as use_case:
            answer = service.unsubscribe(request(accept), query=PAGE)
        use_case.assert_called_once_with(service.db, PAGE.token, secret="entrypoint-test-secret")
        if expect_page:
            assert answer.status_code == 303 and answer.headers["Location"].endswith("done=unsubscribed")
        else:
            assert answer is RESULT


def test_the_preferences_form_calls_its_use_case_and_answers_303(service):
    form = "language=en&categories=training&categories=grants&delivery_mode=daily_digest&digest_hour=7"
    with mock.patch.object(service_module.unsubscribe, "save_preferences", return_value="en") as use_case:
        answer = service.save_preferences_form(request(BROWSER, form), query=PAGE)
    use_case.assert_called_once_with(service.db, PAGE.token, language="en", categories=["training", "grants"],
                                     delivery_mode="daily_digest", digest_hour=7, secret="entrypoint-test-secret")
    assert answer.status_code == 303 and answer.headers["Location"] == (
        f"/notifications/unsubscribe?token={PAGE.token}&lang=en&done=saved")
    service.db.commit.assert_not_called()


def test_every_entrypoint_is_covered_here():
    """A new entrypoint needs its delegation test (the table above or a test of its own)."""
    names = {name for name, attr in vars(NotificationsService).items() if callable(attr) and not name.startswith("_")}
    covered = {r[0] for r in ROUTES} | {"register_recipient", "unsubscribe_page", "unsubscribe", "on_event",
                                        "on_erasure_requested"}
    assert names == covered


# ---------------------------------------------------------------- event handlers

@pytest.fixture
def unit_of_work(notifications_db_url):
    """A real unit of work on a migrated SQLite database (tests/notifications/conftest.py): the
    @subscribe wrapper claims the event in its inbox and commits."""
    with UnitOfWork(engine_for(notifications_db_url), "notifications", "test") as uow:
        uow.session  # opened (and SQLite's write lock taken) here, so this thread is the one that closes it
        yield uow


def envelope_of(event):
    return new_envelope(event, source="savivalda/enrollment", correlation_id="corr-1")


def test_the_catch_all_handler_delegates_each_event_once(unit_of_work):
    service = worker_factory(NotificationsService, db=unit_of_work, settings=SETTINGS)
    event = example_event("enrollment_confirmed")
    envelope = envelope_of(event)
    with mock.patch.object(service_module.telling, "tell_event", return_value={"pending": 1}) as tell_event:
        service.on_event(event, envelope)
        service.on_event(event, envelope)  # redelivered: the inbox stops it before the use case
    tell_event.assert_called_once_with(unit_of_work, event, envelope, service="notifications",
                                       wake=service.delivery.wake)


def test_the_erasure_handler_delegates(unit_of_work):
    service = worker_factory(NotificationsService, db=unit_of_work, settings=SETTINGS)
    request = ErasureRequested(request_id=uuid.uuid4(), email="ona@kaunas.lt", requested_by="dpo")
    with mock.patch.object(service_module.erasure, "erase") as erase:
        service.on_erasure_requested(request, envelope_of(request))
    erase.assert_called_once_with(unit_of_work, request, mailbox="/data/mailbox")


# ---------------------------------------------------------------- through a container's worker

@pytest.fixture
def container(tmp_path, unit_of_work):
    """The service in a nameko container (not started: no HTTP socket, no consumers) with its
    database and delivery loop replaced; entrypoint_hook spawns workers in it."""
    settings = embedded_settings(tmp_path / "data", env={})
    found = ServiceContainer(NotificationsService, config={"SAVIVALDA": settings, "AMQP_URI": "memory://",
                                                           "WEB_SERVER_ADDRESS": "127.0.0.1:0"})
    delivery = mock.MagicMock()
    replace_dependencies(found, db=unit_of_work, delivery=delivery)
    found.delivery = delivery
    return found


def test_a_worker_of_the_catch_all_handler_delegates_to_telling(container, unit_of_work):
    assert {e.method_name for e in container.entrypoints if isinstance(e, Entrypoint)} >= {"on_event", "stats"}
    event = example_event("enrollment_waitlisted")
    envelope = envelope_of(event)
    with mock.patch.object(service_module.telling, "tell_event", return_value=None) as tell_event, \
            entrypoint_hook(container, "on_event") as on_event:
        on_event(event, envelope)
    tell_event.assert_called_once_with(unit_of_work, event, envelope, service="notifications",
                                       wake=container.delivery.wake)


def test_a_worker_of_a_route_delegates_to_its_use_case(container, unit_of_work):
    with mock.patch.object(service_module.operator, "stats", return_value=[]) as stats, \
            entrypoint_hook(container, "stats") as hook:
        assert hook(None, principal=OPERATOR) == []
    stats.assert_called_once_with(unit_of_work)
