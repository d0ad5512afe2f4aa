"""The partners timers (reminders, expiry, profile renewal) and the right to be forgotten, on the
embedded default. Time is moved by ageing rows in the database: the timer runs every 0.2 s."""

from datetime import date, datetime, timedelta, timezone

from services.partners.models import Introduction, Organisation
from tests.partners.helpers import CONSULTANT, HORDALAND, KAUNAS_PROFILE, REYKJAVIK, created, key_of, request_body
from tests.support import http, run_cli, wait_until


def ago(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def ticks(partners, n: int = 3) -> None:
    """Let the timer run a few times (it fires every 0.2 s)."""
    import eventlet

    eventlet.sleep(0.2 * n + 0.1)


def test_unanswered_sides_are_reminded_twice_then_the_introduction_expires(partners_with_timers):
    partners = partners_with_timers
    hordaland = partners.profile(HORDALAND)
    reykjavik = partners.profile(REYKJAVIK)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT)))
    quiet = created(partners.post(f"/requests/{request['id']}/introductions", {"organisation_id": hordaland["id"]}))
    late = created(partners.post(f"/requests/{request['id']}/introductions", {"organisation_id": reykjavik["id"]}))
    partners.post(f"/introductions/{late['id']}/answers", {"side": "requester", "answer": "accepted"})
    ticks(partners)
    assert partners.db.events("partners.introduction_reminder_due") == []  # not yet three days

    def reminders():
        return [e["data"] for e in partners.db.events("partners.introduction_reminder_due")]

    partners.db.update(Introduction, _uuid(quiet["id"]), last_contact_at=ago(3.1))
    first = wait_until(lambda: len(reminders()) == 2 and reminders(), message="a reminder to each side")
    assert sorted((r["side"], r["recipient"]["email"], r["reminder"]) for r in first) == [
        ("candidate", "kari.nordmann@hordaland.no", 1), ("requester", "rasa@lsa-centras.lt", 1)]
    # each reminder carries a working answer link for its recipient
    candidate_reminder = next(r for r in first if r["side"] == "candidate")
    preview = http("GET", f"{partners.base}/partners/answers?key={key_of(candidate_reminder['answer_url'])}")
    assert preview.status == 200 and preview.body["side"] == "candidate"
    ticks(partners)
    assert len(reminders()) == 2  # the next one waits another three days

    partners.db.update(Introduction, _uuid(quiet["id"]), last_contact_at=ago(3.1))
    wait_until(lambda: len(reminders()) == 4, message="the second reminders")
    partners.db.update(Introduction, _uuid(quiet["id"]), last_contact_at=ago(3.1))
    ticks(partners)
    assert len(reminders()) == 4 and partners.get(f"/introductions/{quiet['id']}").body["reminders_sent"] == 2

    # The answer-by date passes: both unanswered introductions expire, once.
    yesterday = date.today() - timedelta(days=1)
    partners.db.update(Introduction, _uuid(quiet["id"]), answer_by=yesterday)
    partners.db.update(Introduction, _uuid(late["id"]), answer_by=yesterday)
    expired = wait_until(lambda: len(partners.db.events("partners.introduction_expired")) == 2 and
                         [e["data"] for e in partners.db.events("partners.introduction_expired")],
                         message="two expiries")
    assert {e["organisation_name"]: e["unanswered"] for e in expired} == {
        "Hordaland county council": ["requester", "candidate"], "Reykjavík City": ["candidate"]}
    ticks(partners)
    assert len(partners.db.events("partners.introduction_expired")) == 2
    too_late = partners.post(f"/introductions/{late['id']}/answers", {"side": "candidate", "answer": "accepted"})
    assert too_late.status == 409 and too_late.body["errors"][0]["field"] == "answer"
    ranking = partners.get(f"/requests/{request['id']}/ranking").body
    assert ranking["candidates"] == [] and ranking["excluded_counts"] == {"already_introduced": 2}


def test_profile_owners_are_reminded_once_to_renew_and_renew_by_link(partners_with_timers):
    partners = partners_with_timers
    hordaland = partners.profile(HORDALAND)
    partners.profile(REYKJAVIK)
    ticks(partners)
    assert partners.db.events("partners.profile_renewal_due") == []

    partners.db.update(Organisation, _uuid(hordaland["id"]), expires_at=datetime.now(timezone.utc) + timedelta(days=10))
    due = wait_until(lambda: partners.db.events("partners.profile_renewal_due"), message="the renewal reminder")
    ticks(partners)
    assert len(partners.db.events("partners.profile_renewal_due")) == 1
    data = due[0]["data"]
    assert data["contact"]["email"] == "kari.nordmann@hordaland.no" and data["name"] == "Hordaland county council"

    key = key_of(data["renew_url"])
    assert http("GET", f"{partners.base}/partners/renewals?key={key}").body["name"] == "Hordaland county council"
    renewed = http("POST", f"{partners.base}/partners/renewals", {"key": key})
    assert renewed.status == 200
    expires = datetime.fromisoformat(renewed.body["expires_at"])
    assert timedelta(days=364) < expires - datetime.now(timezone.utc) <= timedelta(days=365)
    ticks(partners)
    assert len(partners.db.events("partners.profile_renewal_due")) == 1  # the next one a year on

    # A lapsed profile is out of matching until renewed; an owner never reminded of it is told.
    partners.db.update(Organisation, _uuid(hordaland["id"]), expires_at=ago(1), renewal_reminded_for=None)
    wait_until(lambda: len(partners.db.events("partners.profile_renewal_due")) == 2, message="the lapsed reminder")
    request = created(partners.post("/requests", request_body(), token=partners.kaunas))
    assert [c["name"] for c in request["proposal"]] == ["Reykjavík City"]
    ranking = partners.get(f"/requests/{request['id']}/ranking").body
    assert [(e["name"], e["reasons"]) for e in ranking["excluded"]] == [("Hordaland county council",
                                                                          ["profile_expired"])]
    assert partners.get("/organisations").body[0]["name"] == "Reykjavík City"  # expired hidden by default
    assert len(partners.get("/organisations?include_expired=true").body) == 2
    assert partners.post(f"/organisations/{hordaland['id']}/renewal", None).body["expired"] is False
    again = partners.post(f"/requests/{request['id']}/proposals", None, token=partners.kaunas).body
    assert [c["name"] for c in again["proposal"]] == ["Hordaland county council", "Reykjavík City"]


ONA = "ona.petraitiene@krs.lt"


def test_an_erased_person_leaves_no_personal_field_and_the_counts_stay(partners, embedded):
    from shared.auth import issue_token

    ona_token = issue_token(embedded.settings.auth_secret, subject=ONA, role="municipality:16")
    partners.profile(KAUNAS_PROFILE, token=ona_token)  # Ona is the profile's contact person
    hordaland = partners.profile(HORDALAND)
    request = created(partners.post("/requests", request_body(), token=ona_token))  # and the requester
    introduction = created(partners.post(
        f"/requests/{request['id']}/introductions",
        {"organisation_id": hordaland["id"], "message": f"Write to Ona Petraitienė at {ONA.upper()}"},
        token=ona_token))
    partnership_id = partners.post(f"/introductions/{introduction['id']}/answers",
                                   {"side": "candidate", "answer": "accepted"}).body["partnership_id"]
    visit = {"direction": "to_partner", "starts_on": date.today().isoformat(), "ends_on": date.today().isoformat(),
             "place": "Bergen", "country": "NO",
             "participants": [{"name": "Ona Petraitienė", "email": ONA, "organisation": "Kauno r. sav.",
                               "role": "vyr. specialistė"},
                              {"name": "Jonas Jonaitis", "email": "jonas@krs.lt"}]}
    created(partners.post(f"/partnerships/{partnership_id}/visits", visit))
    assert ONA in partners.db.everything() and "petraitien" in partners.db.everything()
    # her link to the request's choice page (the proposal e-mail) opens it until she is erased
    choose_url = partners.db.events("partners.matches_proposed")[-1]["data"]["choose_url"]
    assert http("GET", f"{partners.base}/partners/choices?key={key_of(choose_url)}").status == 200

    done = run_cli("--data-dir", str(embedded.settings.data_dir), "privacy", "erase", ONA.title(),
                   "--requested-by", "dpo")
    assert done.returncode == 0, done.stderr
    erased = wait_until(lambda: partners.db.events("partners.person_erased"), message="partners.person_erased")
    assert erased[0]["data"]["removed"] == {
        "authored_records": 2, "choice_links": 1, "introduction_messages": 1, "partnership_contacts": 1, "profile_contacts": 1,
        "request_contacts": 1, "stored_events": 3, "visit_participants": 1}

    everything = partners.db.everything()
    assert ONA not in everything and "petraitien" not in everything
    assert "vyr. specialist" not in everything  # the participant's role went with her
    assert "jonas@krs.lt" in everything  # nobody else was touched
    assert http("GET", f"{partners.base}/partners/choices?key={key_of(choose_url)}").status == 404  # revoked
    # anonymous counts stay for the report
    report = partners.get("/reports/partnerships").body
    assert report["partnerships"] == 1 and report["visits"]["participants"] == 2
    partnership = partners.get(f"/partnerships/{partnership_id}").body
    assert partnership["requester"] is None and partnership["partner_contact"]["name"] == "Kari Nordmann"


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)
