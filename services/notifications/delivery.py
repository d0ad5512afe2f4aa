"""Getting a rendered notification to a person: e-mail into a mailbox folder (embedded mode) or
over SMTP (distributed) with a fallback relay, and signed webhooks. No nameko here."""

from __future__ import annotations

import base64
import binascii
import functools
import http.client
import json
import os
import random
import smtplib
import socket
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from email.charset import Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
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
    # an Address, not formataddr's string: a name like 'Ąžuolas <x@y.lt>' must stay a name
    message["To"] = Address(display_name=one_line(outgoing.to_name), addr_spec=outgoing.to_address)
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


class EmailBuilder:
    """An e-mail's bytes straight from a template of its fixed parts, without building and flattening
    an `EmailMessage` per e-mail (that was a third of a fan-out's CPU). It says what `build_email`
    says (tests/notifications/test_email_bytes.py parses both and compares every header and part):
    the same headers in the same order, a multipart/alternative with the text and the HTML in UTF-8;
    the subject and the name are encoded (RFC 2047, `email.header`) only when they are not ASCII or
    are too long for one line; each part is 7bit or 8bit when its lines are short, otherwise
    quoted-printable or base64, whichever is shorter (the `email` package's own choice). Lines end
    in LF, as `bytes(EmailMessage)` does (the SMTP mailer turns them into CRLF)."""

    def __init__(self, sender: str):
        self.sender = sender
        # parse and re-serialise the sender once, as the header registry would for each e-mail
        probe = EmailMessage()
        probe["From"] = sender
        self._from = probe.as_bytes().split(b"\n", 1)[0] + b"\n"

    def build(self, outgoing: Outgoing, date: str | None = None) -> bytes:
        rendered = outgoing.rendered
        name = one_line(outgoing.to_name)
        subject = one_line(rendered.subject)
        text_cte, text_body = _encode_part(rendered.text)
        html_cte, html_body = _encode_part(rendered.html)
        boundary = _boundary(text_body, html_body)
        head = [
            b"To: ", _address_header(name, outgoing.to_address), b"\n",
            b"Subject: ", _text_header(subject, "Subject"), b"\n",
            b"Date: ", (date or format_datetime(utcnow())).encode("ascii"), b"\n",
            b"Message-ID: ", outgoing.message_id.encode("ascii"), b"\n",
            b"X-Savivalda-Event-ID: ", outgoing.event_id.encode("ascii"), b"\n",
            b"X-Savivalda-Event-Type: ", outgoing.event_type.encode("ascii"), b"\n",
        ]
        if outgoing.unsubscribe_url:
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the link.
            head += [b"List-Unsubscribe: <", outgoing.unsubscribe_url.encode("ascii"), b">\n",
                     b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"]
        head += [
            b"MIME-Version: 1.0\nContent-Type: multipart/alternative;\n boundary=\"", boundary, b"\"\n",
            b"Content-Language: ", rendered.language.encode("ascii"), b"\n\n",
            b"--", boundary, b"\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: ",
            text_cte, b"\n\n", text_body, b"\n",
            b"--", boundary, b"\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: ",
            html_cte, b"\n\n", html_body, b"\n",
            b"--", boundary, b"--\n",
        ]
        return self._from + b"".join(head)


# The e-mail package's line length for headers and 7bit/8bit bodies (policy.default.max_line_length).
MAX_LINE = 78


def _text_header(value: str, name: str) -> bytes:
    if value.isascii() and "=?" not in value and len(name) + 2 + len(value) <= MAX_LINE:
        return value.encode("ascii")
    # RFC 2047 encoded words, folded; email.header decodes them back to `value`
    return Header(value, "utf-8", header_name=name).encode(linesep="\n").encode("ascii")


_UTF8 = Charset("utf-8")


def _address_header(name: str, address: str) -> bytes:
    if name.isascii():  # the name quoted when it has to be (a long one is not folded: names are bounded)
        return formataddr((name, address)).encode("ascii")
    # the name as one RFC 2047 encoded word, however long (names are bounded): a phrase of several
    # encoded words is read back with spaces between them by the email package, the folding it
    # does itself included
    return f"{_UTF8.header_encode(name)} <{address}>".encode("ascii")


def _encode_part(text: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, body) as `EmailMessage.set_content` chooses them."""
    data = text.encode("utf-8")
    lines = data.splitlines()
    if max((len(line) for line in lines), default=0) <= MAX_LINE:
        return (b"7bit" if data.isascii() else b"8bit"), b"\n".join(lines) + b"\n"
    qp = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True)
    b64 = base64.encodebytes(b"\n".join(lines) + b"\n")
    if len(qp) <= len(b64):
        return b"quoted-printable", qp
    return b"base64", b64


def _boundary(*parts: bytes) -> bytes:
    while True:
        boundary = ("=" * 15 + repr(random.randrange(sys.maxsize)) + "==").encode("ascii")
        if not any(boundary in part for part in parts):
            return boundary


def email_bytes(builder: EmailBuilder, outgoing: Outgoing) -> bytes:
    """The e-mail's bytes: built from the template, or by the `email` package when a header would not
    be ASCII (an internationalised address)."""
    if outgoing.to_address.isascii():
        return builder.build(outgoing)
    return bytes(build_email(outgoing, builder.sender))


class MailboxMailer:
    """Writes each e-mail as an .eml file. The file name comes from the Message-ID, so delivering
    the same notification twice rewrites one file instead of adding a second e-mail."""

    name = "mailbox"

    def __init__(self, directory: Path, sender: str):
        self.directory = Path(directory)
        self.sender = sender
        self.builder = EmailBuilder(sender)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # e-mails are personal data

    def send_many(self, outgoings: list[Outgoing], on_result: OnResult | None = None) -> list[Result]:
        results = []
        for index, outgoing in enumerate(outgoings):
            message = email_bytes(self.builder, outgoing)
            stem = outgoing.message_id.strip("<>").split("@", 1)[0]
            target = self.directory / f"{stem}.eml"
            fd, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message)
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
    # connections at once at most (a relay may allow fewer per client than the delivery loop opens)
    connections: int | None = None

    @classmethod
    def from_url(cls, url: str) -> "SmtpRelay":
        """smtp://[user:pass@]host[:port][?starttls=true&timeout=10&connections=8] or smtps://...
        (implicit TLS)."""
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
            connections=_positive_int(query.get("connections"), "connections"),
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


def _positive_int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"SMTP URL: {name} must be a positive whole number, got {value!r}")
    return int(value)


class SmtpMailer:
    """Sends through the primary relay and, when it is unreachable or refuses for now, the fallback.
    A batch uses one connection per relay (a new one after a connection error), taken from and
    given back to the relay's pool of idle connections (outbound.SmtpPool), so batches reuse them."""

    name = "smtp"

    def __init__(self, primary_url: str, sender: str, fallback_url: str | None = None):
        self.sender = sender
        self.builder = EmailBuilder(sender)
        self.envelope_from = parseaddr(sender)[1]
        self.relays = [SmtpRelay.from_url(primary_url)] + ([SmtpRelay.from_url(fallback_url)] if fallback_url else [])
        self.pools = [outbound.SmtpPool(relay.connect) for relay in self.relays]
        # the delivery loop sends over at most this many connections at once (None: its default)
        self.connections = self.relays[0].connections

    def send_many(self, outgoings: list[Outgoing], on_result: OnResult | None = None) -> list[Result]:
        """Send each in turn over shared connections; `on_result(index, result)` is called as soon
        as each one's fate is known (the delivery round records it at once, not after the batch)."""
        clients: dict[int, smtplib.SMTP] = {}
        results = []
        between_messages = False
        try:
            for index, outgoing in enumerate(outgoings):
                between_messages = False
                results.append(self._send(outgoing, clients))
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

    def _send(self, outgoing: Outgoing, clients: dict) -> Result:
        if outgoing.to_address.isascii():
            # smtplib sends bytes as they are: SMTP's lines end in CRLF
            message = email_bytes(self.builder, outgoing).replace(b"\n", b"\r\n")
            send = self._send_bytes(outgoing.to_address)
        else:  # an internationalised address: smtplib's send_message asks the server for SMTPUTF8
            message, send = build_email(outgoing, self.sender), lambda client, built: client.send_message(
                built, to_addrs=[outgoing.to_address])
        errors = []
        for index, relay in enumerate(self.relays):
            for attempt in (1, 2):  # a reused connection may have been closed by the server
                try:
                    if index not in clients:
                        clients[index] = self.pools[index].take(fresh=attempt == 2)
                    send(clients[index], message)
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


    def _send_bytes(self, to_address: str):
        return lambda client, data: client.sendmail(self.envelope_from, [to_address], data)


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
