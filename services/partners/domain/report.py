"""The bilateral results report: partnerships by country and theme, visits both ways.

Counts only, so it survives erasure of the people involved (participants are counted when a visit
is recorded)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from shared.reference import THEMES


@dataclass(frozen=True)
class PartnershipFact:
    country: str
    themes: tuple[str, ...]
    status: str  # active | completed


@dataclass(frozen=True)
class VisitFact:
    country: str  # the partner's country
    direction: str  # to_partner | to_lithuania
    participants: int


def partnership_report(partnerships: Iterable[PartnershipFact], visits: Iterable[VisitFact]) -> dict:
    by_country: dict[str, Counter] = {}
    by_theme: Counter = Counter()
    total = 0
    for p in partnerships:
        total += 1
        row = by_country.setdefault(p.country, Counter())
        row["partnerships"] += 1
        row[p.status] += 1
        for theme in set(p.themes):
            by_theme[theme] += 1
    visit_totals: Counter = Counter()
    for v in visits:
        row = by_country.setdefault(v.country, Counter())
        row[f"visits_{v.direction}"] += 1
        row["participants"] += v.participants
        visit_totals[v.direction] += 1
        visit_totals["participants"] += v.participants
    return {
        "partnerships": total,
        "visits": {"to_partner": visit_totals["to_partner"], "to_lithuania": visit_totals["to_lithuania"],
                   "participants": visit_totals["participants"]},
        "by_country": [
            {"country": country, "partnerships": row["partnerships"], "active": row["active"],
             "completed": row["completed"], "visits_to_partner": row["visits_to_partner"],
             "visits_to_lithuania": row["visits_to_lithuania"], "participants": row["participants"]}
            for country, row in sorted(by_country.items(), key=lambda item: (-item[1]["partnerships"], item[0]))
        ],
        "by_theme": [
            {"theme": theme, "label": {"lt": THEMES[theme].label_lt, "en": THEMES[theme].label_en},
             "partnerships": count}
            for theme, count in sorted(by_theme.items(), key=lambda item: (-item[1], item[0]))
            if theme in THEMES
        ],
    }
