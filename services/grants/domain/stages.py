"""Two-stage calls, as the funders run them: a concept note first, then — for those invited — the
full application. Each stage has its own deadline (the call's first_stage_closes_on, then
closes_on), its own submission, outcome and checklist (the call's concept_note_documents, then its
required_documents). Rejection at the first stage ends the application.

    stage concept_note:      idea → drafting → internal_review → submitted → invited | rejected
    invited:                 back to drafting at stage full_application (a new internal deadline)
    stage full_application:  drafting → internal_review → submitted → awarded | rejected

A single-stage call's applications have no stage (None) and behave as before.
"""

from __future__ import annotations

from datetime import date

from shared.errors import Conflict, RuleViolation

CONCEPT_NOTE = "concept_note"
FULL_APPLICATION = "full_application"
STAGES = (CONCEPT_NOTE, FULL_APPLICATION)
STAGE_OUTCOMES = {CONCEPT_NOTE: ("invited", "rejected"), FULL_APPLICATION: ("awarded", "rejected"),
                  None: ("awarded", "rejected")}


def initial_stage(first_stage_closes_on: date | None) -> str | None:
    return CONCEPT_NOTE if first_stage_closes_on is not None else None


def stage_deadline(stage: str | None, first_stage_closes_on: date | None, closes_on: date) -> date:
    """The funder's deadline of the stage the application is at."""
    return first_stage_closes_on if stage == CONCEPT_NOTE and first_stage_closes_on is not None else closes_on


def check_first_stage_change(requested: dict, concept_documents: list) -> None:
    """A call with concept note documents stays two-stage: its first stage may move, not go."""
    if "first_stage_closes_on" in requested and requested["first_stage_closes_on"] is None and concept_documents:
        raise RuleViolation("the call has concept note documents: it keeps a first stage (move its date instead)",
                            field="first_stage_closes_on")


def next_deadline(stage: str, first_stage_closes_on: date | None, closes_on: date, today: date) -> date:
    """The funder deadline a two-stage application works to: the concept note's at stage 1 (even
    once passed: it is the one that counts), the call's closing date at stage 2."""
    if stage == CONCEPT_NOTE and first_stage_closes_on is not None:
        return first_stage_closes_on
    return closes_on


def check_can_start(first_stage_closes_on: date | None, today: date, code: str) -> None:
    """A two-stage call takes new applications until its concept note deadline: the full
    application is by invitation only."""
    if first_stage_closes_on is not None and first_stage_closes_on < today:
        raise Conflict(f"call {code}'s concept note stage closed on {first_stage_closes_on.isoformat()}: the full "
                       f"application is by invitation only", field="call_id", code="call_closed")


def check_call_documents(first_stage_closes_on: date | None, concept_codes: tuple[str, ...],
                         full_codes: tuple[str, ...]) -> None:
    """Concept note documents only for two-stage calls, each code once across both stages (a
    checklist item is named by its code)."""
    if concept_codes and first_stage_closes_on is None:
        raise RuleViolation("concept note documents belong to two-stage calls (set first_stage_closes_on)",
                            field="concept_note_documents")
    duplicates = sorted({c for c in concept_codes if concept_codes.count(c) > 1} | (set(concept_codes) & set(full_codes)))
    if duplicates:
        raise RuleViolation(f"document code(s) {', '.join(duplicates)} appear more than once",
                            field="concept_note_documents")


def checklist_of(stage: str | None, concept_documents: list[dict], required_documents: list[dict]) -> list[tuple]:
    """(stage of the item, document) for every item of a new application's checklist: a two-stage
    call's concept note documents, then its full application documents; a single-stage call's
    required documents (stage None)."""
    if stage is None:
        return [(None, d) for d in required_documents]
    return [(CONCEPT_NOTE, d) for d in concept_documents] + [(FULL_APPLICATION, d) for d in required_documents]


def of_stage(items, stage: str | None):
    """The checklist items (objects with .stage) the current stage needs."""
    return [i for i in items if i.stage == stage]


def check_outcome(stage: str | None, outcome: str) -> None:
    allowed = STAGE_OUTCOMES[stage]
    if outcome not in allowed:
        where = {CONCEPT_NOTE: "the concept note stage", FULL_APPLICATION: "the full application"}.get(
            stage, "a single-stage call")
        raise RuleViolation(f"the outcome of {where} is {' or '.join(allowed)}, not {outcome}", field="outcome")


def check_invitation(status: str) -> None:
    """Only a submitted concept note is invited to the full application."""
    if status != "submitted":
        raise Conflict(f"a concept note that is {status} cannot be invited (submit it first)", field="to",
                       code="invalid_transition")


def reminded_kinds(stage: str | None) -> tuple[str, ...]:
    """Which of an application's deadlines are reminded at its stage: the internal one and the
    funder's deadline of that stage."""
    return ("internal", "first_stage") if stage == CONCEPT_NOTE else ("internal", "official")
