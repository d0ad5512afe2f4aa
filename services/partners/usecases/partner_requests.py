"""Partner requests and the explained ranking: requests from a municipality (or staff) and from
grants' partner_requested event, the live ranking, one organisation's verdict, proposals
(partners.matches_proposed). Ranking runs on the process's in-memory profile index
(services/partners/index.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from services.partners.domain import matching
from services.partners.domain.rules import (
    CHOICE_PURPOSE,
    PROPOSAL_SIZE,
    check_request,
    choice_link_due,
    choice_link_expiry,
)
from services.partners.index import IndexedProfiles
from services.partners.models import Organisation, PartnerRequest
from services.partners.repository import PartnersRepository, facts_from_row
from services.partners.schemas import (
    ExcludedOut,
    PartnerRequestIn,
    PartnerRequestOut,
    RankingOut,
    RankingQuery,
    RequestQuery,
    VerdictOut,
)
from services.partners.views import candidate_out, request_out, requester_columns, requester_contact
from shared.auth import Principal
from shared.errors import Conflict
from shared.events.envelope import Envelope
from shared.events.grants import PartnerRequested
from shared.events.partners import Candidate, MatchesProposed
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def create(uow: UnitOfWork, profiles: IndexedProfiles, body: PartnerRequestIn,
           principal: Principal, *, public_url: str) -> PartnerRequestOut:
    """A request for partners, ranked and proposed at once."""
    now = utcnow()
    check_request(deadline=body.deadline, today=now.date())
    partner_request = PartnerRequest(
        id=uuid.uuid4(), municipality_code=body.municipality_code, application_id=body.application_id,
        call_code=body.call_code, title=body.title.model_dump(), themes=body.themes, countries=body.countries,
        organisation_types=body.organisation_types, languages=body.languages, preferred_size=body.preferred_size,
        deadline=body.deadline, status="open", source="api", created_by=principal.subject, created_at=now,
        **requester_columns(body.requester),
    )
    repository = PartnersRepository(uow.session)
    if body.application_id is not None and repository.request_of_application(body.application_id) is not None:
        raise duplicate_request(body.application_id)
    try:
        with uow.session.begin_nested():  # unique application_id: a request created meanwhile wins
            repository.add(partner_request)
            uow.session.flush()
    except IntegrityError:
        raise duplicate_request(body.application_id) from None
    propose(uow, profiles, partner_request, now, public_url=public_url)
    uow.commit()
    return request_out(partner_request)


def open_for_application(uow: UnitOfWork, profiles: IndexedProfiles, event: PartnerRequested,
                         envelope: Envelope, *, public_url: str) -> PartnerRequest:
    """grants.partner_requested: open the application's request (or update the one it has) and
    propose candidates. The consultant answers for the municipality. The subscription commits."""
    now = utcnow()
    repository = PartnersRepository(uow.session)
    partner_request = repository.request_of_application(event.application_id)
    values = dict(
        municipality_code=event.municipality_code, call_id=event.call_id, call_code=event.call_code,
        title=event.application_title.model_dump(), themes=event.themes, countries=event.countries,
        organisation_types=event.organisation_types, languages=event.languages, deadline=event.deadline,
        **requester_columns(event.consultant),
    )
    created = None
    if partner_request is None:
        created = PartnerRequest(id=uuid.uuid4(), application_id=event.application_id, status="open",
                                 source="grants", created_by=envelope.source, created_at=now, **values)
        try:
            # Unique application_id: of two workers opening the application's request at once, the
            # second waits for the first's commit, then updates that request instead.
            with uow.session.begin_nested():
                repository.add(created)
                uow.session.flush()
            partner_request = created
        except IntegrityError:
            partner_request = repository.request_of_application(event.application_id)
    if partner_request is not created:
        for name, value in values.items():
            setattr(partner_request, name, value)
    propose(uow, profiles, partner_request, now, public_url=public_url)
    return partner_request


def duplicate_request(application_id) -> Conflict:
    return Conflict(f"application {application_id} already has a partner request", field="application_id",
                    code="duplicate_request")


def find(uow: UnitOfWork, query: RequestQuery, tenant: str | None) -> list[PartnerRequestOut]:
    """Newest first; `tenant` is the enforced municipality filter (None: every municipality)."""
    return [request_out(r) for r in PartnersRepository(uow.session).partner_requests(tenant, query.limit,
                                                                                     query.offset)]


def get(uow: UnitOfWork, request_id: uuid.UUID) -> PartnerRequestOut:
    return request_out(PartnersRepository(uow.session).partner_request(request_id))


def ranking(uow: UnitOfWork, profiles: IndexedProfiles, request_id: uuid.UUID, query: RankingQuery) -> RankingOut:
    """Every candidate's score in components, and the profiles a hard rule excludes, with the reasons."""
    partner_request = PartnersRepository(uow.session).partner_request(request_id)
    ranked = rank(uow, profiles, partner_request, utcnow(), limit=query.limit)
    return RankingOut(
        request_id=partner_request.id, weights=matching.WEIGHTS, considered=ranked.considered,
        eligible=ranked.eligible, candidates=[candidate_out(c) for c in ranked.candidates],
        excluded=[ExcludedOut(organisation_id=e.profile.id, name=e.profile.name, country=e.profile.country,
                              organisation_type=e.profile.organisation_type, reasons=list(e.reasons))
                  for e in ranked.excluded],
        excluded_counts=ranked.excluded_counts,
    )


def explain(uow: UnitOfWork, request_id: uuid.UUID, organisation_id: uuid.UUID) -> VerdictOut:
    """Why one organisation is (or is not) a candidate: its components, or every hard rule it breaks."""
    repository = PartnersRepository(uow.session)
    partner_request = repository.partner_request(request_id)
    verdict = evaluate(uow, partner_request, repository.organisation(organisation_id), utcnow())
    if isinstance(verdict, matching.Exclusion):
        return VerdictOut(organisation_id=organisation_id, name=verdict.profile.name, eligible=False, score=None,
                          components={}, reasons=list(verdict.reasons))
    return VerdictOut(organisation_id=organisation_id, name=verdict.profile.name, eligible=True,
                      score=verdict.score, components=verdict.components, reasons=[])


def propose_again(uow: UnitOfWork, profiles: IndexedProfiles, request_id: uuid.UUID, *,
                  public_url: str) -> PartnerRequestOut:
    """Rank again and propose; declined and already introduced candidates stay out."""
    partner_request = PartnersRepository(uow.session).partner_request(request_id, lock=True)
    propose(uow, profiles, partner_request, utcnow(), public_url=public_url)
    uow.commit()
    return request_out(partner_request)


def criteria(uow: UnitOfWork, partner_request: PartnerRequest) -> matching.MatchCriteria:
    """The request as matching sees it; the size wished is, by default, the municipality's own."""
    target = partner_request.preferred_size
    if target is None:
        own = PartnersRepository(uow.session).municipality_profile(partner_request.municipality_code)
        target = own.size if own is not None else None
    return matching.MatchCriteria(
        themes=frozenset(partner_request.themes), countries=frozenset(partner_request.countries),
        organisation_types=frozenset(partner_request.organisation_types),
        languages=frozenset(partner_request.languages), target_size=target,
        municipality_code=partner_request.municipality_code,
    )


def rank(uow: UnitOfWork, profiles: IndexedProfiles, partner_request: PartnerRequest, now: datetime, *,
         limit: int) -> matching.Ranking:
    previous = PartnersRepository(uow.session).previous_introductions(partner_request.id)
    return profiles.rank(criteria(uow, partner_request), now=now, previous=previous, limit=limit)


def evaluate(uow: UnitOfWork, partner_request: PartnerRequest, organisation: Organisation, now: datetime):
    """One organisation's matching.Candidate or matching.Exclusion for the request (from the database row)."""
    previous = PartnersRepository(uow.session).previous_introductions(partner_request.id)
    return matching.evaluate(criteria(uow, partner_request), facts_from_row(organisation), now=now,
                             previous=previous)


def propose(uow: UnitOfWork, profiles: IndexedProfiles, partner_request: PartnerRequest, now: datetime, *,
            public_url: str) -> None:
    """Keep the best PROPOSAL_SIZE candidates on the request and publish partners.matches_proposed,
    with the requester's link to the page where they pick a candidate (services/partners/pages.py)."""
    ranked = rank(uow, profiles, partner_request, now, limit=PROPOSAL_SIZE)
    candidates = [Candidate(organisation_id=c.profile.id, name=c.profile.name, country=c.profile.country,
                            organisation_type=c.profile.organisation_type, score=c.score,
                            components=c.components, rank=c.rank) for c in ranked.candidates]
    partner_request.last_proposal = [c.model_dump(mode="json") for c in candidates]
    partner_request.proposed_at = now
    uow.emit(MatchesProposed(
        partner_request_id=partner_request.id, application_id=partner_request.application_id,
        municipality_code=partner_request.municipality_code, candidates=candidates,
        requester=requester_contact(partner_request), title=LocalizedText(**partner_request.title),
        call_code=partner_request.call_code, excluded=ranked.excluded_counts,
        choose_url=choice_url(uow, partner_request, "requester", now, public_url=public_url)
        if partner_request.requester_email else None,
    ), subject=str(partner_request.id))


def choice_url(uow: UnitOfWork, partner_request: PartnerRequest, side: str, now: datetime, *,
               public_url: str) -> str | None:
    """A fresh link to the request's choice page for the requester ("requester") or the
    municipality's coordinator ("coordinator"); only the key's hash is stored. None once the
    request's deadline passed (nothing can be asked for then)."""
    if not choice_link_due(deadline=partner_request.deadline, now=now):
        return None
    key = PartnersRepository(uow.session).issue_key(CHOICE_PURPOSE, partner_request.id, side, now,
                                                    choice_link_expiry(partner_request.deadline))
    return f"{public_url.rstrip('/')}/partners/choices?key={key}"
