"""Builders the service tests share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support import http


def future(days: float, hour: int = 9) -> str:
    moment = (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.isoformat()


COURSE = {
    "title": {"lt": "Biudžeto planavimas savivaldybėje", "en": "Municipal budget planning"},
    "themes": ["budgeting", "strategic_planning"],
    "audience": ["officials"],
    "duration_hours": 6,
    "format": "in_person",
}


def session_body(capacity: int = 2, **changes) -> dict:
    body = {"starts_at": future(20, 7), "ends_at": future(20, 13), "region": "KU", "venue": "Kaunas, Laisvės al. 96",
            "capacity": capacity, "fee_eur": "15.00"}
    body.update(changes)
    return body


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
