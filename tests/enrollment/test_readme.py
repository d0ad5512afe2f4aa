"""The README's enrollment walk-through works as written: its block runs in bash against the
embedded system and prints what its comments say."""

import os
import re
import subprocess
from pathlib import Path

from shared.auth import issue_token

ROOT = Path(__file__).resolve().parents[2]


def readme_block(name: str) -> str:
    """The README's code block between `<!-- {name}... -->` and `<!-- end of the {name} -->`, unindented."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(rf"<!-- {name}[^>]*-->\n(.*?)\n<!-- end of the {name} -->", readme, flags=re.S).group(1)
    lines = block.strip("\n").splitlines()
    assert all(line.startswith("    ") or not line.strip() for line in lines), "the block is one code block"
    return "\n".join(line[4:] for line in lines)


def walkthrough() -> str:
    return readme_block("enrollment walk-through")


def run_after_walkthrough(system, tmp_path, name: str) -> list[str]:
    """Runs the walk-through, then the README's block `name` (in tmp_path) as written; its output lines."""
    script = walkthrough() + f"\ncd {tmp_path}\n" + readme_block(name)
    env = {**os.environ, "API": system.base_url, "SAVIVALDA_DATA_DIR": str(system.settings.data_dir),
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_the_readme_walkthrough_takes_a_course_from_scheduling_to_certificates(system):
    env = {**os.environ, "API": system.base_url, "SAVIVALDA_DATA_DIR": str(system.settings.data_dir),
           "STAFF": issue_token(system.settings.auth_secret, subject="egle@lsa.lt", role="staff")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.lstrip("\ufeff").splitlines()
    assert out[:4] == ["waitlisted municipality_quota 1", "confirmed", "1", "valid Jonas Jonaitis"], out
    assert out[4].lstrip("\ufeff").startswith("name,email,municipality_code")
    assert out[5].startswith("Jonas Jonaitis,jonas@kaunas.lt,15,,") and ",anti_corruption,4.0,1,1" in out[5]
    assert "'sessions_held': 1, 'participants_trained': 2" in out[6] and "'fees_eur': '40.00'" in out[6]
    # The events the walk-through promises were published.
    types = {t.split(".", 1)[1] for t in _event_types(system)}
    assert {"session_scheduled", "enrollment_confirmed", "enrollment_waitlisted", "enrollment_cancelled",
            "enrollment_promoted", "attendance_recorded", "session_completed", "certificate_issued"} <= types


def _event_types(system):
    from sqlalchemy import select

    from shared.persistence.schema import OUTBOX

    with system.uow() as uow:
        return set(uow.session.scalars(select(OUTBOX.c.event_type)))
