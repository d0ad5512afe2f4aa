"""Forgetting a person: every personal field the partners database holds for one e-mail address.

Where the person appears:
- a profile's contact person (name, address);
- a partner request's requester, a partnership's copies of both contacts;
- visit participants (name, address, organisation, role of that participant);
- free text the person could be named in only alongside their address (an introduction's
  message mentioning the address is dropped);
- records they created (created_by holds the token subject, which may be an address);
- stored event bodies: the outbox keeps every published event, the embedded dead letters theirs.

Counts stay: a visit keeps its participant count, a partnership stays a partnership.
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.orm import Session

from services.partners.domain.privacy import ERASED_NAME, email_key, pseudonym_email, scrub_people
from services.partners.models import Introduction, Organisation, Partnership, PartnerRequest, Visit
from shared.persistence.schema import DEAD_LETTERS, OUTBOX


def erase_person(session: Session, address: str) -> dict[str, int]:
    key = email_key(address)
    removed: Counter = Counter()
    like = f"%{key}%"

    def matches(column):
        return func.lower(column) == key

    removed["profile_contacts"] += session.execute(
        update(Organisation).where(matches(Organisation.contact_email))
        .values(contact_name=None, contact_email=None)).rowcount
    removed["request_contacts"] += session.execute(
        update(PartnerRequest).where(matches(PartnerRequest.requester_email))
        .values(requester_name=None, requester_email=None)).rowcount
    removed["partnership_contacts"] += session.execute(
        update(Partnership).where(matches(Partnership.requester_email))
        .values(requester_name=None, requester_email=None)).rowcount
    removed["partnership_contacts"] += session.execute(
        update(Partnership).where(matches(Partnership.partner_contact_email))
        .values(partner_contact_name=None, partner_contact_email=None)).rowcount
    removed["introduction_messages"] += session.execute(
        update(Introduction).where(func.lower(Introduction.message).like(like)).values(message=None)).rowcount
    for model in (PartnerRequest, Introduction):
        removed["authored_records"] += session.execute(
            update(model).where(matches(model.created_by)).values(created_by=ERASED_NAME)).rowcount

    for visit in session.scalars(select(Visit).where(func.lower(cast(Visit.participants, String)).like(like))):
        participants, found = scrub_people(visit.participants, address)
        for participant in participants:
            if participant.get("name") == ERASED_NAME:
                participant["email"] = None
                participant["organisation"] = None
                participant["role"] = None
        if found:
            visit.participants = participants
            removed["visit_participants"] += found

    for table, column, counter in ((OUTBOX, OUTBOX.c.body, "stored_events"),
                                   (DEAD_LETTERS, DEAD_LETTERS.c.body, "dead_letters")):
        rows = session.execute(select(table.c.id, column).where(func.lower(column).like(like))).all()
        for row_id, body in rows:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            scrubbed, found = scrub_people(document, address) if document is not None else (None, 0)
            text = json.dumps(scrubbed, ensure_ascii=False) if found else body
            if key in text.lower():  # named outside a contact object: drop the address itself
                text = _replace_casefolded(text, address)
            session.execute(update(table).where(table.c.id == row_id).values(body=text))
            removed[counter] += 1
    session.flush()
    return {name: count for name, count in sorted(removed.items()) if count}


def _replace_casefolded(text: str, address: str) -> str:
    lowered, key, out, start = text.lower(), email_key(address), [], 0
    while True:
        found = lowered.find(key, start)
        if found < 0:
            out.append(text[start:])
            return "".join(out)
        out.append(text[start:found])
        out.append(pseudonym_email(address))
        start = found + len(key)
