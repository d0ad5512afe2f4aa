"""How the partners service's records are shown: API bodies (services/partners/schemas.py) and the
contacts events carry. Who may see a contact is decided here (contacts_visible, own profile)."""

from __future__ import annotations

from services.partners.domain import matching
from services.partners.domain.rules import IntroductionStatus, contacts_visible, free_capacity
from services.partners.models import Introduction, Organisation, Partnership, PartnerRequest, Visit
from services.partners.schemas import (
    CandidateOut,
    IntroductionOut,
    LetterOut,
    OrganisationOut,
    PartnerRequestOut,
    PartnershipOut,
    VisitOut,
)
from shared.auth import Principal
from shared.events.types import Contact, LocalizedText
from shared.persistence.schema import utcnow
from shared.reference import MUNICIPALITIES


def requester_columns(contact: Contact | None) -> dict:
    if contact is None:
        return {"requester_name": None, "requester_email": None, "requester_language": "lt"}
    return {"requester_name": contact.name, "requester_email": contact.email, "requester_language": contact.language}


def requester_contact(partner_request: PartnerRequest) -> Contact | None:
    if not partner_request.requester_email:
        return None
    return Contact(name=partner_request.requester_name or partner_request.requester_email,
                   email=partner_request.requester_email, language=partner_request.requester_language,
                   organisation=MUNICIPALITIES[partner_request.municipality_code].name_lt)


def organisation_contact(organisation: Organisation) -> Contact | None:
    if not organisation.contact_email:
        return None
    return Contact(name=organisation.contact_name or organisation.name, email=organisation.contact_email,
                   language=organisation.contact_language, organisation=organisation.name)


def partnership_requester(partnership: Partnership) -> Contact | None:
    if not partnership.requester_email:
        return None
    return Contact(name=partnership.requester_name or partnership.requester_email, email=partnership.requester_email,
                   language=partnership.requester_language,
                   organisation=MUNICIPALITIES[partnership.municipality_code].name_lt)


def partnership_partner(partnership: Partnership) -> Contact | None:
    if not partnership.partner_contact_email:
        return None
    return Contact(name=partnership.partner_contact_name or partnership.partner_contact_email,
                   email=partnership.partner_contact_email, language=partnership.partner_contact_language)


def organisation_out(organisation: Organisation, principal: Principal | None) -> OrganisationOut:
    sees_contact = principal is not None and (
        principal.is_staff or (organisation.municipality_code is not None
                               and principal.municipality_code == organisation.municipality_code))
    values = {c.name: getattr(organisation, c.name) for c in Organisation.__table__.columns}
    if not sees_contact:
        values.update(contact_name=None, contact_email=None)
    now = utcnow()
    values.update(expired=organisation.expires_at <= now,
                  free_capacity=free_capacity(capacity=organisation.capacity,
                                              active_partnerships=organisation.active_partnerships))
    return OrganisationOut.model_validate(values)


def candidate_out(candidate: matching.Candidate) -> CandidateOut:
    profile = candidate.profile
    return CandidateOut(rank=candidate.rank, organisation_id=profile.id, name=profile.name, country=profile.country,
                        organisation_type=profile.organisation_type, score=candidate.score,
                        components=candidate.components)


def request_out(partner_request: PartnerRequest) -> PartnerRequestOut:
    return PartnerRequestOut(
        id=partner_request.id, municipality_code=partner_request.municipality_code,
        title=LocalizedText(**partner_request.title), themes=partner_request.themes,
        countries=partner_request.countries, organisation_types=partner_request.organisation_types,
        languages=partner_request.languages, preferred_size=partner_request.preferred_size,
        deadline=partner_request.deadline, requester=requester_contact(partner_request),
        application_id=partner_request.application_id, call_code=partner_request.call_code,
        status=partner_request.status, source=partner_request.source,
        proposal=[CandidateOut(**c) for c in partner_request.last_proposal or []],
        proposed_at=partner_request.proposed_at, created_at=partner_request.created_at,
    )


def introduction_out(introduction: Introduction, organisation: Organisation, partner_request: PartnerRequest,
                     partnership: Partnership | None) -> IntroductionOut:
    visible = partnership is not None and contacts_visible(IntroductionStatus(introduction.status))
    return IntroductionOut(
        id=introduction.id, request_id=introduction.request_id, organisation_id=organisation.id,
        organisation_name=organisation.name, country=organisation.country,
        municipality_code=partner_request.municipality_code, status=introduction.status,
        requester_answer=introduction.requester_answer, candidate_answer=introduction.candidate_answer,
        answer_by=introduction.answer_by, reminders_sent=introduction.reminders_sent, message=introduction.message,
        created_at=introduction.created_at, partnership_id=partnership.id if partnership else None,
        requester=partnership_requester(partnership) if visible else None,
        candidate_contact=partnership_partner(partnership) if visible else None,
    )


def partnership_out(partnership: Partnership, organisation: Organisation, letters, visits) -> PartnershipOut:
    return PartnershipOut(
        id=partnership.id, request_id=partnership.request_id, introduction_id=partnership.introduction_id,
        organisation_id=partnership.organisation_id, organisation_name=organisation.name,
        country=partnership.country, municipality_code=partnership.municipality_code,
        application_id=partnership.application_id, themes=partnership.themes, status=partnership.status,
        established_at=partnership.established_at, completed_at=partnership.completed_at,
        requester=partnership_requester(partnership), partner_contact=partnership_partner(partnership),
        letters_of_intent=[LetterOut.model_validate(letter, from_attributes=True) for letter in letters],
        visits=[visit_out(v) for v in visits],
    )


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(id=visit.id, partnership_id=visit.partnership_id, direction=visit.direction,
                    starts_on=visit.starts_on, ends_on=visit.ends_on, place=visit.place, country=visit.country,
                    purpose=visit.purpose, participants=visit.participants,
                    participants_count=visit.participants_count, created_at=visit.created_at)
