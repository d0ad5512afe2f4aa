"""The enrollment use cases (services/enrollment/usecases/) on their own: each called with a unit of
work over a migrated SQLite database, as a worker would call it — no HTTP, no nameko container,
no broker. What they emitted is read from the unit of work (`uow.emitted`)."""

import shutil
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update

from services.enrollment.models import Enrollment, TrainingSession
from services.enrollment.notices import Links
from services.enrollment.schemas import (
    BulkAttendanceIn,
    CancelEnrollmentIn,
    CancelSessionIn,
    CompleteSessionIn,
    CourseIn,
    CourseQuery,
    DemandQuery,
    EnrollmentIn,
    EnrollmentQuery,
    HoursQuery,
    ReportQuery,
    SessionIn,
    SessionPatch,
    SessionQuery,
    SupportIn,
    TrainingNeedIn,
    VerifyQuery,
    WaitlistQuery,
)
from services.enrollment.usecases import (
    attendance,
    calendars,
    catalogue,
    certificates,
    enrolment,
    erasure,
    housekeeping,
    reports,
    self_service,
    training_needs,
)
from services.enrollment.domain.codes import enrollment_code
from shared.auth import Principal
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.privacy import ErasureRequested
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.unit_of_work import UnitOfWork

SECRET = "use-case-test-secret-0123456789abcdefghij"
LINKS = Links("https://mokymai.example.lt", SECRET)
STAFF = Principal(subject="egle@lsa.lt", role="staff")
KAUNAS = Principal(subject="ruta@kaunas.lt", role="municipality", municipality_code="15")
COURSE = {"title": {"lt": "Biudžeto planavimas", "en": "Budget planning"}, "themes": ["budgeting"],
          "audience": ["officials"], "duration_hours": 6, "format": "in_person"}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated database for the module; each test works on a copy (a file copy is instant)."""
    from shared import migrations

    path = tmp_path_factory.mktemp("enrollment-template") / "enrollment.sqlite"
    migrations.upgrade("enrollment", f"sqlite:///{path}")
    dispose_engines()
    return path


@pytest.fixture
def database(migrated, tmp_path):
    path = tmp_path / "enrollment.sqlite"
    shutil.copy(migrated, path)
    yield f"sqlite:///{path}"
    dispose_engines()


@pytest.fixture
def work(database):
    """`work()` opens a unit of work as a worker gets one; close it with `with`."""
    return lambda: UnitOfWork(engine_for(database), "enrollment", "test")


def types(uow: UnitOfWork) -> list[str]:
    return [e.type.removeprefix("enrollment.") for e in uow.emitted]


def later(days: float = 20, hours: float = 0) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days, hours=hours)


def person(n: int, municipality: str = "15", **changes) -> EnrollmentIn:
    return EnrollmentIn.model_validate({"name": f"Dalyvė Nr. {n}", "email": f"dalyve{n}@savivaldybe.lt",
                                        "municipality_code": municipality, "position": "specialistė", **changes})


def scheduled(work, capacity: int = 1, **changes):
    with work() as uow:
        course = catalogue.create_course(uow, CourseIn.model_validate(COURSE))
        body = SessionIn.model_validate({"starts_at": later(), "ends_at": later(hours=6), "region": "KU",
                                         "venue": "Kaunas, Laisvės al. 96", "capacity": capacity,
                                         "fee_eur": "15.00", **changes})
        return catalogue.schedule_session(uow, LINKS, course.id, body)


def started(work, session_id) -> None:
    """The session began an hour ago (a test cannot wait for it)."""
    now = datetime.now(timezone.utc)
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session_id).values(
            starts_at=now - timedelta(hours=1), ends_at=now - timedelta(minutes=10),
            registration_opens_at=now - timedelta(days=1), registration_closes_at=now - timedelta(hours=1)))
        uow.commit()


# ---------------------------------------------------------------- catalogue

def test_a_scheduled_session_is_announced_and_listed_with_its_seats(work):
    session = scheduled(work, capacity=3)
    assert session.seats_left == 3 and session.pools["in_person"].capacity == 3
    assert session.calendar_url == f"{LINKS.base}/sessions/{session.id}/calendar.ics"
    with work() as uow:
        assert [c.title.en for c in catalogue.list_courses(uow, CourseQuery())[1]] == ["Budget planning"]
        assert [s.id for s in catalogue.list_sessions(uow, LINKS, SessionQuery(theme="budgeting"))[1]] == [session.id]
        assert catalogue.list_sessions(uow, LINKS, SessionQuery(theme="anti_corruption"))[1] == []
    with work() as uow:
        with pytest.raises(RuleViolation) as refused:
            catalogue.schedule_session(uow, LINKS, session.course_id, SessionIn.model_validate(
                {"starts_at": later(), "ends_at": later(hours=6), "region": "KU", "capacity": 3}))
        assert refused.value.field == "venue"
        assert uow.emitted == []


def test_raising_capacity_promotes_and_a_cancelled_session_tells_everyone(work):
    session = scheduled(work, capacity=1)
    with work() as uow:
        enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None)
        waiting = enrolment.enroll(uow, LINKS, session.id, person(2), STAFF, None).enrollment
    assert waiting.status == "waitlisted"
    with work() as uow:
        changed = catalogue.update_session(uow, LINKS, session.id, SessionPatch(capacity=2))
        assert types(uow) == ["enrollment_promoted", "session_updated"]
    assert changed.confirmed == 2 and changed.seats_left == 0
    with work() as uow:
        cancelled = catalogue.cancel_session(uow, LINKS, session.id, CancelSessionIn(reason="Lektorė serga"))
        assert types(uow) == ["enrollment_cancelled", "enrollment_cancelled", "session_cancelled"]
    assert cancelled.status == "cancelled"
    with work() as uow, pytest.raises(Conflict, match="already cancelled"):
        catalogue.cancel_session(uow, LINKS, session.id, CancelSessionIn(reason="again"))
    with work() as uow, pytest.raises(Conflict, match="the session is cancelled"):
        catalogue.update_session(uow, LINKS, session.id, SessionPatch(capacity=3))


# ---------------------------------------------------------------- enrolment

def test_arrivals_are_confirmed_then_waitlisted_and_the_same_person_gets_their_enrolment_back(work):
    session = scheduled(work, capacity=1)
    with work() as uow:
        first = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, None)
        second = enrolment.enroll(uow, LINKS, session.id, person(2), KAUNAS, None)
        assert types(uow) == ["enrollment_confirmed", "enrollment_waitlisted"]
    assert (first.created, first.enrollment.status) == (True, "confirmed")
    assert (second.enrollment.status, second.enrollment.waitlist_position) == ("waitlisted", 1)
    assert second.enrollment.waiting_for == "seat"
    with work() as uow:
        again = enrolment.enroll(uow, LINKS, session.id, person(1, email="DALYVE1@Savivaldybe.lt"), KAUNAS, None)
        assert uow.emitted == []
    assert (again.created, again.enrollment.id) == (False, first.enrollment.id)
    with work() as uow:
        _, waitlist, _ = enrolment.waitlist(uow, LINKS, session.id, WaitlistQuery(), tenant=None)
        assert [e.id for e in waitlist] == [second.enrollment.id]
        assert enrolment.waitlist(uow, LINKS, session.id, WaitlistQuery(), tenant="57")[1] == []
        _, listed, _ = enrolment.list_enrollments(uow, LINKS, session.id, EnrollmentQuery(), tenant="15")
        assert [e.arrival for e in listed] == [1, 2]


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_request(work):
    session = scheduled(work, capacity=5)
    with work() as uow:
        first = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, "kaunas-2026-17")
    with work() as uow:
        repeat = enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, "kaunas-2026-17")
        assert uow.emitted == []
    assert (repeat.created, repeat.enrollment.id) == (False, first.enrollment.id)
    with work() as uow, pytest.raises(Conflict) as reused:
        enrolment.enroll(uow, LINKS, session.id, person(2), KAUNAS, "kaunas-2026-17")
    assert reused.value.code == "idempotency_key_reused"
    other_coordinator = Principal(subject="jonas@kaunas.lt", role="municipality", municipality_code="15")
    with work() as uow:  # keys are per token holder
        assert enrolment.enroll(uow, LINKS, session.id, person(2), other_coordinator, "kaunas-2026-17").created


def test_a_municipality_cannot_enrol_a_person_another_municipality_enrolled(work):
    from shared.errors import Forbidden

    session = scheduled(work, capacity=5)
    with work() as uow:
        enrolment.enroll(uow, LINKS, session.id, person(1, municipality="57"), STAFF, None)
    with work() as uow, pytest.raises(Forbidden):
        enrolment.enroll(uow, LINKS, session.id, person(1), KAUNAS, None)


def test_a_cancelled_seat_is_offered_on_and_the_offer_is_accepted_or_declined(work):
    session = scheduled(work, capacity=1, offer_hours=24)
    with work() as uow:
        holder = enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None).enrollment
        second = enrolment.enroll(uow, LINKS, session.id, person(2), STAFF, None).enrollment
        third = enrolment.enroll(uow, LINKS, session.id, person(3), STAFF, None).enrollment
    with work() as uow:
        enrolment.cancel_enrollment(uow, LINKS, holder.id, CancelEnrollmentIn(reason="illness"))
        assert types(uow) == ["enrollment_cancelled", "waitlist_offer_made"]
    with work() as uow:
        assert enrolment.get_enrollment(uow, LINKS, second.id).status == "offered"
        declined = enrolment.decline_offer(uow, LINKS, second.id)
        assert types(uow) == ["enrollment_cancelled", "waitlist_offer_made"]
    assert declined.cancel_reason == "offer_declined"
    with work() as uow, pytest.raises(Conflict) as no_offer:
        enrolment.decline_offer(uow, LINKS, second.id)
    assert no_offer.value.code == "no_offer"
    with work() as uow:
        accepted = enrolment.accept_offer(uow, LINKS, third.id)
        assert types(uow) == ["enrollment_confirmed"]
    assert accepted.status == "confirmed"


def test_the_self_service_link_shows_leaves_and_opens_nothing_with_a_wrong_code(work):
    session = scheduled(work, capacity=1)
    with work() as uow:
        mine = enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None).enrollment
        next_in_line = enrolment.enroll(uow, LINKS, session.id, person(2), STAFF, None).enrollment
    code = enrollment_code(SECRET, mine.id)
    assert mine.manage_url.endswith(f"/self-service/{mine.id}/{code}")
    with work() as uow:
        assert self_service.view(uow, LINKS, mine.id, code).status == "confirmed"
        with pytest.raises(NotFound):
            self_service.view(uow, LINKS, mine.id, enrollment_code(SECRET, next_in_line.id))
    with work() as uow:
        left = self_service.leave(uow, LINKS, mine.id, code)
        assert types(uow) == ["enrollment_cancelled", "enrollment_promoted"]
    assert left.status == "cancelled"
    with work() as uow:
        assert enrolment.get_enrollment(uow, LINKS, next_in_line.id).status == "confirmed"


# ---------------------------------------------------------------- calendars

def test_calendars_of_a_session_and_of_a_person(work):
    session = scheduled(work, capacity=1)
    with work() as uow:
        mine = enrolment.enroll(uow, LINKS, session.id, person(1, language="en"), STAFF, None).enrollment
        ics = calendars.session_calendar(uow, LINKS, session.id, "en")
        assert ics.content_type.startswith("text/calendar")
        assert "SUMMARY:Budget planning" in ics.get_data(as_text=True)
        feed = calendars.person_calendar(uow, LINKS, mine.id, enrollment_code(SECRET, mine.id))
        text = feed.get_data(as_text=True)
        assert f"UID:enrollment-{mine.id}@savivalda" in text and "X-WR-CALNAME:Training" in text
        with pytest.raises(NotFound):
            calendars.person_calendar(uow, LINKS, mine.id, "wrong-code")


# ---------------------------------------------------------------- attendance, certificates, reports

def test_completion_certifies_who_attended_enough_and_the_figures_count_it(work):
    session = scheduled(work, capacity=2)
    with work() as uow:
        stayed = enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None).enrollment
        left_early = enrolment.enroll(uow, LINKS, session.id, person(2, municipality="57"), STAFF, None).enrollment
        waiting = enrolment.enroll(uow, LINKS, session.id, person(3), STAFF, None).enrollment
    started(work, session.id)
    with work() as uow:
        with pytest.raises(RuleViolation) as off_session:
            attendance.record_attendance_bulk(uow, LINKS, session.id, BulkAttendanceIn.model_validate(
                {"records": [{"enrollment_id": str(uuid.uuid4()), "attendance": "attended"}]}))
        assert off_session.value.field == "records.0.enrollment_id"
    with work() as uow:
        with pytest.raises(Conflict) as missing:
            attendance.complete_session(uow, LINKS, session.id, CompleteSessionIn())
        assert missing.value.code == "attendance_missing"
    with work() as uow:
        done = attendance.record_attendance_bulk(uow, LINKS, session.id, BulkAttendanceIn.model_validate(
            {"records": [{"enrollment_id": str(stayed.id), "attendance": "attended"},
                         {"enrollment_id": str(left_early.id), "attendance": "attended", "hours": 2}]}))
        assert (done.recorded, done.unchanged) == (2, 0)
    with work() as uow:
        completed = attendance.complete_session(uow, LINKS, session.id, CompleteSessionIn())
        # both who attended are asked for feedback (services/enrollment/usecases/feedback.py)
        assert types(uow) == ["enrollment_cancelled", "certificate_issued", "session_completed",
                              "feedback_requested", "feedback_requested"]
    assert (completed.attended, completed.certificates_issued, completed.session.status) == (2, 1, "completed")
    with work() as uow:
        assert enrolment.get_enrollment(uow, LINKS, waiting.id).cancel_reason == "session_held"
        _, [certificate], _ = certificates.list_certificates(uow, LINKS, certificates_query(session.id), tenant=None)
        verified = certificates.verify_certificate(uow, VerifyQuery(number=certificate.number,
                                                                   code=certificate.verification_code.lower()))
        assert (verified.status, verified.holder_name) == ("valid", "Dalyvė Nr. 1")
        with pytest.raises(NotFound):
            certificates.verify_certificate(uow, VerifyQuery(number=certificate.number, code="AAAA-AAAA-AAAA"))
        assert certificates.list_certificates(uow, LINKS, certificates_query(session.id), tenant="57")[1] == []
    with work() as uow:
        lines = reports.training_hours(uow, HoursQuery(), tenant="57")
        assert [(l.email, l.hours, l.certificates) for l in lines] == [("dalyve2@savivaldybe.lt", Decimal(2), 0)]
        csv = reports.training_hours(uow, HoursQuery(format="csv"), tenant=None)
        assert csv.get_data(as_text=True).startswith("\ufeffname,email,municipality_code")
        summary = reports.summary(uow, ReportQuery(group_by="municipality"), tenant=None)
        total = summary.total
        assert (total.sessions_held, total.participants_trained, total.certificates_issued) == (1, 2, 1)


def certificates_query(session_id):
    from services.enrollment.schemas import CertificateQuery

    return CertificateQuery(session_id=session_id)


# ---------------------------------------------------------------- training needs

def test_training_needs_are_proposed_supported_and_ranked(work):
    with work() as uow:
        need = training_needs.propose(uow, TrainingNeedIn.model_validate(
            {"theme": "anti_corruption", "region": "KU", "description": "Viešieji pirkimai",
             "municipality_code": "15"}), KAUNAS)
        assert types(uow) == ["training_need_submitted"]
    with work() as uow:
        with pytest.raises(RuleViolation):
            training_needs.support(uow, need.id, SupportIn(municipality_code="15"), KAUNAS)
        supported = training_needs.support(uow, need.id, SupportIn(municipality_code="19"), STAFF)
        again = training_needs.support(uow, need.id, SupportIn(municipality_code="19"), STAFF)
        assert types(uow) == ["training_need_supported"]
    assert supported.supporters == again.supporters == ["19"]
    with work() as uow:
        [line] = training_needs.demand(uow, DemandQuery(region="KU")).regions["KU"]
        assert (line.theme, line.proposals, line.municipalities) == ("anti_corruption", 1, ["15", "19"])
        assert training_needs.withdraw_support(uow, need.id, "19").supporters == []


# ---------------------------------------------------------------- the event handler's and the timer's use cases

def test_erasure_forgets_the_person_and_passes_their_seat_on(work):
    session = scheduled(work, capacity=1)
    with work() as uow:
        erased = enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, "key-1").enrollment
        waiting = enrolment.enroll(uow, LINKS, session.id, person(2), STAFF, None).enrollment
    with work() as uow:
        removed = erasure.erase(uow, LINKS, ErasureRequested(
            request_id=uuid.uuid4(), email="Dalyve1@savivaldybe.lt", requested_by="dpo@lsa.lt"))
        uow.commit()  # (the subscription commits, with its inbox claim)
        assert types(uow) == ["enrollment_promoted", "person_erased"]
    assert removed["enrollments"] == removed["open_enrollments_cancelled"] == 1
    with work() as uow:
        row = uow.session.get(Enrollment, erased.id)
        assert (row.name, row.position, row.erased_at is not None) == ("(erased)", None, True)
        assert enrolment.get_enrollment(uow, LINKS, waiting.id).status == "confirmed"


def test_erasure_never_deletes_pending_events_and_leaves_a_look_alike_address_alone(work):
    """Erasing jonas@x.lt: ajonas@x.lt's pending event goes out unchanged, and jonas's own pending
    event is scrubbed field by field, not deleted (the relay still publishes it, and it validates)."""
    import json

    from sqlalchemy import select

    from shared.events.envelope import parse_event
    from shared.persistence.schema import OUTBOX

    session = scheduled(work, capacity=2)
    with work() as uow:
        enrolment.enroll(uow, LINKS, session.id, person(1, email="ajonas@x.lt", name="Ajonas"), STAFF, None)
        enrolment.enroll(uow, LINKS, session.id, person(2, email="jonas@x.lt", name="Jonas"), STAFF, None)
    with work() as uow:
        before = {row.id: row.body for row in uow.session.execute(select(OUTBOX.c.id, OUTBOX.c.body))}
    with work() as uow:
        erasure.erase(uow, LINKS, ErasureRequested(request_id=uuid.uuid4(), email="Jonas@x.lt", requested_by="dpo"))
        uow.commit()
    with work() as uow:
        after = {row.id: row.body for row in uow.session.execute(
            select(OUTBOX.c.id, OUTBOX.c.body).where(OUTBOX.c.published_at.is_(None)))}
    assert set(before) <= set(after), "a pending event was deleted"
    for row_id, body in before.items():
        if "ajonas@x.lt" in body:
            assert after[row_id] == body  # someone else's event: untouched
        else:
            document = json.loads(after[row_id])
            assert '"jonas@x.lt"' not in after[row_id].lower() and "Jonas" not in after[row_id]
            parse_event(document)  # still a valid event for its consumers
    assert any("ajonas@x.lt" in body for body in before.values())
    assert any('"jonas@x.lt"' in body for body in before.values())


def test_the_timer_reminds_confirmed_people_once(work):
    session = scheduled(work, capacity=1, reminder_hours_before=48)
    with work() as uow:
        enrolment.enroll(uow, LINKS, session.id, person(1), STAFF, None)
    soon = later(days=1)
    with work() as uow:
        uow.session.execute(update(TrainingSession).where(TrainingSession.id == session.id).values(
            starts_at=soon, ends_at=soon + timedelta(hours=6), registration_closes_at=soon))
        uow.commit()
    with work() as uow:
        done = housekeeping.run_all(uow, LINKS)
        assert types(uow) == ["session_reminder_due"]
    assert done == {"sessions_settled": 0, "go_no_go": 0, "reminders": 1, "expiry_notices": 0}
    with work() as uow:
        assert housekeeping.run_all(uow, LINKS)["reminders"] == 0
