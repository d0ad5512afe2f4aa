"""Training needs: who may support a proposal."""

from __future__ import annotations

from shared.errors import Conflict, RuleViolation


def check_can_support(proposer: str, status: str, supporter: str) -> None:
    """Another municipality may support an open or planned proposal; its proposer may not."""
    if proposer == supporter:
        raise RuleViolation("a municipality cannot support its own proposal", field="municipality_code")
    if status == "closed":
        raise Conflict("the proposal is closed", code="need_closed")
