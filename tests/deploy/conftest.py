"""Fixtures for the deployment tests: the compose stack's settings, its RabbitMQ definitions and
PostgreSQL init script applied to the local servers (under names no one else uses, removed
afterwards), and Prometheus' and nginx's binaries.

Like the platform's fixtures, these skip on a developer machine without the server or binary
and FAIL under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import amqp
import pytest

from tests.conftest import _unavailable
from tests.deploy.compose import DEPLOY, parse_env_file
from tests.support import BIN, RABBIT_HOST, RABBIT_PORT, wait_until


# ---------------------------------------------------------------- the stack's .env

@pytest.fixture(scope="session")
def stack_env(tmp_path_factory) -> dict[str, str]:
    """deploy/.env as an operator makes it (deploy/make-env): every secret random."""
    target = tmp_path_factory.mktemp("stack") / ".env"
    done = subprocess.run([str(DEPLOY / "make-env"), str(target)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return parse_env_file(target)


# ---------------------------------------------------------------- RabbitMQ definitions

@dataclass
class BrokerStack:
    """deploy/rabbitmq/definitions.json imported into the local broker. The vhost and the users
    carry a unique prefix (the permissions' patterns are about exchange and queue names, which
    stay as the services make them)."""

    vhost: str
    prefix: str
    passwords: dict[str, str]  # user as named in the definitions -> password

    def user(self, name: str) -> str:
        return self.prefix + name

    def uri(self, name: str) -> str:
        from urllib.parse import quote

        return f"amqp://{self.user(name)}:{self.passwords[name]}@{RABBIT_HOST}:{RABBIT_PORT}/{quote(self.vhost, safe='')}"


def render_definitions(env: dict[str, str], target: Path) -> dict:
    """Runs deploy/rabbitmq/render-definitions.sh as the rabbitmq container's entrypoint does."""
    done = subprocess.run(["sh", str(DEPLOY / "rabbitmq" / "render-definitions.sh"),
                           str(DEPLOY / "rabbitmq" / "definitions.json"), str(target)],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(target.read_text())


@pytest.fixture(scope="module")
def broker_stack(broker_admin, stack_env, tmp_path_factory):
    definitions = render_definitions(stack_env, tmp_path_factory.mktemp("rabbitmq") / "definitions.json")
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    (original_vhost,) = [v["name"] for v in definitions["vhosts"]]
    vhost = f"savivalda-test-{prefix}{original_vhost}"
    passwords = {u["name"]: u["password"] for u in definitions["users"]}
    for user in definitions["users"]:
        user["name"] = prefix + user["name"]
    for section in ("permissions", "policies"):
        for entry in definitions.get(section, []):
            entry["vhost"] = vhost
            if "user" in entry:
                entry["user"] = prefix + entry["user"]
    for entry in definitions["vhosts"]:
        entry["name"] = vhost
    stack = BrokerStack(vhost=vhost, prefix=prefix, passwords=passwords)
    try:
        # On standard input: rabbitmqctl runs as the broker's user, who cannot read pytest's tmp.
        done = subprocess.run([broker_admin.ctl, "import_definitions", "--format", "json"],
                              input=json.dumps(definitions), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr or done.stdout

        def imported():  # the import finishes asynchronously: wait until every user can log in
            for name, password in passwords.items():
                connection = amqp.Connection(f"{RABBIT_HOST}:{RABBIT_PORT}", userid=stack.user(name),
                                             password=password, virtual_host=vhost, connect_timeout=5)
                try:
                    connection.connect()
                except Exception:
                    return False
                finally:
                    connection.collect()
            return True

        wait_until(imported, timeout=30, interval=0.2, message="definitions imported")
        yield stack
    finally:
        for name in passwords:
            try:
                broker_admin.run("delete_user", stack.user(name))
            except RuntimeError:
                pass
        try:
            broker_admin.delete_vhost(vhost)
        except RuntimeError:
            pass


# ---------------------------------------------------------------- PostgreSQL init script

@dataclass
class DatabaseStack:
    """deploy/postgres/init-databases.sh run against the local server with a unique name prefix."""

    prefix: str
    passwords: dict[str, str]

    def name(self, service: str) -> str:
        return self.prefix + service


def run_init_script(prefix: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(DEPLOY / "postgres" / "init-databases.sh")],
        env={"PATH": os.environ["PATH"], "PGHOST": "127.0.0.1", "PGPORT": "5432", "POSTGRES_USER": "postgres",
             "POSTGRES_DB": "postgres", "SAVIVALDA_DB_NAME_PREFIX": prefix, **env},
        capture_output=True, text=True, timeout=60)


def drop_databases_and_roles(pg_admin, prefix: str) -> None:
    connection = pg_admin.connect("postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,))
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,))
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        connection.close()


@pytest.fixture
def database_stack(pg_admin, stack_env):
    if not shutil.which("psql"):
        _unavailable("psql", "the PostgreSQL client runs the init script (apt-get install postgresql-client)")
    prefix = f"savivalda_t{uuid.uuid4().hex[:8]}_"
    passwords = {k: v for k, v in stack_env.items() if k.endswith("_DB_PASSWORD")}
    try:
        done = run_init_script(prefix, passwords)
        assert done.returncode == 0, done.stderr
        yield DatabaseStack(prefix=prefix, passwords=passwords)
    finally:
        from shared.persistence.engines import dispose_engines

        dispose_engines()
        drop_databases_and_roles(pg_admin, prefix)


# ---------------------------------------------------------------- binaries from Debian packages

def debian_binary(name: str, package: str, path_in_package: str) -> str:
    """A binary on PATH or in .venv/bin, else extracted from its Debian package into .venv/bin
    (as bin/install-promtool does for promtool): nothing installed system-wide."""
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    if found:
        return found
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        _unavailable(name, f"not on PATH and no apt-get/dpkg to extract it from Debian's {package} package")
    with tempfile.TemporaryDirectory() as work:
        def download():
            return subprocess.run(["apt-get", "download", package], cwd=work, capture_output=True, timeout=300)

        if download().returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True, timeout=300)
            if download().returncode != 0:
                _unavailable(name, f"apt-get download {package} failed")
        (deb,) = Path(work).glob(f"{package}_*.deb")
        subprocess.run(["dpkg", "-x", str(deb), f"{work}/x"], check=True, timeout=120)
        shutil.copy2(f"{work}/x/{path_in_package}", BIN / name)
    return str(BIN / name)


@pytest.fixture(scope="session")
def prometheus_binary():
    return debian_binary("prometheus", "prometheus", "usr/bin/prometheus")


@pytest.fixture(scope="session")
def nginx_binary():
    return debian_binary("nginx", "nginx", "usr/sbin/nginx")
