"""The grants service (catalogue of funding calls so far; applications come with its own issue)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.grants.domain.rules import CallTerms, check_call_terms, is_announced
from services.grants.models import FundingCall
from services.grants.schemas import CallIn, CallOut
from shared.database import Database
from shared.db import utcnow
from shared.errors import Conflict, NotFound
from shared.events.grants import CallPublished
from shared.events.types import LocalizedText
from shared.http import route
from shared.service import ServiceBase

ANYONE = ("staff", "operator", "municipality")


class GrantsService(ServiceBase):
    name = "grants"
    db = Database()

    @route("POST", "/grants/calls", roles=("staff",), body=CallIn, response=CallOut, status=201, errors=(409,))
    def create_call(self, request, body: CallIn, principal):
        """Add a funding call to the catalogue; open and forecast calls publish grants.call_published."""
        check_call_terms(CallTerms(
            opens_on=body.opens_on, closes_on=body.closes_on, min_grant_eur=body.min_grant_eur,
            max_grant_eur=body.max_grant_eur, max_funding_rate=body.max_funding_rate,
            foreign_partner_required=body.foreign_partner_required, partner_countries=body.partner_countries,
            status=body.status,
        ))
        call = FundingCall(id=uuid.uuid4(), created_at=utcnow(), **body.model_dump(mode="python", exclude={"title", "summary"}),
                           title=body.title.model_dump(), summary=body.summary and body.summary.model_dump())
        session = self.db.session
        session.add(call)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"a call with code {body.code} already exists", field="code", code="duplicate_code") from None
        if is_announced(call.status):
            self.db.emit(CallPublished(
                call_id=call.id, code=call.code, funder=call.funder, title=LocalizedText(**call.title),
                themes=call.themes, eligible_applicant_types=call.eligible_applicant_types,
                eligible_regions=call.eligible_regions, opens_on=call.opens_on, closes_on=call.closes_on,
                min_grant_eur=call.min_grant_eur, max_grant_eur=call.max_grant_eur,
                max_funding_rate=call.max_funding_rate, foreign_partner_required=call.foreign_partner_required,
                partner_countries=call.partner_countries, status=call.status,
            ), subject=str(call.id))
        self.db.commit()
        return 201, call_out(call)

    @route("GET", "/grants/calls", roles=ANYONE, response=list[CallOut])
    def list_calls(self, request, principal):
        """The call catalogue, soonest deadline first."""
        calls = self.db.session.scalars(select(FundingCall).order_by(FundingCall.closes_on, FundingCall.code))
        return [call_out(c) for c in calls]

    @route("GET", "/grants/calls/<uuid:call_id>", roles=ANYONE, response=CallOut, errors=(404,))
    def get_call(self, request, call_id, principal):
        """One call."""
        call = self.db.session.get(FundingCall, call_id)
        if call is None:
            raise NotFound("call", call_id)
        return call_out(call)


def call_out(call: FundingCall) -> CallOut:
    return CallOut.model_validate({c.name: getattr(call, c.name) for c in FundingCall.__table__.columns})
