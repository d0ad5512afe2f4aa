"""Documents' versions on PostgreSQL: concurrent uploads of one document through two `savivalda run
grants` replicas sharing the documents folder (as the compose stack's volume) get the numbers 1..n,
each once, every file downloaded back byte for byte; the database itself refuses a version number
twice; an upload that did not take the row lock and lost the race to a number takes the next one."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from sqlalchemy.exc import IntegrityError

from services.grants.documents import DocumentFiles, Upload
from services.grants.models import Document
from services.grants.usecases import documents
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.documents_support import PDF, multipart
from tests.grants.helpers import application_body, call_body
from tests.grants.test_usecases import new_application, new_call, work
from tests.support import TEST_SECRET, http


@pytest.mark.e2e
def test_concurrent_uploads_through_two_replicas_get_each_version_once(launcher, tmp_path):
    from shared.auth import issue_token

    folder = tmp_path / "documents-volume"
    replicas = [launcher.start("grants", extra_env={"SAVIVALDA_DOCUMENTS_DIR": str(folder),
                                                   "SAVIVALDA_TIMER_INTERVAL": "3600"}) for _ in range(2)]
    staff = issue_token(TEST_SECRET, subject="jonas.jonaitis@lsa.lt", role="staff")
    kaunas = issue_token(TEST_SECRET, subject="ruta.petraitiene@kaunas.lt", role="municipality:15")
    call = http("POST", f"{replicas[0].base_url}/grants/calls",
                call_body(foreign_partner_required=False, partner_countries=[]), token=staff)
    assert call.status == 201, call.body
    application = http("POST", f"{replicas[0].base_url}/grants/applications",
                       application_body(call.body["id"], consultant=None), token=kaunas)
    assert application.status == 201, application.body
    path = f"/grants/applications/{application.body['id']}/checklist/budget/documents"
    contents = {n: PDF + f"budget version by client {n}".encode() for n in range(16)}

    def send(n: int):
        body, header = multipart(contents[n], f"budget-{n}.pdf")
        return http("POST", f"{replicas[n % 2].base_url}{path}", raw=body, token=kaunas,
                    headers={"Content-Type": header})

    pool = eventlet.GreenPool(16)
    replies = list(pool.imap(send, range(16)))
    assert [r.status for r in replies] == [201] * 16, [r.body for r in replies if r.status != 201]
    assert sorted(r.body["version"] for r in replies) == list(range(1, 17))
    listed = http("GET", f"{replicas[1].base_url}/grants/applications/{application.body['id']}/documents",
                  token=kaunas).body
    assert [d["version"] for d in listed] == list(range(16, 0, -1))
    for reply, n in zip(replies, range(16)):
        download = http("GET", f"{replicas[(n + 1) % 2].base_url}{reply.body['download']}", token=kaunas)
        assert download.status == 200 and download.body == contents[n].decode()


def test_the_database_refuses_a_version_number_twice_and_a_racing_upload_takes_the_next(pg_databases, tmp_path):
    url = pg_databases["grants"]
    engine = engine_for(url)
    application_id = new_application(url, new_call(url, foreign_partner_required=False, partner_countries=[]).id).id
    files = DocumentFiles(tmp_path / "documents", 1 << 20)

    # the unique constraint, without the use case
    with work(url) as uow:
        for _ in range(2):
            uow.session.add(Document(id=uuid.uuid4(), owner_kind="application", owner_id=application_id,
                                     slot="file:x.pdf", version=1, filename="x.pdf", content_type="application/pdf",
                                     size_bytes=1, sha256="0" * 64, uploaded_by="t", uploaded_at=utcnow()))
        with pytest.raises(IntegrityError):
            uow.session.flush()

    # two uploads of one document, neither holding the application's row lock (as two callers of
    # _store outside the use case would): the second waits on the index, clashes, and takes 2
    finished = []

    def second():
        with UnitOfWork(engine, "grants", "second") as uow:
            document = documents._store(uow, files, "application", application_id, None,
                                        Upload("plan.pdf", "application/pdf", PDF + b"second"), "second@lsa.lt")
            uow.commit()
            finished.append(document.version)

    with UnitOfWork(engine, "grants", "first") as uow:
        first = documents._store(uow, files, "application", application_id, None,
                                 Upload("plan.pdf", "application/pdf", PDF + b"first"), "first@lsa.lt")
        first_version = first.version
        waiting = eventlet.spawn(second)
        eventlet.sleep(1.0)
        assert not finished, "the second upload did not wait for the first's number"
        uow.commit()
    waiting.wait()
    assert (first_version, finished) == (1, [2])
    with work(url) as uow:
        listed = documents.list_documents(uow, "application", application_id)
    assert [(d.version, d.uploaded_by) for d in listed] == [(2, "second@lsa.lt"), (1, "first@lsa.lt")]
