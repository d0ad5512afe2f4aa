"""Who gets a seat: arrivals, the waitlist, per-municipality quotas and promotions.

Everything here is decided under the session's row lock, so the counts it is given are exact and
"arrival order" is the order in which requests obtained that lock (their `arrival_seq`).

Fairness rules:
- An arrival is confirmed while its pool (in person / online) has a free seat and its municipality
  is under the quota; otherwise it is waitlisted, waiting for the quota (its municipality holds its
  share) or for a seat.
- When seats free up, the waitlist is walked in arrival order and the first people who may take a
  seat get one; a person blocked by their municipality's quota is skipped, not made to block
  everyone behind them.
- After every change nobody eligible waits while a seat of their pool is free, so a newcomer never
  overtakes an eligible person already waiting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable
from uuid import UUID

from services.enrollment.domain.rules import AttendanceMode, EnrollmentStatus


class WaitingFor(str, Enum):
    SEAT = "seat"  # the pool is full
    QUOTA = "municipality_quota"  # a seat is free but the municipality has its share


@dataclass(frozen=True)
class SeatPolicy:
    capacities: dict[AttendanceMode, int]
    quota: int | None = None  # most seats one municipality may hold; None = no quota (or released)
    offers: bool = False  # freed seats are offered for a while instead of given at once


@dataclass
class SeatCounts:
    """Seats held (confirmed or offered) per pool and per municipality; updated as decisions are made."""

    held: Counter = field(default_factory=Counter)
    by_municipality: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, holders: Iterable[tuple[AttendanceMode, str]]) -> "SeatCounts":
        counts = cls()
        for mode, municipality in holders:
            counts.take(mode, municipality)
        return counts

    def take(self, mode: AttendanceMode, municipality: str) -> None:
        self.held[mode] += 1
        self.by_municipality[municipality] += 1

    def free(self, policy: SeatPolicy, mode: AttendanceMode) -> int:
        return max(policy.capacities.get(mode, 0) - self.held[mode], 0)

    def under_quota(self, policy: SeatPolicy, municipality: str) -> bool:
        return policy.quota is None or self.by_municipality[municipality] < policy.quota


@dataclass(frozen=True)
class Arrival:
    status: EnrollmentStatus
    waiting_for: WaitingFor | None = None


def decide_arrival(policy: SeatPolicy, counts: SeatCounts, mode: AttendanceMode, municipality: str) -> Arrival:
    """Confirmed if a seat of the pool is free and the municipality is under its quota."""
    if not counts.under_quota(policy, municipality):
        return Arrival(EnrollmentStatus.WAITLISTED, WaitingFor.QUOTA)
    if counts.free(policy, mode) == 0:
        return Arrival(EnrollmentStatus.WAITLISTED, WaitingFor.SEAT)
    counts.take(mode, municipality)
    return Arrival(EnrollmentStatus.CONFIRMED)


@dataclass(frozen=True)
class Waiting:
    enrollment_id: UUID
    mode: AttendanceMode
    municipality: str
    arrival_seq: int


@dataclass(frozen=True)
class Promotion:
    enrollment_id: UUID
    status: EnrollmentStatus  # CONFIRMED, or OFFERED when the session gives time-boxed offers


def plan_promotions(policy: SeatPolicy, counts: SeatCounts, waitlist: Iterable[Waiting]) -> list[Promotion]:
    """Fill free seats from the waitlist in arrival order, skipping people their quota blocks."""
    status = EnrollmentStatus.OFFERED if policy.offers else EnrollmentStatus.CONFIRMED
    promotions = []
    for person in sorted(waitlist, key=lambda w: w.arrival_seq):
        if counts.free(policy, person.mode) and counts.under_quota(policy, person.municipality):
            counts.take(person.mode, person.municipality)
            promotions.append(Promotion(person.enrollment_id, status))
    return promotions


def waiting_for(policy: SeatPolicy, counts: SeatCounts, mode: AttendanceMode, municipality: str) -> WaitingFor:
    """Why a waitlisted person has no seat: their municipality's share is taken, or the pool is full."""
    return WaitingFor.SEAT if counts.under_quota(policy, municipality) else WaitingFor.QUOTA
