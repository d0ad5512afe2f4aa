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
