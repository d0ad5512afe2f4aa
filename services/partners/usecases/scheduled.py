"""What the timer runs: reminders to sides that have not answered an introduction, expiry of
unanswered introductions, profile renewal reminders. Safe with several replicas: due rows are
claimed (SELECT ... FOR UPDATE SKIP LOCKED, see PartnersRepository) and their new state commits
with the event."""

from __future__ import annotations

from functools import partial

from services.partners.domain.rules import (
    IntroductionStatus,
    Side,
    expired,
    renewal_due,
    renewal_key_expiry,
    sides_to_remind,
    unanswered_sides,
)
from services.partners.repository import PartnersRepository, introduction_state
from services.partners.usecases.introductions import answer_url
from services.partners.usecases.organisations import RENEWAL_PURPOSE
from services.partners.usecases.partner_requests import choice_url
from services.partners.views import organisation_contact, requester_contact
from shared.events.partners import IntroductionExpired, IntroductionReminderDue, ProfileRenewalDue
from shared.events.types import LocalizedText
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork

BATCH = 100
ROUNDS = 10


def run_due(uow: UnitOfWork, *, public_url: str) -> None:
    """Every job, a batch at a time: a backlog drains over a few ticks, never in one endless loop."""
    jobs = (partial(remind_unanswered, public_url=public_url), partial(expire_unanswered, public_url=public_url),
            partial(remind_renewals, public_url=public_url))
    for job in jobs:
        for _ in range(ROUNDS):
            if job(uow) < BATCH:
                break


def remind_unanswered(uow: UnitOfWork, *, public_url: str) -> int:
    """partners.introduction_reminder_due to each side still to answer, with a fresh answer link."""
    repository, now = PartnersRepository(uow.session), utcnow()
    due = repository.claim_reminders_due(now, BATCH)
    for introduction in due:
        partner_request = repository.partner_request(introduction.request_id)
        organisation = repository.organisation(introduction.organisation_id)
        sides = sides_to_remind(introduction_state(introduction), reminders_sent=introduction.reminders_sent,
                                last_contact=introduction.last_contact_at, now=now)
        introduction.reminders_sent += 1
        introduction.last_contact_at = now
        for side in sides:
            recipient = requester_contact(partner_request) if side is Side.REQUESTER \
                else organisation_contact(organisation)
            if recipient is None:
                continue  # nobody to remind by e-mail on that side; staff see it in the API
            uow.emit(IntroductionReminderDue(
                introduction_id=introduction.id, partner_request_id=partner_request.id,
                application_id=partner_request.application_id,
                municipality_code=partner_request.municipality_code, organisation_id=organisation.id,
                organisation_name=organisation.name, side=side.value, recipient=recipient,
                answer_url=answer_url(uow, introduction, side, now, public_url=public_url),
                answer_by=introduction.answer_by, reminder=introduction.reminders_sent,
                title=LocalizedText(**partner_request.title),
            ), subject=str(introduction.id))
    uow.commit()
    return len(due)


def expire_unanswered(uow: UnitOfWork, *, public_url: str) -> int:
    """partners.introduction_expired for pending introductions past their answer-by date, with the
    coordinator's link to pick another candidate while the request is still looking."""
    repository, now = PartnersRepository(uow.session), utcnow()
    due = repository.claim_expired_introductions(now.date(), BATCH)
    for introduction in due:
        if not expired(introduction_state(introduction), today=now.date()):
            continue
        partner_request = repository.partner_request(introduction.request_id)
        organisation = repository.organisation(introduction.organisation_id)
        introduction.status = IntroductionStatus.EXPIRED.value
        uow.emit(IntroductionExpired(
            introduction_id=introduction.id, partner_request_id=partner_request.id,
            application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
            organisation_id=organisation.id, organisation_name=organisation.name,
            unanswered=[side.value for side in unanswered_sides(introduction_state(introduction))],
            choose_url=choice_url(uow, partner_request, "coordinator", now, public_url=public_url)
            if partner_request.status == "open" else None,
        ), subject=str(introduction.id))
    uow.commit()
    return len(due)


def remind_renewals(uow: UnitOfWork, *, public_url: str) -> int:
    """partners.profile_renewal_due once per expiry date, a month ahead, with a renewal link."""
    repository, now = PartnersRepository(uow.session), utcnow()
    due = repository.claim_renewals_due(now, BATCH)
    for organisation in due:
        if not renewal_due(expires_at=organisation.expires_at, reminded_for=organisation.renewal_reminded_for,
                           now=now):
            continue
        organisation.renewal_reminded_for = organisation.expires_at
        contact = organisation_contact(organisation)
        key = repository.issue_key(RENEWAL_PURPOSE, organisation.id, None, now,
                                   renewal_key_expiry(organisation.expires_at))
        uow.emit(ProfileRenewalDue(
            organisation_id=organisation.id, name=organisation.name, country=organisation.country,
            contact=contact, expires_at=organisation.expires_at,
            renew_url=f"{public_url.rstrip('/')}/partners/renewals?key={key}",
        ), subject=str(organisation.id))
    uow.commit()
    return len(due)
