"""The notifications service's counters (savivalda_notifications_* in docs/notifications.md)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

NOTIFICATIONS_DELIVERED = Counter(
    "savivalda_notifications_total",
    "Notification outcomes by channel and template: sent, retrying, failed, suppressed, digested",
    ["service", "channel", "template", "outcome"],
)
NOTIFICATION_LATENCY = Histogram(
    "savivalda_notification_latency_seconds", "From the causing event's time to delivery",
    ["service", "channel"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400),
)
UNTOLD_EVENTS = Counter(
    "savivalda_notifications_untold_events_total", "Events received that concern nobody (no template for the type)",
    ["service", "event_type"],
)
