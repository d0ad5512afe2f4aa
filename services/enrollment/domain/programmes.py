"""Training programmes of funded projects: where a session is held, and the report a project
promoter gives its funder — events and participants, in Lithuania and abroad, per programme.

Plain rules over plain values (no storage). A programme's figures are its recorded history (what
the project reported before, or outside, this system) plus the sessions of the programme the
centre held (completed), each counting as one event with its attendances as participants — the
way the funders' reports count them ("12 training events for 301 persons").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from shared.errors import RuleViolation

HOME = "LT"
SESSION_KINDS = ("training", "conference")
HISTORY_KINDS = ("training", "conference", "training_and_conferences")


def check_place(country: str, region: str | None, city: str | None, in_person: bool) -> None:
    """A session in Lithuania is held in a region (in person); one abroad in a city, with no region."""
    if country == HOME:
        if in_person and not region:
            raise RuleViolation("a session held in Lithuania in person needs a region", field="region")
        return
    if region:
        raise RuleViolation(f"a session in {country} has no Lithuanian region; give its city", field="region")
    if in_person and not city:
        raise RuleViolation(f"a session held in {country} needs its city", field="city")


@dataclass(frozen=True)
class HistoryFacts:
    programme_id: UUID
    kind: str
    events_in_lithuania: int
    events_abroad: int
    abroad_countries: tuple[str, ...]
    participants: int
    participants_abroad: int | None  # None: the report did not split them by country


@dataclass(frozen=True)
class HeldSessionFacts:
    programme_id: UUID
    kind: str
    country: str
    attendances: int


@dataclass
class ProgrammeFigures:
    programme_id: UUID | None
    code: str
    events: int = 0
    participants: int = 0
    events_in_lithuania: int = 0
    events_abroad: int = 0
    participants_in_lithuania: int | None = 0
    participants_abroad: int | None = 0
    conferences: int = 0
    countries_abroad: set = field(default_factory=set)

    def add_history(self, row: HistoryFacts) -> None:
        self.events += row.events_in_lithuania + row.events_abroad
        self.events_in_lithuania += row.events_in_lithuania
        self.events_abroad += row.events_abroad
        self.participants += row.participants
        self.countries_abroad |= set(row.abroad_countries)
        if row.kind == "conference":
            self.conferences += row.events_in_lithuania + row.events_abroad
        if row.participants_abroad is None:
            self.participants_abroad = self.participants_in_lithuania = None  # unknown split
        elif self.participants_abroad is not None:
            self.participants_abroad += row.participants_abroad
            self.participants_in_lithuania += row.participants - row.participants_abroad

    def add_session(self, held: HeldSessionFacts) -> None:
        self.events += 1
        self.participants += held.attendances
        if held.kind == "conference":
            self.conferences += 1
        if held.country == HOME:
            self.events_in_lithuania += 1
            if self.participants_in_lithuania is not None:
                self.participants_in_lithuania += held.attendances
        else:
            self.events_abroad += 1
            self.countries_abroad.add(held.country)
            if self.participants_abroad is not None:
                self.participants_abroad += held.attendances

    def merge(self, other: "ProgrammeFigures") -> None:
        self.events += other.events
        self.participants += other.participants
        self.events_in_lithuania += other.events_in_lithuania
        self.events_abroad += other.events_abroad
        self.conferences += other.conferences
        self.countries_abroad |= other.countries_abroad
        for name in ("participants_in_lithuania", "participants_abroad"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, None if mine is None or theirs is None else mine + theirs)

    def as_dict(self) -> dict:
        return {"events": self.events, "participants": self.participants,
                "events_in_lithuania": self.events_in_lithuania, "events_abroad": self.events_abroad,
                "participants_in_lithuania": self.participants_in_lithuania,
                "participants_abroad": self.participants_abroad, "conferences": self.conferences,
                "countries_abroad": sorted(self.countries_abroad)}


def project_report(programmes: list[tuple[UUID, str]], history: list[HistoryFacts],
                   held: list[HeldSessionFacts]) -> tuple[list[ProgrammeFigures], ProgrammeFigures]:
    """Figures per programme (in the order given) and the project's total."""
    lines = {programme_id: ProgrammeFigures(programme_id, code) for programme_id, code in programmes}
    for row in history:
        lines[row.programme_id].add_history(row)
    for session in held:
        lines[session.programme_id].add_session(session)
    total = ProgrammeFigures(None, "total")
    for line in lines.values():
        total.merge(line)
    return list(lines.values()), total
