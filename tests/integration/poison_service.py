"""A one-handler service whose handler kills its own process with SIGKILL, as an out-of-memory kill,
a segfault or a liveness kill would, for tests/integration/test_poison_redelivery.py.

    python -m tests.integration.poison_service AMQP_URI DATABASE_URL QUEUE_TYPE MAX_REDELIVERIES RUNS_FILE
"""

from shared.green import patch

patch()

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import eventlet  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from shared.config import Settings  # noqa: E402
from shared.events.privacy import ErasureRequested  # noqa: E402
from shared.messaging.subscriptions import subscribe  # noqa: E402
from shared.persistence.provider import Database  # noqa: E402
from shared.service import ServiceBase  # noqa: E402

RUNS = os.environ.get("POISON_RUNS_FILE", "")


class Poison(ServiceBase):
    name = "poison"
    db = Database()

    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope):
        with open(RUNS, "a") as runs:
            runs.write(f"{envelope.id}\n")
        os.kill(os.getpid(), signal.SIGKILL)


def settings(amqp_uri: str, database_url: str, queue_type: str, max_redeliveries: int) -> Settings:
    limit = {"max_redeliveries": max_redeliveries} if "max_redeliveries" in Settings.__dataclass_fields__ else {}
    return Settings(mode="distributed", services=("poison",), amqp_uri=amqp_uri,
                    database_urls={"poison": database_url}, auth_secret="x" * 43, http_address="127.0.0.1:0",
                    ops_address="127.0.0.1:0", queue_type=queue_type, retry_delays=(0.2,), **limit)


if __name__ == "__main__":
    amqp_uri, database_url, queue_type, max_redeliveries, RUNS = sys.argv[1:6]
    runner = ServiceRunner(settings(amqp_uri, database_url, queue_type, int(max_redeliveries)).nameko_config())
    runner.add_service(Poison)
    runner.start()
    print("started", flush=True)
    while True:
        eventlet.sleep(1)
