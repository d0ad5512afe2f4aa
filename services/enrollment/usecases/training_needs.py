"""Training needs: municipalities propose topics and support each other's; staff plan or close
them; the demand ranking shows where to schedule next."""

from __future__ import annotations

import uuid

from services.enrollment.domain.figures import NeedFacts, demand_ranking
from services.enrollment.domain.needs import check_can_support
from services.enrollment.domain.rules import SessionStatus
from services.enrollment.models import TrainingNeed, TrainingNeedSupport
from services.enrollment.domain.paging import decode_cursor, page_of, search_term, sorts
from services.enrollment.repository import EnrollmentRepository, Lists
from services.enrollment.schemas import (
    DemandOut,
    DemandQuery,
    SupportIn,
    TrainingNeedIn,
    TrainingNeedOut,
    TrainingNeedQuery,
    TrainingNeedStatusIn,
)
from services.enrollment.usecases.reports import session_facts
from services.enrollment.views import listing
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.enrollment import TrainingNeedSubmitted, TrainingNeedSupported
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork


def need_out(need: TrainingNeed, supporters: set[str]) -> TrainingNeedOut:
    return TrainingNeedOut(id=need.id, theme=need.theme, region=need.region, description=need.description,
                           municipality_code=need.municipality_code, audience=need.audience, status=need.status,
                           supporters=sorted(supporters), created_at=need.created_at)


def propose(uow: UnitOfWork, body: TrainingNeedIn, principal: Principal) -> TrainingNeedOut:
    """Publishes enrollment.training_need_submitted."""
    need = TrainingNeed(id=uuid.uuid4(), theme=body.theme, region=body.region, description=body.description,
                        municipality_code=body.municipality_code, audience=body.audience, status="open",
                        proposed_by=principal.subject, created_at=utcnow())
    EnrollmentRepository.of(uow).add(need)
    uow.emit(TrainingNeedSubmitted(need_id=need.id, theme=need.theme, region=need.region,
                                   description=need.description, municipality_code=need.municipality_code,
                                   audience=need.audience), subject=str(need.id))
    uow.commit()
    return need_out(need, set())


NEED_SORTS = sorts("created_at:time", "-created_at:time")


def list_needs(uow: UnitOfWork, query: TrainingNeedQuery) -> tuple[int, list[TrainingNeedOut], dict]:
    repo = EnrollmentRepository.of(uow)
    sort = NEED_SORTS[query.sort]
    rows = Lists(repo).training_needs(sort=sort, after=decode_cursor(query.cursor, sort), limit=query.limit,
                                      theme=query.theme, region=query.region, status=query.status,
                                      term=search_term(query.q))
    page = page_of(rows, query.limit, sort, lambda n: (n.created_at, n.id))
    supporters = repo.supporters(n.id for n in page.items)
    return listing(page, [need_out(n, supporters[n.id]) for n in page.items], "/enrollment/training-needs", query)


def support(uow: UnitOfWork, need_id, body: SupportIn, principal: Principal) -> TrainingNeedOut:
    """Once per municipality; supporting again changes nothing (enrollment.training_need_supported)."""
    repo = EnrollmentRepository.of(uow)
    need = repo.training_need(need_id)
    check_can_support(need.municipality_code, need.status, body.municipality_code)
    if repo.support(need.id, body.municipality_code) is None:
        repo.add(TrainingNeedSupport(need_id=need.id, municipality_code=body.municipality_code,
                                     supported_by=principal.subject, created_at=utcnow()))
        supporters = repo.supporters([need.id])[need.id]
        uow.emit(TrainingNeedSupported(need_id=need.id, theme=need.theme, region=need.region,
                                       municipality_code=body.municipality_code,
                                       supporters=len(supporters) + 1), subject=str(need.id))
        uow.commit()
    return need_out(need, repo.supporters([need.id])[need.id])


def withdraw_support(uow: UnitOfWork, need_id, municipality_code: str) -> TrainingNeedOut:
    repo = EnrollmentRepository.of(uow)
    need = repo.training_need(need_id)
    found = repo.support(need.id, municipality_code)
    if found is None:
        raise NotFound("support of municipality", municipality_code)
    repo.delete(found)
    uow.commit()
    return need_out(need, repo.supporters([need.id])[need.id])


def set_status(uow: UnitOfWork, need_id, body: TrainingNeedStatusIn) -> TrainingNeedOut:
    """planned (a session is coming) or closed; the demand ranking counts open ones."""
    repo = EnrollmentRepository.of(uow)
    need = repo.training_need(need_id)
    need.status = body.status
    uow.commit()
    return need_out(need, repo.supporters([need.id])[need.id])


def demand(uow: UnitOfWork, query: DemandQuery) -> DemandOut:
    """Themes ranked per region by the municipalities behind open proposals, next to the sessions
    already planned there."""
    repo = EnrollmentRepository.of(uow)
    needs = repo.training_needs(region=query.region, status="open")
    supporters = repo.supporters(n.id for n in needs)
    upcoming = [session_facts(s, c) for s, c in repo.sessions_with_courses(
        starts_from=utcnow(), statuses=[SessionStatus.SCHEDULED.value])]
    ranking = demand_ranking([NeedFacts(n.id, n.theme, n.region, n.municipality_code,
                                        frozenset(supporters[n.id])) for n in needs], upcoming)
    return DemandOut(regions=ranking)
