"""Migration 0002 on a database that already holds enrolments: they are numbered in the order they
were made, online sessions' people go to the online pool, and new arrivals continue the count."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Numeric, String, Table, Text, Uuid, select, text

from shared import migrations
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.schema import UtcDateTime

T0 = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)


def tables_at_0001():
    metadata = MetaData()
    courses = Table("courses", metadata, Column("id", Uuid), Column("title", JSON), Column("themes", JSON),
                    Column("audience", JSON), Column("duration_hours", Numeric(6, 1)), Column("format", String(20)),
                    Column("created_at", UtcDateTime))
    sessions = Table("sessions", metadata, Column("id", Uuid), Column("course_id", Uuid),
                     Column("starts_at", UtcDateTime), Column("ends_at", UtcDateTime), Column("capacity", Integer),
                     Column("fee_eur", Numeric(10, 2)), Column("online_url", String(500)),
                     Column("registration_opens_at", UtcDateTime), Column("registration_closes_at", UtcDateTime),
                     Column("status", String(20)), Column("created_at", UtcDateTime))
    enrollments = Table("enrollments", metadata, Column("id", Uuid), Column("session_id", Uuid),
                        Column("name", String(200)), Column("email", String(254)), Column("email_key", String(254)),
                        Column("municipality_code", String(2)), Column("language", String(2)),
                        Column("status", String(20)), Column("created_at", UtcDateTime), Column("created_by", Text))
    return courses, sessions, enrollments


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'enrollment.db'}"
        dispose_engines()
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"savivalda_mig_{uuid.uuid4().hex[:8]}"
    url = admin.create(name)
    yield url
    dispose_engines()
    admin.drop(name)


def test_existing_enrolments_are_numbered_in_creation_order(database_url):
    migrations.upgrade("enrollment", database_url, "0001")
    courses, sessions, enrollments = tables_at_0001()
    course_id, session_id = uuid.uuid4(), uuid.uuid4()
    made = [(uuid.uuid4(), T0 + timedelta(minutes=m), status) for m, status in
            ((2, "waitlisted"), (0, "confirmed"), (1, "confirmed"))]
    engine = engine_for(database_url)
    with engine.begin() as connection:
        connection.execute(courses.insert().values(id=course_id, title={"lt": "Kursas"}, themes=["budgeting"],
                                                   audience=["officials"], duration_hours=Decimal(2), format="online",
                                                   created_at=T0))
        connection.execute(sessions.insert().values(
            id=session_id, course_id=course_id, starts_at=T0 + timedelta(days=9), ends_at=T0 + timedelta(days=9, hours=2),
            capacity=2, fee_eur=Decimal(0), online_url="https://x.lt", registration_opens_at=T0,
            registration_closes_at=T0 + timedelta(days=8), status="scheduled", created_at=T0))
        for n, (enrollment_id, created_at, status) in enumerate(made):
            connection.execute(enrollments.insert().values(
                id=enrollment_id, session_id=session_id, name=f"P{n}", email=f"p{n}@x.lt", email_key=f"p{n}@x.lt",
                municipality_code="15", language="lt", status=status, created_at=created_at, created_by="import"))

    migrations.upgrade("enrollment", database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, arrival_seq, mode, confirmed_at IS NOT NULL FROM enrollments "
                                       "ORDER BY arrival_seq")).all()
        next_seq = connection.execute(select(text("next_arrival_seq")).select_from(text("sessions"))).scalar_one()
    assert [tuple(r) for r in rows] == [("P1", 1, "online", True), ("P2", 2, "online", True),
                                        ("P0", 3, "online", False)]
    assert next_seq == 4
