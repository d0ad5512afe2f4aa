"""Getting a rendered notification to a person: e-mail into a mailbox folder (embedded mode) or
over SMTP (distributed) with a fallback relay, and signed webhooks. No nameko here."""

from __future__ import annotations

import functools
import http.client
import json
import os
import smtplib
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlparse, urlsplit

from services.notifications import outbound
from services.notifications.domain.tokens import webhook_signature
from services.notifications.rendering import Rendered
from shared.persistence.schema import utcnow


class DeliveryError(Exception):
    """Delivery failed; `permanent` means retrying will not help (e.g. address rejected)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    to_name: str
    to_address: str
    message_id: str
    rendered: Rendered
    event_id: str
    event_type: str
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class Result:
    via: str | None = None
    error: str | None = None
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


# Called by a mailer's send_many with (index in the batch, result) as soon as each e-mail is sent.
OnResult = Callable[[int, Result], None]


def one_line(text: str) -> str:
    """Header text on one line: line breaks and other control characters become spaces (the APIs
    refuse them in names; data stored before they did must not break, or inject, a header)."""
    return " ".join("".join(" " if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in text).split())


def build_email(outgoing: Outgoing, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((one_line(outgoing.to_name), outgoing.to_address))
    message["Subject"] = one_line(outgoing.rendered.subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = outgoing.message_id
    message["X-Savivalda-Event-ID"] = outgoing.event_id
    message["X-Savivalda-Event-Type"] = outgoing.event_type
    if outgoing.unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(outgoing.rendered.text)
    message.add_alternative(outgoing.rendered.html, subtype="html")
    # After set_content, which drops every Content-* header set before it.
    message["Content-Language"] = outgoing.rendered.language
    return message


class MailboxMailer:
    """Writes each e-mail as an .eml file. The file name comes from the Message-ID, so delivering
    the same notification twice rewrites one file instead of adding a second e-mail."""

    name = "mailbox"

    def __init__(self, directory: Path, sender: str):
        self.directory = Path(directory)
        self.sender = sender
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # e-mails are personal data

    def send_many(self, outgoings: list[Outgoing], on_result: OnResult | None = None) -> list[Result]:
        results = []
        for index, outgoing in enumerate(outgoings):
            message = build_email(outgoing, self.sender)
            stem = outgoing.message_id.strip("<>").split("@", 1)[0]
            target = self.directory / f"{stem}.eml"
            fd, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(message))
            os.replace(temporary, target)
            results.append(Result(via=f"mailbox:{target.name}"))
            if on_result is not None:
                on_result(index, results[-1])
        return results


@dataclass(frozen=True)
class SmtpRelay:
    """One SMTP server to send through."""

    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    timeout: float

    @classmethod
    def from_url(cls, url: str) -> "SmtpRelay":
        """smtp://[user:pass@]host[:port][?starttls=true&timeout=10] or smtps://... (implicit TLS)."""
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, got {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        implicit = parsed.scheme == "smtps"
        return cls(
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if implicit else 25),
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            implicit_tls=implicit,
            starttls=query.get("starttls", "false").lower() in ("1", "true", "yes"),
            timeout=float(query.get("timeout", "15")),
        )

    @property
    def label(self) -> str:
        return f"smtp:{self.host}:{self.port}"

    @functools.cached_property
    def tls_context(self) -> ssl.SSLContext:
        # Loading the system's CA certificates costs milliseconds of CPU: once per relay, not per e-mail.
        return ssl.create_default_context()

    def connect(self) -> smtplib.SMTP:
        client_cls = smtplib.SMTP_SSL if self.implicit_tls else smtplib.SMTP
        kwargs = {"context": self.tls_context} if self.implicit_tls else {}
        client = client_cls(self.host, self.port, timeout=self.timeout, **kwargs)
        try:
            if self.starttls:
                client.starttls(context=self.tls_context)
            if self.username:
                client.login(self.username, self.password or "")
        except Exception:
            client.close()
            raise
        return client


class SmtpMailer:
    """Sends through the primary relay and, when it is unreachable or refuses for now, the fallback.
    A batch uses one connection per relay (a new one after a connection error), taken from and
    given back to the relay's pool of idle connections (outbound.SmtpPool), so batches reuse them."""

    name = "smtp"

    def __init__(self, primary_url: str, sender: str, fallback_url: str | None = None):
        self.sender = sender
        self.relays = [SmtpRelay.from_url(primary_url)] + ([SmtpRelay.from_url(fallback_url)] if fallback_url else [])
        self.pools = [outbound.SmtpPool(relay.connect) for relay in self.relays]

    def send_many(self, outgoings: list[Outgoing], on_result: OnResult | None = None) -> list[Result]:
        """Send each in turn over shared connections; `on_result(index, result)` is called as soon
        as each one's fate is known (the delivery round records it at once, not after the batch)."""
        clients: dict[int, smtplib.SMTP] = {}
        results = []
        between_messages = False
        try:
            for index, outgoing in enumerate(outgoings):
                between_messages = False
                results.append(self._send(build_email(outgoing, self.sender), clients))
                between_messages = True
                if on_result is not None:
                    on_result(index, results[-1])
            return results
        finally:
            for index, client in clients.items():
                # Only a connection between messages is reused; one left mid-message is closed.
                if between_messages:
                    self.pools[index].give_back(client)
                else:
                    self.pools[index].discard(client)

    def _send(self, message: EmailMessage, clients: dict) -> Result:
        errors = []
        for index, relay in enumerate(self.relays):
            for attempt in (1, 2):  # a reused connection may have been closed by the server
                try:
                    if index not in clients:
                        clients[index] = self.pools[index].take(fresh=attempt == 2)
                    clients[index].send_message(message)
                    return Result(via=relay.label)
                except smtplib.SMTPRecipientsRefused as refused:
                    codes = [code for code, _ in refused.recipients.values()]
                    if all(500 <= code < 600 for code in codes):
                        return Result(error=f"{relay.label} refused the address: {refused.recipients}", permanent=True)
                    errors.append(f"{relay.label}: {refused.recipients}")
                    break
                except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
                    clients.pop(index, None)
                    if attempt == 2:
                        errors.append(f"{relay.label}: {type(error).__name__}: {error}")
                except (smtplib.SMTPException, OSError) as error:
                    stale = clients.pop(index, None)
                    if stale is not None:
                        stale.close()
                    errors.append(f"{relay.label}: {type(error).__name__}: {error}")
                    break
        return Result(error="; ".join(errors))


class WebhookSender:
    """POSTs the notification as JSON, signed: `X-Savivalda-Signature: v1=<HMAC-SHA256>` over
    "<timestamp>.<body>" with the recipient's secret, and the timestamp in `X-Savivalda-Timestamp`.

    Only to addresses `outbound.safe_addresses` allows (public ones, or those the operator allows),
    connecting to the very address that was checked; redirects are not followed; `timeout` bounds
    the connection and each read, and at most `max_response_bytes` of the answer is read."""

    def __init__(self, timeout: float = 10.0, allowed_hosts: tuple[str, ...] = (), resolver=None,
                 max_response_bytes: int = 64 * 1024):
        self.timeout = timeout
        self.allowed_hosts = tuple(allowed_hosts)
        self.resolver = resolver or outbound.resolve
        self.max_response_bytes = max_response_bytes

    @functools.cached_property
    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context()

    def send(self, url: str, secret: str, payload: dict, idempotency_key: str) -> Result:
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "savivalda-notifications",
            "X-Savivalda-Timestamp": str(timestamp),
            "X-Savivalda-Signature": webhook_signature(secret, timestamp, body),
            "Idempotency-Key": idempotency_key,
        }
        parts = urlsplit(url)
        label = f"webhook:{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        try:
            scheme, host, port, addresses = outbound.safe_addresses(url, self.allowed_hosts, self.resolver)
        except outbound.UnsafeWebhook as error:
            return Result(error=f"{label} refused: {error}", permanent=True)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        failure: Exception | None = None
        for address in addresses[:3]:
            if scheme == "https":
                connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.tls_context)
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
            # Connect to the checked address (no second DNS lookup); Host and TLS SNI keep the name.
            connection._create_connection = functools.partial(_connect_to, address)
            try:
                connection.request("POST", target, body=body, headers=headers)
                response = connection.getresponse()
                response.read(self.max_response_bytes)
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                failure = error
                continue
            finally:
                connection.close()
            if 200 <= status < 300:
                return Result(via=label)
            if 300 <= status < 400:
                return Result(error=f"{label} answered {status}; redirects are not followed", permanent=True)
            permanent = 400 <= status < 500 and status not in (408, 425, 429)
            return Result(error=f"{label} answered {status}", permanent=permanent)
        return Result(error=f"{label}: {type(failure).__name__}: {failure}")


def _connect_to(address: str, host_port, timeout, source_address=None):
    return socket.create_connection((address, host_port[1]), timeout, source_address)


def mailer_for(settings):
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.mail_from, settings.smtp_fallback_url)
    return MailboxMailer(settings.mailbox_dir, settings.mail_from)
