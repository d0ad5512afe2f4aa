"""Deadline reminders on the embedded default: the timer (every 0.3 s here) emits
grants.call_deadline_approaching at 14, 7 and 1 days before internal, first-stage and official
deadlines, each once, and stops for applications that are submitted or withdrawn."""

import time

from tests.grants.helpers import application_body, call_body, create, day, get, move, outbox_events
from tests.support import http, wait_until


def reminders(system) -> list[tuple[str, str, str, int, int]]:
    return sorted((e["data"]["title"]["en"], e["data"]["deadline_kind"], e["data"]["deadline"],
                   e["data"]["reminder_days"], e["data"]["days_left"])
                  for e in outbox_events(system.settings.database_url("grants"), "grants.call_deadline_approaching"))


def titled(call_id, title, **changes):
    return application_body(call_id, title={"lt": title, "en": title}, **changes)


def test_reminders_go_out_once_at_14_7_and_1_days_and_stop_after_submission(grants_system):
    simple = dict(foreign_partner_required=False, partner_countries=[], required_documents=[])
    soon = create(grants_system, "/grants/calls", call_body("SOON", closes_on=day(7), **simple))
    two_stage = create(grants_system, "/grants/calls", call_body("TWO-STAGE", first_stage_closes_on=day(14),
                                                                 closes_on=day(40), **simple))
    create(grants_system, "/grants/applications", titled(soon["id"], "A", internal_deadline=day(1)))
    b = create(grants_system, "/grants/applications", titled(two_stage["id"], "B", status="drafting"))
    assert b["deadlines"]["internal"] == day(7) and b["deadlines"]["next_official"] == day(14)
    e = create(grants_system, "/grants/applications", titled(two_stage["id"], "E", internal_deadline=day(12)))

    expected = [("A", "internal", day(1), 1, 1), ("A", "official", day(7), 7, 7),
                ("B", "first_stage", day(14), 14, 14), ("B", "internal", day(7), 7, 7)]
    wait_until(lambda: len([r for r in reminders(grants_system) if r[0] in ("A", "B")]) >= 4, timeout=10,
               message="the four reminders")
    time.sleep(1.0)  # three more timer runs: nothing is sent twice
    sent = reminders(grants_system)
    assert [r for r in sent if r[0] in ("A", "B")] == expected
    e_reminders = [("E", "first_stage", day(14), 14, 14), ("E", "internal", day(12), 14, 12)]
    assert [r for r in sent if r[0] == "E"] == e_reminders  # 12 days before: the 14-day reminder, once

    event = next(e for e in outbox_events(grants_system.settings.database_url("grants"),
                                          "grants.call_deadline_approaching") if e["data"]["title"]["en"] == "A")
    assert event["data"]["consultant"]["email"] == "jonas.jonaitis@lsa.lt"
    assert event["data"]["contact"]["email"] == "ruta.petraitiene@kaunas.lt"
    assert event["data"]["call_code"] == "SOON" and event["data"]["status"] == "idea"
    listed = get(grants_system, f"/grants/applications/{b['id']}")["reminders_sent"]
    assert sorted((r["deadline_kind"], r["days_before"]) for r in listed) == [("first_stage", 14), ("internal", 7)]

    # B is submitted, E withdrawn, D (same call) is still being written. The funder brings both
    # deadlines forward: D is reminded of them, B and E are not.
    d = create(grants_system, "/grants/applications", titled(two_stage["id"], "D", internal_deadline=day(10)))
    wait_until(lambda: any(r[0] == "D" for r in reminders(grants_system)), message="D's first reminders")
    for status in ("internal_review", "submitted"):
        assert move(grants_system, b["id"], status).status == 200
    assert move(grants_system, e["id"], "withdrawn").status == 200
    moved = http("PATCH", f"{grants_system.base_url}/grants/calls/{two_stage['id']}",
                 {"first_stage_closes_on": day(5), "closes_on": day(14)}, token=grants_system.token())
    assert moved.status == 200, moved.body
    # D is at the concept note stage: reminded of that stage's deadline, not the full application's.
    wait_until(lambda: {("D", "first_stage", day(5), 7, 5)} <= set(reminders(grants_system)), timeout=10,
               message="D reminded of the moved deadline")
    time.sleep(0.7)
    after = reminders(grants_system)
    assert [r for r in after if r[0] == "B"] == [r for r in expected if r[0] == "B"]
    assert [r for r in after if r[0] == "E"] == e_reminders
    assert get(grants_system, f"/grants/applications/{d['id']}")["status"] == "idea"
    assert not [r for r in after if r[0] == "D" and r[1] == "official"]
    assert all(e["data"]["stage"] == "concept_note" for e in outbox_events(
        grants_system.settings.database_url("grants"), "grants.call_deadline_approaching")
        if e["data"]["call_code"] == "TWO-STAGE")
