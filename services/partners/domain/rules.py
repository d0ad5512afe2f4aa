"""Rules of profiles, partner requests, introductions and partnerships, independent of storage
and transport."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum

from shared.errors import Conflict, Forbidden, RuleViolation

ORGANISATION_TYPES = (
    "municipality", "county_council", "university", "research_institute", "ngo", "association",
    "public_agency", "company", "education_provider",
)

# A profile is trusted for a year; its owner is asked to renew a month before it lapses.
PROFILE_VALIDITY = timedelta(days=365)
RENEWAL_NOTICE = timedelta(days=30)

# Each side that has not answered an introduction is reminded after 3 days, then again 3 days
# later; an introduction nobody completed by its answer-by date expires.
DEFAULT_ANSWER_WINDOW = timedelta(days=14)
REMINDER_AFTER = timedelta(days=3)
MAX_REMINDERS = 2

# How many candidates a proposal (matches_proposed) carries.
PROPOSAL_SIZE = 10

# A renewal link stays usable for a while after the profile lapsed.
RENEWAL_KEY_GRACE = timedelta(days=90)

# A letter of intent is signed around the partnership, not years before it.
LETTER_BEFORE_PARTNERSHIP = timedelta(days=365)


def check_profile(*, country: str, organisation_type: str, region: str | None, capacity: int,
                  municipality_code: str | None = None) -> None:
    """A Lithuanian municipality names its county and its municipality code; only Lithuanian
    municipalities carry a municipality code; every profile can take at least one partnership."""
    if country == "LT" and organisation_type == "municipality":
        if not region:
            raise RuleViolation("a Lithuanian municipality's profile needs its county", field="region")
        if not municipality_code:
            raise RuleViolation("a Lithuanian municipality's profile needs its municipality code",
                                field="municipality_code")
    elif municipality_code:
        raise RuleViolation("only a Lithuanian municipality's profile has a municipality code",
                            field="municipality_code")
    if capacity < 1:
        raise RuleViolation("an organisation must be able to take at least one partnership", field="capacity")


def check_capacity_change(*, capacity: int, active_partnerships: int) -> None:
    if capacity < active_partnerships:
        raise RuleViolation(f"the organisation has {active_partnerships} active partnerships; capacity cannot be "
                            f"lower", field="capacity")


def profile_expiry(renewed_at: datetime) -> datetime:
    return renewed_at + PROFILE_VALIDITY


def renewal_key_expiry(expires_at: datetime) -> datetime:
    """Until when the renewal link sent for a profile expiring at `expires_at` works."""
    return expires_at + RENEWAL_KEY_GRACE


def free_capacity(*, capacity: int, active_partnerships: int) -> int:
    return max(0, capacity - active_partnerships)


def check_free_capacity(*, name: str, capacity: int, active_partnerships: int) -> None:
    """The capacity rule: a partnership is established only while the partner has a free place
    (the caller holds the profile row's lock, so concurrent acceptances cannot exceed it)."""
    if active_partnerships >= capacity:
        raise Conflict(f"{name} has no free partnership capacity ({active_partnerships} of {capacity})",
                       field="answer", code="full_capacity")


def place_taken(*, active_partnerships: int, partnerships_total: int) -> tuple[int, int]:
    """(active, total) partnerships once one more is established."""
    return active_partnerships + 1, partnerships_total + 1


def place_freed(active_partnerships: int) -> int:
    """Active partnerships once one is completed."""
    return max(0, active_partnerships - 1)


def renewal_due(*, expires_at: datetime, reminded_for: datetime | None, now: datetime) -> bool:
    """Remind once per expiry date, from a month before it (also after it lapsed: the profile is
    out of matching until renewed)."""
    return expires_at - RENEWAL_NOTICE <= now and reminded_for != expires_at


def check_request(*, deadline: date, today: date) -> None:
    if deadline < today:
        raise RuleViolation("the deadline has passed", field="deadline")


# ---------------------------------------------------------------- introductions (double opt-in)

class Side(str, Enum):
    REQUESTER = "requester"
    CANDIDATE = "candidate"


class Answer(str, Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class IntroductionStatus(str, Enum):
    PENDING = "pending"  # at least one side has not answered, nobody declined
    ESTABLISHED = "established"  # both accepted: a partnership exists
    DECLINED = "declined"  # one side declined
    EXPIRED = "expired"  # the answer-by date passed without both answers


@dataclass(frozen=True)
class IntroductionState:
    status: IntroductionStatus
    requester_answer: Answer | None
    candidate_answer: Answer | None
    answer_by: date

    def answer_of(self, side: Side) -> Answer | None:
        return self.requester_answer if side is Side.REQUESTER else self.candidate_answer


def answer_by_date(requested: date | None, *, today: date, deadline: date) -> date:
    """When both sides must have answered: as asked, or two weeks, but never after the request's deadline."""
    chosen = requested or min(today + DEFAULT_ANSWER_WINDOW, deadline)
    if chosen < today:
        raise RuleViolation("the answer-by date has passed", field="answer_by")
    if chosen > deadline:
        raise RuleViolation(f"answers are needed by the request's deadline {deadline.isoformat()}", field="answer_by")
    return chosen


def new_introduction(*, answer_by: date, picked_by_requester: bool) -> IntroductionState:
    """A new introduction: pending; when the requesting municipality picks the candidate itself,
    that is its acceptance."""
    return IntroductionState(IntroductionStatus.PENDING, Answer.ACCEPTED if picked_by_requester else None, None,
                             answer_by)


def answer_link_expiry(answer_by: date) -> datetime:
    """An answer link works until the end of the answer-by day (UTC)."""
    return datetime.combine(answer_by + timedelta(days=1), time(), tzinfo=timezone.utc)


# ---------------------------------------------------------------- choosing a candidate by link

# The requester's page (the link in matches_proposed, and in introduction_expired to the
# coordinator) lists the ranking; picking a candidate there is the requester's acceptance.
# A candidate the ranking excludes is refused as a conflict with the request's state (already
# introduced, declined, full, expired profile), naming the reason.
CHOICE_PURPOSE = "partner_choice"  # the access key's purpose; its subject is the partner request
CHOICE_SIDES = ("requester", "coordinator")  # who the link was sent to

def choice_link_expiry(deadline: date) -> datetime:
    """A request's choice link works until the end of the request's deadline day (UTC): after it no
    introduction can be asked for (answer_by_date refuses it)."""
    return answer_link_expiry(deadline)


def choice_link_due(*, deadline: date, now: datetime) -> bool:
    """Whether a choice link is worth sending: the request's deadline has not passed."""
    return choice_link_expiry(deadline) > now


def refuse_excluded(name: str, reasons: tuple[str, ...]) -> None:
    """A candidate picked on the requester's page that a hard rule now excludes: 409 with the reason
    (the page was read before someone else introduced it, or its profile filled up or expired)."""
    if reasons:
        raise Conflict(f"{name} cannot be introduced for this request: {', '.join(reasons)}",
                       field="organisation_id", code=reasons[0])


def apply_answer(state: IntroductionState, side: Side, answer: Answer, *, today: date) -> IntroductionState:
    """The introduction after one side's answer. A side answers once; answering the same again is
    harmless (idempotent), changing one's answer is refused."""
    given = state.answer_of(side)
    if given is not None:
        if given is answer:
            return state
        raise Conflict(f"the {side.value} already {given.value} this introduction", field="answer",
                       code="already_answered")
    if state.status is IntroductionStatus.EXPIRED or (state.status is IntroductionStatus.PENDING
                                                        and today > state.answer_by):
        raise Conflict(f"the introduction expired on {state.answer_by.isoformat()}", field="answer", code="expired")
    if state.status is not IntroductionStatus.PENDING:
        raise Conflict(f"the introduction is {state.status.value}", field="answer", code="introduction_closed")
    requester = answer if side is Side.REQUESTER else state.requester_answer
    candidate = answer if side is Side.CANDIDATE else state.candidate_answer
    if answer is Answer.DECLINED:
        status = IntroductionStatus.DECLINED
    elif requester is Answer.ACCEPTED and candidate is Answer.ACCEPTED:
        status = IntroductionStatus.ESTABLISHED
    else:
        status = IntroductionStatus.PENDING
    return IntroductionState(status, requester, candidate, state.answer_by)


@dataclass(frozen=True)
class AnswerOutcome:
    """One side's answer applied: the state after it, whether anything changed (the same answer
    again changes nothing) and whether it establishes the partnership (both accepted)."""
    state: IntroductionState
    changed: bool

    @property
    def establishes(self) -> bool:
        return self.changed and self.state.status is IntroductionStatus.ESTABLISHED


def answer_introduction(state: IntroductionState, side: Side, answer: Answer, *, today: date) -> AnswerOutcome:
    """The double opt-in state machine for one answer (see apply_answer)."""
    after = apply_answer(state, side, answer, today=today)
    return AnswerOutcome(after, changed=after != state)


def unanswered_sides(state: IntroductionState) -> list[Side]:
    return [side for side in Side if state.answer_of(side) is None]


def sides_to_remind(state: IntroductionState, *, reminders_sent: int, last_contact: datetime,
                    now: datetime) -> list[Side]:
    """Sides still to answer a pending introduction whose next reminder is due."""
    if state.status is not IntroductionStatus.PENDING or now.date() > state.answer_by:
        return []
    if reminders_sent >= MAX_REMINDERS or now - last_contact < REMINDER_AFTER:
        return []
    return [side for side in Side if state.answer_of(side) is None]


def expired(state: IntroductionState, *, today: date) -> bool:
    return state.status is IntroductionStatus.PENDING and today > state.answer_by


def contacts_visible(status: IntroductionStatus) -> bool:
    """Contact details are shared only after both sides accepted."""
    return status is IntroductionStatus.ESTABLISHED


def check_answering_side(side: Side, *, is_staff: bool, is_requesting_municipality: bool) -> None:
    """Staff record either side's answer; the requesting municipality answers for itself only."""
    if is_staff:
        return
    if side is Side.REQUESTER and is_requesting_municipality:
        return
    raise Forbidden(f"this token may not answer for the {side.value}", field="side")


# ---------------------------------------------------------------- partnerships

class VisitDirection(str, Enum):
    TO_PARTNER = "to_partner"  # from Lithuania to the partner's country
    TO_LITHUANIA = "to_lithuania"  # the partner visits Lithuania


def check_visit(*, starts_on: date, ends_on: date, established_on: date, direction: VisitDirection,
                country: str, partner_country: str) -> None:
    if ends_on < starts_on:
        raise RuleViolation("a visit cannot end before it starts", field="ends_on")
    if ends_on < established_on:
        raise RuleViolation("the visit ended before the partnership was established", field="ends_on")
    if direction is VisitDirection.TO_LITHUANIA and country != "LT":
        raise RuleViolation("a visit to Lithuania takes place in LT", field="country")
    if direction is VisitDirection.TO_PARTNER and country == "LT" and partner_country != "LT":
        raise RuleViolation("a visit to the partner takes place outside Lithuania", field="country")


def check_letter(*, signed_on: date, established_on: date) -> None:
    if signed_on < established_on - LETTER_BEFORE_PARTNERSHIP:
        raise RuleViolation("a letter of intent is signed around the partnership, not years before",
                            field="signed_on")


def report_period(year: int | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a report year in UTC; (None, None) for all years."""
    if not year:
        return None, None
    return datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)


def check_partnership_open(status: str) -> None:
    if status != "active":
        raise Conflict(f"the partnership is {status}", field="status", code="partnership_closed")
