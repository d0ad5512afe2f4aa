"""Storage of joint applications' parts (services/grants/usecases/joint.py) and who may see and
change a joint application (the tenancy scopes its routes declare)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import delete, func, or_, select, union
from sqlalchemy.orm import Session

from services.grants.models import Application, JointPart
from shared.errors import Forbidden, NotFound
from shared.tenancy import SharedResource, _acts_for, owned_by


def _municipalities(service, identifier) -> set[str]:
    """Tenancy.shared lookup: the lead (the application's municipality) and its partner
    municipalities (empty for an unknown id: 404 like another municipality's)."""
    rows = service.db.session.scalars(union(
        select(Application.municipality_code).where(Application.id == identifier),
        select(JointPart.municipality_code).where(JointPart.application_id == identifier)))
    return set(rows)


APPLICATION_MUNICIPALITIES = _municipalities
APPLICATION_LEAD = owned_by(Application.municipality_code, Application.id)


@dataclass(frozen=True)
class LedResource(SharedResource):
    """An application its lead municipality (and the centre) changes: another municipality gets 404
    as for an unknown id; a partner municipality of a joint application, which sees it, gets 403."""

    lead: Callable[[Any, Any], str | None] | None = None

    def authorise_in_worker(self, service, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is None:
            return
        identifier = kwargs[self.parameter]
        if own not in (self.owner(service, identifier) or ()):
            raise NotFound(self.name, identifier)
        lead = self.lead(service, identifier)
        if lead != own:
            raise Forbidden(f"municipality {own} is a partner of this joint {self.name}; only its lead "
                            f"municipality {lead} or the centre's staff change it")

    def document(self) -> dict:
        return super().document() | {
            "rule": "another municipality's is 404, as an unknown id; a partner municipality of a joint application "
                    "sees it but only the lead municipality changes it (403)"}


def led_application(parameter: str = "application_id") -> LedResource:
    return LedResource("resource", parameter, APPLICATION_MUNICIPALITIES, "application", APPLICATION_LEAD)


class JointRepository:
    def __init__(self, session: Session):
        self.session = session

    def parts(self, application_id: uuid.UUID) -> list[JointPart]:
        """The lead's part first, then the partners' in the order given."""
        return list(self.session.scalars(select(JointPart).where(JointPart.application_id == application_id)
                                         .order_by(JointPart.position)))

    def part(self, application_id: uuid.UUID, municipality_code: str) -> JointPart:
        found = self.session.get(JointPart, (application_id, municipality_code))
        if found is None or found.role != "partner":
            raise NotFound("partner municipality", municipality_code)
        return found

    def replace(self, application_id: uuid.UUID, parts: list[JointPart]) -> None:
        self.session.execute(delete(JointPart).where(JointPart.application_id == application_id))
        self.session.flush()
        self.session.add_all(parts)
        self.session.flush()

    def all_parts(self) -> dict[uuid.UUID, list[JointPart]]:
        """Every joint application's parts (the reports)."""
        found: dict[uuid.UUID, list[JointPart]] = {}
        for part in self.session.scalars(select(JointPart).order_by(JointPart.application_id, JointPart.position)):
            found.setdefault(part.application_id, []).append(part)
        return found

    def count_answers(self, statuses: tuple[str, ...]) -> dict[str, int]:
        """Partners' answers on joint applications in these statuses (the gauge)."""
        rows = self.session.execute(
            select(JointPart.answer, func.count()).join(Application, Application.id == JointPart.application_id)
            .where(JointPart.role == "partner", Application.status.in_(statuses)).group_by(JointPart.answer))
        return {answer: count for answer, count in rows}

    def pseudonymise_answers(self, spellings: set[str], pseudonym: str) -> int:
        """Replace a person as the author of partners' answers (erasure)."""
        from sqlalchemy import update

        result = self.session.execute(update(JointPart).where(or_(
            JointPart.answered_by.in_(spellings), func.lower(JointPart.answered_by).in_(spellings)))
            .values(answered_by=pseudonym))
        return result.rowcount


def partner_of(municipality_code: str):
    """The ids of the applications a municipality is a partner of (a subquery for listings)."""
    return select(JointPart.application_id).where(JointPart.municipality_code == municipality_code,
                                                  JointPart.role == "partner")
