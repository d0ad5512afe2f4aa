"""Issue 17 item 3: an erased person's name and e-mail appear nowhere in any database or file of the
embedded data folder. The whole system runs embedded; a person is enrolled (and e-mailed), is the
contact of a grant application and is named, with her address, in its consultation log; then
`savivalda privacy erase` runs. Every file under the data folder is then read as bytes (SQLite
databases and their write-ahead logs included, e-mails decoded as well) and searched for her."""

import email
import json
import quopri
from email import policy
from pathlib import Path

from sqlalchemy import select

from shared.persistence.engines import engine_for
from shared.persistence.schema import OUTBOX
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import application_body, call_body, create, day
from tests.service.helpers import create_session, enrol
from tests.support import http, run_cli, wait_until

NAME = "Ona Unikalaitė-Žemaitienė"
ADDRESS = "Ona.Unikalaite@Kaunas.lt"
SERVICES = ("enrollment", "grants", "partners", "notifications")


def spellings() -> list[bytes]:
    """Every way the person could be written into a file: as typed, lower and upper case, in
    UTF-8, JSON-escaped (ensure_ascii) and quoted-printable (e-mail bodies), plus her surname."""
    texts = {NAME, ADDRESS, "Unikalait", "Žemaitien", ADDRESS.split("@")[0]}
    forms = set()
    for text in texts:
        for variant in (text, text.lower(), text.upper(), text.casefold()):
            forms.add(variant.encode())
            forms.add(json.dumps(variant).strip('"').encode())  # \u0117 for ė
            forms.add(quopri.encodestring(variant.encode()).rstrip(b"=\n"))
    return sorted(forms)


def where_she_is(data_dir: Path) -> list[tuple[str, str]]:
    found = []
    needles = spellings()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        texts = [raw, raw.lower()]
        if path.suffix == ".eml":  # headers and bodies decoded (base64, quoted-printable, RFC 2047)
            message = email.message_from_bytes(raw, policy=policy.default)
            decoded = " ".join(f"{k}: {v}" for k, v in message.items())
            for part in message.walk():
                if part.get_content_maintype() == "text":
                    decoded += part.get_content()
            texts += [decoded.encode(), decoded.lower().encode()]
        for needle in needles:
            if any(needle in text or needle.lower() in text for text in texts):
                found.append((str(path.relative_to(data_dir)), needle.decode(errors="replace")))
    return found


def erased_by_all(system) -> bool:
    for service in SERVICES:
        with UnitOfWork(engine_for(system.settings.database_url(service)), service, "t") as uow:
            if not uow.session.execute(select(OUTBOX.c.id).where(OUTBOX.c.event_type == f"{service}.person_erased")
                                       ).first():
                return False
    return True


def test_an_erased_person_is_in_no_file_of_the_data_folder(embedded):
    staff = embedded.token()
    _, session_id = create_session(embedded.base_url, staff, capacity=1)
    ona = {"name": NAME, "email": ADDRESS, "municipality_code": "15", "position": "Projektų vadovė", "language": "lt"}
    assert enrol(embedded.base_url, staff, session_id, ona).status == 201
    # Someone else waits behind her, and stays.
    other = {"name": "Tomas Tomaitis", "email": "tomas@kaunas.lt", "municipality_code": "15", "language": "lt"}
    assert enrol(embedded.base_url, staff, session_id, other).status == 201

    call = create(embedded, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    application = create(embedded, "/grants/applications", application_body(
        call["id"], contact={"name": NAME, "email": ADDRESS, "language": "lt"}))
    logged = http("POST", f"{embedded.base_url}/grants/applications/{application['id']}/consultations", {
        "held_on": day(0), "channel": "phone",
        "summary": f"Spoke with {NAME} ({ADDRESS.lower()}) about the budget; ona.unikalaite@kaunas.lt sends it Friday.",
        "next_steps": f"Call {NAME} back; copy Tomas Tomaitis."}, token=staff)
    assert logged.status == 201, logged.body

    mailbox = embedded.settings.mailbox_dir
    wait_until(lambda: len(list(mailbox.glob("*.eml"))) >= 4, message="her e-mails and the others'")
    data_dir = embedded.settings.data_dir
    assert where_she_is(data_dir), "she is in the data folder before"  # the search finds her

    done = run_cli("--data-dir", str(data_dir), "privacy", "erase", ADDRESS)
    assert done.returncode == 0, done.stderr
    wait_until(lambda: erased_by_all(embedded), timeout=30, message="every service's person_erased")

    left = []

    def gone():
        left[:] = where_she_is(data_dir)
        return not left

    try:
        wait_until(gone, timeout=30, message="nothing left of her")
    except AssertionError:
        raise AssertionError(f"still there: {sorted(set(left))}") from None
    # What belongs to others stays: Tomas's e-mail and his consultation mention, the log entry itself.
    shown = http("GET", f"{embedded.base_url}/grants/applications/{application['id']}", token=staff).body
    entry, = shown["consultations"]
    assert "Tomas Tomaitis" in entry["next_steps"] and "[erased]" in entry["summary"] and "budget" in entry["summary"]
    assert any(b"tomas@kaunas.lt" in p.read_bytes() for p in mailbox.glob("*.eml"))
