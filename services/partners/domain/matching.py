"""Partner matching: a deterministic, explained score and hard exclusions with reasons.

Pure Python (no nameko, no database). `rank()` scores every profile it is given; `ProfileIndex`
keeps profiles in memory with per-theme and per-country posting sets so a request only scores the
profiles that share a theme with it, and reports the others' exclusions by counting sets.

Score = the sum of named components, each a weight times a fit between 0 and 1:

    theme_overlap        35  share of the request's themes the profile works on
    country_eligibility  15  country wanted by the request (or, with no wish, foreign over Lithuanian)
    organisation_type    15  wanted type 1, same family (e.g. county council for a municipality) 0.5
    shared_language      10  a working language in common (English when the request names none)
    size_similarity      10  population/staff on a log scale (a 100x difference is 0; unknown 0.5)
    free_capacity        10  share of the partnerships it can take that are still free
    track_record          5  partnerships and past cooperation, saturating at 3

Hard exclusions (never ranked, reported with the reason): no shared theme, country not eligible,
no free capacity, profile expired, the requester itself, declined for this request, already
introduced for this request.

Ties: higher score, then more theme points, then name (case-insensitive), then id.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping
from uuid import UUID

from shared.reference import THEMES

# Component names are part of the published contract (matches_proposed.candidates[].components).
THEME_OVERLAP = "theme_overlap"
COUNTRY_ELIGIBILITY = "country_eligibility"
ORGANISATION_TYPE = "organisation_type"
SHARED_LANGUAGE = "shared_language"
SIZE_SIMILARITY = "size_similarity"
FREE_CAPACITY = "free_capacity"
TRACK_RECORD = "track_record"

WEIGHTS: dict[str, float] = {
    THEME_OVERLAP: 35.0,
    COUNTRY_ELIGIBILITY: 15.0,
    ORGANISATION_TYPE: 15.0,
    SHARED_LANGUAGE: 10.0,
    SIZE_SIMILARITY: 10.0,
    FREE_CAPACITY: 10.0,
    TRACK_RECORD: 5.0,
}

# Exclusion reasons, also part of the API.
NO_SHARED_THEME = "no_shared_theme"
INELIGIBLE_COUNTRY = "ineligible_country"
FULL_CAPACITY = "full_capacity"
PROFILE_EXPIRED = "profile_expired"
REQUESTER_ITSELF = "requester_itself"
DECLINED = "declined"
ALREADY_INTRODUCED = "already_introduced"
EXCLUSION_REASONS = (NO_SHARED_THEME, INELIGIBLE_COUNTRY, FULL_CAPACITY, PROFILE_EXPIRED, REQUESTER_ITSELF,
                     DECLINED, ALREADY_INTRODUCED)

# Families of organisation types: a near miss on the type still fits half.
TYPE_FAMILIES: dict[str, str] = {
    "municipality": "public_authority",
    "county_council": "public_authority",
    "public_agency": "public_authority",
    "university": "knowledge",
    "research_institute": "knowledge",
    "education_provider": "knowledge",
    "ngo": "civil_society",
    "association": "civil_society",
    "company": "business",
}

DEFAULT_WORKING_LANGUAGE = "en"
TRACK_RECORD_SATURATION = 3
HOME_COUNTRY = "LT"

_THEME_BITS = {code: 1 << position for position, code in enumerate(sorted(THEMES))}


def theme_mask(themes: Iterable[str]) -> int:
    """Themes as a bitset (unknown codes are ignored: profiles are validated on the way in)."""
    mask = 0
    for theme in themes:
        mask |= _THEME_BITS.get(theme, 0)
    return mask


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """What matching needs of one organisation profile (no contact details)."""

    id: UUID
    name: str
    country: str
    organisation_type: str
    themes: frozenset[str]
    languages: frozenset[str]
    size: int | None
    capacity: int
    active_partnerships: int
    track_record: int
    expires_at: datetime
    municipality_code: str | None = None
    # Derived once, used for every request.
    theme_bits: int = field(init=False, compare=False)
    log_size: float | None = field(init=False, compare=False)
    sort_name: str = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "theme_bits", theme_mask(self.themes))
        object.__setattr__(self, "log_size", math.log10(self.size) if self.size and self.size > 0 else None)
        object.__setattr__(self, "sort_name", self.name.casefold())


@dataclass(frozen=True)
class MatchCriteria:
    """What a partner request asks for."""

    themes: frozenset[str]
    countries: frozenset[str] = frozenset()  # empty: any country
    organisation_types: frozenset[str] = frozenset()  # empty: any type
    languages: frozenset[str] = frozenset()  # empty: English
    target_size: int | None = None
    municipality_code: str | None = None  # the requester, never its own partner

    @property
    def theme_bits(self) -> int:
        return theme_mask(self.themes)

    @property
    def working_languages(self) -> frozenset[str]:
        return self.languages or frozenset({DEFAULT_WORKING_LANGUAGE})


@dataclass(frozen=True)
class Candidate:
    profile: ProfileFacts
    score: float
    components: dict[str, float]
    rank: int = 0


@dataclass(frozen=True)
class Exclusion:
    profile: ProfileFacts
    reasons: tuple[str, ...]


@dataclass
class Ranking:
    candidates: list[Candidate]
    # Excluded profiles that share a theme with the request (the ones worth explaining), by name.
    excluded: list[Exclusion]
    # Every exclusion counted by its first reason, including profiles with no shared theme.
    excluded_counts: dict[str, int]
    considered: int  # profiles looked at
    eligible: int  # profiles not excluded (the candidates list may be cut to a limit)


# ---------------------------------------------------------------- the rules, one profile at a time

def exclusion_reasons(criteria: MatchCriteria, profile: ProfileFacts, *, now: datetime,
                      previous: Mapping[UUID, str] | None = None) -> tuple[str, ...]:
    """Every hard rule the profile breaks for this request (empty: it may be ranked).

    `previous` maps organisations already introduced for this request to the introduction's
    status; 'declined' ones are never proposed again, the others are already in progress.
    """
    reasons = []
    if criteria.municipality_code and profile.municipality_code == criteria.municipality_code:
        reasons.append(REQUESTER_ITSELF)
    if not profile.theme_bits & criteria.theme_bits:
        reasons.append(NO_SHARED_THEME)
    if criteria.countries and profile.country not in criteria.countries:
        reasons.append(INELIGIBLE_COUNTRY)
    if profile.active_partnerships >= profile.capacity:
        reasons.append(FULL_CAPACITY)
    if profile.expires_at <= now:
        reasons.append(PROFILE_EXPIRED)
    status = (previous or {}).get(profile.id)
    if status is not None:
        reasons.append(DECLINED if status == "declined" else ALREADY_INTRODUCED)
    return tuple(reasons)


def components(criteria: MatchCriteria, profile: ProfileFacts, *, request_bits: int | None = None,
               target_log_size: float | None | bool = False) -> dict[str, float]:
    """The weighted components (points) of a profile that passed the hard rules."""
    bits = criteria.theme_bits if request_bits is None else request_bits
    wanted = bits.bit_count()
    theme_fit = (profile.theme_bits & bits).bit_count() / wanted if wanted else 0.0

    if criteria.countries:
        country_fit = 1.0 if profile.country in criteria.countries else 0.0
    else:
        country_fit = 0.5 if profile.country == HOME_COUNTRY else 1.0

    if not criteria.organisation_types or profile.organisation_type in criteria.organisation_types:
        type_fit = 1.0
    elif TYPE_FAMILIES.get(profile.organisation_type) in {TYPE_FAMILIES.get(t) for t in criteria.organisation_types}:
        type_fit = 0.5
    else:
        type_fit = 0.0

    language_fit = 1.0 if profile.languages & criteria.working_languages else 0.0

    if target_log_size is False:
        target_log_size = math.log10(criteria.target_size) if criteria.target_size else None
    if target_log_size is None or profile.log_size is None:
        size_fit = 0.5
    else:
        size_fit = 1.0 - min(1.0, abs(profile.log_size - target_log_size) / 2.0)

    capacity_fit = max(0, profile.capacity - profile.active_partnerships) / profile.capacity
    track_fit = min(profile.track_record, TRACK_RECORD_SATURATION) / TRACK_RECORD_SATURATION

    fits = {
        THEME_OVERLAP: theme_fit,
        COUNTRY_ELIGIBILITY: country_fit,
        ORGANISATION_TYPE: type_fit,
        SHARED_LANGUAGE: language_fit,
        SIZE_SIMILARITY: size_fit,
        FREE_CAPACITY: capacity_fit,
        TRACK_RECORD: track_fit,
    }
    return {name: round(WEIGHTS[name] * fit, 2) for name, fit in fits.items()}


def total(points: Mapping[str, float]) -> float:
    return round(sum(points.values()), 2)


def _order(candidate: Candidate) -> tuple:
    return (-candidate.score, -candidate.components[THEME_OVERLAP], candidate.profile.sort_name,
            str(candidate.profile.id))


# ---------------------------------------------------------------- ranking

def _explained(reasons: tuple[str, ...]) -> bool:
    """Exclusions worth listing one by one: the profile shares a theme and is in a wanted country,
    so something else (capacity, expiry, an earlier introduction) keeps it out. The others are
    only counted; `explain()` answers for any single profile."""
    return NO_SHARED_THEME not in reasons and INELIGIBLE_COUNTRY not in reasons


def evaluate(criteria: MatchCriteria, profile: ProfileFacts, *, now: datetime,
             previous: Mapping[UUID, str] | None = None) -> Candidate | Exclusion:
    """One profile's verdict for the request: its score and components, or why it is excluded."""
    reasons = exclusion_reasons(criteria, profile, now=now, previous=previous)
    if reasons:
        return Exclusion(profile, reasons)
    points = components(criteria, profile)
    return Candidate(profile, total(points), points)


def rank(criteria: MatchCriteria, profiles: Iterable[ProfileFacts], *, now: datetime,
         previous: Mapping[UUID, str] | None = None, limit: int | None = None,
         explain_limit: int = 50) -> Ranking:
    """Rank `profiles` for the request: every profile is checked against the hard rules, the rest
    scored and ordered. The reference implementation; `ProfileIndex.rank` gives the same result."""
    request_bits = criteria.theme_bits
    target = math.log10(criteria.target_size) if criteria.target_size else None
    scored: list[Candidate] = []
    excluded: list[Exclusion] = []
    counts: dict[str, int] = {}
    considered = 0
    for profile in profiles:
        considered += 1
        reasons = exclusion_reasons(criteria, profile, now=now, previous=previous)
        if reasons:
            counts[reasons[0]] = counts.get(reasons[0], 0) + 1
            if _explained(reasons):
                excluded.append(Exclusion(profile, reasons))
            continue
        points = components(criteria, profile, request_bits=request_bits, target_log_size=target)
        scored.append(Candidate(profile, total(points), points))
    return _finish(scored, excluded, counts, considered, limit, explain_limit)


def _finish(scored: list[Candidate], excluded: list[Exclusion], counts: dict[str, int], considered: int,
            limit: int | None, explain_limit: int) -> Ranking:
    eligible = len(scored)
    if limit is not None and limit < eligible:
        best = heapq.nsmallest(limit, scored, key=_order)
    else:
        best = sorted(scored, key=_order)
    ranked = [Candidate(c.profile, c.score, c.components, rank=i) for i, c in enumerate(best, start=1)]
    if len(excluded) > explain_limit:
        excluded = heapq.nsmallest(explain_limit, excluded, key=lambda e: (e.profile.sort_name, str(e.profile.id)))
    else:
        excluded.sort(key=lambda e: (e.profile.sort_name, str(e.profile.id)))
    return Ranking(ranked, excluded, {k: v for k, v in sorted(counts.items()) if v}, considered, eligible)


class ProfileIndex:
    """Profiles in memory, indexed for matching; updated with changed profiles only.

    A request's pool is the union of its themes' posting sets (every other profile shares no
    theme and is only counted), intersected with the wanted countries' sets (the rest of the
    union is counted as ineligible). Only the pool is checked and scored one by one. Sets hold
    integer slots rather than UUIDs: UUID hashing runs in Python, int hashing does not.
    """

    def __init__(self):
        self._slots: dict[UUID, int] = {}
        self._profiles: list[ProfileFacts | None] = []
        self._by_theme: dict[str, set[int]] = {}
        self._by_country: dict[str, set[int]] = {}
        self._by_municipality: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def get(self, organisation_id: UUID) -> ProfileFacts | None:
        slot = self._slots.get(organisation_id)
        return None if slot is None else self._profiles[slot]

    def put(self, profile: ProfileFacts) -> None:
        slot = self._slots.get(profile.id)
        if slot is None:
            slot = self._slots[profile.id] = len(self._profiles)
            self._profiles.append(profile)
        else:
            old = self._profiles[slot]
            for theme in old.themes:
                self._by_theme[theme].discard(slot)
            self._by_country[old.country].discard(slot)
            if old.municipality_code:
                self._by_municipality[old.municipality_code].discard(slot)
            self._profiles[slot] = profile
        for theme in profile.themes:
            self._by_theme.setdefault(theme, set()).add(slot)
        self._by_country.setdefault(profile.country, set()).add(slot)
        if profile.municipality_code:
            self._by_municipality.setdefault(profile.municipality_code, set()).add(slot)

    def rank(self, criteria: MatchCriteria, *, now: datetime, previous: Mapping[UUID, str] | None = None,
             limit: int | None = None, explain_limit: int = 50) -> Ranking:
        profiles = self._profiles
        sharing: set[int] = set()
        for theme in criteria.themes:
            sharing |= self._by_theme.get(theme, set())
        own = self._by_municipality.get(criteria.municipality_code, set()) if criteria.municipality_code else set()
        if criteria.countries:
            wanted: set[int] = set()
            for country in criteria.countries:
                wanted |= self._by_country.get(country, set())
            pool = sharing & wanted
        else:
            pool = sharing

        # Counted by first reason, as rank() does: the requester's own profile always under
        # requester_itself; then no shared theme; then (sharing a theme) ineligible country.
        counts: dict[str, int] = {REQUESTER_ITSELF: len(own)}
        counts[NO_SHARED_THEME] = len(self._slots) - len(sharing) - len(own - sharing)
        counts[INELIGIBLE_COUNTRY] = len(sharing) - len(pool) - len((own & sharing) - pool)

        skip = {self._slots[i] for i in previous if i in self._slots} if previous else set()
        skip |= own & pool
        excluded: list[Exclusion] = []
        request_bits = criteria.theme_bits
        target = math.log10(criteria.target_size) if criteria.target_size else None
        scored: list[Candidate] = []
        for slot in pool:
            profile = profiles[slot]
            # The cheap checks inline; the full rule list only for the few that fail one.
            if slot in skip or profile.active_partnerships >= profile.capacity or profile.expires_at <= now:
                reasons = exclusion_reasons(criteria, profile, now=now, previous=previous)
                if slot not in own:
                    counts[reasons[0]] = counts.get(reasons[0], 0) + 1
                excluded.append(Exclusion(profile, reasons))
                continue
            points = components(criteria, profile, request_bits=request_bits, target_log_size=target)
            scored.append(Candidate(profile, total(points), points))
        return _finish(scored, excluded, counts, len(self._slots), limit, explain_limit)
