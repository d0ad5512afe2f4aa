"""Issue 13 on the embedded system: data files for the owner only, token lifetimes at the CLI and
the API, rate limits of public routes."""

import stat
import time

import jwt

from shared.auth import ALGORITHM, ISSUER
from tests.support import EmbeddedSystem, TEST_SECRET, http, run_cli


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_embedded_data_files_are_readable_by_their_owner_only(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data")
    try:
        staff = system.token()
        reply = http("POST", f"{system.base_url}/notifications/recipients",
                     {"email": "ona@kaunas.lt", "name": "Ona", "municipality_code": "15"}, token=staff)
        assert reply.status == 201, reply.body
        data = tmp_path / "data"
        files = [p for p in data.iterdir() if p.is_file()]
        assert any(p.name.endswith("-wal") for p in files) or files  # whatever SQLite made beside the databases
        assert mode(data) == 0o700 and mode(data / "mailbox") == 0o700
        for path in files:
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        assert {f"{s}.sqlite3" for s in ("enrollment", "grants", "partners", "notifications")} <= {p.name for p in files}
    finally:
        system.stop()


def test_files_left_readable_by_an_older_version_are_narrowed(tmp_path):
    from shared.config import embedded_settings

    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "grants.sqlite3").write_bytes(b"")
    (data / "grants.sqlite3").chmod(0o644)
    embedded_settings(data, env={})
    assert mode(data) == 0o700 and mode(data / "grants.sqlite3") == 0o600 and mode(data / "auth-secret") == 0o600


def test_the_cli_refuses_a_token_longer_than_its_role_may_live(tmp_path):
    env = {"SAVIVALDA_AUTH_SECRET": TEST_SECRET}
    assert run_cli("token", "--role", "operator", "--ttl", "1d", env=env).returncode == 0
    too_long = run_cli("token", "--role", "operator", "--ttl", "2d", env=env)
    assert too_long.returncode == 2 and "at most 1d" in too_long.stderr, too_long.stderr
    staff = run_cli("token", "--role", "staff", "--ttl", "3650d", env=env)
    assert staff.returncode == 2 and "at most 30d" in staff.stderr
    lowered = run_cli("token", "--role", "staff", "--ttl", "8d", env={**env, "SAVIVALDA_TOKEN_MAX_TTL": "staff=7d"})
    assert lowered.returncode == 2 and "at most 7d" in lowered.stderr


def test_the_api_refuses_a_well_signed_token_that_lives_until_9999(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data")
    try:
        now = int(time.time())
        forever = jwt.encode({"iss": ISSUER, "sub": "x", "role": "staff", "iat": now, "exp": 253402300799},
                             system.settings.auth_secret, algorithm=ALGORITHM)
        reply = http("GET", f"{system.base_url}/notifications/recipients", token=forever)
        assert reply.status == 401 and "lives longer" in reply.body["detail"], reply.body
        assert http("GET", f"{system.base_url}/notifications/recipients", token=system.token()).status == 200
    finally:
        system.stop()


def test_public_routes_answer_429_with_retry_after_per_client(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_PUBLIC_RATE_LIMIT": "5/minute",
                                                    "SAVIVALDA_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        url = f"{system.base_url}/notifications/unsubscribe?token=damaged"
        statuses = [http("GET", url).status for _ in range(5)]
        assert statuses == [422] * 5  # a malformed token, answered as such while the bucket lasts
        limited = http("GET", url)
        assert limited.status == 429 and limited.headers["Content-Type"].startswith("application/problem+json")
        assert 1 <= int(limited.headers["Retry-After"]) <= 12
        assert limited.body["type"] == "urn:savivalda:problem:rate_limited"
        # Behind a trusted proxy (here 127.0.0.1 plays it) each forwarded client has its own bucket;
        # hops that are themselves trusted proxies are skipped.
        other = {"X-Forwarded-For": "203.0.113.9"}
        assert http("GET", url, headers=other).status == 422
        forged = {"X-Forwarded-For": "198.51.100.1, 127.0.0.1"}
        assert http("GET", url, headers=forged).status == 422  # 198.51.100.1, a new client
        # Logged-in routes are not limited.
        for _ in range(8):
            assert http("GET", f"{system.base_url}/notifications/recipients", token=system.token()).status == 200
        spec = http("GET", f"{system.base_url}/notifications/openapi.json").body
        assert "429" in spec["paths"]["/notifications/unsubscribe"]["post"]["responses"]
    finally:
        system.stop()


def test_an_untrusted_client_cannot_choose_its_bucket_with_x_forwarded_for(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_PUBLIC_RATE_LIMIT": "3/minute"})
    try:
        url = f"{system.base_url}/notifications/unsubscribe?token=damaged"
        statuses = [http("GET", url, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status for n in range(5)]
        assert statuses == [422, 422, 422, 429, 429]
    finally:
        system.stop()
