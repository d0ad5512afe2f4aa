"""Reports over applications: counts by status, amounts requested, awarded and final, and the
success rate (awarded ÷ decided), grouped by status, funder, theme, municipality or call."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.grants.domain.workflow import DECIDED, SUCCESSFUL, Status

GROUPINGS = ("status", "funder", "theme", "municipality", "call")


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


def _groups(facts: ApplicationFacts, group_by: str) -> tuple[str, ...]:
    if group_by == "theme":
        return facts.themes  # an application with two themes counts under both
    return ({"status": facts.status, "funder": facts.funder, "municipality": facts.municipality_code,
             "call": facts.call_code}[group_by],)


def report(applications: list[ApplicationFacts], group_by: str) -> list[ReportRow]:
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS}")
    rows: dict[str, ReportRow] = {}
    for facts in applications:
        for group in _groups(facts, group_by):
            rows.setdefault(group, ReportRow(group)).add(facts)
    return sorted(rows.values(), key=lambda r: (-r.applications, r.group))


def totals(applications: list[ApplicationFacts]) -> ReportRow:
    """The totals row: every application once, whatever the grouping."""
    row = ReportRow("total")
    for facts in applications:
        row.add(facts)
    return row
