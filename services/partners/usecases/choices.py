"""The requester's choice page by key (issue 17): what the link in partners.matches_proposed (to
the requester) and partners.introduction_expired (to the municipality's coordinator) opens — the
request, the ranked and explained candidates, the introductions so far — and the two things done
there: ask for an introduction to a candidate (the requesting side's own pick, so its acceptance,
as when the municipality picks in the API) and propose again.

The link's key is an access key like the answer and renewal keys (PartnersRepository.issue_key:
only its SHA-256 is stored; purpose CHOICE_PURPOSE, subject the partner request, side who it was
sent to; it works until the end of the request's deadline day). Erasing the requester revokes the
requester's choice keys (PartnersRepository.erase_person)."""

from __future__ import annotations

from services.partners.domain import matching
from services.partners.domain.rules import CHOICE_PURPOSE, PROPOSAL_SIZE, refuse_excluded
from services.partners.index import IndexedProfiles
from services.partners.models import AccessKey, PartnerRequest
from services.partners.repository import PartnersRepository
from services.partners.schemas import (
    ChoiceIntroductionIn,
    ChoiceIntroductionOut,
    ChoiceOut,
    IntroductionOut,
    KeyIn,
    PartnerRequestOut,
)
from services.partners.usecases.introductions import open_introduction
from services.partners.usecases.partner_requests import evaluate, propose, rank
from services.partners.views import candidate_out, introduction_out, request_out
from shared.errors import NotFound
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES

# An introduction asked for on the choice page was created by the link, not by a token's subject
# (and never by an address: nothing personal is stored for it).
BY_LINK = "choice link"


def request_by_key(uow: UnitOfWork, key: str, *, lock: bool = False) -> tuple[AccessKey, PartnerRequest]:
    """The link's key and its request; 404 for a key unknown, of another purpose or expired."""
    repository = PartnersRepository(uow.session)
    access = repository.access_key(key, CHOICE_PURPOSE, utcnow())
    if access is None:
        raise NotFound("choice key", "given")
    return access, repository.partner_request(access.subject_id, lock=lock)


def view_by_key(uow: UnitOfWork, profiles: IndexedProfiles, query: KeyIn) -> ChoiceOut:
    """The request, its live ranking (the best PROPOSAL_SIZE, explained) and its introductions.
    Reading changes nothing (a mail scanner may fetch the link)."""
    access, partner_request = request_by_key(uow, query.key)
    repository = PartnersRepository(uow.session)
    ranked = rank(uow, profiles, partner_request, utcnow(), limit=PROPOSAL_SIZE)
    municipality = MUNICIPALITIES[partner_request.municipality_code]
    introductions = []
    for introduction in repository.introductions_of(partner_request.id):
        organisation = repository.organisation(introduction.organisation_id)
        introductions.append(ChoiceIntroductionOut(
            introduction_id=introduction.id, organisation_id=organisation.id, organisation_name=organisation.name,
            country=organisation.country, status=introduction.status,
            requester_answer=introduction.requester_answer, candidate_answer=introduction.candidate_answer,
            answer_by=introduction.answer_by))
    return ChoiceOut(
        request_id=partner_request.id, side=access.side or "requester", status=partner_request.status,
        title=LocalizedText(**partner_request.title), municipality_code=partner_request.municipality_code,
        municipality_name=LocalizedText(lt=municipality.name_lt, en=municipality.name_en),
        themes=partner_request.themes, countries=partner_request.countries,
        organisation_types=partner_request.organisation_types, languages=partner_request.languages,
        deadline=partner_request.deadline, call_code=partner_request.call_code, weights=matching.WEIGHTS,
        considered=ranked.considered, eligible=ranked.eligible,
        candidates=[candidate_out(c) for c in ranked.candidates], excluded_counts=ranked.excluded_counts,
        introductions=introductions,
    )


def stored_language(uow: UnitOfWork, key: str) -> str | None:
    """The language the link's holder chose: the requester's; a coordinator's is not known here."""
    access, partner_request = request_by_key(uow, key)
    return partner_request.requester_language if access.side == "requester" else None


def introduce_by_key(uow: UnitOfWork, body: ChoiceIntroductionIn, *, public_url: str) -> IntroductionOut:
    """Ask for an introduction to a candidate from the page: the requesting side's acceptance; the
    candidate is asked with its link (partners.introduction_sent). A candidate a hard rule excludes
    now (already introduced, declined, full, expired) is refused 409 with the reason; the request
    row's lock makes two clicks at once one introduction and one refusal."""
    repository, now = PartnersRepository(uow.session), utcnow()
    access, partner_request = request_by_key(uow, body.key, lock=True)
    organisation = repository.organisation(body.organisation_id)
    verdict = evaluate(uow, partner_request, organisation, now)
    if isinstance(verdict, matching.Exclusion):
        refuse_excluded(organisation.name, verdict.reasons)
    introduction = open_introduction(uow, partner_request, organisation, answer_by=None, message=None,
                                     picked_by_requester=True, created_by=BY_LINK, now=now, public_url=public_url,
                                     chosen_by_coordinator=access.side == "coordinator")
    uow.commit()
    return introduction_out(introduction, organisation, partner_request, None)


def propose_by_key(uow: UnitOfWork, profiles: IndexedProfiles, body: KeyIn, *, public_url: str) -> PartnerRequestOut:
    """Rank again and send the proposal (partners.matches_proposed, with a fresh link), as
    POST /partners/requests/{id}/proposals does."""
    _, partner_request = request_by_key(uow, body.key, lock=True)
    propose(uow, profiles, partner_request, utcnow(), public_url=public_url)
    uow.commit()
    return request_out(partner_request)
