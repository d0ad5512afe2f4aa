"""Feedback after a session (issue 18 item 4): the questions, answering once, and results that stay
anonymous. Pure rules, unit-tested in tests/enrollment/test_feedback_domain.py.

- A course sets its questions (`rating` 1-5 or `text`, each worded in Lithuanian and English); a
  course that sets none asks DEFAULT_QUESTIONS. When a session is completed its form takes the
  course's questions as they are then and stays open `open_days` days.
- Who answered and what was answered are stored apart (a ballot per enrolment, unique: once per
  person; an answer with no person, no time): nothing links an answer back to its author.
- Results are shown only for groups of at least `threshold` answers (the setting
  SAVIVALDA_FEEDBACK_MIN_ANSWERS, default 5, at least 3: shared/config.py); below that only the counts. Reports over several sessions (a course, a
  trainer, a theme) add up only sessions that reach the threshold on their own, so subtracting one
  report from another never reveals a smaller group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from shared.errors import Conflict, RuleViolation

RATING = "rating"
TEXT = "text"
SCALE = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 10
MAX_TEXT_QUESTIONS = 3
MAX_COMMENT = 2000  # characters of one free-text answer
MAX_COMMENTS_SHOWN = 200  # per question in one report
DEFAULT_OPEN_DAYS = 30
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ERASED_TEXT = "[…]"


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # rating | text
    text: Mapping[str, str]  # {"lt": ..., "en": ...}
    required: bool = False

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "text": dict(self.text), "required": self.required}

    @classmethod
    def of(cls, data: Mapping) -> "Question":
        return cls(key=data["key"], kind=data["kind"], text=dict(data["text"]), required=bool(data.get("required")))


DEFAULT_QUESTIONS: tuple[Question, ...] = (
    Question("overall", RATING, {"lt": "Kaip apskritai vertinate mokymus?",
                                 "en": "How do you rate the training overall?"}, True),
    Question("usefulness", RATING, {"lt": "Ar turinys bus naudingas jūsų darbe?",
                                    "en": "How useful is the content for your work?"}, True),
    Question("trainer", RATING, {"lt": "Kaip vertinate lektorių?", "en": "How do you rate the trainer?"}, True),
    Question("organisation", RATING, {"lt": "Kaip vertinate organizavimą (vietą, laiką, medžiagą)?",
                                      "en": "How do you rate the organisation (venue, timing, materials)?"}, True),
    Question("comment", TEXT, {"lt": "Ką norėtumėte pasakyti ar pasiūlyti?",
                               "en": "Anything you would like to tell us or suggest?"}, False),
)


def check_questions(questions: list[Question]) -> None:
    """Keys unique, at most MAX_TEXT_QUESTIONS free-text questions (the schema bounds the rest)."""
    seen: set[str] = set()
    for index, question in enumerate(questions):
        if question.key in seen:
            raise RuleViolation(f"the key {question.key!r} is used twice", field=f"questions.{index}.key")
        seen.add(question.key)
    texts = [i for i, q in enumerate(questions) if q.kind == TEXT]
    if len(texts) > MAX_TEXT_QUESTIONS:
        raise RuleViolation(f"at most {MAX_TEXT_QUESTIONS} free-text questions",
                            field=f"questions.{texts[MAX_TEXT_QUESTIONS]}.kind")


def closes_at(completed_at: datetime, open_days: int) -> datetime:
    return completed_at + timedelta(days=open_days)


def check_can_answer(*, attended: bool, closes: datetime, now: datetime, answered: bool) -> None:
    """Only someone who attended answers, once, while the form is open."""
    if not attended:
        raise Conflict("only people who attended the session answer its feedback form", code="feedback_not_invited")
    if answered:
        raise Conflict("this feedback form was already answered (once per person)", code="feedback_answered")
    if now >= closes:
        raise Conflict(f"the feedback form closed at {closes.isoformat()}", code="feedback_closed")


@dataclass
class AnswerErrors:
    errors: list[dict] = field(default_factory=list)

    def add(self, key: str, code: str) -> None:
        self.errors.append({"field": f"answers.{key}", "code": code})


def clean_answers(questions: Iterable[Question], given: Mapping[str, object]) -> tuple[dict, list[dict]]:
    """The answers kept (rating: an int 1-5; text: stripped, at most MAX_COMMENT characters, no control
    characters but line breaks; empty ones dropped) and the errors, each naming `answers.<key>` with a
    code: required, rating, too_long, control_characters, unknown."""
    questions = list(questions)
    known = {q.key: q for q in questions}
    errors = AnswerErrors()
    kept: dict[str, object] = {}
    for key in given:
        if key not in known:
            errors.add(str(key)[:50], "unknown")
    for question in questions:
        value = given.get(question.key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if question.required:
                errors.add(question.key, "required")
            continue
        if question.kind == RATING:
            rating = _rating(value)
            if rating is None:
                errors.add(question.key, "rating")
            else:
                kept[question.key] = rating
        else:
            if not isinstance(value, str):
                errors.add(question.key, "text")
                continue
            text = value.replace("\r\n", "\n").replace("\r", "\n")
            if len(text) > MAX_COMMENT:
                errors.add(question.key, "too_long")
            elif any(ord(c) < 32 and c not in "\n\t" or 0x7f <= ord(c) < 0xa0 for c in text):
                errors.add(question.key, "control_characters")
            else:
                kept[question.key] = text
    return kept, errors.errors


def _rating(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit() and len(value) == 1:
        number = int(value)
    else:
        return None
    return number if number in SCALE else None


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class SessionAnswers:
    """One session's form and its answers (each a dict key -> value), as a report reads them."""

    session_id: object
    questions: tuple[Question, ...]
    invited: int
    answers: tuple[Mapping[str, object], ...]


def publishable(count: int, threshold: int) -> bool:
    return count >= threshold


def results(sessions: Iterable[SessionAnswers], threshold: int) -> dict:
    """Counts of every session; averages, distributions and comments only of the sessions that reach
    the threshold on their own (and only if those add up to it)."""
    sessions = list(sessions)
    invited = sum(s.invited for s in sessions)
    answers = sum(len(s.answers) for s in sessions)
    shown = [s for s in sessions if publishable(len(s.answers), threshold)]
    answers_shown = sum(len(s.answers) for s in shown)
    out = {"sessions": len(sessions), "invited": invited, "answers": answers,
           "response_rate": round(answers / invited, 3) if invited else None,
           "min_answers": threshold, "sessions_shown": len(shown), "answers_shown": answers_shown,
           "shown": bool(shown), "questions": []}
    if not shown:
        return out
    order: dict[str, Question] = {}  # sessions come oldest first: the latest wording of a key wins
    for s in shown:
        for question in s.questions:
            order[question.key] = question
    for question in order.values():
        values = [a[question.key] for s in shown for a in s.answers
                  if question.key in a and any(q.key == question.key and q.kind == question.kind for q in s.questions)]
        line = {"key": question.key, "kind": question.kind, "text": dict(question.text), "answered": len(values)}
        if question.kind == RATING:
            ratings = [int(v) for v in values]
            line["average"] = round(sum(ratings) / len(ratings), 2) if ratings else None
            line["distribution"] = {str(n): ratings.count(n) for n in SCALE}
        else:
            # Sorted, so the order says nothing about who answered when.
            comments = sorted(str(v) for v in values)
            line["comments"] = comments[:MAX_COMMENTS_SHOWN]
            line["comments_total"] = len(comments)
        out["questions"].append(line)
    return out


def identity_terms(names: Iterable[str], emails: Iterable[str]) -> set[str]:
    """What identifies a person in free text: their full names, each part of a name of 4 letters or
    more (a first name or surname alone), and their e-mail addresses."""
    terms = {e.strip() for e in emails if e and e.strip()}
    for name in names:
        if not name or not name.strip():
            continue
        terms.add(name.strip())
        terms.update(part for part in re.split(r"[\s,.;]+", name) if len(part) >= 4)
    return terms


def scrub_identity(text: str, terms: Iterable[str]) -> str:
    """A free-text answer without the given terms (any case, whole words), each replaced by "[…]"."""
    for term in sorted({t for t in terms if t and len(t.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(term.strip()) + r"(?!\w)", ERASED_TEXT, text, flags=re.IGNORECASE)
    return text
