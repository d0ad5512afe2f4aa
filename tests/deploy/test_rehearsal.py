"""deploy/rehearse: the compose stack brought up for real with Docker (a private daemon, images
built from Debian packages), the README's enrollment walk-through run through its gateway, the
e-mail and every Prometheus target checked, and everything taken down again.

It takes minutes (docs/operations.md, "Rehearsing the stack"), so it has the `docker` marker:
`bin/test -m "not docker"` leaves it out. Under CI=true Docker must be had (rehearse installs
docker.io and debootstrap when they are missing) and the test FAILS when it cannot be; on a
developer machine it never installs system packages (rehearse --no-install) and skips without
root, dockerd or debootstrap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import IN_CI, _unavailable
from tests.deploy.compose import DEPLOY

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1300)]

REHEARSE = DEPLOY / "rehearse"
UNAVAILABLE = 3  # rehearse's exit status when Docker cannot be had here
TIMEOUT = 900  # from nothing on a heavily loaded 2-core machine it took 9 minutes; usually 3-4


def run_rehearsal() -> tuple[int, str]:
    command = [str(REHEARSE)] + ([] if IN_CI else ["--no-install"])
    # Its own process group: on a timeout the whole group gets SIGTERM, and rehearse's teardown
    # (compose down, the daemon stopped, its iptables chains and folders removed) still runs.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except BaseException:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        print(output)
        raise
    return process.returncode, output


def test_the_compose_stack_comes_up_serves_the_walkthrough_and_goes_away():
    if not sys.platform.startswith("linux"):
        _unavailable("Docker", "the rehearsal runs a Docker daemon on Linux")
    if os.geteuid() != 0:
        _unavailable("Docker", "the rehearsal runs its own dockerd, which needs root")
    status, output = run_rehearsal()
    print(output)  # the timings of each phase, for the log
    if status == UNAVAILABLE:
        reason = [line for line in output.splitlines() if "cannot be had" in line]
        _unavailable("Docker", (reason or ["deploy/rehearse exited 3"])[0])
    tail = "\n".join(output.splitlines()[-150:])
    assert status == 0, f"deploy/rehearse exited {status}:\n{tail}"
    for step in ("== compose up --wait (notifications x2)", "== README walk-through via the gateway",
                 "Certificate No.", "== every Prometheus target up", "rehearsal passed"):
        assert step in output, f"{step!r} missing from the output:\n{tail}"
    up = [line.split() for line in output.splitlines() if line.startswith("    ") and line.endswith(" up")]
    assert sorted(fields[0] for fields in up) == ["enrollment", "grants", "notifications", "notifications",
                                               "partners", "prometheus"], up
