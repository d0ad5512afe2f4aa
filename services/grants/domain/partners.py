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
