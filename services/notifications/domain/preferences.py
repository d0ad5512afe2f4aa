"""What a person wants to hear, and when: categories, digests, quiet hours, call alerts.

All local times are Europe/Vilnius, the centre's and the municipalities' time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from services.notifications.domain.language import LOCAL_TZ

CATEGORIES = ("training", "certificates", "call_alerts", "grants", "partners")
CHANNELS = ("email", "webhook")
DELIVERY_MODES = ("immediate", "daily_digest")


@dataclass(frozen=True)
class Preferences:
    channels: tuple[str, ...] = ("email",)
    opt_out_categories: frozenset[str] = frozenset()
    delivery: str = "immediate"
    digest_hour: int = 8
    quiet_start: time | None = None
    quiet_end: time | None = None
    unsubscribed_all: bool = False
    address_bounced: bool = False


@dataclass(frozen=True)
class Schedule:
    """pending: send at `send_at`; held: wait for the digest at `send_at`; suppressed: never send."""

    status: str
    send_at: datetime
    reason: str | None = None


def schedule(prefs: Preferences, *, channel: str, category: str, critical: bool, now: datetime) -> Schedule:
    """When (and whether) a notification in `category` goes out on `channel`.

    Opt-outs are always respected; a bounced address gets no e-mail at all. A critical
    notification (e.g. a session cancelled) skips the digest and quiet hours, nothing else.
    """
    if channel == "email" and prefs.address_bounced:
        return Schedule("suppressed", now, "the address bounced")
    if prefs.unsubscribed_all:
        return Schedule("suppressed", now, "unsubscribed from everything")
    if category in prefs.opt_out_categories:
        return Schedule("suppressed", now, f"opted out of {category}")
    if critical:
        return Schedule("pending", now)
    if channel == "email" and prefs.delivery == "daily_digest":
        return Schedule("held", next_digest_at(now, prefs.digest_hour))
    if prefs.quiet_start is not None and prefs.quiet_end is not None:
        end = quiet_hours_end(now, prefs.quiet_start, prefs.quiet_end)
        if end is not None:
            return Schedule("pending", end, "quiet hours")
    return Schedule("pending", now)


def _local_at(day, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LOCAL_TZ)


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The next local `hour`:00 after now (today or tomorrow), correct across DST changes."""
    local_now = now.astimezone(LOCAL_TZ)
    candidate = _local_at(local_now.date(), time(hour))
    if candidate <= local_now:
        candidate = _local_at(local_now.date() + timedelta(days=1), time(hour))
    return candidate


def quiet_hours_end(now: datetime, start: time, end: time) -> datetime | None:
    """If `now` falls in the quiet window [start, end) (which may span midnight), when it ends;
    otherwise None."""
    local_now = now.astimezone(LOCAL_TZ)
    clock = local_now.time().replace(tzinfo=None)
    if start == end:
        return None
    if start < end:
        inside = start <= clock < end
        end_day = local_now.date()
    else:  # e.g. 22:00–07:00
        inside = clock >= start or clock < end
        end_day = local_now.date() + timedelta(days=1) if clock >= start else local_now.date()
    return _local_at(end_day, end) if inside else None


@dataclass(frozen=True)
class AlertInterests:
    themes: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    home_region: str | None = None
    applicant_types: frozenset[str] = field(default_factory=lambda: frozenset({"municipality"}))


def wants_call_alert(interests: AlertInterests, *, call_themes: list[str], call_regions: list[str],
                     call_applicant_types: list[str]) -> bool:
    """A call alert goes only to those it concerns: a theme they follow (none followed = all), a
    region the call covers (a call with no regions covers all of Lithuania; a subscriber with no
    regions follows their own county) and an applicant type they can apply as."""
    if interests.themes and not interests.themes & set(call_themes):
        return False
    if call_regions:
        followed = interests.regions or ({interests.home_region} if interests.home_region else set())
        if not followed & set(call_regions):
            return False
    return bool(interests.applicant_types & set(call_applicant_types))


def usable_channels(channels: list[str] | tuple[str, ...] | None, *, has_webhook: bool) -> list[str]:
    """The channels a recipient is reached on: those they chose (e-mail when none), a webhook only
    when they gave its URL."""
    chosen = [c for c in (channels or ["email"]) if c in CHANNELS]
    return [c for c in chosen if c != "webhook" or has_webhook]


def unsubscribe_from(category: str, opt_out_categories: list[str] | None,
                     unsubscribed_all: bool) -> tuple[list[str], bool]:
    """Preferences after a one-click unsubscribe from `category` ("all": from everything):
    (opt-out categories, unsubscribed from everything)."""
    opt_outs = list(opt_out_categories or [])
    if category == "all":
        return opt_outs, True
    if category not in opt_outs:
        opt_outs.append(category)
    return opt_outs, unsubscribed_all


def wanted_categories(opt_out_categories: list[str] | None, unsubscribed_all: bool) -> list[str]:
    """The categories a person still hears about, in CATEGORIES order (none after "all")."""
    if unsubscribed_all:
        return []
    return [c for c in CATEGORIES if c not in (opt_out_categories or ())]


def choose_categories(wanted: list[str]) -> tuple[list[str], bool]:
    """Preferences after a person ticked the categories they want on their page: (opt-out
    categories, unsubscribed from everything). Ticking none opts out of each; ticking any undoes
    an earlier unsubscribe from everything."""
    chosen = set(wanted)
    return [c for c in CATEGORIES if c not in chosen], False
