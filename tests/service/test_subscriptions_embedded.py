"""Event handling on the embedded default: invalid events are dead-lettered with the reason, a
redelivered event has one effect, a failing handler is retried and then dead-lettered, and
`savivalda dlq` lists and replays it."""

import json
import uuid

from kombu import Connection, Producer
from sqlalchemy import func, select, text

from services.notifications.models import Notification
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from shared.events import new_envelope
from shared.broker import broker_for
from shared.messaging.topology import events_exchange
from tests.support import metric_value, http, run_cli, wait_until
from tests.unit.test_envelope import confirmed


def publish(body, routing_key="enrollment_confirmed", content_type="application/json", publisher="enrollment"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with Connection("memory://") as connection:
        exchange = events_exchange(publisher)
        Producer(connection.channel()).publish(raw, exchange=exchange, routing_key=routing_key, declare=[exchange],
                                               content_type=content_type, content_encoding="utf-8")


def notifications(embedded) -> int:
    with UnitOfWork(engine_for(embedded.settings.database_url("notifications")), "notifications", "test") as uow:
        return uow.session.execute(select(func.count()).select_from(Notification)).scalar_one()


def dead_letters(embedded):
    return broker_for(embedded.settings, "notifications").dead_letters()


def metric(embedded, name, **labels):
    # Counters live as long as the test process: tests compare before and after.
    return metric_value(http("GET", f"{embedded.ops_url}/metrics").body, name, **labels)


def test_invalid_events_go_straight_to_dead_letters_with_the_reason(embedded):
    invalid_before = metric(embedded, "savivalda_events_dead_lettered_total", service="notifications", reason="invalid")
    good = new_envelope(confirmed(), source="savivalda/enrollment", correlation_id="c").to_wire()
    broken_envelope = {k: v for k, v in good.items() if k != "id"}
    bad_data = json.loads(json.dumps(good))
    bad_data["data"]["participant"]["municipality_code"] = "99"
    unknown_type = dict(good, type="enrollment.no_such_event", id=str(uuid.uuid4()))
    publish(broken_envelope)
    publish(bad_data)
    publish(unknown_type)
    publish(b"\xff\xfe not json at all")
    publish(b"<xml/>", content_type="application/xml")

    letters = wait_until(lambda: len(dead_letters(embedded)) == 5 and dead_letters(embedded), message="5 dead letters")
    reasons = sorted(letter.reason for letter in letters)
    assert any("broken envelope" in r and "id" in r for r in reasons)
    assert any("data.participant.municipality_code" in r for r in reasons)
    assert any("unknown event type enrollment.no_such_event" in r for r in reasons)
    assert sum("undecodable body" in r for r in reasons) == 2
    assert all(letter.reason.startswith("invalid:") and letter.attempts == 1 for letter in letters)
    assert notifications(embedded) == 0
    invalid_after = metric(embedded, "savivalda_events_dead_lettered_total", service="notifications", reason="invalid")
    assert invalid_after - invalid_before == 5
    wait_until(lambda: metric(embedded, "savivalda_dead_letters", service="notifications") == 5,
               message="the dead-letter gauge")


def test_the_same_event_delivered_twice_has_one_effect(embedded):
    handled_before = metric(embedded, "savivalda_events_consumed_total", handler="on_event")
    duplicates_before = metric(embedded, "savivalda_events_consumed_total", outcome="duplicate")
    body = new_envelope(confirmed(), source="savivalda/enrollment", correlation_id="c").to_wire()
    publish(body)
    publish(body)
    wait_until(lambda: metric(embedded, "savivalda_events_consumed_total", handler="on_event")
               - handled_before == 2, message="both deliveries handled")
    assert notifications(embedded) == 1
    assert metric(embedded, "savivalda_events_consumed_total", outcome="duplicate") - duplicates_before == 1
    wait_until(lambda: len(list(embedded.mailbox.glob("*.eml"))) == 1, message="the e-mail")


def test_a_failing_handler_is_retried_then_dead_lettered_and_replayed_by_the_cli(embedded):
    engine = engine_for(embedded.settings.database_url("notifications"))

    def rename(old, new):
        with UnitOfWork(engine, "notifications", "test") as uow:
            uow.session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
            uow.commit()

    retried_before = metric(embedded, "savivalda_events_retried_total", handler="on_event")
    rename("recipients", "recipients_hidden")  # e.g. a migration that was not run
    body = new_envelope(confirmed(), source="savivalda/enrollment", correlation_id="c").to_wire()
    publish(body)
    letters = wait_until(lambda: dead_letters(embedded), message="a dead letter")
    letter, = letters
    assert letter.attempts == 3 == embedded.settings.max_attempts
    assert letter.reason.startswith("exhausted: 3 attempts failed") and "recipients" in letter.reason
    assert letter.event_id == body["id"] and letter.event_type == "enrollment.enrollment_confirmed"
    assert metric(embedded, "savivalda_events_retried_total", handler="on_event") - retried_before == 2

    data_dir = str(embedded.settings.data_dir)
    listed = run_cli("--data-dir", data_dir, "dlq", "list")
    assert listed.returncode == 0 and body["id"] in listed.stdout and "exhausted" in listed.stdout
    shown = run_cli("--data-dir", data_dir, "dlq", "show", letter.id[:8])
    assert json.loads(shown.stdout)["body"]["id"] == body["id"]

    rename("recipients_hidden", "recipients")  # the operator fixes the cause ...
    replayed = run_cli("--data-dir", data_dir, "dlq", "replay", "--service", "notifications", body["id"])
    assert replayed.returncode == 0 and "1 dead letter" in replayed.stdout, replayed.stderr
    wait_until(lambda: notifications(embedded) == 1, message="the replayed event handled")
    wait_until(lambda: not dead_letters(embedded), message="the dead letter gone")
    wait_until(lambda: len(list(embedded.mailbox.glob("*.eml"))) == 1, message="the e-mail")


def test_dlq_cli_refuses_to_act_on_nothing_and_purges(embedded):
    publish(b"garbage")
    wait_until(lambda: dead_letters(embedded), message="a dead letter")
    data_dir = str(embedded.settings.data_dir)
    refused = run_cli("--data-dir", data_dir, "dlq", "purge")
    assert refused.returncode == 2 and "--all" in refused.stderr
    assert run_cli("--data-dir", data_dir, "dlq", "show", "no-such-id").returncode == 1
    purged = run_cli("--data-dir", data_dir, "dlq", "purge", "--all", "--yes")
    assert purged.returncode == 0 and "purged 1" in purged.stdout
    assert dead_letters(embedded) == []
