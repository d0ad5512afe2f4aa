"""Issue 17: the public catalogue of funding calls as a browser gets it — open and forecast calls
in Lithuanian or English, filters as a GET form, pages, the same list as JSON."""

import requests

from services.grants.pages import PAGE_SIZE, PAGES
from tests.grants.helpers import call_body, create, day

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def page(system, query="", **headers):
    return requests.get(f"{system.base_url}/grants/catalogue{query}", headers={**BROWSER, **headers}, timeout=30)


def test_every_page_text_is_in_both_languages():
    assert PAGES.catalogue.missing() == []


def test_open_and_forecast_calls_in_both_languages_with_filters_pages_and_json(grants_system):
    norway = create(grants_system, "/grants/calls", call_body())
    forecast = create(grants_system, "/grants/calls", call_body(
        "LT-ESF-2027-02", funder="ES fondai", source_kind="eu_funds", status="forecast", opens_on=day(30),
        closes_on=day(120), themes=["digital_government"], eligible_regions=[], foreign_partner_required=False,
        partner_countries=[], title={"lt": "Skaitmeninė savivalda", "en": "Digital local government"}))
    create(grants_system, "/grants/calls", call_body("LT-OLD-2026", status="closed", closes_on=day(-1),
                                                     title={"lt": "Pasibaigęs", "en": "Ended call"}))

    english = page(grants_system, "?lang=en")
    assert english.status_code == 200 and '<html lang="en">' in english.text
    text = english.text
    assert "Capacity-building of municipalities" in text and "Digital local government" in text
    assert "Ended call" not in text and text.count("<article") == 2
    assert "Open" in text and "Forthcoming" in text and "60 days left" in text
    assert "€20\u202f000–200\u202f000" in text and "up to 85% of eligible cost" in text
    assert "Kaunas County" in text and "All of Lithuania" in text and "A foreign partner is required" in text
    assert "format=json" in text and "/grants/openapi.json" in text

    lithuanian = page(grants_system, "", **{"Accept-Language": "lt"})
    assert "Finansavimo kvietimai" in lithuanian.text and "liko 60 d." in lithuanian.text
    assert "Numatomas" in lithuanian.text and "Visa Lietuva" in lithuanian.text

    only_forecast = page(grants_system, "?lang=en&status=forecast&theme=&source_kind=")
    assert only_forecast.text.count("<article") == 1 and "Digital local government" in only_forecast.text
    by_theme = page(grants_system, "?theme=anti_corruption")
    assert by_theme.text.count("<article") == 1 and "Savivaldybių gebėjimų stiprinimas" in by_theme.text
    by_source = page(grants_system, "?source_kind=eu_funds&lang=en")
    assert by_source.text.count("<article") == 1 and "Digital local government" in by_source.text

    bad = page(grants_system, "?status=closed&lang=en")
    assert bad.status_code == 422 and "status" in bad.text and bad.headers["Content-Type"].startswith("text/html")
    assert page(grants_system, "?theme=astrology").status_code == 422

    data = requests.get(f"{grants_system.base_url}/grants/catalogue", timeout=30)
    assert data.headers["Content-Type"].startswith("application/json")
    assert [c["id"] for c in data.json()["calls"]] == [norway["id"], forecast["id"]]  # soonest deadline first
    assert page(grants_system, "?format=json").json()["total"] == 2

    for n in range(PAGE_SIZE):
        create(grants_system, "/grants/calls", call_body(f"LT-X-{n:02d}", closes_on=day(200 + n)))
    first = page(grants_system, "?lang=en")
    assert first.text.count("<article") == PAGE_SIZE and "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = page(grants_system, "?lang=en&page=2")
    assert second.text.count("<article") == 2 and 'rel="prev"' in second.text
