"""Reports over applications: counts per status, amounts requested, awarded, paid and final, and the
success rate, grouped by status, funder, theme, municipality, call, year or programme period, with
the programmes' funded projects beside them (domain/reports.py)."""

from __future__ import annotations

from services.grants.domain import reports
from services.grants.schemas import ReportOut
from services.grants.usecases import joint, repository
from services.grants.views import application_facts, funded_facts, report_csv, report_row_out
from shared.persistence.unit_of_work import UnitOfWork


def _rows(uow: UnitOfWork, group_by: str, visible: str | None) -> tuple[list[reports.ReportRow], reports.ReportRow]:
    """The catalogue's funded projects (the seeds) count in the centre's report, not in one
    municipality's (they are not its own)."""
    repo = repository(uow)
    periods, paid = repo.programme_periods(), repo.paid_per_application()
    rows = [(a, application_facts(a, c, periods, paid)) for a, c in repo.applications(municipality_code=visible)]
    # A joint application counts as each municipality's share (usecases/joint.py).
    grouped, whole = joint.report_facts(uow, rows, group_by, visible)
    funded = [] if visible else [funded_facts(p, programme) for p, programme in repo.funded_projects()]
    return reports.report(grouped, group_by, funded), reports.totals(whole, funded)


def applications_report(uow: UnitOfWork, group_by: str, visible: str | None) -> ReportOut:
    """`visible`: the enforced municipality (a municipality token's own) or None for every one."""
    rows, totals = _rows(uow, group_by, visible)
    return ReportOut(group_by=group_by, municipality_code=visible, rows=[report_row_out(r) for r in rows],
                     totals=report_row_out(totals))


def applications_report_csv(uow: UnitOfWork, group_by: str, visible: str | None) -> str:
    """The same report as CSV text: one row per group, then the totals."""
    rows, totals = _rows(uow, group_by, visible)
    return report_csv(group_by, rows, totals)
