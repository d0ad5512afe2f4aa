"""One-click unsubscribe (RFC 8058), no login: the signed token names the recipient and the
category ("all" for everything). A GET shows a page with one button; only the POST unsubscribes,
so link scanners cannot."""

from __future__ import annotations

from services.notifications.domain.preferences import unsubscribe_from
from services.notifications.domain.tokens import BadToken, read_unsubscribe_token
from services.notifications.models import Recipient
from services.notifications.repository import NotificationsRepository
from services.notifications.schemas import UnsubscribedOut
from services.notifications.views import unsubscribe_page
from shared.errors import Problem
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def target(db: UnitOfWork, token: str, *, secret: str) -> tuple[Recipient, str]:
    """The recipient and category a token names; 400 naming `token` for a damaged one."""
    try:
        recipient_id, category = read_unsubscribe_token(secret, token)
    except BadToken as error:
        raise Problem(400, "Bad unsubscribe link", str(error), code="bad_token",
                      errors=[{"field": "token", "location": "query", "message": str(error)}]) from None
    return NotificationsRepository(db).recipient(recipient_id), category


def page(db: UnitOfWork, token: str, *, secret: str) -> str:
    """The HTML page behind the link (changes nothing)."""
    return unsubscribe_page(*target(db, token, secret=secret))


def unsubscribe(db: UnitOfWork, token: str, *, secret: str) -> UnsubscribedOut:
    recipient, category = target(db, token, secret=secret)
    recipient.opt_out_categories, recipient.unsubscribed_all = unsubscribe_from(
        category, recipient.opt_out_categories, recipient.unsubscribed_all)
    recipient.updated_at = utcnow()
    db.commit()
    return UnsubscribedOut(recipient_id=recipient.id, category=category, unsubscribed=True)
