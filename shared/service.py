"""The base every Savivalda service class derives from."""

from __future__ import annotations

from shared.observability import WorkerObserver


class ServiceBase:
    """Gives every service the worker observer (metrics per entrypoint, log context).

    Subclasses set `name`, declare `db = Database()` and their entrypoints; the domain logic lives
    in the service's domain package and is called from the entrypoints.
    """

    name: str
    observer = WorkerObserver()
