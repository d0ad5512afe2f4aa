"""The partners service's queries (SQLAlchemy), in one place: the use cases
(services/partners/usecases), the profile index, the gauges and the tenancy owner lookups read and
write through it; service.py holds none."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from services.partners.domain.matching import ProfileFacts
from services.partners.domain.privacy import ERASED_NAME, email_key, replace_address, scrub_people
from services.partners.domain.rules import (
    CHOICE_PURPOSE,
    MAX_REMINDERS,
    REMINDER_AFTER,
    RENEWAL_NOTICE,
    Answer,
    IntroductionState,
    IntroductionStatus,
)
from services.partners.models import (
    AccessKey,
    Introduction,
    LetterOfIntent,
    Organisation,
    Partnership,
    PartnerRequest,
    ProfileRevision,
    Visit,
)
from shared.errors import NotFound
from shared.persistence.schema import DEAD_LETTERS, OUTBOX
from shared.tenancy import owned_by

# Tenancy owner lookups (shared/tenancy.py, Tenancy.resource): the municipality a path id belongs to.
# A Lithuanian municipality's own profile is that municipality's; a foreign profile is the centre's.
PROFILE_OWNER = owned_by(Organisation.municipality_code, Organisation.id)
REQUEST_OWNER = owned_by(PartnerRequest.municipality_code, PartnerRequest.id)
INTRODUCTION_OWNER = owned_by(PartnerRequest.municipality_code, Introduction.id,
                              Introduction.request_id == PartnerRequest.id)
PARTNERSHIP_OWNER = owned_by(Partnership.municipality_code, Partnership.id)

# The columns matching needs: loading these instead of ORM objects keeps a 100,000-profile load fast.
FACT_COLUMNS = (
    Organisation.id, Organisation.name, Organisation.country, Organisation.organisation_type, Organisation.themes,
    Organisation.languages, Organisation.size, Organisation.capacity, Organisation.active_partnerships,
    Organisation.partnerships_total, Organisation.past_cooperation, Organisation.expires_at,
    Organisation.municipality_code, Organisation.revision,
)


def facts_from_row(row) -> ProfileFacts:
    return ProfileFacts(
        id=row.id, name=row.name, country=row.country, organisation_type=row.organisation_type,
        themes=frozenset(row.themes), languages=frozenset(row.languages), size=row.size, capacity=row.capacity,
        active_partnerships=row.active_partnerships,
        track_record=row.partnerships_total + len(row.past_cooperation or ()),
        expires_at=row.expires_at, municipality_code=row.municipality_code,
    )


def introduction_state(introduction: Introduction) -> IntroductionState:
    """The row as the double opt-in state machine sees it (services/partners/domain/rules.py)."""
    return IntroductionState(
        status=IntroductionStatus(introduction.status),
        requester_answer=Answer(introduction.requester_answer) if introduction.requester_answer else None,
        candidate_answer=Answer(introduction.candidate_answer) if introduction.candidate_answer else None,
        answer_by=introduction.answer_by,
    )


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class PartnersRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, obj) -> None:
        self.session.add(obj)
        self.session.flush()

    # ------------------------------------------------------------------ profiles
    def next_revision(self) -> int:
        """The next profile revision; the counter row stays locked until commit (see ProfileRevision)."""
        return self.session.execute(
            update(ProfileRevision).where(ProfileRevision.id == 1).values(value=ProfileRevision.value + 1)
            .returning(ProfileRevision.value)
        ).scalar_one()

    def current_revision(self) -> int:
        return self.session.execute(select(ProfileRevision.value).where(ProfileRevision.id == 1)).scalar_one()

    def touch(self, organisation: Organisation, now: datetime) -> None:
        organisation.revision = self.next_revision()
        organisation.updated_at = now

    def changed_profiles(self, after_revision: int) -> Iterable:
        return self.session.execute(
            select(*FACT_COLUMNS).where(Organisation.revision > after_revision).order_by(Organisation.revision)
            .execution_options(yield_per=5000))

    def organisation(self, organisation_id: uuid.UUID, *, lock: bool = False) -> Organisation:
        query = select(Organisation).where(Organisation.id == organisation_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("organisation", organisation_id)
        return found

    def organisation_or_none(self, organisation_id: uuid.UUID) -> Organisation | None:
        return self.session.get(Organisation, organisation_id)

    def organisations(self, *, country: str | None, organisation_type: str | None, theme: str | None,
                      include_expired: bool, now: datetime, limit: int, offset: int) -> list[Organisation]:
        query = select(Organisation)
        if country:
            query = query.where(Organisation.country == country)
        if organisation_type:
            query = query.where(Organisation.organisation_type == organisation_type)
        if not include_expired:
            query = query.where(Organisation.expires_at > now)
        query = query.order_by(Organisation.country, Organisation.name, Organisation.id)
        if theme:
            # Themes are a JSON list; filtering it portably is done here, a page at a time.
            found, skipped = [], 0
            for organisation in self.session.scalars(query.execution_options(yield_per=500)):
                if theme in organisation.themes:
                    if skipped < offset:
                        skipped += 1
                        continue
                    found.append(organisation)
                    if len(found) == limit:
                        break
            return found
        return list(self.session.scalars(query.limit(limit).offset(offset)))

    def municipality_profile(self, municipality_code: str) -> Organisation | None:
        return self.session.scalars(
            select(Organisation).where(Organisation.municipality_code == municipality_code)).first()

    # ------------------------------------------------------------------ requests and introductions
    def partner_request(self, request_id: uuid.UUID, *, lock: bool = False) -> PartnerRequest:
        query = select(PartnerRequest).where(PartnerRequest.id == request_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("partner request", request_id)
        return found

    def request_of_application(self, application_id: uuid.UUID) -> PartnerRequest | None:
        return self.session.scalars(select(PartnerRequest).where(PartnerRequest.application_id == application_id)
                                    .order_by(PartnerRequest.created_at.desc()).with_for_update()).first()

    def partner_requests(self, municipality_code: str | None, limit: int, offset: int) -> list[PartnerRequest]:
        query = select(PartnerRequest).order_by(PartnerRequest.created_at.desc(), PartnerRequest.id)
        if municipality_code:
            query = query.where(PartnerRequest.municipality_code == municipality_code)
        return list(self.session.scalars(query.limit(limit).offset(offset)))

    def previous_introductions(self, request_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """organisation id -> status of its introduction for this request."""
        rows = self.session.execute(
            select(Introduction.organisation_id, Introduction.status).where(Introduction.request_id == request_id))
        return {organisation_id: status for organisation_id, status in rows}

    def introduction(self, introduction_id: uuid.UUID, *, lock: bool = False) -> Introduction:
        query = select(Introduction).where(Introduction.id == introduction_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("introduction", introduction_id)
        return found

    def introductions_of(self, request_id: uuid.UUID) -> list[Introduction]:
        return list(self.session.scalars(
            select(Introduction).where(Introduction.request_id == request_id).order_by(Introduction.created_at,
                                                                                      Introduction.id)))

    def partnership_of_introduction(self, introduction_id: uuid.UUID) -> Partnership | None:
        return self.session.scalars(select(Partnership).where(Partnership.introduction_id == introduction_id)).first()

    # ------------------------------------------------------------------ access keys
    def issue_key(self, purpose: str, subject_id: uuid.UUID, side: str | None, now: datetime,
                  expires_at: datetime) -> str:
        key = secrets.token_urlsafe(32)
        self.session.add(AccessKey(key_hash=key_hash(key), purpose=purpose, subject_id=subject_id, side=side,
                                   created_at=now, expires_at=expires_at))
        return key

    def access_key(self, key: str, purpose: str, now: datetime) -> AccessKey | None:
        found = self.session.get(AccessKey, key_hash(key))
        if found is None or found.purpose != purpose or found.expires_at <= now:
            return None
        return found

    # ------------------------------------------------------------------ partnerships
    def partnership(self, partnership_id: uuid.UUID, *, lock: bool = False) -> Partnership:
        query = select(Partnership).where(Partnership.id == partnership_id)
        if lock:
            query = query.with_for_update()
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("partnership", partnership_id)
        return found

    def partnerships(self, *, municipality_code: str | None = None, request_id: uuid.UUID | None = None,
                     established_from: datetime | None = None, established_before: datetime | None = None,
                     country: str | None = None) -> list[Partnership]:
        query = select(Partnership).order_by(Partnership.established_at, Partnership.id)
        if municipality_code:
            query = query.where(Partnership.municipality_code == municipality_code)
        if request_id:
            query = query.where(Partnership.request_id == request_id)
        if established_from:
            query = query.where(Partnership.established_at >= established_from)
        if established_before:
            query = query.where(Partnership.established_at < established_before)
        if country:
            query = query.where(Partnership.country == country)
        return list(self.session.scalars(query))

    def letters(self, partnership_id: uuid.UUID) -> list[LetterOfIntent]:
        return list(self.session.scalars(select(LetterOfIntent).where(LetterOfIntent.partnership_id == partnership_id)
                                         .order_by(LetterOfIntent.signed_on, LetterOfIntent.id)))

    def visits(self, partnership_ids: list[uuid.UUID]) -> list[Visit]:
        if not partnership_ids:
            return []
        return list(self.session.scalars(select(Visit).where(Visit.partnership_id.in_(partnership_ids))
                                         .order_by(Visit.starts_on, Visit.id)))

    # ------------------------------------------------------------------ timers: claim due rows
    # FOR UPDATE SKIP LOCKED: of two replicas running the same timer, each takes different rows;
    # the row's new state (reminders_sent, last_contact_at, status, renewal_reminded_for) is
    # committed with the event, so a later run does not pick it again. SQLite ignores the clause
    # (its writers take turns anyway).
    def claim_reminders_due(self, now: datetime, batch: int) -> list[Introduction]:
        return list(self.session.scalars(
            select(Introduction).where(
                Introduction.status == IntroductionStatus.PENDING.value,
                Introduction.reminders_sent < MAX_REMINDERS,
                Introduction.last_contact_at <= now - REMINDER_AFTER,
                Introduction.answer_by >= now.date(),
            ).order_by(Introduction.last_contact_at, Introduction.id).limit(batch)
            .with_for_update(skip_locked=True)))

    def claim_expired_introductions(self, today: date, batch: int) -> list[Introduction]:
        return list(self.session.scalars(
            select(Introduction).where(Introduction.status == IntroductionStatus.PENDING.value,
                                       Introduction.answer_by < today)
            .order_by(Introduction.answer_by, Introduction.id).limit(batch).with_for_update(skip_locked=True)))

    def claim_renewals_due(self, now: datetime, batch: int) -> list[Organisation]:
        return list(self.session.scalars(
            select(Organisation).where(
                Organisation.expires_at <= now + RENEWAL_NOTICE,
                Organisation.contact_email.is_not(None),
                or_(Organisation.renewal_reminded_for.is_(None),
                    Organisation.renewal_reminded_for < Organisation.expires_at),
            ).order_by(Organisation.expires_at, Organisation.id).limit(batch).with_for_update(skip_locked=True)))

    # ------------------------------------------------------------------ gauges
    def introduction_counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Introduction.status, func.count()).group_by(Introduction.status))
        counts = {status.value: 0 for status in IntroductionStatus}
        counts.update({status: n for status, n in rows})
        return counts

    def profile_counts(self, now: datetime) -> dict[str, int]:
        active = self.session.execute(select(func.count()).where(Organisation.expires_at > now)).scalar_one()
        total = self.session.execute(select(func.count()).select_from(Organisation)).scalar_one()
        return {"active": active, "expired": total - active}

    # ------------------------------------------------------------------ privacy
    def erase_person(self, address: str) -> dict[str, int]:
        """Pseudonymise every personal field held for one e-mail address; returns what changed, counted.

        Where the person appears:
        - a profile's contact person (name, address);
        - a partner request's requester, a partnership's copies of both contacts;
        - the links to that request's choice page sent to the requester (their keys are revoked:
          the page shows the request, and its holder is no longer on it);
        - visit participants (name, address, organisation, role of that participant);
        - free text the person could be named in only alongside their address (an introduction's
          message mentioning the address is dropped);
        - records they created (created_by holds the token subject, which may be an address);
        - stored event bodies: the outbox keeps every published event, the embedded dead letters theirs.

        Counts stay: a visit keeps its participant count, a partnership stays a partnership.
        """
        session = self.session
        key = email_key(address)
        removed: Counter = Counter()
        like = f"%{key}%"

        def matches(column):
            return func.lower(column) == key

        removed["profile_contacts"] += session.execute(
            update(Organisation).where(matches(Organisation.contact_email))
            .values(contact_name=None, contact_email=None)).rowcount
        requests_of_person = list(session.scalars(
            select(PartnerRequest.id).where(matches(PartnerRequest.requester_email))))
        if requests_of_person:
            removed["choice_links"] += session.execute(
                delete(AccessKey).where(AccessKey.purpose == CHOICE_PURPOSE, AccessKey.side == "requester",
                                        AccessKey.subject_id.in_(requests_of_person))).rowcount
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
                text = replace_address(text, address)  # named outside a contact object
                if text == body:
                    continue  # only a look-alike address (ajonas@x.lt for jonas@x.lt) matched
                session.execute(update(table).where(table.c.id == row_id).values(body=text))
                removed[counter] += 1
        session.flush()
        return {name: count for name, count in sorted(removed.items()) if count}
