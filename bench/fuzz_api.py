"""Fuzzes every service's HTTP API with schemathesis and counts the server errors.

    .venv/bin/python -m bench.fuzz_api [--examples 20] [--services enrollment grants ...] [--seed 13]

Starts the embedded system (`savivalda run`, all four services, a fresh data folder, free ports)
as its own process, issues a staff token, and runs `schemathesis run` against each service's
/<service>/openapi.json with every check (`--checks all`), positive and negative data
(`--mode all`) and at most --examples test cases per operation and phase (examples, coverage,
fuzzing, stateful). It prints, per service, the operations tested, the server errors
(schemathesis failures ST101/ST102: a 5xx) and the other checks' failures by code,
then the 5xx responses the system itself counted (savivalda_http_requests_total and
savivalda_http_unhandled_errors_total on the ops port) and any traceback in its log. It exits 1 when
there was any server error. The run's reports (JUnit XML per service, the system's log) stay in
the printed folder. docs/security.md ("Limits and fuzzing") has the latest result.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SERVICES = ("enrollment", "grants", "partners", "notifications")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the system exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the system was not ready in {timeout}s ({url})")


def server_error_samples(ops_url: str) -> dict[str, float]:
    """5xx responses the system counted, by service (requests by status, and unhandled errors)."""
    with urllib.request.urlopen(f"{ops_url}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    counts: dict[str, float] = collections.Counter()
    for line in text.splitlines():
        match = re.match(r'savivalda_http_requests_total\{(.*)\} ([0-9.e+]+)$', line)
        if match and re.search(r'status="5\d\d"', match[1]):
            service = re.search(r'service="([^"]*)"', match[1])[1]
            counts[f"{service} 5xx"] += float(match[2])
        match = re.match(r'savivalda_http_unhandled_errors_total\{(.*)\} ([0-9.e+]+)$', line)
        if match:
            service = re.search(r'service="([^"]*)"', match[1])
            counts[f"{service[1] if service else '?'} unhandled"] += float(match[2])
    return dict(counts)


def junit_failures(path: Path) -> tuple[int, dict[str, int], list[str]]:
    """(operations, failures by schemathesis code, the server errors) from a JUnit report. ST101 and
    ST102 are server errors (5xx); `schemathesis explain <code>` tells what the others mean."""
    if not path.exists():
        return 0, {}, []
    total, by_code, server_errors = 0, collections.Counter(), []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        total += 1
        for failure in list(case.iter("failure")) + list(case.iter("error")):
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            if failure.tag == "error":
                by_code["error (the case could not run)"] += 1
                continue
            codes = re.findall(r"^- (ST\d{3}) ", text, flags=re.M) or [failure.get("message") or "other"]
            for code in codes:
                by_code[code] += 1
            if set(codes) & SERVER_ERRORS:
                server_errors.append(f"{case.get('name')}: " + " ".join(text.split())[:400])
    return total, dict(by_code), server_errors


SERVER_ERRORS = {"ST101", "ST102"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20, help="test cases per operation and phase")
    parser.add_argument("--services", nargs="*", default=list(SERVICES), choices=SERVICES)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--out", help="folder for the reports (default: a new temporary folder)")
    parser.add_argument("--schemathesis-args", default="", help="extra arguments for `schemathesis run`")
    args = parser.parse_args(argv)

    out = Path(args.out or tempfile.mkdtemp(prefix="savivalda-fuzz-")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    http_port, ops_port = free_port(), free_port()
    base, ops = f"http://127.0.0.1:{http_port}", f"http://127.0.0.1:{ops_port}"
    # Public routes unthrottled, so the fuzzer reaches them (certificate verification keeps its own 10/minute).
    env = {**os.environ, "SAVIVALDA_LOG_LEVEL": "WARNING", "SAVIVALDA_TIMER_INTERVAL": "3600",
           "SAVIVALDA_PUBLIC_RATE_LIMIT": "off",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log_path = out / "system.log"
    with open(log_path, "wb") as log:
        system = subprocess.Popen([str(BIN / "savivalda"), "--data-dir", str(data), "run", "--http",
                                   f"127.0.0.1:{http_port}", "--ops", f"127.0.0.1:{ops_port}"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        wait_ready(f"{base}/health/ready", system)
        token = subprocess.run([str(BIN / "savivalda"), "--data-dir", str(data), "token", "--role", "staff",
                                "--subject", "fuzz@lsa.lt"], cwd=ROOT, env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
        results = {}
        for service in args.services:
            junit = out / f"{service}.junit.xml"
            command = [str(BIN / "schemathesis"), "run", f"{base}/{service}/openapi.json", "--url", base,
                       "--checks", "all", "--mode", "all", "--max-examples", str(args.examples),
                       "--seed", str(args.seed), "--phases", args.phases, "--workers", args.workers,
                       "--header", f"Authorization: Bearer {token}", "--request-timeout", "30",
                       "--report", "junit", "--report-junit-path", str(junit), "--no-color",
                       *args.schemathesis_args.split()]
            began = time.monotonic()
            done = subprocess.run(command, cwd=out, capture_output=True, text=True)
            (out / f"{service}.schemathesis.txt").write_text(done.stdout + done.stderr)
            cases, by_check, server_errors = junit_failures(junit)
            results[service] = (cases, by_check, server_errors, time.monotonic() - began)
        counted = server_error_samples(ops)
    finally:
        system.terminate()
        try:
            system.wait(timeout=20)
        except subprocess.TimeoutExpired:
            system.kill()

    print(f"schemathesis run --checks all --mode all --max-examples {args.examples} --seed {args.seed} "
          f"--phases {args.phases}; reports in {out}")
    print(f"{'service':<14} {'operations':>10} {'server errors':>14} {'other failures':>15} {'seconds':>8}")
    total_server_errors = 0
    for service, (cases, by_check, server_errors, seconds) in results.items():
        errors = sum(n for code, n in by_check.items() if code in SERVER_ERRORS)
        others = sum(n for code, n in by_check.items() if code not in SERVER_ERRORS)
        total_server_errors += errors
        print(f"{service:<14} {cases:>10} {errors:>14} {others:>15} {seconds:>8.0f}")
    for service, (_, by_check, server_errors, _) in results.items():
        other = {k: v for k, v in by_check.items() if k not in SERVER_ERRORS}
        if other:
            print(f"  {service}, other failures by code: {json.dumps(other, sort_keys=True)}")
        for line in server_errors[:20]:
            print(f"  {service} SERVER ERROR {line}")
    print(f"5xx counted by the system: {json.dumps(counted, sort_keys=True) or '{}'}")
    tracebacks = log_path.read_text(errors="replace").count('"traceback"')
    print(f"log lines with a traceback: {tracebacks}; wall time {time.monotonic() - started:.0f} s")
    server_5xx = sum(v for k, v in counted.items() if k.endswith("5xx"))
    return 1 if total_server_errors or server_5xx else 0


if __name__ == "__main__":
    sys.exit(main())
