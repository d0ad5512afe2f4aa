"""The notifications service: turns events into notifications for the people they concern.

Entrypoints only: each calls a use case (services/notifications/usecases/) with its unit of work
and its inputs and returns the result. The rules are in domain/, the queries in repository.py.
"""

from __future__ import annotations

from services.notifications.pages import PreferencesPageQuery, PreferencesPages, preferences_page, unsubscribed_page
from services.notifications.repository import recipient_owner, registered_person_owner
from services.notifications.schemas import (
    BounceIn,
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryQuery,
    EventDeliveryOut,
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
    WebhookSecretOut,
)
from services.notifications.sender import Delivery
from services.notifications.usecases import erasure, operator, previews, recipients, telling, unsubscribe
from shared.events.envelope import Envelope
from shared.events.privacy import ErasureRequested
from shared.auth import STAFF_OR_MUNICIPALITY, STAFF_OR_OPERATOR
from shared.http import route
from shared.pages import wants_html
from shared.messaging.subscriptions import subscribe, subscribe_all
from shared.persistence.provider import Database
from shared.service import ServiceBase
from shared.tenancy import Tenancy


# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
# A recipient belongs to their municipality (owner lookups: repository.py).
RECIPIENT = Tenancy.resource("recipient_id", recipient_owner, "recipient")
# Notifications find people by e-mail: the recipient this address already is, and whose.
REGISTERED_PERSON = Tenancy.identity("email", registered_person_owner, "recipient")


class NotificationsService(PreferencesPages, ServiceBase):
    name = "notifications"
    db = Database()
    delivery = Delivery()

    # ------------------------------------------------------------------ events
    @subscribe_all("enrollment", "grants", "partners")
    def on_event(self, event, envelope: Envelope):
        """Every event of the other services: told to whom it concerns, or counted as untold."""
        telling.tell_event(self.db, event, envelope, service=self.name, wake=self.delivery.wake)

    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Forget a person: pseudonymise the recipient, scrub what was sent to them."""
        erasure.erase(self.db, event, mailbox=self.settings.mailbox_dir)

    # ------------------------------------------------------------------ recipients and preferences
    @route("POST", "/notifications/recipients", roles=STAFF_OR_MUNICIPALITY, body=RecipientIn, response=RecipientOut, status=201,
           scope=(Tenancy.body("municipality_code"), REGISTERED_PERSON))
    def register_recipient(self, request, body: RecipientIn, principal):
        """Register someone to notify (or update them, by e-mail), with their preferences and roles.

        A municipality token registers and changes only its own municipality's people: an address
        that is another municipality's recipient, or one the centre registered (consultants, partner
        contacts), is refused (403) — only staff, or the person through their link, change those.
        """
        recipient, created = recipients.register(self.db, body, allowed_hosts=self.settings.webhook_allowed_hosts)
        return (201 if created else 200), recipient

    @route("GET", "/notifications/recipients", roles=STAFF_OR_MUNICIPALITY + ("operator",), query=RecipientQuery,
           response=list[RecipientOut], scope=Tenancy.query("municipality_code"))
    def list_recipients(self, request, query: RecipientQuery, principal, tenant):
        """Recipients, by municipality and role (a municipality token sees its own)."""
        return recipients.listing(self.db, municipality_code=tenant, role=query.role, limit=query.limit)

    @route("GET", "/notifications/recipients/<uuid:recipient_id>", roles=STAFF_OR_MUNICIPALITY + ("operator",),
           response=RecipientOut, errors=(404,), scope=RECIPIENT)
    def get_recipient(self, request, recipient_id, principal):
        """One recipient with their preferences."""
        return recipients.get(self.db, recipient_id)

    @route("PUT", "/notifications/recipients/<uuid:recipient_id>/preferences", roles=STAFF_OR_MUNICIPALITY, body=PreferencesIn,
           response=RecipientOut, errors=(404,), scope=RECIPIENT)
    def set_preferences(self, request, recipient_id, body: PreferencesIn, principal):
        """Replace a recipient's preferences."""
        return recipients.set_preferences(self.db, recipient_id, body,
                                          allowed_hosts=self.settings.webhook_allowed_hosts)

    @route("POST", "/notifications/recipients/<uuid:recipient_id>/webhook-secret", roles=STAFF_OR_MUNICIPALITY,
           response=WebhookSecretOut, errors=(404,), scope=RECIPIENT)
    def rotate_webhook_secret(self, request, recipient_id, principal):
        """A new HMAC key for the recipient's webhook signatures, shown in this answer only (reads
        never show it). The old key stops signing at once."""
        return recipients.rotate_webhook_secret(self.db, recipient_id)

    @route("POST", "/notifications/bounces", roles=STAFF_OR_OPERATOR, body=BounceIn, response=RecipientOut, errors=(404,))
    def record_bounce(self, request, body: BounceIn, principal):
        """Record a bounce reported by the mail provider: no more e-mail to that address."""
        return recipients.record_bounce(self.db, body)

    # ------------------------------------------------------------------ unsubscribe (no login)
    @route("GET", "/notifications/unsubscribe", public=True, html=True, query=PreferencesPageQuery, errors=(400, 404))
    def unsubscribe_page(self, request, query: PreferencesPageQuery):
        """The page behind the link in every e-mail: the category in words, one-click unsubscribe
        and the person's preferences (language, categories, digest), in their language. A GET
        never changes anything, so link scanners cannot; its forms POST (pages.py)."""
        return preferences_page(request, query, unsubscribe.page(self.db, query.token,
                                                                 secret=self.settings.auth_secret))

    @route("POST", "/notifications/unsubscribe", public=True, html=True, query=PreferencesPageQuery,
           response=UnsubscribedOut, errors=(400, 404))
    def unsubscribe(self, request, query: PreferencesPageQuery):
        """One-click unsubscribe (RFC 8058): the signed token names the recipient and the category.
        A browser (the page's button) is sent back to the page with a confirmation."""
        done = unsubscribe.unsubscribe(self.db, query.token, secret=self.settings.auth_secret)
        return unsubscribed_page(query) if wants_html(request) else done

    # ------------------------------------------------------------------ templates
    @route("GET", "/notifications/templates", roles=STAFF_OR_OPERATOR, response=list[TemplateOut])
    def list_templates(self, request, principal):
        """Templates, the events they tell and their category."""
        return previews.templates()

    @route("POST", "/notifications/templates/<name>/preview", roles=STAFF_OR_OPERATOR, body=PreviewIn, response=PreviewOut,
           errors=(404,))
    def preview(self, request, name, body: PreviewIn, principal):
        """Render a template with its example event, or with the event data given."""
        return previews.preview(name, body)

    # ------------------------------------------------------------------ operator API
    @route("GET", "/notifications/deliveries", roles=STAFF_OR_OPERATOR, query=DeliveryQuery, response=list[DeliveryOut])
    def list_deliveries(self, request, query: DeliveryQuery, principal):
        """Delivery log, newest first, filtered by status, event type, channel, event or recipient."""
        return operator.deliveries(self.db, query)

    @route("GET", "/notifications/deliveries/<uuid:notification_id>", roles=STAFF_OR_OPERATOR,
           response=DeliveryDetailOut, errors=(404,))
    def get_delivery(self, request, notification_id, principal):
        """One notification with its text and every delivery attempt."""
        return operator.delivery(self.db, notification_id)

    @route("POST", "/notifications/deliveries/<uuid:notification_id>/resend", roles=STAFF_OR_OPERATOR,
           response=DeliveryOut, errors=(404, 409))
    def resend(self, request, notification_id, principal):
        """Send a failed notification again (same Message-ID). Anything not failed is refused."""
        return operator.resend(self.db, notification_id, wake=self.delivery.wake)

    @route("GET", "/notifications/events/<uuid:event_id>", roles=STAFF_OR_OPERATOR, response=EventDeliveryOut, errors=(404,))
    def event_delivery(self, request, event_id, principal):
        """What happened to one event's notifications: counts by status and who failed."""
        return operator.event_progress(self.db, event_id)

    @route("POST", "/notifications/events/<uuid:event_id>/retry-failed", roles=STAFF_OR_OPERATOR, response=RetriedOut,
           errors=(404,))
    def retry_failed(self, request, event_id, principal):
        """Send again to the recipients of this event whose delivery failed, and only to them."""
        return operator.retry_failed(self.db, event_id, wake=self.delivery.wake)

    @route("GET", "/notifications/stats", roles=STAFF_OR_OPERATOR, response=list[StatsRow])
    def stats(self, request, principal):
        """Notifications by event type, channel and status."""
        return operator.stats(self.db)
