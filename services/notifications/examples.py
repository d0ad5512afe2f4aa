"""An example event for every template: the preview endpoint renders them, and a test renders
every template in both languages with them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from shared.events.enrollment import EnrollmentConfirmed, EnrollmentWaitlisted
from shared.events.grants import CallPublished, PartnerRequested
from shared.events.partners import Candidate, IntroductionSent, MatchesProposed, PartnershipEstablished
from shared.events.types import Contact, LocalizedText, Person

_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _soon(days: int) -> datetime:
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)


def _course() -> LocalizedText:
    return LocalizedText(lt="Strateginis planavimas savivaldybėje", en="Strategic planning in a municipality")


def _person() -> Person:
    return Person(name="Rūta Petrauskienė", email="ruta.petrauskiene@example.lt", municipality_code="15",
                  position="vyriausioji specialistė", language="lt")


def _consultant() -> Contact:
    return Contact(name="Tomas Kazlauskas", email="tomas.kazlauskas@example.lt", language="lt",
                   organisation="LSA mokymo ir konsultavimo centras")


def _norway() -> Contact:
    return Contact(name="Ingrid Haugen", email="ingrid.haugen@example.no", language="en",
                   organisation="Vestland fylkeskommune")


def example_event(template: str):
    if template == "enrollment_confirmed":
        return EnrollmentConfirmed(enrollment_id=_ID, session_id=_ID, course_id=_ID, course_title=_course(),
                                   starts_at=_soon(12), ends_at=_soon(12) + timedelta(hours=6),
                                   venue="Kaunas, Laisvės al. 96", fee_eur=Decimal("15.00"), participant=_person())
    if template == "enrollment_waitlisted":
        return EnrollmentWaitlisted(enrollment_id=_ID, session_id=_ID, course_id=_ID, course_title=_course(),
                                    starts_at=_soon(12), position=3, participant=_person())
    if template == "call_published":
        return CallPublished(call_id=_ID, code="LT10-2027-01", funder="EEA and Norway Grants",
                             title=LocalizedText(lt="Savivaldybių gebėjimų stiprinimas",
                                                 en="Capacity building of municipalities"),
                             themes=["public_service_quality", "international_cooperation"],
                             eligible_applicant_types=["municipality"], eligible_regions=[],
                             opens_on=date.today(), closes_on=date.today() + timedelta(days=45),
                             max_grant_eur=Decimal("250000"), max_funding_rate=Decimal("0.85"),
                             foreign_partner_required=True, partner_countries=["NO", "IS", "LI"], status="open")
    if template == "partner_requested":
        return PartnerRequested(application_id=_ID, call_id=_ID, call_code="LT10-2027-01", municipality_code="15",
                                application_title=LocalizedText(lt="Viešųjų paslaugų kokybė",
                                                                en="Quality of public services"),
                                themes=["public_service_quality"], countries=["NO"], deadline=date.today() + timedelta(days=30),
                                consultant=_consultant())
    if template == "matches_proposed":
        return MatchesProposed(partner_request_id=_ID, application_id=_ID, municipality_code="15", requester=_consultant(),
                               candidates=[Candidate(organisation_id=_ID, name="Vestland fylkeskommune", country="NO",
                                                     organisation_type="county_council", score=0.82,
                                                     components={"theme_overlap": 0.4, "shared_language": 0.2}),
                                           Candidate(organisation_id=uuid.uuid4(), name="Western Norway Research Institute",
                                                     country="NO", organisation_type="research_institute", score=0.74,
                                                     components={"theme_overlap": 0.35})])
    if template == "introduction_sent":
        return IntroductionSent(introduction_id=_ID, partner_request_id=_ID, application_id=_ID, municipality_code="15",
                                organisation_id=_ID, organisation_name="Vestland fylkeskommune", country="NO",
                                requester=_consultant(), candidate_contact=_norway(),
                                answer_by=date.today() + timedelta(days=7))
    if template == "partnership_established":
        return PartnershipEstablished(partnership_id=_ID, partner_request_id=_ID, application_id=_ID,
                                      municipality_code="15", organisation_id=_ID,
                                      organisation_name="Vestland fylkeskommune", country="NO", requester=_consultant(),
                                      candidate_contact=_norway(), established_at=datetime.now(timezone.utc))
    raise KeyError(template)


def example_digest_items() -> list[dict]:
    return [{"subject": "Naujas kvietimas: Savivaldybių gebėjimų stiprinimas",
             "text": "EEA and Norway Grants paskelbė kvietimą.\n"},
            {"subject": "Registracija patvirtinta: Strateginis planavimas savivaldybėje",
             "text": "Jūsų registracija patvirtinta.\n"}]
