"""Eventlet set-up for every process that runs nameko code.

`patch()` must run before anything imports socket-using modules. Besides eventlet's monkey
patching it makes psycopg2 cooperative: without a wait callback, a query that waits on a row lock
blocks the whole eventlet hub, so the worker holding that lock can never finish (deadlock).

Name lookups: eventlet's green DNS re-imports dnspython under its patcher, about a quarter of a
start's CPU (docs/performance.md). It is off (EVENTLET_NO_GREENDNS=yes unless the environment says
otherwise), and lookups use the C library's resolver, the one every other program in the container
uses (/etc/hosts, the compose network's DNS for `postgres` and `rabbitmq`), run in eventlet's
thread pool so a slow lookup (an SMTP relay's or a webhook's host) holds up one green thread, not
the process. A numeric address is answered at once, without the pool. libpq resolves its hosts
itself, as before.
"""

from __future__ import annotations

import sys

_patched = False


def patch() -> None:
    global _patched
    if _patched:
        return
    import warnings

    # Eventlet announces its own deprecation on import; nameko 2.14 has no other concurrency model.
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    import os

    os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
    import eventlet

    eventlet.monkey_patch()
    _make_psycopg2_green()
    _resolve_in_threads()
    _patched = True


def _resolve_in_threads() -> None:
    import socket

    from eventlet import tpool
    from eventlet.green import socket as green_socket

    if "eventlet.support.greendns" in sys.modules:
        return  # green DNS asked for (EVENTLET_NO_GREENDNS=no) or eventlet was imported before patch()
    blocking_getaddrinfo, blocking_gethostbyname = green_socket.getaddrinfo, green_socket.gethostbyname

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        try:
            return blocking_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            return tpool.execute(blocking_getaddrinfo, host, port, family, type, proto, flags)

    def gethostbyname(host):
        return tpool.execute(blocking_gethostbyname, host)

    # socket.create_connection (smtplib, urllib, kombu) is eventlet's, which calls its module's own.
    for module in (socket, green_socket):
        module.getaddrinfo, module.gethostbyname = getaddrinfo, gethostbyname


def _make_psycopg2_green() -> None:
    import psycopg2
    from eventlet.hubs import trampoline
    from psycopg2 import extensions

    def wait_callback(conn, timeout=-1):
        while True:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            if state == extensions.POLL_READ:
                trampoline(conn.fileno(), read=True)
            elif state == extensions.POLL_WRITE:
                trampoline(conn.fileno(), write=True)
            else:  # pragma: no cover - libpq contract
                raise psycopg2.OperationalError(f"bad result from poll: {state!r}")

    extensions.set_wait_callback(wait_callback)
