"""Grants' handlers of partners' events serialise on the application row (SELECT ... FOR UPDATE in
repository.find_application): a late introduction_answered handled while partnership_established
is being applied waits for it, and then does not undo the established partnership."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import eventlet

from services.grants.usecases import applications, partner_search
from shared.events.partners import IntroductionAnswered, MatchesProposed, PartnershipEstablished
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.test_usecases import NORWAY, new_application, new_call, work


def test_a_late_answer_handled_during_the_partnership_waits_and_keeps_it(pg_databases):
    url = pg_databases["grants"]
    engine = engine_for(url)
    call = new_call(url)
    app_id = new_application(url, call.id).id
    request_id = uuid.uuid4()
    with work(url) as uow:
        partner_search.matches_proposed(uow, MatchesProposed(
            partner_request_id=request_id, application_id=app_id, municipality_code="15",
            candidates=[dict(organisation_id=NORWAY, name="Viken fylkeskommune", country="NO",
                             organisation_type="county_council", score=0.9, components={})]))
        uow.commit()
    finished = []

    def late_answer():
        with UnitOfWork(engine, "grants", "late") as uow:
            partner_search.introduction_answered(uow, IntroductionAnswered(
                introduction_id=uuid.uuid4(), partner_request_id=request_id, application_id=app_id,
                organisation_id=NORWAY, side="requester", answer="declined", both_accepted=False))
            uow.commit()
        finished.append(True)

    with UnitOfWork(engine, "grants", "established") as uow:
        partner_search.partnership_established(uow, PartnershipEstablished(
            partnership_id=uuid.uuid4(), partner_request_id=request_id, application_id=app_id,
            municipality_code="15", organisation_id=NORWAY, organisation_name="Viken fylkeskommune", country="NO",
            established_at=datetime.now(timezone.utc)))
        uow.session.flush()
        answer = eventlet.spawn(late_answer)
        eventlet.sleep(1.0)
        assert not finished, "the late answer did not wait for the partnership being applied"
        uow.commit()
    answer.wait()
    with work(url) as uow:
        shown = applications.get_application(uow, app_id)
    assert shown.partner.status == "established"
    assert shown.partner.candidates[0].introduction_status == "established"
