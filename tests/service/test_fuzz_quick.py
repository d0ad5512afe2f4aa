"""A short run of bench/fuzz_api.py (schemathesis, every check, positive and negative data, five
cases per operation, the fuzzing phase only; about 30 s): no service answers any case with a 5xx.
The full run (every phase, 20 cases) is in docs/security.md, "Limits and fuzzing"."""

import subprocess
import sys

from tests.support import ROOT


def test_a_short_fuzz_run_finds_no_server_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench.fuzz_api", "--examples", "5", "--phases", "fuzzing",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    rows = [line.split() for line in done.stdout.splitlines()
            if line.split()[:1] and line.split()[0] in ("enrollment", "grants", "partners", "notifications")
            and len(line.split()) == 5]
    assert [row[0] for row in rows] == ["enrollment", "grants", "partners", "notifications"], report
    assert all(int(row[1]) > 10 and row[2] == "0" for row in rows), report
    assert "5xx counted by the system: {}" in done.stdout and "log lines with a traceback: 0;" in done.stdout, report
