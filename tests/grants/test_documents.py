"""Documents (issue 19 item 4): the rules on their own, then over HTTP on the embedded system — uploads
as a browser's form and as a raw body, versions, downloads byte for byte, checklist items counting as
provided, calls' templates, bad input (too large, wrong type, unknown item, another municipality),
the metrics, and erasure leaving the person in no file of the data folder."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import quote

import pytest

from services.grants.domain import documents as rules
from shared.errors import RuleViolation
from tests.grants.documents_support import JPEG, PDF, PNG, multipart, ooxml, opendocument
from tests.grants.helpers import application_body, call_body, create, get
from tests.grants.test_privacy_embedded import request_erasure
from tests.support import http, metric_value


# ---------------------------------------------------------------- the rules

@pytest.mark.parametrize("content, kind", [
    (PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (ooxml("docx"), "docx"), (ooxml("xlsx"), "xlsx"),
    (opendocument("odt"), "odt"), (opendocument("ods"), "ods")])
def test_each_accepted_type_is_told_by_its_content(content, kind):
    assert rules.sniff(content) == kind
    assert rules.accepted_type(content, "application/octet-stream") == rules.TYPES[kind][0]
    assert rules.accepted_type(content, rules.TYPES[kind][0]) == rules.TYPES[kind][0]


def test_content_of_another_type_is_refused_whatever_it_is_called():
    for content in (b"MZ\x90\x00 an executable", b"<html><script>", b"PK\x03\x04 not a zip at all", b"GIF89a"):
        with pytest.raises(rules.UnsupportedType) as refused:
            rules.accepted_type(content, "application/pdf")
        assert refused.value.field == "file" and refused.value.status == 415
    with pytest.raises(RuleViolation) as contradicted:  # a PNG declared as a PDF
        rules.accepted_type(PNG, "application/pdf")
    assert contradicted.value.field == "file" and "PNG" in contradicted.value.detail
    with pytest.raises(rules.UnsupportedType):  # a declared type that is not accepted
        rules.accepted_type(PDF, "text/html")


def test_an_archive_with_thousands_of_entries_is_not_read_as_an_office_file():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for n in range(rules.MAX_ZIP_ENTRIES):
            archive.writestr(f"x/{n}", "")
    assert rules.sniff(buffer.getvalue()) is None
    assert rules.sniff(ooxml("docx")) == "docx"


def test_file_names_are_kept_as_given_but_bounded():
    assert rules.clean_filename("C:\\fakepath\\Paraiška.pdf") == "Paraiška.pdf"
    assert rules.clean_filename("../../etc/passwd.pdf") == "passwd.pdf"
    for bad in ("", "  ", "..", "a\x00b.pdf", "x" * 201):
        with pytest.raises(RuleViolation) as refused:
            rules.clean_filename(bad)
        assert refused.value.field == "filename"


def test_a_persons_name_leaves_a_file_name_wherever_it_stands():
    from shared.erasure import scrub

    needles = ["Rūta Petraitienė", "ruta.petraitiene@kaunas.lt"]
    assert rules.scrubbed_filename("Nuotrauka Rūta Petraitienė.png", needles, scrub) == ("Nuotrauka [erased].png", True)
    assert rules.scrubbed_filename("CV_Rūta_Petraitienė.pdf", needles, scrub) == ("CV [erased].pdf", True)
    assert rules.scrubbed_filename("Aprašas.pdf", needles, scrub) == ("Aprašas.pdf", False)


def test_download_names_follow_rfc_6266():
    header = rules.content_disposition("Biudžetas 2027 (v2).xlsx")
    assert header == ("attachment; filename=\"Biudzetas 2027 (v2).xlsx\"; "
                      "filename*=UTF-8''Biud%C5%BEetas%202027%20%28v2%29.xlsx")
    assert 'filename="_etc_"' not in rules.content_disposition('"; evil=1')
    assert rules.content_disposition('a"b.pdf').split(";")[1] == ' filename="a_b.pdf"'


def test_an_upload_makes_a_missing_item_ready_but_never_touches_a_waiver():
    assert rules.checklist_status_after_upload("missing") == "ready"
    assert rules.checklist_status_after_upload("in_progress") == "ready"
    assert rules.checklist_status_after_upload("ready") is None
    assert rules.checklist_status_after_upload("not_applicable") is None


def test_erasure_deletes_personal_files_and_pseudonymises_the_uploader_of_others():
    me = {"ruta@kaunas.lt", "Rūta Petraitienė", "rūta petraitienė"}
    assert rules.erasure_of(rules.StoredFile(True, "ruta@kaunas.lt", None), me, "ruta@kaunas.lt") == "delete"
    assert rules.erasure_of(rules.StoredFile(True, "jonas@lsa.lt", "ruta@kaunas.lt"), me, "ruta@kaunas.lt") == "delete"
    assert rules.erasure_of(rules.StoredFile(False, "ruta@kaunas.lt", None), me, "ruta@kaunas.lt") == "pseudonymise"
    assert rules.erasure_of(rules.StoredFile(True, "jonas@lsa.lt", None), me, "ruta@kaunas.lt") is None


# ---------------------------------------------------------------- over HTTP, embedded

KAUNAS_CODE, VILNIUS_CODE = "15", "57"


def upload(system, path: str, content: bytes, filename: str, token: str, content_type: str = "application/pdf",
           form: bool = True, fields: dict | None = None, query: str = ""):
    if form:
        body, header = multipart(content, filename, content_type, fields)
    else:
        body, header = content, content_type
        query = query or f"?filename={quote(filename)}"
    return http("POST", f"{system.base_url}{path}{query}", raw=body, token=token, headers={"Content-Type": header})


SMALL_LIMIT = 64 << 10  # so a file past the limit fits the sockets' buffers (the client need not see a reset)


@pytest.fixture
def started(tmp_path, reset_process_state):
    """A call and Kaunas' application to it (its checklist: application_form, budget, partnership_letter),
    on a system taking documents of up to 64 KiB."""
    from tests.support import EmbeddedSystem

    system = EmbeddedSystem(tmp_path / "data", env={"SAVIVALDA_DOCUMENT_MAX_BYTES": str(SMALL_LIMIT)},
                            default_subject="consultant@lsa.lt")
    try:
        yield _start(system)
    finally:
        system.stop()


def _start(system):
    call = create(system, "/grants/calls", call_body(foreign_partner_required=False, partner_countries=[]))
    kaunas = system.token(f"municipality:{KAUNAS_CODE}", subject="ruta.petraitiene@kaunas.lt")
    application = create(system, "/grants/applications", application_body(call["id"], consultant=None), kaunas)
    return system, call, application, kaunas


def test_a_form_upload_and_a_raw_upload_are_versions_of_one_item_downloaded_byte_for_byte(started):
    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    first = upload(system, f"{base}/checklist/budget/documents", ooxml("xlsx"), "Biudžetas.xlsx", kaunas,
                   content_type="application/octet-stream")
    assert first.status == 201, first.body
    second_bytes = ooxml("xlsx") + b""  # the same bytes again are a version too (kept once on disk)
    second = upload(system, f"{base}/checklist/budget/documents", opendocument("ods"), "Biudžetas.ods", kaunas,
                    content_type="application/vnd.oasis.opendocument.spreadsheet", form=False)
    assert second.status == 201, second.body
    third = upload(system, f"{base}/checklist/budget/documents", second_bytes, "Biudžetas.xlsx", kaunas, form=False,
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert [r.body["version"] for r in (first, second, third)] == [1, 2, 3]
    assert first.body["content_type"] == rules.TYPES["xlsx"][0]
    assert first.body["uploaded_by"] == "ruta.petraitiene@kaunas.lt" and first.body["checklist_code"] == "budget"
    assert first.body["sha256"] == hashlib.sha256(ooxml("xlsx")).hexdigest() == third.body["sha256"]

    listed = get(system, f"{base}/documents", kaunas)
    assert [(d["version"], d["latest"]) for d in listed] == [(3, True), (2, False), (1, False)]
    for document, content in ((listed[1], opendocument("ods")), (listed[2], ooxml("xlsx"))):
        reply = http("GET", f"{system.base_url}{document['download']}", token=kaunas)
        assert reply.status == 200
        raw = _raw_get(system, document["download"], kaunas)
        assert raw[0] == content
        assert raw[1]["Content-Type"] == document["content_type"]
        assert raw[1]["Content-Disposition"].endswith(f"filename*=UTF-8''{quote(document['filename'], safe='')}")
        assert raw[1]["X-Content-Type-Options"] == "nosniff"
    # the item counts as provided, its history says by which file
    item = next(i for i in get(system, base, kaunas)["checklist"] if i["code"] == "budget")
    assert item["status"] == "ready"
    assert item["history"][0]["to_status"] == "ready" and item["history"][0]["note"] == "file uploaded (version 1)"
    # on disk: each content once, under its sha256, nothing half-written
    folder = system.settings.documents_dir
    stored = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert stored == sorted({hashlib.sha256(ooxml("xlsx")).hexdigest(), hashlib.sha256(opendocument("ods")).hexdigest()})


def received(database_url: str, event_type: str) -> list:
    """The events of a type the notifications service has received (its received_events table)."""
    from sqlalchemy import text

    from shared.persistence.engines import engine_for

    with engine_for(database_url).connect() as connection:
        return list(connection.execute(text("SELECT event_id FROM received_events WHERE event_type = :t"),
                                       {"t": event_type}))


def _raw_get(system, path: str, token: str) -> tuple[bytes, dict]:
    import urllib.request

    request = urllib.request.Request(f"{system.base_url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), dict(response.headers)


def test_application_files_are_versioned_by_name_and_a_waived_item_stays_waived(started):
    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    a = upload(system, f"{base}/documents", PDF, "Aprašas.pdf", kaunas).body
    b = upload(system, f"{base}/documents", PNG, "schema.png", kaunas, content_type="image/png").body
    c = upload(system, f"{base}/documents", PDF + b"%v2", "APRAŠAS.pdf", kaunas).body
    assert (a["version"], b["version"], c["version"]) == (1, 1, 2) and c["checklist_code"] is None
    staff = system.token(subject="jonas.jonaitis@lsa.lt")
    waived = http("PUT", f"{system.base_url}{base}/checklist/partnership_letter", {"status": "not_applicable",
                                                                                 "note": "no partner"}, token=staff)
    assert waived.status == 200, waived.body
    assert upload(system, f"{base}/checklist/partnership_letter/documents", PDF, "letter.pdf", kaunas).status == 201
    item = next(i for i in get(system, base, kaunas)["checklist"] if i["code"] == "partnership_letter")
    assert item["status"] == "not_applicable"  # only the centre undoes a waiver


def test_bad_uploads_are_refused_naming_the_field_and_change_nothing(started):
    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    limit = system.settings.document_max_bytes

    def refusals(outcome):
        text = http("GET", f"{system.ops_url}/metrics").body
        return metric_value(text, "savivalda_grant_document_uploads_total", owner="application", outcome=outcome)

    before = {outcome: refusals(outcome) for outcome in ("too_large", "unsupported_type")}
    too_big = PDF + b"0" * limit
    for form in (True, False):
        reply = upload(system, f"{base}/documents", too_big, "big.pdf", kaunas, form=form)
        assert reply.status == 413, reply.body
        assert reply.body["errors"][0]["field"] == "file" and str(limit) in reply.body["detail"]
    refused = upload(system, f"{base}/documents", b"MZ\x90\x00 program", "virus.pdf", kaunas)
    assert refused.status == 415 and refused.body["errors"][0]["field"] == "file"
    refused = upload(system, f"{base}/documents", PNG, "photo.pdf", kaunas, content_type="application/pdf")
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "file"
    refused = upload(system, f"{base}/documents", PDF, "x.pdf", kaunas, form=False, query="?personal=true")
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "filename"
    refused = upload(system, f"{base}/documents", PDF, "x.pdf", kaunas, form=False, query="?filename=x.pdf&color=red")
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "color"
    body, header = multipart(PDF, "x.pdf", part_name="attachment")
    refused = http("POST", f"{system.base_url}{base}/documents", raw=body, token=kaunas,
                   headers={"Content-Type": header})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "file"
    refused = upload(system, f"{base}/documents", PDF, "x.pdf", kaunas, fields={"about": "not-an-address"})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "about"
    unknown = upload(system, f"{base}/checklist/no_such_item/documents", PDF, "x.pdf", kaunas)
    assert unknown.status == 404
    nowhere = upload(system, f"/grants/applications/{uuid.uuid4()}/documents", PDF, "x.pdf", kaunas)
    assert nowhere.status == 404
    assert get(system, f"{base}/documents", kaunas) == []
    assert not system.settings.documents_dir.exists() or not any(
        p.is_file() for p in system.settings.documents_dir.rglob("*"))
    assert refusals("too_large") - before["too_large"] == 2
    assert refusals("unsupported_type") - before["unsupported_type"] == 1


def test_a_content_length_past_the_limit_is_refused_before_the_body_is_read(started):
    """The client announces 50 MiB and sends nothing more: the answer comes at once, 413."""
    import socket
    import time

    system, _, application, kaunas = started
    host, port = system.settings.http_address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as client:
        client.sendall((f"POST /grants/applications/{application['id']}/documents?filename=a.pdf HTTP/1.1\r\n"
                        f"Host: x\r\nAuthorization: Bearer {kaunas}\r\nContent-Type: application/pdf\r\n"
                        f"Content-Length: {50 << 20}\r\n\r\n%PDF-").encode())
        started_at = time.monotonic()
        answer = client.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and time.monotonic() - started_at < 5


def test_another_municipality_reaches_none_of_the_documents(started):
    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    document = upload(system, f"{base}/documents", PDF, "Aprašas.pdf", kaunas).body
    vilnius = system.token(f"municipality:{VILNIUS_CODE}", subject="coordinator@vilnius.lt")
    assert http("GET", f"{system.base_url}{base}/documents", token=vilnius).status == 404
    assert http("GET", f"{system.base_url}{document['download']}", token=vilnius).status == 404
    assert upload(system, f"{base}/documents", PDF, "x.pdf", vilnius).status == 404
    assert upload(system, f"{base}/checklist/budget/documents", PDF, "x.pdf", vilnius).status == 404
    # an id of one application's document under another application is unknown there
    other = create(system, "/grants/applications", application_body(application["call_id"], consultant=None,
                                                                     municipality_code="15"), kaunas)
    assert http("GET", f"{system.base_url}/grants/applications/{other['id']}/documents/{document['id']}",
                token=kaunas).status == 404


def test_staff_attach_templates_to_a_call_and_anyone_who_sees_the_call_downloads_them(started):
    system, call, _, kaunas = started
    staff = system.token()
    path = f"/grants/calls/{call['id']}/templates"
    assert upload(system, path, ooxml("docx"), "Paraiškos forma.docx", kaunas).status == 403
    first = upload(system, path, ooxml("docx"), "Paraiškos forma.docx", staff, content_type="application/octet-stream")
    assert first.status == 201, first.body
    assert upload(system, path, b"<html>", "form.docx", staff).status == 415
    again = upload(system, path, ooxml("docx"), "paraiškos forma.docx", staff, form=False,
                   content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert again.status == 201 and again.body["version"] == 2
    for token in (kaunas, system.token("operator")):
        listed = get(system, path, token)
        assert [d["version"] for d in listed] == [2, 1]
        content, headers = _raw_get(system, listed[0]["download"], token)
        assert content == ooxml("docx") and headers["Content-Type"] == rules.TYPES["docx"][0]
    assert http("GET", f"{system.base_url}{path}/{uuid.uuid4()}", token=kaunas).status == 404
    assert http("GET", f"{system.base_url}/grants/calls/{uuid.uuid4()}/templates", token=kaunas).status == 404


def test_files_of_several_mebibytes_go_in_and_come_out_whole_under_the_default_limit(grants_system):
    """The default limit (10 MiB): a 6 MiB file as a form and as a raw body, downloaded back equal; 10 MiB
    and one byte is 413."""
    import os

    system, _, application, kaunas = _start(grants_system)
    base = f"/grants/applications/{application['id']}/documents"
    big = PDF + os.urandom(6 << 20)
    for form in (True, False):
        reply = upload(system, base, big, "didelis.pdf", kaunas, form=form)
        assert reply.status == 201, reply.body
        assert _raw_get(system, reply.body["download"], kaunas)[0] == big
    assert system.settings.document_max_bytes == 10 << 20
    too_big = upload(system, base, PDF + b"0" * ((10 << 20) - len(PDF) + 1), "per-didelis.pdf", kaunas)
    assert too_big.status == 413 and too_big.body["errors"][0]["field"] == "file"


def test_the_gauges_count_versions_and_the_bytes_kept_once(started):
    system, call, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    upload(system, f"{base}/documents", PDF, "a.pdf", kaunas)
    upload(system, f"{base}/documents", PDF, "b.pdf", kaunas)  # the same bytes: kept once
    upload(system, f"/grants/calls/{call['id']}/templates", PNG, "t.png", system.token(), content_type="image/png")

    def figures():
        text = http("GET", f"{system.ops_url}/metrics").body
        return (metric_value(text, "savivalda_grant_documents", owner="application"),
                metric_value(text, "savivalda_grant_documents", owner="call"),
                metric_value(text, "savivalda_grant_document_bytes"))

    system.wait_until(lambda: figures() == (2, 1, len(PDF) + len(PNG)), timeout=15, message="document gauges")


def test_erasure_deletes_the_persons_personal_files_and_leaves_them_in_no_file_of_the_data_folder(started):
    """The rule (docs/grants.md, "Documents"): personal files (flagged at upload) uploaded by the
    person or about them are deleted, bytes included; the person as the uploader of other files is a
    pseudonym, and their name leaves the files' names."""
    system, call, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    name, email = "Rūta Petraitienė", "ruta.petraitiene@kaunas.lt"
    cv = PDF + f"CV: {name}, {email}".encode()
    kept = upload(system, f"{base}/documents", PDF, "Aprašas.pdf", kaunas).body  # the municipality's, stays
    deleted = upload(system, f"{base}/documents", cv, f"CV {name}.pdf", kaunas, fields={"personal": "true"}).body
    staff = system.token(subject="jonas.jonaitis@lsa.lt")
    about = upload(system, f"{base}/documents", PDF + b"signed declaration", "deklaracija.pdf", staff,
                   fields={"personal": "true", "about": email}).body
    named = upload(system, f"{base}/documents", PNG, f"Nuotrauka {name}.png", staff, content_type="image/png").body
    # the uploads' events delivered first (an event still in flight when the erasure is handled is
    # another matter: tests/grants/test_privacy_embedded.py)
    from tests.grants.helpers import outbox_events

    grants_url, notifications_url = system.settings.database_url("grants"), system.settings.database_url("notifications")
    system.wait_until(lambda: len(received(notifications_url, "grants.document_uploaded")) == 4
                      and len(outbox_events(grants_url, "grants.document_uploaded")) == 4, timeout=30,
                      message="the upload events received by notifications")
    request_erasure(email)

    def erased():
        listed = get(system, f"{base}/documents", staff)
        return listed if {d["id"] for d in listed} == {kept["id"], named["id"]} else None

    listed = system.wait_until(erased, timeout=30, message="the personal files deleted")
    by_id = {d["id"]: d for d in listed}
    assert by_id[kept["id"]]["uploaded_by"].startswith("erased-person-")
    assert name not in by_id[named["id"]]["filename"] and by_id[named["id"]]["filename"].startswith("Nuotrauka")
    for gone in (deleted, about):
        assert http("GET", f"{system.base_url}{gone['download']}", token=staff).status == 404
    assert not (system.settings.documents_dir / deleted["sha256"][:2] / deleted["sha256"]).exists()
    assert (system.settings.documents_dir / kept["sha256"][:2] / kept["sha256"]).exists()

    def leftovers():
        found = []
        for path in system.settings.data_dir.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [(str(path.relative_to(system.settings.data_dir)), needle) for needle in (name, email)
                          if needle.encode() in data]
        return found

    try:
        system.wait_until(lambda: not leftovers(), timeout=30, message="the person in no file of the data folder")
    except AssertionError:
        assert leftovers() == []


def test_the_readme_documents_example_runs_as_written(started):
    import os
    import re
    import subprocess
    from pathlib import Path

    system, call, application, kaunas = started
    root = Path(__file__).resolve().parents[2]
    found = re.search(r"<!-- documents walk-through[^>]*-->\n(.*?)\n<!-- end of the documents walk-through -->",
                      (root / "README.md").read_text(), flags=re.S).group(1)
    script = "\n".join(line[4:] for line in found.strip("\n").splitlines())
    env = {**os.environ, "API": system.base_url, "STAFF": system.token(), "KAUNAS": kaunas,
           "CALL": call["id"], "APP": application["id"]}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "201 201", "2 biudzetas-v2.pdf ruta.petraitiene@kaunas.lt", "1 biudzetas.pdf ruta.petraitiene@kaunas.lt",
        "downloaded as sent", "201 Biudžeto forma.pdf"], done.stdout


def test_the_consultant_is_told_of_an_upload_in_their_language(started):
    from tests.grants.helpers import outbox_events
    from tests.notifications.test_mail_news import mailbox, text_of, to

    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    assigned = http("PUT", f"{system.base_url}{base}/consultant", {
        "name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt", "language": "en"}, token=system.token())
    assert assigned.status == 200, assigned.body
    upload(system, f"{base}/checklist/budget/documents", PDF, "Biudžetas.pdf", kaunas)
    upload(system, f"{base}/checklist/budget/documents", PDF + b"v2", "Biudžetas.pdf", kaunas)
    events = outbox_events(system.settings.database_url("grants"), "grants.document_uploaded")
    assert [(e["data"]["version"], e["data"]["checklist_code"], e["data"]["checklist_status"]) for e in events] == [
        (1, "budget", "ready"), (2, "budget", "ready")]
    assert events[0]["data"]["document_title"]["en"] == "Budget" and events[0]["data"]["file_type"] == "PDF"
    assert "Biudžetas.pdf" not in json.dumps(events, ensure_ascii=False)  # a file's name may name a person

    def told():
        mails = [m for m in mailbox(system) if to(m) == "jonas.jonaitis@lsa.lt"
                 and str(m["Subject"]).startswith("Document uploaded")]
        return mails if len(mails) == 2 else None

    mails = system.wait_until(told, timeout=30, message="the consultant's two e-mails")
    texts = sorted(text_of(m) for m in mails)
    assert ["version 2" in t for t in texts] == [False, True]
    assert all('for the required document "Budget": PDF, 1 KB' in t for t in texts), texts
    assert all("The document now counts as provided." in t for t in texts)
    assert not [m for m in mailbox(system) if to(m) == "ruta.petraitiene@kaunas.lt"
                and str(m["Subject"]).startswith(("Įkeltas dokumentas", "Document uploaded"))]  # she uploaded it


def test_a_joint_applications_partner_reads_its_documents_but_only_the_lead_uploads(started):
    system, _, application, kaunas = started
    base = f"/grants/applications/{application['id']}"
    document = upload(system, f"{base}/documents", PDF, "Aprašas.pdf", kaunas).body
    partnership = {"lead": {"budget_share_eur": "60000", "own_contribution_eur": "9000"},
                   "partners": [{"municipality_code": "02", "budget_share_eur": "40000", "own_contribution_eur": "6000"}]}
    assert http("PUT", f"{system.base_url}{base}/partnership", partnership, token=kaunas).status == 200
    alytus = system.token("municipality:02", subject="asta@alytus.lt")
    assert [d["id"] for d in get(system, f"{base}/documents", alytus)] == [document["id"]]
    assert _raw_get(system, document["download"], alytus)[0] == PDF
    assert upload(system, f"{base}/documents", PDF, "x.pdf", alytus).status == 403
    assert upload(system, f"{base}/checklist/budget/documents", PDF, "x.pdf", alytus).status == 403
    vilnius = system.token(f"municipality:{VILNIUS_CODE}", subject="coordinator@vilnius.lt")
    assert http("GET", f"{system.base_url}{base}/documents", token=vilnius).status == 404
    assert [d["id"] for d in get(system, f"{base}/documents", kaunas)] == [document["id"]]  # nothing added
