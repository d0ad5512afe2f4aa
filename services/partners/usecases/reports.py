"""The bilateral results report: partnerships per country and theme, visits both ways and their
participants (counts only; services/partners/domain/report.py)."""

from __future__ import annotations

from services.partners.domain.report import PartnershipFact, VisitFact, partnership_report
from services.partners.domain.rules import report_period
from services.partners.repository import PartnersRepository
from services.partners.schemas import ReportOut, ReportQuery
from shared.persistence.unit_of_work import UnitOfWork


def partnerships(uow: UnitOfWork, query: ReportQuery) -> ReportOut:
    start, end = report_period(query.year)
    repository = PartnersRepository(uow.session)
    found = repository.partnerships(established_from=start, established_before=end, country=query.country)
    countries = {p.id: p.country for p in found}
    report = partnership_report(
        [PartnershipFact(p.country, tuple(p.themes), p.status) for p in found],
        [VisitFact(countries[v.partnership_id], v.direction, v.participants_count)
         for v in repository.visits(list(countries))],
    )
    return ReportOut(year=query.year, **report)
