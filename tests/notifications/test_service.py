"""The notifications service through its HTTP API and events, on the embedded default (and over
a real SMTP server where the test is about SMTP)."""

import email
import json
import time as clock
import urllib.parse
from datetime import datetime, timedelta
from email import policy

from sqlalchemy import text, update

from services.notifications.domain.language import LOCAL_TZ
from services.notifications.domain.tokens import verify_webhook
from services.notifications.models import Notification
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.service.helpers import create_session, enrol, person
from tests.support import http, metric_value, run_cli, wait_until

CALL = {"code": "LT10-2027-01", "funder": "EEA and Norway Grants",
        "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity building of municipalities"},
        "themes": ["budgeting", "public_service_quality"], "eligible_applicant_types": ["municipality"],
        "closes_on": (datetime.now() + timedelta(days=40)).date().isoformat(), "status": "open"}


def register(running, **values):
    body = {"name": "Subscriber", "language": "lt", "municipality_code": "15", "call_alerts": True, **values}
    reply = http("POST", f"{running.base_url}/notifications/recipients", body, token=running.token())
    assert reply.status in (200, 201), reply.body
    return reply.body


def publish_call(running, **changes):
    reply = http("POST", f"{running.base_url}/grants/calls", {**CALL, **changes}, token=running.token())
    assert reply.status == 201, reply.body
    return reply.body


def mailbox(running):
    folder = running.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def deliveries(running, **query):
    url = f"{running.base_url}/notifications/deliveries?{urllib.parse.urlencode(query)}"
    return http("GET", url, token=running.token("operator")).body


def sql(running, statement, **params):
    with UnitOfWork(engine_for(running.settings.database_url("notifications")), "notifications", "t") as uow:
        result = uow.session.execute(text(statement), params)
        rows = result.all() if result.returns_rows else None
        uow.commit()
        return rows


def test_malformed_preferences_are_refused_naming_the_field(embedded):
    url = f"{embedded.base_url}/notifications/recipients"
    base = {"email": "a@savivaldybe.lt", "name": "A", "municipality_code": "15"}
    cases = [({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"), ({"digest_hour": 24}, "digest_hour"),
             ({"opt_out_categories": ["spam"]}, "opt_out_categories"), ({"roles": ["king"]}, "roles"),
             ({"channels": ["email", "pigeon"]}, "channels.1"), ({"alert_themes": ["astrology"]}, "alert_themes"),
             ({"alert_regions": ["XX"]}, "alert_regions"), ({"email": "not an address"}, "email"),
             ({"municipality_code": "99"}, "municipality_code"), ({"delivery_mode": "hourly"}, "delivery_mode")]
    for change, field in cases:
        reply = http("POST", url, {**base, **change}, token=embedded.token())
        assert reply.status == 422, (change, reply.body)
        assert field in [e["field"] for e in reply.body["errors"]], (change, reply.body)
    for change in ({"channels": ["webhook"]}, {"quiet_start": "22:00"}):
        reply = http("POST", url, {**base, **change}, token=embedded.token())
        assert reply.status == 422 and reply.body["errors"], change
    other = http("POST", url, {**base, "municipality_code": "57"}, token=embedded.token("municipality:15"))
    assert other.status == 403
    assert http("GET", url, token=embedded.token()).body == []


def test_a_municipality_manages_its_own_people(embedded):
    kaunas = embedded.token("municipality:15")
    created = http("POST", f"{embedded.base_url}/notifications/recipients",
                   {"email": "koordinatore@kaunas.lt", "name": "Koordinatorė", "municipality_code": "15",
                    "roles": ["eu_projects_coordinator"]}, token=kaunas)
    assert created.status == 201
    vilnius = register(embedded, email="v@vilnius.lt", municipality_code="57")
    assert [r["email"] for r in http("GET", f"{embedded.base_url}/notifications/recipients", token=kaunas).body] == [
        "koordinatore@kaunas.lt"]
    # another municipality's recipient is not found, as an unknown id
    assert http("GET", f"{embedded.base_url}/notifications/recipients/{vilnius['id']}", token=kaunas).status == 404
    again = http("POST", f"{embedded.base_url}/notifications/recipients",
                 {"email": "KOORDINATORE@kaunas.lt", "name": "Koordinatorė K.", "municipality_code": "15"}, token=kaunas)
    assert again.status == 200 and again.body["id"] == created.body["id"] and again.body["name"] == "Koordinatorė K."


def test_call_alerts_reach_only_matching_subscribers_in_their_language(embedded):
    lithuanian = register(embedded, email="biudzetas@kaunas.lt", name="Ona", alert_themes=["budgeting"])
    english = register(embedded, email="all-themes@vilnius.lt", name="John", language="en", municipality_code="57")
    register(embedded, email="health@kaunas.lt", name="Jonas", alert_themes=["health_care"])
    register(embedded, email="silent@kaunas.lt", name="Petras", call_alerts=False)
    register(embedded, email="ngo@kaunas.lt", name="Rita", alert_applicant_types=["ngo"])
    publish_call(embedded)
    messages = wait_until(lambda: len(mailbox(embedded)) == 2 and mailbox(embedded), message="two call alerts")
    by_to = {m["To"].addresses[0].addr_spec: m for m in messages}
    assert set(by_to) == {lithuanian["email"], english["email"]}
    assert by_to[lithuanian["email"]]["Subject"].startswith("Naujas kvietimas: Savivaldybių gebėjimų stiprinimas")
    assert by_to[english["email"]]["Subject"].startswith("New call: Capacity building of municipalities")
    # a call limited to Vilnius County reaches only the subscriber whose county that is
    publish_call(embedded, code="LT10-2027-02", eligible_regions=["VL"])
    wait_until(lambda: len(mailbox(embedded)) == 3, message="the Vilnius alert")
    newest = deliveries(embedded, event_type="grants.call_published", status="sent")
    assert sorted(d["recipient_id"] for d in newest).count(english["id"]) == 2


def test_one_click_unsubscribe_from_the_e_mail_header(embedded):
    subscriber = register(embedded, email="ona@kaunas.lt", name="Ona")
    publish_call(embedded)
    message, = wait_until(lambda: mailbox(embedded), message="the alert")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    page = http("GET", link)
    assert page.status == 200 and 'method="post"' in page.body  # a GET never unsubscribes
    assert "call_alerts" not in http("GET", f"{embedded.base_url}/notifications/recipients/{subscriber['id']}",
                                     token=embedded.token()).body["opt_out_categories"]
    done = http("POST", link, raw=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 200 and done.body == {"recipient_id": subscriber["id"], "category": "call_alerts",
                                                "unsubscribed": True}
    publish_call(embedded, code="LT10-2027-02")
    suppressed = wait_until(lambda: deliveries(embedded, status="suppressed"), message="the suppressed alert")
    assert suppressed[0]["status_reason"] == "opted out of call_alerts"
    assert len(mailbox(embedded)) == 1
    for bad in ("x" * 20, link.split("token=")[1][:-3] + "AAA"):
        reply = http("POST", f"{embedded.base_url}/notifications/unsubscribe?token={bad}")
        assert reply.status == 400 and reply.body["errors"][0]["field"] == "token"


def test_the_daily_digest_holds_then_sends_one_e_mail(embedded):
    subscriber = register(embedded, email="digest@kaunas.lt", name="Ona", delivery_mode="daily_digest", digest_hour=7)
    publish_call(embedded)
    publish_call(embedded, code="LT10-2027-02", title={"lt": "Antras kvietimas", "en": "Second call"})
    held = wait_until(lambda: len(deliveries(embedded, status="held")) == 2 and deliveries(embedded, status="held"),
                      message="two held alerts")
    local_seven = datetime.fromisoformat(held[0]["next_attempt_at"]).astimezone(LOCAL_TZ)
    assert (local_seven.hour, local_seven.minute) == (7, 0)
    assert mailbox(embedded) == []
    # the next morning comes
    with UnitOfWork(engine_for(embedded.settings.database_url("notifications")), "notifications", "t") as uow:
        uow.session.execute(update(Notification).where(Notification.status == "held")
                            .values(next_attempt_at=datetime.now(LOCAL_TZ) - timedelta(minutes=1)))
        uow.commit()
    digest, = wait_until(lambda: mailbox(embedded), message="the digest")
    assert digest["Subject"] == "Dienos santrauka: 2 naujienos"
    body = digest.get_body(("plain",)).get_content()
    assert "Savivaldybių gebėjimų stiprinimas" in body and "Antras kvietimas" in body
    assert len(deliveries(embedded, status="digested", recipient_id=subscriber["id"])) == 2


def test_quiet_hours_defer_a_notification(embedded):
    now = datetime.now(LOCAL_TZ)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    register(embedded, email="sleepy@kaunas.lt", name="Ona", quiet_start=start, quiet_end=end)
    publish_call(embedded)
    deferred, = wait_until(lambda: deliveries(embedded, event_type="grants.call_published"), message="the alert")
    assert deferred["status"] == "pending" and deferred["status_reason"] == "quiet hours"
    when = datetime.fromisoformat(deferred["next_attempt_at"]).astimezone(LOCAL_TZ)
    assert when.strftime("%H:%M") == end and when > now
    clock.sleep(1.5)
    assert mailbox(embedded) == []


def test_webhooks_are_signed_and_their_failures_classified(embedded_webhooks, webhook_receiver):
    embedded = embedded_webhooks  # webhooks allowed to the local receiver
    subscriber = register(embedded, email="hook@kaunas.lt", name="Integracija", channels=["email", "webhook"],
                          webhook_url=webhook_receiver.url)
    secret = subscriber["webhook_secret"]
    assert secret
    call = publish_call(embedded)
    request = wait_until(lambda: webhook_receiver.requests and webhook_receiver.requests[0], message="the webhook")
    timestamp = int(request["headers"]["X-Savivalda-Timestamp"])
    assert verify_webhook(secret, timestamp, request["body"], request["headers"]["X-Savivalda-Signature"],
                          now=int(clock.time()))
    assert not verify_webhook("wrong-secret", timestamp, request["body"], request["headers"]["X-Savivalda-Signature"],
                              now=int(clock.time()))
    assert request["json"]["event_type"] == "grants.call_published" and call["code"] in request["json"]["text"]
    wait_until(lambda: len(mailbox(embedded)) == 1, message="the e-mail beside the webhook")

    webhook_receiver.status = 410  # the endpoint is gone: retrying cannot help
    publish_call(embedded, code="LT10-2027-02")
    failed = wait_until(lambda: deliveries(embedded, status="failed", channel="webhook"), message="the failed webhook")
    assert "410" in failed[0]["last_error"] and failed[0]["attempts"] == 1
    webhook_receiver.status = 503  # down for now: retried later
    publish_call(embedded, code="LT10-2027-03")
    retrying = wait_until(lambda: [d for d in deliveries(embedded, channel="webhook", status="pending")
                                   if d["attempts"] == 1], message="the webhook waiting to retry")
    assert "503" in retrying[0]["last_error"]


def test_smtp_refusals_are_bounces_and_only_failed_recipients_are_retried(embedded_smtp):
    running = embedded_smtp
    for address in ("refused-one@kaunas.lt", "busy-one@kaunas.lt", "fine-one@kaunas.lt"):
        register(running, email=address, name=address.split("@")[0])
    call = publish_call(running)
    wait_until(lambda: len(running.smtp.messages()) == 1, message="the one accepted e-mail")
    event_id = wait_until(lambda: deliveries(running, status="failed") and deliveries(running, status="failed")[0],
                          message="the refused address failing")["event_id"]
    summary = http("GET", f"{running.base_url}/notifications/events/{event_id}", token=running.token("operator")).body
    assert summary["counts"] == {"sent": 1, "failed": 1, "pending": 1} and summary["complete"] is False
    assert "550" in summary["failed"][0]["last_error"]
    refused = http("GET", f"{running.base_url}/notifications/recipients?limit=10", token=running.token()).body
    assert [r["email"] for r in refused if r["bounced_at"]] == ["refused-one@kaunas.lt"]

    sent = deliveries(running, status="sent")[0]
    again = http("POST", f"{running.base_url}/notifications/deliveries/{sent['id']}/resend", token=running.token())
    assert again.status == 409  # never a second e-mail for a delivered one
    retried = http("POST", f"{running.base_url}/notifications/events/{event_id}/retry-failed", token=running.token())
    assert retried.body == {"retried": 1}
    assert len(running.smtp.messages()) == 1
    assert call["code"] in running.smtp.messages()[0]["Subject"] or "Naujas kvietimas" in running.smtp.messages()[0]["Subject"]


def test_template_preview(embedded):
    token = embedded.token("operator")
    names = [t["name"] for t in http("GET", f"{embedded.base_url}/notifications/templates", token=token).body]
    assert "call_published" in names and "daily_digest" in names
    for name in names:
        for language in ("lt", "en"):
            reply = http("POST", f"{embedded.base_url}/notifications/templates/{name}/preview", {"language": language},
                         token=token)
            assert reply.status == 200 and reply.body["language"] == language and reply.body["subject"], (name, reply.body)
    custom = http("POST", f"{embedded.base_url}/notifications/templates/call_published/preview",
                  {"language": "en", "data": {**json.loads(json.dumps(CALL)), "call_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                              "eligible_regions": []}}, token=token)
    assert custom.status == 200 and custom.body["subject"].startswith("New call: Capacity building")
    broken = http("POST", f"{embedded.base_url}/notifications/templates/call_published/preview",
                  {"data": {"code": "X"}}, token=token)
    assert broken.status == 422 and "data.call_id" in [e["field"] for e in broken.body["errors"]]
    assert http("POST", f"{embedded.base_url}/notifications/templates/nope/preview", {}, token=token).status == 404
    assert http("POST", f"{embedded.base_url}/notifications/templates/call_published/preview", {"language": "de"},
                token=token).status == 422


def test_events_that_concern_nobody_are_counted_not_failed(embedded):
    before = metric_value(http("GET", f"{embedded.ops_url}/metrics").body,
                          "savivalda_notifications_untold_events_total", event_type="enrollment.session_scheduled")
    create_session(embedded.base_url, embedded.token(), capacity=2)
    wait_until(lambda: metric_value(http("GET", f"{embedded.ops_url}/metrics").body,
                                    "savivalda_notifications_untold_events_total",
                                    event_type="enrollment.session_scheduled") == before + 1, message="the count")
    assert deliveries(embedded) == []


def test_a_forgotten_person_leaves_no_trace(embedded):
    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=1)
    ona = dict(person(1), name="Ona Unikalaitė", email="ona.unikalaite@kaunas.lt")
    enrol(embedded.base_url, token, session_id, ona)
    wait_until(lambda: deliveries(embedded, status="sent"), message="her e-mail")
    done = run_cli("--data-dir", str(embedded.settings.data_dir), "privacy", "erase", ona["email"])
    assert done.returncode == 0, done.stderr
    wait_until(lambda: sql(embedded, "SELECT count(*) FROM recipients WHERE erased_at IS NOT NULL")[0][0] == 1,
               message="the erasure")
    tables = [row[0] for row in sql(embedded, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in sql(embedded, f'SELECT * FROM "{table}"'):
            flat = json.dumps([str(value) for value in row], ensure_ascii=False).lower()
            assert "unikalait" not in flat and "ona.unikalaite" not in flat, (table, row)
    erased = sql(embedded, "SELECT body FROM outbox WHERE event_type = 'notifications.person_erased'")
    removed = json.loads(erased[0][0])["data"]["removed"]
    assert removed["recipients"] == 1 and removed["notifications"] == 1 and removed["received_events"] == 1
    assert deliveries(embedded)[0]["status"] == "sent"  # the count for reports stays


def test_the_fallback_relay_takes_over_when_the_primary_is_down(tmp_path, reset_process_state, smtp_sink):
    from tests.support import EmbeddedSystem, free_port

    dead_primary = f"smtp://127.0.0.1:{free_port()}?timeout=2"  # nothing listens there
    running = EmbeddedSystem(tmp_path / "data", smtp_url=dead_primary, smtp_fallback_url=smtp_sink.url)
    try:
        register(running, email="ona@kaunas.lt", name="Ona")
        publish_call(running)
        wait_until(lambda: len(smtp_sink.messages()) == 1, message="the e-mail through the fallback")
        sent = wait_until(lambda: deliveries(running, status="sent"), message="the recorded delivery")
        assert sent[0]["delivered_via"] == f"smtp:127.0.0.1:{smtp_sink.port}" and sent[0]["attempts"] == 1
    finally:
        running.stop()
