"""The image's HEALTHCHECK: is this container's process ready (/health/ready on its ops port)?

Exit 0 when ready, 1 otherwise, printing the reason; `docker inspect` shows it under
State.Health. Reads the same SAVIVALDA_OPS_ADDRESS the process listens on, and needs nothing
beyond the standard library (the slim image has no curl).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_OPS_ADDRESS = "0.0.0.0:9100"


def ready_url(ops_address: str) -> str:
    host, _, port = ops_address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/health/ready"


def main() -> int:
    url = ready_url(os.environ.get("SAVIVALDA_OPS_ADDRESS") or DEFAULT_OPS_ADDRESS)
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            print(response.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as error:  # 503: the body says which check fails
        print(f"not ready ({error.code}): {error.read().decode('utf-8', 'replace')}")
    except OSError as error:
        print(f"not ready: {url}: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
