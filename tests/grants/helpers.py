"""Builders and observers the grants tests share (embedded and distributed)."""

from __future__ import annotations

import json
from datetime import timedelta

from services.grants.usecases import local_today
from tests.support import http

TODAY = local_today


def day(offset: int) -> str:
    return (local_today() + timedelta(days=offset)).isoformat()


def call_body(code: str = "LT-NO-2027-01", **changes) -> dict:
    """A Norway Grants-like call: municipalities of Kaunas and Alytus counties, 85 % rate, a
    Norwegian partner required, three required documents."""
    body = {
        "code": code, "funder": "Norway Grants",
        "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity-building of municipalities"},
        "summary": {"lt": "Dvišaliai projektai su Norvegijos partneriais.", "en": "Bilateral projects with Norwegian partners."},
        "themes": ["public_service_quality", "anti_corruption", "international_cooperation"],
        "eligible_applicant_types": ["municipality", "municipal_institution"],
        "eligible_regions": ["KU", "AL"],
        "opens_on": day(-10), "closes_on": day(60),
        "min_grant_eur": "20000", "max_grant_eur": "200000", "max_funding_rate": "0.85",
        "required_documents": [
            {"code": "application_form", "title": {"lt": "Paraiškos forma", "en": "Application form"}},
            {"code": "budget", "title": {"lt": "Biudžetas", "en": "Budget"}},
            {"code": "partnership_letter", "title": {"lt": "Partnerystės raštas", "en": "Letter of partnership"}},
        ],
        "foreign_partner_required": True, "partner_countries": ["NO"],
        "partner_organisation_types": ["county_council", "municipality", "research_institute"],
        "status": "open",
    }
    body.update(changes)
    return body


def application_body(call_id: str, **changes) -> dict:
    body = {
        "call_id": call_id, "municipality_code": "15",
        "title": {"lt": "Skaidrios viešosios paslaugos Kaune", "en": "Transparent public services in Kaunas"},
        "themes": ["public_service_quality", "anti_corruption"],
        "budget": {"total_eligible_cost_eur": "100000", "requested_grant_eur": "85000"},
        "contact": {"name": "Rūta Petraitienė", "email": "ruta.petraitiene@kaunas.lt", "language": "lt"},
        "consultant": {"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt", "language": "en"},
    }
    body.update(changes)
    return body


def create(system, path: str, body: dict, token: str | None = None) -> dict:
    reply = http("POST", f"{system.base_url}{path}", body, token=token or system.token())
    assert reply.status == 201, reply.body
    return reply.body


def get(system, path: str, token: str | None = None):
    reply = http("GET", f"{system.base_url}{path}", token=token or system.token())
    assert reply.status == 200, reply.body
    return reply.body


def move(system, application_id: str, to: str, token: str | None = None, **extra):
    return http("POST", f"{system.base_url}/grants/applications/{application_id}/transitions", {"to": to, **extra},
                token=token or system.token())


def make_ready(system, application: dict, token: str | None = None) -> None:
    for item in application["checklist"]:
        reply = http("PUT", f"{system.base_url}/grants/applications/{application['id']}/checklist/{item['code']}",
                     {"status": "ready"}, token=token or system.token())
        assert reply.status == 200, reply.body


def outbox_events(database_url: str, event_type: str | None = None) -> list[dict]:
    """Envelopes grants recorded in its outbox (what it published or will publish), oldest first."""
    from sqlalchemy import select

    from shared.persistence.engines import engine_for
    from shared.persistence.schema import OUTBOX
    from shared.persistence.unit_of_work import UnitOfWork

    with UnitOfWork(engine_for(database_url), "grants", "test") as uow:
        query = select(OUTBOX.c.body).order_by(OUTBOX.c.id)
        if event_type:
            query = query.where(OUTBOX.c.event_type == event_type)
        return [json.loads(body) for body in uow.session.scalars(query)]


def unpublished(database_url: str) -> int:
    from sqlalchemy import func, select

    from shared.persistence.engines import engine_for
    from shared.persistence.schema import OUTBOX
    from shared.persistence.unit_of_work import UnitOfWork

    with UnitOfWork(engine_for(database_url), "grants", "test") as uow:
        return uow.session.execute(select(func.count()).where(OUTBOX.c.published_at.is_(None))).scalar_one()
