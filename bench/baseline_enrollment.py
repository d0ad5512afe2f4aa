"""Baseline: the enrolment path and its e-mail, hand-written (plain nameko 2.14.1, psycopg2, kombu,
Jinja2, smtplib, PyJWT; no project code).

    python bench/baseline_enrollment.py --dsn postgresql://... --amqp amqp://... [--smtp-port P] --port H
    python bench/baseline_enrollment.py --dsn postgresql://... --setup SEATS     (prints the session id)

Same shape as the project's path. `POST /enrollment/sessions/<id>/enrollments` with a bearer JWT
(HS256, exp/sub/role required) and a validated JSON body (422 naming the field): in one
transaction lock the session row (SELECT ... FOR UPDATE), count its confirmed and waitlisted
enrolments, insert the enrolment (confirmed while seats are left, else the next waitlist place)
and an outbox row; after COMMIT wake the relay, which publishes with pipelined confirms
(bench/baseline_relay.Publisher) and marks the rows with one UPDATE. With --smtp-port a second
nameko service consumes `enrollment_confirmed`: claims it in its inbox and stores the
notification in one transaction, renders a Jinja2 e-mail, sends it over a pooled SMTP connection
(bench/baseline_fanout.SmtpPool) and records sent_at. Prints "ready" once both listen.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import jinja2  # noqa: E402
import jwt  # noqa: E402
import psycopg2  # noqa: E402
import psycopg2.extensions  # noqa: E402
import psycopg2.extras  # noqa: E402
from eventlet.queue import LightQueue  # noqa: E402
from nameko.events import event_handler  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.web.handlers import http  # noqa: E402
from werkzeug.wrappers import Response  # noqa: E402

from baseline_fanout import SmtpPool  # noqa: E402
from baseline_relay import Publisher  # noqa: E402

psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)  # cooperative under eventlet

SCHEMA = """
CREATE TABLE sessions (id uuid PRIMARY KEY, capacity integer NOT NULL);
CREATE TABLE enrolments (id bigserial PRIMARY KEY, session_id uuid NOT NULL REFERENCES sessions, name text NOT NULL,
    email text NOT NULL, municipality_code text NOT NULL, status text NOT NULL, waitlist_position integer,
    created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (session_id, email));
CREATE TABLE outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, event_type text NOT NULL,
    exchange text NOT NULL, routing_key text NOT NULL, correlation_id text NOT NULL, body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE TABLE inbox (event_id uuid PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE notifications (id uuid PRIMARY KEY, event_id uuid NOT NULL UNIQUE, email text NOT NULL,
    event_time timestamptz NOT NULL, status text NOT NULL DEFAULT 'pending', sent_at timestamptz);
"""
SECRET = ""  # --secret: the same HS256 key the project's tokens are signed with
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
TEMPLATES = jinja2.Environment(autoescape=jinja2.select_autoescape(["html"]), loader=jinja2.DictLoader({
    "subject": "Registracija patvirtinta: {{ e.course_title }}",
    "txt": "Sveiki, {{ e.name }},\n\nJūsų registracija į mokymus „{{ e.course_title }}“ patvirtinta.\n"
           "Pradžia: {{ e.starts_at }}\nVieta: {{ e.venue }}\n\nIki pasimatymo!\n",
    "html": "<p>Sveiki, {{ e.name }},</p><p>Jūsų registracija į mokymus „{{ e.course_title }}“ patvirtinta.</p>"
            "<ul><li>Pradžia: {{ e.starts_at }}</li><li>Vieta: {{ e.venue }}</li></ul><p>Iki pasimatymo!</p>",
}))
CONNECTIONS: LightQueue = LightQueue()
WAKE = eventlet.event.Event()


def problem(status: int, title: str, field: str | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, **({"field": field} if field else {})}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def validate(body) -> tuple[dict | None, Response | None]:
    if not isinstance(body, dict):
        return None, problem(422, "a JSON object is required")
    for field, check in (("name", lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 200),
                         ("email", lambda v: isinstance(v, str) and len(v) <= 254 and EMAIL.match(v)),
                         ("municipality_code", lambda v: isinstance(v, str) and re.fullmatch(r"\d{2}", v))):
        if not check(body.get(field)):
            return None, problem(422, f"{field} is missing or not valid", field)
    return {k: body[k] for k in ("name", "email", "municipality_code")}, None


class BaselineEnrollment:
    name = "baseline_enrollment"

    @http("POST", "/enrollment/sessions/<session_id>/enrollments")
    def enrol(self, request, session_id):
        header = request.headers.get("Authorization", "")
        try:
            jwt.decode(header.removeprefix("Bearer "), SECRET, algorithms=["HS256"],
                       options={"require": ["exp", "sub", "role"]})
        except jwt.InvalidTokenError:
            return problem(401, "a valid bearer token is required")
        if len(request.get_data()) > 16384:
            return problem(413, "body too large")
        try:
            data, error = validate(json.loads(request.get_data()))
            uuid.UUID(session_id)
        except ValueError:
            return problem(422, "not JSON, or not a session id")
        if error:
            return error
        connection = CONNECTIONS.get()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT capacity FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
                session = cursor.fetchone()
                if session is None:
                    return problem(404, "no such session")
                cursor.execute("SELECT count(*) FILTER (WHERE status = 'confirmed'), "
                               "count(*) FILTER (WHERE status = 'waitlisted') FROM enrolments WHERE session_id = %s",
                               (session_id,))
                confirmed, waitlisted = cursor.fetchone()
                status = "confirmed" if confirmed < session[0] else "waitlisted"
                position = None if status == "confirmed" else waitlisted + 1
                cursor.execute("INSERT INTO enrolments (session_id, name, email, municipality_code, status, "
                               "waitlist_position) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                               (session_id, data["name"], data["email"], data["municipality_code"], status, position))
                row = cursor.fetchone()
                if row is None:
                    return problem(409, "already enrolled", "email")
                event_id = str(uuid.uuid4())
                event = {"event_id": event_id, "time": datetime.now(timezone.utc).isoformat(), "enrollment_id": row[0],
                         "session_id": session_id, "course_title": "Našumo bandymas", "starts_at": "2027-01-01 09:00",
                         "venue": "Vilnius", **data}
                cursor.execute("INSERT INTO outbox (event_id, event_type, exchange, routing_key, correlation_id, body) "
                               "VALUES (%s, %s, 'baseline_enrollment.events', %s, %s, %s)",
                               (event_id, f"enrollment_{status}", f"enrollment_{status}", event_id, json.dumps(event)))
        finally:
            CONNECTIONS.put(connection)
        if not WAKE.ready():
            WAKE.send(True)
        return Response(json.dumps({"id": row[0], **data, "status": status, "waitlist_position": position}),
                        status=201, mimetype="application/json")


class BaselineNotifications:
    name = "baseline_notifications"
    pool: SmtpPool

    @event_handler("baseline_enrollment", "enrollment_confirmed")
    def on_confirmed(self, event: dict) -> None:
        connection = CONNECTIONS.get()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("INSERT INTO inbox (event_id) VALUES (%s) ON CONFLICT DO NOTHING", (event["event_id"],))
                if cursor.rowcount == 0:
                    return  # a redelivery
                notification_id = str(uuid.uuid4())
                cursor.execute("INSERT INTO notifications (id, event_id, email, event_time) VALUES (%s, %s, %s, %s)",
                               (notification_id, event["event_id"], event["email"], event["time"]))
            message = render(event, notification_id)
            client = self.pool.take()
            try:
                client.sendmail("noreply@savivalda.lt", [event["email"]], message.encode("utf-8"))
            finally:
                self.pool.give_back(client)
            with connection, connection.cursor() as cursor:
                cursor.execute("UPDATE notifications SET status = 'sent', sent_at = now() WHERE id = %s",
                               (notification_id,))
        finally:
            CONNECTIONS.put(connection)


def render(event: dict, notification_id: str) -> str:
    from email.header import Header
    from email.utils import formataddr, formatdate

    subject = TEMPLATES.get_template("subject").render(e=event)
    boundary = uuid.uuid4().hex
    return (f"From: Savivalda <noreply@savivalda.lt>\r\nTo: {formataddr((str(Header(event['name'], 'utf-8')), event['email']))}"
            f"\r\nSubject: {Header(subject, 'utf-8').encode()}\r\nDate: {formatdate()}\r\n"
            f"Message-ID: <{notification_id}@savivalda.lt>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{TEMPLATES.get_template('txt').render(e=event)}\r\n--{boundary}\r\n"
            f"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{TEMPLATES.get_template('html').render(e=event)}\r\n--{boundary}--\r\n")


def relay(dsn: str, amqp_uri: str) -> None:
    """Woken after each commit (and every 0.5 s): publish what waits, in id order, under the lock."""
    global WAKE
    publisher, connection = Publisher(amqp_uri, content_type="application/json"), psycopg2.connect(dsn)
    from kombu import Exchange

    Exchange("baseline_enrollment.events", type="topic", durable=True)(publisher.kombu.default_channel).declare()
    while True:
        WAKE.wait(timeout=0.5) if not WAKE.ready() else None
        WAKE = eventlet.event.Event()
        while True:
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(4242)")
                if not cursor.fetchone()[0]:
                    break
                cursor.execute("SELECT id, event_id, event_type, exchange, routing_key, correlation_id, body "
                               "FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 200")
                rows = cursor.fetchall()
                if not rows:
                    break
                outcomes = publisher.publish(rows)
                done = []
                for row, outcome in zip(rows, outcomes):
                    if outcome == "nacked":
                        break  # keep the order: the next round starts from the refused one
                    done.append(row[0])
                cursor.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s::bigint[])", (done,))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--amqp")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--secret", default="")
    parser.add_argument("--smtp-port", type=int, help="also run the notifications service, sending here")
    parser.add_argument("--setup", type=int, help="create the tables and a session with this many seats; print its id")
    args = parser.parse_args()
    if args.setup is not None:
        connection, session_id = psycopg2.connect(args.dsn), str(uuid.uuid4())
        with connection, connection.cursor() as cursor:
            cursor.execute(SCHEMA)
            cursor.execute("INSERT INTO sessions VALUES (%s, %s)", (session_id, args.setup))
        print(session_id)
        return
    global SECRET
    SECRET = args.secret
    for _ in range(20):
        CONNECTIONS.put(psycopg2.connect(args.dsn))
    runner = ServiceRunner({"AMQP_URI": args.amqp, "WEB_SERVER_ADDRESS": f"127.0.0.1:{args.port}", "max_workers": 10})
    runner.add_service(BaselineEnrollment)
    if args.smtp_port:
        BaselineNotifications.pool = SmtpPool(args.smtp_port)
        runner.add_service(BaselineNotifications)
    runner.start()
    eventlet.spawn(relay, args.dsn, args.amqp)
    print("ready", flush=True)
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
