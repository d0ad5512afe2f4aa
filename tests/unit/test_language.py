from datetime import date, datetime, timezone

import pytest

from services.notifications.domain.identity import message_id, retry_delay
from services.notifications.domain.language import count, format_date, format_money, format_time, plural_lt

FORMS = ("diena", "dienos", "dienų")


@pytest.mark.parametrize("n, word", [
    (1, "diena"), (21, "diena"), (101, "diena"), (2, "dienos"), (9, "dienos"), (22, "dienos"), (29, "dienos"),
    (0, "dienų"), (10, "dienų"), (11, "dienų"), (12, "dienų"), (19, "dienų"), (20, "dienų"), (111, "dienų"),
    (112, "dienų"), (30, "dienų"),
])
def test_lithuanian_plural_forms(n, word):
    assert plural_lt(n, *FORMS) == word


def test_counts_in_both_languages():
    assert count(3, "lt", FORMS, ("day", "days")) == "3 dienos"
    assert count(1, "en", FORMS, ("day", "days")) == "1 day"
    assert count(11, "en", FORMS, ("day", "days")) == "11 days"


def test_dates_times_and_money_as_people_write_them():
    assert format_date(date(2026, 12, 3), "lt") == "2026 m. gruodžio 3 d."
    assert format_date(date(2026, 12, 3), "en") == "3 December 2026"
    # 22:30 UTC on 31 Dec is already New Year in Vilnius (UTC+2)
    late = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)
    assert format_date(late, "lt") == "2027 m. sausio 1 d." and format_time(late) == "00:30"
    assert format_money("12.5", "lt") == "12,50 €" and format_money("1234.5", "en") == "€1,234.50"
    assert format_money(0, "lt") == "nemokamai"


def test_message_ids_are_stable_per_event_recipient_and_channel():
    first = message_id("e1", "r1", "email")
    assert first == message_id("e1", "r1", "email")
    assert first != message_id("e1", "r2", "email") != message_id("e2", "r1", "email")
    assert first.startswith("<") and first.endswith("@notifications.savivalda>")
    assert retry_delay(1) < retry_delay(2) < retry_delay(3) and retry_delay(50) == 3600
