"""Which service classes exist; the runner, `migrate` and the topology declaration use this.

A service's module is imported only when its class is asked for: a process running one service
(`savivalda run grants`) imports that service's code, not the other three's (importing one service
alone takes 0.2-0.34 s of CPU, all four 0.5 s; docs/performance.md, "Embedded start")."""

from __future__ import annotations

from importlib import import_module
from typing import Iterable

from shared.config import SERVICE_NAMES

# name -> (module, class)
SERVICE_CLASSES = {
    "enrollment": ("services.enrollment.service", "EnrollmentService"),
    "grants": ("services.grants.service", "GrantsService"),
    "partners": ("services.partners.service", "PartnersService"),
    "notifications": ("services.notifications.service", "NotificationsService"),
}
assert tuple(SERVICE_CLASSES) == SERVICE_NAMES


def service_classes(names: Iterable[str] | None = None) -> dict[str, type]:
    """The service classes by name, in SERVICE_NAMES order: every one, or only those `names` gives."""
    wanted = SERVICE_NAMES if names is None else tuple(names)
    unknown = [name for name in wanted if name not in SERVICE_CLASSES]
    if unknown:
        raise KeyError(f"unknown service(s): {', '.join(unknown)}")
    classes = {}
    for name in SERVICE_NAMES:
        if name in wanted:
            module, attribute = SERVICE_CLASSES[name]
            cls = getattr(import_module(module), attribute)
            assert cls.name == name, (cls, name)
            classes[name] = cls
    return classes
