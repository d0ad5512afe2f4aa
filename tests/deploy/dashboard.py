"""What the Grafana dashboard asks Prometheus for: its queries, and the metric and label names
they use, for comparison with what the services export."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tests.deploy.compose import DEPLOY

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "savivalda.json"
# Series Prometheus makes itself rather than scrapes from the services.
PROMETHEUS_OWN = {"up", "ALERTS"}
# Labels Prometheus attaches to every scraped sample, and the histogram bucket label.
ADDED_LABELS = {"job", "instance", "le"}

_IDENTIFIER = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


@dataclass(frozen=True)
class Query:
    panel: str
    expr: str

    @property
    def metrics(self) -> set[str]:
        selected = set(re.findall(rf"({_IDENTIFIER})\s*[{{\[]", self.expr))
        return selected | set(re.findall(r"\b(savivalda_[a-z0-9_]+)", self.expr))

    @property
    def grouping_labels(self) -> set[str]:
        found = set()
        for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", self.expr):
            found |= {label.strip() for label in clause.split(",") if label.strip()}
        return found

    @property
    def matcher_labels(self) -> set[str]:
        found = set()
        for body in re.findall(r"\{([^}]*)\}", self.expr):
            found |= set(re.findall(rf"({_IDENTIFIER})\s*(?:=~|!~|!=|=)", body))
        return found

    def for_prometheus(self, rate_interval: str = "1m") -> str:
        """The expression as Grafana sends it with every service selected."""
        return self.expr.replace("$__rate_interval", rate_interval).replace('"$service"', '".*"')


def load() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(dashboard: dict | None = None) -> list[Query]:
    dashboard = dashboard or load()
    return [Query(panel["title"], target["expr"]) for panel in panels(dashboard)
            for target in panel.get("targets", [])]
