"""The notifications service: turns events into notifications for the people they concern."""

from __future__ import annotations

import logging

from prometheus_client import Counter
from pydantic import ValidationError
from werkzeug.wrappers import Response

from services.notifications import erasure, outbound
from services.notifications.domain.tokens import BadToken, read_unsubscribe_token
from services.notifications.examples import example_digest_items, example_event
from services.notifications.models import Recipient
from services.notifications.rendering import TemplateLibrary, UnknownTemplate
from services.notifications.schemas import (
    AttemptOut,
    BounceIn,
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryQuery,
    EventDeliveryOut,
    FailedRecipient,
    PreferencesIn,
    PreviewIn,
    PreviewOut,
    RecipientIn,
    RecipientOut,
    RecipientQuery,
    RetriedOut,
    StatsRow,
    TemplateOut,
    UnsubscribedOut,
    UnsubscribeQuery,
    WebhookSecretOut,
)
from services.notifications.sender import NOTIFICATIONS_DELIVERED, Delivery
from services.notifications.store import NotificationStore
from services.notifications.tellers import TELLERS
from services.notifications.telling import tell
from shared.persistence.provider import Database
from shared.persistence.schema import utcnow
from shared.errors import Conflict, NotFound
from shared.events import model_for
from shared.events.envelope import Envelope
from shared.events.privacy import ErasureRequested
from shared.http import Problem, route, validation_problem
from shared.tenancy import Tenancy, keyed_by, owned_by
from shared.messaging.subscriptions import subscribe, subscribe_all
from shared.service import ServiceBase

log = logging.getLogger(__name__)

TEMPLATES = TemplateLibrary()
OPERATORS = ("staff", "operator")
MANAGERS = ("staff", "municipality")



# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
# A recipient belongs to their municipality; people the centre registers (consultants, partner
# contacts) have none and are the centre's.
RECIPIENT = Tenancy.resource("recipient_id", owned_by(Recipient.municipality_code, Recipient.id,
                                                      Recipient.erased_at.is_(None)), "recipient")
# Notifications find people by e-mail: the recipient this address already is, and whose.
REGISTERED_PERSON = Tenancy.identity("email", keyed_by(
    Recipient.municipality_code, lambda kwargs: Recipient.email_key == kwargs["body"].email.strip().lower(),
    lambda kwargs: Recipient.erased_at.is_(None)), "recipient")

UNTOLD_EVENTS = Counter(
    "savivalda_notifications_untold_events_total", "Events received that concern nobody (no template for the type)",
    ["service", "event_type"],
)


class NotificationsService(ServiceBase):
    name = "notifications"
    db = Database()
    delivery = Delivery()

    # ------------------------------------------------------------------ events
    @subscribe_all("enrollment", "grants", "partners")
    def on_event(self, event, envelope: Envelope):
        """Every event of the other services: told to whom it concerns, or counted as untold."""
        teller = TELLERS.get(envelope.type)
        if teller is None:
            UNTOLD_EVENTS.labels(self.name, envelope.type).inc()
            log.info("no notification for %s", envelope.type, extra={"event_id": str(envelope.id)})
            return
        counts = tell(NotificationStore(self.db), teller, event, envelope, utcnow())
        for status in ("suppressed",):
            if counts.get(status):
                NOTIFICATIONS_DELIVERED.labels(self.name, "any", teller.template, status).inc(counts[status])
        if counts.get("pending"):
            self.db.after_commit(self.delivery.wake)

    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Forget a person: pseudonymise the recipient, scrub what was sent to them."""
        erasure.erase(self.db, event)

    # ------------------------------------------------------------------ recipients and preferences
    @route("POST", "/notifications/recipients", roles=MANAGERS, body=RecipientIn, response=RecipientOut, status=201,
           scope=(Tenancy.body("municipality_code"), REGISTERED_PERSON))
    def register_recipient(self, request, body: RecipientIn, principal):
        """Register someone to notify (or update them, by e-mail), with their preferences and roles.

        A municipality token registers and changes only its own municipality's people: an address
        that is another municipality's recipient, or one the centre registered (consultants, partner
        contacts), is refused (403) — only staff, or the person through their link, change those.
        """
        self._check_webhook(body.webhook_url)
        store = NotificationStore(self.db)
        recipient, created = store.register(body.model_dump())
        self.db.commit()
        return (201 if created else 200), recipient_out(recipient)

    @route("GET", "/notifications/recipients", roles=MANAGERS + ("operator",), query=RecipientQuery,
           response=list[RecipientOut], scope=Tenancy.query("municipality_code"))
    def list_recipients(self, request, query: RecipientQuery, principal, tenant):
        """Recipients, by municipality and role (a municipality token sees its own)."""
        store = NotificationStore(self.db)
        return [recipient_out(r) for r in store.recipients(municipality_code=tenant, role=query.role,
                                                           limit=query.limit)]

    @route("GET", "/notifications/recipients/<uuid:recipient_id>", roles=MANAGERS + ("operator",),
           response=RecipientOut, errors=(404,), scope=RECIPIENT)
    def get_recipient(self, request, recipient_id, principal):
        """One recipient with their preferences."""
        return recipient_out(NotificationStore(self.db).recipient(recipient_id))

    @route("PUT", "/notifications/recipients/<uuid:recipient_id>/preferences", roles=MANAGERS, body=PreferencesIn,
           response=RecipientOut, errors=(404,), scope=RECIPIENT)
    def set_preferences(self, request, recipient_id, body: PreferencesIn, principal):
        """Replace a recipient's preferences."""
        self._check_webhook(body.webhook_url)
        store = NotificationStore(self.db)
        recipient = store.recipient(recipient_id)
        recipient, _ = store.register({"email": recipient.email, "name": recipient.name, "language": recipient.language,
                                       "municipality_code": recipient.municipality_code, "roles": recipient.roles,
                                       **body.model_dump()})
        self.db.commit()
        return recipient_out(recipient)

    @route("POST", "/notifications/recipients/<uuid:recipient_id>/webhook-secret", roles=MANAGERS,
           response=WebhookSecretOut, errors=(404,), scope=RECIPIENT)
    def rotate_webhook_secret(self, request, recipient_id, principal):
        """A new HMAC key for the recipient's webhook signatures, shown in this answer only (reads
        never show it). The old key stops signing at once."""
        store = NotificationStore(self.db)
        secret = store.rotate_webhook_secret(store.recipient(recipient_id))
        self.db.commit()
        return WebhookSecretOut(recipient_id=recipient_id, webhook_secret=secret)

    def _check_webhook(self, url: str | None) -> None:
        """422 naming webhook_url for a webhook the service may not call (services/notifications/outbound.py)."""
        try:
            outbound.check_registration(url, self.settings.webhook_allowed_hosts)
        except outbound.UnsafeWebhook as error:
            raise Problem(422, "Invalid request", f"invalid body: webhook_url: {error}", code="validation",
                          errors=[{"field": "webhook_url", "location": "body", "message": str(error),
                                   "type": "unsafe_webhook"}]) from None

    @route("POST", "/notifications/bounces", roles=OPERATORS, body=BounceIn, response=RecipientOut, errors=(404,))
    def record_bounce(self, request, body: BounceIn, principal):
        """Record a bounce reported by the mail provider: no more e-mail to that address."""
        store = NotificationStore(self.db)
        recipient = store.recipient_by_email(body.email)
        if recipient is None or recipient.erased_at is not None:
            raise NotFound("recipient with e-mail", body.email)
        recipient.bounced_at = recipient.bounced_at or utcnow()
        log.warning("address bounced: %s", body.reason, extra={"recipient_id": str(recipient.id)})
        self.db.commit()
        return recipient_out(recipient)

    # ------------------------------------------------------------------ unsubscribe (no login)
    @route("GET", "/notifications/unsubscribe", public=True, query=UnsubscribeQuery, errors=(400,))
    def unsubscribe_page(self, request, query: UnsubscribeQuery):
        """The page behind the unsubscribe link: one button, which POSTs (a GET never unsubscribes,
        so link scanners cannot)."""
        recipient, category = self._token_target(query.token)
        label = "visų pranešimų" if category == "all" else f"kategorijos „{category}“"
        html = (f"<!doctype html><html lang='lt'><meta charset='utf-8'><title>Atsisakyti</title>"
                f"<p>Atsisakyti {label} pranešimų adresu {_mask(recipient.email)}?</p>"
                f"<form method='post'><input type='hidden' name='List-Unsubscribe' value='One-Click'>"
                f"<button type='submit'>Atsisakyti / Unsubscribe</button></form></html>")
        return Response(html, content_type="text/html; charset=utf-8")

    @route("POST", "/notifications/unsubscribe", public=True, query=UnsubscribeQuery, response=UnsubscribedOut,
           errors=(400,))
    def unsubscribe(self, request, query: UnsubscribeQuery):
        """One-click unsubscribe (RFC 8058): the signed token names the recipient and the category."""
        recipient, category = self._token_target(query.token)
        if category == "all":
            recipient.unsubscribed_all = True
        elif category not in (recipient.opt_out_categories or []):
            recipient.opt_out_categories = [*(recipient.opt_out_categories or []), category]
        recipient.updated_at = utcnow()
        self.db.commit()
        return UnsubscribedOut(recipient_id=recipient.id, category=category, unsubscribed=True)

    def _token_target(self, token: str) -> tuple[Recipient, str]:
        secret = self.settings.auth_secret
        try:
            recipient_id, category = read_unsubscribe_token(secret, token)
        except BadToken as error:
            raise Problem(400, "Bad unsubscribe link", str(error), code="bad_token",
                          errors=[{"field": "token", "location": "query", "message": str(error)}]) from None
        return NotificationStore(self.db).recipient(recipient_id), category

    # ------------------------------------------------------------------ templates
    @route("GET", "/notifications/templates", roles=OPERATORS, response=list[TemplateOut])
    def list_templates(self, request, principal):
        """Templates, the events they tell and their category."""
        out = []
        for name in TEMPLATES.names():
            tellers = {t: teller for t, teller in TELLERS.items() if teller.template == name}
            first = next(iter(tellers.values()), None)
            out.append(TemplateOut(name=name, event_types=sorted(tellers), category=first.category if first else "digest",
                                   critical=bool(first and first.critical), languages=["lt", "en"]))
        return out

    @route("POST", "/notifications/templates/<name>/preview", roles=OPERATORS, body=PreviewIn, response=PreviewOut,
           errors=(404,))
    def preview(self, request, name, body: PreviewIn, principal):
        """Render a template with its example event, or with the event data given."""
        if name not in TEMPLATES.names():
            raise NotFound("template", name)

        class Example:
            name = "Rūta Petrauskienė" if body.language == "lt" else "Ruth Peterson"
            email = "example@savivalda.example"

        try:
            if name == "daily_digest":
                rendered = TEMPLATES.render(name, body.language, recipient=Example(), now=utcnow(),
                                            items=example_digest_items())
            else:
                event = example_event(name)
                if body.data is not None:
                    try:
                        event = model_for(type(event).event_type).model_validate(body.data)
                    except ValidationError as error:
                        problem = validation_problem(error, "body")
                        for item in problem.errors:
                            item["field"] = f"data.{item['field']}"
                        raise problem from None
                rendered = TEMPLATES.render(name, body.language, recipient=Example(), now=utcnow(), event=event)
        except UnknownTemplate:
            raise NotFound("template", name) from None
        return PreviewOut(template=name, language=rendered.language, subject=rendered.subject, text=rendered.text,
                          html=rendered.html)

    # ------------------------------------------------------------------ operator API
    @route("GET", "/notifications/deliveries", roles=OPERATORS, query=DeliveryQuery, response=list[DeliveryOut])
    def list_deliveries(self, request, query: DeliveryQuery, principal):
        """Delivery log, newest first, filtered by status, event type, channel, event or recipient."""
        store = NotificationStore(self.db)
        return [delivery_out(n) for n in store.deliveries(
            status=query.status, event_type=query.event_type, channel=query.channel, event_id=query.event_id,
            recipient_id=query.recipient_id, limit=query.limit)]

    @route("GET", "/notifications/deliveries/<uuid:notification_id>", roles=OPERATORS,
           response=DeliveryDetailOut, errors=(404,))
    def get_delivery(self, request, notification_id, principal):
        """One notification with its text and every delivery attempt."""
        store = NotificationStore(self.db)
        notification = store.get(notification_id)
        return DeliveryDetailOut(
            **delivery_out(notification).model_dump(), body_text=notification.body_text,
            attempts_log=[AttemptOut(attempted_at=a.attempted_at, outcome=a.outcome, via=a.via, error=a.error)
                          for a in store.attempts(notification.id)],
        )

    @route("POST", "/notifications/deliveries/<uuid:notification_id>/resend", roles=OPERATORS,
           response=DeliveryOut, errors=(404, 409))
    def resend(self, request, notification_id, principal):
        """Send a failed notification again (same Message-ID). Anything not failed is refused."""
        store = NotificationStore(self.db)
        notification = store.get(notification_id)
        if notification.status != "failed":
            raise Conflict(f"only failed notifications are resent; this one is {notification.status}",
                           code="not_failed")
        store.retry([notification], utcnow())
        self.db.after_commit(self.delivery.wake)
        self.db.commit()
        return delivery_out(store.get(notification_id))

    @route("GET", "/notifications/events/<uuid:event_id>", roles=OPERATORS, response=EventDeliveryOut, errors=(404,))
    def event_delivery(self, request, event_id, principal):
        """What happened to one event's notifications: counts by status and who failed."""
        store = NotificationStore(self.db)
        rows = store.deliveries(status=None, event_type=None, channel=None, event_id=event_id, recipient_id=None,
                                limit=100000)
        if not rows:
            raise NotFound("notifications of event", event_id)
        counts: dict[str, int] = {}
        for n in rows:
            counts[n.status] = counts.get(n.status, 0) + 1
        failed = [FailedRecipient(notification_id=n.id, recipient_id=n.recipient_id, channel=n.channel,
                                  attempts=n.attempts, last_error=n.last_error) for n in rows if n.status == "failed"]
        complete = not any(counts.get(s) for s in ("pending", "sending", "failed"))
        return EventDeliveryOut(event_id=event_id, event_type=rows[0].event_type, counts=counts, complete=complete,
                                failed=failed)

    @route("POST", "/notifications/events/<uuid:event_id>/retry-failed", roles=OPERATORS, response=RetriedOut,
           errors=(404,))
    def retry_failed(self, request, event_id, principal):
        """Send again to the recipients of this event whose delivery failed, and only to them."""
        store = NotificationStore(self.db)
        rows = store.deliveries(status="failed", event_type=None, channel=None, event_id=event_id, recipient_id=None,
                                limit=100000)
        retried = store.retry(rows, utcnow())
        if retried:
            self.db.after_commit(self.delivery.wake)
        self.db.commit()
        return RetriedOut(retried=retried)

    @route("GET", "/notifications/stats", roles=OPERATORS, response=list[StatsRow])
    def stats(self, request, principal):
        """Notifications by event type, channel and status."""
        return [StatsRow(event_type=t, channel=c, status=s, count=n)
                for t, c, s, n in NotificationStore(self.db).counts()]


def _mask(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def recipient_out(r: Recipient) -> RecipientOut:
    """A recipient as the API shows it: the webhook secret only in the answer that made it."""
    values = {field: getattr(r, field) for field in RecipientOut.model_fields if field != "webhook_secret"}
    return RecipientOut.model_validate({**values, "webhook_secret": getattr(r, "fresh_webhook_secret", None)})


def delivery_out(n) -> DeliveryOut:
    return DeliveryOut.model_validate({field: getattr(n, field) for field in DeliveryOut.model_fields})
