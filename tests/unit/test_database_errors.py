"""Which database errors are an outage (503 with Retry-After) and which a bug (500), and when a
commit's outcome is unknown (docs/reliability.md)."""

import psycopg2
import pytest
import sqlite3
from sqlalchemy import exc as sa_exc

from shared.http import problem_from_exception
from shared.persistence.unit_of_work import CommitOutcomeUnknown, UnitOfWork


def wrapped(orig, invalidated=False):
    return sa_exc.DBAPIError.instance("SELECT 1", {}, orig, psycopg2.Error if isinstance(orig, psycopg2.Error)
                                      else sqlite3.Error, connection_invalidated=invalidated)


@pytest.mark.parametrize("error", [
    wrapped(psycopg2.OperationalError("connection refused")),
    wrapped(psycopg2.OperationalError("terminating connection due to administrator command"), invalidated=True),
    wrapped(psycopg2.InterfaceError("connection already closed"), invalidated=True),
    sa_exc.TimeoutError("QueuePool limit reached"),
    psycopg2.OperationalError("database is not accepting connections"),
])
def test_an_unreachable_database_is_503_with_retry_after(error):
    problem = problem_from_exception(error)
    assert (problem.status, problem.code) == (503, "database_unavailable")
    assert int(problem.headers["Retry-After"]) > 0


@pytest.mark.parametrize("error", [
    wrapped(psycopg2.IntegrityError("duplicate key")),
    wrapped(psycopg2.ProgrammingError("relation does not exist")),
    wrapped(sqlite3.OperationalError("no such table: x")),
    RuntimeError("bug"),
])
def test_other_errors_stay_500(error):
    assert problem_from_exception(error).status == 500


def test_a_commit_losing_its_connection_is_outcome_unknown():
    class Session:
        def flush(self):
            pass

        def commit(self):
            raise wrapped(psycopg2.OperationalError("server closed the connection unexpectedly"), invalidated=True)

    uow = UnitOfWork.__new__(UnitOfWork)
    uow._session = Session()
    with pytest.raises(CommitOutcomeUnknown):
        uow.commit()
    problem = problem_from_exception(CommitOutcomeUnknown("lost"))
    assert (problem.status, problem.code) == (503, "commit_outcome_unknown")
    assert "Idempotency-Key" in problem.detail and int(problem.headers["Retry-After"]) > 0


def test_a_failed_flush_is_not_outcome_unknown():
    class Session:
        def flush(self):
            raise wrapped(psycopg2.OperationalError("server closed the connection unexpectedly"), invalidated=True)

    uow = UnitOfWork.__new__(UnitOfWork)
    uow._session = Session()
    with pytest.raises(sa_exc.DBAPIError):
        uow.commit()
