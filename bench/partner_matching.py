"""Benchmark of partner matching against 10,000 and 100,000 organisation profiles.

    .venv/bin/python -m bench.partner_matching [--profiles 10000 100000] [--requests 300]

For each population size it makes a fresh PostgreSQL database for partners (removed afterwards),
fills it with synthetic profiles (seeded: the same every run; 31 European countries with the
donor states and Lithuania over-represented, 1-4 themes each, a tenth of them at full capacity, a
twentieth expired) and ranks the same mix of partner requests (70 % the donor states NO/IS/LI,
20 % one to three other countries, 10 % any country; 1-3 themes; 0-2 organisation types) four ways,
printing p50/p99 per request:

1. `python scan`: the reference rank() over every profile held in memory (no index);
2. `SQL prefilter`: country, capacity, expiry and themes filtered by PostgreSQL (jsonb ?|), the
   matching rows loaded and ranked in Python, per request;
3. `index`: the service's in-memory ProfileIndex, including its per-request revision check
   against the database (cold load of every profile reported separately);
4. `HTTP`: `savivalda run partners` as its own process (RabbitMQ vhost, same database), one
   request at a time: POST /partners/requests (rank, store, emit matches_proposed through the
   outbox) and GET /partners/requests/{id}/ranking?limit=20; the process loads its index when
   it starts, and the time from start to loaded is printed.
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from sqlalchemy import insert, select, text, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from services.partners.domain import matching  # noqa: E402
from services.partners.domain.rules import PROPOSAL_SIZE  # noqa: E402
from services.partners.index import IndexedProfiles  # noqa: E402
from services.partners.models import Organisation, ProfileRevision  # noqa: E402
from services.partners.repository import FACT_COLUMNS, facts_from_row  # noqa: E402
from shared import migrations  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.persistence.engines import dispose_engines, engine_for  # noqa: E402
from shared.reference import THEMES  # noqa: E402
from tests.support import TEST_SECRET, BrokerAdmin, PostgresAdmin, ProcessLauncher, http, run_cli, wait_until  # noqa: E402

DONORS = ("NO", "IS", "LI")
OTHER_COUNTRIES = ("SE", "DK", "FI", "EE", "LV", "PL", "DE", "NL", "BE", "FR", "AT", "CZ", "SK", "HU", "SI", "HR", "IT",
                   "ES", "PT", "IE", "LU", "RO", "BG", "GR", "CY", "MT", "CH")
COUNTRY_WEIGHTS = {"NO": 8, "IS": 2, "LI": 0.5, "LT": 10, **{c: 3 for c in OTHER_COUNTRIES}}
LANGUAGE_OF = {"NO": "no", "IS": "is", "LI": "de", "LT": "lt", "SE": "sv", "DK": "da", "FI": "fi", "EE": "et",
               "LV": "lv", "PL": "pl", "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "nl", "NL": "nl"}
TYPES = tuple(matching.TYPE_FAMILIES)
THEME_CODES = sorted(THEMES)
NOW = datetime.now(timezone.utc)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:7.2f} ms   p99 {percentile(values, 99) * 1000:7.2f} ms   " \
           f"mean {statistics.fmean(values) * 1000:7.2f} ms   (n={len(values)})"


# ---------------------------------------------------------------- synthetic data

def synthetic_rows(count: int, seed: int = 2026) -> list[dict]:
    generator = random.Random(seed)
    countries, weights = zip(*COUNTRY_WEIGHTS.items())
    municipality_codes = [f"{n:02d}" for n in range(1, 61)]
    rows = []
    for n in range(count):
        country = generator.choices(countries, weights)[0]
        organisation_type = "municipality" if country == "LT" and municipality_codes and generator.random() < 0.5 \
            else generator.choice(TYPES)
        code = municipality_codes.pop() if country == "LT" and organisation_type == "municipality" and \
            municipality_codes else None
        capacity = generator.randint(1, 3)
        roll = generator.random()
        active = capacity if roll < 0.1 else (generator.randint(0, capacity - 1) if roll < 0.3 else 0)
        languages = ["en"] if generator.random() < 0.7 else []
        languages.append(LANGUAGE_OF.get(country, "en"))
        created = NOW - timedelta(days=generator.randint(0, 360))
        rows.append({
            "id": uuid.UUID(int=generator.getrandbits(128)), "name": f"{country} {organisation_type} {n}",
            "country": country, "region": None, "municipality_code": code,
            "organisation_type": organisation_type,
            "size": int(10 ** generator.uniform(1.5, 6.3)) if generator.random() < 0.85 else None,
            "themes": generator.sample(THEME_CODES, generator.randint(1, 4)), "languages": sorted(set(languages)),
            "description": None, "contact_name": None, "contact_email": None, "contact_language": "en",
            "capacity": capacity, "past_cooperation": [{"partner": "x"}] * generator.randint(0, 2),
            "active_partnerships": active, "partnerships_total": active + generator.randint(0, 2),
            "expires_at": NOW - timedelta(days=1) if generator.random() < 0.05 else created + timedelta(days=365),
            "renewal_reminded_for": None, "revision": n + 1, "created_at": created, "updated_at": created,
        })
    return rows


def synthetic_requests(count: int, seed: int = 7) -> list[dict]:
    generator = random.Random(seed)
    requests = []
    for _ in range(count):
        roll = generator.random()
        countries = list(DONORS) if roll < 0.7 else (
            generator.sample(OTHER_COUNTRIES, generator.randint(1, 3)) if roll < 0.9 else [])
        requests.append({
            "themes": generator.sample(THEME_CODES, generator.randint(1, 3)), "countries": countries,
            "organisation_types": generator.sample(TYPES, generator.randint(0, 2)),
            "languages": generator.sample(["en", "no"], generator.randint(0, 1)),
            "preferred_size": generator.choice([None, 20000, 150000]),
            "municipality_code": f"{generator.randint(1, 60):02d}",
        })
    return requests


def criteria_of(request: dict) -> matching.MatchCriteria:
    return matching.MatchCriteria(
        themes=frozenset(request["themes"]), countries=frozenset(request["countries"]),
        organisation_types=frozenset(request["organisation_types"]), languages=frozenset(request["languages"]),
        target_size=request["preferred_size"], municipality_code=request["municipality_code"])


def fill(url: str, rows: list[dict]) -> float:
    started = time.perf_counter()
    engine = engine_for(url)
    with Session(engine) as session:
        for chunk in range(0, len(rows), 5000):
            session.execute(insert(Organisation), rows[chunk:chunk + 5000])
        session.execute(update(ProfileRevision).where(ProfileRevision.id == 1).values(value=len(rows)))
        session.commit()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE organisations"))
    return time.perf_counter() - started


# ---------------------------------------------------------------- the four ways

def python_scan(profiles: list[matching.ProfileFacts], requests: list[dict]) -> list[float]:
    times = []
    for request in requests:
        started = time.perf_counter()
        matching.rank(criteria_of(request), profiles, now=datetime.now(timezone.utc), limit=PROPOSAL_SIZE)
        times.append(time.perf_counter() - started)
    return times


def sql_prefilter(url: str, requests: list[dict]) -> tuple[list[float], list[int]]:
    engine = engine_for(url)
    times, loaded = [], []
    for request in requests:
        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        with Session(engine) as session:
            query = select(*FACT_COLUMNS).where(
                Organisation.expires_at > now, Organisation.active_partnerships < Organisation.capacity,
                text("CAST(organisations.themes AS jsonb) ?| :themes").bindparams(themes=request["themes"]))
            if request["countries"]:
                query = query.where(Organisation.country.in_(request["countries"]))
            rows = session.execute(query).all()
        matching.rank(criteria_of(request), (facts_from_row(r) for r in rows), now=now, limit=PROPOSAL_SIZE)
        times.append(time.perf_counter() - started)
        loaded.append(len(rows))
    return times, loaded


def in_memory_index(url: str, requests: list[dict]) -> tuple[float, list[float], list[int]]:
    indexed = IndexedProfiles(engine_for(url))
    started = time.perf_counter()
    indexed.refresh()
    cold = time.perf_counter() - started
    times, eligible = [], []
    for request in requests:
        started = time.perf_counter()
        ranking = indexed.rank(criteria_of(request), now=datetime.now(timezone.utc), limit=PROPOSAL_SIZE)
        times.append(time.perf_counter() - started)
        eligible.append(ranking.eligible)
    return cold, times, eligible


def over_http(url: str, requests: list[dict], work: Path, profiles: int) -> dict:
    broker = BrokerAdmin()
    vhost = broker.add_vhost()
    env = {"SAVIVALDA_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}", "SAVIVALDA_AUTH_SECRET": TEST_SECRET,
           "SAVIVALDA_PARTNERS_DATABASE_URL": url, "SAVIVALDA_LOG_LEVEL": "WARNING"}
    launcher = ProcessLauncher(env, work)
    staff = issue_token(TEST_SECRET, subject="bench", role="staff")
    deadline = (date.today() + timedelta(days=60)).isoformat()
    try:
        done = run_cli("migrate", "partners", env=env)
        assert done.returncode == 0, done.stderr
        started = time.perf_counter()
        partners = launcher.start("partners")
        base = f"{partners.base_url}/partners"
        # The process loads its index at start, in the background: wait until that is done.
        wait_until(lambda: partners.metric("savivalda_partner_index_profiles") == profiles, timeout=120,
                   interval=0.05, message="the index to load")
        warm_up = time.perf_counter() - started
        posts, gets, ids = [], [], []
        for n, request in enumerate(requests):
            body = {**request, "title": {"lt": f"Projektas {n}"}, "deadline": deadline}
            started = time.perf_counter()
            reply = http("POST", f"{base}/requests", body, token=staff)
            elapsed = time.perf_counter() - started
            assert reply.status == 201, reply.body
            posts.append(elapsed)
            ids.append(reply.body["id"])
        for request_id in ids:
            started = time.perf_counter()
            reply = http("GET", f"{base}/requests/{request_id}/ranking?limit=20", token=staff)
            gets.append(time.perf_counter() - started)
            assert reply.status == 200, reply.body
        return {"warm_up": warm_up, "post": posts, "get": gets}
    finally:
        launcher.stop_all()
        broker.delete_vhost(vhost)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--requests", type=int, default=300, help="partner requests ranked per way and size")
    parser.add_argument("--scan-requests", type=int, default=40, help="requests for the slow python scan")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement (no RabbitMQ needed)")
    args = parser.parse_args(argv)

    postgres = PostgresAdmin()
    requests = synthetic_requests(args.requests)
    work = Path(tempfile.mkdtemp(prefix="savivalda-bench-partners-"))
    for count in args.profiles:
        name = f"savivalda_bench_partners_{uuid.uuid4().hex[:6]}"
        url = postgres.create(name)
        try:
            migrations.upgrade("partners", url)
            rows = synthetic_rows(count)
            print(f"\n== {count:,} profiles (filled in {fill(url, rows):.1f} s)")
            profiles = [facts_from_row(SimpleNamespace(**row)) for row in rows]
            del rows
            scan = python_scan(profiles, requests[:args.scan_requests])
            print(f"python scan      {summary(scan)}")
            del profiles
            prefilter, loaded = sql_prefilter(url, requests)
            print(f"SQL prefilter    {summary(prefilter)}   rows loaded p50 {percentile(loaded, 50):,.0f}")
            cold, index_times, eligible = in_memory_index(url, requests)
            print(f"index            {summary(index_times)}   eligible p50 {percentile(eligible, 50):,.0f}"
                  f"   (cold load {cold:.2f} s)")
            if not args.no_http:
                dispose_engines()
                measured = over_http(url, requests, work, count)
                print(f"HTTP POST        {summary(measured['post'])}   (process start to index loaded: "
                      f"{measured['warm_up']:.1f} s)")
                print(f"HTTP GET ranking {summary(measured['get'])}")
        finally:
            dispose_engines()
            postgres.drop(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
