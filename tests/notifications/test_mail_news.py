"""Every e-mail tells the right thing (issue 17, item 2), read from the real rendered mail in the
embedded mailbox: "starts today/tomorrow/in N days" by calendar date in Vilnius, one e-mail per
decision on an application, and an enrolment's news in order (a confirmation held by quiet hours,
or arriving late, never follows the cancellation)."""

import email
import json
import uuid
from datetime import datetime, timedelta, timezone
from email import policy
from email.utils import parseaddr

from types import SimpleNamespace

import pytest
from kombu import Connection, Producer
from sqlalchemy import select, text, update

from services.notifications.domain.language import LOCAL_TZ
from services.notifications.examples import example_event
from services.notifications.models import Notification
from services.notifications.rendering import TemplateLibrary
from shared.events import parse_event
from shared.messaging.topology import events_exchange
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import application_body, call_body, create, day, make_ready, move
from tests.service.helpers import create_session, enrol, person
from tests.support import http, wait_until


def mailbox(system) -> list:
    folder = system.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def to(message) -> str:
    return parseaddr(str(message["To"]))[1].lower()


def notifications(system, **where) -> list[Notification]:
    with UnitOfWork(engine_for(system.settings.database_url("notifications")), "notifications", "t") as uow:
        query = select(Notification)
        for field, value in where.items():
            query = query.where(getattr(Notification, field) == value)
        return list(uow.session.scalars(query))


def soon(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


# ---------------------------------------------------------------- starts today / tomorrow / in N days

def test_a_session_seconds_away_starts_today_not_in_one_day(embedded):
    token = embedded.token()
    starts = datetime.now(timezone.utc) + timedelta(seconds=12)
    _, session_id = create_session(embedded.base_url, token, capacity=5, starts_at=soon(12),
                                   ends_at=soon(4 * 3600))
    assert enrol(embedded.base_url, token, session_id, person(1)).status == 201
    assert enrol(embedded.base_url, token, session_id, person(2, language="en")).status == 201
    messages = wait_until(lambda: len(mailbox(embedded)) == 2 and mailbox(embedded), message="two confirmations")
    lithuanian = next(text_of(m) for m in messages if to(m) == "dalyve1@savivaldybe.lt")
    english = next(text_of(m) for m in messages if to(m) == "dalyve2@savivaldybe.lt")
    # By calendar date in Vilnius: today, unless these 12 seconds cross local midnight.
    same_day = starts.astimezone(LOCAL_TZ).date() == datetime.now(LOCAL_TZ).date()
    assert ("Mokymai prasideda šiandien." if same_day else "Mokymai prasideda rytoj.") in lithuanian
    assert ("The training starts today." if same_day else "The training starts tomorrow.") in english
    assert "1 diena" not in lithuanian and "1 day" not in english


@pytest.mark.parametrize("now, lithuanian, english", [
    ((2026, 11, 24, 23, 59, 50), "Mokymai prasideda rytoj.", "The training starts tomorrow."),  # 12 s before
    ((2026, 11, 25, 0, 0, 1), "Mokymai prasideda šiandien.", "The training starts today."),
    ((2026, 11, 22, 0, 0, 2), "Iki mokymų liko 3 dienos.", "The training starts in 3 days."),
    ((2026, 11, 4, 18, 0, 0), "Iki mokymų liko 21 diena.", "The training starts in 21 days."),
])
def test_a_confirmation_says_today_tomorrow_or_in_n_days_by_the_vilnius_calendar(now, lithuanian, english):
    starts = datetime(2026, 11, 25, 0, 0, 2, tzinfo=LOCAL_TZ)
    event = example_event("enrollment_confirmed").model_copy(update={"starts_at": starts,
                                                                     "ends_at": starts + timedelta(hours=4)})
    for language, expected in (("lt", lithuanian), ("en", english)):
        rendered = TemplateLibrary().render("enrollment_confirmed", language, recipient=SimpleNamespace(name="Rūta Petrauskienė", email="ruta@example.lt"),
                                  now=datetime(*now, tzinfo=LOCAL_TZ), event=event)
        assert expected in rendered.text and expected in rendered.html


# ---------------------------------------------------------------- one e-mail per decision

def test_an_award_sends_one_e_mail_to_each_person(embedded):
    call = create(embedded, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    application = create(embedded, "/grants/applications", application_body(call["id"]))
    application_id = application["id"]
    for status in ("drafting", "internal_review"):
        assert move(embedded, application_id, status).status == 200
    make_ready(embedded, application)
    assert move(embedded, application_id, "submitted").status == 200
    contact, consultant = "ruta.petraitiene@kaunas.lt", "jonas.jonaitis@lsa.lt"
    # created, drafting, internal review, submitted: four e-mails to each of the two
    wait_until(lambda: len(mailbox(embedded)) == 8, message="the e-mails before the decision")
    before = {m["Message-ID"] for m in mailbox(embedded)}
    decided = http("POST", f"{embedded.base_url}/grants/applications/{application_id}/decision",
                   {"outcome": "awarded", "decided_on": day(0), "awarded_grant_eur": "80000",
                    "reasons": {"lt": "Aukštas įvertinimas", "en": "Scored highly"}}, token=embedded.token())
    assert decided.status == 200, decided.body
    wait_until(lambda: len(mailbox(embedded)) >= 10, message="the decision e-mails")
    wait_until(lambda: notifications(embedded, event_type="grants.application_decided")
               and all(n.status == "sent" for n in notifications(embedded, event_type="grants.application_decided")),
               message="the decision told")
    # Give a second e-mail (the status change to awarded, told before the fix) time to arrive.
    wait_until(lambda: not [n for n in notifications(embedded) if n.status in ("pending", "sending")],
               message="nothing left to send")
    new = [m for m in mailbox(embedded) if m["Message-ID"] not in before]
    assert sorted(to(m) for m in new) == sorted([contact, consultant]), [m["Subject"] for m in new]
    lithuanian = next(text_of(m) for m in new if to(m) == contact)
    english = next(text_of(m) for m in new if to(m) == consultant)
    assert "80 000,00 €" in lithuanian and "€80,000.00" in english
    status_changes = notifications(embedded, event_type="grants.application_status_changed")
    assert len(status_changes) == 2 * 3  # drafting, internal review, submitted; not the award


# ---------------------------------------------------------------- an enrolment's news in order

def publish(envelope: dict) -> None:
    publisher, name = envelope["type"].split(".", 1)
    with Connection("memory://") as connection:
        exchange = events_exchange(publisher)
        Producer(connection.channel()).publish(json.dumps(envelope).encode(), exchange=exchange, routing_key=name,
                                               declare=[exchange], content_type="application/json")


def received(system, event_type: str) -> dict:
    with UnitOfWork(engine_for(system.settings.database_url("notifications")), "notifications", "t") as uow:
        body = uow.session.execute(text("SELECT body FROM received_events WHERE event_type = :t"),
                                   {"t": event_type}).scalar_one()
    return json.loads(body)


def test_a_confirmation_held_by_quiet_hours_never_follows_the_cancellation(embedded):
    token = embedded.token()
    now = datetime.now(LOCAL_TZ)
    quiet = {"quiet_start": (now - timedelta(hours=1)).strftime("%H:%M"),
             "quiet_end": (now + timedelta(hours=1)).strftime("%H:%M")}
    ona = person(1, language="en")
    registered = http("POST", f"{embedded.base_url}/notifications/recipients",
                      {"email": ona["email"], "name": ona["name"], "language": "en", "municipality_code": "15",
                       **quiet}, token=token)
    assert registered.status == 201, registered.body
    _, session_id = create_session(embedded.base_url, token, capacity=5)
    enrolled = enrol(embedded.base_url, token, session_id, ona)
    assert enrolled.status == 201, enrolled.body
    confirmation, = wait_until(lambda: notifications(embedded, event_type="enrollment.enrollment_confirmed"),
                               message="the confirmation")
    assert (confirmation.status, confirmation.status_reason) == ("pending", "quiet hours")

    left = http("POST", enrolled.body["manage_url"] + "/leave")
    assert left.status == 200, left.body
    cancellation, = wait_until(lambda: mailbox(embedded), message="the cancellation, sent at once (critical)")
    assert "cancel" in cancellation["Subject"].lower()
    confirmation, = notifications(embedded, event_type="enrollment.enrollment_confirmed")
    assert (confirmation.status, confirmation.status_reason) == (
        "suppressed", "superseded by enrollment.enrollment_cancelled")

    # The quiet hours end: nothing is due but what is still true.
    with UnitOfWork(engine_for(embedded.settings.database_url("notifications")), "notifications", "t") as uow:
        uow.session.execute(update(Notification).where(Notification.status == "pending")
                            .values(next_attempt_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        uow.commit()

    # A confirmation of the same enrolment arriving after the cancellation (a retry from a
    # dead-letter queue, say) is dropped: it is older than the cancellation told.
    late = dict(received(embedded, "enrollment.enrollment_confirmed"), id=str(uuid.uuid4()))
    parse_event(late)  # still a valid event
    publish(late)
    dropped, = wait_until(lambda: notifications(embedded, event_id=uuid.UUID(late["id"])), message="the late one")
    assert (dropped.status, dropped.status_reason) == ("suppressed", "superseded by enrollment.enrollment_cancelled")
    wait_until(lambda: not [n for n in notifications(embedded) if n.status in ("pending", "sending")],
               message="nothing left to send")
    messages = mailbox(embedded)
    assert [m["Subject"] for m in messages] == [cancellation["Subject"]]
    assert "confirmed" not in text_of(messages[0]).lower()
