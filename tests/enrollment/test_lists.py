"""Lists that scale (issue 18, item 8): every list of the enrollment API pages with limit + cursor
(X-Next-Cursor and a Link header; the body stays the same JSON array), sorts, searches where a
person looks for something, and refuses unknown or bad query parameters with 422 naming them."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.enrollment.domain.paging import (
    After,
    Sort,
    decode_cursor,
    encode_cursor,
    page_headers,
    page_of,
    sorts,
)
from shared.errors import RuleViolation
from tests.enrollment.helpers import assert_problem, person


# ---------------------------------------------------------------- domain

def test_a_cursor_round_trips_and_only_for_its_own_sort():
    by_start = Sort("starts_at", kind="time")
    moment, item = datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc), uuid4()
    assert decode_cursor(encode_cursor(by_start, moment, item), by_start) == After(moment, item)
    by_name = Sort("name", kind="text")
    assert decode_cursor(encode_cursor(by_name, "Šarūnas", item), by_name) == After("Šarūnas", item)
    for bad in (encode_cursor(by_name, "x", item), "not-a-cursor", "eyJzIjoic3RhcnRzX2F0In0",
                encode_cursor(by_start, "yesterday", item)):
        with pytest.raises(RuleViolation) as refused:
            decode_cursor(bad, by_start)
        assert refused.value.field == "cursor"


def test_titles_sort_in_lithuanian_alphabetical_order():
    from services.enrollment.domain.paging import lithuanian_key

    words = ["Žemė", "zuikis", "Čiurlionis", "cukrus", "Šaltinis", "Tiltas", "saulė", "ąžuolas", "ydos", "įvadas"]
    assert sorted(words, key=lithuanian_key) == ["ąžuolas", "cukrus", "Čiurlionis", "įvadas", "ydos", "saulė",
                                                 "Šaltinis", "Tiltas", "zuikis", "Žemė"]


def test_one_row_more_than_the_limit_makes_a_next_page():
    sort = sorts("arrival:int")["arrival"]
    rows = [(n, uuid4()) for n in range(1, 5)]
    assert page_of(rows[:3], 3, sort, lambda r: r).next_cursor is None
    page = page_of(rows, 3, sort, lambda r: r)
    assert page.items == rows[:3] and decode_cursor(page.next_cursor, sort) == After(3, rows[2][1])
    headers = page_headers(page.next_cursor, "/enrollment/x", {"status": "confirmed", "limit": 3})
    assert headers["X-Next-Cursor"] == page.next_cursor
    assert headers["Link"] == f'</enrollment/x?status=confirmed&limit=3&cursor={page.next_cursor}>; rel="next"'


# ---------------------------------------------------------------- HTTP

def walk(system, path, **kw):
    """Every page of a list, following X-Next-Cursor; (the items, the number of pages)."""
    items, pages, url = [], 0, path
    while True:
        reply = system.get(url, **kw)
        assert reply.status == 200, reply.body
        assert isinstance(reply.body, list)
        items += reply.body
        pages += 1
        if "X-Next-Cursor" not in reply.headers:
            return items, pages
        link = reply.headers["Link"]
        assert link.endswith('>; rel="next"') and reply.headers["X-Next-Cursor"] in link
        url = link[1:link.index(">")].removeprefix("/enrollment")


def test_courses_page_sort_and_search_in_both_languages(system):
    titles = [("Viešieji pirkimai", "Public procurement"), ("Biudžeto planavimas", "Budget planning"),
              ("Šiuolaikinė komunikacija", "Modern communication")]
    made = [system.course(title={"lt": lt, "en": en}) for lt, en in titles]
    items, pages = walk(system, "/courses?limit=2")
    assert [c["id"] for c in items] == [c["id"] for c in made] and pages == 2
    assert [c["title"]["lt"] for c in walk(system, "/courses?sort=title&limit=1")[0]] == [
        "Biudžeto planavimas", "Šiuolaikinė komunikacija", "Viešieji pirkimai"]  # Š after S, before V
    assert [c["id"] for c in system.get("/courses?sort=-created_at").body] == [c["id"] for c in reversed(made)]
    assert [c["id"] for c in system.get("/courses?q=%C5%A0IUOLAIKIN%C4%96").body] == [made[2]["id"]]  # ŠIUOLAIKINĖ
    assert [c["id"] for c in system.get("/courses?q=planning").body] == [made[1]["id"]]
    assert len(system.get("/courses?q=executing").body) == 3  # the descriptions too
    first = system.get("/courses?limit=3")
    assert "X-Next-Cursor" not in first.headers and "Link" not in first.headers  # all on one page


def test_sessions_page_through_a_keyset_that_nothing_added_meanwhile_disturbs(system):
    course = system.course()
    venues = ["Kaunas, Laisvės al. 96", "Šiauliai, Vilniaus g. 88", "Vilnius, Gedimino pr. 11"]
    made = [system.schedule(course_id=course["id"], venue=venue, starts_at=_at(10 + n), ends_at=_at(10 + n, 6))
            for n, venue in enumerate(venues)]
    first = system.get("/sessions?limit=2")
    assert [s["id"] for s in first.body] == [s["id"] for s in made[:2]]
    # A session scheduled before the cursor's place meanwhile does not shift the next page.
    system.schedule(course_id=course["id"], starts_at=_at(9), ends_at=_at(9, 6))
    second = system.get(f"/sessions?limit=2&cursor={first.headers['X-Next-Cursor']}")
    assert [s["id"] for s in second.body] == [made[2]["id"]] and "X-Next-Cursor" not in second.headers
    assert [s["id"] for s in system.get("/sessions?sort=-starts_at&limit=1").body] == [made[2]["id"]]
    assert [s["id"] for s in system.get("/sessions?q=%C5%A0IAULIAI").body] == [made[1]["id"]]  # ŠIAULIAI
    assert len(system.get("/sessions?q=biud%C5%BEeto").body) == 4  # the course title, every session of it
    assert_problem(system.get(f"/sessions?sort=-starts_at&cursor={first.headers['X-Next-Cursor']}"), 422,
                   field="cursor")


def _at(days: int, hours: int = 0) -> str:
    moment = (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    return (moment + timedelta(hours=hours)).isoformat()


def test_enrolments_and_the_waitlist_page_search_and_stay_within_the_municipality(any_system):
    system = any_system  # embedded (SQLite) and distributed (PostgreSQL): the keyset and the folding in SQL
    session = system.schedule(capacity=2)
    names = ["Šarūnas Žukauskas", "Rūta Petraitienė", "Jonas Jonaitis", "Aistė Kazlauskienė", "Eglė Žemaitė"]
    for n, name in enumerate(names):
        municipality = "57" if n == 3 else "15"
        assert system.enrol(session["id"], person(n, municipality=municipality, name=name)).status == 201
    path = f"/sessions/{session['id']}/enrollments"
    items, pages = walk(system, f"{path}?limit=2")
    assert [e["name"] for e in items] == names and pages == 3
    assert [e["name"] for e in walk(system, f"{path}?sort=name&limit=2")[0]] == sorted(names)
    assert [e["name"] for e in system.get(f"{path}?q=%C5%A1ar%C5%ABnas").body] == ["Šarūnas Žukauskas"]  # šarūnas
    assert [e["name"] for e in system.get(f"{path}?q=dalyve1%40").body] == ["Rūta Petraitienė"]  # by e-mail
    own, _ = walk(system, f"{path}?limit=1", role="municipality:15")
    assert [e["name"] for e in own] == [n for i, n in enumerate(names) if i != 3]
    waiting, pages = walk(system, f"/sessions/{session['id']}/waitlist?limit=2")
    assert [(e["name"], e["waitlist_position"]) for e in waiting] == [
        ("Jonas Jonaitis", 1), ("Aistė Kazlauskienė", 2), ("Eglė Žemaitė", 3)] and pages == 2
    kaunas, _ = walk(system, f"/sessions/{session['id']}/waitlist?limit=1", role="municipality:15")
    assert [(e["name"], e["waitlist_position"]) for e in kaunas] == [("Jonas Jonaitis", 1), ("Eglė Žemaitė", 3)]


def test_training_needs_page_and_search(system):
    made = []
    for n, text in enumerate(["Biudžeto programų vertinimas", "Mokyklų tinklo pertvarka", "Viešųjų pirkimų rizika"]):
        reply = system.post("/training-needs", {"theme": "budgeting", "region": "KU", "municipality_code": "15",
                                                "description": text}, role="municipality:15")
        made.append(reply.body["id"])
    assert [n["id"] for n in walk(system, "/training-needs?limit=2")[0]] == made
    assert [n["id"] for n in system.get("/training-needs?sort=-created_at&limit=1").body] == [made[2]]
    assert [n["id"] for n in system.get("/training-needs?q=MOKYKL%C5%B2").body] == [made[1]]


@pytest.mark.parametrize("path", ["/courses", "/sessions", "/sessions/{id}/enrollments", "/sessions/{id}/waitlist",
                                  "/certificates", "/training-needs"])
def test_every_list_refuses_unknown_and_bad_query_parameters_naming_them(system, path):
    session = system.schedule(capacity=1)
    path = path.format(id=session["id"])
    assert_problem(system.get(f"{path}?colour=blue"), 422, field="colour")
    assert_problem(system.get(f"{path}?limit=0"), 422, field="limit")
    assert_problem(system.get(f"{path}?limit=501"), 422, field="limit")
    assert_problem(system.get(f"{path}?cursor=%24%24%24"), 422, field="cursor")
    assert_problem(system.get(f"{path}?cursor=bm90LWpzb24"), 422, field="cursor")
    if "waitlist" not in path:
        assert_problem(system.get(f"{path}?sort=colour"), 422, field="sort")
        assert_problem(system.get(f"{path}?q=" + "x" * 101), 422, field="q")
    reply = system.get(f"{path}?limit=1")
    assert reply.status == 200 and isinstance(reply.body, list)


def test_the_readme_example_pages_sorts_searches_and_refuses(system):
    import os
    import re
    import subprocess
    from pathlib import Path

    from shared.auth import issue_token

    root = Path(__file__).resolve().parents[2]
    block = re.search(r"<!-- enrollment lists[^>]*-->\n(.*?)\n<!-- end of the enrollment lists -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in block.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url, "TMPDIR": str(system.settings.data_dir),
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["['Biudžeto planavimas', 'Šiuolaikinė komunikacija']", "['Viešieji pirkimai']",
                                        "['Biudžeto planavimas']", "422 colour"]
