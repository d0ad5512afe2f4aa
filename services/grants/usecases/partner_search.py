"""The search for an application's foreign partner, which the partners service runs: grants asks for
one (grants.partner_requested) and shows what comes back on the application — proposed candidates,
introductions and answers, the established partnership. The event use cases do not commit: the
@subscribe wrapper commits their effect with the inbox row."""

from __future__ import annotations

import logging
import uuid

from services.grants.domain.partners import (
    answered_status,
    candidate_rank,
    keeps_established,
    partner_status_after_proposal,
)
from services.grants.models import Application, FundingCall, PartnerCandidate
from services.grants.usecases import repository
from services.grants.views import consultant_of
from shared.events.grants import PartnerRequested
from shared.events.partners import IntroductionAnswered, IntroductionSent, MatchesProposed, PartnershipEstablished
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


def request_partner(uow: UnitOfWork, application: Application, call: FundingCall, *,
                    reason: str = "application_created") -> None:
    """grants.partner_requested: the partners service proposes organisations of the call's countries
    and types for the application's themes. Sent again (reason consultant_assigned) when a
    consultant is assigned while the search is open: partners then answers to them."""
    uow.emit(PartnerRequested(
        application_id=application.id, call_id=call.id, call_code=call.code,
        municipality_code=application.municipality_code, application_title=LocalizedText(**application.title),
        themes=application.themes, countries=call.partner_countries,
        organisation_types=call.partner_organisation_types, deadline=application.internal_deadline,
        consultant=consultant_of(application), reason=reason), subject=str(application.id))


def partner_search_open(partner_status: str) -> bool:
    """The partners service is still looking (requested, or candidates proposed): not established,
    not needed, not the municipality's own partner."""
    return partner_status in ("requested", "proposed")


def matches_proposed(uow: UnitOfWork, event: MatchesProposed) -> None:
    """Show the proposed partners on the application. A new proposal for the same partner request
    replaces that request's candidates not yet introduced; introduced ones stay."""
    repo = repository(uow)
    application = repo.find_application(event.application_id)
    if application is None:
        log.info("matches for an unknown application ignored", extra={"application_id": str(event.application_id)})
        return
    now = utcnow()
    repo.drop_unintroduced_candidates(application.id, event.partner_request_id,
                                      keep={c.organisation_id for c in event.candidates})
    for position, candidate in enumerate(event.candidates, start=1):
        row = repo.candidate(application.id, candidate.organisation_id)
        if row is None:
            row = PartnerCandidate(id=uuid.uuid4(), application_id=application.id,
                                   organisation_id=candidate.organisation_id)
            repo.session.add(row)
        row.partner_request_id, row.name, row.country = event.partner_request_id, candidate.name, candidate.country
        row.organisation_type, row.score = candidate.organisation_type, candidate.score
        row.rank = candidate_rank(candidate.rank, position)
        row.components, row.proposed_at = dict(candidate.components), now
    application.partner_request_id = event.partner_request_id
    application.partner_status = partner_status_after_proposal(application.partner_status, bool(event.candidates))
    application.updated_at = now


def introduction_sent(uow: UnitOfWork, event: IntroductionSent) -> None:
    mark_candidate(uow, event.application_id, event.organisation_id, "introduced", event.introduction_id,
                   name=event.organisation_name, country=event.country, partner_request_id=event.partner_request_id)


def introduction_answered(uow: UnitOfWork, event: IntroductionAnswered) -> None:
    status = answered_status(event.answer, both_accepted=event.both_accepted, side=event.side)
    mark_candidate(uow, event.application_id, event.organisation_id, status, event.introduction_id)


def partnership_established(uow: UnitOfWork, event: PartnershipEstablished) -> None:
    """The partner requirement is met: the application shows the partner and may be submitted."""
    application = repository(uow).find_application(event.application_id)
    if application is None:
        return
    application.partner_status = "established"
    application.partnership_id, application.partner_request_id = event.partnership_id, event.partner_request_id
    application.partner_organisation_id = event.organisation_id
    application.partner_name, application.partner_country = event.organisation_name, event.country
    application.partner_established_at = event.established_at
    if event.candidate_contact is not None:
        application.partner_contact_name = event.candidate_contact.name
        application.partner_contact_email = event.candidate_contact.email
    application.updated_at = utcnow()
    mark_candidate(uow, event.application_id, event.organisation_id, "established", None,
                   name=event.organisation_name, country=event.country, partner_request_id=event.partner_request_id)


def mark_candidate(uow: UnitOfWork, application_id, organisation_id, status: str, introduction_id, *, name=None,
                   country=None, partner_request_id=None) -> None:
    repo = repository(uow)
    application = repo.find_application(application_id)
    if application is None:
        return
    row = repo.candidate(application.id, organisation_id)
    if row is None:
        if name is None:
            return  # an answer about an organisation we never heard of: nothing to show
        # Introduced or agreed outside the proposals (e.g. a partner the consultant knew).
        row = PartnerCandidate(id=uuid.uuid4(), application_id=application.id, organisation_id=organisation_id,
                               partner_request_id=partner_request_id, name=name, country=country,
                               organisation_type="unknown", rank=len(repo.candidates(application.id)) + 1,
                               score=0.0, components={}, proposed_at=utcnow())
        repo.session.add(row)
    if keeps_established(row.introduction_status, status):
        return
    row.introduction_status = status
    if introduction_id is not None:
        row.introduction_id = introduction_id
    application.updated_at = utcnow()
