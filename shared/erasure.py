"""Helpers every service's erasure handler shares (privacy.erasure_requested)."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import Engine

from shared.persistence.schema import DEAD_LETTERS, OUTBOX
from shared.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ERASED = "[erased]"
# What an erased e-mail field becomes in a stored event: still a valid address, so an event that
# has not been published yet keeps validating at its consumers.
ERASED_EMAIL = "erased@erased.invalid"

# A needle is matched as a whole token only: "jonas@x.lt" is not inside "ajonas@x.lt" nor inside
# "jonas@x.lt.example", and "Ona" is not inside "Onaitė".
_BEFORE = r"(?<![\w.!#$%&'*+/=?^`{|}~@-])"
_AFTER = r"(?![\w@-]|\.\w)"


# Fields of an object that holds the person's address which describe that person.
PERSON_FIELDS = ("name", "position", "organisation", "role")


def _pattern(needle: str) -> re.Pattern:
    return re.compile(_BEFORE + re.escape(needle) + _AFTER, flags=re.IGNORECASE)


def scrub(text: str | None, needles: list[str]) -> tuple[str | None, bool]:
    """Replace every whole-token occurrence (any case) of the needles; returns the text and
    whether it changed."""
    if not text:
        return text, False
    scrubbed = text
    for needle in needles:
        if needle:
            scrubbed = _pattern(needle).sub(ERASED, scrubbed)
    return scrubbed, scrubbed != text


def scrub_document(value: Any, needles: list[str]) -> tuple[Any, bool]:
    """Walk a JSON value: a string that is one of the needles (any case, surrounding spaces
    ignored) is replaced whole (an e-mail by ERASED_EMAIL, anything else by ERASED); a longer
    string loses the needles' whole-token occurrences; an object holding the person's address
    also loses its PERSON_FIELDS. Returns the value and whether it changed."""
    keys = {n.strip().casefold() for n in needles if n and n.strip()}
    if not keys:
        return value, False

    def walk(item: Any) -> tuple[Any, bool]:
        if isinstance(item, str):
            if item.strip().casefold() in keys:
                return (ERASED_EMAIL if "@" in item else ERASED), True
            return scrub(item, sorted(keys, key=len, reverse=True))
        if isinstance(item, list):
            pairs = [walk(v) for v in item]
            return [v for v, _ in pairs], any(c for _, c in pairs)
        if isinstance(item, dict):
            pairs = {k: walk(v) for k, v in item.items()}
            result, changed = {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
            if any(isinstance(v, str) and "@" in v and v.strip().casefold() in keys for v in item.values()):
                # the person's own object (their address is in it): what describes them goes too
                for k in PERSON_FIELDS:
                    if isinstance(result.get(k), str) and result[k] != ERASED:
                        result[k], changed = ERASED, True
            return result, changed
        return item, False

    return walk(value)


def scrub_outbox(uow: UnitOfWork, needles: list[str]) -> dict[str, int]:
    """The outbox rows that name the person (a field equal to a needle, or a whole-token mention):
    published rows are deleted (they went out; nothing needs the copy), unpublished rows are
    scrubbed in place and stay, so the relay still publishes them (an event about someone else
    is never lost, and the person's own pending events go out without their data). Substring
    look-alikes (ajonas@x.lt when erasing jonas@x.lt) are left alone.
    Returns {"deleted": published rows deleted, "scrubbed": pending rows scrubbed}."""
    needles = [n.strip() for n in needles if n and n.strip()]
    counts = {"deleted": 0, "scrubbed": 0}
    if not needles:
        return counts
    lowered = func.lower(OUTBOX.c.body)
    candidates = or_(*[lowered.contains(n.lower(), autoescape=True) for n in needles],
                     *[OUTBOX.c.body.contains(n, autoescape=True) for n in needles])
    rows = uow.session.execute(select(OUTBOX.c.id, OUTBOX.c.body, OUTBOX.c.published_at).where(candidates)
                               .order_by(OUTBOX.c.id)).all()
    for row in rows:
        try:
            document, changed = scrub_document(json.loads(row.body), needles)
            body = json.dumps(document, ensure_ascii=False) if changed else row.body
        except ValueError:
            body, changed = scrub(row.body, needles)
        if not changed:
            continue  # only a look-alike matched the prefilter
        if row.published_at is not None:
            uow.session.execute(delete(OUTBOX).where(OUTBOX.c.id == row.id))
            counts["deleted"] += 1
        else:
            uow.session.execute(update(OUTBOX).where(OUTBOX.c.id == row.id, OUTBOX.c.published_at.is_(None))
                                .values(body=body))
            counts["scrubbed"] += 1
    return counts


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


def leave_no_copy_on_disk(uow: UnitOfWork) -> None:
    """After the erasure commits, no copy of what it overwrote stays in the SQLite files (the
    embedded default). SQLite keeps old versions of changed pages in the write-ahead log (the
    `-wal` file) until the log is checkpointed and written over; every connection runs with
    `secure_delete` (shared/persistence/engines.py), so the database file's pages lose the old
    values once they are checkpointed. Here the log is checkpointed and truncated right after the
    commit. PostgreSQL: nothing to do in the service (its WAL and dead row versions are the
    operator's: docs/architecture.md "Two ways of running")."""
    if uow.dialect != "sqlite":
        return
    engine = uow.session.get_bind()
    uow.after_commit(lambda: truncate_write_ahead_log(engine))


def truncate_write_ahead_log(engine: Engine, *, attempts: int = 500, pause: float = 0.02) -> bool:
    """Checkpoint the SQLite write-ahead log into the database file and truncate it to nothing
    (`PRAGMA wal_checkpoint(TRUNCATE)`), retrying while another connection is reading or writing.
    Returns whether it was truncated (logged when it could not be, within about 10 s: under CI's
    load the process's own relay, timers and gauges kept it busy for longer than 2 s)."""
    for _ in range(attempts):
        with engine.connect() as connection:
            busy, frames, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy and frames in (0, -1):  # -1: not in WAL mode, nothing to truncate
            return True
        time.sleep(pause)
    log.error("the write-ahead log could not be truncated after an erasure; it is at the next checkpoint",
              extra={"database": str(engine.url)})
    return False
