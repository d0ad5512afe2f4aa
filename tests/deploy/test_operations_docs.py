"""docs/operations.md's deployment sections describe the stack that exists: its containers, its
alerts and the operator commands they tell people to run."""

from __future__ import annotations

import re
import shlex

import yaml

from services.cli import build_parser
from tests.deploy.compose import DEPLOY, load_raw
from tests.support import ROOT

DOCS = (ROOT / "docs" / "operations.md").read_text()
DEPLOYING = DOCS.split("## Deploying with docker compose", 1)[1]


def test_the_container_table_names_every_compose_service():
    listed = set()
    for cell in re.findall(r"^\| ([^|]+) \|", DEPLOYING, flags=re.M):
        listed |= set(re.findall(r"`([a-z]+)`", cell))
    assert set(load_raw()["services"]) <= listed


def test_every_alert_has_a_row_saying_what_to_do():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules" / "savivalda.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    documented = set(re.findall(r"^\| `(Savivalda\w+)`", DEPLOYING, flags=re.M))
    assert alerts == documented


def test_the_cli_commands_shown_are_real():
    parser = build_parser()
    shown = [c.strip().rstrip(")") for c in
             re.findall(r"docker compose run --rm (?:-T )?(?:-v \S+ )?cli ([^`\n#]+)", DEPLOYING)]
    commands = {action.dest: action for action in parser._subparsers._group_actions}["command"].choices
    complete = [c for c in shown if not c.endswith("...")]
    assert len(complete) >= 6
    for command in complete:
        parser.parse_args(shlex.split(command))
    for template in set(shown) - set(complete):  # "cli ...", "cli token ...": the rest is the reader's
        assert template == "..." or template.split()[0] in commands, template


def test_the_steps_name_files_that_exist():
    for path in ("make-env", ".env.example", "docker-compose.yml", "rabbitmq/definitions.json",
                 "postgres/init-databases.sh", "prometheus/rules/savivalda.yml", "grafana/dashboards/savivalda.json"):
        assert (DEPLOY / path).exists(), path
        assert path.split("/")[-1] in DOCS, f"{path} is not mentioned"
