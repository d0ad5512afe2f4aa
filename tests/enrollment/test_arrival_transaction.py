"""An enrolment's arrival on PostgreSQL in two round trips (UnitOfWork.own_transaction): `BEGIN;
SELECT ... FOR UPDATE; SELECT <the arrival's state>` and `<the writes>; COMMIT`. What it must keep:
the rows committed together or not at all, no transaction (nor the session's row lock) left open
on a pooled connection after a refusal, an error or an early answer, the other paths (the same
person again, a person coming back, an Idempotency-Key) and an atomic bulk batch one transaction."""

import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
from sqlalchemy import event, select, update

from services.enrollment.models import Enrollment, TrainingSession
from services.enrollment.notices import Links
from services.enrollment.schemas import CancelEnrollmentIn, CourseIn, EnrollmentIn, SessionIn
from services.enrollment.usecases import bulk, catalogue, enrolment
from shared.auth import Principal
from shared.errors import Forbidden, NotFound, RuleViolation
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

pytestmark = pytest.mark.e2e

LINKS = Links("https://mokymai.example.lt", "arrival-test-secret-0123456789abcdefghij")
STAFF = Principal(subject="egle@lsa.lt", role="staff")
KAUNAS = Principal(subject="ruta@kaunas.lt", role="municipality", municipality_code="15")
COURSE = {"title": {"lt": "Biudžeto planavimas", "en": "Budget planning"}, "themes": ["budgeting"],
          "audience": ["officials"], "duration_hours": 6, "format": "in_person"}


@pytest.fixture
def url(pg_databases):
    return pg_databases["enrollment"]


@pytest.fixture
def work(url):
    return lambda: UnitOfWork(engine_for(url), "enrollment", "test")


@pytest.fixture
def statements(url):
    """Every statement text the engine sends (as sent: with its BEGIN or COMMIT)."""
    sent: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = engine_for(url)
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def database_connection(url):
    return psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://", 1))


def open_transactions(url) -> int:
    """Backends of the test database inside a transaction (other than this query's)."""
    connection = database_connection(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def session_row_free(url, session_id) -> bool:
    connection = database_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sessions WHERE id = %s FOR UPDATE NOWAIT", (str(session_id),))
            return cursor.fetchone() == (1,)
    except psycopg2.errors.LockNotAvailable:
        return False
    finally:
        connection.rollback()
        connection.close()


def later(days: float = 20, hours: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days, hours=hours)


def person(n: int, municipality: str = "15", **changes) -> EnrollmentIn:
    return EnrollmentIn.model_validate({"name": f"Dalyvė Nr. {n}", "email": f"dalyve{n}@savivaldybe.lt",
                                        "municipality_code": municipality, **changes})


def scheduled(work, capacity: int = 1, **changes):
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate(COURSE))
        body = SessionIn.model_validate({"starts_at": later(), "ends_at": later(hours=6), "region": "KU",
                                         "venue": "Kaunas, Laisvės al. 96", "capacity": capacity, **changes})
        return catalogue.schedule_session(uow, LINKS, course.id, body)


def enrolments(work, session_id) -> list[tuple[str, str, int]]:
    with work() as uow:
        return [tuple(r) for r in uow.session.execute(
            select(Enrollment.email_key, Enrollment.status, Enrollment.arrival_seq)
            .where(Enrollment.session_id == session_id).order_by(Enrollment.arrival_seq))]


def test_a_new_arrival_is_two_round_trips_and_commits_everything_together(work, url, statements):
    session = scheduled(work, capacity=1)
    statements.clear()
    with work() as uow:
        first = enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None)
        assert len(statements) == 2, statements
        assert statements[0].startswith("BEGIN; SELECT 1") and "FOR UPDATE; SELECT" in statements[0]
        assert statements[1].endswith("; COMMIT") and "INSERT INTO outbox" in statements[1]
        # committed: another connection sees the enrolment, its event and the arrival number
        assert enrolments(work, session.id) == [("dalyve1@savivaldybe.lt", "confirmed", 1)]
        second = enrolment.enroll(uow, LINKS, session.id, person(2), STAFF, None)  # the same unit of work again
        assert [e.type for e in uow.emitted] == ["enrollment.enrollment_confirmed", "enrollment.enrollment_waitlisted"]
    assert (first.enrollment.status, second.enrollment.status, second.enrollment.waitlist_position) == (
        "confirmed", "waitlisted", 1)
    with work() as uow:
        outbox = uow.session.execute(select(uow_outbox().c.event_type).order_by(uow_outbox().c.id)).scalars().all()
        assert outbox[-2:] == ["enrollment.enrollment_confirmed", "enrollment.enrollment_waitlisted"]
        next_seq = uow.session.execute(select(TrainingSession.next_arrival_seq)
                                       .where(TrainingSession.id == session.id)).scalar_one()
        assert next_seq == 3
    assert open_transactions(url) == 0 and session_row_free(url, session.id)
    # the pooled connections work as before for an ordinary unit of work (its own BEGIN and COMMIT)
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session.id).values(capacity=2))
        uow.commit()
    with work() as uow:
        assert uow.session.get(TrainingSession, session.id).capacity == 2


def uow_outbox():
    from shared.persistence.schema import OUTBOX

    return OUTBOX


def test_a_refusal_under_the_lock_rolls_back_and_releases_the_session(work, url):
    session = scheduled(work, capacity=3)
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session.id).values(
            registration_closes_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        uow.commit()
    with work() as uow:
        with pytest.raises(RuleViolation):
            enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None)
        assert not session_row_free(url, session.id)  # still held: the refusal was decided under it
    assert session_row_free(url, session.id) and open_transactions(url) == 0
    with work() as uow, pytest.raises(NotFound):
        enrolment.enroll(uow, LINKS, uuid.uuid4(), person(1), STAFF, None)
    assert open_transactions(url) == 0
    with work() as uow:  # an explicit rollback too
        with pytest.raises(RuleViolation):
            enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None)
        uow.rollback()
        assert session_row_free(url, session.id)
    assert enrolments(work, session.id) == [] and open_transactions(url) == 0


def test_the_same_person_a_returning_person_and_an_idempotency_key(work, url):
    session = scheduled(work, capacity=1)
    with work() as uow:
        first = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, "kaunas-1")
    with work() as uow:  # the same person: their enrolment, nothing written, nothing left open
        again = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, None)
        assert uow.emitted == []
    assert (again.created, again.enrollment.id) == (False, first.enrollment.id)
    assert open_transactions(url) == 0 and session_row_free(url, session.id)
    with work() as uow:  # the same key: replayed
        repeat = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, "kaunas-1")
    assert (repeat.created, repeat.enrollment.id) == (False, first.enrollment.id)
    with work() as uow:
        enrolment.cancel_enrollment(uow, LINKS, first.enrollment.id, CancelEnrollmentIn(reason="serga"))
    with work() as uow:  # a person who left comes back: the ORM path, in the own transaction
        back = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, "kaunas-2")
        assert [e.type for e in uow.emitted] == ["enrollment.enrollment_confirmed"]
    assert (back.created, back.enrollment.id, back.enrollment.status) == (True, first.enrollment.id, "confirmed")
    assert enrolments(work, session.id) == [("dalyve1@savivaldybe.lt", "confirmed", 2)]
    assert open_transactions(url) == 0 and session_row_free(url, session.id)


def test_an_atomic_bulk_batch_stays_one_transaction(work, url):
    session = scheduled(work, capacity=5)
    with work() as uow:  # a person another municipality enrolled
        enrolment.enroll(uow, LINKS, session.id, person(9, municipality="57"), STAFF, None)
    rows = [person(1).model_dump(mode="json"), person(2).model_dump(mode="json"),
            person(9).model_dump(mode="json")]
    with work() as uow:
        status, report = bulk.enroll_many(uow, LINKS, session.id, rows, KAUNAS, None, atomic=True)
    assert status == 422 and report["totals"]["refused"] == 1
    assert enrolments(work, session.id) == [("dalyve9@savivaldybe.lt", "confirmed", 1)]
    with work() as uow:  # not atomic: each row its own transaction, the refused one rolled back
        status, report = bulk.enroll_many(uow, LINKS, session.id, rows, KAUNAS, None, atomic=False)
    assert status == 200 and report["totals"]["confirmed"] == 2 and report["totals"]["refused"] == 1
    assert [r[0] for r in enrolments(work, session.id)] == [
        "dalyve9@savivaldybe.lt", "dalyve1@savivaldybe.lt", "dalyve2@savivaldybe.lt"]
    assert open_transactions(url) == 0 and session_row_free(url, session.id)
    with work() as uow, pytest.raises(Forbidden):
        enrolment.enroll(uow, LINKS, session.id, person(9), KAUNAS, None)
    assert open_transactions(url) == 0
