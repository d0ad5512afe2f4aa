"""Introductions with a double opt-in: a candidate is introduced, both sides answer (in the API or
with the key from their e-mail's link), and when both accepted the partnership is established —
while the candidate has a free place (the capacity rule, under the profile row's lock)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.partners.domain import matching
from services.partners.domain.rules import (
    Answer,
    IntroductionStatus,
    Side,
    answer_by_date,
    answer_introduction,
    answer_link_expiry,
    check_answering_side,
    check_free_capacity,
    contacts_visible,
    new_introduction,
    place_taken,
)
from services.partners.models import Introduction, Organisation, Partnership, PartnerRequest
from services.partners.repository import PartnersRepository, introduction_state
from services.partners.schemas import AnswerIn, AnswerPreviewOut, IntroductionIn, IntroductionOut, KeyAnswerIn, KeyIn
from services.partners.usecases.partner_requests import choice_url, evaluate
from services.partners.views import (
    introduction_out,
    organisation_contact,
    partnership_partner,
    partnership_requester,
    requester_contact,
)
from shared.auth import Principal
from shared.errors import NotFound, RuleViolation
from shared.events.partners import (
    IntroductionAnswered,
    IntroductionDeclined,
    IntroductionSent,
    PartnershipEstablished,
)
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES

ANSWER_PURPOSE = "introduction_answer"


def introduce(uow: UnitOfWork, request_id: uuid.UUID, body: IntroductionIn, principal: Principal, *,
              public_url: str) -> IntroductionOut:
    """Introduce a candidate the hard rules do not exclude; both sides are asked
    (partners.introduction_sent). The municipality picking the candidate itself is its acceptance."""
    repository, now = PartnersRepository(uow.session), utcnow()
    partner_request = repository.partner_request(request_id, lock=True)
    organisation = repository.organisation(body.organisation_id)
    verdict = evaluate(uow, partner_request, organisation, now)
    if isinstance(verdict, matching.Exclusion):
        raise RuleViolation(f"{organisation.name} cannot be introduced for this request: "
                            f"{', '.join(verdict.reasons)}", field="organisation_id", code=verdict.reasons[0])
    introduction = open_introduction(uow, partner_request, organisation, answer_by=body.answer_by,
                                     message=body.message, picked_by_requester=principal.role == "municipality",
                                     created_by=principal.subject, now=now, public_url=public_url)
    uow.commit()
    return introduction_out(introduction, organisation, partner_request, None)


def open_introduction(uow: UnitOfWork, partner_request: PartnerRequest, organisation: Organisation, *,
                      answer_by: date | None, message: str | None, picked_by_requester: bool, created_by: str,
                      now: datetime, public_url: str, chosen_by_coordinator: bool = False) -> Introduction:
    """Add the introduction of a candidate the caller checked (request row locked) and ask the sides
    that still have to answer, each with its own link (partners.introduction_sent). The requesting
    side picking the candidate itself (its token, or its link to the choice page) is its acceptance."""
    repository = PartnersRepository(uow.session)
    answer_by = answer_by_date(answer_by, today=now.date(), deadline=partner_request.deadline)
    state = new_introduction(answer_by=answer_by, picked_by_requester=picked_by_requester)
    introduction = Introduction(
        id=uuid.uuid4(), request_id=partner_request.id, organisation_id=organisation.id,
        status=state.status.value, answer_by=answer_by, message=message, reminders_sent=0,
        last_contact_at=now, created_by=created_by, created_at=now,
        requester_answer=state.requester_answer.value if state.requester_answer else None,
        requester_answered_at=now if state.requester_answer else None,
    )
    repository.add(introduction)
    requester_url = None
    if partner_request.requester_email and not picked_by_requester:
        requester_url = answer_url(uow, introduction, Side.REQUESTER, now, public_url=public_url)
    candidate_url = answer_url(uow, introduction, Side.CANDIDATE, now, public_url=public_url) \
        if organisation.contact_email else None
    uow.emit(IntroductionSent(
        introduction_id=introduction.id, partner_request_id=partner_request.id,
        application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
        organisation_id=organisation.id, organisation_name=organisation.name, country=organisation.country,
        requester=requester_contact(partner_request), candidate_contact=organisation_contact(organisation),
        answer_by=answer_by, title=LocalizedText(**partner_request.title), requester_answer_url=requester_url,
        candidate_answer_url=candidate_url, requester_answer=introduction.requester_answer,
        chosen_by_coordinator=chosen_by_coordinator,
    ), subject=str(introduction.id))
    return introduction


def of_request(uow: UnitOfWork, request_id: uuid.UUID) -> list[IntroductionOut]:
    repository = PartnersRepository(uow.session)
    partner_request = repository.partner_request(request_id)
    return [introduction_out(i, repository.organisation(i.organisation_id), partner_request,
                             repository.partnership_of_introduction(i.id))
            for i in repository.introductions_of(request_id)]


def get(uow: UnitOfWork, introduction_id: uuid.UUID) -> IntroductionOut:
    repository = PartnersRepository(uow.session)
    introduction = repository.introduction(introduction_id)
    partner_request = repository.partner_request(introduction.request_id)
    return introduction_out(introduction, repository.organisation(introduction.organisation_id), partner_request,
                            repository.partnership_of_introduction(introduction.id))


def answer_as(uow: UnitOfWork, introduction_id: uuid.UUID, body: AnswerIn, principal: Principal, *,
              public_url: str | None = None) -> IntroductionOut:
    """One side's answer given in the API: staff for either side, the requesting municipality for itself."""
    repository = PartnersRepository(uow.session)
    introduction = repository.introduction(introduction_id, lock=True)
    partner_request = repository.partner_request(introduction.request_id)
    side = Side(body.side)
    check_answering_side(side, is_staff=principal.is_staff,
                         is_requesting_municipality=principal.municipality_code == partner_request.municipality_code)
    partnership = record_answer(uow, introduction, partner_request, side, Answer(body.answer), public_url=public_url)
    uow.commit()
    return introduction_out(introduction, repository.organisation(introduction.organisation_id), partner_request,
                            partnership)


def preview_by_key(uow: UnitOfWork, query: KeyIn) -> AnswerPreviewOut:
    """What the holder of an answer link is asked (no login; the key is the link's)."""
    repository = PartnersRepository(uow.session)
    key = repository.access_key(query.key, ANSWER_PURPOSE, utcnow())
    if key is None:
        raise NotFound("answer key", "given")
    return preview(uow, repository.introduction(key.subject_id), Side(key.side))


def answer_by_key(uow: UnitOfWork, body: KeyAnswerIn, *, public_url: str | None = None) -> AnswerPreviewOut:
    """Accept or decline with the key from the e-mail's link (no login)."""
    repository = PartnersRepository(uow.session)
    key = repository.access_key(body.key, ANSWER_PURPOSE, utcnow())
    if key is None:
        raise NotFound("answer key", "given")
    introduction = repository.introduction(key.subject_id, lock=True)
    partner_request = repository.partner_request(introduction.request_id)
    record_answer(uow, introduction, partner_request, Side(key.side), Answer(body.answer), public_url=public_url)
    uow.commit()
    return preview(uow, introduction, Side(key.side))


def answer_url(uow: UnitOfWork, introduction: Introduction, side: Side, now: datetime, *, public_url: str) -> str:
    """A fresh answer link for one side (only the key's hash is stored)."""
    key = PartnersRepository(uow.session).issue_key(ANSWER_PURPOSE, introduction.id, side.value, now,
                                                    answer_link_expiry(introduction.answer_by))
    return f"{public_url.rstrip('/')}/partners/answers?key={key}"


def record_answer(uow: UnitOfWork, introduction: Introduction, partner_request: PartnerRequest, side: Side,
                  answer: Answer, *, public_url: str | None = None) -> Partnership | None:
    """Apply one side's answer (domain: answer_introduction); both accepted: establish the
    partnership if the candidate has a free place. Returns the partnership, if there is one.
    With `public_url`, a candidate's refusal tells the requester where to pick another candidate."""
    repository, now = PartnersRepository(uow.session), utcnow()
    outcome = answer_introduction(introduction_state(introduction), side, answer, today=now.date())
    if not outcome.changed:  # the same answer again
        return repository.partnership_of_introduction(introduction.id)
    introduction.status = outcome.state.status.value
    if side is Side.REQUESTER:
        introduction.requester_answer, introduction.requester_answered_at = answer.value, now
    else:
        introduction.candidate_answer, introduction.candidate_answered_at = answer.value, now
    # The capacity rule holds under concurrent acceptances: the profile row is locked.
    organisation = repository.organisation(introduction.organisation_id, lock=outcome.establishes)
    partnership = None
    if outcome.establishes:
        check_free_capacity(name=organisation.name, capacity=organisation.capacity,
                            active_partnerships=organisation.active_partnerships)
        organisation.active_partnerships, organisation.partnerships_total = place_taken(
            active_partnerships=organisation.active_partnerships,
            partnerships_total=organisation.partnerships_total)
        repository.touch(organisation, now)
        partnership = Partnership(
            id=uuid.uuid4(), request_id=partner_request.id, introduction_id=introduction.id,
            organisation_id=organisation.id, municipality_code=partner_request.municipality_code,
            application_id=partner_request.application_id, country=organisation.country,
            themes=partner_request.themes, status="active", established_at=now,
            requester_name=partner_request.requester_name, requester_email=partner_request.requester_email,
            requester_language=partner_request.requester_language,
            partner_contact_name=organisation.contact_name, partner_contact_email=organisation.contact_email,
            partner_contact_language=organisation.contact_language,
        )
        repository.add(partnership)
        partner_request.status = "partnered"
    uow.emit(IntroductionAnswered(
        introduction_id=introduction.id, partner_request_id=partner_request.id,
        application_id=partner_request.application_id, organisation_id=organisation.id, side=side.value,
        answer=answer.value, both_accepted=partnership is not None,
        municipality_code=partner_request.municipality_code, organisation_name=organisation.name,
    ), subject=str(introduction.id))
    if answer is Answer.DECLINED:
        uow.emit(IntroductionDeclined(
            introduction_id=introduction.id, partner_request_id=partner_request.id,
            application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
            organisation_id=organisation.id, organisation_name=organisation.name, country=organisation.country,
            title=LocalizedText(**partner_request.title), declined_by=side.value,
            requester=requester_contact(partner_request) if side is Side.CANDIDATE else None,
            choose_url=choice_url(uow, partner_request, "requester", now, public_url=public_url)
            if public_url and side is Side.CANDIDATE and partner_request.requester_email
            and partner_request.status == "open" else None,
        ), subject=str(introduction.id))
    if partnership is not None:
        uow.emit(PartnershipEstablished(
            partnership_id=partnership.id, partner_request_id=partner_request.id,
            application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
            organisation_id=organisation.id, organisation_name=organisation.name, country=organisation.country,
            requester=partnership_requester(partnership), candidate_contact=partnership_partner(partnership),
            established_at=now, title=LocalizedText(**partner_request.title), themes=partner_request.themes,
        ), subject=str(partnership.id))
    return partnership


def preview(uow: UnitOfWork, introduction: Introduction, side: Side) -> AnswerPreviewOut:
    """The introduction as one side sees it: the other side's contact once both accepted."""
    repository = PartnersRepository(uow.session)
    partner_request = repository.partner_request(introduction.request_id)
    organisation = repository.organisation(introduction.organisation_id)
    partnership = repository.partnership_of_introduction(introduction.id)
    other = None
    if partnership is not None and contacts_visible(IntroductionStatus(introduction.status)):
        other = partnership_partner(partnership) if side is Side.REQUESTER else partnership_requester(partnership)
    municipality = MUNICIPALITIES[partner_request.municipality_code]
    return AnswerPreviewOut(
        introduction_id=introduction.id, side=side.value, status=introduction.status,
        your_answer=introduction.requester_answer if side is Side.REQUESTER else introduction.candidate_answer,
        answer_by=introduction.answer_by, title=LocalizedText(**partner_request.title),
        themes=partner_request.themes, municipality_code=partner_request.municipality_code,
        municipality_name=LocalizedText(lt=municipality.name_lt, en=municipality.name_en),
        organisation_name=organisation.name, organisation_country=organisation.country,
        message=introduction.message, other_side_contact=other,
    )
