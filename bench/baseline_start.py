"""Baseline: the smallest nameko 2.14.1 process that serves HTTP (one service, one entrypoint; no
project code), to compare start-up time and memory with `savivalda run`.

    python bench/baseline_start.py 127.0.0.1:PORT

Ready when GET /health/ready answers 200.
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402
from nameko.web.handlers import http  # noqa: E402


class Minimal:
    name = "minimal"

    @http("GET", "/health/ready")
    def ready(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps({"status": "ready"})


def main() -> None:
    runner = ServiceRunner({"WEB_SERVER_ADDRESS": sys.argv[1]})
    runner.add_service(Minimal)
    runner.start()
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()


if __name__ == "__main__":
    main()
