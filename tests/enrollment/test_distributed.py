"""Enrollment as containers run it: `savivalda run enrollment` replicas against the real
PostgreSQL and RabbitMQ, hit by real concurrent clients (green threads)."""

import collections
import time
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import pytest

from services.enrollment.domain.rules import AttendanceMode, EnrollmentStatus
from services.enrollment.domain.seats import SeatCounts, SeatPolicy, Waiting, decide_arrival, plan_promotions
from services.enrollment.models import Enrollment
from shared.auth import issue_token
from tests.enrollment.helpers import Api, future, person
from tests.support import TEST_SECRET, run_cli, wait_until

pytestmark = pytest.mark.e2e
IN_PERSON = AttendanceMode.IN_PERSON


def api_of(process, pg_databases) -> Api:
    return Api(process.base_url, lambda role="staff", **kw: issue_token(TEST_SECRET, subject="e2e", role=role, **kw),
               pg_databases["enrollment"])


def timed(call):
    started = time.monotonic()
    reply = call()
    return started, time.monotonic(), reply


def test_a_rush_of_200_for_20_seats_confirms_20_and_waitlists_180_in_arrival_order_within_quotas(
        launcher, pg_databases):
    replicas = [api_of(launcher.start("enrollment"), pg_databases) for _ in range(2)]
    session = replicas[0].schedule(capacity=20, quota_per_municipality=3)
    municipalities = [f"{(n % 8) + 1:02d}" for n in range(200)]  # 8 municipalities x quota 3 > 20 seats
    people = [person(n, municipality=municipalities[n]) for n in range(200)]
    pool = eventlet.GreenPool(200)
    results = list(pool.imap(lambda n: timed(lambda: replicas[n % 2].enrol(session["id"], people[n])), range(200)))
    replies = [r for _, _, r in results]
    assert [r.status for r in replies] == [201] * 200, collections.Counter(r.status for r in replies)

    statuses = collections.Counter(r.body["status"] for r in replies)
    assert statuses == {"confirmed": 20, "waitlisted": 180}
    confirmed_by = collections.Counter(r.body["municipality_code"] for r in replies if r.body["status"] == "confirmed")
    assert max(confirmed_by.values()) <= 3
    arrivals = sorted(replies, key=lambda r: r.body["arrival"])
    assert [r.body["arrival"] for r in arrivals] == list(range(1, 201))

    # Arrival order is the order requests took the session's lock; replaying the arrivals in that
    # order through the rules gives exactly the decisions the replicas made.
    policy, counts = SeatPolicy({IN_PERSON: 20}, quota=3), SeatCounts()
    expected = [decide_arrival(policy, counts, IN_PERSON, r.body["municipality_code"]).status.value for r in arrivals]
    assert [r.body["status"] for r in arrivals] == expected
    waiting = [r for r in arrivals if r.body["status"] == "waitlisted"]
    assert [r.body["waitlist_position"] for r in waiting] == list(range(1, 181))
    # ...and it respects real time: a request answered before another was sent arrived first.
    for started_a, ended_a, a in results:
        for started_b, _, b in results:
            if ended_a < started_b:
                assert a.body["arrival"] < b.body["arrival"]

    listed = replicas[1].get(f"/sessions/{session['id']}/waitlist?limit=500").body  # (pages of 100 by default)
    assert [e["id"] for e in listed] == [r.body["id"] for r in waiting]
    seats = replicas[1].session(session["id"])
    assert (seats["confirmed"], seats["waitlisted"], seats["seats_left"]) == (20, 180, 0)
    assert len(replicas[0].events("enrollment_confirmed")) == 20
    assert len(replicas[0].events("enrollment_waitlisted")) == 180

    # Five seats freed at once, through both replicas: the first eligible people in line get them.
    holders = [r.body for r in arrivals if r.body["status"] == "confirmed"]
    leaving = holders[:5]
    remaining = SeatCounts.of((IN_PERSON, h["municipality_code"]) for h in holders[5:])
    line = [Waiting(uuid.UUID(r.body["id"]), IN_PERSON, r.body["municipality_code"], r.body["arrival"]) for r in waiting]
    expected_promotions = [str(p.enrollment_id) for p in plan_promotions(policy, remaining, line)]
    assert len(expected_promotions) == 5
    cancelled = list(pool.imap(lambda n: replicas[n % 2].post(f"/enrollments/{leaving[n]['id']}/cancel", {}), range(5)))
    assert [c.status for c in cancelled] == [200] * 5
    promoted = [e["enrollment_id"] for e in replicas[0].events("enrollment_promoted")]
    assert sorted(promoted) == sorted(expected_promotions)
    assert replicas[0].session(session["id"])["confirmed"] == 20
    after = collections.Counter(e.municipality_code for e in replicas[0].rows(
        Enrollment, Enrollment.session_id == uuid.UUID(session["id"]), Enrollment.status == "confirmed"))
    assert sum(after.values()) == 20 and max(after.values()) <= 3


def test_timers_in_two_replicas_remind_everyone_once_and_pass_an_expired_offer_on_once(launcher, pg_databases):
    fast = {"SAVIVALDA_TIMER_INTERVAL": "0.1"}
    first, second = (api_of(launcher.start("enrollment", extra_env=fast), pg_databases) for _ in range(2))
    session = first.schedule(capacity=60, starts_at=future(1), ends_at=future(1.2), reminder_hours_before=2,
                             offer_hours=12)
    people = [first.enrol(session["id"], person(n, municipality=f"{(n % 60) + 1:02d}")).body for n in range(62)]
    assert first.events("session_reminder_due") == []  # the start is a day away, reminders 2 hours before

    # Reminders become due for sixty people at once; both replicas' timers race for them.
    assert first.patch(f"/sessions/{session['id']}", {"reminder_hours_before": 48}).status == 200
    wait_until(lambda: len(first.events("session_reminder_due")) >= 60, timeout=30, message="sixty reminders")
    eventlet.sleep(1.0)
    reminded = collections.Counter(e["enrollment_id"] for e in first.events("session_reminder_due"))
    assert len(reminded) == 60 and set(reminded.values()) == {1}

    # An offer expires: exactly one replica passes it to the next person.
    second.post(f"/enrollments/{people[0]['id']}/cancel", {})
    offered = people[60]
    assert second.enrollment(offered["id"])["status"] == "offered"
    first.travel(Enrollment, Enrollment.id == uuid.UUID(offered["id"]),
                 offer_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    wait_until(lambda: first.events("waitlist_offer_expired"), timeout=20, message="the offer to expire")
    eventlet.sleep(1.0)
    assert len(first.events("waitlist_offer_expired")) == 1
    offers = [e["participant"]["email"] for e in first.events("waitlist_offer_made")]
    assert offers == [offered["email"], people[61]["email"]]
    assert second.enrollment(people[61]["id"])["status"] == EnrollmentStatus.OFFERED.value


def test_an_erasure_request_over_rabbitmq_leaves_nothing_personal_in_postgresql(launcher, pg_databases,
                                                                                distributed_env):
    system = api_of(launcher.start("enrollment"), pg_databases)
    session = system.schedule(capacity=1)
    mine = system.enrol(session["id"], person(1, name="Jurgita Kazlauskienė", email="j.kazlauskiene@birzai.lt",
                                              municipality="06", position="Archyvarė")).body
    behind = system.enrol(session["id"], person(2)).body
    assert "kazlauskien" in system.texts()

    done = run_cli("privacy", "erase", "J.Kazlauskiene@Birzai.lt", env=distributed_env)
    assert done.returncode == 0, done.stderr
    answer = wait_until(lambda: system.events("person_erased"), timeout=30, message="the erasure")
    assert answer[0]["removed"]["enrollments"] == 1 and answer[0]["removed"]["open_enrollments_cancelled"] == 1
    everything = system.texts()
    for personal in ("kazlauskien", "birzai.lt", "archyvar"):
        assert personal not in everything, personal
    assert system.enrollment(behind["id"])["status"] == "confirmed"
    assert system.session(session["id"])["confirmed"] == 1
    assert system.enrollment(mine["id"])["name"] == "(erased)"
