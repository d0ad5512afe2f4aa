"""deploy/Dockerfile without a Docker engine: what it builds from is complete (the package built
from exactly the files the image copies holds every migration and template), its dependency
versions are the tested ones, and its HEALTHCHECK script tells ready from not ready."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.deploy.compose import DEPLOY
from tests.support import ROOT, free_port

DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
HEALTHCHECK = DEPLOY / "healthcheck.py"


def copied_sources() -> list[str]:
    """Sources of the Dockerfile's COPY instructions from the build context (not --from=...)."""
    sources = []
    for line in DOCKERFILE.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not any(p.startswith("--from") for p in parts):
            sources += [p for p in parts[1:-1] if not p.startswith("--")]
    return sources


def test_the_image_is_pinned_slim_python_running_as_a_non_root_user():
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, flags=re.M)
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base), base
    # The image's Python is the one the tests run on.
    assert base.startswith(f"python:{sys.version_info.major}.{sys.version_info.minor}.")
    assert DOCKERFILE.count("FROM ${PYTHON_IMAGE}") == 2
    (user,) = re.findall(r"^USER (\S+)$", DOCKERFILE, flags=re.M)
    assert user.split(":")[0] not in ("root", "0")
    assert "useradd --system --uid 10001" in DOCKERFILE and user == "10001:10001"
    assert re.search(r'^HEALTHCHECK .*\n?.*CMD \["python", "/opt/savivalda/healthcheck\.py"\]', DOCKERFILE, flags=re.M)
    assert "pip install --no-deps -r requirements/runtime.lock" in DOCKERFILE
    assert "pip install --no-deps --no-build-isolation ." in DOCKERFILE


def test_every_copied_path_exists_and_passes_the_dockerignore():
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:] for line in ignore if line.startswith("!")}
    assert "*" in ignore, "the build context is an allowlist"
    for source in copied_sources():
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"


def test_the_package_built_from_the_image_sources_holds_every_migration_and_template(tmp_path):
    context = tmp_path / "context"
    for source in copied_sources():
        target = context / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / source, target)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path / "dist"), "."], cwd=context, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("savivalda-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "shared", "services"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    needed = [path for path in tracked if Path(path).suffix in (".py", ".j2", ".json", ".mako", ".yaml")
              and (ROOT / path).exists()]
    assert any("/migrations/versions/" in path for path in needed)
    assert any(path.endswith(".j2") for path in needed)
    missing = sorted(set(needed) - packaged)
    assert not missing, f"the image would lack: {missing}"
    assert "savivalda = services.cli:main" in zipfile.ZipFile(wheel).read(
        next(n for n in packaged if n.endswith("entry_points.txt"))).decode()


# ---------------------------------------------------------------- the HEALTHCHECK script

class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        body = b'{"status": "ready"}' if self.status == 200 else b'{"checks": {"enrollment": {"broker": "down"}}}'
        self.send_response(self.status if self.path == "/health/ready" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def ops_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Health", (_Health,), {}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def healthcheck(ops_address: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HEALTHCHECK)], env={"SAVIVALDA_OPS_ADDRESS": ops_address},
                          capture_output=True, text=True, timeout=30)


def test_healthcheck_passes_when_ready_and_fails_with_the_reason_otherwise(ops_endpoint):
    port = ops_endpoint.server_address[1]
    assert healthcheck(f"0.0.0.0:{port}").returncode == 0
    ops_endpoint.RequestHandlerClass.status = 503
    not_ready = healthcheck(f"0.0.0.0:{port}")
    assert not_ready.returncode == 1 and "broker" in not_ready.stdout
    closed = healthcheck(f"0.0.0.0:{free_port()}")
    assert closed.returncode == 1 and "not ready" in closed.stdout
