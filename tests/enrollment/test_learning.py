"""Learning done elsewhere (issue 20 item 4): the rules (domain/learning.py) on their own, and the
use cases (usecases/learning.py) on a migrated SQLite database, as the subscription calls them."""

import shutil
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.enrollment.domain.figures import ParticipationFacts, SessionFacts, summary_report
from services.enrollment.domain.learning import KIND, CourseRule, credit, is_repeat
from services.enrollment.notices import Links
from services.enrollment.schemas import CourseIn, HoursQuery, ReportQuery, VerifyQuery
from services.enrollment.schemas_learning import CompletionQuery
from services.enrollment.usecases import catalogue, certificates, erasure, learning, reports
from shared.events import new_envelope
from shared.events.envelope import InvalidEvent, parse_event
from shared.events.learning import CourseCompleted
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.unit_of_work import UnitOfWork

LINKS = Links("https://mokymai.example.lt", "learning-test-secret-0123456789abcdefghij")
NOW = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
RULE = CourseRule(Decimal(8), 75, 24)


# ---------------------------------------------------------------- the rules

def test_enough_hours_of_a_catalogue_course_earn_a_certificate_valid_for_its_months():
    earned = credit(Decimal(6), ["anti_corruption", "budgeting"], NOW, RULE)
    assert earned.certificate and earned.hours == 6 and earned.primary_theme == "anti_corruption"
    assert earned.certificate_valid_until == NOW.replace(year=2028)


def test_too_few_hours_or_no_catalogue_course_count_the_hours_without_a_certificate():
    short = credit(Decimal("5.9"), ["budgeting"], NOW, RULE)
    assert not short.certificate and short.hours == Decimal("5.9") and short.certificate_valid_until is None
    assert not credit(Decimal(40), ["budgeting"], NOW, None).certificate


def test_a_repeat_is_told_apart_from_a_redelivery():
    event_id = uuid.uuid4()
    assert is_repeat(event_id, event_id) == "redelivered"
    assert is_repeat(event_id, uuid.uuid4()) == "repeat"


def test_learning_elsewhere_counts_hours_and_people_but_no_session_held():
    held = SessionFacts(uuid.uuid4(), "completed", NOW, ("budgeting",), "KU")
    elsewhere = SessionFacts(uuid.uuid4(), "completed", NOW, ("budgeting",), None, kind=KIND)
    rows = [ParticipationFacts(held.session_id, "a@x.lt", "A", "a@x.lt", "15", None, "attended", Decimal(6), True,
                               Decimal(0)),
            ParticipationFacts(elsewhere.session_id, "b@x.lt", "B", "b@x.lt", "15", None, "attended", Decimal(4),
                               False, Decimal(0))]
    lines, total = summary_report("municipality", {held.session_id: held, elsewhere.session_id: elsewhere}, rows)
    assert (total.sessions_held, total.participants_trained, total.attendances, total.training_hours,
            total.learned_elsewhere) == (1, 2, 2, 10, 1)


# ---------------------------------------------------------------- the event's schema

def wire(**data_changes) -> dict:
    data = {"external_id": "moodle-1", "completed_at": "2026-11-19T15:00:00+02:00",
            "person": {"name": "Rūta Petraitienė", "email": "Ruta@Kaunas.lt", "municipality_code": "15",
                       "language": "en"},
            "course": {"external_id": "c-311", "title": {"lt": "Korupcijos rizika", "en": "Corruption risk"}},
            "hours": "6", "themes": ["anti_corruption"]}
    data.update(data_changes)
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "moodle.lsa.lt", "type": "learning.course_completed",
            "time": "2026-11-19T13:01:00Z", "correlationid": "moodle-1", "data": data}


@pytest.mark.parametrize("changes, field", [
    ({"hours": "0"}, "data.hours"), ({"hours": "501"}, "data.hours"), ({"hours": "1.25"}, "data.hours"),
    ({"themes": ["astrology"]}, "data.themes"), ({"themes": []}, "data.themes"),
    ({"person": {"name": "X", "email": "x@y.lt", "municipality_code": "99"}}, "data.person.municipality_code"),
    ({"person": {"name": "X", "email": "not-an-address", "municipality_code": "15"}}, "data.person.email"),
    ({"completed_at": "2026-11-19T15:00:00"}, "data.completed_at"),
    ({"completed_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()}, "data.completed_at"),
    ({"external_id": ""}, "data.external_id"), ({"external_id": "x" * 201}, "data.external_id"),
])
def test_an_invalid_completion_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidEvent) as refused:
        parse_event(wire(**changes))
    assert field in refused.value.reason


# ---------------------------------------------------------------- the use cases

@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    from shared import migrations

    path = tmp_path_factory.mktemp("learning-template") / "enrollment.sqlite"
    migrations.upgrade("enrollment", f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture
def work(migrated, tmp_path):
    path = tmp_path / "enrollment.sqlite"
    shutil.copy(migrated, path)
    yield lambda: UnitOfWork(engine_for(f"sqlite:///{path}"), "enrollment", "test")
    dispose_engines()


def course(work, hours=8, percent=75) -> uuid.UUID:
    with work() as uow:
        created = catalogue.create_course(uow, CourseIn.model_validate({
            "title": {"lt": "Korupcijos rizika", "en": "Corruption risk"}, "themes": ["anti_corruption"],
            "audience": ["officials"], "duration_hours": hours, "format": "online",
            "completion_min_percent": percent, "certificate_validity_months": 24}))
        uow.commit()
        return created.id


def record(work, **changes):
    envelope, event = parse_event(wire(**changes))
    with work() as uow:
        outcome = learning.record_completion(uow, LINKS, event, envelope)
        uow.commit()
        return outcome, [e for e in uow.emitted]


def test_a_completion_counts_in_the_ledger_and_report_and_earns_the_courses_certificate(work):
    course_id = course(work)
    outcome, emitted = record(work, course={"external_id": "c-311", "title": {"lt": "Korupcijos rizika"},
                                            "catalogue_course_id": str(course_id)})
    assert outcome == "certified"
    [told] = emitted
    assert told.type == "enrollment.learning_recorded"
    assert told.data["participant"]["email"] == "Ruta@Kaunas.lt" and told.data["participant"]["language"] == "en"
    assert told.data["number"] and told.data["verify_url"].startswith(LINKS.base)
    with work() as uow:
        [line] = reports.training_hours(uow, HoursQuery(email="ruta@kaunas.lt"), None)
        assert (line.year, line.theme, line.hours, line.sessions, line.certificates) == (2026, "anti_corruption", 6, 1, 1)
        report = reports.summary(uow, ReportQuery(group_by="municipality"), None)
        assert (report.total.attendances, report.total.training_hours, report.total.sessions_held,
                report.total.certificates_issued, report.total.learned_elsewhere) == (1, 6, 0, 1, 1)
        assert reports.summary(uow, ReportQuery(group_by="municipality"), "57").total.learned_elsewhere == 0
        number, code = told.data["number"], told.data["verification_code"]
        verified = certificates.verify_certificate(uow, VerifyQuery(number=number, code=code))
        assert verified.valid and verified.holder_name == "Rūta Petraitienė" and verified.hours == 6
        assert verified.learning_system == "moodle.lsa.lt" and verified.course_title.lt == "Korupcijos rizika"
        [listed] = learning.list_completions(uow, LINKS, CompletionQuery(), "15")
        assert listed.certificate_number == number and listed.person.municipality_code == "15"
        assert learning.list_completions(uow, LINKS, CompletionQuery(), "57") == []


def test_too_few_hours_for_the_course_count_without_a_certificate(work):
    course_id = course(work, hours=8, percent=100)
    outcome, [told] = record(work, hours="7.5", course={"external_id": "c", "title": {"lt": "K"},
                                                         "catalogue_course_id": str(course_id)})
    assert outcome == "counted" and told.data["certificate_id"] is None and told.data["number"] is None
    with work() as uow:
        [line] = reports.training_hours(uow, HoursQuery(), None)
        assert (line.hours, line.certificates) == (Decimal("7.5"), 0)


def test_a_repeat_of_the_same_external_id_changes_nothing(work):
    assert record(work)[0] == "counted"
    outcome, emitted = record(work, hours="9")  # the same completion sent again in a new event
    assert (outcome, emitted) == ("repeat", [])
    with work() as uow:
        [line] = reports.training_hours(uow, HoursQuery(), None)
        assert (line.hours, line.sessions) == (6, 1)


def test_a_completion_naming_an_unknown_catalogue_course_is_invalid_and_changes_nothing(work):
    with pytest.raises(InvalidEvent) as refused:
        record(work, course={"external_id": "c", "title": {"lt": "K"}, "catalogue_course_id": str(uuid.uuid4())})
    assert "data.course.catalogue_course_id" in refused.value.reason
    with work() as uow:
        assert reports.training_hours(uow, HoursQuery(), None) == []


def test_erasure_pseudonymises_completions_and_their_certificates_but_keeps_the_hours(work):
    course_id = course(work)
    record(work, course={"external_id": "c", "title": {"lt": "K"}, "catalogue_course_id": str(course_id)})
    with work() as uow:
        removed = erasure.erase(uow, LINKS, ErasureRequested(request_id=uuid.uuid4(), email="ruta@kaunas.lt",
                                                             requested_by="dpo@lsa.lt"))
        uow.commit()
    assert removed["learning_completions"] == 1 and removed["certificates"] == 1
    with work() as uow:
        [line] = reports.training_hours(uow, HoursQuery(), None)
        assert line.name == "(erased)" and "ruta" not in line.email and line.hours == 6
        [listed] = learning.list_completions(uow, LINKS, CompletionQuery(), None)
        assert listed.person.name == "(erased)"
        assert reports.training_hours(uow, HoursQuery(email="ruta@kaunas.lt"), None) == []


def test_the_list_is_bounded_and_checks_its_period():
    with pytest.raises(ValidationError):
        CompletionQuery(limit=501)
    with pytest.raises(ValidationError):
        CompletionQuery.model_validate({"from": "2026-11-02", "to": "2026-11-01"})


def test_the_documented_example_is_a_valid_completion():
    from shared.events.learning import example

    envelope = new_envelope(example(), source="moodle.lsa.lt", correlation_id="c")
    assert isinstance(parse_event(envelope.to_wire())[1], CourseCompleted)


def test_the_published_contract_tells_integrators_where_and_what_to_send():
    import jsonschema

    from shared.events.catalogue_docs import asyncapi, json_schemas, markdown
    from shared.events.learning import example

    channel = asyncapi()["channels"]["learning_course_completed_v1"]
    assert channel["address"] == "course_completed"
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "learning.events"
    guide = markdown()
    assert "## Publishing from another system: learning.course_completed" in guide
    assert "| routing key | `course_completed` |" in guide and "exchange learning.events" in guide
    body = new_envelope(example(), source="moodle.lsa.lt", correlation_id="c").to_wire()
    jsonschema.validate(body, json_schemas()["learning.course_completed.v1"])
    for field, value in (("themes", []), ("external_id", ""), ("completed_at", "yesterday")):
        broken = {**body, "data": {**body["data"], field: value}}
        with pytest.raises(jsonschema.ValidationError):  # the schema refuses what consumers dead-letter
            jsonschema.validate(broken, json_schemas()["learning.course_completed.v1"],
                                format_checker=jsonschema.FormatChecker())
