"""Which service classes exist; the runner, `migrate` and the topology declaration use this."""

from __future__ import annotations

from shared.config import SERVICE_NAMES


def service_classes() -> dict[str, type]:
    from services.enrollment.service import EnrollmentService
    from services.grants.service import GrantsService
    from services.notifications.service import NotificationsService
    from services.partners.service import PartnersService

    classes = {cls.name: cls for cls in (EnrollmentService, GrantsService, PartnersService, NotificationsService)}
    assert tuple(classes) == SERVICE_NAMES or set(classes) == set(SERVICE_NAMES)
    return classes
