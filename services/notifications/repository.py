"""The notifications service's queries: recipients, received events, notifications and their
delivery attempts (used by the use cases in usecases/, the delivery loop and the tenancy owner
lookups the routes declare)."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.notifications.domain.identity import message_id
from services.notifications.domain.ordering import WAITING, Told
from services.notifications.domain.preferences import AlertInterests, Preferences
from services.notifications.models import DeliveryAttempt, Notification, ReceivedEvent, Recipient
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.errors import NotFound
from shared.reference import MUNICIPALITIES
from shared.tenancy import keyed_by, owned_by

# How long a claim holds without news from its sender. The sender renews it (a heartbeat) while
# it sends, so a slow batch keeps its claims; a replica that dies loses them within this time and
# another sends them (docs/notifications.md "Delivery guarantees").
LEASE = timedelta(seconds=10)


def preferences_of(recipient: Recipient) -> Preferences:
    return Preferences(
        channels=tuple(recipient.channels or ("email",)),
        opt_out_categories=frozenset(recipient.opt_out_categories or ()),
        delivery=recipient.delivery_mode,
        digest_hour=recipient.digest_hour,
        quiet_start=time.fromisoformat(recipient.quiet_start) if recipient.quiet_start else None,
        quiet_end=time.fromisoformat(recipient.quiet_end) if recipient.quiet_end else None,
        unsubscribed_all=recipient.unsubscribed_all,
        address_bounced=recipient.bounced_at is not None,
    )


def interests_of(recipient: Recipient) -> AlertInterests:
    home = MUNICIPALITIES[recipient.municipality_code].region if recipient.municipality_code else None
    return AlertInterests(themes=frozenset(recipient.alert_themes or ()), regions=frozenset(recipient.alert_regions or ()),
                          home_region=home, applicant_types=frozenset(recipient.alert_applicant_types or ()))


# Tenancy owner lookups (shared/tenancy.py) for the routes' scopes. A recipient belongs to their
# municipality; people the centre registers (consultants, partner contacts) have none and are the
# centre's.
recipient_owner = owned_by(Recipient.municipality_code, Recipient.id, Recipient.erased_at.is_(None))
# Notifications find people by e-mail: the recipient this address already is, and whose.
registered_person_owner = keyed_by(
    Recipient.municipality_code, lambda kwargs: Recipient.email_key == kwargs["body"].email.strip().lower(),
    lambda kwargs: Recipient.erased_at.is_(None))


# A notification row's columns and their PostgreSQL array types (add_notifications).
_NOTIFICATION_ARRAYS = (
    ("id", "uuid"), ("event_id", "uuid"), ("event_type", "text"), ("event_time", "timestamptz"),
    ("correlation_id", "text"), ("event_subject", "text"), ("recipient_id", "uuid"), ("channel", "text"),
    ("template", "text"), ("category", "text"), ("critical", "boolean"), ("language", "text"),
    ("message_id", "text"), ("status", "text"), ("status_reason", "text"), ("attempts", "integer"),
    ("next_attempt_at", "timestamptz"), ("created_at", "timestamptz"),
)
ADD_NOTIFICATIONS = (
    f"INSERT INTO notifications ({', '.join(name for name, _ in _NOTIFICATION_ARRAYS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{name} AS {kind}[])' for name, kind in _NOTIFICATION_ARRAYS)}) "
    "ON CONFLICT (event_id, recipient_id, channel) DO NOTHING"
)


class NotificationsRepository:
    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.session: Session = uow.session

    def _insert(self, table):
        return postgresql.insert(table) if self.uow.dialect == "postgresql" else sqlite.insert(table)

    # ------------------------------------------------------------------ recipients
    def recipient(self, recipient_id: uuid.UUID) -> Recipient:
        found = self.session.get(Recipient, recipient_id)
        if found is None or found.erased_at is not None:
            raise NotFound("recipient", recipient_id)
        return found

    def recipient_by_email(self, email: str) -> Recipient | None:
        return self.session.scalars(select(Recipient).where(Recipient.email_key == email.strip().lower())).first()

    def person_from_event(self, *, email: str, name: str, language: str, municipality_code: str | None,
                          organisation: str | None = None) -> Recipient:
        """The recipient an event names. Someone registered through the API keeps the name and
        language they chose; someone known only from events gets the latest ones."""
        now = utcnow()
        key = email.strip().lower()
        self.session.execute(self._insert(Recipient.__table__).values(
            id=uuid.uuid4(), email_key=key, email=email.strip(), name=name, language=language,
            municipality_code=municipality_code, source="event", created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["email_key"]))
        recipient = self.session.scalars(select(Recipient).where(Recipient.email_key == key)).one()
        if recipient.source == "event" and recipient.erased_at is None and (
                recipient.name, recipient.language, recipient.municipality_code) != (name, language, municipality_code):
            recipient.name, recipient.language, recipient.updated_at = name, language, now
            # The municipality is kept from the first event: an event names whoever the sender
            # typed in (any municipality can enrol any address), so it never moves a person to
            # another municipality, whose token could then change them (shared/tenancy.py).
        return recipient

    def register(self, values: dict) -> tuple[Recipient, bool]:
        """Create or update a registered recipient by e-mail; True if created."""
        now = utcnow()
        existing = self.recipient_by_email(values["email"])
        created = existing is None or existing.erased_at is not None
        if existing is None:
            existing = Recipient(id=uuid.uuid4(), email_key=values["email"].strip().lower(), created_at=now)
            self.session.add(existing)
        existing.erased_at = None
        for key, value in values.items():
            setattr(existing, key, value)
        existing.email = values["email"].strip()
        existing.source = "api"
        existing.updated_at = now
        if existing.webhook_url and not existing.webhook_secret:
            self.rotate_webhook_secret(existing)
        self.session.flush()
        return existing, created

    def rotate_webhook_secret(self, recipient: Recipient) -> str:
        """A new signing key for the recipient's webhooks. The API shows it in this one answer
        (`fresh_webhook_secret`, not stored as such) and never again."""
        recipient.webhook_secret = secrets.token_urlsafe(32)
        recipient.fresh_webhook_secret = recipient.webhook_secret
        recipient.updated_at = utcnow()
        return recipient.webhook_secret

    def recipients(self, *, municipality_code: str | None, role: str | None, limit: int) -> list[Recipient]:
        query = select(Recipient).where(Recipient.erased_at.is_(None)).order_by(Recipient.email_key).limit(limit)
        if municipality_code:
            query = query.where(Recipient.municipality_code == municipality_code)
        found = list(self.session.scalars(query))
        return [r for r in found if role in (r.roles or [])] if role else found

    def holders_of(self, role: str, municipality_code: str) -> list[Recipient]:
        return self.recipients(municipality_code=municipality_code, role=role, limit=1000)

    def call_alert_subscribers(self) -> list[Recipient]:
        return list(self.session.scalars(select(Recipient).where(
            Recipient.call_alerts.is_(True), Recipient.erased_at.is_(None))))

    # ------------------------------------------------------------------ events and notifications
    def remember_event(self, envelope) -> None:
        self.session.execute(self._insert(ReceivedEvent.__table__).values(
            event_id=envelope.id, event_type=envelope.type, schema_version=envelope.schemaversion,
            body=json.dumps(envelope.to_wire(), ensure_ascii=False), received_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["event_id"]))

    def event_body(self, event_id: uuid.UUID) -> dict | None:
        body = self.session.scalar(select(ReceivedEvent.body).where(ReceivedEvent.event_id == event_id))
        return json.loads(body) if body else None

    def add_notifications(self, rows: list[dict]) -> int:
        """Insert notifications; one per (event, recipient, channel) whatever happens twice."""
        if rows and self.uow.dialect == "postgresql":
            # One statement over arrays: a multi-row VALUES built by SQLAlchemy compiles a bind
            # parameter per value (18 per row), which was 90 % of a 5,000-subscriber fan-out's
            # handler and held its transaction for seconds before the first e-mail could go.
            columns = {name: [row[name] for row in rows] for name, _ in _NOTIFICATION_ARRAYS}
            for name in ("id", "event_id", "recipient_id"):
                columns[name] = [str(value) for value in columns[name]]
            return self.session.execute(text(ADD_NOTIFICATIONS), columns).rowcount
        inserted = 0
        # In chunks: SQLite allows some 32,000 bound parameters per statement.
        for start in range(0, len(rows), 500):
            result = self.session.execute(self._insert(Notification.__table__).values(rows[start:start + 500])
                                          .on_conflict_do_nothing(index_elements=["event_id", "recipient_id", "channel"]))
            inserted += result.rowcount
        return inserted

    @staticmethod
    def notification_row(*, envelope, recipient: Recipient, channel: str, template: str, category: str,
                         critical: bool, status: str, send_at: datetime, reason: str | None, now: datetime) -> dict:
        return dict(
            id=uuid.uuid4(), event_id=envelope.id, event_type=envelope.type, event_time=envelope.time,
            correlation_id=envelope.correlationid, event_subject=envelope.subject, recipient_id=recipient.id, channel=channel, template=template,
            category=category, critical=critical, language=recipient.language,
            message_id=message_id(str(envelope.id), str(recipient.id), channel), status=status,
            status_reason=reason, attempts=0, next_attempt_at=send_at, created_at=now,
        )

    def told_about(self, subject: str, recipient_id: uuid.UUID, channel: str, event_types: list[str],
                   *, but: uuid.UUID) -> list[Told]:
        """The notifications of these event types about `subject` for this recipient and channel,
        other than event `but`'s. The recipient's row is locked first, so two events about the
        same subject for the same person are told one after the other (PostgreSQL)."""
        self.session.execute(select(Recipient.id).where(Recipient.id == recipient_id).with_for_update())
        rows = self.session.execute(select(
            Notification.id, Notification.event_id, Notification.event_type, Notification.event_time,
            Notification.status,
        ).where(Notification.event_subject == subject, Notification.recipient_id == recipient_id,
                Notification.channel == channel, Notification.event_type.in_(event_types),
                Notification.event_id != but)).all()
        return [Told(id=r.id, event_id=r.event_id, event_type=r.event_type, event_time=r.event_time, status=r.status)
                for r in rows]

    def supersede(self, ids: list[uuid.UUID], reason: str) -> int:
        """Suppress waiting notifications a newer event made stale (only while still waiting)."""
        if not ids:
            return 0
        return self.session.execute(update(Notification).where(
            Notification.id.in_(ids), Notification.status.in_(WAITING),
        ).values(status="suppressed", status_reason=reason, lease_until=None, lease_token=None)).rowcount

    def claim_due(self, limit: int, now: datetime, token: uuid.UUID) -> list[tuple[Notification, Recipient]]:
        """Notifications ready to send, leased to the caller under `token` (its lease id). SKIP LOCKED
        lets replicas share the work; an expired lease (a sender that died mid-way) makes a
        notification due again, and claiming it gives it a new token, so the old holder can no
        longer renew it or record an outcome for it."""
        rows = self.session.execute(
            select(Notification, Recipient).join(Recipient, Recipient.id == Notification.recipient_id)
            .where(or_(
                and_(Notification.status == "pending", Notification.next_attempt_at <= now),
                and_(Notification.status == "sending", Notification.lease_until < now),
            ))
            .order_by(Notification.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Notification)
        ).all()
        for notification, _ in rows:
            notification.status = "sending"
            notification.lease_until = now + LEASE
            notification.lease_token = token
        return [(n, r) for n, r in rows]

    def renew_leases(self, ids: list[uuid.UUID], token: uuid.UUID, now: datetime) -> int:
        """Extend the leases `token` still holds among `ids` (the sender's heartbeat); how many."""
        if not ids:
            return 0
        return self.session.execute(update(Notification).where(
            Notification.id.in_(ids), Notification.lease_token == token, Notification.status == "sending",
        ).values(lease_until=now + LEASE)).rowcount

    def release_leases(self, ids: list[uuid.UUID], token: uuid.UUID) -> int:
        """Give back claims `token` still holds among `ids`, none of them sent: due again at once."""
        if not ids:
            return 0
        return self.session.execute(update(Notification).where(
            Notification.id.in_(ids), Notification.lease_token == token, Notification.status == "sending",
        ).values(status="pending", lease_until=None, lease_token=None)).rowcount

    def leased(self, ids: list[uuid.UUID], token: uuid.UUID) -> dict[uuid.UUID, Notification]:
        """Those of `ids` still sending under `token`, locked until commit: the only ones whose
        outcome the holder of `token` may record. A notification suppressed meanwhile (an erasure),
        already recorded, or claimed again by another sender after the lease expired is absent."""
        found = self.session.scalars(select(Notification).where(
            Notification.id.in_(ids), Notification.lease_token == token, Notification.status == "sending",
        ).with_for_update())
        return {n.id: n for n in found}

    def due_digests(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Recipients with held notifications whose digest time has come."""
        return list(self.session.scalars(
            select(Notification.recipient_id).where(Notification.status == "held", Notification.next_attempt_at <= now)
            .group_by(Notification.recipient_id).limit(limit)))

    def held_for(self, recipient_id: uuid.UUID, now: datetime) -> list[Notification]:
        return list(self.session.scalars(
            select(Notification).where(Notification.recipient_id == recipient_id, Notification.status == "held",
                                       Notification.next_attempt_at <= now)
            .order_by(Notification.event_time).with_for_update(skip_locked=True)))

    def record_attempt(self, notification: Notification, *, outcome: str, via: str | None, error: str | None) -> None:
        self.session.add(DeliveryAttempt(notification_id=notification.id, attempted_at=utcnow(), outcome=outcome,
                                         via=via, error=error))

    def get(self, notification_id: uuid.UUID) -> Notification:
        found = self.session.get(Notification, notification_id)
        if found is None:
            raise NotFound("notification", notification_id)
        return found

    def by_ids(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Notification]:
        found = self.session.scalars(select(Notification).where(Notification.id.in_(ids)))
        return {n.id: n for n in found}

    def attempts(self, notification_id: uuid.UUID) -> list[DeliveryAttempt]:
        return list(self.session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id == notification_id).order_by(DeliveryAttempt.id)))

    def deliveries(self, *, status: str | None, event_type: str | None, channel: str | None,
                   event_id: uuid.UUID | None, recipient_id: uuid.UUID | None, limit: int) -> list[Notification]:
        query = select(Notification).order_by(Notification.created_at.desc(), Notification.id).limit(limit)
        for column, value in ((Notification.status, status), (Notification.event_type, event_type),
                              (Notification.channel, channel), (Notification.event_id, event_id),
                              (Notification.recipient_id, recipient_id)):
            if value is not None:
                query = query.where(column == value)
        return list(self.session.scalars(query))

    def counts(self, *, event_id: uuid.UUID | None = None) -> list[tuple[str, str, str, int]]:
        query = select(Notification.event_type, Notification.channel, Notification.status, func.count()).group_by(
            Notification.event_type, Notification.channel, Notification.status)
        if event_id is not None:
            query = query.where(Notification.event_id == event_id)
        return [tuple(row) for row in self.session.execute(query).all()]

    def retry(self, notifications: list[Notification], now: datetime) -> int:
        """Send failed notifications again (only those); their Message-ID stays the same."""
        ids = [n.id for n in notifications if n.status == "failed"]
        if ids:
            self.session.execute(update(Notification).where(Notification.id.in_(ids)).values(
                status="pending", next_attempt_at=now, lease_until=None, lease_token=None))
        return len(ids)

    def status_counts(self) -> dict[str, int]:
        """How many notifications are stored in each delivery status."""
        return dict(self.session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)).all())

    # ------------------------------------------------------------------ forgetting a person
    def notifications_of(self, recipient_id: uuid.UUID) -> list[Notification]:
        """A person's notifications, locked and read fresh: an erasure must not decide on a status
        read before a sender's outcome committed (it would overwrite `sent` with `suppressed`)."""
        return list(self.session.scalars(
            select(Notification).where(Notification.recipient_id == recipient_id).with_for_update()
            .execution_options(populate_existing=True)))

    def attempts_of(self, notification_ids: list[uuid.UUID]) -> list[DeliveryAttempt]:
        return list(self.session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id.in_(notification_ids))))

    def events_mentioning(self, text: str) -> list[ReceivedEvent]:
        """Received events whose stored body contains `text` (case-insensitively)."""
        return list(self.session.scalars(select(ReceivedEvent).where(ReceivedEvent.body.ilike(f"%{text}%"))))
