"""The fault drill's short run (bench/fault_drill.py --short; docs/reliability.md, "Fault drill"):
a RabbitMQ node and a PostgreSQL cluster of its own, two replicas of enrollment and of
notifications, each fault once under load, and the done-conditions of issue 15 on its figures.

Needs root, RabbitMQ's and PostgreSQL's server binaries: without them it skips on a developer
machine and fails under CI=true.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from services.notifications.usecases.delivery import CONCURRENT_SENDS

# ~2 min on an idle 2-core machine, ~3.5 min when it is shared (load average 20+)
pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.timeout(720)]
ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FAULTS = ["no fault", "broker stop/start", "SIGKILL enrollment #1", "SIGKILL notifications #1",
          "SIGTERM enrollment #1", "SIGTERM notifications #1", "PostgreSQL restart -m fast",
          "PostgreSQL restart -m immediate", "100 poison messages"]
# e-mails the SMTP server may have accepted, per SIGKILL, before the killed sender recorded them:
# one per SMTP connection in flight (services/notifications/usecases/delivery.py)
IN_DOUBT_PER_KILL = CONCURRENT_SENDS


def missing_prerequisite() -> str | None:
    if os.geteuid() != 0:
        return "the drill runs as root (RabbitMQ's scripts, runuser -u postgres)"
    for tool in ("rabbitmq-server", "rabbitmqctl", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb)"
    return None


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    problem = missing_prerequisite()
    if problem:
        message = f"the fault drill cannot run: {problem}"
        if IN_CI:
            pytest.fail(message + " (CI=true: tests needing it must fail, not skip)", pytrace=False)
        pytest.skip(message)
    figures = tmp_path_factory.mktemp("drill") / "drill.json"
    drill = subprocess.Popen([sys.executable, "-m", "bench.fault_drill", "--short", "--json", str(figures)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = drill.communicate(timeout=540)
    except subprocess.TimeoutExpired:
        drill.terminate()  # SIGTERM: the drill stops what it started and removes its folder
        stdout, stderr = drill.communicate(timeout=120)
    output = stdout[-6000:] + stderr[-4000:]
    assert figures.exists(), output
    return drill.returncode, json.loads(figures.read_text()), output


def test_every_fault_ran_and_the_system_came_back_to_rest_after_each(drill):
    returncode, figures, output = drill
    assert [p["fault"] for p in figures["phases"]] == FAULTS, output
    assert all(p["quiet_s"] is not None for p in figures["phases"]), output
    assert figures["enrolments_accepted"] >= 200, output  # a few hundred, under every fault
    assert returncode == 0, output


def test_no_event_lost_no_e_mail_missing_or_doubled(drill):
    _, v, output = drill
    assert v["events_published"] > v["enrolments_accepted"] and v["events_lost"] == 0, output
    assert v["events_unpublished"] == 0, output
    assert v["emails_expected"] > 0 and v["emails_missing"] == 0 and v["emails_unexpected"] == 0, output
    assert v["emails_delivered"] == v["emails_expected"], output
    assert v["emails_duplicated_otherwise"] == 0, output
    assert v["emails_in_doubt_at_kill"] <= IN_DOUBT_PER_KILL * len(v["sigkill_notifications_sent_within_s"]), output
    assert v["emails_duplicated_same_event_and_recipient"] == v["emails_duplicated"], output


def test_no_overbooking_no_quota_violation_one_enrolment_per_accepted_request(drill):
    _, v, output = drill
    assert v["overbooked_sessions"] == 0 and v["quota_violations"] == 0, output
    assert v["rows_per_accepted_enrolment"] == {"1": v["enrolments_accepted"]}, output
    assert v["answer_id_differs_from_row"] == 0 and v["idempotency_keys_missing"] == 0, output
    statuses = v["enrolment_statuses"]
    assert statuses.get("waitlisted", 0) > 0 and statuses.get("cancelled", 0) > 0, output  # waitlists and leaving


def test_only_2xx_or_503_with_retry_after_and_sigterm_drops_nothing(drill):
    _, v, output = drill
    assert not v["unexpected_answers"], output
    sigterms = [p for p in v["phases"] if p["fault"].startswith("SIGTERM")]
    assert len(sigterms) == 2, output
    for phase in sigterms:
        assert phase["not_found"] == 0 and phase["dropped"] == 0 and phase["exit_code"] == 0, (phase, output)


def test_after_a_sigkill_of_notifications_every_pending_e_mail_goes_out_within_15_s(drill):
    _, v, output = drill
    assert v["sigkill_notifications_sent_within_s"], output
    assert all(s is not None and s <= 15 for s in v["sigkill_notifications_sent_within_s"]), output


def test_a_postgresql_restart_sends_no_e_mail_twice_and_poison_is_parked_with_its_reason(drill):
    _, v, output = drill
    restarts = [p for p in v["phases"] if p["fault"].startswith("PostgreSQL")]
    assert len(restarts) == 2 and all(p["duplicates"] == 0 for p in restarts), output
    assert v["poison_published"] == 100 and v["poison_parked_with_reason"] == 100, output
    assert set(v["poison_reasons"]) == {"undecodable body", "unknown event type", "data does not match its schema"}, output
