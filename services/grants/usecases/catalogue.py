"""The funding catalogue: programmes with the projects they funded, and calls. An announced (open
or forecast) call is published as grants.call_published when added, and again when its status or
dates change."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from services.grants.domain.rules import (
    CallTerms,
    call_funding_source,
    check_call_terms,
    check_funded_project,
    eligible_municipalities,
    is_announced,
    plan_call_change,
)
from services.grants.domain.stages import check_call_documents, check_first_stage_change
from services.grants.models import FundedProject, FundingCall, Programme
from services.grants.schemas import (
    CallChange,
    CallIn,
    CallOut,
    CallQuery,
    FundedProjectIn,
    FundedProjectOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeQuery,
)
from services.grants.usecases import local_today, repository
from services.grants.views import call_out, call_terms, funded_project_out, programme_out
from shared.errors import Conflict
from shared.events.grants import CallPublished, FundedProjectRecorded, RequiredDocument
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


# ---------------------------------------------------------------- programmes

def create_programme(uow: UnitOfWork, body: ProgrammeIn) -> ProgrammeOut:
    programme = Programme(id=uuid.uuid4(), created_at=utcnow(),
                          **body.model_dump(mode="json", exclude={"title", "summary", "budget_eur"}),
                          budget_eur=body.budget_eur, title=body.title.model_dump(),
                          summary=body.summary and body.summary.model_dump())
    try:
        repository(uow).add(programme)
    except IntegrityError:
        raise Conflict(f"a programme with code {body.code} already exists", field="code",
                       code="duplicate_code") from None
    uow.commit()
    return programme_out(programme, [], [])


def list_programmes(uow: UnitOfWork, query: ProgrammeQuery) -> list[ProgrammeOut]:
    """Filtered by source kind, funder and theme (a programme with that theme among its own)."""
    repo = repository(uow)
    return [programme_out(p, repo.projects_of(p.id), repo.call_ids_of(p.id))
            for p in repo.programmes(source_kinds=query.source_kind, funder=query.funder, theme=query.theme)]


def get_programme(uow: UnitOfWork, programme_id: uuid.UUID) -> ProgrammeOut:
    repo = repository(uow)
    programme = repo.programme(programme_id)
    return programme_out(programme, repo.projects_of(programme.id), repo.call_ids_of(programme.id))


def add_funded_project(uow: UnitOfWork, programme_id: uuid.UUID, body: FundedProjectIn) -> FundedProjectOut:
    repo = repository(uow)
    programme = repo.programme(programme_id)
    check_funded_project(body.final_cost_eur, body.grant_eur)
    values = body.model_dump(mode="python")
    values["partners"] = [p.model_dump() for p in body.partners]
    project = FundedProject(id=uuid.uuid4(), programme_id=programme.id, created_at=utcnow(), **values)
    try:
        repo.add(project)
    except IntegrityError:
        raise Conflict(f"project {body.project_number} is already recorded", field="project_number",
                       code="duplicate_project") from None
    uow.emit(FundedProjectRecorded(
        project_id=project.id, project_number=project.project_number, programme_code=programme.code,
        funder=programme.funder, title=project.title, promoter=project.promoter, status=project.status,
        region=project.region, themes=project.themes), subject=str(project.id))
    uow.commit()
    return funded_project_out(project)


# ---------------------------------------------------------------- calls

def create_call(uow: UnitOfWork, body: CallIn) -> CallOut:
    check_call_terms(CallTerms(
        opens_on=body.opens_on, closes_on=body.closes_on, min_grant_eur=body.min_grant_eur,
        max_grant_eur=body.max_grant_eur, max_funding_rate=body.max_funding_rate,
        foreign_partner_required=body.foreign_partner_required, partner_countries=body.partner_countries,
        status=body.status, first_stage_closes_on=body.first_stage_closes_on,
        required_document_codes=tuple(d.code for d in body.required_documents),
    ))
    check_call_documents(body.first_stage_closes_on, tuple(d.code for d in body.concept_note_documents),
                         tuple(d.code for d in body.required_documents))
    repo = repository(uow)
    programme = repo.programme(body.programme_id) if body.programme_id else None
    funder, source_kind = call_funding_source(
        (programme.code, programme.funder, programme.source_kind) if programme else None, body.funder,
        body.source_kind)
    call = FundingCall(
        id=uuid.uuid4(), created_at=utcnow(), funder=funder, source_kind=source_kind,
        **body.model_dump(mode="python", exclude={"title", "summary", "required_documents", "funder",
                                                  "source_kind", "concept_note_documents"}),
        title=body.title.model_dump(), summary=body.summary and body.summary.model_dump(),
        required_documents=[d.model_dump() for d in body.required_documents],
        concept_note_documents=[d.model_dump() for d in body.concept_note_documents])
    try:
        repo.add(call)
    except IntegrityError:
        raise Conflict(f"a call with code {body.code} already exists", field="code", code="duplicate_code") from None
    programme_code = programme.code if programme else None
    if is_announced(call.status):
        publish_call(uow, call, programme_code)
    uow.commit()
    return call_out(call, programme_code)


def list_calls(uow: UnitOfWork, query: CallQuery) -> list[CallOut]:
    repo = repository(uow)
    codes = repo.programme_codes()
    calls = repo.calls(statuses=query.status, programme_id=query.programme_id, theme=query.theme)
    return [call_out(c, codes.get(c.programme_id)) for c in calls]


def get_call(uow: UnitOfWork, call_id: uuid.UUID) -> CallOut:
    repo = repository(uow)
    call = repo.call(call_id)
    return call_out(call, repo.programme_codes().get(call.programme_id))


def change_call(uow: UnitOfWork, call_id: uuid.UUID, body: CallChange) -> CallOut:
    repo = repository(uow)
    call = repo.call(call_id, lock=True)
    check_first_stage_change(body.model_dump(exclude_unset=True), call.concept_note_documents)
    plan = plan_call_change(call_terms(call), body.model_dump(exclude_unset=True), local_today())
    for name, value in plan.changes.items():
        setattr(call, name, value)
    call.updated_at = utcnow()
    programme_code = repo.programme_codes().get(call.programme_id)
    if plan.republish:
        publish_call(uow, call, programme_code)
    uow.commit()
    return call_out(call, programme_code)


def publish_call(uow: UnitOfWork, call: FundingCall, programme_code: str | None) -> None:
    """grants.call_published: the call's terms and the municipalities it is open to, so notifications
    alerts only the subscribers it concerns."""
    uow.emit(CallPublished(
        call_id=call.id, code=call.code, funder=call.funder, title=LocalizedText(**call.title),
        themes=call.themes, eligible_applicant_types=call.eligible_applicant_types,
        eligible_regions=call.eligible_regions, opens_on=call.opens_on, closes_on=call.closes_on,
        min_grant_eur=call.min_grant_eur, max_grant_eur=call.max_grant_eur,
        max_funding_rate=call.max_funding_rate, foreign_partner_required=call.foreign_partner_required,
        partner_countries=call.partner_countries, status=call.status,
        summary=LocalizedText(**call.summary) if call.summary else None, programme_code=programme_code,
        first_stage_closes_on=call.first_stage_closes_on,
        required_documents=[RequiredDocument(**d) for d in call.required_documents],
        concept_note_documents=[RequiredDocument(**d) for d in call.concept_note_documents],
        partner_organisation_types=call.partner_organisation_types,
        eligible_municipality_codes=eligible_municipalities(call.eligible_applicant_types, call.eligible_regions),
        url=call.url, source_kind=call.source_kind,
    ), subject=str(call.id))
