"""The right to be forgotten, in grants: who the person is here, what replaces them as an author,
and what the grants.person_erased report counts."""

from __future__ import annotations

import uuid

# What grants.person_erased reports, always all of it (zeros included).
ERASURE_COUNTS = ("application_contacts", "consultant_assignments", "partner_contacts", "applications_created",
                  "status_changes", "checklist_updates", "checklist_changes", "consultation_entries", "published_events",
                  "dead_letters", "report_submissions", "payment_claims_submitted", "payment_claims_approved",
                  "payment_claims_paid", "amendments", "engagement_contacts", "engagement_consultants",
                  "engagement_authors", "engagement_texts", "documents_deleted", "document_uploaders",
                  "document_names")


def normalised_email(email: str) -> str:
    return email.strip().lower()


def is_same_email(stored: str | None, normalised: str) -> bool:
    """Whether a stored e-mail is the person's (any case)."""
    return (stored or "").lower() == normalised


def pseudonym(request_id: uuid.UUID) -> str:
    """What replaces the person as the author of history, checklist and consultation entries."""
    return f"erased-person-{str(request_id)[:8]}"


def spellings(identities: set[str]) -> set[str]:
    """The spellings to look for: as recorded and lowered (SQLite's lower() folds ASCII only, so
    both are matched)."""
    return identities | {i.lower() for i in identities}


def report(counts: dict[str, int]) -> dict[str, int]:
    """Every count of ERASURE_COUNTS (zero when nothing was found), in name order."""
    full = dict.fromkeys(ERASURE_COUNTS, 0) | dict(counts)
    return {key: full[key] for key in sorted(full)}
