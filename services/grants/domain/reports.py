"""Reports over applications: counts by status, amounts requested, awarded, paid and final, and the
success rate (awarded ÷ decided), grouped by status, funder, theme, municipality, call, year (the
year submitted; not yet submitted: the year started) or programme period (the programme's, e.g.
2009–2014; "none" for a call outside any programme). Beside them, the projects the catalogue's
programmes funded (the seeds, e.g. LT10's three), counted where the grouping applies to them: by
funder, theme and programme period (and in the totals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.grants.domain.workflow import DECIDED, SUCCESSFUL, Status

GROUPINGS = ("status", "funder", "theme", "municipality", "call", "year", "programme_period")
# Funded projects have a funder, themes and a programme period, no status, municipality, call or year.
FUNDED_GROUPINGS = ("funder", "theme", "programme_period")
NO_PROGRAMME = "none"


@dataclass(frozen=True)
class ApplicationFacts:
    status: str
    funder: str
    themes: tuple[str, ...]
    municipality_code: str
    call_code: str
    requested_grant_eur: Decimal
    awarded_grant_eur: Decimal | None
    final_cost_eur: Decimal | None
    final_grant_eur: Decimal | None
    year: str = ""
    programme_period: str = NO_PROGRAMME
    paid_eur: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class FundedFacts:
    """A project a programme funded, as the funder reports it."""

    funder: str
    themes: tuple[str, ...]
    programme_period: str
    initial_cost_eur: Decimal
    final_cost_eur: Decimal | None
    grant_eur: Decimal | None


@dataclass
class ReportRow:
    group: str
    applications: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})
    requested_eur: Decimal = Decimal("0.00")
    awarded_eur: Decimal = Decimal("0.00")
    final_cost_eur: Decimal = Decimal("0.00")
    final_grant_eur: Decimal = Decimal("0.00")
    decided: int = 0
    successful: int = 0
    paid_eur: Decimal = Decimal("0.00")
    funded_projects: int = 0
    funded_initial_cost_eur: Decimal = Decimal("0.00")
    funded_final_cost_eur: Decimal = Decimal("0.00")
    funded_grant_eur: Decimal = Decimal("0.00")

    @property
    def success_rate(self) -> Decimal | None:
        """Share of decided applications that won a grant; None before any decision."""
        if not self.decided:
            return None
        return (Decimal(self.successful) / Decimal(self.decided)).quantize(Decimal("0.001"))

    def add(self, facts: ApplicationFacts) -> None:
        status = Status(facts.status)
        self.applications += 1
        self.by_status[status.value] += 1
        self.requested_eur += facts.requested_grant_eur
        self.awarded_eur += facts.awarded_grant_eur or 0
        self.final_cost_eur += facts.final_cost_eur or 0
        self.final_grant_eur += facts.final_grant_eur or 0
        self.decided += status in DECIDED
        self.successful += status in SUCCESSFUL
        self.paid_eur += facts.paid_eur

    def add_funded(self, project: FundedFacts) -> None:
        self.funded_projects += 1
        self.funded_initial_cost_eur += project.initial_cost_eur
        self.funded_final_cost_eur += project.final_cost_eur or 0
        self.funded_grant_eur += project.grant_eur or 0


def _groups(facts: ApplicationFacts, group_by: str) -> tuple[str, ...]:
    if group_by == "theme":
        return facts.themes  # an application with two themes counts under both
    return ({"status": facts.status, "funder": facts.funder, "municipality": facts.municipality_code,
             "call": facts.call_code, "year": facts.year, "programme_period": facts.programme_period}[group_by],)


def _funded_groups(project: FundedFacts, group_by: str) -> tuple[str, ...]:
    if group_by not in FUNDED_GROUPINGS:
        return ()
    if group_by == "theme":
        return project.themes
    return ({"funder": project.funder, "programme_period": project.programme_period}[group_by],)


def report(applications: list[ApplicationFacts], group_by: str,
           funded: list[FundedFacts] = ()) -> list[ReportRow]:
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS}")
    rows: dict[str, ReportRow] = {}
    for facts in applications:
        for group in _groups(facts, group_by):
            rows.setdefault(group, ReportRow(group)).add(facts)
    for project in funded:
        for group in _funded_groups(project, group_by):
            rows.setdefault(group, ReportRow(group)).add_funded(project)
    return sorted(rows.values(), key=lambda r: (-r.applications, -r.funded_projects, r.group))


def totals(applications: list[ApplicationFacts], funded: list[FundedFacts] = ()) -> ReportRow:
    """The totals row: every application and funded project once, whatever the grouping."""
    row = ReportRow("total")
    for facts in applications:
        row.add(facts)
    for project in funded:
        row.add_funded(project)
    return row
