"""Builders the service tests share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.enrollment.helpers import COURSE, session_body  # noqa: F401  (the same course and session)
from tests.support import http


def future(days: float, hour: int = 9) -> str:
    moment = (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.isoformat()


def person(n: int = 1, municipality: str = "15", language: str = "lt") -> dict:
    return {"name": f"Dalyvė Nr. {n}", "email": f"dalyve{n}@savivaldybe.lt", "municipality_code": municipality,
            "position": "specialistė", "language": language}


def create_session(base_url: str, token: str, capacity: int = 2, course=None, **changes) -> tuple[str, str]:
    course_reply = http("POST", f"{base_url}/enrollment/courses", course or COURSE, token=token)
    assert course_reply.status == 201, course_reply.body
    course_id = course_reply.body["id"]
    session_reply = http("POST", f"{base_url}/enrollment/courses/{course_id}/sessions", session_body(capacity, **changes),
                         token=token)
    assert session_reply.status == 201, session_reply.body
    return course_id, session_reply.body["id"]


def enrol(base_url: str, token: str, session_id: str, body: dict, headers: dict | None = None):
    return http("POST", f"{base_url}/enrollment/sessions/{session_id}/enrollments", body, token=token, headers=headers)
