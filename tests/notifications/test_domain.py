import uuid
from datetime import datetime, time, timezone

import pytest

from services.notifications.domain.language import LOCAL_TZ
from services.notifications.domain.preferences import (
    AlertInterests,
    Preferences,
    next_digest_at,
    quiet_hours_end,
    schedule,
    wants_call_alert,
)
from services.notifications.domain.tokens import (
    BadToken,
    read_unsubscribe_token,
    unsubscribe_token,
    verify_webhook,
    webhook_signature,
)


def local(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


NOW = local(2026, 11, 24, 23, 30)


def test_immediate_by_default_and_opt_outs_respected():
    assert schedule(Preferences(), channel="email", category="training", critical=False, now=NOW).status == "pending"
    opted = Preferences(opt_out_categories=frozenset({"training"}))
    suppressed = schedule(opted, channel="email", category="training", critical=True, now=NOW)
    assert suppressed.status == "suppressed" and "training" in suppressed.reason
    assert schedule(opted, channel="email", category="grants", critical=False, now=NOW).status == "pending"
    assert schedule(Preferences(unsubscribed_all=True), channel="webhook", category="grants", critical=True,
                    now=NOW).status == "suppressed"


def test_a_bounced_address_gets_no_email_but_webhooks_still_go():
    bounced = Preferences(address_bounced=True, channels=("email", "webhook"))
    assert schedule(bounced, channel="email", category="training", critical=True, now=NOW).status == "suppressed"
    assert schedule(bounced, channel="webhook", category="training", critical=False, now=NOW).status == "pending"


def test_digest_holds_until_the_local_hour_and_critical_skips_it():
    digest = Preferences(delivery="daily_digest", digest_hour=8)
    held = schedule(digest, channel="email", category="grants", critical=False, now=NOW)
    assert held.status == "held" and held.send_at == local(2026, 11, 25, 8)
    assert schedule(digest, channel="email", category="grants", critical=True, now=NOW).send_at == NOW
    assert schedule(digest, channel="webhook", category="grants", critical=False, now=NOW).status == "pending"


def test_next_digest_today_or_tomorrow_and_across_daylight_saving():
    assert next_digest_at(local(2026, 11, 24, 7, 59), 8) == local(2026, 11, 24, 8)
    assert next_digest_at(local(2026, 11, 24, 8, 0), 8) == local(2026, 11, 25, 8)
    # the night clocks go forward (29 March 2026): 08:00 local is 05:00 UTC the next morning
    before = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)
    assert next_digest_at(before, 8).astimezone(timezone.utc) == datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, expected", [
    (local(2026, 11, 24, 23, 30), local(2026, 11, 25, 7)),  # late evening: until tomorrow 07:00
    (local(2026, 11, 25, 6, 59), local(2026, 11, 25, 7)),   # early morning: until 07:00 today
    (local(2026, 11, 25, 7, 0), None),                      # quiet hours over
    (local(2026, 11, 25, 21, 59), None),
])
def test_quiet_hours_spanning_midnight(now, expected):
    assert quiet_hours_end(now, time(22), time(7)) == expected


def test_quiet_hours_within_a_day_and_critical_bypass():
    assert quiet_hours_end(local(2026, 11, 25, 13), time(12), time(14)) == local(2026, 11, 25, 14)
    prefs = Preferences(quiet_start=time(22), quiet_end=time(7))
    deferred = schedule(prefs, channel="email", category="training", critical=False, now=NOW)
    assert (deferred.status, deferred.send_at, deferred.reason) == ("pending", local(2026, 11, 25, 7), "quiet hours")
    assert schedule(prefs, channel="email", category="training", critical=True, now=NOW).send_at == NOW


def test_call_alerts_go_only_to_matching_subscribers():
    budget_kaunas = AlertInterests(themes=frozenset({"budgeting"}), home_region="KU")
    call = dict(call_themes=["budgeting", "regional_development"], call_regions=[], call_applicant_types=["municipality"])
    assert wants_call_alert(budget_kaunas, **call)
    assert not wants_call_alert(budget_kaunas, **{**call, "call_themes": ["health_care"]})
    assert not wants_call_alert(budget_kaunas, **{**call, "call_regions": ["VL", "AL"]})
    assert wants_call_alert(budget_kaunas, **{**call, "call_regions": ["KU"]})
    assert wants_call_alert(AlertInterests(regions=frozenset({"VL"}), home_region="KU"), **{**call, "call_regions": ["VL"]})
    assert not wants_call_alert(budget_kaunas, **{**call, "call_applicant_types": ["ngo"]})
    assert wants_call_alert(AlertInterests(home_region="KU"), **call)  # follows every theme


def test_unsubscribe_tokens_round_trip_and_refuse_tampering():
    recipient = uuid.uuid4()
    token = unsubscribe_token("secret-one", recipient, "call_alerts")
    assert read_unsubscribe_token("secret-one", token) == (recipient, "call_alerts")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", "", token + "x"):
        with pytest.raises(BadToken):
            read_unsubscribe_token("secret-one", bad)
    with pytest.raises(BadToken):
        read_unsubscribe_token("another-secret", token)
    other = unsubscribe_token("secret-one", recipient, "all")
    assert other != token


def test_webhook_signatures():
    body = b'{"event": 1}'
    signature = webhook_signature("s3cret", 1_800_000_000, body)
    assert signature.startswith("v1=")
    assert verify_webhook("s3cret", 1_800_000_000, body, signature, now=1_800_000_100)
    assert not verify_webhook("s3cret", 1_800_000_000, body + b" ", signature, now=1_800_000_100)
    assert not verify_webhook("s3cret", 1_800_000_000, body, signature, now=1_800_001_000)  # too old


# ---------------------------------------------------------------- channels, unsubscribing, outcomes

def test_a_webhook_channel_needs_its_url_and_no_channel_means_e_mail():
    from services.notifications.domain.preferences import usable_channels

    assert usable_channels(None, has_webhook=False) == ["email"]
    assert usable_channels(["email", "webhook"], has_webhook=False) == ["email"]
    assert usable_channels(["webhook", "pigeon"], has_webhook=True) == ["webhook"]


def test_unsubscribing_adds_the_category_once_or_stops_everything():
    from services.notifications.domain.preferences import unsubscribe_from

    assert unsubscribe_from("grants", None, False) == (["grants"], False)
    assert unsubscribe_from("grants", ["grants"], False) == (["grants"], False)
    assert unsubscribe_from("all", ["training"], False) == (["training"], True)


def test_a_failed_attempt_is_retried_with_backoff_until_the_last_and_a_refusal_is_final():
    from services.notifications.domain.outcomes import MAX_ATTEMPTS, after_failure

    now = datetime(2026, 11, 24, 12, tzinfo=timezone.utc)
    retry = after_failure(permanent=False, channel="email", attempts=1, now=now)
    assert (retry.outcome, retry.bounced, (retry.retry_at - now).total_seconds()) == ("retrying", False, 30.0)
    assert after_failure(permanent=False, channel="webhook", attempts=MAX_ATTEMPTS, now=now).outcome == "failed"
    refused = after_failure(permanent=True, channel="email", attempts=1, now=now)
    assert (refused.outcome, refused.bounced) == ("failed", True)
    assert not after_failure(permanent=True, channel="webhook", attempts=1, now=now).bounced


def test_an_event_is_complete_when_nothing_waits_or_failed_and_only_failed_ones_are_resent():
    from services.notifications.domain.outcomes import complete, count_by_status, resendable

    counts = count_by_status(["sent", "sent", "suppressed"])
    assert counts == {"sent": 2, "suppressed": 1} and complete(counts)
    assert not complete(count_by_status(["sent", "failed"])) and not complete({"held": 0, "pending": 1})
    assert resendable("failed") and not resendable("sent")


# ---------------------------------------------------------------- today, tomorrow, in N days (Vilnius calendar)

def test_days_until_a_session_are_counted_by_calendar_date_in_vilnius():
    from datetime import timedelta

    from services.notifications.domain.language import calendar_days_until

    evening = local(2026, 11, 24, 23, 59).replace(second=50)
    assert calendar_days_until(evening + timedelta(seconds=12), evening) == 1  # past midnight: tomorrow
    assert calendar_days_until(local(2026, 11, 24, 23, 58), local(2026, 11, 24, 0, 1)) == 0  # later today
    assert calendar_days_until(local(2026, 11, 24, 9, 0) + timedelta(seconds=12), local(2026, 11, 24, 9, 0)) == 0
    assert calendar_days_until(local(2026, 11, 27, 0, 30), local(2026, 11, 24, 23, 30)) == 3
    assert calendar_days_until(local(2026, 11, 23, 10), local(2026, 11, 24, 9)) == -1
    # a UTC instant is read in Vilnius: 22:30 UTC on the 24th is 00:30 on the 25th there
    assert calendar_days_until(datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc), local(2026, 11, 24, 20)) == 1
    # across the change to summer time (29 March 2026, a 23-hour day)
    assert calendar_days_until(local(2026, 3, 30, 0, 30), local(2026, 3, 28, 23, 30)) == 2


# ---------------------------------------------------------------- one e-mail per news, newest news per subject

def test_a_status_change_to_a_decision_is_told_by_the_decision():
    from types import SimpleNamespace

    from services.notifications.domain.ordering import told_elsewhere

    told = {"grants.application_decided", "grants.application_status_changed"}
    changed = "grants.application_status_changed"
    assert told_elsewhere(changed, SimpleNamespace(to_status="awarded"), told)
    assert told_elsewhere(changed, SimpleNamespace(to_status="rejected"), told)
    assert not told_elsewhere(changed, SimpleNamespace(to_status="submitted"), told)
    # told by its own event only if that event is told at all
    assert not told_elsewhere(changed, SimpleNamespace(to_status="completed"), told)
    assert told_elsewhere(changed, SimpleNamespace(to_status="completed"), told | {"grants.final_report_filed"})
    assert not told_elsewhere("grants.application_decided", SimpleNamespace(to_status="awarded"), told)
    # A concept note invited to the full application goes back to drafting: the invitation tells it.
    assert told_elsewhere(changed, SimpleNamespace(from_status="submitted", to_status="drafting"), told)
    assert not told_elsewhere(changed, SimpleNamespace(from_status="internal_review", to_status="drafting"), told)


def test_only_the_newest_news_about_a_subject_goes_out():
    from services.notifications.domain.ordering import Told, family_of, newer_than, superseded

    def told(minute, status, kind="enrollment.enrollment_confirmed"):
        return Told(id=uuid.uuid4(), event_id=uuid.uuid4(), event_type=kind, event_time=local(2026, 11, 24, 10, minute),
                    status=status)

    held = told(0, "held")
    deferred = told(1, "pending")
    sent = told(2, "sent")
    cancelled = told(5, "sent", "enrollment.enrollment_cancelled")
    # a cancellation at 10:03 drops what still waits from before, never what went out
    assert superseded(local(2026, 11, 24, 10, 3), [held, deferred, sent]) == [held, deferred]
    assert newer_than(local(2026, 11, 24, 10, 3), [held, deferred, sent]) is None
    # a confirmation from 10:04 arriving after the 10:05 cancellation was told is stale
    assert newer_than(local(2026, 11, 24, 10, 4), [held, cancelled]) == cancelled
    assert superseded(local(2026, 11, 24, 10, 4), [told(6, "held")]) == []
    assert family_of("enrollment.enrollment_cancelled") == family_of("enrollment.enrollment_confirmed") == "enrolment"
    assert family_of("enrollment.session_reminder_due") is None
