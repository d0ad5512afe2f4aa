"""Running the project and its hand-written baseline in the same run, interleaved, and printing
both with their ratio and the machine's load average.

The machine is shared: an absolute figure drifts with whatever else runs, so each benchmark runs
A (project) and B (baseline) in turn (A, B, A, B, ...) and quotes the ratio of each pair and the
median of those ratios. Every side runs as its own process and prints one JSON line of figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (/proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[index]


def run_side(argv: list[str], env: dict | None = None, timeout: float = 1800) -> dict:
    """Run one side as a process; its last stdout line is its JSON figures."""
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def interleave(rounds: int, project, baseline) -> list[tuple[dict, dict]]:
    """A, B, A, B, ...: `project()` and `baseline()` each return one run's figures."""
    pairs = []
    for number in range(rounds):
        a = project()
        b = baseline()
        print(f"  round {number + 1}: project {json.dumps(a)}\n           baseline {json.dumps(b)}  "
              f"(load {loadavg()})", flush=True)
        pairs.append((a, b))
    return pairs


def report(title: str, pairs: list[tuple[dict, dict]], figures: list[tuple[str, str, bool]]) -> None:
    """figures: (key, unit, higher_is_better). Prints project, baseline (medians) and the median
    of the per-pair ratios project / baseline."""
    print(f"\n{title} — {len(pairs)} interleaved pairs, load average {loadavg()}")
    print(f"{'figure':<34} {'project':>12} {'baseline':>12} {'ratio':>8}")
    for key, unit, _higher in figures:
        a = [p[key] for p, _ in pairs]
        b = [q[key] for _, q in pairs]
        ratios = [x / y for x, y in zip(a, b) if y]
        print(f"{key + ' (' + unit + ')':<34} {statistics.median(a):>12.2f} {statistics.median(b):>12.2f} "
              f"{statistics.median(ratios) if ratios else float('nan'):>8.2f}"
              f"   pairs: {', '.join(f'{r:.2f}' for r in ratios)}")
