"""Trainers: who may be named on a session, and the figures per trainer (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from shared.errors import RuleViolation


def check_trainer_choice(name_sent: bool, trainer_id_sent: bool) -> None:
    """A session names its trainer either by the register (trainer_id) or by a name, not both."""
    if name_sent and trainer_id_sent:
        raise RuleViolation("send trainer_id (a trainer of the register) or trainer (a name), not both",
                            field="trainer")


@dataclass(frozen=True)
class TaughtSession:
    trainer_id: UUID
    session_id: UUID
    status: str  # scheduled, cancelled, completed
    hours: Decimal
    attended: int = 0
    no_shows: int = 0
    confirmed: int = 0


@dataclass
class TrainerFigures:
    sessions_held: int = 0
    hours_taught: Decimal = Decimal("0")
    participants: int = 0
    attendances: int = 0
    no_shows: int = 0
    sessions_cancelled: int = 0
    sessions_upcoming: int = 0
    sessions: set = field(default_factory=set)


def trainer_figures(sessions: list[TaughtSession]) -> dict[UUID, TrainerFigures]:
    """Per trainer: a completed session counts as held, with the course's hours taught, its
    confirmed participants, attendances and no-shows; a cancelled one only as cancelled; a
    scheduled one as upcoming."""
    figures: dict[UUID, TrainerFigures] = {}
    for taught in sessions:
        line = figures.setdefault(taught.trainer_id, TrainerFigures())
        if taught.session_id in line.sessions:
            continue
        line.sessions.add(taught.session_id)
        if taught.status == "completed":
            line.sessions_held += 1
            line.hours_taught += taught.hours
            line.participants += taught.confirmed
            line.attendances += taught.attended
            line.no_shows += taught.no_shows
        elif taught.status == "cancelled":
            line.sessions_cancelled += 1
        else:
            line.sessions_upcoming += 1
    return figures
