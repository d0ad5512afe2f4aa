"""Issue 17: the requester's choice page by key (services/partners/usecases/choices.py) — the rules
of its link and what picking a candidate or proposing again does, on the use cases with a real
(SQLite) database; the routes and the page are in test_choice_page.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services.partners.domain.rules import (
    answer_link_expiry,
    choice_link_due,
    choice_link_expiry,
    refuse_excluded,
)
from services.partners.models import AccessKey, Introduction, PartnerRequest
from services.partners.repository import key_hash
from services.partners.schemas import ChoiceIntroductionIn, KeyIn
from services.partners.usecases import choices, erasure, introductions, partner_requests, scheduled
from shared.errors import Conflict, NotFound
from shared.events.privacy import ErasureRequested
from tests.partners.helpers import CONSULTANT, HORDALAND, REYKJAVIK, key_of
from tests.partners.test_usecases import (  # noqa: F401 (fixtures)
    KAUNAS_DISTRICT,
    PUBLIC_URL,
    both_accept,
    db,
    introduce,
    migrated,
    open_request,
    profile,
)


# ---------------------------------------------------------------- domain rules

def test_a_choice_link_works_until_the_end_of_the_deadline_day():
    deadline = date(2027, 3, 31)
    assert choice_link_expiry(deadline) == datetime(2027, 4, 1, tzinfo=timezone.utc) == answer_link_expiry(deadline)
    assert choice_link_due(deadline=deadline, now=datetime(2027, 3, 31, 23, 59, tzinfo=timezone.utc))
    assert not choice_link_due(deadline=deadline, now=datetime(2027, 4, 1, tzinfo=timezone.utc))


def test_a_candidate_the_ranking_now_excludes_is_refused_as_a_conflict_naming_the_reason():
    refuse_excluded("Hordaland", ())  # nothing excludes it: no refusal
    with pytest.raises(Conflict) as refused:
        refuse_excluded("Hordaland", ("already_introduced", "full_capacity"))
    assert refused.value.code == "already_introduced" and refused.value.field == "organisation_id"
    assert "Hordaland" in str(refused.value) and "full_capacity" in str(refused.value)


# ---------------------------------------------------------------- use cases

def choice_key(db) -> str:
    return key_of(db.emitted("matches_proposed")[-1]["choose_url"])


def test_the_proposal_carries_the_requesters_link_and_the_page_lists_the_explained_ranking(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    request = open_request(db, requester=CONSULTANT)
    [proposed] = db.emitted("matches_proposed")
    assert proposed["choose_url"].startswith("https://savivalda.example.lt/partners/choices?key=")
    key = choice_key(db)
    with db.engine.connect() as connection:  # only the key's hash is stored, for the request
        stored = connection.execute(AccessKey.__table__.select()).all()
    row = next(r for r in stored if r.purpose == "partner_choice")
    assert row.key_hash == key_hash(key) and key not in str(stored) and row.subject_id == request.id
    assert row.side == "requester" and row.expires_at == choice_link_expiry(request.deadline)

    view = db(choices.view_by_key, db.profiles, KeyIn(key=key))
    assert view.side == "requester" and view.status == "open" and view.introductions == []
    assert [c.organisation_id for c in view.candidates] == [hordaland.id, reykjavik.id]
    assert view.candidates[0].components["theme_overlap"] > 0 and view.weights["theme_overlap"] == 35
    assert view.title.en == "Public-service quality in the regions" and view.municipality_name.lt
    assert db(choices.stored_language, key) == "lt"


def test_picking_a_candidate_is_the_requesters_acceptance_and_asks_only_the_candidate(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    request = open_request(db, requester=CONSULTANT)
    key = choice_key(db)
    introduced = db(choices.introduce_by_key, ChoiceIntroductionIn(key=key, organisation_id=hordaland.id),
                    public_url=PUBLIC_URL)
    assert introduced.requester_answer == "accepted" and introduced.status == "pending"
    [sent] = db.emitted("introduction_sent")
    assert sent["requester_answer"] == "accepted" and sent["requester_answer_url"] is None
    assert sent["candidate_answer_url"] and sent["candidate_contact"]["email"] == "kari.nordmann@hordaland.no"
    with db.engine.connect() as connection:
        created_by = connection.execute(Introduction.__table__.select()).one().created_by
    assert created_by == choices.BY_LINK  # nothing personal stored for who clicked

    view = db(choices.view_by_key, db.profiles, KeyIn(key=key))
    assert [c.organisation_id for c in view.candidates] == [reykjavik.id]
    assert [(i.organisation_name, i.status) for i in view.introductions] == [("Hordaland county council", "pending")]
    assert view.excluded_counts == {"already_introduced": 1}

    with pytest.raises(Conflict) as again:  # the same candidate twice (a second click, another tab)
        db(choices.introduce_by_key, ChoiceIntroductionIn(key=key, organisation_id=hordaland.id), public_url=PUBLIC_URL)
    assert again.value.code == "already_introduced"
    assert len(db.emitted("introduction_sent")) == 1 and request.status == "open"


def test_proposing_again_sends_a_new_proposal_with_a_fresh_link(db):
    profile(db, HORDALAND)
    request = open_request(db, requester=CONSULTANT)
    first = choice_key(db)
    profile(db, REYKJAVIK)  # a new profile since the first proposal
    again = db(choices.propose_by_key, db.profiles, KeyIn(key=first), public_url=PUBLIC_URL)
    assert again.id == request.id and [c.name for c in again.proposal] == ["Hordaland county council",
                                                                           "Reykjavík City"]
    assert len(db.emitted("matches_proposed")) == 2 and choice_key(db) != first
    db(choices.view_by_key, db.profiles, KeyIn(key=first))  # the first link keeps working


def test_no_link_without_a_requester_or_after_the_deadline_and_an_expired_key_opens_nothing(db):
    profile(db, HORDALAND)
    nobody = open_request(db, requester=None)
    assert db.emitted("matches_proposed")[-1]["choose_url"] is None  # no e-mail goes out, so no link

    request = open_request(db, requester=CONSULTANT, municipality_code="57")
    key = choice_key(db)
    db.change(AccessKey, key_hash(key), expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    with pytest.raises(NotFound):
        db(choices.view_by_key, db.profiles, KeyIn(key=key))
    with pytest.raises(NotFound):
        db(choices.propose_by_key, db.profiles, KeyIn(key=key), public_url=PUBLIC_URL)

    db.change(PartnerRequest, request.id, deadline=date.today() - timedelta(days=2))
    db(partner_requests.propose_again, db.profiles, request.id, public_url=PUBLIC_URL)
    assert db.emitted("matches_proposed")[-1]["choose_url"] is None  # nothing can be asked for any more
    assert nobody.requester is None


def test_a_lapsed_introduction_gives_the_coordinator_a_link_to_pick_another(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    request = open_request(db, requester=CONSULTANT)
    introduction = introduce(db, request.id, hordaland.id)
    db.change(Introduction, introduction.id, answer_by=date.today() - timedelta(days=1))
    db(scheduled.run_due, public_url=PUBLIC_URL)
    [expired] = db.emitted("introduction_expired")
    key = key_of(expired["choose_url"])
    view = db(choices.view_by_key, db.profiles, KeyIn(key=key))
    assert view.side == "coordinator" and db(choices.stored_language, key) is None
    assert [(i.organisation_name, i.status) for i in view.introductions] == [("Hordaland county council", "expired")]
    assert [c.organisation_id for c in view.candidates] == [reykjavik.id]
    with pytest.raises(Conflict):
        db(choices.introduce_by_key, ChoiceIntroductionIn(key=key, organisation_id=hordaland.id), public_url=PUBLIC_URL)
    picked = db(choices.introduce_by_key, ChoiceIntroductionIn(key=key, organisation_id=reykjavik.id),
                public_url=PUBLIC_URL)
    assert picked.organisation_id == reykjavik.id and picked.requester_answer == "accepted"


def test_a_lapsed_introduction_of_a_request_that_found_its_partner_carries_no_link(db):
    hordaland, reykjavik = profile(db, HORDALAND), profile(db, REYKJAVIK)
    request = open_request(db, requester=CONSULTANT)
    both_accept(db, introduce(db, request.id, hordaland.id).id)
    late = introduce(db, request.id, reykjavik.id, principal=KAUNAS_DISTRICT)
    db.change(Introduction, late.id, answer_by=date.today() - timedelta(days=1))
    db(scheduled.run_due, public_url=PUBLIC_URL)
    [expired] = db.emitted("introduction_expired")
    assert expired["choose_url"] is None
    assert db(introductions.get, late.id).status == "expired"


def test_erasing_the_requester_revokes_their_choice_links_not_the_coordinators(db):
    hordaland = profile(db, HORDALAND)
    request = open_request(db, requester=CONSULTANT)
    requester_key = choice_key(db)
    introduction = introduce(db, request.id, hordaland.id)
    db.change(Introduction, introduction.id, answer_by=date.today() - timedelta(days=1))
    db(scheduled.run_due, public_url=PUBLIC_URL)
    coordinator_key = key_of(db.emitted("introduction_expired")[-1]["choose_url"])

    removed = db(erasure.erase_person, ErasureRequested(request_id=introduction.id, email=CONSULTANT["email"].upper(),
                                                        requested_by="dpo"))
    assert removed["choice_links"] == 1 and removed["request_contacts"] == 1
    with pytest.raises(NotFound):
        db(choices.view_by_key, db.profiles, KeyIn(key=requester_key))
    assert db(choices.view_by_key, db.profiles, KeyIn(key=coordinator_key)).side == "coordinator"


# ---------------------------------------------------------------- two clicks at once, on PostgreSQL

def test_two_clicks_at_once_on_postgresql_make_one_introduction_and_one_refusal(pg_databases):
    """The first worker holds the request row (as introduce_by_key does) when the second asks for the
    same candidate: the second waits for the first's commit, then sees the introduction: 409."""
    import eventlet

    from services.partners.index import IndexedProfiles
    from services.partners.schemas import OrganisationIn, PartnerRequestIn
    from services.partners.usecases import organisations
    from shared.persistence.engines import engine_for
    from shared.persistence.unit_of_work import UnitOfWork
    from tests.partners.helpers import request_body
    from tests.partners.test_usecases import STAFF

    engine = engine_for(pg_databases["partners"])
    profiles = IndexedProfiles(engine)
    with UnitOfWork(engine, "partners", "setup") as uow:
        hordaland = organisations.register(uow, OrganisationIn.model_validate(HORDALAND), STAFF)
    with UnitOfWork(engine, "partners", "setup") as uow:
        partner_requests.create(uow, profiles, PartnerRequestIn.model_validate(request_body(requester=CONSULTANT)),
                                STAFF, public_url=PUBLIC_URL)
        [proposed] = [e.data for e in uow.emitted if e.type == "partners.matches_proposed"]
    click = ChoiceIntroductionIn(key=key_of(proposed["choose_url"]), organisation_id=hordaland.id)

    def second_click():
        with UnitOfWork(engine, "partners", "second") as uow:
            try:
                choices.introduce_by_key(uow, click, public_url=PUBLIC_URL)
            except Conflict as refused:
                return refused.code
            return "introduced"

    with UnitOfWork(engine, "partners", "first") as uow:
        choices.request_by_key(uow, click.key, lock=True)  # the first click has the request row
        second = eventlet.spawn(second_click)
        eventlet.sleep(1.0)  # the second click reaches the lock and waits there
        first = choices.introduce_by_key(uow, click, public_url=PUBLIC_URL)
    assert first.organisation_id == hordaland.id
    assert second.wait() == "already_introduced"
    with engine.connect() as connection:
        assert len(connection.execute(Introduction.__table__.select()).all()) == 1
    engine.dispose()
