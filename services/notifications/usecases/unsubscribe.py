"""The link in every e-mail, no login: the signed token names the recipient and the category
("all" for everything, the digest's link). One-click unsubscribe (RFC 8058: a POST, what mail
clients send) and the preferences page behind the link (a GET shows it and changes nothing, so
link scanners cannot; its forms POST)."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.domain.preferences import CATEGORIES, choose_categories, unsubscribe_from, wanted_categories
from services.notifications.domain.tokens import BadToken, read_unsubscribe_token
from services.notifications.models import Recipient
from services.notifications.repository import NotificationsRepository
from services.notifications.schemas import UnsubscribedOut
from services.notifications.views import mask
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


@dataclass(frozen=True)
class PreferencesView:
    """What the page behind the link shows: whose preferences (the address masked), the
    category of the link and whether the person still hears about it, and the choices."""

    address: str
    language: str
    category: str  # of the link: one of CATEGORIES, or "all"
    still_told: bool  # the link's category (everything, for "all") still reaches them
    categories: tuple[str, ...]  # every category, in order
    wanted: frozenset[str]
    delivery_mode: str
    digest_hour: int


def page(db: UnitOfWork, token: str, *, secret: str) -> PreferencesView:
    """The page behind the link (changes nothing)."""
    recipient, category = target(db, token, secret=secret)
    wanted = wanted_categories(recipient.opt_out_categories, recipient.unsubscribed_all)
    still_told = bool(wanted) if category == "all" else category in wanted
    return PreferencesView(address=mask(recipient.email), language=recipient.language, category=category,
                           still_told=still_told, categories=CATEGORIES, wanted=frozenset(wanted),
                           delivery_mode=recipient.delivery_mode, digest_hour=recipient.digest_hour)


def unsubscribe(db: UnitOfWork, token: str, *, secret: str) -> UnsubscribedOut:
    recipient, category = target(db, token, secret=secret)
    recipient.opt_out_categories, recipient.unsubscribed_all = unsubscribe_from(
        category, recipient.opt_out_categories, recipient.unsubscribed_all)
    recipient.updated_at = utcnow()
    db.commit()
    return UnsubscribedOut(recipient_id=recipient.id, category=category, unsubscribed=True)


def save_preferences(db: UnitOfWork, token: str, *, language: str, categories: list[str], delivery_mode: str,
                     digest_hour: int, secret: str) -> str:
    """The page's preferences form: the language of their e-mails, the categories they want, and
    whether e-mail comes at once or in a daily digest. Returns the language chosen. The person
    chose these themselves, so later events no longer change their name or language
    (source "person", as a registration through the API)."""
    recipient, _ = target(db, token, secret=secret)
    recipient.opt_out_categories, recipient.unsubscribed_all = choose_categories(categories)
    recipient.language, recipient.delivery_mode, recipient.digest_hour = language, delivery_mode, digest_hour
    if recipient.source == "event":
        recipient.source = "person"
    recipient.updated_at = utcnow()
    db.commit()
    return language
