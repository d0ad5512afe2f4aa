"""Request and response bodies of feedback after a session (usecases/feedback.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Union
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from services.enrollment.domain.feedback import MAX_COMMENT, MAX_QUESTIONS
from shared.events.types import check_municipality
from shared.limits import SINGLE_LINE
from shared.model import Model
from shared.reference import MunicipalityCode

QuestionText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=SINGLE_LINE)]


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


class QuestionWording(StrictModel):
    lt: QuestionText
    en: QuestionText


class QuestionIn(StrictModel):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="stable name of the question: results of "
                     "several sessions and courses are added up by it")
    kind: Literal["rating", "text"] = Field(description="rating: 1 (poor) to 5 (excellent); text: free text of at "
                                                        f"most {MAX_COMMENT} characters")
    text: QuestionWording = Field(description="the question in Lithuanian and English")
    required: bool = False


class FeedbackQuestionsIn(StrictModel):
    enabled: bool = Field(default=True, description="false: the course's sessions ask for no feedback")
    open_days: int = Field(default=30, ge=1, le=90, description="days a session's form takes answers after completion")
    questions: list[QuestionIn] | None = Field(default=None, min_length=1, max_length=MAX_QUESTIONS,
                                               description="null: the default questions")


class QuestionOut(Model):
    key: str
    kind: str
    text: QuestionWording
    required: bool


class FeedbackQuestionsOut(Model):
    course_id: UUID
    enabled: bool
    open_days: int
    default: bool = Field(description="true: the course sets no questions of its own and asks the default ones")
    questions: list[QuestionOut]


# Checked against the form's questions by domain/feedback.clean_answers (422 naming answers.<key>); the
# body itself is bounded (64 KiB).
AnswerValue = Union[int, str]


class FeedbackAnswerIn(StrictModel):
    """A JSON client's answer (a browser posts the page's form instead)."""

    answers: dict[Annotated[str, StringConstraints(max_length=40)], AnswerValue] = Field(
        max_length=MAX_QUESTIONS, description="question key -> 1-5 (rating) or text")
    lang: Literal["lt", "en"] | None = Field(default=None, description="the language the form was read in")


class FeedbackFormOut(Model):
    """The person's form (GET of their feedback link, for a JSON client)."""

    enrollment_id: UUID
    session_id: UUID
    course_title: dict
    language: str
    questions: list[QuestionOut]
    closes_at: datetime
    open: bool
    answered: bool


class FeedbackAnsweredOut(Model):
    answered: bool
    session_id: UUID


class FeedbackReportQuery(StrictModel):
    from_: date | None = Field(default=None, alias="from", description="sessions starting on or after (Lithuanian time)")
    to: date | None = Field(default=None, description="sessions starting before this day")
    municipality_code: MunicipalityCode | None = Field(
        default=None, description="only sessions this municipality's people attended (a municipality token: its own)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))

    @model_validator(mode="after")
    def _period(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class SessionReportQuery(StrictModel):
    """A session's report takes no filter (its tenancy: the municipalities whose people attended)."""


class QuestionResultOut(Model):
    key: str
    kind: str
    text: dict
    answered: int
    average: float | None = None
    distribution: dict[str, int] | None = Field(default=None, description="ratings 1-5: how many gave each")
    comments: list[str] | None = Field(default=None, description="free-text answers, sorted (the order says nothing "
                                                                  "about who answered when)")
    comments_total: int | None = None


class FeedbackReportOut(Model):
    scope: Literal["session", "course", "trainer", "theme"]
    key: str
    label: dict = Field(description="title (lt, en) of the session's course, the course, the trainer's name, the theme")
    municipality_code: str | None = None
    sessions: int = Field(description="completed sessions with a form in the scope")
    invited: int
    answers: int
    response_rate: float | None
    min_answers: int = Field(description="the anonymity threshold: fewer answers than this show only the counts")
    sessions_shown: int = Field(description="sessions that reach the threshold on their own; only they are added up")
    answers_shown: int
    shown: bool
    questions: list[QuestionResultOut]
