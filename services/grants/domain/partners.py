"""The foreign partner of an application, as the partners service's events tell it: proposed
candidates, introductions and their answers, the established partnership."""

from __future__ import annotations


def candidate_rank(rank: int | None, position: int) -> int:
    """A proposed candidate's rank: the one the proposal gives, else its place in the list."""
    return rank or position


def partner_status_after_proposal(partner_status: str, any_candidates: bool) -> str:
    """An application waiting for a partner shows `proposed` once candidates arrive."""
    return "proposed" if partner_status == "requested" and any_candidates else partner_status


def answered_status(answer: str, *, both_accepted: bool, side: str) -> str:
    """A candidate's introduction status after an answer: declined, accepted (both sides), or
    `<side>_accepted` while the other side has not answered yet."""
    if answer == "declined":
        return "declined"
    return "accepted" if both_accepted else f"{side}_accepted"


def keeps_established(current: str | None, new: str) -> bool:
    """A late answer does not undo an agreed partnership."""
    return current == "established" and new != "established"


# The required documents (a call's checklist codes) a partner's letter of intent stands for.
LETTER_OF_INTENT_DOCUMENTS = ("partnership_letter", "letter_of_intent", "partner_letter_of_intent")
DONE = ("ready", "not_applicable")


def document_for_letter(issued_by: str, checklist: list[tuple[str, str]]) -> str | None:
    """The checklist item (code) a letter of intent ticks: a letter from the partner stands for the
    application's partnership letter — the first item whose code is one of
    LETTER_OF_INTENT_DOCUMENTS — unless that item is already ready or waived. The municipality's
    own letter (issued_by requester) ticks nothing. `checklist`: (code, status) in order."""
    if issued_by != "partner":
        return None
    for code, status in checklist:
        if code in LETTER_OF_INTENT_DOCUMENTS:
            return None if status in DONE else code
    return None
