"""Prometheus' configuration and alert rules: promtool accepts them, every alert has unit tests
that fire it and keep it quiet, and the scrape jobs find every replica of every service."""

from __future__ import annotations

import subprocess

import yaml

from tests.deploy.compose import APP_SERVICES, DEPLOY, environment, load_raw

PROMETHEUS = DEPLOY / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))


def promtool_run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_scrape_config_and_the_rules(promtool):
    done = promtool_run(promtool, "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert RULES and f"SUCCESS: {len(RULES)} rule files found" in done.stdout
    done = promtool_run(promtool, "check", "rules", *map(str, RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alert_unit_tests_pass(promtool):
    assert RULE_TESTS
    done = promtool_run(promtool, "test", "rules", *map(str, RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_case_that_fires_it_and_one_that_keeps_it_quiet():
    alerts = {rule["alert"] for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
              for rule in group["rules"] if "alert" in rule}
    fired, quiet = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert alerts, "no alerts found"
    assert alerts - fired == set(), "alerts no test fires"
    assert alerts - quiet == set(), "alerts no test keeps quiet"


def test_the_issue_asks_for_these_alerts():
    text = "\n".join(path.read_text() for path in RULES)
    for metric in ("up{", "savivalda_events_consumed_total", "savivalda_dead_letters", "savivalda_outbox_backlog",
                   "savivalda_outbox_oldest_age_seconds", "savivalda_notifications"):
        assert metric in text, f"no alert on {metric}"


def test_each_service_is_scraped_on_every_replica_at_its_ops_port():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    services = load_raw()["services"]
    for name in APP_SERVICES:
        ops_port = int(environment(services[name])["SAVIVALDA_OPS_ADDRESS"].rsplit(":", 1)[1])
        job = jobs[name]
        # DNS discovery: Docker's resolver answers the service name with every replica's address.
        assert "static_configs" not in job
        (discovery,) = job["dns_sd_configs"]
        assert discovery["names"] == [name] and discovery["type"] == "A" and discovery["port"] == ops_port
        assert job.get("metrics_path", "/metrics") == "/metrics"
    for name in jobs.keys() - set(APP_SERVICES):
        assert name == "prometheus", f"job {name} scrapes something the stack does not run"
    assert config["rule_files"] == ["rules/*.yml"]
