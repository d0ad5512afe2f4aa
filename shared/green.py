"""Eventlet set-up for every process that runs nameko code.

`patch()` must run before anything imports socket-using modules. Besides eventlet's monkey
patching it makes psycopg2 cooperative: without a wait callback, a query that waits on a row lock
blocks the whole eventlet hub, so the worker holding that lock can never finish (deadlock).
"""

from __future__ import annotations

_patched = False


def patch() -> None:
    global _patched
    if _patched:
        return
    import warnings

    # Eventlet announces its own deprecation on import; nameko 2.14 has no other concurrency model.
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    _make_psycopg2_green()
    _patched = True


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
