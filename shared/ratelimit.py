"""Rate limits of the public routes: a token bucket per client, answered with 429 and Retry-After.

Every `public=True` route is limited (SAVIVALDA_PUBLIC_RATE_LIMIT, default 60 requests a minute
per client, shared by a service's public routes); a route may declare its own limit and bucket
with `rate_limit="10/minute"` (certificate verification does). A bucket holds `count` requests
and refills at count/period, so a client may burst up to `count` and then gets one request every
period/count seconds.

The client is the connection's remote address; `X-Forwarded-For` is believed only when the
connection comes from a trusted proxy (SAVIVALDA_TRUSTED_PROXIES, e.g. the compose gateway), and
then the right-most address in it that is not itself a trusted proxy is the client.

The buckets live in the process (one `RateLimits` per service container): with N replicas
behind a load balancer a client gets up to N times the limit. That is acceptable for what the
limits are for (making guessing and scraping slow, not exact quotas); docs/security.md says so.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

from nameko.extensions import SharedExtension

from shared.errors import Problem

_PERIODS = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0,
            "hour": 3600.0}
_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")
MAX_CLIENTS = 20000  # buckets kept per limit; the least recently seen clients are forgotten first


@dataclass(frozen=True)
class RateLimit:
    count: int
    period: float  # seconds

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        unit = {1.0: "second", 60.0: "minute", 3600.0: "hour"}.get(self.period, f"{self.period:g}s")
        return f"{self.count}/{unit}"


def parse_rate_limit(text: str | None) -> RateLimit | None:
    """`60/minute`, `10/min`, `5/s`, `1000/hour`; `off` (or empty) is no limit."""
    if text is None or text.strip().lower() in ("", "off", "none", "0"):
        return None
    match = _FORMAT.match(text.lower())
    if not match or match.group(2) not in _PERIODS or int(match.group(1)) < 1:
        raise ValueError(f"a rate limit looks like 60/minute, 10/second or 1000/hour (or off), got {text!r}")
    return RateLimit(int(match.group(1)), _PERIODS[match.group(2)])


class TokenBuckets:
    """One limit, a bucket per client."""

    def __init__(self, limit: RateLimit, max_clients: int = MAX_CLIENTS, clock=time.monotonic):
        self.limit = limit
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)

    def take(self, client: str) -> float:
        """0 if the request may go ahead (a token is taken), else the seconds until it could."""
        now = self.clock()
        tokens, at = self._buckets.pop(client, (float(self.limit.count), now))
        tokens = min(float(self.limit.count), tokens + (now - at) * self.limit.per_second)
        if tokens >= 1.0:
            tokens, wait = tokens - 1.0, 0.0
        else:
            wait = (1.0 - tokens) / self.limit.per_second
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


def _networks(items) -> list:
    return [ipaddress.ip_network(item, strict=False) for item in items]


def _is_in(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(environ: dict, trusted_proxies=()) -> str:
    """Who is asking: the remote address, or — from a trusted proxy — the first untrusted hop in
    X-Forwarded-For, read from the right (entries further left are whatever the client wrote)."""
    remote = environ.get("REMOTE_ADDR") or "unknown"
    networks = _networks(trusted_proxies)
    if not networks or not _is_in(remote, networks):
        return remote
    forwarded = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _is_in(hop, networks):
            return hop
    return forwarded[0] if forwarded else remote


class RateLimits(SharedExtension):
    """The buckets of one service container, by name (a route's own, or the service's public one)."""

    def setup(self):
        self._limits: dict[str, TokenBuckets] = {}

    def take(self, name: str, limit: RateLimit, client: str) -> float:
        buckets = self._limits.get(name)
        if buckets is None or buckets.limit != limit:
            buckets = self._limits[name] = TokenBuckets(limit)
        return buckets.take(client)


def route_limit(route, settings) -> tuple[str, RateLimit] | None:
    """The bucket name and limit a route is held to, or None: its own `rate_limit=`, else the
    public default for public routes."""
    own = getattr(route, "rate_limit", None)
    if own is not None:
        limit = parse_rate_limit(own)
        return (f"{route.method} {route.path}", limit) if limit else None
    if route.public:
        limit = parse_rate_limit(settings.public_rate_limit)
        return ("public", limit) if limit else None
    return None


def enforce(route, request) -> None:
    """Raise a 429 Problem when the client has used up its bucket on this route."""
    if route.limit is None:
        return
    name, limit = route.limit
    wait = route.rate_limits.take(name, limit, client_address(request.environ, route.settings.trusted_proxies))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise Problem(429, "Too many requests",
                      f"at most {limit} requests from one client here; try again in {seconds} s",
                      code="rate_limited", headers={"Retry-After": str(seconds)})
