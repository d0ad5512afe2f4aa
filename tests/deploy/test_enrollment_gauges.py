"""services/enrollment/metrics.py: enrolments by status and the waitlist length, counted in
enrollment's database at scrape time (the business gauges the dashboard's training row needs)."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

from prometheus_client import generate_latest
from sqlalchemy import JSON, Integer, Numeric, String, Text, Uuid

from services.enrollment.domain.rules import EnrollmentStatus, SessionStatus
from services.enrollment.metrics import EnrollmentGauges, enrollment_gauges
from services.enrollment.models import Course, Enrollment, TrainingSession
from shared import migrations
from shared.persistence.engines import dispose_engines, engine_for
from shared.observability import metrics_registry
from tests.support import metric_value

NOW = datetime.now(timezone.utc)
_sequence = itertools.count(1)


def filler(column):
    """A value for a required column, whatever the schema has grown to; the test sets the ones
    the gauges look at."""
    kind = column.type
    if isinstance(kind, Uuid):
        return uuid.uuid4()
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, (Integer, Numeric)):
        return next(_sequence)
    if isinstance(kind, (String, Text)):
        return f"x{next(_sequence)}"[: kind.length or 50]
    return NOW  # the timestamp columns


def row(table, **values) -> dict:
    for column in table.columns:
        if column.name not in values and not column.nullable and column.server_default is None:
            values[column.name] = filler(column)
    return values


def test_enrolments_by_status_and_the_waitlist_of_scheduled_sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'enrollment.sqlite3'}"
    migrations.upgrade("enrollment", url)
    engine = engine_for(url)
    try:
        course = row(Course.__table__)
        held = row(TrainingSession.__table__, course_id=course["id"], status=SessionStatus.SCHEDULED.value)
        called_off = row(TrainingSession.__table__, course_id=course["id"], status=SessionStatus.CANCELLED.value)
        people = ([(held, EnrollmentStatus.CONFIRMED)] * 2 + [(held, EnrollmentStatus.WAITLISTED)] * 3
                  + [(held, EnrollmentStatus.CANCELLED)] + [(called_off, EnrollmentStatus.WAITLISTED)] * 2)
        with engine.begin() as connection:
            connection.execute(Course.__table__.insert(), [course])
            connection.execute(TrainingSession.__table__.insert(), [held, called_off])
            connection.execute(Enrollment.__table__.insert(), [
                row(Enrollment.__table__, session_id=session["id"], status=status.value, arrival_seq=n,
                    email_key=f"person{n}@example.lt")
                for n, (session, status) in enumerate(people, start=1)])

        samples = {(name, labels.get("status")): value for name, _, labels, value in enrollment_gauges(engine)}
        expected = {status.value: 0.0 for status in EnrollmentStatus}
        expected.update(confirmed=2.0, waitlisted=5.0, cancelled=1.0)
        assert {status: samples[("savivalda_enrollments", status)] for status in expected} == expected
        # Only the scheduled session's waitlist: the cancelled one's people wait for nothing.
        assert samples[("savivalda_waitlist_length", None)] == 3.0

        # As a dependency of the service: on /metrics while the container runs, gone after.
        class Container:  # what the provider reads of nameko's ServiceContainer
            service_name = "enrollment"
            config = {"SAVIVALDA": SimpleNamespace(database_url=lambda service: url)}

        container = Container()
        gauges = EnrollmentGauges().bind(container, "gauges")
        gauges.setup()
        gauges.start()
        scrape = generate_latest(metrics_registry()).decode()
        assert metric_value(scrape, "savivalda_enrollments", service="enrollment", status="waitlisted") == 5
        assert metric_value(scrape, "savivalda_waitlist_length", service="enrollment") == 3
        gauges.stop()
        time.sleep(0.6)  # past the scrape-time gauges' cache
        assert "savivalda_waitlist_length" not in generate_latest(metrics_registry()).decode()
    finally:
        dispose_engines()
