"""A real SMTP server (aiosmtpd) that stores every message it accepts as an .eml file, and
refuses recipients whose address starts with "refused" (550) or "busy" (451); it takes
SLOW_SECONDS to accept one that starts with "slow" (a slow server or network, so a test can act
while a batch is being sent; the message itself is accepted, once complete, at once).

    python smtp_sink.py <port> <folder>

Runs until SIGTERM. Prints "ready" once it accepts connections.
"""

import asyncio
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

SLOW_SECONDS = 0.2


class SaveToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Addresses that start with "refused" are rejected for good, "busy" ones for now:
        # the tests use them to see bounces and retries.
        local = address.split("@", 1)[0].lower()
        if local.startswith("refused"):
            return "550 5.1.1 No such user here"
        if local.startswith("busy"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        if local.startswith("slow"):
            await asyncio.sleep(SLOW_SECONDS)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        os.replace(temporary, self.folder / f"{number:06d}.eml")
        return "250 Message accepted for delivery"


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
