import uuid

from sqlalchemy import select

from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.schema import DEAD_LETTERS, new_metadata, utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.erasure import scrub, scrub_dead_letters


def test_scrub_replaces_every_spelling():
    text, changed = scrub("To: Ona@Kaunas.lt (ona@kaunas.lt), Ona Onaitė", ["ona@kaunas.lt", "Ona Onaitė"])
    assert changed and "kaunas" not in text.lower() and "Onaitė" not in text
    assert scrub("nothing here", ["x@y.lt"]) == ("nothing here", False)


def test_dead_letters_lose_the_person_but_stay_parked(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    new_metadata().create_all(engine_for(url))
    try:
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            for body, reason in (('{"participant": {"email": "Ona@Kaunas.lt", "name": "Ona Onaitė"}}', "invalid: x"),
                                 ('{"other": 1}', "invalid: ona@kaunas.lt is not known"),
                                 ('{"unrelated": 2}', "invalid: y")):
                uow.session.execute(DEAD_LETTERS.insert().values(
                    id=uuid.uuid4(), queue="q", consumer="svc.h", reason=reason, attempts=1,
                    body=body, failed_at=utcnow()))
            assert scrub_dead_letters(uow, ["ona@kaunas.lt", "Ona Onaitė"]) == 2
            uow.commit()
            rows = uow.session.execute(select(DEAD_LETTERS.c.body, DEAD_LETTERS.c.reason)).all()
        assert len(rows) == 3
        assert all("ona" not in (body + reason).lower() for body, reason in rows)
    finally:
        dispose_engines()


def test_scrub_takes_whole_addresses_only_never_a_look_alike():
    text, changed = scrub("to jonas@x.lt, ajonas@x.lt and jonas@x.lt.example; Jonas@X.lt.", ["jonas@x.lt"])
    assert changed and text == "to [erased], ajonas@x.lt and jonas@x.lt.example; [erased]."
    assert scrub("ajonas@x.lt", ["jonas@x.lt"]) == ("ajonas@x.lt", False)


def test_the_outbox_keeps_pending_rows_scrubbed_deletes_published_ones_and_spares_look_alikes(tmp_path):
    import json

    from shared.erasure import ERASED, ERASED_EMAIL, scrub_outbox
    from shared.persistence.schema import OUTBOX

    url = f"sqlite:///{tmp_path}/s.db"
    new_metadata().create_all(engine_for(url))

    def body(email, name):
        return json.dumps({"data": {"participant": {"email": email, "name": name, "position": "vedėja"}}})

    rows = {"jonas pending": (body("Jonas@x.lt", "Jonas J."), None),
            "ajonas pending": (body("ajonas@x.lt", "Ajonas A."), None),
            "jonas published": (body("jonas@x.lt", "Jonas J."), utcnow()),
            "ajonas published": (body("ajonas@x.lt", "Ajonas A."), utcnow())}
    try:
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            for key, (text, published_at) in rows.items():
                uow.session.execute(OUTBOX.insert().values(
                    event_id=uuid.uuid4(), event_type="x.y", exchange="x.events", routing_key=key,
                    correlation_id="c", body=text, created_at=utcnow(), published_at=published_at))
            assert scrub_outbox(uow, ["jonas@x.lt"]) == {"deleted": 1, "scrubbed": 1}
            uow.commit()
            left = dict(uow.session.execute(select(OUTBOX.c.routing_key, OUTBOX.c.body)).all())
        assert set(left) == {"jonas pending", "ajonas pending", "ajonas published"}
        assert left["ajonas pending"] == rows["ajonas pending"][0]
        assert left["ajonas published"] == rows["ajonas published"][0]
        assert json.loads(left["jonas pending"])["data"]["participant"] == {
            "email": ERASED_EMAIL, "name": ERASED, "position": ERASED}
    finally:
        dispose_engines()


def test_partners_replace_a_whole_address_only():
    from services.partners.domain.privacy import pseudonym_email, replace_address

    assert replace_address("ajonas@x.lt, Jonas@x.lt", "jonas@x.lt") == f"ajonas@x.lt, {pseudonym_email('jonas@x.lt')}"


def test_after_an_erasure_commits_no_copy_stays_in_the_sqlite_files(tmp_path):
    """secure_delete zeroes what a row held when it is overwritten or deleted, and the write-ahead
    log is checkpointed and truncated after the commit: the old value is in neither file. (Debian's
    SQLite zeroes by default; a build that does not fails here without the engine's pragma.)"""
    from shared.erasure import leave_no_copy_on_disk, truncate_write_ahead_log

    url = f"sqlite:///{tmp_path}/s.db"
    new_metadata().create_all(engine_for(url))
    try:
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            for n, body in enumerate(("Ona Onaitė ona@kaunas.lt " * 20, "Tomas tomas@kaunas.lt")):
                uow.session.execute(DEAD_LETTERS.insert().values(
                    id=uuid.uuid4(), queue="q", consumer="svc.h", reason=f"r{n}", attempts=1, body=body,
                    failed_at=utcnow()))
            uow.commit()
        assert truncate_write_ahead_log(engine_for(url))  # she is in the database file itself now
        assert "Onaitė".encode() in (tmp_path / "s.db").read_bytes()
        with UnitOfWork(engine_for(url), "svc", "t") as uow:
            assert scrub_dead_letters(uow, ["ona@kaunas.lt", "Ona Onaitė"]) == 1
            leave_no_copy_on_disk(uow)
            uow.commit()
        files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
        assert set(files) >= {"s.db", "s.db-wal"} and files["s.db-wal"] == b""
        assert all(b"kaunas" not in content.replace(b"tomas@kaunas", b"") for content in files.values())
        assert all("Onaitė".encode() not in content for content in files.values())
    finally:
        dispose_engines()
