"""Grafana's provisioning: the data source the dashboard names is the one provisioned, the
dashboard is where the provider and the compose mounts say, and it has the panels operators
need. (Its queries are run against a real Prometheus and live services in test_stack.py.)"""

from __future__ import annotations

import collections

import yaml

from tests.deploy import dashboard
from tests.deploy.compose import DEPLOY, environment, load_raw

PROVISIONING = DEPLOY / "grafana" / "provisioning"


def test_every_panel_uses_the_provisioned_prometheus():
    (source,) = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert "prometheus" in load_raw()["services"]
    board = dashboard.load()
    variables = board["templating"]["list"]
    for item in dashboard.panels(board) + variables:
        if item.get("type") == "row":
            continue
        assert item["datasource"] == {"type": "prometheus", "uid": source["uid"]}, item.get("title")
        for target in item.get("targets", []):
            assert target["datasource"]["uid"] == source["uid"]


def test_the_dashboard_file_is_where_the_provider_and_the_mounts_say():
    (provider,) = yaml.safe_load((PROVISIONING / "dashboards" / "savivalda.yml").read_text())["providers"]
    grafana = load_raw()["services"]["grafana"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in grafana["volumes"] if volume.startswith("./"))
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{dashboard.DASHBOARD.name}"


def test_panel_ids_are_unique_and_every_panel_has_a_query():
    board = dashboard.load()
    ids = collections.Counter(panel["id"] for panel in dashboard.panels(board))
    assert [i for i, n in ids.items() if n > 1] == []
    for panel in dashboard.panels(board):
        if panel["type"] != "row":
            assert panel.get("targets"), panel["title"]


def test_the_dashboard_shows_what_the_issue_asks_for():
    used = set().union(*(query.metrics for query in dashboard.queries()))
    wanted = {
        "request rates, errors and latency": {"savivalda_http_requests_total", "savivalda_http_request_duration_seconds_bucket"},
        "handler rates, errors and latency": {"savivalda_entrypoint_calls_total", "savivalda_entrypoint_duration_seconds_bucket"},
        "events published and consumed": {"savivalda_events_published_total", "savivalda_events_consumed_total"},
        "outbox backlog": {"savivalda_outbox_backlog", "savivalda_outbox_oldest_age_seconds"},
        "dead-letter queue depth": {"savivalda_dead_letters"},
        "notifications sent": {"savivalda_notifications_total", "savivalda_notifications"},
        "applications by status": {"savivalda_grant_applications"},
    }
    for what, metrics in wanted.items():
        assert metrics <= used, f"no panel for {what}: {metrics - used}"
