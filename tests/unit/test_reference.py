from shared.reference import MUNICIPALITIES, REGIONS, THEMES


def test_sixty_municipalities_with_iso_codes_in_ten_counties():
    assert sorted(MUNICIPALITIES) == [f"{n:02d}" for n in range(1, 61)]
    assert len(REGIONS) == 10
    per_region = {code: 0 for code in REGIONS}
    for municipality in MUNICIPALITIES.values():
        per_region[municipality.region] += 1
        assert municipality.name_lt.endswith("savivaldybė") and municipality.name_en.endswith("Municipality")
    assert min(per_region.values()) >= 4 and sum(per_region.values()) == 60
    assert MUNICIPALITIES["57"].name_en == "Vilnius City Municipality" and MUNICIPALITIES["57"].region == "VL"


def test_theme_vocabulary_has_both_languages():
    for required in ("budgeting", "personnel_management", "citizen_participation", "strategic_planning",
                     "economic_development", "public_service_quality", "anti_corruption", "council_members_duties"):
        assert required in THEMES
    assert all(t.label_lt and t.label_en and t.label_lt != t.label_en for t in THEMES.values())
