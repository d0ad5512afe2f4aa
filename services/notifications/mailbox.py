"""Forgetting a person in the mailbox folder (embedded mode: every e-mail is an .eml file there,
services/notifications/delivery.py MailboxMailer).

The e-mails sent to the person are deleted (each file is named after its Message-ID, which the
notification row keeps). An e-mail to someone else that names them (a coordinator told about
their application, the other side of a partnership) is rewritten without their name and address,
as whole tokens, in its headers and in each text part, decoded (quoted-printable, base64,
RFC 2047 headers) before searching, so an encoded mention is found too.
"""

from __future__ import annotations

import email
import logging
import os
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

from shared.erasure import ERASED_EMAIL, scrub

log = logging.getLogger(__name__)

ADDRESS_HEADERS = ("To", "Cc", "Reply-To", "From")


def file_name(message_id: str) -> str:
    """The mailbox file an e-mail with this Message-ID was written to (MailboxMailer)."""
    return message_id.strip("<>").split("@", 1)[0] + ".eml"


def forget_in_mailbox(directory: Path | None, own_message_ids: list[str], needles: list[str]) -> dict[str, int]:
    """Delete the person's own e-mails and scrub the others that name them. Returns
    {"mailbox_deleted": n, "mailbox_scrubbed": m}."""
    counts = {"mailbox_deleted": 0, "mailbox_scrubbed": 0}
    if directory is None or not Path(directory).is_dir():
        return counts
    directory = Path(directory)
    for message_id in own_message_ids:
        target = directory / file_name(message_id)
        try:
            target.unlink()
            counts["mailbox_deleted"] += 1
        except FileNotFoundError:
            pass
    needles = sorted({n.strip() for n in needles if n and n.strip()}, key=len, reverse=True)
    if not needles:
        return counts
    for path in sorted(directory.glob("*.eml")):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:  # deleted meanwhile
            continue
        message = email.message_from_bytes(raw, policy=policy.default)
        if scrub_message(message, needles):
            _replace(path, bytes(message))
            counts["mailbox_scrubbed"] += 1
    return counts


def scrub_message(message: EmailMessage, needles: list[str]) -> bool:
    """Scrub the needles from the headers and the text parts of `message`, in place; whether it
    changed."""
    changed = False
    for header in {name for name in message.keys()}:
        values = message.get_all(header) or []
        new_values = []
        for value in values:
            text = str(value)
            scrubbed, hit = scrub(text, needles)
            if hit and header in ADDRESS_HEADERS:
                scrubbed = ERASED_EMAIL  # an address header stays a valid address
            new_values.append(scrubbed)
            changed |= hit
        if new_values != [str(v) for v in values]:
            del message[header]
            for value in new_values:
                message[header] = value
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        text = part.get_content()
        scrubbed, hit = scrub(text, needles)
        if hit:
            part.set_content(scrubbed, subtype=part.get_content_subtype(), charset="utf-8")
            changed = True
    return changed


def _replace(path: Path, content: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)
