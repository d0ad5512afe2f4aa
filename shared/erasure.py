"""Helpers every service's erasure handler shares (privacy.erasure_requested)."""

from __future__ import annotations

import re

from sqlalchemy import or_, select, update

from shared.persistence.schema import DEAD_LETTERS
from shared.persistence.unit_of_work import UnitOfWork

ERASED = "[erased]"


def scrub(text: str | None, needles: list[str]) -> tuple[str | None, bool]:
    """Replace every occurrence (any case) of the needles; returns the text and whether it changed."""
    if not text:
        return text, False
    scrubbed = text
    for needle in needles:
        if needle:
            scrubbed = re.sub(re.escape(needle), ERASED, scrubbed, flags=re.IGNORECASE)
    return scrubbed, scrubbed != text


def scrub_dead_letters(uow: UnitOfWork, needles: list[str]) -> int:
    """Dead letters kept in the service's database (embedded mode) may hold the event that named
    the person: scrub their body and reason. Returns how many were changed."""
    needles = [n for n in needles if n]
    if not needles:
        return 0
    changed = 0
    conditions = [DEAD_LETTERS.c.body.ilike(f"%{n}%") for n in needles] + [
        DEAD_LETTERS.c.reason.ilike(f"%{n}%") for n in needles]
    for row in uow.session.execute(select(DEAD_LETTERS.c.id, DEAD_LETTERS.c.body, DEAD_LETTERS.c.reason)
                                   .where(or_(*conditions))).all():
        body, _ = scrub(row.body, needles)
        reason, _ = scrub(row.reason, needles)
        uow.session.execute(update(DEAD_LETTERS).where(DEAD_LETTERS.c.id == row.id).values(body=body, reason=reason))
        changed += 1
    return changed
