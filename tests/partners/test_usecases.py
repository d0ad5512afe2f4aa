"""The partners use cases (services/partners/usecases) against a migrated SQLite database: no HTTP,
no nameko container, no broker. Each call gets its own unit of work, as a worker would; what a
use case emitted is read from that unit of work (the outbox rows it wrote)."""

from __future__ import annotations

import shutil
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.partners.index import IndexedProfiles
from services.partners.models import Introduction, Organisation
from services.partners.repository import PartnersRepository
from services.partners.schemas import (
    AnswerIn,
    IntroductionIn,
    KeyAnswerIn,
    KeyIn,
    LetterIn,
    OrganisationIn,
    OrganisationQuery,
    PartnerRequestIn,
    PartnershipQuery,
    RankingQuery,
    ReportQuery,
    RequestQuery,
    VisitIn,
)
from services.partners.usecases import (
    erasure,
    introductions,
    organisations,
    partner_requests,
    partnerships,
    reports,
    scheduled,
)
from shared import migrations
from shared.auth import Principal
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.envelope import new_envelope
from shared.events.grants import PartnerRequested
from shared.events.privacy import ErasureRequested
from shared.events.types import Contact, LocalizedText
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.partners.helpers import CONSULTANT, HORDALAND, KAUNAS_PROFILE, REYKJAVIK, SWEDISH, key_of, request_body

STAFF = Principal(subject="egle@lsa.lt", role="staff")
KAUNAS_DISTRICT = Principal(subject="ona.petraitiene@krs.lt", role="municipality", municipality_code="16")
VILNIUS = Principal(subject="someone@vilnius.lt", role="municipality", municipality_code="57")
PUBLIC_URL = "https://savivalda.example.lt/"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated partners database, copied for each test (migrating takes longer than copying)."""
    path = tmp_path_factory.mktemp("partners-template") / "partners.sqlite3"
    url = f"sqlite:///{path}"
    migrations.upgrade("partners", url)
    engine_for(url).dispose()  # closes the connections: WAL checkpointed into the file
    return path


class Db:
    """Runs use cases as workers do: a fresh unit of work per call; keeps what each emitted."""

    def __init__(self, url: str):
        self.engine = engine_for(url)
        self.profiles = IndexedProfiles(self.engine)
        self.events: list = []

    def __call__(self, use_case, *args, **kwargs):
        with UnitOfWork(self.engine, "partners", "test") as uow:
            result = use_case(uow, *args, **kwargs)
            uow.commit()  # what a subscription does after the handler; a no-op for use cases that committed
            self.events.extend(uow.emitted)
            return result

    def emitted(self, event_type: str) -> list[dict]:
        return [e.data for e in self.events if e.type == f"partners.{event_type}"]

    def change(self, model, row_id, **values) -> None:
        """Move a row as time would (e.g. a date into the past)."""
        with UnitOfWork(self.engine, "partners", "test") as uow:
            row = uow.session.get(model, row_id)
            for name, value in values.items():
                setattr(row, name, value)
            uow.commit()


@pytest.fixture
def db(migrated, tmp_path):
    path = tmp_path / "partners.sqlite3"
    shutil.copyfile(migrated, path)
    database = Db(f"sqlite:///{path}")
    yield database
    database.engine.dispose()


def profile(db, body, principal=STAFF):
    return db(organisations.register, OrganisationIn.model_validate(body), principal)


def open_request(db, principal=STAFF, **changes):
    return db(partner_requests.create, db.profiles, PartnerRequestIn.model_validate(request_body(**changes)),
              principal, public_url=PUBLIC_URL)


def introduce(db, request_id, organisation_id, principal=STAFF, **body):
    return db(introductions.introduce, request_id, IntroductionIn(organisation_id=organisation_id, **body), principal,
              public_url=PUBLIC_URL)


def both_accept(db, introduction_id):
    db(introductions.answer_as, introduction_id, AnswerIn(side="requester", answer="accepted"), STAFF)
    return db(introductions.answer_as, introduction_id, AnswerIn(side="candidate", answer="accepted"), STAFF)


# ---------------------------------------------------------------- organisation profiles

def test_a_profile_is_registered_for_a_year_and_its_contact_shown_to_staff_and_its_own_municipality(db):
    hordaland = profile(db, HORDALAND)
    assert hordaland.contact_email == "kari.nordmann@hordaland.no" and hordaland.free_capacity == 2
    assert timedelta(days=364) < hordaland.expires_at - datetime.now(timezone.utc) <= timedelta(days=365)
    assert [e["name"] for e in db.emitted("organisation_registered")] == ["Hordaland county council"]

    own = profile(db, KAUNAS_PROFILE, KAUNAS_DISTRICT)
    assert db(organisations.get, own.id, KAUNAS_DISTRICT).contact_email == "ona.petraitiene@krs.lt"
    assert db(organisations.get, own.id, VILNIUS).contact_email is None
    assert db(organisations.get, hordaland.id, KAUNAS_DISTRICT).contact_email is None
    with pytest.raises(Conflict) as duplicate:
        profile(db, KAUNAS_PROFILE)
    assert duplicate.value.code == "duplicate_profile"
    with pytest.raises(RuleViolation):
        profile(db, {**KAUNAS_PROFILE, "municipality_code": None, "name": "No code"})


def test_profiles_are_listed_filtered_and_changed_within_the_rules(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    profile(db, SWEDISH)
    found = db(organisations.find, OrganisationQuery(theme="social_services"), STAFF)
    assert [o.id for o in found] == [reykjavik.id]
    assert [o.country for o in db(organisations.find, OrganisationQuery(), VILNIUS)] == ["IS", "NO", "SE"]

    changed = db(organisations.update, hordaland.id, OrganisationIn.model_validate({**HORDALAND, "capacity": 1}),
                 STAFF)
    assert changed.capacity == 1 and changed.free_capacity == 1
    with pytest.raises(NotFound):
        db(organisations.get, uuid.uuid4(), STAFF)


def test_example_profiles_load_once(db):
    first = db(organisations.load_examples, STAFF)
    assert len(first) == 3 and len(db.emitted("organisation_registered")) == 3
    again = db(organisations.load_examples, STAFF)
    assert [o.id for o in again] == [o.id for o in first] and len(db.emitted("organisation_registered")) == 3


def test_a_profile_is_renewed_by_its_owner_or_with_the_reminders_key(db):
    hordaland = profile(db, HORDALAND)
    db.change(Organisation, hordaland.id, expires_at=datetime.now(timezone.utc) + timedelta(days=10))
    db(scheduled.remind_renewals, public_url=PUBLIC_URL)
    [reminder] = db.emitted("profile_renewal_due")
    assert reminder["renew_url"].startswith("https://savivalda.example.lt/partners/renewals?key=")
    key = KeyIn(key=key_of(reminder["renew_url"]))
    assert db(organisations.preview_renewal, key).name == "Hordaland county council"
    renewed = db(organisations.renew_by_key, key)
    assert renewed.expires_at - datetime.now(timezone.utc) > timedelta(days=364)
    db(scheduled.remind_renewals, public_url=PUBLIC_URL)
    assert len(db.emitted("profile_renewal_due")) == 1  # once per expiry date
    with pytest.raises(NotFound):
        db(organisations.renew_by_key, KeyIn(key="not-a-key-anyone-was-given"))
    assert db(organisations.renew, hordaland.id, STAFF).id == hordaland.id


# ---------------------------------------------------------------- requests and the explained ranking

def test_a_request_is_ranked_and_proposed_at_once_from_the_in_memory_index(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    swedish = profile(db, SWEDISH)
    request = open_request(db, KAUNAS_DISTRICT)
    assert [c.organisation_id for c in request.proposal] == [hordaland.id, reykjavik.id]
    [proposed] = db.emitted("matches_proposed")
    assert proposed["excluded"] == {"ineligible_country": 1} and proposed["requester"]["email"] == \
        "ona.petraitiene@krs.lt"

    ranking = db(partner_requests.ranking, db.profiles, request.id, RankingQuery())
    assert ranking.eligible == 2 and ranking.excluded_counts == {"ineligible_country": 1}
    verdict = db(partner_requests.explain, request.id, swedish.id)
    assert not verdict.eligible and verdict.reasons == ["ineligible_country"]
    assert db(partner_requests.explain, request.id, hordaland.id).eligible

    assert [r.id for r in db(partner_requests.find, RequestQuery(), "16")] == [request.id]
    assert db(partner_requests.find, RequestQuery(), "57") == []
    assert db(partner_requests.get, request.id).status == "open"
    with pytest.raises(RuleViolation):
        open_request(db, deadline=(date.today() - timedelta(days=1)).isoformat())


def test_grants_partner_requested_opens_one_request_per_application_and_updates_it(db):
    profile(db, HORDALAND)
    application_id = uuid.uuid4()
    event = PartnerRequested(
        application_id=application_id, call_id=uuid.uuid4(), call_code="LT-NO-2027-01", municipality_code="16",
        application_title=LocalizedText(lt="Skaidrumas", en="Transparency"), themes=["public_service_quality"],
        countries=["NO"], deadline=date.today() + timedelta(days=30), consultant=Contact(**CONSULTANT))
    envelope = new_envelope(event, source="savivalda/grants", correlation_id="test")
    first = db(partner_requests.open_for_application, db.profiles, event, envelope, public_url=PUBLIC_URL)
    again = db(partner_requests.open_for_application, db.profiles,
               event.model_copy(update={"themes": ["regional_development"]}), envelope, public_url=PUBLIC_URL)
    assert again.id == first.id and again.source == "grants" and again.themes == ["regional_development"]
    assert [len(p["candidates"]) for p in db.emitted("matches_proposed")] == [1, 1]


# ---------------------------------------------------------------- introductions (double opt-in)

def test_both_sides_accept_and_the_partnership_is_established_once(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db, requester=CONSULTANT)
    introduction = introduce(db, request.id, hordaland.id)
    [sent] = db.emitted("introduction_sent")
    assert sent["requester_answer_url"] and sent["candidate_answer_url"] and sent["requester_answer"] is None

    db(introductions.answer_as, introduction.id, AnswerIn(side="requester", answer="accepted"), STAFF)
    key = key_of(sent["candidate_answer_url"])
    preview = db(introductions.preview_by_key, KeyIn(key=key))
    assert preview.side == "candidate" and preview.other_side_contact is None
    answered = db(introductions.answer_by_key, KeyAnswerIn(key=key, answer="accepted"))
    assert answered.status == "established" and answered.other_side_contact.email == "rasa@lsa-centras.lt"
    assert db(introductions.answer_by_key, KeyAnswerIn(key=key, answer="accepted")).status == "established"
    with pytest.raises(Conflict):
        db(introductions.answer_by_key, KeyAnswerIn(key=key, answer="declined"))

    [established] = db.emitted("partnership_established")
    assert established["candidate_contact"]["email"] == "kari.nordmann@hordaland.no"
    assert len(db.emitted("introduction_answered")) == 2  # the repeated answer published nothing
    shown = db(introductions.get, introduction.id)
    assert str(shown.partnership_id) == str(established["partnership_id"]) and shown.candidate_contact is not None
    assert db(organisations.get, hordaland.id, STAFF).free_capacity == 1
    assert db(partner_requests.get, request.id).status == "partnered"
    assert [i.id for i in db(introductions.of_request, request.id)] == [introduction.id]


def test_the_municipality_picking_a_candidate_has_accepted_and_answers_only_for_itself(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db, KAUNAS_DISTRICT)
    introduction = introduce(db, request.id, hordaland.id, KAUNAS_DISTRICT)
    assert introduction.requester_answer == "accepted"
    assert db.emitted("introduction_sent")[0]["requester_answer_url"] is None
    from shared.errors import Forbidden

    with pytest.raises(Forbidden):
        db(introductions.answer_as, introduction.id, AnswerIn(side="candidate", answer="accepted"),
           KAUNAS_DISTRICT)
    with pytest.raises(RuleViolation) as excluded:
        introduce(db, request.id, hordaland.id)
    assert excluded.value.code == "already_introduced"


def test_the_capacity_rule_refuses_a_partnership_beyond_the_partners_capacity(db):
    western = profile(db, {**REYKJAVIK, "capacity": 1})
    first, second = open_request(db), open_request(db)
    one = introduce(db, first.id, western.id)
    other = introduce(db, second.id, western.id)
    db(introductions.answer_as, other.id, AnswerIn(side="requester", answer="accepted"), STAFF)
    both_accept(db, one.id)
    with pytest.raises(Conflict) as full:
        db(introductions.answer_as, other.id, AnswerIn(side="candidate", answer="accepted"), STAFF)
    assert full.value.code == "full_capacity"
    assert db(introductions.get, other.id).status == "pending"  # nothing of the refused answer stays
    assert len(db.emitted("partnership_established")) == 1


# ---------------------------------------------------------------- partnerships and the report

def test_letters_visits_completion_and_the_report(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db)
    both_accept(db, introduce(db, request.id, hordaland.id).id)
    [partnership] = db(partnerships.find, PartnershipQuery(request_id=request.id), None)
    assert db(partnerships.find, PartnershipQuery(), "57") == []

    today = date.today()
    letter = db(partnerships.record_letter, partnership.id,
                LetterIn(issued_by="partner", signed_on=today, reference="HFK-2026/17"))
    assert db.emitted("letter_of_intent_recorded")[0]["letter_id"] == str(letter.id)
    with pytest.raises(RuleViolation):
        db(partnerships.record_letter, partnership.id,
           LetterIn(issued_by="partner", signed_on=today - timedelta(days=400), reference="old"))
    db(partnerships.record_visit, partnership.id, VisitIn.model_validate({
        "direction": "to_partner", "starts_on": today.isoformat(), "ends_on": today.isoformat(), "place": "Bergen",
        "country": "NO", "participants": [{"name": "Ona", "email": "ona@krs.lt"}, {"name": "Jonas"}]}))
    shown = db(partnerships.get, partnership.id)
    assert len(shown.letters_of_intent) == 1 and shown.visits[0].participants_count == 2

    completed = db(partnerships.complete, partnership.id)
    assert completed.status == "completed" and db(organisations.get, hordaland.id, STAFF).free_capacity == 2
    with pytest.raises(Conflict):
        db(partnerships.complete, partnership.id)

    report = db(reports.partnerships, ReportQuery(year=today.year))
    assert report.partnerships == 1 and report.visits.to_partner == 1 and report.visits.participants == 2
    assert db(reports.partnerships, ReportQuery(year=today.year - 1)).partnerships == 0


# ---------------------------------------------------------------- the timer's jobs and erasure

def test_unanswered_sides_are_reminded_then_the_introduction_expires(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db, requester=CONSULTANT)
    introduction = introduce(db, request.id, hordaland.id)
    db(scheduled.run_due, public_url=PUBLIC_URL)
    assert db.emitted("introduction_reminder_due") == []

    db.change(Introduction, introduction.id, last_contact_at=datetime.now(timezone.utc) - timedelta(days=3.1))
    db(scheduled.run_due, public_url=PUBLIC_URL)
    assert sorted(r["side"] for r in db.emitted("introduction_reminder_due")) == ["candidate", "requester"]
    db(scheduled.run_due, public_url=PUBLIC_URL)
    assert len(db.emitted("introduction_reminder_due")) == 2

    db.change(Introduction, introduction.id, answer_by=date.today() - timedelta(days=1))
    db(scheduled.run_due, public_url=PUBLIC_URL)
    db(scheduled.run_due, public_url=PUBLIC_URL)
    [expired] = db.emitted("introduction_expired")
    assert expired["unanswered"] == ["requester", "candidate"]
    assert db(introductions.get, introduction.id).status == "expired"


def test_erasure_pseudonymises_the_person_everywhere_and_says_what_changed(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db, requester=CONSULTANT)
    both_accept(db, introduce(db, request.id, hordaland.id, message="ask kari.nordmann@hordaland.no").id)
    event = ErasureRequested(request_id=uuid.uuid4(), email="Kari.Nordmann@hordaland.no", requested_by="dpo")
    removed = db(erasure.erase_person, event)
    assert removed["profile_contacts"] == 1 and removed["partnership_contacts"] == 1
    assert removed["introduction_messages"] == 1 and removed["stored_events"] == 2
    assert db.emitted("person_erased")[0]["removed"] == removed
    assert db(organisations.get, hordaland.id, STAFF).contact_email is None
    with UnitOfWork(db.engine, "partners", "test") as uow:
        assert PartnersRepository(uow.session).erase_person("kari.nordmann@hordaland.no") == {}
