"""The cross-service flow on the embedded default: enrol → enrollment_confirmed → the participant
gets an e-mail in their language, written to the mailbox folder."""

import email
from email import policy

from tests.service.helpers import create_session, enrol, person
from tests.support import http, metric_value, wait_until


def mailbox(embedded):
    folder = embedded.mailbox
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_enrolment_reaches_the_participant_in_their_language(embedded):
    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=1)
    ona = enrol(embedded.base_url, token, session_id, person(1, language="lt"), headers={"X-Correlation-ID": "flow-ona"})
    john = enrol(embedded.base_url, token, session_id, dict(person(2, language="en"), name="John Smith"))
    assert (ona.body["status"], john.body["status"]) == ("confirmed", "waitlisted")
    assert john.body["waitlist_position"] == 1

    messages = wait_until(lambda: len(mailbox(embedded)) == 2 and mailbox(embedded), message="two e-mails")
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in messages}
    lithuanian = by_recipient["dalyve1@savivaldybe.lt"]
    english = by_recipient["dalyve2@savivaldybe.lt"]
    assert lithuanian["Subject"] == "Registracija patvirtinta: Biudžeto planavimas savivaldybėje"
    assert lithuanian["Content-Language"] == "lt"
    assert "Sveiki, Dalyvė Nr. 1" in lithuanian.get_body(("plain",)).get_content()
    assert english["Subject"] == "On the waitlist: Municipal budget planning"
    assert "Your position: 1" in english.get_body(("plain",)).get_content()

    # The delivery log ties the e-mail to the event and to the request that caused it.
    def delivery_log():
        rows = http("GET", f"{embedded.base_url}/notifications/deliveries", token=embedded.token("operator")).body
        return rows if [r["status"] for r in rows] == ["sent", "sent"] else None

    # the mailbox has the file a moment before the sender records the outcome
    sent = {d["template"]: d for d in wait_until(delivery_log, message="both deliveries recorded")}
    assert sent["enrollment_confirmed"]["status"] == "sent"
    assert sent["enrollment_confirmed"]["correlation_id"] == "flow-ona"
    assert sent["enrollment_confirmed"]["message_id"] == lithuanian["Message-ID"]

    metrics = http("GET", f"{embedded.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_events_consumed_total", service="notifications",
                        handler="on_event", outcome="applied") >= 1
    assert metric_value(metrics, "savivalda_outbox_backlog", service="enrollment") == 0


def test_metric_names_pass_promtool(embedded, promtool):
    import subprocess

    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=1)
    enrol(embedded.base_url, token, session_id, person(1))
    wait_until(lambda: len(mailbox(embedded)) == 1, message="an e-mail")
    text = http("GET", f"{embedded.ops_url}/metrics").body
    for name in ("savivalda_http_requests_total", "savivalda_entrypoint_calls_total", "savivalda_events_published_total",
                 "savivalda_events_consumed_total", "savivalda_outbox_backlog", "savivalda_outbox_oldest_age_seconds",
                 "savivalda_dead_letters", "savivalda_notifications_total"):
        assert f"\n{name}" in text, name
    done = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr
