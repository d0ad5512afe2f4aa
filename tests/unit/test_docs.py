"""The docs describe what is real: variables, metrics, commands."""

import re
from pathlib import Path

from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_the_code_reads_is_documented():
    source = (ROOT / "shared" / "config.py").read_text()
    names = set(re.findall(r'_(?:env|positive)\(env, "([A-Z_]+)"', source))
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert names, "no variables found"
    missing = sorted(n for n in names if f"SAVIVALDA_{n}" not in documented)
    assert not missing, missing
    assert "SAVIVALDA_<SERVICE>_DATABASE_URL" in documented


def test_every_exported_metric_is_documented():
    from services.registry import service_classes

    service_classes()  # importing the services registers their metrics

    documented = (ROOT / "docs" / "operations.md").read_text()
    names = {m.name for m in REGISTRY.collect() if m.name.startswith("savivalda_")}
    names |= {"savivalda_outbox_backlog", "savivalda_outbox_oldest_age_seconds", "savivalda_dead_letters",
              "savivalda_notifications"}  # read at scrape time
    missing = sorted(n for n in names if f"`{n}" not in documented and f"`{n}_total" not in documented)
    assert not missing, missing


def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^    (bin/\S+.*)$", readme, flags=re.M)
    assert commands[:2] == ["bin/savivalda run", "bin/test"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith("set ") and not line.startswith("cd ")]
    assert ci == ["exec bin/test"]
