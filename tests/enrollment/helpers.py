"""Builders and inspection helpers of the enrollment tests (embedded and distributed)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from tests.support import http

PROBLEM = "application/problem+json"


def future(days: float, hour: int | None = None) -> str:
    moment = datetime.now(timezone.utc) + timedelta(days=days)
    if hour is not None:
        moment = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.isoformat()


COURSE = {
    "title": {"lt": "Biudžeto planavimas savivaldybėje", "en": "Municipal budget planning"},
    "description": {"lt": "Biudžeto sudarymas ir vykdymas.", "en": "Drafting and executing the budget."},
    "themes": ["budgeting", "strategic_planning"],
    "audience": ["officials"],
    "duration_hours": 6,
    "format": "in_person",
}


def session_body(capacity: int = 2, **changes) -> dict:
    body = {"starts_at": future(20, 7), "ends_at": future(20, 13), "region": "KU", "venue": "Kaunas, Laisvės al. 96",
            "capacity": capacity, "fee_eur": "15.00"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None or k in changes}


def person(n: int, municipality: str = "15", language: str = "lt", **changes) -> dict:
    body = {"name": f"Dalyvė Nr. {n}", "email": f"dalyve{n}@savivaldybe.lt", "municipality_code": municipality,
            "position": "specialistė", "language": language}
    body.update(changes)
    return body


def assert_problem(reply, status, field=None, code=None):
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith(PROBLEM), reply.headers
    if field:
        fields = [e["field"] for e in reply.body.get("errors", [])]
        assert field in fields, (fields, reply.body)
    if code:
        assert reply.body["type"] == f"urn:savivalda:problem:{code}", reply.body


class Api:
    """The enrollment HTTP API of one running system, plus a look into its database."""

    def __init__(self, base_url: str, token, database_url: str):
        self.base_url = base_url
        self.token = token
        self.database_url = database_url

    # ---------------------------------------------------------------- HTTP
    def call(self, method: str, path: str, body=None, *, role: str | None = "staff", headers=None, raw=None,
             token: str | None = None):
        token = token or (self.token(role) if role else None)
        return http(method, f"{self.base_url}/enrollment{path}", body, token=token, headers=headers, raw=raw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else ({} if kw.get("raw") is None else None), **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def public(self, url: str, method: str = "GET"):
        """A public link as the person gets it (no token); `url` is absolute, as in events."""
        path = url.split("/enrollment", 1)[1]
        return self.call(method, path, {} if method == "POST" else None, role=None)

    def course(self, **changes) -> dict:
        reply = self.post("/courses", {**COURSE, **changes})
        assert reply.status == 201, reply.body
        return reply.body

    def schedule(self, course_id: str | None = None, capacity: int = 2, course: dict | None = None, **changes) -> dict:
        course_id = course_id or self.course(**(course or {}))["id"]
        reply = self.post(f"/courses/{course_id}/sessions", session_body(capacity, **changes))
        assert reply.status == 201, reply.body
        return reply.body

    def enrol(self, session_id: str, body: dict, role: str = "staff", headers=None, token=None):
        return self.post(f"/sessions/{session_id}/enrollments", body, role=role, headers=headers, token=token)

    def session(self, session_id: str) -> dict:
        return self.get(f"/sessions/{session_id}").body

    def enrollment(self, enrollment_id: str) -> dict:
        return self.get(f"/enrollments/{enrollment_id}").body

    # ---------------------------------------------------------------- the database
    def uow(self):
        from shared.persistence.unit_of_work import unit_of_work

        return unit_of_work(self.database_url, "enrollment", "test")

    def events(self, event_type: str | None = None) -> list[dict]:
        """The data of the events the service emitted (its outbox), oldest first."""
        from shared.persistence.schema import OUTBOX

        query = select(OUTBOX.c.event_type, OUTBOX.c.body).order_by(OUTBOX.c.id)
        with self.uow() as uow:
            rows = uow.session.execute(query).all()
        prefix = "enrollment."
        wanted = None if event_type is None else (event_type if "." in event_type else prefix + event_type)
        return [json.loads(r.body)["data"] for r in rows if wanted is None or r.event_type == wanted]

    def travel(self, model, where, **values) -> int:
        """Move stored times, as if time had passed (a test cannot wait days)."""
        with self.uow() as uow:
            count = uow.session.execute(update(model).where(where).values(**values)).rowcount
            uow.commit()
        return count

    def start_session_now(self, session_id: str, ends_in_hours: float = -0.5) -> None:
        """The session began an hour ago (and ended half an hour ago, by default)."""
        from services.enrollment.models import TrainingSession

        now = datetime.now(timezone.utc)
        self.travel(TrainingSession, TrainingSession.id == _uuid(session_id),
                    starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=ends_in_hours),
                    registration_opens_at=now - timedelta(days=10), registration_closes_at=now - timedelta(hours=1))

    def texts(self) -> str:
        """Every value of every table of the service's database, as one lower-case text."""
        from services.enrollment.models import metadata

        parts = []
        with self.uow() as uow:
            for table in metadata.sorted_tables:
                for row in uow.session.execute(select(table)).all():
                    parts.extend(str(value) for value in row)
        return "\n".join(parts).lower()

    def rows(self, model, *where):
        with self.uow() as uow:
            return list(uow.session.scalars(select(model).where(*where)))


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
