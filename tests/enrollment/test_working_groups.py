"""Working groups (issue 20 item 2): use cases on a migrated SQLite database, then the HTTP API on
the embedded system (concurrent joins also on RabbitMQ + PostgreSQL) — bad input naming the field,
who sees what, the members' e-mails in their language from the embedded mailbox, their calendar
link, the report and the metrics."""

import email
from datetime import date, datetime, timedelta, timezone
from email import policy
from uuid import UUID, uuid4

import pytest
from sqlalchemy import update

from services.enrollment.domain.figures import LOCAL_TIME as LOCAL_TZ
from services.enrollment.models import WorkingGroupMeeting
from services.enrollment.schemas_working_groups import (
    CancelMeetingIn,
    MeetingAttendanceIn,
    MeetingIn,
    MemberChange,
    MemberIn,
    MinutesIn,
    ProposalIn,
    WorkingGroupIn,
    WorkingGroupQuery,
)
from services.enrollment.usecases import working_groups
from shared.errors import Conflict, RuleViolation
from shared.persistence.schema import utcnow
from tests.enrollment.helpers import assert_problem
from tests.enrollment.test_usecases import LINKS, database, later, migrated, work  # noqa: F401  (fixtures)


def vilnius_today() -> date:
    """The day as the service counts it (members join on the Vilnius date): between 22:00 and
    24:00 UTC that is already tomorrow, and date.today() would be a day early."""
    return utcnow().astimezone(LOCAL_TZ).date()


# The members sat in the group before the meetings these tests hold in the recent past: a member
# joining "today" would not have been one at a meeting held late yesterday, Vilnius time.
JOINED = (vilnius_today() - timedelta(days=30)).isoformat()

LAW = {"name": {"lt": "Vietos savivaldos įstatymo pakeitimų darbo grupė",
                "en": "Working group on amending the Law on Local Self-Government"},
       "purpose": {"lt": "Rengia Vietos savivaldos įstatymo pakeitimų pasiūlymus",
                   "en": "Prepares proposals to amend the Law on Local Self-Government"},
       "themes": ["council_members_duties"]}
ONA = {"name": "Ona Administratorė", "email": "Ona@Kaunas.lt", "municipality_code": "15", "role": "chair",
       "position": "administracijos direktorė", "joined_on": JOINED}
JONAS = {"name": "Jonas Administrator", "email": "jonas@vilnius.lt", "municipality_code": "57", "language": "en",
         "joined_on": JOINED}
PETRAS = {"name": "Petras Alytiškis", "email": "petras@alytus.lt", "municipality_code": "01", "joined_on": JOINED}


def meeting(days=7, **changes):
    start = (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
            "venue": "Vilnius, Totorių g. 27", "online_url": "https://meet.example/wg-law",
            "agenda": ["15 straipsnio pakeitimai", "Kitas posėdis"], **changes}


def held(work, meeting_id):
    """The meeting took place (a test cannot wait for it)."""
    now = datetime.now(timezone.utc)
    with work() as uow:
        uow.session.execute(update(WorkingGroupMeeting).where(WorkingGroupMeeting.id == UUID(str(meeting_id)))
                            .values(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(minutes=5)))
        uow.commit()


def told(uow, kind):
    return sorted((e.data["member"]["email"], e.data["member"]["language"]) for e in uow.emitted
                  if e.type == f"enrollment.working_group_{kind}")


# ---------------------------------------------------------------- use cases

@pytest.fixture
def group(work):
    with work() as uow:
        created = working_groups.create_group(uow, WorkingGroupIn.model_validate(LAW))
    with work() as uow:
        ona = working_groups.add_member(uow, created.id, MemberIn.model_validate(ONA))
        jonas = working_groups.add_member(uow, created.id, MemberIn.model_validate(JONAS))
    return created, ona, jonas


def test_members_one_chair_and_once(work, group):
    created, ona, jonas = group
    with work() as uow, pytest.raises(RuleViolation) as second_chair:
        working_groups.add_member(uow, created.id, MemberIn.model_validate({**PETRAS, "role": "chair"}))
    assert second_chair.value.field == "role"
    with work() as uow, pytest.raises(Conflict) as again:
        working_groups.add_member(uow, created.id, MemberIn.model_validate({**ONA, "email": "ona@KAUNAS.lt",
                                                                            "role": "member"}))
    assert again.value.code == "member_exists"
    with work() as uow, pytest.raises(RuleViolation):
        working_groups.change_member(uow, created.id, jonas.id, MemberChange(role="chair"))
    with work() as uow:  # the chair steps down, then Jonas chairs
        working_groups.change_member(uow, created.id, ona.id, MemberChange(role="member"))
        assert working_groups.change_member(uow, created.id, jonas.id, MemberChange(role="chair")).role == "chair"
    with work() as uow:  # Ona leaves, and may join again later
        left = working_groups.change_member(uow, created.id, ona.id, MemberChange(left_on=vilnius_today()))
        assert left.left_on == vilnius_today()
        working_groups.add_member(uow, created.id, MemberIn.model_validate({**ONA, "role": "member"}))
        detail = working_groups.get_group(uow, created.id)
    assert [(m.name, m.role, m.left_on is None) for m in detail.members] == [
        ("Jonas Administrator", "chair", True), ("Ona Administratorė", "member", True),
        ("Ona Administratorė", "member", False)]


def test_a_meeting_is_told_to_members_then_attendance_and_minutes_after_it(work, group):
    created, ona, jonas = group
    with work() as uow:
        scheduled = working_groups.schedule_meeting(uow, LINKS, created.id, MeetingIn.model_validate(meeting()))
        assert told(uow, "meeting_scheduled") == [("Ona@Kaunas.lt", "lt"), ("jonas@vilnius.lt", "en")]
        event = next(e.data for e in uow.emitted if e.type == "enrollment.working_group_meeting_scheduled")
        assert event["agenda"] == ["15 straipsnio pakeitimai", "Kitas posėdis"]
        assert event["calendar_url"].endswith("/calendar.ics") and str(event["member_id"]) in event["calendar_url"]
    with work() as uow, pytest.raises(Conflict) as early:
        working_groups.publish_minutes(uow, created.id, scheduled.id, MinutesIn(text="Per anksti"))
    assert early.value.code == "meeting_not_held"
    with work() as uow, pytest.raises(Conflict):
        working_groups.record_attendance(uow, created.id, scheduled.id, MeetingAttendanceIn.model_validate(
            {"records": [{"member_id": str(ona.id), "present": True}]}))
    held(work, scheduled.id)
    with work() as uow, pytest.raises(RuleViolation) as outsider:
        working_groups.record_attendance(uow, created.id, scheduled.id, MeetingAttendanceIn.model_validate(
            {"records": [{"member_id": str(ona.id), "present": True}, {"member_id": str(uuid4()), "present": True}]}))
    assert outsider.value.field == "records.1.member_id"
    with work() as uow:
        recorded = working_groups.record_attendance(uow, created.id, scheduled.id, MeetingAttendanceIn.model_validate(
            {"records": [{"member_id": str(ona.id), "present": True}, {"member_id": str(jonas.id), "present": False}]}))
        assert {(a.member_id, a.present) for a in recorded.attendance} == {(ona.id, True), (jonas.id, False)}
        working_groups.adopt_proposal(uow, created.id, ProposalIn.model_validate(
            {"title": {"lt": "15 str. pakeitimas", "en": "Amendment to art. 15"}, "text": "Siūloma ...",
             "adopted_on": vilnius_today().isoformat(), "meeting_id": str(scheduled.id)}))
    with work() as uow:
        published = working_groups.publish_minutes(uow, created.id, scheduled.id,
                                                   MinutesIn(text="1. Pritarta 15 str. pakeitimui."))
        assert told(uow, "minutes_published") == [("Ona@Kaunas.lt", "lt"), ("jonas@vilnius.lt", "en")]
        minutes = {e.data["member"]["email"]: e.data for e in uow.emitted
                   if e.type == "enrollment.working_group_minutes_published"}
    assert published.minutes_published_at is not None
    assert (minutes["Ona@Kaunas.lt"]["present"], minutes["jonas@vilnius.lt"]["present"]) == (True, False)
    assert minutes["Ona@Kaunas.lt"]["proposals"] == [{"lt": "15 str. pakeitimas", "en": "Amendment to art. 15"}]
    with work() as uow, pytest.raises(Conflict) as twice:
        working_groups.publish_minutes(uow, created.id, scheduled.id, MinutesIn(text="Dar kartą"))
    assert twice.value.code == "minutes_published"
    with work() as uow:
        report = working_groups.report(uow)
        _, listed, _ = working_groups.list_groups(uow, WorkingGroupQuery(theme="council_members_duties"))
        _, none, _ = working_groups.list_groups(uow, WorkingGroupQuery(theme="budgeting"))
    (line,) = report.groups
    assert (line.members, line.municipalities, line.meetings_held, line.attendance_rate, line.proposals) == (
        2, 2, 1, 0.5, 1)
    assert {(m.municipality_code, m.members, m.meetings, m.attendance_rate) for m in report.municipalities} == {
        ("15", 1, 1, 1.0), ("57", 1, 1, 0.0)}
    assert [g.id for g in listed] == [created.id] and none == []


def test_a_member_who_left_is_not_told_nor_recorded(work, group):
    created, ona, jonas = group
    with work() as uow:
        working_groups.change_member(uow, created.id, jonas.id, MemberChange(left_on=vilnius_today()))
        working_groups.schedule_meeting(uow, LINKS, created.id, MeetingIn.model_validate(meeting()))
        assert told(uow, "meeting_scheduled") == [("Ona@Kaunas.lt", "lt")]
    with work() as uow, pytest.raises(RuleViolation) as past:
        working_groups.schedule_meeting(uow, LINKS, created.id, MeetingIn.model_validate(meeting(days=-1)))
    assert past.value.field == "starts_at"


def test_a_cancelled_meeting_is_told_and_takes_no_attendance_or_minutes(work, group):
    created, ona, jonas = group
    with work() as uow:
        scheduled = working_groups.schedule_meeting(uow, LINKS, created.id, MeetingIn.model_validate(meeting()))
    with work() as uow:
        cancelled = working_groups.cancel_meeting(uow, LINKS, created.id, scheduled.id,
                                                  CancelMeetingIn(reason="pirmininkė serga"))
        assert told(uow, "meeting_cancelled") == [("Ona@Kaunas.lt", "lt"), ("jonas@vilnius.lt", "en")]
        assert {e.data["reason"] for e in uow.emitted} == {"pirmininkė serga"}
    assert cancelled.status == "cancelled"
    with work() as uow, pytest.raises(Conflict) as again:
        working_groups.cancel_meeting(uow, LINKS, created.id, scheduled.id, CancelMeetingIn())
    assert again.value.code == "meeting_cancelled"
    held(work, scheduled.id)
    with work() as uow, pytest.raises(Conflict) as no_minutes:
        working_groups.publish_minutes(uow, created.id, scheduled.id, MinutesIn(text="Nevyko"))
    assert no_minutes.value.code == "meeting_cancelled"
    with work() as uow:
        calendar = working_groups.member_calendar(
            uow, LINKS, created.id, scheduled.id, ona.id,
            working_groups.member_code(LINKS.secret, ona.id)).get_data(as_text=True)
        report = working_groups.report(uow)
    assert "STATUS:CANCELLED" in calendar
    assert (report.groups[0].meetings_held, report.groups[0].meetings_upcoming) == (0, 0)


# ---------------------------------------------------------------- HTTP on the embedded system

def mails_to(system, address):
    folder = system.settings.mailbox_dir
    found = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(folder.glob("*.eml"))] if folder.exists() else []
    return [m for m in found if m["To"].addresses[0].addr_spec.lower() == address.lower()]


def test_bad_input_names_the_field_and_changes_nothing(system):
    assert_problem(system.post("/working-groups", {**LAW, "themes": []}), 422, field="themes")
    assert_problem(system.post("/working-groups", {**LAW, "themes": ["astrology"]}), 422, field="themes")
    assert_problem(system.post("/working-groups", {**LAW, "name": {"en": "No Lithuanian"}}), 422, field="name.lt")
    assert_problem(system.post("/working-groups", LAW, role="municipality:15"), 403)
    group = system.post("/working-groups", LAW).body
    base = f"/working-groups/{group['id']}"
    assert_problem(system.post(f"{base}/members", {**ONA, "email": "ona"}), 422, field="email")
    assert_problem(system.post(f"{base}/members", {**ONA, "municipality_code": "99"}), 422, field="municipality_code")
    assert_problem(system.post(f"{base}/members", {**ONA, "role": "secretary"}), 422, field="role")
    assert_problem(system.post(f"/working-groups/{uuid4()}/members", ONA), 404)
    assert system.post(f"{base}/members", ONA).status == 201
    assert_problem(system.post(f"{base}/members", {**ONA, "email": "ONA@kaunas.lt"}), 409, code="member_exists")
    assert_problem(system.post(f"{base}/members", {**PETRAS, "role": "chair"}), 422, field="role")
    assert_problem(system.post(f"{base}/meetings", meeting(agenda=[])), 422, field="agenda")
    assert_problem(system.post(f"{base}/meetings", meeting(venue=None, online_url=None)), 422, field="venue")
    assert_problem(system.post(f"{base}/meetings", meeting(online_url="ftp://x")), 422, field="online_url")
    start = datetime.now(timezone.utc) + timedelta(days=3)
    assert_problem(system.post(f"{base}/meetings", meeting(ends_at=start.isoformat(),
                                                           starts_at=(start + timedelta(hours=1)).isoformat())),
                   422, field="ends_at")
    assert_problem(system.post(f"{base}/meetings", meeting(starts_at="2027-03-01T10:00:00")), 422, field="starts_at")
    upcoming = system.post(f"{base}/meetings", meeting()).body
    assert_problem(system.post(f"{base}/meetings/{upcoming['id']}/minutes", {"text": "x"}), 409,
                   code="meeting_not_held")
    assert_problem(system.post(f"{base}/meetings/{upcoming['id']}/minutes", {"text": ""}), 422, field="text")
    assert_problem(system.post(f"{base}/meetings/{upcoming['id']}/attendance", {"records": []}), 422, field="records")
    assert_problem(system.post(f"{base}/meetings/{upcoming['id']}/cancel", {"reason": "a\nb"}), 422, field="reason")
    assert_problem(system.post(f"{base}/meetings/{uuid4()}/cancel", {}), 404)
    assert_problem(system.post(f"{base}/proposals", {"title": {"lt": "X"}, "text": "Y", "adopted_on": "2026-01-01",
                                                      "meeting_id": str(uuid4())}), 422, field="meeting_id")
    assert_problem(system.post(f"{base}/proposals", {"title": {"lt": "X"}, "text": "Y", "adopted_on": "2026-01-01",
                                                      "status": "maybe"}), 422, field="status")
    assert_problem(system.get("/working-groups?limit=0"), 422, field="limit")
    assert_problem(system.get("/working-groups?colour=red"), 422, field="colour")
    after = system.get(base).body
    assert (len(after["members"]), len(after["meetings"]), after["proposals"]) == (1, 1, [])


def test_concurrent_requests_keep_one_chair_and_one_seat_per_person(any_system):
    """Eight requests at once: the same person joining, then eight people each as chair. The group
    row is locked while membership changes and a partial unique index holds the current seat."""
    from concurrent.futures import ThreadPoolExecutor

    system = any_system
    base = f"/working-groups/{system.post('/working-groups', LAW).body['id']}"
    with ThreadPoolExecutor(8) as pool:
        same = list(pool.map(lambda n: system.post(f"{base}/members", {**PETRAS, "email": "PETRAS@alytus.lt"}),
                             range(8)))
        chairs = list(pool.map(lambda n: system.post(f"{base}/members", {**ONA, "email": f"chair{n}@kaunas.lt"}),
                               range(8)))
    assert sorted(r.status for r in same) == [201] + [409] * 7, [r.body for r in same]
    assert sorted(r.status for r in chairs) == [201] + [422] * 7, [r.body for r in chairs]
    members = system.get(base).body["members"]
    assert (len(members), [m["role"] for m in members].count("chair")) == (2, 1)


def test_members_are_told_in_their_language_and_a_municipality_sees_only_its_groups(system):
    group = system.post("/working-groups", LAW).body
    admins = system.post("/working-groups", {**LAW, "name": {"lt": "Miestų administratorių grupė",
                                                              "en": "City administrators' group"}}).body
    base = f"/working-groups/{group['id']}"
    ona = system.post(f"{base}/members", ONA).body
    jonas = system.post(f"{base}/members", JONAS).body
    system.post(f"/working-groups/{admins['id']}/members", PETRAS)
    scheduled = system.post(f"{base}/meetings", meeting())
    assert scheduled.status == 201, scheduled.body

    # Kaunas (Ona) sees the group whole; Alytus sees only the public names of both groups
    assert {m["id"] for m in system.get(base, role="municipality:15").body["members"]} == {ona["id"], jonas["id"]}
    assert_problem(system.get(base, role="municipality:01"), 404)
    public = system.get("/working-groups", role="municipality:01").body
    assert {g["id"] for g in public} == {group["id"], admins["id"]}
    assert all(set(g) == {"id", "name", "purpose", "themes"} for g in public)
    assert_problem(system.get("/reports/working-groups", role="municipality:15"), 403)

    lt_mail = system.wait_until(lambda: mails_to(system, "ona@kaunas.lt"), timeout=20, message="Ona's e-mail")[0]
    en_mail = system.wait_until(lambda: mails_to(system, "jonas@vilnius.lt"), timeout=20, message="Jonas' e-mail")[0]
    assert lt_mail["Subject"].startswith("Darbo grupės „Vietos savivaldos")
    assert en_mail["Subject"].startswith('Meeting of the working group "Working group on amending')
    body = en_mail.get_body(("plain",)).get_content()
    assert "1. 15 straipsnio pakeitimai" in body and "https://meet.example/wg-law" in body
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Add it to your calendar"))
    calendar = system.public(link)
    assert calendar.status == 200 and "BEGIN:VEVENT" in calendar.body and "SUMMARY:Working group on" in calendar.body
    assert_problem(system.public(link.replace(link.rsplit("/", 2)[1], "0" * 32)), 404)

    # after the meeting: attendance, a proposal, the minutes told to both
    with system.uow() as uow:
        now = datetime.now(timezone.utc)
        uow.session.execute(update(WorkingGroupMeeting).where(WorkingGroupMeeting.id == UUID(scheduled.body["id"]))
                            .values(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(minutes=5)))
        uow.commit()
    path = f"{base}/meetings/{scheduled.body['id']}"
    assert_problem(system.post(f"{path}/attendance", {"records": [{"member_id": str(uuid4()), "present": True}]}),
                   422, field="records.0.member_id")
    assert system.post(f"{path}/attendance", {"records": [{"member_id": ona["id"], "present": True},
                                                           {"member_id": jonas["id"], "present": True}]}).status == 200
    assert system.post(f"{base}/proposals", {"title": {"lt": "15 str. pakeitimas", "en": "Amendment to art. 15"},
                                              "text": "Siūloma ...", "adopted_on": vilnius_today().isoformat(),
                                              "meeting_id": scheduled.body["id"]}).status == 201
    assert system.post(f"{path}/minutes", {"text": "1. Pritarta 15 str. pakeitimui."}).status == 200
    minutes = system.wait_until(lambda: [m for m in mails_to(system, "jonas@vilnius.lt")
                                         if m["Subject"].startswith("Minutes")], timeout=20, message="minutes")[0]
    text = minutes.get_body(("plain",)).get_content()
    assert "Pritarta 15 str. pakeitimui" in text and "Amendment to art. 15" in text and "recorded present" in text
    lt_minutes = system.wait_until(lambda: [m for m in mails_to(system, "ona@kaunas.lt")
                                            if "posėdžio protokolas" in m["Subject"]], timeout=20, message="protokolas")
    assert lt_minutes[0]["Subject"].startswith(
        "Darbo grupės „Vietos savivaldos įstatymo pakeitimų darbo grupė“ posėdžio protokolas, 20")
    assert "pažymėta, kad dalyvavote" in lt_minutes[0].get_body(("plain",)).get_content()

    report = system.get("/reports/working-groups").body
    line = next(g for g in report["groups"] if g["group_id"] == group["id"])
    assert (line["meetings_held"], line["attendance_rate"], line["proposals"]) == (1, 1.0, 1)
    assert {m["municipality_code"] for m in report["municipalities"]} == {"01", "15", "57"}
    assert len(system.events("working_group_proposal_adopted")) == 1
    metrics = system.wait_until(lambda: _metrics(system), timeout=10, message="metrics")
    assert 'savivalda_enrollment_working_groups{service="enrollment"} 2.0' in metrics
    assert 'savivalda_enrollment_working_group_members{role="chair",service="enrollment"} 1.0' in metrics
    assert 'savivalda_enrollment_working_group_meetings_total{event="minutes_published"}' in metrics


def _metrics(system):
    from tests.support import http

    reply = http("GET", f"{system.ops_url}/metrics")
    return reply.body if reply.status == 200 else None


def test_the_readme_example_runs_as_written(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"<!-- enrollment working groups[^>]*-->\n(.*?)\n<!-- end of the enrollment working groups -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in block.strip("\n").splitlines())
    secret = system.settings.auth_secret
    env = {**os.environ, "API": system.base_url,
           "STAFF": issue_token(secret, subject="egle@lsa.lt", role="staff"),
           "KAUNAS": issue_token(secret, subject="ruta@kaunas.lt", role="municipality:15"),
           "ALYTUS": issue_token(secret, subject="rasa@alytus.lt", role="municipality:01")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "chair", "member", "['John Smith', 'Ona Administratorė']", "404", "['id', 'name', 'purpose', 'themes']",
        "409 urn:savivalda:problem:meeting_not_held", "[(2, 2, 1)]"]
