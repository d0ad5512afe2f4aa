"""The figures the centre reports: training hours per person, per-group totals, training demand.

Plain functions over rows the repository reads; dates are counted in Lithuanian time (a session
on 31 December 23:30 UTC belongs to the next year there).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Iterable
from uuid import UUID
from zoneinfo import ZoneInfo

from shared.reference import MUNICIPALITIES

LOCAL_TIME = ZoneInfo("Europe/Vilnius")
GROUPINGS = ("municipality", "region", "theme", "month", "year")


def local_year(moment: datetime) -> int:
    return moment.astimezone(LOCAL_TIME).year


def local_month(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TIME).strftime("%Y-%m")


def local_day_start(day: date) -> datetime:
    """Midnight of `day` in Lithuanian time (a report's period bound)."""
    return datetime.combine(day, time(), LOCAL_TIME)


def local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year in Lithuanian time: [1 January, next 1 January)."""
    return local_day_start(date(year, 1, 1)), local_day_start(date(year + 1, 1, 1))


@dataclass(frozen=True)
class SessionFacts:
    session_id: UUID
    status: str
    starts_at: datetime
    themes: tuple[str, ...]
    region: str | None
    # "session": held by the centre; "elsewhere": a course completed in an external learning system
    # (domain/learning.py), which counts as an attendance with its hours but not as a session held.
    kind: str = "session"


@dataclass(frozen=True)
class ParticipationFacts:
    """One confirmed enrolment of a session, with what happened."""

    session_id: UUID
    person_key: str  # the normalised e-mail, or the pseudonym of an erased person
    name: str
    email: str
    municipality_code: str
    position: str | None
    attendance: str | None  # attended | no_show | None
    hours: Decimal
    certified: bool
    fee_eur: Decimal


# ---------------------------------------------------------------- the training hours ledger

@dataclass
class LedgerLine:
    person_key: str
    name: str
    email: str
    municipality_code: str
    position: str | None
    year: int
    theme: str
    hours: Decimal = Decimal(0)
    sessions: int = 0
    certificates: int = 0


def hours_ledger(sessions: dict[UUID, SessionFacts], rows: Iterable[ParticipationFacts]) -> list[LedgerLine]:
    """Hours attended per person, year and theme. A course's hours count once, under its first
    (primary) theme, so a person's lines add up to the hours they actually spent in training."""
    lines: dict[tuple, LedgerLine] = {}
    for row in rows:
        if row.attendance != "attended":
            continue
        session = sessions[row.session_id]
        theme = session.themes[0] if session.themes else "unspecified"
        key = (row.person_key, local_year(session.starts_at), theme)
        line = lines.get(key)
        if line is None:
            line = lines[key] = LedgerLine(row.person_key, row.name, row.email, row.municipality_code, row.position,
                                           key[1], theme)
        line.hours += row.hours
        line.sessions += 1
        line.certificates += int(row.certified)
    return sorted(lines.values(), key=lambda l: (l.municipality_code, l.name.lower(), l.person_key, l.year, l.theme))


# ---------------------------------------------------------------- the summary report

@dataclass
class ReportLine:
    group: str
    sessions_held: int = 0
    participants_trained: int = 0
    attendances: int = 0
    no_shows: int = 0
    training_hours: Decimal = Decimal(0)
    certificates_issued: int = 0
    fees_eur: Decimal = Decimal(0)
    learned_elsewhere: int = 0
    _sessions: set = field(default_factory=set, repr=False)
    _people: set = field(default_factory=set, repr=False)

    def add(self, session: SessionFacts, row: ParticipationFacts | None) -> None:
        held = session.status == "completed"
        if held and session.kind == "session" and (row is None or row.attendance == "attended"):
            self._sessions.add(session.session_id)
        if row is not None and session.kind != "session":
            self.learned_elsewhere += 1
        if row is None or not held:
            return
        if row.attendance == "attended":
            self._people.add(row.person_key)
            self.attendances += 1
            self.training_hours += row.hours
        elif row.attendance == "no_show":
            self.no_shows += 1
        if row.attendance is not None:
            self.fees_eur += row.fee_eur  # fees are invoiced for a held seat, attended or not
        self.certificates_issued += int(row.certified)

    def finish(self) -> "ReportLine":
        self.sessions_held = len(self._sessions)
        self.participants_trained = len(self._people)
        return self

    def as_dict(self) -> dict:
        return {"group": self.group, "sessions_held": self.sessions_held,
                "participants_trained": self.participants_trained, "attendances": self.attendances,
                "no_shows": self.no_shows, "training_hours": self.training_hours,
                "certificates_issued": self.certificates_issued, "fees_eur": self.fees_eur,
                "learned_elsewhere": self.learned_elsewhere}


def _session_groups(group_by: str, session: SessionFacts) -> list[str] | None:
    if group_by == "theme":
        return list(session.themes) or ["unspecified"]
    if group_by == "month":
        return [local_month(session.starts_at)]
    if group_by == "year":
        return [str(local_year(session.starts_at))]
    return None  # grouped by who took part


def _participant_group(group_by: str, row: ParticipationFacts) -> str:
    if group_by == "municipality":
        return row.municipality_code
    return MUNICIPALITIES[row.municipality_code].region


def summary_report(group_by: str, sessions: dict[UUID, SessionFacts],
                   rows: Iterable[ParticipationFacts]) -> tuple[list[ReportLine], ReportLine]:
    """Figures per group plus the totals. In the totals a session or a person counts once, even
    when a course has several themes or a person attended several sessions; groups by
    municipality and region count the participants' municipality (and the sessions they attended);
    groups by theme, month and year count the sessions' course themes and dates."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    lines: dict[str, ReportLine] = {}
    total = ReportLine("total")

    def line(key: str) -> ReportLine:
        return lines.setdefault(key, ReportLine(key))

    rows = list(rows)
    for session in sessions.values():
        total.add(session, None)
        for key in _session_groups(group_by, session) or ():
            line(key).add(session, None)
    for row in rows:
        session = sessions[row.session_id]
        total.add(session, row)
        keys = _session_groups(group_by, session) or [_participant_group(group_by, row)]
        for key in keys:
            line(key).add(session, row)
    finished = [l.finish() for l in lines.values()]
    finished = [l for l in finished if l.sessions_held or l.attendances or l.no_shows or l.learned_elsewhere]
    return sorted(finished, key=lambda l: l.group), total.finish()


def restrict(sessions: dict[UUID, SessionFacts], rows: list[ParticipationFacts], *, theme: str | None = None,
             region: str | None = None, by_participants: bool = False
             ) -> tuple[dict[UUID, SessionFacts], list[ParticipationFacts]]:
    """Narrow a report to a theme (the sessions' courses) and/or a region (the participants'
    municipalities). When narrowed by who took part (a municipality or a region), only the sessions
    someone from there attended count as held for them."""
    if theme is not None:
        sessions = {k: s for k, s in sessions.items() if theme in s.themes}
    if region is not None:
        rows = [r for r in rows if MUNICIPALITIES[r.municipality_code].region == region]
    if by_participants:
        attended = {r.session_id for r in rows if r.attendance == "attended"}
        sessions = {k: s for k, s in sessions.items() if k in attended}
    return sessions, [r for r in rows if r.session_id in sessions]


# ---------------------------------------------------------------- training demand

@dataclass(frozen=True)
class NeedFacts:
    need_id: UUID
    theme: str
    region: str
    municipality_code: str
    supporters: frozenset[str]  # municipalities that supported it (the proposer not included)


@dataclass
class DemandLine:
    region: str
    theme: str
    proposals: int = 0
    municipalities: set = field(default_factory=set)
    planned_sessions: int = 0

    def as_dict(self, rank: int) -> dict:
        return {"rank": rank, "region": self.region, "theme": self.theme, "proposals": self.proposals,
                "supporting_municipalities": len(self.municipalities),
                "municipalities": sorted(self.municipalities), "planned_sessions": self.planned_sessions}


def demand_ranking(needs: Iterable[NeedFacts], upcoming: Iterable[SessionFacts]) -> dict[str, list[dict]]:
    """Per region, the themes municipalities asked for, ranked by how many municipalities are
    behind them (proposers and supporters), then by proposals. `planned_sessions` counts the
    scheduled sessions already planned there (in person in the region, or online) on that theme,
    so staff see where demand is not met yet."""
    lines: dict[tuple[str, str], DemandLine] = {}
    for need in needs:
        line = lines.setdefault((need.region, need.theme), DemandLine(need.region, need.theme))
        line.proposals += 1
        line.municipalities |= {need.municipality_code, *need.supporters}
    upcoming = list(upcoming)
    for (region, theme), line in lines.items():
        line.planned_sessions = sum(1 for s in upcoming if theme in s.themes and s.region in (region, None))
    by_region: dict[str, list[DemandLine]] = defaultdict(list)
    for line in lines.values():
        by_region[line.region].append(line)
    ranked = {}
    for region in sorted(by_region):
        ordered = sorted(by_region[region], key=lambda l: (-len(l.municipalities), -l.proposals, l.theme))
        ranked[region] = [line.as_dict(rank) for rank, line in enumerate(ordered, start=1)]
    return ranked
