"""The notifications use cases (services/notifications/usecases/) on their own: each against a
migrated SQLite database in a temporary folder, through a UnitOfWork, with no HTTP, no broker and
no nameko container. The end-to-end flows over HTTP are in test_service.py."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.notifications.delivery import Result
from services.notifications.domain.tokens import unsubscribe_token
from services.notifications.examples import example_event
from services.notifications.metrics import UNTOLD_EVENTS
from services.notifications.models import DeliveryAttempt, Notification, ReceivedEvent, Recipient
from services.notifications.repository import NotificationsRepository
from services.notifications.schemas import BounceIn, DeliveryQuery, PreferencesIn, PreviewIn, RecipientIn
from services.notifications.usecases import erasure, operator, previews, recipients, telling, unsubscribe
from services.notifications.usecases.delivery import DeliveryRound, Links
from shared.errors import Conflict, NotFound, Problem
from shared.events import new_envelope
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX, utcnow
from shared.persistence.unit_of_work import UnitOfWork

SECRET = "use-case-test-secret-" + "x" * 24
HOOK = "https://93.184.216.34/hooks/savivalda"  # a public address literal: no DNS lookup


@pytest.fixture
def units(notifications_db_url):
    """Opens a UnitOfWork on this test's own migrated database (tests/notifications/conftest.py);
    one at a time: SQLite has one writer."""

    def unit(correlation_id: str = "test") -> UnitOfWork:
        return UnitOfWork(engine_for(notifications_db_url), "notifications", correlation_id)

    return unit


def envelope_of(event, publisher: str = "enrollment"):
    return new_envelope(event, source=f"savivalda/{publisher}", correlation_id="corr-1")


def told(units, event, publisher="enrollment", wakes=None):
    """Handle an event as the @subscribe wrapper does: the use case, then the commit."""
    wakes = [] if wakes is None else wakes
    envelope = envelope_of(event, publisher)
    with units() as db:
        counts = telling.tell_event(db, event, envelope, service="notifications", wake=lambda: wakes.append(1))
        db.commit()
    return envelope, counts, wakes


def rows(units, model, *where):
    with units() as db:
        return list(db.session.scalars(select(model).where(*where)))


# ---------------------------------------------------------------- recipients

def test_registering_creates_then_updates_by_email_and_shows_the_webhook_secret_once(units):
    with units() as db:
        first, created = recipients.register(db, RecipientIn(
            email="Ona@Kaunas.lt", name="Ona", municipality_code="15", channels=["email", "webhook"],
            webhook_url=HOOK))
    assert created and first.webhook_secret and first.email == "Ona@Kaunas.lt"
    with units() as db:
        again, created = recipients.register(db, RecipientIn(email="ona@KAUNAS.lt", name="Ona O.",
                                                             municipality_code="15"))
        assert not created and again.id == first.id and again.name == "Ona O." and again.webhook_secret is None
        assert recipients.get(db, first.id).webhook_secret is None
        assert [r.id for r in recipients.listing(db, municipality_code="15", role=None, limit=10)] == [first.id]
        assert recipients.listing(db, municipality_code="57", role=None, limit=10) == []


def test_an_unsafe_webhook_is_refused_naming_the_field_and_nothing_is_stored(units):
    with units() as db, pytest.raises(Problem) as refused:
        recipients.register(db, RecipientIn(email="a@kaunas.lt", name="A", channels=["webhook"],
                                            webhook_url="http://127.0.0.1:9100/metrics"))
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "webhook_url"
    assert rows(units, Recipient) == []


def test_preferences_are_replaced_the_person_stays_and_a_rotated_secret_is_shown_once(units):
    with units() as db:
        out, _ = recipients.register(db, RecipientIn(email="a@kaunas.lt", name="A", language="en",
                                                     municipality_code="15", roles=["eu_projects_coordinator"]))
    with units() as db:
        changed = recipients.set_preferences(db, out.id, PreferencesIn(opt_out_categories=["grants"],
                                                                       delivery_mode="daily_digest"))
    assert (changed.name, changed.language, changed.roles) == ("A", "en", ["eu_projects_coordinator"])
    assert changed.opt_out_categories == ["grants"] and changed.delivery_mode == "daily_digest"
    with units() as db:
        rotated = recipients.rotate_webhook_secret(db, out.id)
        assert rotated.webhook_secret and recipients.get(db, out.id).webhook_secret is None
    with units() as db, pytest.raises(NotFound):
        recipients.set_preferences(db, uuid.uuid4(), PreferencesIn())


def test_a_bounce_stops_e_mail_to_that_address(units):
    with units() as db:
        out, _ = recipients.register(db, RecipientIn(email="a@kaunas.lt", name="A", municipality_code="15"))
    with units() as db:
        bounced = recipients.record_bounce(db, BounceIn(email="A@kaunas.lt", reason="550 no such user"))
    assert bounced.bounced_at is not None
    event = example_event("enrollment_confirmed").model_copy(update={"participant": example_event(
        "enrollment_confirmed").participant.model_copy(update={"email": "a@kaunas.lt"})})
    _, counts, wakes = told(units, event)
    assert counts == {"suppressed": 1} and wakes == []
    with units() as db, pytest.raises(NotFound):
        recipients.record_bounce(db, BounceIn(email="nobody@kaunas.lt", reason="550"))


# ---------------------------------------------------------------- telling

def test_an_event_is_told_once_to_the_person_it_names_and_the_delivery_loop_is_woken(units):
    event = example_event("enrollment_confirmed")
    envelope, counts, wakes = told(units, event)
    assert counts == {"pending": 1} and wakes == [1]
    with units() as db:  # the same event again (the inbox stops it earlier; the table's key too)
        telling.tell_event(db, event, envelope, service="notifications", wake=lambda: None)
        db.commit()
    stored = rows(units, Notification)
    assert [(n.event_id, n.template, n.channel, n.status) for n in stored] == [
        (envelope.id, "enrollment_confirmed", "email", "pending")]
    person = rows(units, Recipient)[0]
    assert (person.email, person.source, person.municipality_code) == (event.participant.email, "event", "15")
    assert len(rows(units, ReceivedEvent)) == 1


def test_an_event_nobody_is_told_about_is_counted_and_stores_nothing(units):
    event = example_event("enrollment_confirmed")
    envelope = envelope_of(event).model_copy(update={"type": "enrollment.something_new"})
    before = UNTOLD_EVENTS.labels("notifications", "enrollment.something_new")._value.get()
    with units() as db:
        assert telling.tell_event(db, event, envelope, service="notifications", wake=lambda: None) is None
        db.commit()
    assert UNTOLD_EVENTS.labels("notifications", "enrollment.something_new")._value.get() == before + 1
    assert rows(units, Notification) == [] and rows(units, ReceivedEvent) == []


def test_a_call_alert_goes_to_matching_subscribers_by_their_preferences_per_channel(units):
    with units() as db:
        for email, values in (("theme@kaunas.lt", {"alert_themes": ["public_service_quality"]}),
                              ("other-theme@kaunas.lt", {"alert_themes": ["budgeting"]}),
                              ("digest@kaunas.lt", {"delivery_mode": "daily_digest"}),
                              ("hooked@kaunas.lt", {"channels": ["email", "webhook"], "webhook_url": HOOK}),
                              ("opted-out@kaunas.lt", {"opt_out_categories": ["call_alerts"]})):
            recipients.register(db, RecipientIn(email=email, name="S", municipality_code="15", call_alerts=True,
                                                **values))
        recipients.register(db, RecipientIn(email="no-alerts@kaunas.lt", name="S", municipality_code="15"))
    _, counts, _ = told(units, example_event("call_published"), publisher="grants")
    assert counts == {"pending": 3, "held": 1, "suppressed": 1}
    with units() as db:
        by_address = {(r.email, n.channel): n.status for n, r in db.session.execute(
            select(Notification, Recipient).join(Recipient, Recipient.id == Notification.recipient_id))}
    assert by_address == {("theme@kaunas.lt", "email"): "pending", ("digest@kaunas.lt", "email"): "held",
                          ("hooked@kaunas.lt", "email"): "pending", ("hooked@kaunas.lt", "webhook"): "pending",
                          ("opted-out@kaunas.lt", "email"): "suppressed"}


# ---------------------------------------------------------------- delivery

class FakeMailer:
    def __init__(self, *results: Result):
        self.results = list(results)
        self.sent = []

    def send_many(self, outgoings, on_result=None):
        self.sent.extend(outgoings)
        return [self.results.pop(0) if self.results else Result(via="fake") for _ in outgoings]


def delivery_round(units, mailer):
    return DeliveryRound("notifications", units, mailer, Links("https://savivalda.example", SECRET))


def test_a_round_renders_sends_and_records_each_notification_with_its_event(units):
    told(units, example_event("enrollment_confirmed"))
    mailer = FakeMailer()
    assert delivery_round(units, mailer).run_once() == 1
    [outgoing] = mailer.sent
    assert outgoing.to_address == "ruta.petrauskiene@example.lt" and outgoing.rendered.language == "lt"
    assert "/notifications/unsubscribe?token=" in outgoing.unsubscribe_url
    [sent] = rows(units, Notification)
    assert (sent.status, sent.attempts, sent.delivered_via) == ("sent", 1, "fake") and sent.subject
    assert [a.outcome for a in rows(units, DeliveryAttempt)] == ["sent"]
    with units() as db:
        published = [json.loads(b)["type"] for b in db.session.scalars(select(OUTBOX.c.body))]
    assert published == ["notifications.notification_sent"]
    assert delivery_round(units, mailer).run_once() == 0


def test_a_refused_address_fails_for_good_and_bounces_a_temporary_failure_is_retried(units):
    told(units, example_event("enrollment_confirmed"))
    assert delivery_round(units, FakeMailer(Result(error="421 try later"))).run_once() == 1
    [waiting] = rows(units, Notification)
    assert waiting.status == "pending" and waiting.next_attempt_at > utcnow() + timedelta(seconds=20)
    with units() as db:
        db.session.get(Notification, waiting.id).next_attempt_at = utcnow()
        db.commit()
    assert delivery_round(units, FakeMailer(Result(error="550 no such user", permanent=True))).run_once() == 1
    [failed] = rows(units, Notification)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "550 no such user")
    assert rows(units, Recipient)[0].bounced_at is not None


def test_held_notifications_become_one_digest_when_it_is_due(units):
    with units() as db:
        recipients.register(db, RecipientIn(email="ruta.petrauskiene@example.lt", name="Rūta", municipality_code="15",
                                            delivery_mode="daily_digest"))
    told(units, example_event("enrollment_confirmed"))
    told(units, example_event("enrollment_waitlisted"))
    with units() as db:
        for n in db.session.scalars(select(Notification)):
            n.next_attempt_at = utcnow() - timedelta(minutes=1)
        db.commit()
    assert delivery_round(units, FakeMailer()).run_digests() == 1
    statuses = sorted((n.template, n.status) for n in rows(units, Notification))
    assert statuses == [("daily_digest", "pending"), ("enrollment_confirmed", "digested"),
                        ("enrollment_waitlisted", "digested")]


# ---------------------------------------------------------------- unsubscribe

def test_the_unsubscribe_page_changes_nothing_and_the_post_opts_out(units):
    with units() as db:
        out, _ = recipients.register(db, RecipientIn(email="ona@kaunas.lt", name="Ona", municipality_code="15"))
    token = unsubscribe_token(SECRET, out.id, "training")
    with units() as db:
        page = unsubscribe.page(db, token, secret=SECRET)
    assert (page.address, page.category, page.still_told, page.language) == ("o***@kaunas.lt", "training", True, "lt")
    assert rows(units, Recipient)[0].opt_out_categories == []
    with units() as db:
        done = unsubscribe.unsubscribe(db, token, secret=SECRET)
    assert (done.recipient_id, done.category, done.unsubscribed) == (out.id, "training", True)
    with units() as db:
        unsubscribe.unsubscribe(db, unsubscribe_token(SECRET, out.id, "all"), secret=SECRET)
    person = rows(units, Recipient)[0]
    assert person.opt_out_categories == ["training"] and person.unsubscribed_all
    with units() as db, pytest.raises(Problem) as bad:
        unsubscribe.unsubscribe(db, token[:-3] + "AAA", secret=SECRET)
    assert bad.value.status == 400 and bad.value.errors[0]["field"] == "token"
    with units() as db:
        assert not unsubscribe.page(db, token, secret=SECRET).still_told


def test_the_preferences_page_sets_language_categories_and_digest_and_events_keep_them(units):
    with units() as db:
        ona = NotificationsRepository(db).person_from_event(email="ona@kaunas.lt", name="Ona", language="lt",
                                                             municipality_code="15")
        db.commit()
    all_token = unsubscribe_token(SECRET, ona.id, "all")
    with units() as db:
        unsubscribe.unsubscribe(db, all_token, secret=SECRET)
    with units() as db:
        view = unsubscribe.page(db, all_token, secret=SECRET)
    assert (view.category, view.still_told, view.wanted) == ("all", False, frozenset())
    with units() as db:
        assert unsubscribe.save_preferences(db, all_token, language="en", categories=["training", "grants"],
                                            delivery_mode="daily_digest", digest_hour=7, secret=SECRET) == "en"
    person = rows(units, Recipient)[0]
    assert (person.language, person.delivery_mode, person.digest_hour, person.unsubscribed_all, person.source) == (
        "en", "daily_digest", 7, False, "person")
    assert person.opt_out_categories == ["certificates", "call_alerts", "partners"]
    # The next enrolment event names her in Lithuanian again: the language she chose stays.
    told(units, example_event("enrollment_confirmed").model_copy(update={"participant": example_event(
        "enrollment_confirmed").participant.model_copy(update={"email": "ona@kaunas.lt", "language": "lt"})}))
    assert rows(units, Recipient)[0].language == "en"
    with units() as db, pytest.raises(Problem) as bad:
        unsubscribe.save_preferences(db, "x" * 20, language="en", categories=[], delivery_mode="immediate",
                                     digest_hour=8, secret=SECRET)
    assert bad.value.status == 400


# ---------------------------------------------------------------- operator

def test_the_operator_sees_an_event_s_progress_and_resends_only_failed_ones(units):
    envelope, _, _ = told(units, example_event("enrollment_confirmed"))
    delivery_round(units, FakeMailer(Result(error="550 refused", permanent=True))).run_once()
    [failed] = rows(units, Notification)
    with units() as db:
        progress = operator.event_progress(db, envelope.id)
        assert progress.counts == {"failed": 1} and not progress.complete
        assert [f.notification_id for f in progress.failed] == [failed.id]
        assert [d.id for d in operator.deliveries(db, DeliveryQuery(status="failed"))] == [failed.id]
        assert operator.delivery(db, failed.id).attempts_log[0].error == "550 refused"
        assert [(s.event_type, s.status, s.count) for s in operator.stats(db)] == [
            ("enrollment.enrollment_confirmed", "failed", 1)]
    wakes = []
    with units() as db:
        assert operator.resend(db, failed.id, wake=lambda: wakes.append(1)).status == "pending"
    assert wakes == [1]
    with units() as db, pytest.raises(Conflict):
        operator.resend(db, failed.id, wake=lambda: None)
    with units() as db:
        assert operator.retry_failed(db, envelope.id, wake=lambda: wakes.append(1)).retried == 0
    assert wakes == [1]
    with units() as db, pytest.raises(NotFound):
        operator.event_progress(db, uuid.uuid4())


# ---------------------------------------------------------------- templates and previews

def test_templates_are_listed_with_their_events_and_previews_name_bad_data(units):
    listed = {t.name: t for t in previews.templates()}
    assert listed["enrollment_confirmed"].event_types == ["enrollment.enrollment_confirmed"]
    assert listed["daily_digest"].category == "digest"
    assert previews.preview("enrollment_confirmed", PreviewIn(language="en")).language == "en"
    with pytest.raises(NotFound):
        previews.preview("no_such_template", PreviewIn())
    with pytest.raises(Problem) as bad:
        previews.preview("enrollment_confirmed", PreviewIn(data={"participant": 1}))
    assert bad.value.status == 422 and all(e["field"].startswith("data.") for e in bad.value.errors)


# ---------------------------------------------------------------- erasure

def test_erasure_pseudonymises_the_recipient_and_scrubs_what_was_stored(units):
    told(units, example_event("enrollment_confirmed"))
    request = ErasureRequested(request_id=uuid.uuid4(), email="Ruta.Petrauskiene@example.lt", requested_by="dpo")
    with units() as db:
        removed = erasure.erase(db, request)
        db.commit()
    assert removed["recipients"] == 1 and removed["notifications"] == 1 and removed["received_events"] == 1
    person = rows(units, Recipient)[0]
    assert person.erased_at is not None and "petrauskiene" not in person.email
    [notification] = rows(units, Notification)
    assert notification.status == "suppressed" and notification.body_text is None
    assert "petrauskiene" not in rows(units, ReceivedEvent)[0].body.lower()
