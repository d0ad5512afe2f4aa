"""Baseline: a minimal hand-written fan-out (plain nameko 2.14.1, psycopg2, Jinja2, smtplib; no
project code): one call-published event to every stored subscriber, rendered and sent over
pooled SMTP connections.

    python bench/baseline_fanout.py --dsn postgresql://... --amqp amqp://... --smtp-port P

Same shape as the project's path: a nameko event handler takes the event, claims it in an inbox
table (a redelivery does nothing twice), stores one notification row per subscriber in the same
transaction, then sends them: four green threads, each over an SMTP connection kept in a pool
(NOOP after a pause, reconnect when stale), in batches of 100 whose outcomes are recorded with one
UPDATE each. `--setup N` creates the tables and N subscribers and exits. Prints "ready" once the
service runs.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import smtplib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from email.header import Header  # noqa: E402
from email.utils import formataddr, formatdate  # noqa: E402

import jinja2  # noqa: E402
import psycopg2  # noqa: E402
import psycopg2.extensions  # noqa: E402
import psycopg2.extras  # noqa: E402
from nameko.events import event_handler  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)  # cooperative under eventlet

SCHEMA = """
CREATE TABLE subscribers (id uuid PRIMARY KEY, email text NOT NULL, name text NOT NULL, language text NOT NULL,
                          call_alerts boolean NOT NULL);
CREATE TABLE inbox (event_id uuid PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE notifications (id uuid PRIMARY KEY, event_id uuid NOT NULL, subscriber_id uuid NOT NULL,
                            status text NOT NULL DEFAULT 'pending', sent_at timestamptz,
                            UNIQUE (event_id, subscriber_id));
"""
TEMPLATES = jinja2.Environment(autoescape=jinja2.select_autoescape(["html"]), loader=jinja2.DictLoader({
    "lt.subject": "Naujas kvietimas: {{ call.title.lt }} (iki {{ call.closes_on }})",
    "en.subject": "New call: {{ call.title.en or call.title.lt }} (until {{ call.closes_on }})",
    "lt.txt": "Sveiki, {{ name }},\n\n{{ call.funder }} paskelbė kvietimą, kuris atitinka jūsų temas:\n\n"
              "{{ call.title.lt }} ({{ call.code }})\nTemos: {{ call.themes | join(', ') }}\n"
              "Paraiškų pateikimo terminas: {{ call.closes_on }}\n\nAtsisakyti: {{ unsubscribe }}\n",
    "en.txt": "Hello {{ name }},\n\n{{ call.funder }} published a call matching your themes:\n\n"
              "{{ call.title.en or call.title.lt }} ({{ call.code }})\nThemes: {{ call.themes | join(', ') }}\n"
              "Deadline: {{ call.closes_on }}\n\nUnsubscribe: {{ unsubscribe }}\n",
    "lt.html": "<p>Sveiki, {{ name }},</p><p>{{ call.funder }} paskelbė kvietimą:</p><p><strong>{{ call.title.lt }}"
               "</strong> ({{ call.code }})</p><ul><li>Temos: {{ call.themes | join(', ') }}</li><li>Terminas: "
               "{{ call.closes_on }}</li></ul><p><a href=\"{{ unsubscribe }}\">Atsisakyti</a></p>",
    "en.html": "<p>Hello {{ name }},</p><p>{{ call.funder }} published a call:</p><p><strong>{{ call.title.en }}"
               "</strong> ({{ call.code }})</p><ul><li>Themes: {{ call.themes | join(', ') }}</li><li>Deadline: "
               "{{ call.closes_on }}</li></ul><p><a href=\"{{ unsubscribe }}\">Unsubscribe</a></p>",
}))
SENDER = "Savivalda <noreply@savivalda.lt>"
CONNECTIONS, BATCH = 4, 100


def render_message(call: dict, subscriber, message_id: str) -> str:
    language = subscriber[3]
    values = {"call": call, "name": subscriber[2], "unsubscribe": f"https://savivalda.lt/u/{subscriber[0]}"}
    subject = TEMPLATES.get_template(f"{language}.subject").render(values)
    text = TEMPLATES.get_template(f"{language}.txt").render(values)
    html = TEMPLATES.get_template(f"{language}.html").render(values)
    boundary = uuid.uuid4().hex
    return (f"From: {SENDER}\r\nTo: {formataddr((str(Header(subscriber[2], 'utf-8')), subscriber[1]))}\r\n"
            f"Subject: {Header(subject, 'utf-8').encode()}\r\nDate: {formatdate()}\r\nMessage-ID: {message_id}\r\n"
            f"List-Unsubscribe: <{values['unsubscribe']}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n"
            f"--{boundary}--\r\n")


class SmtpPool:
    def __init__(self, port: int):
        self.port, self.idle = port, []

    def take(self) -> smtplib.SMTP:
        while self.idle:
            client, since = self.idle.pop()
            if time.monotonic() - since < 2:
                return client
            try:
                if client.noop()[0] == 250:
                    return client
            except smtplib.SMTPException:
                pass
            client.close()
        return smtplib.SMTP("127.0.0.1", self.port, timeout=15)

    def give_back(self, client: smtplib.SMTP) -> None:
        self.idle.append((client, time.monotonic()))


class BaselineNotifications:
    name = "baseline_notifications"
    dsn = ""
    pool: SmtpPool

    @event_handler("baseline_grants", "call_published")
    def on_call_published(self, call: dict) -> None:
        connection = psycopg2.connect(self.dsn)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("INSERT INTO inbox (event_id) VALUES (%s) ON CONFLICT DO NOTHING", (call["event_id"],))
                if cursor.rowcount == 0:
                    return  # a redelivery: already stored
                cursor.execute("SELECT id, email, name, language FROM subscribers WHERE call_alerts ORDER BY id")
                subscribers = cursor.fetchall()
                rows = [(str(uuid.uuid4()), call["event_id"], s[0]) for s in subscribers]
                psycopg2.extras.execute_values(
                    cursor, "INSERT INTO notifications (id, event_id, subscriber_id) VALUES %s", rows, page_size=1000)
            work = [(row[0], s) for row, s in zip(rows, subscribers)]
            groups = [work[i::CONNECTIONS] for i in range(CONNECTIONS)]
            pile = eventlet.GreenPile(CONNECTIONS)
            for group in groups:
                pile.spawn(self.send_group, call, group)
            list(pile)
        finally:
            connection.close()

    def send_group(self, call: dict, group: list) -> None:
        connection = psycopg2.connect(self.dsn)
        try:
            for start in range(0, len(group), BATCH):
                client, sent = self.pool.take(), []
                try:
                    for notification_id, subscriber in group[start:start + BATCH]:
                        message = render_message(call, subscriber, f"<{notification_id}@savivalda.lt>")
                        client.sendmail("noreply@savivalda.lt", [subscriber[1]], message.encode("utf-8"))
                        sent.append(notification_id)
                finally:
                    self.pool.give_back(client)
                    with connection, connection.cursor() as cursor:
                        cursor.execute("UPDATE notifications SET status = 'sent', sent_at = now() "
                                       "WHERE id = ANY(%s::uuid[])", (sent,))
        finally:
            connection.close()


def setup(dsn: str, count: int) -> None:
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(SCHEMA)
        psycopg2.extras.execute_values(cursor, "INSERT INTO subscribers VALUES %s", [
            (str(uuid.uuid4()), f"subscriber{n}@savivaldybe.lt", f"Prenumeratorius {n}", "lt" if n % 2 else "en", True)
            for n in range(count)], page_size=1000)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--amqp")
    parser.add_argument("--smtp-port", type=int)
    parser.add_argument("--setup", type=int, help="create the tables and this many subscribers, then exit")
    args = parser.parse_args()
    if args.setup is not None:
        setup(args.dsn, args.setup)
        return
    BaselineNotifications.dsn = args.dsn
    BaselineNotifications.pool = SmtpPool(args.smtp_port)
    runner = ServiceRunner({"AMQP_URI": args.amqp, "max_workers": 10})
    runner.add_service(BaselineNotifications)
    runner.start()
    print("ready", flush=True)
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
