"""The README's "Learning done elsewhere" block works as written: it runs in bash against the
embedded system (`savivalda events publish` playing Moodle) and prints what its comments say."""

import os
import re
import subprocess
from pathlib import Path

from shared.auth import issue_token

ROOT = Path(__file__).resolve().parents[2]


def block() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- learning walk-through[^>]*-->\n(.*?)\n<!-- end of the learning walk-through -->",
                      readme, flags=re.S).group(1)
    lines = found.strip("\n").splitlines()
    assert all(line.startswith("    ") or not line.strip() for line in lines), "the block is one code block"
    return "\n".join(line[4:] for line in lines)


def test_the_readme_learning_example_counts_a_moodle_completion_once_with_its_certificate(system, tmp_path):
    env = {**os.environ, "API": system.base_url, "SAVIVALDA_DATA_DIR": str(system.settings.data_dir),
           "TMPDIR": str(tmp_path), "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block()], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert out == ["1 7.5 SAV-", "[('public_service_quality', '7.5', 1)]"], out
