"""An external learning system publishes `learning.course_completed` the way docs/events.md tells
integrators to: a plain AMQP client (kombu's Connection and Producer, nothing of Savivalda's),
the exchange `learning.events`, routing key `course_completed`, the CloudEvents envelope as the
body. Against RabbitMQ and PostgreSQL with `savivalda run enrollment notifications` as containers
run them: the hours reach the person's ledger and the report, the certificate is issued and
e-mailed, a repeat (same external id) is ignored, invalid ones are dead-lettered with the reason."""

import json
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection, Exchange, Producer

from shared.auth import issue_token
from tests.enrollment.helpers import Api
from tests.support import TEST_SECRET, run_cli, wait_until

pytestmark = pytest.mark.e2e


def moodle_message(external_id: str, **data_changes) -> dict:
    """What a Moodle plug-in would send: hand-written JSON, as in docs/events.md."""
    data = {"external_id": external_id, "completed_at": "2026-11-27T16:05:00+02:00",
            "person": {"name": "Rūta Petraitienė", "email": "ruta@kaunas.lt", "municipality_code": "15",
                       "position": "Viešųjų pirkimų specialistė", "language": "lt"},
            "course": {"external_id": "course-311",
                       "title": {"lt": "Korupcijos rizika viešuosiuose pirkimuose",
                                 "en": "Corruption risk in public procurement"}},
            "hours": 4, "themes": ["anti_corruption"]}
    data.update(data_changes)
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "moodle.lsa.lt",
            "type": "learning.course_completed", "time": datetime.now(timezone.utc).isoformat(),
            "subject": external_id, "correlationid": f"moodle-{external_id}", "datacontenttype": "application/json",
            "data": data}


def publish(amqp_uri: str, *messages: dict) -> None:
    exchange = Exchange("learning.events", type="topic", durable=True)
    with Connection(amqp_uri) as connection:
        producer = Producer(connection.channel())
        for message in messages:
            producer.publish(json.dumps(message).encode(), exchange=exchange, routing_key="course_completed",
                             content_type="application/cloudevents+json", content_encoding="utf-8",
                             delivery_mode=2, message_id=message["id"], declare=[exchange], retry=True)


def test_a_learning_system_publishes_completions_with_a_plain_amqp_client(launcher, distributed_env, pg_databases,
                                                                          smtp_sink):
    enrollment = launcher.start("enrollment", "notifications")
    api = Api(enrollment.base_url, lambda role="staff", **kw: issue_token(TEST_SECRET, subject="e2e", role=role, **kw),
              pg_databases["enrollment"])
    course = api.course(title={"lt": "Korupcijos rizika viešuosiuose pirkimuose",
                               "en": "Corruption risk in public procurement"},
                        themes=["anti_corruption"], duration_hours=4, format="online", completion_min_percent=75,
                        certificate_validity_months=24)
    amqp_uri = distributed_env["SAVIVALDA_AMQP_URI"]
    first = moodle_message("moodle-completion-1", course={
        "external_id": "course-311", "title": {"lt": "Korupcijos rizika viešuosiuose pirkimuose"},
        "catalogue_course_id": course["id"]})
    publish(amqp_uri, first)

    def listed():
        reply = api.get("/learning-completions")
        assert reply.status == 200, reply.body
        return reply.body

    [completion] = wait_until(listed, timeout=30, message="the completion counted")
    assert completion["external_id"] == "moodle-completion-1" and completion["certificate_number"]
    assert completion["learning_system"] == "moodle.lsa.lt" and completion["hours"] == "4.0"

    # The same completion again (a new event id), one without a catalogue course, and three invalid ones.
    repeat = moodle_message("moodle-completion-1", hours=40)
    second = moodle_message("moodle-completion-2", hours="2.5", themes=["budgeting"])
    bad_municipality = moodle_message("moodle-completion-3", person={"name": "X", "email": "x@example.lt",
                                                                      "municipality_code": "99"})
    bad_theme = moodle_message("moodle-completion-4", themes=["astrology"])
    unknown_course = moodle_message("moodle-completion-5", course={
        "external_id": "c-9", "title": {"lt": "Nežinomas"}, "catalogue_course_id": str(uuid.uuid4())})
    publish(amqp_uri, repeat, second, bad_municipality, bad_theme, unknown_course)

    def dead_letters():
        done = run_cli("dlq", "list", "--service", "enrollment", env=distributed_env)
        return [json.loads(line) for line in done.stdout.splitlines()]

    letters = wait_until(lambda: len(dead_letters()) == 3 and dead_letters(), timeout=30,
                         message="three dead letters")
    reasons = {letter["event_id"]: letter["reason"] for letter in letters}
    assert "data.person.municipality_code" in reasons[bad_municipality["id"]]
    assert "data.themes" in reasons[bad_theme["id"]] and "astrology" in reasons[bad_theme["id"]]
    assert "data.course.catalogue_course_id" in reasons[unknown_course["id"]]
    assert all(reason.startswith("invalid: ") for reason in reasons.values())
    wait_until(lambda: enrollment.metric("savivalda_enrollment_learning_completions_total", outcome="repeat") == 1,
               timeout=20, message="the repeat seen and ignored")

    completions = wait_until(lambda: len(listed()) == 2 and listed(), timeout=20, message="the second completion")
    assert {c["external_id"] for c in completions} == {"moodle-completion-1", "moodle-completion-2"}
    hours = api.get("/hours?email=ruta@kaunas.lt").body
    assert {(line["theme"], line["hours"], line["certificates"]) for line in hours} == {
        ("anti_corruption", "4.0", 1), ("budgeting", "2.5", 0)}  # the repeat's 40 hours are not counted
    total = api.get("/reports/summary?group_by=municipality").body["total"]
    assert (total["learned_elsewhere"], total["training_hours"], total["sessions_held"]) == (2, "6.5", 0)

    # Kaunas sees its own staff's completions; Vilnius sees none.
    kaunas = issue_token(TEST_SECRET, subject="ruta@kaunas.lt", role="municipality:15")
    vilnius = issue_token(TEST_SECRET, subject="a@vilnius.lt", role="municipality:57")
    assert len(api.get("/learning-completions", token=kaunas).body) == 2
    assert api.get("/learning-completions", token=vilnius).body == []
    assert api.get("/learning-completions?municipality_code=15", token=vilnius).status == 403

    # Rūta is told in Lithuanian, with the certificate; anyone can verify it.
    def mails():
        return [m for m in smtp_sink.messages() if m["To"] and "ruta@kaunas.lt" in m["To"]]

    wait_until(lambda: len(mails()) == 2, timeout=30, message="two e-mails to Rūta")
    subjects = sorted(str(m["Subject"]) for m in mails())
    assert subjects[0].startswith("Pažymėjimas Nr. " + completion["certificate_number"])
    assert subjects[1].startswith("Įskaityti mokymai")
    verified = api.public(completion["verify_url"])
    assert verified.status == 200 and verified.body["valid"] and verified.body["learning_system"] == "moodle.lsa.lt"
