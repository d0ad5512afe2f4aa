"""The ranking's rules, pinned: each component's value, the hard exclusions and their reasons,
the order of ties, and that the in-memory index ranks exactly as the reference does."""

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.partners.domain import matching as m
from services.partners.domain.matching import MatchCriteria, ProfileFacts, ProfileIndex, evaluate, rank

NOW = datetime(2026, 11, 24, 8, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=200)


def profile(name="Hordaland county council", *, country="NO", organisation_type="county_council",
            themes=("regional_development", "public_service_quality"), languages=("no", "en"), size=520000,
            capacity=2, active=0, track=0, expires_at=LATER, municipality_code=None, id=None) -> ProfileFacts:
    return ProfileFacts(id=id or uuid.uuid5(uuid.NAMESPACE_URL, name), name=name, country=country,
                        organisation_type=organisation_type, themes=frozenset(themes), languages=frozenset(languages),
                        size=size, capacity=capacity, active_partnerships=active, track_record=track,
                        expires_at=expires_at, municipality_code=municipality_code)


def criteria(**changes) -> MatchCriteria:
    values = dict(themes=frozenset({"regional_development", "public_service_quality"}), countries=frozenset({"NO"}),
                  organisation_types=frozenset({"county_council"}), languages=frozenset({"en"}), target_size=520000,
                  municipality_code="15")
    values.update(changes)
    return MatchCriteria(**values)


def points(candidate_profile, **changes):
    verdict = evaluate(criteria(**changes), candidate_profile, now=NOW)
    assert isinstance(verdict, m.Candidate), verdict
    return verdict


def test_a_perfect_fit_scores_every_component_fully_and_the_score_is_their_sum():
    verdict = points(profile(track=3))
    assert verdict.components == {"theme_overlap": 35.0, "country_eligibility": 15.0, "organisation_type": 15.0,
                                  "shared_language": 10.0, "size_similarity": 10.0, "free_capacity": 10.0,
                                  "track_record": 5.0}
    assert verdict.score == 100.0
    assert set(verdict.components) == set(m.WEIGHTS)


def test_theme_overlap_is_the_share_of_the_requested_themes():
    one_of_two = points(profile(themes=("regional_development", "culture_tourism")))
    assert one_of_two.components["theme_overlap"] == 17.5
    one_of_three = points(profile(themes=("regional_development",)),
                          themes=frozenset({"regional_development", "education", "health_care"}))
    assert one_of_three.components["theme_overlap"] == 11.67


def test_organisation_type_fits_fully_half_for_the_same_family_and_not_at_all_otherwise():
    assert points(profile(organisation_type="municipality")).components["organisation_type"] == 7.5
    assert points(profile(organisation_type="public_agency")).components["organisation_type"] == 7.5
    assert points(profile(organisation_type="university")).components["organisation_type"] == 0.0
    assert points(profile(organisation_type="university"), organisation_types=frozenset()).components[
        "organisation_type"] == 15.0


def test_shared_language_defaults_to_english_when_the_request_names_none():
    assert points(profile(languages=("no",))).components["shared_language"] == 0.0
    assert points(profile(languages=("no",)), languages=frozenset({"no"})).components["shared_language"] == 10.0
    assert points(profile(languages=("en",)), languages=frozenset()).components["shared_language"] == 10.0
    assert points(profile(languages=("no",)), languages=frozenset()).components["shared_language"] == 0.0


def test_size_similarity_on_a_log_scale_and_neutral_when_unknown():
    assert points(profile(size=52000)).components["size_similarity"] == 5.0  # ten times smaller
    assert points(profile(size=5200)).components["size_similarity"] == 0.0  # a hundred times
    assert points(profile(size=5200000)).components["size_similarity"] == 5.0
    assert points(profile(size=None)).components["size_similarity"] == 5.0
    assert points(profile(), target_size=None).components["size_similarity"] == 5.0


def test_free_capacity_and_track_record():
    assert points(profile(capacity=4, active=1)).components["free_capacity"] == 7.5
    assert points(profile(track=1)).components["track_record"] == 1.67
    assert points(profile(track=2)).components["track_record"] == 3.33
    assert points(profile(track=9)).components["track_record"] == 5.0


def test_country_without_a_wish_prefers_a_foreign_partner():
    open_request = dict(countries=frozenset())
    assert points(profile(country="IS"), **open_request).components["country_eligibility"] == 15.0
    assert points(profile(country="LT"), **open_request).components["country_eligibility"] == 7.5


@pytest.mark.parametrize("changes, previous, reasons", [
    (dict(country="SE"), None, ("ineligible_country",)),
    (dict(capacity=2, active=2), None, ("full_capacity",)),
    (dict(expires_at=NOW), None, ("profile_expired",)),
    (dict(themes=("culture_tourism",)), None, ("no_shared_theme",)),
    (dict(country="LT", municipality_code="15"), None, ("requester_itself", "ineligible_country")),
    ({}, "declined", ("declined",)),
    ({}, "pending", ("already_introduced",)),
    ({}, "expired", ("already_introduced",)),
    (dict(country="DK", capacity=1, active=1, expires_at=NOW - timedelta(days=1)), "declined",
     ("ineligible_country", "full_capacity", "profile_expired", "declined")),
])
def test_hard_rules_exclude_with_every_reason(changes, previous, reasons):
    candidate = profile(**changes)
    verdict = evaluate(criteria(), candidate, now=NOW, previous={candidate.id: previous} if previous else None)
    assert isinstance(verdict, m.Exclusion)
    assert verdict.reasons == reasons


def test_ranking_orders_by_score_and_lists_and_counts_the_exclusions():
    best = profile("Hordaland county council", track=3)
    second = profile("Western Norway Research Institute", organisation_type="research_institute", size=30)
    full = profile("Viken county council", capacity=1, active=1)
    swedish = profile("Region Skåne", country="SE")
    unrelated = profile("Oslo Opera", themes=("culture_tourism",))
    declined = profile("Vestland county council")
    ranking = rank(criteria(), [unrelated, second, declined, full, swedish, best], now=NOW,
                   previous={declined.id: "declined"})
    assert [c.profile.name for c in ranking.candidates] == ["Hordaland county council",
                                                            "Western Norway Research Institute"]
    assert [c.rank for c in ranking.candidates] == [1, 2]
    assert ranking.candidates[1].score == 35 + 15 + 0 + 10 + 0 + 10 + 0
    # listed: shares a theme and is in a wanted country; counted: everything excluded
    assert [(e.profile.name, e.reasons) for e in ranking.excluded] == [
        ("Vestland county council", ("declined",)), ("Viken county council", ("full_capacity",))]
    assert ranking.excluded_counts == {"declined": 1, "full_capacity": 1, "ineligible_country": 1,
                                       "no_shared_theme": 1}
    assert (ranking.considered, ranking.eligible) == (6, 2)


def test_ties_break_on_theme_points_then_name_then_id():
    # Same score (62.5) reached two ways: all themes but no shared language and less free capacity,
    # or half the themes with the language, full capacity and a track record.
    all_themes = profile("Zeta institute", languages=("no",), capacity=4, active=1, size=None)
    half = profile("Alpha institute", themes=("regional_development",), track=3, size=None)
    same_a = profile("Beta council", size=None, id=uuid.UUID(int=2))
    same_b = profile("beta council", size=None, id=uuid.UUID(int=1))
    request = criteria(organisation_types=frozenset({"ngo"}))
    ranking = rank(request, [same_a, half, all_themes, same_b], now=NOW)
    scores = {c.profile.name: c.score for c in ranking.candidates}
    assert scores["Zeta institute"] == scores["Alpha institute"] == 62.5
    assert scores["Beta council"] == 75.0
    assert scores["Beta council"] == scores["beta council"]
    assert [c.profile.name for c in ranking.candidates] == ["beta council", "Beta council", "Zeta institute",
                                                            "Alpha institute"]


def test_the_same_data_in_any_order_gives_the_same_ranking():
    population = synthetic_profiles(300, seed=1)
    request = criteria(countries=frozenset({"NO", "IS", "LI"}), organisation_types=frozenset())
    first = rank(request, population, now=NOW, limit=25)
    shuffled = list(population)
    random.Random(7).shuffle(shuffled)
    again = rank(request, shuffled, now=NOW, limit=25)
    assert [(c.profile.id, c.score, c.components) for c in first.candidates] == \
           [(c.profile.id, c.score, c.components) for c in again.candidates]
    assert first.excluded_counts == again.excluded_counts


COUNTRIES = ("NO", "IS", "LI", "LT", "SE", "PL", "DK", "FI")


def synthetic_profiles(count: int, seed: int) -> list[ProfileFacts]:
    generator = random.Random(seed)
    themes = sorted(m._THEME_BITS)
    profiles = []
    for n in range(count):
        country = generator.choice(COUNTRIES)
        capacity = generator.randint(1, 3)
        profiles.append(profile(
            f"Organisation {generator.randint(0, count // 3)}", id=uuid.UUID(int=generator.getrandbits(128)),
            country=country, organisation_type=generator.choice(tuple(m.TYPE_FAMILIES)),
            themes=generator.sample(themes, generator.randint(1, 4)),
            languages=generator.sample(("en", "no", "lt", "pl", "is"), generator.randint(1, 2)),
            size=generator.choice((None, generator.randint(10, 900000))), capacity=capacity,
            active=generator.randint(0, capacity), track=generator.randint(0, 4),
            expires_at=NOW + timedelta(days=generator.randint(-30, 300)),
            municipality_code=f"{generator.randint(1, 60):02d}" if country == "LT" and n % 2 else None,
        ))
    return profiles


@pytest.mark.parametrize("seed", range(6))
def test_the_index_ranks_exactly_as_the_reference(seed):
    population = synthetic_profiles(600, seed)
    index = ProfileIndex()
    if seed % 2:
        index.put_many(population)
    else:
        for p in population:
            index.put(p)
    # a few profiles change after loading: the index keeps its sets and orders right
    for changed in random.Random(seed).sample(range(len(population)), 30):
        old = population[changed]
        population[changed] = profile(old.name[::-1], id=old.id, country="NO", capacity=2, active=seed % 3,
                                      themes=("regional_development", "education"), expires_at=NOW + timedelta(
                                          days=(changed % 5) - 2))
        index.put(population[changed])
    generator = random.Random(seed)
    for _ in range(5):
        request = MatchCriteria(
            themes=frozenset(generator.sample(sorted(m._THEME_BITS), generator.choice((1, 2, 3, 7)))),
            countries=frozenset(generator.sample(COUNTRIES, generator.randint(0, 3))),
            organisation_types=frozenset(generator.sample(tuple(m.TYPE_FAMILIES), generator.randint(0, 2))),
            languages=frozenset(generator.sample(("en", "no", "lt"), generator.randint(0, 1))),
            target_size=generator.choice((None, 30000)),
            municipality_code=generator.choice((None, f"{generator.randint(1, 60):02d}")),
        )
        previous = {p.id: generator.choice(("declined", "pending", "expired"))
                    for p in generator.sample(population, 20)}
        expected = rank(request, population, now=NOW, previous=previous, limit=30)
        got = index.rank(request, now=NOW, previous=previous, limit=30)
        assert [(c.profile.id, c.score, c.components, c.rank) for c in got.candidates] == \
               [(c.profile.id, c.score, c.components, c.rank) for c in expected.candidates]
        assert [(e.profile.id, e.reasons) for e in got.excluded] == [(e.profile.id, e.reasons) for e in expected.excluded]
        assert got.excluded_counts == expected.excluded_counts
        assert (got.considered, got.eligible) == (expected.considered, expected.eligible)
        # a short list of exclusions is picked by walking the name order instead of sorting
        # and few places asked for: big tiers are scored group by group, stopping early
        few = index.rank(request, now=NOW, previous=previous, limit=5, explain_limit=2)
        assert [(e.profile.id, e.reasons) for e in few.excluded] == [(e.profile.id, e.reasons)
                                                                     for e in expected.excluded[:2]]
        assert [(c.profile.id, c.score, c.components) for c in few.candidates] == \
               [(c.profile.id, c.score, c.components) for c in expected.candidates[:5]]


def test_the_index_takes_changed_profiles_in_place():
    index = ProfileIndex()
    hordaland = profile(track=1)
    index.put(hordaland)
    assert [c.profile.name for c in index.rank(criteria(), now=NOW).candidates] == ["Hordaland county council"]
    full = profile(track=1, capacity=1, active=1)
    index.put(full)
    ranking = index.rank(criteria(), now=NOW)
    assert ranking.candidates == [] and ranking.excluded_counts == {"full_capacity": 1}
    moved = profile(track=1, themes=("culture_tourism",), country="SE")
    index.put(moved)
    assert index.rank(criteria(), now=NOW).excluded_counts == {"no_shared_theme": 1}
    assert len(index) == 1


def test_early_stopping_never_changes_the_top_places():
    # Many ties (few names, sizes and themes): the groups' bounds meet the last place's score often.
    population = synthetic_profiles(3000, seed=99)
    index = ProfileIndex()
    index.put_many(population)
    generator = random.Random(99)
    for _ in range(20):
        request = MatchCriteria(themes=frozenset(generator.sample(sorted(m._THEME_BITS), generator.randint(1, 2))),
                                countries=frozenset(generator.sample(COUNTRIES, generator.randint(0, 2))),
                                organisation_types=frozenset(generator.sample(tuple(m.TYPE_FAMILIES), 1)))
        for limit in (1, 3, 10):
            expected = rank(request, population, now=NOW, limit=limit)
            got = index.rank(request, now=NOW, limit=limit)
            assert [(c.profile.id, c.score) for c in got.candidates] == \
                   [(c.profile.id, c.score) for c in expected.candidates]


def test_a_group_whose_bound_equals_the_last_place_is_still_scored_for_the_name_tie_break():
    # Two groups with the same best possible score (100 − 10 = 90, reached: perfect size): the
    # first scored holds "Zeta", the second holds "Alpha", which must win the tie on its name.
    zeta = profile("Zeta council", languages=("no",), capacity=1, track=3, size=520000)  # no language, a record
    alpha = profile("Alpha council", capacity=2, active=1, track=0, size=520000)  # language, half free, no record
    fillers = [profile(f"Filler {n}", organisation_type="company", languages=("pl",), size=None) for n in range(12)]
    index = ProfileIndex()
    for p in [zeta, alpha, *fillers]:
        index.put(p)
    request = criteria()
    expected = rank(request, [zeta, alpha, *fillers], now=NOW, limit=1)
    assert [(c.profile.name, c.score) for c in expected.candidates] == [("Alpha council", 90.0)]
    assert evaluate(request, zeta, now=NOW).score == 90.0
    assert [(c.profile.name, c.score) for c in index.rank(request, now=NOW, limit=1).candidates] == \
           [("Alpha council", 90.0)]


def test_a_bulk_load_keeps_the_last_version_of_a_profile():
    index = ProfileIndex()
    assert index.put_many([profile(track=1), profile(track=1, capacity=1, active=1)]) == 1
    assert index.rank(criteria(), now=NOW).excluded_counts == {"full_capacity": 1}
