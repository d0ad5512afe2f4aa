"""An SMTP catcher standing in for Mailpit in deploy/rehearse: keeps every message it receives
(in memory and as /mail/<n>.eml) and lists them over HTTP the way Mailpit's API does.

    SMTP  0.0.0.0:1025
    HTTP  0.0.0.0:8025   GET /api/v1/messages      {"total": n, "messages": [...]} newest first
                         GET /api/v1/message/<ID>  one message: headers and text body
"""

import asyncio
import email
import json
import signal
import threading
from datetime import datetime, timezone
from email import policy
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.smtp import SMTP

MAILDIR = Path("/mail")
MESSAGES: list[dict] = []
LOCK = threading.Lock()


def _addresses(values):
    return [{"Name": name, "Address": address} for name, address in getaddresses(values)]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with LOCK:
            number = len(MESSAGES) + 1
            (MAILDIR / f"{number}.eml").write_bytes(envelope.content)
            body = message.get_body(("plain", "html"))
            MESSAGES.append({
                "ID": str(number),
                "From": (_addresses([message.get("From", "")]) or [{}])[0],
                "To": _addresses(message.get_all("To", [])),
                "Recipients": list(envelope.rcpt_tos),
                "Subject": str(message.get("Subject", "")),
                "Created": datetime.now(timezone.utc).isoformat(),
                "Text": body.get_content() if body is not None else "",
            })
        print(f"catcher: message {number} for {', '.join(envelope.rcpt_tos)}: {message.get('Subject')}", flush=True)
        return "250 Message accepted for delivery"


class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        with LOCK:
            messages = list(MESSAGES)
        if self.path.split("?")[0] == "/api/v1/messages":
            summary = [{k: v for k, v in m.items() if k != "Text"} for m in reversed(messages)]
            return self._json(200, {"total": len(messages), "messages": summary})
        if self.path.startswith("/api/v1/message/"):
            wanted = self.path.rsplit("/", 1)[1]
            for message in messages:
                if message["ID"] == wanted:
                    return self._json(200, message)
            return self._json(404, {"error": "no such message"})
        if self.path == "/livez":
            return self._json(200, {"status": "ok"})
        return self._json(404, {"error": "not found"})

    def _json(self, status, value):
        body = json.dumps(value, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


async def main():
    MAILDIR.mkdir(exist_ok=True)
    api = ThreadingHTTPServer(("0.0.0.0", 8025), Api)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    handler = Handler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "0.0.0.0", 1025)
    # As PID 1 the process gets no default action for SIGTERM: `docker compose stop` would wait
    # out its grace period and kill it.
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    print("catcher: SMTP on 1025, API on 8025", flush=True)
    async with server:
        await stopping.wait()
    api.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
