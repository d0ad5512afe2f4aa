"""The `savivalda` command's other verbs."""

import json

from shared.auth import decode_token
from shared.config import embedded_settings
from shared.events import registered_events
from tests.support import TEST_SECRET, run_cli


def test_token_for_each_role_signed_with_the_embedded_secret(tmp_path):
    embedded_settings(tmp_path, env={})  # a data folder, as `savivalda run` or `migrate` leaves it
    done = run_cli("--data-dir", str(tmp_path), "token", "--role", "municipality:15", "--subject", "ona", "--ttl", "30m")
    assert done.returncode == 0, done.stderr
    principal = decode_token(embedded_settings(tmp_path, env={}).auth_secret, done.stdout.strip())
    assert (principal.role, principal.municipality_code, principal.subject) == ("municipality", "15", "ona")
    refused = run_cli("--data-dir", str(tmp_path), "token", "--role", "admin")
    assert refused.returncode == 2 and "role must be" in refused.stderr


def test_token_uses_the_configured_secret_and_refuses_a_placeholder():
    done = run_cli("token", "--role", "staff", env={"SAVIVALDA_AUTH_SECRET": TEST_SECRET})
    assert decode_token(TEST_SECRET, done.stdout.strip()).role == "staff"
    weak = run_cli("token", "--role", "staff", env={"SAVIVALDA_AUTH_SECRET": "changeme"})
    assert weak.returncode == 1 and "AUTH_SECRET" in weak.stderr


def test_distributed_run_refuses_to_start_without_configuration_or_a_real_secret(tmp_path):
    env = {"SAVIVALDA_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/", "SAVIVALDA_AUTH_SECRET": "please-change-me",
           "SAVIVALDA_ENROLLMENT_DATABASE_URL": f"sqlite:///{tmp_path}/e.db"}
    weak = run_cli("run", "enrollment", env=env, timeout=30)
    assert weak.returncode == 1 and "AUTH_SECRET" in weak.stderr
    no_db = run_cli("run", "grants", env={**env, "SAVIVALDA_AUTH_SECRET": TEST_SECRET}, timeout=30)
    assert no_db.returncode == 1 and "SAVIVALDA_GRANTS_DATABASE_URL" in no_db.stderr
    unmigrated = run_cli("run", "enrollment", env={**env, "SAVIVALDA_AUTH_SECRET": TEST_SECRET}, timeout=30)
    assert unmigrated.returncode == 1 and "savivalda migrate enrollment" in unmigrated.stderr


def test_events_schemas_and_docs(tmp_path):
    done = run_cli("events", "schemas", "--out", str(tmp_path / "schemas"))
    assert done.returncode == 0
    files = sorted(p.name for p in (tmp_path / "schemas").glob("*.json"))
    assert files == sorted(f"{t}.v{v}.json" for t, v in registered_events())
    schema = json.loads((tmp_path / "schemas" / "enrollment.enrollment_confirmed.v1.json").read_text())
    assert schema["properties"]["type"]["const"] == "enrollment.enrollment_confirmed"
    assert "enrollment.session_scheduled" in run_cli("events", "docs").stdout
    assert json.loads(run_cli("events", "asyncapi").stdout)["asyncapi"] == "3.1.0"


def test_events_publish_validates_before_it_sends(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "grants.call_published", "data": {"code": "X"}}))
    refused = run_cli("events", "publish", str(bad), env={"SAVIVALDA_AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"})
    assert refused.returncode == 2 and "data.call_id" in refused.stderr
    embedded = run_cli("events", "publish", str(bad), env={"SAVIVALDA_AMQP_URI": ""})  # validated there too
    assert embedded.returncode == 2 and "data.call_id" in embedded.stderr


def test_migrate_embedded_creates_every_database(tmp_path):
    done = run_cli("--data-dir", str(tmp_path), "migrate")
    assert done.returncode == 0, done.stderr
    assert len(list(tmp_path.glob("*.sqlite3"))) == 4
