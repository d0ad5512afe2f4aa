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
