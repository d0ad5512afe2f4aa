"""Name lookups under eventlet without green DNS (shared/green.py): dnspython is not imported, the
C library's resolver answers (localhost from /etc/hosts, numeric addresses), connections by host
name work, and a lookup by name lets other green threads run while it waits in the thread pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = r"""
import json, sys
from shared.green import patch
patch()
import eventlet, socket, smtplib

ticks = []
def tick():
    while True:
        ticks.append(1)
        eventlet.sleep(0)
ticker = eventlet.spawn(tick)
for _ in range(5):
    by_name = socket.getaddrinfo("localhost", 5432, type=socket.SOCK_STREAM)
ticked_during_lookups = len(ticks)
numeric = socket.getaddrinfo("127.0.0.1", 5432, type=socket.SOCK_STREAM)
ticker.kill()
listener = eventlet.listen(("127.0.0.1", 0))
connection = socket.create_connection(("localhost", listener.getsockname()[1]), timeout=5)
print(json.dumps({
    "dns_modules": sorted(m for m in sys.modules if m == "dns" or m.startswith(("dns.", "eventlet.support.greendns"))),
    "by_name": sorted({info[4][0] for info in by_name}), "numeric": [info[4][0] for info in numeric],
    "ticked_during_lookups": ticked_during_lookups, "connected": connection.getpeername()[0],
}))
"""


def probe(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "EVENTLET_NO_GREENDNS"} | env
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                          env=environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_lookups_use_the_system_resolver_in_threads_without_dnspython():
    found = probe()
    assert found["dns_modules"] == []
    assert "127.0.0.1" in found["by_name"] or "::1" in found["by_name"]
    assert found["numeric"] == ["127.0.0.1"]
    assert found["ticked_during_lookups"] > 0  # the hub ran other green threads during the lookups
    assert found["connected"] in ("127.0.0.1", "::1")


def test_green_dns_can_still_be_asked_for():
    found = probe(EVENTLET_NO_GREENDNS="no")
    assert "eventlet.support.greendns" in found["dns_modules"]
    assert found["connected"] in ("127.0.0.1", "::1")
