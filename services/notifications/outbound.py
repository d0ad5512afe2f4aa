"""Where webhooks may go: http(s) to public addresses only, unless the operator allows a host.

A webhook URL is given by whoever registers a recipient, and the delivery loop POSTs to it from
inside the platform's network: without a check it reaches the broker's management API, the
databases, the metadata service of a cloud machine (169.254.169.254) or the services themselves
on 127.0.0.1 (server-side request forgery). So:

- at registration the URL must be `http://` or `https://` with a host, no user:password part,
  and a host that is not (and does not resolve to) a loopback, private, link-local, multicast,
  reserved or otherwise non-global address — 422 naming `webhook_url` otherwise;
- at every delivery the host is resolved again and every address checked (a name may be
  re-pointed after registration), and the connection goes to the address that was checked
  (no second lookup an attacker's DNS could answer differently);
- redirects are not followed (a 3xx is a failed delivery) and every connection has timeouts.

SAVIVALDA_WEBHOOK_ALLOWED_HOSTS lists host names, addresses or networks allowed all the same (a
receiver on the centre's own network, or a test's receiver on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


class UnsafeWebhook(ValueError):
    """The webhook URL is not one the service may call; the message says why."""


def _allowed_networks(allowed_hosts) -> list:
    networks = []
    for item in allowed_hosts:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            pass  # a host name
    return networks


def address_allowed(address: str, allowed_hosts=()) -> bool:
    """A global unicast address, or one in an allowed network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _allowed_networks(allowed_hosts)):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def parse_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL shape, or UnsafeWebhook."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhook(f"not a valid URL: {error}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise UnsafeWebhook("a webhook must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeWebhook("a webhook URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhook("a webhook URL may not carry a user name or password")
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.lower().rstrip("."), port or (443 if scheme == "https" else 80)


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def safe_addresses(url: str, allowed_hosts=(), resolver=resolve) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses to connect to) for a delivery; UnsafeWebhook if the URL or
    any address it resolves to is not allowed, or it does not resolve."""
    scheme, host, port = parse_target(url)
    if host in allowed_hosts:
        return scheme, host, port, resolver(host, port)
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolver(host, port)
        except OSError as error:
            raise UnsafeWebhook(f"{host} does not resolve: {error}") from None
    refused = [a for a in addresses if not address_allowed(a, allowed_hosts)]
    if refused or not addresses:
        raise UnsafeWebhook(f"{host} is (or resolves to) a loopback, private, link-local or reserved address "
                            f"({', '.join(refused)}); webhooks go to public addresses only "
                            "unless SAVIVALDA_WEBHOOK_ALLOWED_HOSTS allows it")
    return scheme, host, port, addresses


def check_registration(url: str | None, allowed_hosts=(), resolver=resolve) -> None:
    """The registration check: the URL's shape, and its host's addresses when it resolves now (a
    name that does not resolve yet is accepted; every delivery checks again)."""
    if url is None:
        return
    try:
        safe_addresses(url, allowed_hosts, resolver)
    except UnsafeWebhook as error:
        if "does not resolve" in str(error):
            return
        raise


# ---------------------------------------------------------------- SMTP connections kept between batches

class SmtpPool:
    """Idle SMTP connections to one relay, kept between batches instead of a connect, EHLO,
    STARTTLS and login, then QUIT, per batch (at low rates a batch is one e-mail).

    `take()` gives the most recently used idle connection, or a new one from `connect()`; one idle
    longer than `check_after` seconds is asked NOOP first and replaced when the answer is not 250
    or the server closed it; one idle longer than `max_idle_seconds` is closed (QUIT). `give_back`
    keeps at most `max_idle`; only a connection between messages (after a complete send or a
    refusal smtplib has RSET) may be given back, any other is `discard`ed. The delivery loop's
    green threads share a pool: taking and giving back never yield between the list's read and
    its change."""

    def __init__(self, connect, *, max_idle: int = 16, check_after: float = 2.0, max_idle_seconds: float = 60.0,
                 clock=None):
        import time

        self._connect = connect
        self._idle: list[tuple[object, float]] = []
        self.max_idle = max_idle
        self.check_after = check_after
        self.max_idle_seconds = max_idle_seconds
        self._clock = clock or time.monotonic
        self.opened = 0  # connections made, for tests and benchmarks

    def take(self, fresh: bool = False):
        """An idle connection, or a new one (always a new one with `fresh`: the retry after a
        connection the server had closed does not try another that is as old)."""
        while self._idle and not fresh:
            client, since = self._idle.pop()
            idle = self._clock() - since
            if idle > self.max_idle_seconds:
                self._quit(client)
                continue
            if idle > self.check_after and not self._alive(client):
                self.discard(client)
                continue
            return client
        client = self._connect()
        self.opened += 1
        return client

    def give_back(self, client) -> None:
        if len(self._idle) >= self.max_idle:
            self._quit(client)
        else:
            self._idle.append((client, self._clock()))

    @staticmethod
    def discard(client) -> None:
        try:
            client.close()
        except Exception:
            pass

    def close_all(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            self._quit(client)

    @property
    def idle(self) -> int:
        return len(self._idle)

    @staticmethod
    def _alive(client) -> bool:
        try:
            code, _ = client.noop()
        except Exception:  # closed by the server (SMTPServerDisconnected), reset, timed out
            return False
        return code == 250

    def _quit(self, client) -> None:
        try:
            client.quit()
        except Exception:
            self.discard(client)
