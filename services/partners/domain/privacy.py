"""Erasing one person (by e-mail address) from the partners service's records.

Contacts are pseudonymised in place: the record and its counts stay (a partnership still
happened, a visit still had 12 participants) but the name and address are gone.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

ERASED_NAME = "[erased]"


def email_key(address: str) -> str:
    return address.strip().casefold()


def pseudonym_email(address: str) -> str:
    """A syntactically valid address that no longer identifies anyone (events keep validating)."""
    digest = hashlib.sha256(email_key(address).encode()).hexdigest()[:12]
    return f"erased-{digest}@erased.invalid"


def is_address(value: Any, address: str) -> bool:
    return isinstance(value, str) and email_key(value) == email_key(address)


def scrub_people(value: Any, address: str) -> tuple[Any, int]:
    """Walk a JSON value; every object whose `email` is `address` loses its name and address.

    Returns the new value and how many such objects were found (visit participants, contacts in
    stored event bodies)."""
    if isinstance(value, list):
        found = 0
        result = []
        for item in value:
            new, n = scrub_people(item, address)
            result.append(new)
            found += n
        return result, found
    if isinstance(value, dict):
        found = 0
        result = {}
        for key, item in value.items():
            new, n = scrub_people(item, address)
            result[key] = new
            found += n
        if is_address(value.get("email"), address):
            result["email"] = pseudonym_email(address)
            if "name" in result:
                result["name"] = ERASED_NAME
            found += 1
        return result, found
    return value, 0


def replace_address(text: str, address: str) -> str:
    """The text with every whole-token occurrence of the address (in any case) replaced by its
    pseudonym; a longer address that contains it (ajonas@x.lt for jonas@x.lt) is left alone."""
    pattern = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~@-])" + re.escape(email_key(address)) + r"(?![\w@-]|\.\w)",
                         flags=re.IGNORECASE)
    return pattern.sub(pseudonym_email(address), text)
