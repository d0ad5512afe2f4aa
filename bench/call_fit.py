"""Benchmark of the explained call fit over HTTP: one municipality against 500 calls, and all 60.

    .venv/bin/python -m bench.call_fit [--calls 500] [--requests 200] [--rounds 2]

Makes a fresh PostgreSQL database for grants (removed afterwards), migrates it, fills it with
seeded synthetic calls (the same every run: open, forecast and a few closed; 1-4 themes, 1-3
applicant types, none or 1-3 counties, amount ranges, funding rates, partner requirements, one- and
two-stage deadlines), starts `python -m services.cli run grants` as its own process (fresh RabbitMQ
vhost) and asks `GET /grants/fit` with a municipality token, one request at a time, each on a new
connection, as three kinds of client:

- **plain**: no Accept-Encoding, no If-None-Match: the whole 956 KiB document every time (the
  figure the goals were set on);
- **gzip**: `Accept-Encoding: gzip`, as every browser and HTTP library sends it; the time includes
  decompressing the body, and the decoded body must equal the plain client's;
- **conditional**: a client that keeps the answer it got and asks again with `If-None-Match: <its
  ETag>` (and `Accept-Encoding: gzip`), as a browser revalidates; nothing changed in between, so
  each answer must be 304 (no body).

For each kind, in this order:

1. `--requests` times for Kaunas (15) with the same idea: p50, p99, max;
2. once for each of the 60 municipalities (each with its own token): the total time.

Each round repeats all (the first round's first request is the process's first call fit and is
reported separately as "first"). There is no hand-written baseline: the goal is absolute (p99 <
20 ms, all 60 < 1 s, set on the plain client). Prints the load average before and after each round.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import insert

from services.grants.domain.rules import APPLICANT_TYPES
from services.grants.models import FundingCall
from shared.auth import issue_token
from shared.persistence.engines import dispose_engines, engine_for
from shared.reference import MUNICIPALITIES, REGIONS, THEMES
from tests.support import TEST_SECRET, BrokerAdmin, PostgresAdmin, free_port, port_open, wait_until
from tests.support import http as http_json

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = ("NO", "IS", "LI", "PL", "LV", "EE", "DE", "SE")


def synthetic_calls(count: int, seed: int = 16) -> list[dict]:
    rng = random.Random(seed)
    themes, regions = sorted(THEMES), sorted(REGIONS)
    today = date.today()
    rows = []
    for n in range(count):
        status = rng.choices(("open", "forecast", "closed"), (70, 25, 5))[0]
        opens = today + timedelta(days=rng.randint(5, 90) if status == "forecast" else -rng.randint(1, 200))
        closes = opens + timedelta(days=rng.randint(20, 240))
        if status == "closed":
            closes = today - timedelta(days=rng.randint(1, 60))
        two_stage = rng.random() < 0.2
        low = Decimal(rng.choice((0, 5000, 10000, 20000, 50000)))
        high = low + Decimal(rng.choice((20000, 50000, 100000, 500000)))
        partner = rng.random() < 0.3
        rows.append(dict(
            id=uuid.UUID(int=rng.getrandbits(128)), code=f"LT-BENCH-{n:04d}", funder=rng.choice(
                ("Norway Grants", "EEA Grants", "Interreg", "ESF+", "CPVA")),
            title={"lt": f"Kvietimas nr. {n}", "en": f"Call no. {n}"},
            summary={"lt": "Santrauka.", "en": "Summary."},
            themes=rng.sample(themes, rng.randint(1, 4)),
            eligible_applicant_types=rng.sample(APPLICANT_TYPES, rng.randint(1, 3)),
            eligible_regions=[] if rng.random() < 0.4 else rng.sample(regions, rng.randint(1, 3)),
            opens_on=opens, closes_on=closes,
            first_stage_closes_on=opens + timedelta(days=rng.randint(10, 19)) if two_stage else None,
            min_grant_eur=low or None, max_grant_eur=high,
            max_funding_rate=rng.choice((None, Decimal("0.5"), Decimal("0.85"), Decimal("0.9"), Decimal("1"))),
            foreign_partner_required=partner,
            partner_countries=rng.sample(COUNTRIES, rng.randint(1, 3)) if partner else [],
            status=status, created_at=datetime.now(timezone.utc), required_documents=[],
            partner_organisation_types=[], concept_note_documents=[]))
    return rows


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


FIT_PATH = "/grants/fit?" + urlencode({"themes": "public_service_quality", "total_cost_eur": "120000"})


CLIENTS = ("plain", "gzip", "conditional")


def fit(port: int, token: str, client: str = "plain", etag: str | None = None) -> tuple[float, int, bytes, str]:
    """One request on a new connection, as a browser or script would make it: the time from connect
    to the last byte of the body, decompressed when it came gzip-encoded (the client's JSON decoding
    is not counted); status, body (decoded) and ETag."""
    headers = {"Authorization": f"Bearer {token}"}
    if client in ("gzip", "conditional"):
        headers["Accept-Encoding"] = "gzip"
    if client == "conditional":
        headers["If-None-Match"] = etag
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", FIT_PATH, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    finally:
        connection.close()
    return time.perf_counter() - started, response.status, body, response.getheader("ETag")


class Clients:
    """What each municipality's clients got: the body (every kind must get the same document), and
    the ETag of the gzip-encoded answer, which the conditional client keeps and sends back."""

    def __init__(self, port: int):
        self.port = port
        self.bodies: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}

    def ask(self, code: str, token: str, client: str) -> float:
        """One request as `client`; the time, after checking the answer."""
        if client == "conditional" and code not in self.etags:  # the client's first visit: not timed
            self.ask(code, token, "gzip")
        elapsed, status, body, etag = fit(self.port, token, client, self.etags.get(code))
        if client == "conditional":
            assert (status, body, etag) == (304, b"", self.etags[code]), (code, status, etag, self.etags[code])
            return elapsed
        assert status == 200, (client, code, status, body[:300])
        if code in self.bodies:
            assert body == self.bodies[code], (client, code)  # the same document (nothing changed)
        else:
            assert json.loads(body)["municipality_code"] == code, code
            self.bodies[code] = body
        if client == "gzip":
            self.etags[code] = etag
        return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200, help="requests for one municipality per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", default=",".join(CLIENTS),
                        help=f"which kinds of client, in order (default: {','.join(CLIENTS)})")
    args = parser.parse_args(argv)
    clients = args.clients.split(",")
    assert set(clients) <= set(CLIENTS), clients

    postgres, broker = PostgresAdmin(), BrokerAdmin()
    name = f"savivalda_bench_fit_{uuid.uuid4().hex[:6]}"
    url = postgres.create(name)
    vhost = broker.add_vhost()
    work = Path(tempfile.mkdtemp(prefix="savivalda-bench-fit-"))
    process = None
    try:
        http_port, ops_port = free_port(), free_port()
        env = {**os.environ, "SAVIVALDA_AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
               "SAVIVALDA_AUTH_SECRET": TEST_SECRET, "SAVIVALDA_GRANTS_DATABASE_URL": url,
               "SAVIVALDA_LOG_LEVEL": "WARNING", "SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
               "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{ops_port}"}
        # Both from the scratch folder, so that with PYTHONPATH=<another checkout> both are its code.
        done = subprocess.run([sys.executable, "-m", "services.cli", "migrate", "grants"], env=env,
                              capture_output=True, text=True, cwd=str(work))
        assert done.returncode == 0, done.stderr
        with engine_for(url).begin() as connection:
            connection.execute(insert(FundingCall), synthetic_calls(args.calls))
        dispose_engines()
        log = open(work / "grants.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "grants"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, cwd=str(work))
        wait_until(lambda: port_open("127.0.0.1", ops_port, 0.2)
                   and http_json("GET", f"http://127.0.0.1:{ops_port}/health/ready").status == 200,
                   timeout=120, interval=0.2, message="grants to be ready")
        kaunas = issue_token(TEST_SECRET, subject="bench", role="municipality:15")
        tokens = {code: issue_token(TEST_SECRET, subject="bench", role=f"municipality:{code}")
                  for code in sorted(MUNICIPALITIES)}
        print(f"{args.calls} calls, {len(tokens)} municipalities; grants from "
              f"{os.environ.get('PYTHONPATH') or ROOT} at "
              f"{subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=os.environ.get('PYTHONPATH') or ROOT, capture_output=True, text=True).stdout.strip()}")
        asking = Clients(http_port)
        elapsed = asking.ask("15", kaunas, "gzip" if clients == ["conditional"] else clients[0])
        print(f"first request {ms(elapsed)} ({len(json.loads(asking.bodies['15'])['calls'])} calls assessed, "
              f"{len(asking.bodies['15']) / 1024:.0f} KiB)")
        for round_ in range(1, args.rounds + 1):
            for client in clients:
                before = load()
                times = [asking.ask("15", kaunas, client) for _ in range(args.requests)]
                all_60 = sum(asking.ask(code, token, client) for code, token in tokens.items())
                print(f"round {round_}, {client:>11} client: one municipality p50 {ms(statistics.median(times))} "
                      f"p99 {ms(percentile(times, 99))} max {ms(max(times))} ({len(times)} requests); "
                      f"all {len(tokens)} municipalities {all_60:.2f} s; load {before} -> {load()}")
        return 0
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        dispose_engines()
        broker.delete_vhost(vhost)
        postgres.drop(name)


if __name__ == "__main__":
    raise SystemExit(main())
