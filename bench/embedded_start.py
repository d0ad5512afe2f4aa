"""Benchmark: start-up of `savivalda run` (the embedded default: four services, SQLite, in-memory
broker, one process) against the smallest nameko HTTP process (bench/baseline_start.py),
interleaved in one run.

    .venv/bin/python -m bench.embedded_start [--rounds 5]

Each round: the project on a fresh data folder (cold: creates and migrates the SQLite databases),
the project again on that folder (warm: what a restart costs), then the baseline. Ready is the
first 200 from GET /health/ready (the project's operations address; the baseline's only route);
CPU is the process's own CPU time (user + system, /proc/PID/stat) at that moment, which depends
less on what else the machine runs than the wall time does; RSS is the process's resident memory
(VmRSS) read at that moment and again 2 s later. Prints both, the ratios to the baseline and the
load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.pairing import ROOT, cpu_seconds, interleave, report
from tests.support import free_port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_to_ready(command: list[str], url: str, env: dict | None = None) -> dict:
    began = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - began > 120:
                raise SystemExit(f"{' '.join(command)} not ready in 120 s")
            time.sleep(0.01)
        ready = time.perf_counter() - began
        cpu, at_ready = cpu_seconds([process.pid]), rss_mb(process.pid)
        time.sleep(2)
        return {"ready_s": round(ready, 3), "cpu_s": round(cpu, 3),
                "rss_mb": round(max(at_ready, rss_mb(process.pid)), 1)}
    finally:
        process.terminate()
        process.wait(timeout=30)


# Compiled modules for the project's processes (--bytecode-cache): a folder of this run's own.
BYTECODE: dict = {}


def project(data: Path) -> dict:
    http_port, ops_port = free_port(), free_port()
    env = {"SAVIVALDA_DATA_DIR": str(data), "SAVIVALDA_HTTP_ADDRESS": f"127.0.0.1:{http_port}",
           "SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{ops_port}", "SAVIVALDA_LOG_LEVEL": "WARNING", **BYTECODE}
    return time_to_ready([str(ROOT / "bin" / "savivalda"), "run"], f"http://127.0.0.1:{ops_port}/health/ready", env)


def project_cold_and_warm() -> dict:
    data = Path(tempfile.mkdtemp(prefix="savivalda-start-"))
    try:
        cold = project(data / "data")
        warm = project(data / "data")
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return {"cold_ready_s": cold["ready_s"], "ready_s": warm["ready_s"], "cpu_s": warm["cpu_s"],
            "cold_cpu_s": cold["cpu_s"], "rss_mb": warm["rss_mb"], "cold_rss_mb": cold["rss_mb"]}


def baseline() -> dict:
    port = free_port()
    result = time_to_ready([sys.executable, str(ROOT / "bench" / "baseline_start.py"), f"127.0.0.1:{port}"],
                           f"http://127.0.0.1:{port}/health/ready")
    return {**result, "cold_ready_s": result["ready_s"], "cold_cpu_s": result["cpu_s"], "cold_rss_mb": result["rss_mb"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bytecode-cache", action=argparse.BooleanOptionalAction, default=True,
                        help="give the project's processes a bytecode cache (default) as an installed program has; "
                             "without it, where PYTHONDONTWRITEBYTECODE is set (this machine, the image), every "
                             "start compiles the project's ~200 modules from source, while the baseline's nameko "
                             "comes compiled from its installation")
    args = parser.parse_args(argv)
    print(f"embedded start: `savivalda run` (cold and warm) against a minimal nameko process, {args.rounds} rounds, "
          f"bytecode cache {'on' if args.bytecode_cache else 'as the environment says'}", flush=True)
    cache = Path(tempfile.mkdtemp(prefix="savivalda-pyc-"))
    try:
        if args.bytecode_cache:
            BYTECODE.update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(cache))
            project_cold_and_warm()  # fills the cache (not measured)
        pairs = interleave(args.rounds, project_cold_and_warm, baseline)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    report("embedded start", pairs, [("ready_s", "s, warm", False), ("cold_ready_s", "s, fresh data", False),
                                     ("cpu_s", "s CPU to ready, warm", False),
                                     ("cold_cpu_s", "s CPU to ready, fresh", False),
                                     ("rss_mb", "MB, warm", False), ("cold_rss_mb", "MB, fresh data", False)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
