"""Feedback after a session (issue 18 item 4): a course's questions, the form each completed session
opens, the invitations, answering once, the reports and erasure. Rules in domain/feedback.py."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl

from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from services.enrollment.domain import feedback as rules
from services.enrollment.domain.codes import check_enrollment_code
from services.enrollment.domain.figures import local_day_start
from services.enrollment.domain.rules import Attendance, SessionStatus
from services.enrollment.feedback_repository import FeedbackRepository
from services.enrollment.models import (
    Course,
    CourseFeedbackSettings,
    Enrollment,
    FeedbackAnswer,
    FeedbackBallot,
    FeedbackForm,
    FeedbackInvitation,
    Trainer,
    TrainingSession,
)
from services.enrollment.notices import Links, participant_fields
from services.enrollment.repository import EnrollmentRepository
from services.enrollment.schemas_feedback import (
    FeedbackAnswerIn,
    FeedbackAnsweredOut,
    FeedbackFormOut,
    FeedbackQuestionsIn,
    FeedbackQuestionsOut,
    FeedbackReportOut,
    FeedbackReportQuery,
    QuestionOut,
    SessionReportQuery,
)
from shared.errors import Conflict, NotFound, Problem, validation_problem
from shared.limits import JsonLimitError, read_json
from shared.events.enrollment import FeedbackRequested
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import THEMES

log = logging.getLogger(__name__)

INVITATIONS = Counter("savivalda_enrollment_feedback_invitations_total",
                      "Attendees asked for feedback (enrollment.feedback_requested written)")
ANSWERS = Counter("savivalda_enrollment_feedback_answers_total", "Feedback forms answered, by the form's language",
                  ["language"])
REFUSED = Counter("savivalda_enrollment_feedback_refused_total",
                  "Feedback answers refused: answered (a second time), closed, invalid", ["reason"])
REPORTS = Counter("savivalda_enrollment_feedback_reports_total",
                  "Feedback reports produced, by scope and whether results were shown (shown, counts_only)",
                  ["scope", "outcome"])


# ---------------------------------------------------------------- a course's questions

def _questions(settings: CourseFeedbackSettings | None) -> tuple[rules.Question, ...]:
    if settings is None or not settings.questions:
        return rules.DEFAULT_QUESTIONS
    return tuple(rules.Question.of(q) for q in settings.questions)


def _questions_out(questions) -> list[QuestionOut]:
    return [QuestionOut(**q.as_dict()) for q in questions]


def questions_of(uow: UnitOfWork, course_id) -> FeedbackQuestionsOut:
    EnrollmentRepository.of(uow).course(course_id)  # 404 for an unknown course
    settings = FeedbackRepository.of(uow).settings(course_id)
    return FeedbackQuestionsOut(
        course_id=course_id, enabled=settings.enabled if settings else True,
        open_days=settings.open_days if settings else rules.DEFAULT_OPEN_DAYS,
        default=settings is None or not settings.questions, questions=_questions_out(_questions(settings)))


def set_questions(uow: UnitOfWork, course_id, body: FeedbackQuestionsIn) -> FeedbackQuestionsOut:
    """The course's questions (null: the default set); forms already open keep theirs."""
    EnrollmentRepository.of(uow).course(course_id)
    questions = None
    if body.questions is not None:
        parsed = [rules.Question(q.key, q.kind, q.text.model_dump(), q.required) for q in body.questions]
        rules.check_questions(parsed)
        questions = [q.as_dict() for q in parsed]
    repo = FeedbackRepository.of(uow)
    settings = repo.settings(course_id)
    if settings is None:
        settings = CourseFeedbackSettings(course_id=course_id, enabled=body.enabled, open_days=body.open_days,
                                          questions=questions, updated_at=utcnow())
        repo.add(settings)
    else:
        settings.enabled, settings.open_days, settings.questions = body.enabled, body.open_days, questions
        settings.updated_at = utcnow()
    uow.commit()
    return questions_of(uow, course_id)


# ---------------------------------------------------------------- forms and invitations

def feedback_url(links: Links, enrollment_id) -> str:
    return f"{links.manage(enrollment_id)}/feedback"


def invite_attendees(uow: UnitOfWork, links: Links, session: TrainingSession, course: Course,
                     now: datetime) -> int:
    """Open the completed session's form (the course's questions now) and ask every attendee not asked
    yet, while the form is open: at completion, and again when a correction makes someone an attendee.
    The caller holds the session's lock and commits."""
    if session.status != SessionStatus.COMPLETED.value:
        return 0
    repo = FeedbackRepository.of(uow)
    form = repo.form(session.id)
    if form is None:
        settings = repo.settings(course.id)
        if settings is not None and not settings.enabled:
            return 0
        opened = session.completed_at or now
        form = FeedbackForm(
            session_id=session.id, course_id=course.id, trainer_id=session.trainer_id, themes=list(course.themes),
            questions=[q.as_dict() for q in _questions(settings)], opened_at=opened,
            closes_at=rules.closes_at(opened, settings.open_days if settings else rules.DEFAULT_OPEN_DAYS))
        repo.add(form)
        repo.session.flush()
    if now >= form.closes_at:
        return 0
    invited = repo.invited_ids(session.id)
    count = 0
    for enrollment in repo.attendees(session.id):
        if enrollment.id in invited:
            continue
        repo.add(FeedbackInvitation(enrollment_id=enrollment.id, session_id=session.id, invited_at=now))
        uow.emit(FeedbackRequested(**participant_fields(enrollment, session, course, links),
                                   feedback_url=feedback_url(links, enrollment.id), closes_at=form.closes_at,
                                   questions=len(form.questions)), subject=str(enrollment.id))
        count += 1
    repo.session.flush()
    if count:
        uow.after_commit(lambda: INVITATIONS.inc(count))
        log.info("feedback requested", extra={"session_id": str(session.id), "invited": count})
    return count


# ---------------------------------------------------------------- the person's form

@dataclass(frozen=True)
class FeedbackPage:
    """What the form page shows: the JSON view plus the session's facts."""

    view: FeedbackFormOut
    starts_at: datetime
    ends_at: datetime
    trainer: str | None
    venue: str | None


class InvalidAnswers(Problem):
    """422 naming each answer at fault (`answers.<key>`); the page shows them in the person's language."""

    def __init__(self, errors: list[dict]):
        super().__init__(422, "Invalid request", "invalid answers: " + ", ".join(e["field"] for e in errors),
                         code="validation",
                         errors=[{"field": e["field"], "location": "body", "message": e["code"], "type": e["code"]}
                                 for e in errors])
        self.answer_errors = errors


def _open(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> tuple[Enrollment, FeedbackInvitation, FeedbackForm]:
    """The invitation a link opens; a wrong code, an erased enrolment or someone never invited is 404."""
    if not check_enrollment_code(links.secret, enrollment_id, code):
        raise NotFound("feedback form", enrollment_id)
    repo = FeedbackRepository.of(uow)
    invitation = repo.invitation(enrollment_id)
    enrollment = uow.session.get(Enrollment, enrollment_id)
    if invitation is None or enrollment is None or enrollment.erased_at is not None:
        raise NotFound("feedback form", enrollment_id)
    return enrollment, invitation, repo.form(invitation.session_id)


def page(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> FeedbackPage:
    enrollment, invitation, form = _open(uow, links, enrollment_id, code)
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(form.session_id)
    course = repo.course(form.course_id)
    view = FeedbackFormOut(
        enrollment_id=enrollment.id, session_id=session.id, course_title=dict(course.title),
        language=enrollment.language, questions=_questions_out(rules.Question.of(q) for q in form.questions),
        closes_at=form.closes_at, open=utcnow() < form.closes_at,
        answered=FeedbackRepository.of(uow).answered(enrollment.id))
    return FeedbackPage(view=view, starts_at=session.starts_at, ends_at=session.ends_at, trainer=session.trainer,
                        venue=session.venue)


def waiting_for(uow: UnitOfWork, enrollment_id) -> bool:
    """The person was asked, has not answered and the form is still open (their enrolment page links it)."""
    repo = FeedbackRepository.of(uow)
    invitation = repo.invitation(enrollment_id)
    if invitation is None or repo.answered(enrollment_id):
        return False
    return utcnow() < repo.form(invitation.session_id).closes_at


def view(uow: UnitOfWork, links: Links, enrollment_id, code: str) -> FeedbackFormOut:
    return page(uow, links, enrollment_id, code).view


MAX_BODY_BYTES = 64 * 1024  # up to three comments of 2000 characters, percent-encoded
FORM_TYPE = "application/x-www-form-urlencoded"
ANSWER_PREFIX = "q_"  # the page's form names a question's answer q_<key>


@dataclass(frozen=True)
class Given:
    """An answer as sent: {key: value} and the language the form was read in."""

    answers: dict
    language: str | None


def read_answers(content_type: str, raw: bytes) -> Given:
    """The body of a POST: JSON `{"answers": {...}, "lang"}` or the page's form (`q_<key>=...`, `lang`);
    415 for anything else, 400 when it cannot be read, 413 past MAX_BODY_BYTES, 422 naming the field."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if len(raw) > MAX_BODY_BYTES:
        raise Problem(413, "Content too large", f"the body is larger than {MAX_BODY_BYTES} bytes",
                      code="body_too_large")
    if kind == "application/json":
        try:
            data = read_json(raw) if raw else None
        except JsonLimitError as error:
            raise Problem(422, "Invalid request", f"the body exceeds a limit: {error}", code="json_limit",
                          errors=[{"field": "body", "location": "body", "message": str(error)}]) from None
        except ValueError as error:
            raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {error}", code="malformed_json") from None
        if not isinstance(data, dict):
            raise Problem(400, "Malformed JSON", "the body must be a JSON object", code="malformed_json")
        try:
            body = FeedbackAnswerIn.model_validate(data)
        except ValidationError as error:
            raise validation_problem(error, "body") from None
        return Given(dict(body.answers), body.lang)
    if kind == FORM_TYPE:
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=rules.MAX_QUESTIONS + 1)
        except (UnicodeDecodeError, ValueError):
            raise Problem(400, "Malformed form", "the form could not be read", code="malformed") from None
        answers, language = {}, None
        for name, value in pairs:
            if name == "lang":
                if value not in ("lt", "en"):
                    raise Problem(422, "Invalid request", "invalid form: lang", code="validation", errors=[
                        {"field": "lang", "location": "form", "message": "lt or en"}])
                language = value
            else:
                answers[name[len(ANSWER_PREFIX):] if name.startswith(ANSWER_PREFIX) else name] = value
        return Given(answers, language)
    raise Problem(415, "Unsupported media type", f"send the answers as application/json or {FORM_TYPE}",
                  code="media_type")


def answer(uow: UnitOfWork, links: Links, enrollment_id, code: str, content_type: str, raw: bytes
           ) -> FeedbackAnsweredOut:
    """A JSON client's (or a plain form's) answer: 201, or problem+json."""
    given = read_answers(content_type, raw)
    return _answer(uow, links, enrollment_id, code, given)


@dataclass(frozen=True)
class PageOutcome:
    """What the page shows after its form was posted: nothing (answered: 303 to the thanks), or the
    page again with why (answered before, closed, not attended) or the answers at fault."""

    given: Given
    page: FeedbackPage | None = None
    refused: str | None = None
    errors: list = field(default_factory=list)


def answer_on_page(uow: UnitOfWork, links: Links, enrollment_id, code: str, content_type: str, raw: bytes
                   ) -> PageOutcome:
    """The page's form: a refusal or invalid answers come back as the page to show (409, 422)."""
    given = read_answers(content_type, raw)
    try:
        _answer(uow, links, enrollment_id, code, given)
    except InvalidAnswers as invalid:
        return PageOutcome(given, page(uow, links, enrollment_id, code), "invalid", invalid.answer_errors)
    except Conflict as refused:
        state = {"feedback_answered": "answered", "feedback_closed": "closed"}.get(refused.code, "not_attended")
        return PageOutcome(given, page(uow, links, enrollment_id, code), state)
    return PageOutcome(given)


def _answer(uow: UnitOfWork, links: Links, enrollment_id, code: str, given: Given) -> FeedbackAnsweredOut:
    """Keep the answers once: the ballot (who) and the answer (what) in one transaction, apart; a
    second answer — also two at the same moment — is 409 feedback_answered (the ballot's primary key)."""
    enrollment, invitation, form = _open(uow, links, enrollment_id, code)
    repo = FeedbackRepository.of(uow)
    try:
        rules.check_can_answer(attended=enrollment.attendance == Attendance.ATTENDED.value, closes=form.closes_at,
                               now=utcnow(), answered=repo.answered(enrollment.id))
    except Conflict as refused:
        REFUSED.labels("answered" if refused.code == "feedback_answered" else "closed").inc()
        raise
    kept, errors = rules.clean_answers((rules.Question.of(q) for q in form.questions), given.answers)
    if errors:
        REFUSED.labels("invalid").inc()
        raise InvalidAnswers(errors)
    language = given.language if given.language in ("lt", "en") else enrollment.language
    repo.add(FeedbackBallot(enrollment_id=enrollment.id, session_id=form.session_id))
    try:
        repo.session.flush()  # the ballot first: a second answer stops here
        repo.add(FeedbackAnswer(id=uuid.uuid4(), session_id=form.session_id, language=language, answers=kept))
        uow.commit()
    except IntegrityError:
        uow.rollback()
        REFUSED.labels("answered").inc()
        raise Conflict("this feedback form was already answered (once per person)",
                       code="feedback_answered") from None
    ANSWERS.labels(language).inc()
    return FeedbackAnsweredOut(answered=True, session_id=form.session_id)


# ---------------------------------------------------------------- reports

def _report(uow: UnitOfWork, scope: str, key: str, label: dict, forms: list[FeedbackForm],
            municipality_code: str | None, threshold: int) -> FeedbackReportOut:
    repo = FeedbackRepository.of(uow)
    ids = [f.session_id for f in forms]
    invited = repo.invited_counts(ids)
    answers = repo.answers_of(ids)
    figures = rules.results((rules.SessionAnswers(
        session_id=f.session_id, questions=tuple(rules.Question.of(q) for q in f.questions),
        invited=invited.get(f.session_id, 0), answers=tuple(answers[f.session_id])) for f in forms), threshold)
    REPORTS.labels(scope, "shown" if figures["shown"] else "counts_only").inc()
    return FeedbackReportOut(scope=scope, key=key, label=label, municipality_code=municipality_code, **figures)


def _period(query: FeedbackReportQuery) -> dict:
    return {"starts_from": local_day_start(query.from_) if query.from_ else None,
            "starts_to": local_day_start(query.to) if query.to else None}


def session_report(uow: UnitOfWork, session_id, query: SessionReportQuery, *, threshold: int) -> FeedbackReportOut:
    """(The query takes no filter: a session's results are whole, for anyone who may see them.)"""
    repo = EnrollmentRepository.of(uow)
    session = repo.training_session(session_id)
    course = repo.course(session.course_id)
    forms = FeedbackRepository.of(uow).forms(session_id=session.id)
    return _report(uow, "session", str(session.id), dict(course.title), forms, None, threshold)


def course_report(uow: UnitOfWork, course_id, query: FeedbackReportQuery, tenant: str | None, *,
                  threshold: int) -> FeedbackReportOut:
    course = EnrollmentRepository.of(uow).course(course_id)
    forms = FeedbackRepository.of(uow).forms(course_id=course.id, municipality_code=tenant, **_period(query))
    return _report(uow, "course", str(course.id), dict(course.title), forms, tenant, threshold)


def trainer_report(uow: UnitOfWork, trainer_id, query: FeedbackReportQuery, tenant: str | None, *,
                   threshold: int) -> FeedbackReportOut:
    trainer = uow.session.get(Trainer, trainer_id)
    if trainer is None:
        raise NotFound("trainer", trainer_id)
    forms = FeedbackRepository.of(uow).forms(trainer_id=trainer.id, municipality_code=tenant, **_period(query))
    return _report(uow, "trainer", str(trainer.id), {"lt": trainer.name, "en": trainer.name}, forms, tenant, threshold)


def theme_report(uow: UnitOfWork, theme: str, query: FeedbackReportQuery, tenant: str | None, *,
                 threshold: int) -> FeedbackReportOut:
    found = THEMES.get(theme)
    if found is None:
        raise NotFound("theme", theme)
    forms = [f for f in FeedbackRepository.of(uow).forms(municipality_code=tenant, **_period(query))
             if theme in (f.themes or [])]
    return _report(uow, "theme", theme, {"lt": found.label_lt, "en": found.label_en}, forms, tenant, threshold)


# ---------------------------------------------------------------- erasure

def erase_from_comments(uow: UnitOfWork, enrollment_ids, names, emails) -> int:
    """The person's free text keeps no identity: answers are stored without a person, so the comments
    of every session they answered are cleared of their names and e-mail addresses. Returns the
    answers changed."""
    repo = FeedbackRepository.of(uow)
    identities = rules.identity_terms(names, emails)
    changed = 0
    for row in repo.answers_rows(repo.answered_sessions(list(enrollment_ids))):
        answers = dict(row.answers)
        cleaned = {k: rules.scrub_identity(v, identities) if isinstance(v, str) else v for k, v in answers.items()}
        if cleaned != answers:
            row.answers = cleaned
            changed += 1
    repo.session.flush()
    return changed

