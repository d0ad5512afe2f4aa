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

import bisect
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
    sort_id: str = field(init=False, compare=False)
    full: bool = field(init=False, compare=False)
    capacity_points: float = field(init=False, compare=False)
    track_points: float = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "theme_bits", theme_mask(self.themes))
        object.__setattr__(self, "log_size", math.log10(self.size) if self.size and self.size > 0 else None)
        object.__setattr__(self, "sort_name", self.name.casefold())
        object.__setattr__(self, "sort_id", str(self.id))
        object.__setattr__(self, "full", self.active_partnerships >= self.capacity)
        # The two components that depend on the profile alone.
        object.__setattr__(self, "capacity_points", round(
            WEIGHTS[FREE_CAPACITY] * max(0, self.capacity - self.active_partnerships) / self.capacity, 2))
        object.__setattr__(self, "track_points", round(
            WEIGHTS[TRACK_RECORD] * min(self.track_record, TRACK_RECORD_SATURATION) / TRACK_RECORD_SATURATION, 2))


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
            candidate.profile.sort_id)


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
        excluded = heapq.nsmallest(explain_limit, excluded, key=lambda e: (e.profile.sort_name, e.profile.sort_id))
    else:
        excluded.sort(key=lambda e: (e.profile.sort_name, e.profile.sort_id))
    return Ranking(ranked, excluded, {k: v for k, v in sorted(counts.items()) if v}, considered, eligible)


class ProfileIndex:
    """Profiles in memory, indexed for matching; updated with changed profiles only.

    Everything that can be decided for many profiles at once is done with set operations (in C):
    the pool is the union of the request's themes' posting sets intersected with the wanted
    countries' sets; full, expired and already introduced profiles are taken out by set
    difference and counted by size; the rest is split into tiers by how many of the request's
    themes they share. Only profiles of the top tiers are scored one by one, and scoring stops
    when a tier cannot beat the last place kept. Sets hold integer slots rather than UUIDs: UUID
    hashing runs in Python, int hashing does not.
    """

    # Above this many requested themes, tiers are counted profile by profile instead of by sets
    # (the set method costs a number of set operations quadratic in the themes).
    SET_TIERS_UP_TO = 5

    def __init__(self):
        self._slots: dict[UUID, int] = {}
        self._profiles: list[ProfileFacts] = []
        self._by_theme: dict[str, set[int]] = {}
        self._by_country: dict[str, set[int]] = {}
        self._by_municipality: dict[str, set[int]] = {}
        self._full: set[int] = set()
        # Expiry times in order (parallel lists), and the expired set worked out for a moment
        # until the next expiry or change.
        self._expiry_times: list[datetime] = []
        self._expiry_slots: list[int] = []
        self._expired_cache: tuple[datetime, datetime | None, frozenset[int]] | None = None
        # Slots in (name, id) order, for listing exclusions by name (parallel lists).
        self._name_keys: list[tuple[str, str]] = []
        self._name_slots: list[int] = []

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
            self._full.discard(slot)
            _remove_sorted(self._expiry_times, self._expiry_slots, old.expires_at, slot)
            _remove_sorted(self._name_keys, self._name_slots, (old.sort_name, old.sort_id), slot)
            self._profiles[slot] = profile
        self._add_to_sets(slot, profile)
        _insert_sorted(self._expiry_times, self._expiry_slots, profile.expires_at, slot)
        _insert_sorted(self._name_keys, self._name_slots, (profile.sort_name, profile.sort_id), slot)
        self._expired_cache = None

    def put_many(self, profiles: Iterable[ProfileFacts]) -> int:
        """Load many profiles; into an empty index the ordered lists are sorted once at the end."""
        if self._slots:
            count = 0
            for profile in profiles:
                self.put(profile)
                count += 1
            return count
        latest = {profile.id: profile for profile in profiles}  # the same profile twice: the last one wins
        for profile in latest.values():
            slot = self._slots[profile.id] = len(self._profiles)
            self._profiles.append(profile)
            self._add_to_sets(slot, profile)
        by_expiry = sorted(range(len(self._profiles)), key=lambda s: self._profiles[s].expires_at)
        self._expiry_times = [self._profiles[s].expires_at for s in by_expiry]
        self._expiry_slots = by_expiry
        by_name = sorted(range(len(self._profiles)), key=lambda s: (self._profiles[s].sort_name,
                                                                     self._profiles[s].sort_id))
        self._name_keys = [(self._profiles[s].sort_name, self._profiles[s].sort_id) for s in by_name]
        self._name_slots = by_name
        self._expired_cache = None
        return len(self._profiles)

    def _add_to_sets(self, slot: int, profile: ProfileFacts) -> None:
        for theme in profile.themes:
            self._by_theme.setdefault(theme, set()).add(slot)
        self._by_country.setdefault(profile.country, set()).add(slot)
        if profile.municipality_code:
            self._by_municipality.setdefault(profile.municipality_code, set()).add(slot)
        if profile.full:
            self._full.add(slot)

    def _expired(self, now: datetime) -> frozenset[int]:
        cached = self._expired_cache
        if cached is not None and cached[0] <= now and (cached[1] is None or now < cached[1]):
            return cached[2]
        count = bisect.bisect_right(self._expiry_times, now)
        expired = frozenset(self._expiry_slots[:count])
        next_expiry = self._expiry_times[count] if count < len(self._expiry_times) else None
        self._expired_cache = (now, next_expiry, expired)
        return expired

    def rank(self, criteria: MatchCriteria, *, now: datetime, previous: Mapping[UUID, str] | None = None,
             limit: int | None = None, explain_limit: int = 50) -> Ranking:
        profiles = self._profiles
        theme_sets = [self._by_theme.get(theme, set()) for theme in sorted(criteria.themes)]
        sharing: set[int] = set().union(*theme_sets)
        own = self._by_municipality.get(criteria.municipality_code, set()) if criteria.municipality_code else set()
        if criteria.countries:
            pool = sharing & set().union(*(self._by_country.get(c, set()) for c in criteria.countries))
        else:
            pool = sharing

        # Counted by first reason, in the order exclusion_reasons gives them: the requester's own
        # profile, no shared theme, ineligible country, full, expired, introduced before.
        counts: dict[str, int] = {REQUESTER_ITSELF: len(own)}
        counts[NO_SHARED_THEME] = len(self._slots) - len(sharing) - len(own - sharing)
        counts[INELIGIBLE_COUNTRY] = len(sharing) - len(pool) - len((own & sharing) - pool)
        rest = pool - own
        full = rest & self._full
        rest -= full
        expired = rest & self._expired(now)
        rest -= expired
        counts[FULL_CAPACITY], counts[PROFILE_EXPIRED] = len(full), len(expired)
        previous = previous or {}
        for organisation_id, status in previous.items():
            slot = self._slots.get(organisation_id)
            if slot is not None and slot in rest:
                rest.discard(slot)
                reason = DECLINED if status == "declined" else ALREADY_INTRODUCED
                counts[reason] = counts.get(reason, 0) + 1
        eligible = len(rest)

        score = _Scorer(criteria)
        tiers = self._tiers(rest, theme_sets, score.request_bits)
        # Score tier by tier, most shared themes first, and stop once a tier's best possible score
        # (all of its theme points plus every other component in full) cannot beat the last
        # place kept: on a tie in score, fewer theme points rank lower anyway. Exact, not a guess.
        best: list[tuple] = []

        def cannot_beat_last(bound: float, theme_points: float) -> bool:
            # Scores are rounded sums of rounded components: a bound is comparable exactly.
            if limit is None or len(best) < limit:
                return False
            last_score, last_theme = -best[-1][0], -best[-1][1]
            bound = round(bound, 2)
            return bound < last_score or (bound == last_score and theme_points < last_theme)

        def keep(slots) -> None:
            nonlocal best
            for slot in slots:
                profile = profiles[slot]
                total_points, theme_points = score(profile)
                best.append((-total_points, -theme_points, profile.sort_name, profile.sort_id, slot))
            best = heapq.nsmallest(limit, best) if limit is not None and limit < len(best) else sorted(best)

        for shared in range(len(tiers) - 1, 0, -1):
            theme_points = score.theme_points[shared]
            if cannot_beat_last(theme_points + _OTHER_COMPONENTS_MAX, theme_points):
                break  # lower tiers have fewer theme points still
            members = tiers[shared]()
            if limit is None or len(members) <= _BUCKET_ABOVE * limit:
                keep(members)
                continue
            # A big tier: group it by the components that take few values (country, type, language,
            # capacity, track record) and score the groups best bound first.
            for bound, slots in score.buckets(members, profiles, theme_points):
                if cannot_beat_last(bound, theme_points):
                    break
                keep(slots)

        candidates = [Candidate(profiles[entry[-1]], -entry[0], score.components(profiles[entry[-1]]), rank=position)
                      for position, entry in enumerate(best, start=1)]
        return Ranking(candidates, self._first_by_name(pool - rest, explain_limit, criteria, now, previous),
                       {k: v for k, v in sorted(counts.items()) if v}, len(self._slots), eligible)

    def _first_by_name(self, slots: set[int], count: int, criteria: MatchCriteria, now: datetime,
                       previous: Mapping[UUID, str]) -> list[Exclusion]:
        """The first `count` of these excluded slots in name order, with every reason. Few: pick
        them by sorting; many: walk the index's name order until enough are met (expected steps:
        profiles × count ÷ excluded)."""
        if not count or not slots:
            return []
        profiles = self._profiles
        if len(slots) ** 2 < len(profiles) * count:
            chosen = heapq.nsmallest(count, slots, key=lambda s: (profiles[s].sort_name, profiles[s].sort_id))
        else:
            chosen = []
            for slot in self._name_slots:
                if slot in slots:
                    chosen.append(slot)
                    if len(chosen) == count:
                        break
        return [Exclusion(profiles[slot], exclusion_reasons(criteria, profiles[slot], now=now, previous=previous))
                for slot in chosen]

    def _tiers(self, eligible: set[int], theme_sets: list[set[int]], request_bits: int) -> list:
        """tiers[k]() gives the eligible slots sharing exactly k of the request's themes."""
        themes = len(theme_sets)
        if themes <= self.SET_TIERS_UP_TO:
            # at_least[j]: slots with at least j of the themes, built one theme at a time.
            at_least: list[set[int]] = [eligible] + [set() for _ in range(themes)]
            for theme_set in theme_sets:
                for j in range(themes, 0, -1):
                    if at_least[j - 1]:
                        at_least[j] |= at_least[j - 1] & theme_set
            return [lambda k=k: at_least[k] - at_least[k + 1] if k < themes else at_least[k]
                    for k in range(themes + 1)]
        by_count: list[list[int]] = [[] for _ in range(themes + 1)]
        profiles = self._profiles
        for slot in eligible:
            by_count[(profiles[slot].theme_bits & request_bits).bit_count()].append(slot)
        return [lambda k=k: by_count[k] for k in range(themes + 1)]


def _insert_sorted(keys: list, slots: list[int], key, slot: int) -> None:
    position = bisect.bisect_right(keys, key)
    keys.insert(position, key)
    slots.insert(position, slot)


def _remove_sorted(keys: list, slots: list[int], key, slot: int) -> None:
    position = bisect.bisect_left(keys, key)
    while slots[position] != slot:
        position += 1
    del keys[position]
    del slots[position]


class _Scorer:
    """components() and total() for one request, with every per-request quantity worked out once:
    the index scores tens of thousands of profiles per request. Gives exactly the reference's
    numbers (same fits, same rounding, same order of summation; tests compare them)."""

    def __init__(self, criteria: MatchCriteria):
        self.criteria = criteria
        self.request_bits = criteria.theme_bits
        wanted = self.request_bits.bit_count()
        self.theme_points = [round(WEIGHTS[THEME_OVERLAP] * (k / wanted if wanted else 0.0), 2)
                             for k in range(len(_THEME_BITS) + 1)]
        self.countries = criteria.countries
        self.types = criteria.organisation_types
        self.families = {TYPE_FAMILIES.get(t) for t in criteria.organisation_types}
        self.languages = criteria.working_languages
        self.target = math.log10(criteria.target_size) if criteria.target_size else None
        self._country_points: dict[str, float] = {}
        self._type_points: dict[str, float] = {}
        self.language_points = (round(WEIGHTS[SHARED_LANGUAGE] * 0.0, 2), round(WEIGHTS[SHARED_LANGUAGE] * 1.0, 2))
        self.unknown_size_points = round(WEIGHTS[SIZE_SIMILARITY] * 0.5, 2)

    def _country(self, country: str) -> float:
        points = self._country_points.get(country)
        if points is None:
            if self.countries:
                fit = 1.0 if country in self.countries else 0.0
            else:
                fit = 0.5 if country == HOME_COUNTRY else 1.0
            points = self._country_points[country] = round(WEIGHTS[COUNTRY_ELIGIBILITY] * fit, 2)
        return points

    def _type(self, organisation_type: str) -> float:
        points = self._type_points.get(organisation_type)
        if points is None:
            if not self.types or organisation_type in self.types:
                fit = 1.0
            elif TYPE_FAMILIES.get(organisation_type) in self.families:
                fit = 0.5
            else:
                fit = 0.0
            points = self._type_points[organisation_type] = round(WEIGHTS[ORGANISATION_TYPE] * fit, 2)
        return points

    def _size(self, profile: ProfileFacts) -> float:
        if self.target is None or profile.log_size is None:
            return self.unknown_size_points
        return round(WEIGHTS[SIZE_SIMILARITY] * (1.0 - min(1.0, abs(profile.log_size - self.target) / 2.0)), 2)

    def values(self, profile: ProfileFacts) -> tuple[float, ...]:
        return (
            self.theme_points[(profile.theme_bits & self.request_bits).bit_count()],
            self._country(profile.country),
            self._type(profile.organisation_type),
            self.language_points[not self.languages.isdisjoint(profile.languages)],
            self._size(profile),
            profile.capacity_points,
            profile.track_points,
        )

    def buckets(self, slots, profiles: list[ProfileFacts], theme_points: float) -> list[tuple[float, list[int]]]:
        """Slots grouped by every component but size (all take few values), with each group's best
        possible score (its points plus a perfect size), best first."""
        groups: dict[tuple[float, ...], list[int]] = {}
        country, organisation_type, languages = self._country, self._type, self.languages
        shared, not_shared = self.language_points[1], self.language_points[0]
        for slot in slots:
            profile = profiles[slot]
            key = (country(profile.country), organisation_type(profile.organisation_type),
                   not_shared if languages.isdisjoint(profile.languages) else shared, profile.capacity_points,
                   profile.track_points)
            group = groups.get(key)
            if group is None:
                groups[key] = [slot]
            else:
                group.append(slot)
        bounded = [(theme_points + sum(key) + WEIGHTS[SIZE_SIMILARITY], members) for key, members in groups.items()]
        bounded.sort(key=lambda item: -item[0])
        return bounded

    def __call__(self, profile: ProfileFacts) -> tuple[float, float]:
        """(score, theme points)."""
        values = self.values(profile)
        return round(sum(values), 2), values[0]

    def components(self, profile: ProfileFacts) -> dict[str, float]:
        return dict(zip(_COMPONENT_ORDER, self.values(profile)))


_OTHER_COMPONENTS_MAX = sum(weight for name, weight in WEIGHTS.items() if name != THEME_OVERLAP)
# A tier with more members than this many times the places asked for is scored bucket by bucket.
_BUCKET_ABOVE = 8
_COMPONENT_ORDER = (THEME_OVERLAP, COUNTRY_ELIGIBILITY, ORGANISATION_TYPE, SHARED_LANGUAGE, SIZE_SIMILARITY,
                    FREE_CAPACITY, TRACK_RECORD)
