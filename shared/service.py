"""The base every Savivalda service class derives from."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from shared.observability import WorkerObserver


class SettingsProvider(DependencyProvider):
    """Injects the process's Settings (shared.config) into workers."""

    def get_dependency(self, worker_ctx):
        return self.container.config["SAVIVALDA"]


class ServiceBase:
    """Gives every service the worker observer (metrics per entrypoint, log context) and
    `self.settings`.

    Subclasses set `name`, declare `db = Database()` and their entrypoints; the domain logic lives
    in the service's domain package and is called from the entrypoints.
    """

    name: str
    observer = WorkerObserver()
    settings = SettingsProvider()
