"""The feedback rules (services/enrollment/domain/feedback.py), without a database."""

from datetime import datetime, timedelta, timezone

import pytest

from services.enrollment.domain import feedback as rules
from shared.config import ConfigurationError, embedded_settings
from shared.errors import Conflict, RuleViolation

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
QUESTIONS = rules.DEFAULT_QUESTIONS


def session(answers, invited=None, questions=QUESTIONS, session_id="s"):
    return rules.SessionAnswers(session_id, tuple(questions), invited if invited is not None else len(answers),
                                tuple(answers))


def test_the_default_questions_are_worded_in_both_languages_with_unique_keys():
    rules.check_questions(list(QUESTIONS))
    assert all(q.text["lt"] and q.text["en"] for q in QUESTIONS)
    assert [q.kind for q in QUESTIONS].count(rules.TEXT) == 1


def test_keys_are_unique_and_free_text_questions_few():
    rating = rules.Question("a", rules.RATING, {"lt": "A", "en": "A"})
    with pytest.raises(RuleViolation) as twice:
        rules.check_questions([rating, rating])
    assert twice.value.field == "questions.1.key"
    texts = [rules.Question(f"t{n}", rules.TEXT, {"lt": "T", "en": "T"}) for n in range(4)]
    with pytest.raises(RuleViolation) as many:
        rules.check_questions(texts)
    assert many.value.field == "questions.3.kind"


def test_only_an_attendee_answers_once_while_the_form_is_open():
    rules.check_can_answer(attended=True, closes=NOW + timedelta(days=1), now=NOW, answered=False)
    for kwargs, code in ((dict(attended=False, answered=False), "feedback_not_invited"),
                         (dict(attended=True, answered=True), "feedback_answered")):
        with pytest.raises(Conflict) as refused:
            rules.check_can_answer(closes=NOW + timedelta(days=1), now=NOW, **kwargs)
        assert refused.value.code == code
    with pytest.raises(Conflict) as closed:
        rules.check_can_answer(attended=True, closes=NOW, now=NOW, answered=False)
    assert closed.value.code == "feedback_closed"
    assert rules.closes_at(NOW, 30) == NOW + timedelta(days=30)


def test_answers_are_cleaned_and_each_fault_named():
    kept, errors = rules.clean_answers(QUESTIONS, {"overall": "5", "usefulness": 4, "trainer": 3, "organisation": 2,
                                                   "comment": "  Ačiū!\r\nDaugiau.  "})
    assert errors == [] and kept == {"overall": 5, "usefulness": 4, "trainer": 3, "organisation": 2,
                                     "comment": "Ačiū!\nDaugiau."}
    kept, errors = rules.clean_answers(QUESTIONS, {"overall": 6, "usefulness": "4.0", "trainer": True,
                                                   "comment": "x" * 2001, "colour": 1})
    assert {e["field"]: e["code"] for e in errors} == {
        "answers.colour": "unknown", "answers.overall": "rating", "answers.usefulness": "rating",
        "answers.trainer": "rating", "answers.organisation": "required", "answers.comment": "too_long"}
    _, errors = rules.clean_answers(QUESTIONS, {"overall": 1, "usefulness": 1, "trainer": 1, "organisation": 1,
                                                "comment": "a\x1bb"})
    assert errors == [{"field": "answers.comment", "code": "control_characters"}]
    kept, errors = rules.clean_answers(QUESTIONS, {"overall": 1, "usefulness": 1, "trainer": 1, "organisation": 1,
                                                   "comment": "   "})
    assert errors == [] and "comment" not in kept  # an empty optional answer is no answer


def test_below_the_threshold_only_counts_are_shown():
    four = [{"overall": 5, "comment": "Puiku"}] * 4
    out = rules.results([session(four, invited=10)], 5)
    assert (out["answers"], out["invited"], out["response_rate"], out["shown"]) == (4, 10, 0.4, False)
    assert out["questions"] == [] and "Puiku" not in str(out)


def test_only_sessions_reaching_the_threshold_are_added_up_and_comments_are_sorted():
    big = session([{"overall": r, "comment": c} for r, c in ((5, "b"), (4, "a"), (3, "c"), (5, "e"), (3, "d"))],
                  session_id="big")
    small = session([{"overall": 1, "comment": "who wrote this"}], session_id="small")
    out = rules.results([big, small], 5)
    assert (out["sessions"], out["answers"], out["sessions_shown"], out["answers_shown"]) == (2, 6, 1, 5)
    overall = next(q for q in out["questions"] if q["key"] == "overall")
    assert overall["average"] == 4.0 and overall["distribution"] == {"1": 0, "2": 0, "3": 2, "4": 1, "5": 2}
    comment = next(q for q in out["questions"] if q["key"] == "comment")
    assert comment["comments"] == ["a", "b", "c", "d", "e"] and comment["comments_total"] == 5
    usefulness = next(q for q in out["questions"] if q["key"] == "usefulness")
    assert usefulness["answered"] == 0 and usefulness["average"] is None


def test_the_threshold_is_a_setting_checked_at_start_and_never_below_three(tmp_path):
    assert embedded_settings(tmp_path, env={}).feedback_min_answers == 5
    assert embedded_settings(tmp_path, env={"SAVIVALDA_FEEDBACK_MIN_ANSWERS": "8"}).feedback_min_answers == 8
    for bad in ("2", "0", "five", "-7"):
        with pytest.raises(ConfigurationError, match="SAVIVALDA_FEEDBACK_MIN_ANSWERS"):
            embedded_settings(tmp_path, env={"SAVIVALDA_FEEDBACK_MIN_ANSWERS": bad})


def test_a_persons_names_and_address_are_cleared_from_free_text():
    terms = rules.identity_terms(["Ona Petraitienė"], ["ona.p@kaunas.lt"])
    assert rules.scrub_identity("Ona Petraitienė (ONA.P@KAUNAS.LT) siūlo; petraitienė sutinka. Onas?", terms) == \
        "[…] ([…]) siūlo; […] sutinka. Onas?"
    assert rules.scrub_identity("Dėkoju lektoriui", terms) == "Dėkoju lektoriui"
