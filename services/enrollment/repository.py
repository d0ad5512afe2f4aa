"""Storage of courses, sessions, enrolments, certificates and training needs (SQLAlchemy): every
query of the service, used by its use cases (usecases/) only."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterable

from sqlalchemy import (Integer, Select, Text, and_, bindparam, cast, delete, func, literal, literal_column, or_, select,
                        update)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from services.enrollment.domain.rules import (
    HOLDS_SEAT,
    AttendanceMode,
    EnrollmentStatus,
    SessionStatus,
    normalise_email,
)
from services.enrollment.models import (
    Certificate,
    CertificateCounter,
    Course,
    Enrollment,
    IdempotencyKey,
    Trainer,
    TrainingNeed,
    TrainingNeedSupport,
    TrainingSession,
)
from shared.persistence.engines import SQL_BEFORE
from shared.persistence.schema import OUTBOX, UtcDateTime
from shared.errors import NotFound
from shared.tenancy import keyed_by, owned_by

HOLDING = [s.value for s in HOLDS_SEAT]

# Tenancy owner lookups (shared/tenancy.py): the municipality an enrolment id belongs to, and the
# municipality that enrolled a person (the body's e-mail) in the path's session.
ENROLLMENT_OWNER = owned_by(Enrollment.municipality_code, Enrollment.id)
ENROLLED_PERSON_OWNER = keyed_by(
    Enrollment.municipality_code, lambda kwargs: Enrollment.session_id == kwargs["session_id"],
    lambda kwargs: Enrollment.email_key == normalise_email(kwargs["body"].email))


class EnrollmentRepository:
    def __init__(self, session: Session, dialect: str = "sqlite"):
        self.session = session
        self.dialect = dialect

    @classmethod
    def of(cls, uow) -> "EnrollmentRepository":
        """The repository over a unit of work's session."""
        return cls(uow.session, uow.dialect)

    def add(self, obj) -> None:
        self.session.add(obj)
        self.session.flush()

    def delete(self, obj) -> None:
        self.session.delete(obj)

    # ------------------------------------------------------------------ courses
    def course(self, course_id: uuid.UUID, *, lock: bool = False) -> Course:
        if lock:
            course = self.session.scalars(select(Course).where(Course.id == course_id).with_for_update()
                                          .execution_options(populate_existing=True)).first()
        else:
            course = self.session.get(Course, course_id)
        if course is None:
            raise NotFound("course", course_id)
        return course

    def courses(self, theme: str | None = None, audience: str | None = None, format: str | None = None) -> list[Course]:
        # Themes and audience are small JSON lists; filtering them in Python keeps the query portable.
        found = self.session.scalars(select(Course).order_by(Course.created_at)).all()
        return [c for c in found if (theme is None or theme in c.themes) and (audience is None or audience in c.audience)
                and (format is None or c.format == format)]

    def courses_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Course]:
        ids = set(ids)
        if not ids:
            return {}
        return {c.id: c for c in self.session.scalars(select(Course).where(Course.id.in_(ids)))}

    # ------------------------------------------------------------------ sessions
    def training_session(self, session_id: uuid.UUID, *, lock: bool = False) -> TrainingSession:
        """The session row; with lock=True it stays locked until commit, which serialises every
        seat decision of that session (PostgreSQL row lock; SQLite serialises writers anyway)."""
        query = select(TrainingSession).where(TrainingSession.id == session_id)
        if lock:
            # populate_existing: a worker that committed before may hold an older copy in its identity map.
            query = query.with_for_update().execution_options(populate_existing=True)
        found = self.session.scalars(query).first()
        if found is None:
            raise NotFound("session", session_id)
        return found

    def try_lock_session(self, session_id: uuid.UUID) -> TrainingSession | None:
        """Lock the session unless another transaction (another replica's timer, a request) holds
        it; None then — that one is doing the work."""
        query = (select(TrainingSession).where(TrainingSession.id == session_id).with_for_update(skip_locked=True)
                 .execution_options(populate_existing=True))
        return self.session.scalars(query).first()

    def sessions(self, *, course_id=None, region=None, status=None, starts_from=None, starts_to=None,
                 open_at: datetime | None = None) -> list[TrainingSession]:
        query = select(TrainingSession).order_by(TrainingSession.starts_at, TrainingSession.id)
        if course_id is not None:
            query = query.where(TrainingSession.course_id == course_id)
        if region is not None:
            query = query.where(TrainingSession.region == region)
        if status is not None:
            query = query.where(TrainingSession.status == status)
        if starts_from is not None:
            query = query.where(TrainingSession.starts_at >= starts_from)
        if starts_to is not None:
            query = query.where(TrainingSession.starts_at < starts_to)
        if open_at is not None:
            query = query.where(TrainingSession.status == SessionStatus.SCHEDULED.value,
                                TrainingSession.registration_opens_at <= open_at,
                                TrainingSession.registration_closes_at > open_at)
        return list(self.session.scalars(query))

    def sessions_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TrainingSession]:
        ids = set(ids)
        if not ids:
            return {}
        return {s.id: s for s in self.session.scalars(select(TrainingSession).where(TrainingSession.id.in_(ids)))}

    def sessions_due_housekeeping(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Scheduled sessions whose quota is due for release or that have an expired offer."""
        quota_due = select(TrainingSession.id).where(
            TrainingSession.status == SessionStatus.SCHEDULED.value,
            TrainingSession.quota_released_at.is_(None),
            TrainingSession.quota_release_at.is_not(None),
            TrainingSession.quota_release_at <= now,
        )
        offers_due = select(Enrollment.session_id).where(
            Enrollment.status == EnrollmentStatus.OFFERED.value, Enrollment.offer_expires_at <= now)
        ids = set(self.session.scalars(quota_due.limit(limit))) | set(self.session.scalars(offers_due.limit(limit)))
        return sorted(ids)

    # ------------------------------------------------------------------ trainers
    def trainer(self, trainer_id: uuid.UUID) -> Trainer:
        found = self.session.get(Trainer, trainer_id)
        if found is None or found.erased_at is not None:
            raise NotFound("trainer", trainer_id)
        return found

    def trainer_by_email(self, email_key: str) -> Trainer | None:
        return self.session.scalars(select(Trainer).where(Trainer.email_key == email_key)).first()

    def trainers_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Trainer]:
        ids = set(ids)
        if not ids:
            return {}
        return {t.id: t for t in self.session.scalars(select(Trainer).where(Trainer.id.in_(ids)))}

    def taught_sessions(self, *, trainer_ids: Iterable[uuid.UUID] | None = None, starts_from=None, starts_to=None,
                        limit: int | None = None) -> list[tuple[TrainingSession, Course]]:
        """Sessions with a trainer of the register (latest first), with their course."""
        query = (select(TrainingSession, Course).join(Course, Course.id == TrainingSession.course_id)
                 .where(TrainingSession.trainer_id.is_not(None)))
        if trainer_ids is not None:
            query = query.where(TrainingSession.trainer_id.in_(list(trainer_ids)))
        query = self._session_window(query, starts_from, starts_to)
        query = query.order_by(TrainingSession.starts_at.desc(), TrainingSession.id)
        if limit is not None:
            query = query.limit(limit)
        return [tuple(r) for r in self.session.execute(query).all()]

    def attendance_counts(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """Per session: confirmed enrolments, and of them attended and no_show."""
        result = {sid: {"confirmed": 0, "attended": 0, "no_show": 0} for sid in session_ids}
        if not session_ids:
            return result
        for sid, attendance, n in self.session.execute(
                select(Enrollment.session_id, Enrollment.attendance, func.count())
                .where(Enrollment.session_id.in_(session_ids), Enrollment.status == EnrollmentStatus.CONFIRMED.value)
                .group_by(Enrollment.session_id, Enrollment.attendance)):
            result[sid]["confirmed"] += n
            if attendance in ("attended", "no_show"):
                result[sid][attendance] += n
        return result

    def erase_trainer(self, email_key: str, name: str, pseudonym: str, now: datetime) -> int:
        """The person as a trainer: their register entry pseudonymised, their sessions' trainer name too."""
        trainer = self.trainer_by_email(email_key)
        if trainer is None:
            return 0
        trainer.name, trainer.email = name, f"erased-{pseudonym}@erased.invalid"
        trainer.email_key, trainer.organisation, trainer.erased_at = f"erased:{pseudonym}", None, now
        self.session.execute(update(TrainingSession).where(TrainingSession.trainer_id == trainer.id)
                             .values(trainer=name))
        return 1

    def sessions_due_go_no_go(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Scheduled sessions whose go/no-go date has come and that were not decided yet."""
        return list(self.session.scalars(
            select(TrainingSession.id).where(
                TrainingSession.status == SessionStatus.SCHEDULED.value,
                TrainingSession.go_no_go_at.is_not(None), TrainingSession.go_no_go_at <= now,
                TrainingSession.go_no_go_checked_at.is_(None))
            .order_by(TrainingSession.go_no_go_at).limit(limit)))

    def counts(self, session_id: uuid.UUID) -> dict[str, dict[str, int]]:
        """mode -> status -> number of enrolments."""
        rows = self.session.execute(
            select(Enrollment.mode, Enrollment.status, func.count()).where(Enrollment.session_id == session_id)
            .group_by(Enrollment.mode, Enrollment.status)
        ).all()
        counts: dict[str, dict[str, int]] = {m.value: {s.value: 0 for s in EnrollmentStatus} for m in AttendanceMode}
        for mode, status, n in rows:
            counts[mode][status] = n
        return counts

    def counts_for(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, dict[str, int]]]:
        result = {sid: {m.value: {s.value: 0 for s in EnrollmentStatus} for m in AttendanceMode} for sid in session_ids}
        if not session_ids:
            return result
        rows = self.session.execute(
            select(Enrollment.session_id, Enrollment.mode, Enrollment.status, func.count())
            .where(Enrollment.session_id.in_(session_ids))
            .group_by(Enrollment.session_id, Enrollment.mode, Enrollment.status)
        ).all()
        for sid, mode, status, n in rows:
            result[sid][mode][status] = n
        return result

    def seat_state(self, session_id: uuid.UUID) -> list[tuple[str, str, str, int]]:
        """(mode, status, municipality, number) of the enrolments holding or waiting for a seat."""
        statuses = HOLDING + [EnrollmentStatus.WAITLISTED.value]
        return [tuple(r) for r in self.session.execute(
            select(Enrollment.mode, Enrollment.status, Enrollment.municipality_code, func.count())
            .where(Enrollment.session_id == session_id, Enrollment.status.in_(statuses))
            .group_by(Enrollment.mode, Enrollment.status, Enrollment.municipality_code))]

    def session_and_course(self, session_id: uuid.UUID, *, lock: bool = False) -> tuple[TrainingSession, Course]:
        """The session (row-locked with lock=True) and its course, in one round trip."""
        found = self.session.execute(_SESSION_AND_COURSE[lock], {"session_id": session_id}).first()
        if found is None:
            raise NotFound("session", session_id)
        return tuple(found)

    def arrival_state(self, session_id: uuid.UUID, email_key: str) -> tuple[list[tuple[str, str, str, int]],
                                                                            uuid.UUID | None]:
        """For an arrival, under the session's lock, in one round trip: the seat state (as
        `seat_state`) and the id of the person's enrolment in the session, if any. (Read after
        the lock was taken, in its own statement: a statement that waited for the lock still sees
        the rows as they were when it began.)"""
        rows, existing = [], None
        for mode, status, municipality, number, found in self.session.execute(
                _ARRIVAL_STATE, {"session_id": session_id, "email_key": email_key}):
            if found is not None:
                existing = found
            else:
                rows.append((mode, status, municipality, number))
        return rows, existing

    def locked_arrival(self, session_id: uuid.UUID, email_key: str, *, begin: str = "") -> tuple[
            TrainingSession, Course, list[tuple[str, str, str, int]], uuid.UUID | None]:
        """For an arrival: lock the session's row, then read the session and its course, the seat
        state (as `seat_state`) and the id of the person's enrolment in the session, if any. On
        PostgreSQL one round trip, `begin` (the unit of work's BEGIN, if it sends it) + `SELECT ...
        FOR UPDATE; SELECT ...`: the second statement starts once the lock is held, so it sees every
        arrival committed before (a statement that waited for the lock still sees the rows as they
        were when it began, hence not one statement). Elsewhere the two reads as before."""
        if self.dialect != "postgresql":
            session, course = self.session_and_course(session_id, lock=True)
            return (session, course, *self.arrival_state(session.id, email_key))
        found = self.session.execute(_ARRIVAL_READ, {"session_id": session_id, "email_key": email_key},
                                     execution_options={SQL_BEFORE: begin + _lock_sql(self.session)}).first()
        if found is None:
            raise NotFound("session", session_id)
        session, course, seats, existing = found
        return session, course, [tuple(row) for row in seats or ()], existing

    def arrival_writes(self, training_session: TrainingSession, enrollment: Enrollment,
                       key: IdempotencyKey | None, outbox_row: dict) -> list[tuple[object, dict]]:
        """The statements (with their values) writing a new arrival decided under the session's lock:
        the session's next arrival number (already taken on `training_session`), the enrolment, its
        Idempotency-Key and its event's outbox row — on PostgreSQL one statement (data-modifying
        CTEs), so that the lock is held for one round trip of writing (the caller sends COMMIT with
        it: UnitOfWork.commit_with), not an ORM flush per row; on SQLite one after the other.
        `enrollment` and `key` stay transient (they are not added to the ORM session)."""
        # The ORM copy already holds the new number: written here, not again by a flush. (Core
        # statements on the tables: no ORM autoflush, no identity map.)
        set_committed_value(training_session, "next_arrival_seq", training_session.next_arrival_seq)
        rows = {"e_": _row_of(enrollment), "o_": outbox_row, **({"k_": _row_of(key)} if key is not None else {})}
        values = {"s_id": training_session.id, "s_next": training_session.next_arrival_seq}
        for prefix, row in rows.items():
            values.update({prefix + name: value for name, value in row.items()})
        return [(statement, values) for statement in _arrival_writes(
            self.dialect == "postgresql", tuple((prefix, tuple(row)) for prefix, row in rows.items()))]

    def insert_arrival(self, training_session: TrainingSession, enrollment: Enrollment,
                       key: IdempotencyKey | None, outbox_row: dict) -> None:
        """Execute `arrival_writes` (the caller commits)."""
        for statement, values in self.arrival_writes(training_session, enrollment, key, outbox_row):
            self.session.execute(statement, values)

    def holders(self, session_id: uuid.UUID) -> list[tuple[str, str]]:
        """(mode, municipality) of every seat held (confirmed or offered)."""
        return [tuple(r) for r in self.session.execute(
            select(Enrollment.mode, Enrollment.municipality_code)
            .where(Enrollment.session_id == session_id, Enrollment.status.in_(HOLDING)))]

    def waitlist(self, session_id: uuid.UUID, mode: str | None = None) -> list[Enrollment]:
        query = select(Enrollment).where(Enrollment.session_id == session_id,
                                         Enrollment.status == EnrollmentStatus.WAITLISTED.value)
        if mode is not None:
            query = query.where(Enrollment.mode == mode)
        return list(self.session.scalars(query.order_by(Enrollment.arrival_seq)))

    def due_offers(self, session_id: uuid.UUID, now: datetime) -> list[Enrollment]:
        return list(self.session.scalars(select(Enrollment).where(
            Enrollment.session_id == session_id, Enrollment.status == EnrollmentStatus.OFFERED.value,
            Enrollment.offer_expires_at <= now).order_by(Enrollment.arrival_seq)))

    def session_enrollments(self, session_id: uuid.UUID, *, statuses: Iterable[str] | None = None,
                            municipality_code: str | None = None, mode: str | None = None) -> list[Enrollment]:
        query = select(Enrollment).where(Enrollment.session_id == session_id)
        if statuses is not None:
            query = query.where(Enrollment.status.in_(list(statuses)))
        if municipality_code is not None:
            query = query.where(Enrollment.municipality_code == municipality_code)
        if mode is not None:
            query = query.where(Enrollment.mode == mode)
        return list(self.session.scalars(query.order_by(Enrollment.arrival_seq)))

    def take_arrival_seq(self, session: TrainingSession) -> int:
        """The next arrival number; the caller holds the session's row lock."""
        seq = session.next_arrival_seq
        session.next_arrival_seq = seq + 1
        return seq

    # ------------------------------------------------------------------ enrolments
    def enrollment(self, enrollment_id: uuid.UUID) -> Enrollment:
        found = self.session.get(Enrollment, enrollment_id)
        if found is None:
            raise NotFound("enrolment", enrollment_id)
        return found

    def find_enrollment(self, enrollment_id: uuid.UUID) -> Enrollment | None:
        return self.session.get(Enrollment, enrollment_id)

    def enrollment_locked(self, enrollment_id: uuid.UUID) -> tuple[Enrollment, TrainingSession]:
        """An enrolment and its session, the session row locked first (the order every seat change
        takes, so two changes cannot deadlock)."""
        session_id = self.session.scalar(select(Enrollment.session_id).where(Enrollment.id == enrollment_id))
        if session_id is None:
            raise NotFound("enrolment", enrollment_id)
        training_session = self.training_session(session_id, lock=True)
        enrollment = self.enrollment(enrollment_id)
        self.session.refresh(enrollment)
        return enrollment, training_session

    def enrollment_of(self, session_id: uuid.UUID, email_key: str) -> Enrollment | None:
        return self.session.scalars(
            select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.email_key == email_key)
        ).first()

    def enrollments_of_person(self, email_key: str) -> list[Enrollment]:
        return list(self.session.scalars(select(Enrollment).where(Enrollment.email_key == email_key)
                                         .order_by(Enrollment.created_at)))

    def waitlist_position(self, enrollment: Enrollment) -> int | None:
        if enrollment.status != EnrollmentStatus.WAITLISTED.value:
            return None
        ahead = self.session.execute(
            select(func.count()).where(
                Enrollment.session_id == enrollment.session_id,
                Enrollment.mode == enrollment.mode,
                Enrollment.status == EnrollmentStatus.WAITLISTED.value,
                Enrollment.arrival_seq < enrollment.arrival_seq,
            )
        ).scalar_one()
        return ahead + 1

    def idempotency_key(self, principal: str, key: str) -> IdempotencyKey | None:
        return self.session.get(IdempotencyKey, (principal, key))

    # ------------------------------------------------------------------ timers
    def due_reminders(self, now: datetime, limit: int) -> list[tuple[Enrollment, TrainingSession]]:
        """Confirmed enrolments of scheduled sessions starting within their reminder lead time and
        not reminded yet — locked, skipping rows another replica's timer holds (PostgreSQL)."""
        lead_ok = self._reminder_due(now)
        query = (select(Enrollment, TrainingSession).join(TrainingSession, TrainingSession.id == Enrollment.session_id)
                 .where(Enrollment.status == EnrollmentStatus.CONFIRMED.value, Enrollment.reminded_at.is_(None),
                        TrainingSession.status == SessionStatus.SCHEDULED.value, TrainingSession.starts_at > now,
                        lead_ok)
                 .order_by(TrainingSession.starts_at, Enrollment.arrival_seq).limit(limit))
        return [tuple(r) for r in self.session.execute(self._skip_locked(query, of=Enrollment)).all()]

    def _reminder_due(self, now: datetime):
        # starts_at - reminder_hours_before <= now, written per dialect (interval arithmetic differs).
        if self.dialect == "postgresql":
            return TrainingSession.starts_at <= literal(now, UtcDateTime()) + \
                func.make_interval(0, 0, 0, 0, TrainingSession.reminder_hours_before)
        stored_now = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite stores them
        seconds_until = (func.julianday(TrainingSession.starts_at) - func.julianday(stored_now)) * 86400.0
        return seconds_until <= TrainingSession.reminder_hours_before * 3600

    def due_expiry_notices(self, now: datetime, notice_until: datetime, limit: int) -> list[Certificate]:
        # Certificates of enrolments (not yet those of learning done elsewhere, which name no session).
        query = (select(Certificate).where(Certificate.status == "valid", Certificate.expiry_notified_at.is_(None),
                                           Certificate.enrollment_id.is_not(None),
                                           Certificate.valid_until.is_not(None), Certificate.valid_until > now,
                                           Certificate.valid_until <= notice_until)
                 .order_by(Certificate.valid_until).limit(limit))
        return list(self.session.scalars(self._skip_locked(query, of=Certificate)))

    def _skip_locked(self, query: Select, of) -> Select:
        query = query.execution_options(populate_existing=True)
        if self.dialect == "postgresql":
            return query.with_for_update(skip_locked=True, of=of)
        return query  # SQLite: one writer at a time already

    # ------------------------------------------------------------------ certificates
    def certificate_of(self, enrollment_id: uuid.UUID) -> Certificate | None:
        return self.session.scalars(select(Certificate).where(Certificate.enrollment_id == enrollment_id)).first()

    def certificate_by_number(self, number: str) -> Certificate | None:
        return self.session.scalars(select(Certificate).where(Certificate.number == number)).first()

    def certificates(self, *, session_id=None, municipality_code=None, email_key=None) -> list[tuple[Certificate, Enrollment]]:
        query = select(Certificate, Enrollment).join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        if session_id is not None:
            query = query.where(Certificate.session_id == session_id)
        if municipality_code is not None:
            query = query.where(Enrollment.municipality_code == municipality_code)
        if email_key is not None:
            query = query.where(Enrollment.email_key == email_key)
        return [tuple(r) for r in self.session.execute(query.order_by(Certificate.number)).all()]

    def next_certificate_serial(self, year: int) -> int:
        """The next number of the year, under the counter row's lock (so numbers are unique and
        gap-free however many sessions complete at once)."""
        counter = self.session.scalars(
            select(CertificateCounter).where(CertificateCounter.year == year).with_for_update()).first()
        if counter is None:
            self._insert_counter(year)
            counter = self.session.scalars(
                select(CertificateCounter).where(CertificateCounter.year == year).with_for_update()).first()
        counter.last_number += 1
        self.session.flush()
        return counter.last_number

    def _insert_counter(self, year: int) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self.session.execute(insert(CertificateCounter).values(year=year, last_number=0).on_conflict_do_nothing())

    # ------------------------------------------------------------------ figures
    def participation(self, *, starts_from=None, starts_to=None, municipality_code=None, email_key=None,
                      session_ids: Iterable[uuid.UUID] | None = None):
        """(session, course, enrolment, certificate-or-None) for every confirmed enrolment of the
        sessions that match."""
        query = (select(TrainingSession, Course, Enrollment, Certificate)
                 .join(Course, Course.id == TrainingSession.course_id)
                 .join(Enrollment, Enrollment.session_id == TrainingSession.id)
                 .outerjoin(Certificate, and_(Certificate.enrollment_id == Enrollment.id, Certificate.status != "revoked"))
                 .where(Enrollment.status == EnrollmentStatus.CONFIRMED.value))
        query = self._session_window(query, starts_from, starts_to)
        if municipality_code is not None:
            query = query.where(Enrollment.municipality_code == municipality_code)
        if email_key is not None:
            query = query.where(Enrollment.email_key == email_key)
        if session_ids is not None:
            query = query.where(TrainingSession.id.in_(list(session_ids)))
        return self.session.execute(query).all()

    def sessions_with_courses(self, *, starts_from=None, starts_to=None, statuses: Iterable[str] | None = None):
        query = select(TrainingSession, Course).join(Course, Course.id == TrainingSession.course_id)
        query = self._session_window(query, starts_from, starts_to)
        if statuses is not None:
            query = query.where(TrainingSession.status.in_(list(statuses)))
        return self.session.execute(query).all()

    @staticmethod
    def _session_window(query, starts_from, starts_to):
        if starts_from is not None:
            query = query.where(TrainingSession.starts_at >= starts_from)
        if starts_to is not None:
            query = query.where(TrainingSession.starts_at < starts_to)
        return query

    # ------------------------------------------------------------------ training needs
    def training_need(self, need_id: uuid.UUID) -> TrainingNeed:
        found = self.session.get(TrainingNeed, need_id)
        if found is None:
            raise NotFound("training need", need_id)
        return found

    def training_needs(self, *, theme=None, region=None, status=None) -> list[TrainingNeed]:
        query = select(TrainingNeed).order_by(TrainingNeed.created_at)
        if theme is not None:
            query = query.where(TrainingNeed.theme == theme)
        if region is not None:
            query = query.where(TrainingNeed.region == region)
        if status is not None:
            query = query.where(TrainingNeed.status == status)
        return list(self.session.scalars(query))

    def supporters(self, need_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        need_ids = list(need_ids)
        result: dict[uuid.UUID, set[str]] = {n: set() for n in need_ids}
        if need_ids:
            for need_id, code in self.session.execute(
                    select(TrainingNeedSupport.need_id, TrainingNeedSupport.municipality_code)
                    .where(TrainingNeedSupport.need_id.in_(need_ids))):
                result[need_id].add(code)
        return result

    def support(self, need_id: uuid.UUID, municipality_code: str) -> TrainingNeedSupport | None:
        return self.session.get(TrainingNeedSupport, (need_id, municipality_code))

    # ------------------------------------------------------------------ erasure
    def anonymise_certificates_of(self, enrollment_id: uuid.UUID, holder_name: str) -> int:
        return self.session.execute(
            update(Certificate).where(Certificate.enrollment_id == enrollment_id).values(holder_name=holder_name)
        ).rowcount

    def replace_author(self, email_key: str, replacement: str) -> dict[str, int]:
        """Rows the person authored as a coordinator lose the author: counts per kind."""
        authored = [(Enrollment, Enrollment.created_by, "authored_enrollments"),
                    (TrainingNeed, TrainingNeed.proposed_by, "training_needs"),
                    (TrainingNeedSupport, TrainingNeedSupport.supported_by, "supports")]
        return {name: self.session.execute(
                    update(model).where(func.lower(column) == email_key).values({column.key: replacement})).rowcount
                for model, column, name in authored}

    def remove_coordinator(self, email_key: str) -> int:
        """Sessions the person coordinates lose their coordinator (a go/no-go notice then tells nobody)."""
        return self.session.execute(
            update(TrainingSession).where(func.lower(TrainingSession.coordinator_email) == email_key)
            .values(coordinator_name=None, coordinator_email=None, coordinator_language=None)).rowcount

    def delete_idempotency_keys_of(self, email_key: str) -> int:
        """The keys of tokens whose subject is the person (scope "<role>:<subject>")."""
        return self.session.execute(
            delete(IdempotencyKey).where(func.lower(IdempotencyKey.principal).like(f"%:{_like(email_key)}",
                                                                                   escape="\\"))
        ).rowcount


class Lists:
    """The list endpoints' queries: filters, text search and keyset pages (domain/paging.py).
    Each returns up to `limit + 1` rows (one more tells there is a next page)."""

    def __init__(self, repo: EnrollmentRepository):
        self.session = repo.session
        self.dialect = repo.dialect

    def fold(self, column):
        """Case-folded for a search: PostgreSQL's lower() folds every letter; SQLite gets casefold()
        from shared/persistence/engines.py."""
        return func.lower(column) if self.dialect == "postgresql" else func.casefold(column)

    def contains(self, column, term: str):
        return self.fold(column).like(f"%{_like(term)}%", escape="\\")

    def rows(self, query, column, id_column, sort, after, limit: int) -> list:
        if after is not None:
            if sort.descending:
                query = query.where(or_(column < after.value, and_(column == after.value, id_column < after.id)))
            else:
                query = query.where(or_(column > after.value, and_(column == after.value, id_column > after.id)))
        order = (column.desc(), id_column.desc()) if sort.descending else (column.asc(), id_column.asc())
        return list(self.session.scalars(query.order_by(*order).limit(limit + 1)))

    @staticmethod
    def json_has(column, code: str):
        """A small JSON list of codes (themes, audience) holds `code` (codes are plain identifiers)."""
        return cast(column, Text).like(f'%"{_like(code)}"%', escape="\\")

    def courses(self, *, theme=None, audience=None, format=None, include_retired=False) -> list[Course]:
        """The catalogue (hundreds of courses): searched and sorted by title in the use case."""
        query = select(Course)
        if theme is not None:
            query = query.where(self.json_has(Course.themes, theme))
        if audience is not None:
            query = query.where(self.json_has(Course.audience, audience))
        if format is not None:
            query = query.where(Course.format == format)
        if not include_retired:
            query = query.where(Course.retired_at.is_(None))
        return list(self.session.scalars(query))

    def sessions(self, *, sort, after, limit, course_id=None, region=None, status=None, starts_from=None,
                 starts_to=None, open_at=None, theme=None, term=None, course_ids_matching=()) -> list[TrainingSession]:
        query = select(TrainingSession)
        if theme is not None:
            query = query.where(TrainingSession.course_id.in_(
                select(Course.id).where(self.json_has(Course.themes, theme))))
        for column, value in ((TrainingSession.course_id, course_id), (TrainingSession.region, region),
                              (TrainingSession.status, status)):
            if value is not None:
                query = query.where(column == value)
        if starts_from is not None:
            query = query.where(TrainingSession.starts_at >= starts_from)
        if starts_to is not None:
            query = query.where(TrainingSession.starts_at < starts_to)
        if open_at is not None:
            query = query.where(TrainingSession.status == SessionStatus.SCHEDULED.value,
                                TrainingSession.registration_opens_at <= open_at,
                                TrainingSession.registration_closes_at > open_at)
        if term is not None:
            query = query.where(or_(TrainingSession.course_id.in_(list(course_ids_matching)),
                                    self.contains(TrainingSession.venue, term),
                                    self.contains(TrainingSession.trainer, term)))
        column = {"starts_at": TrainingSession.starts_at, "created_at": TrainingSession.created_at}[
            sort.name.lstrip("-")]
        return self.rows(query, column, TrainingSession.id, sort, after, limit)

    def enrollments(self, session_id, *, sort, after, limit, status=None, municipality_code=None,
                    term=None, waitlisted_only=False) -> list[Enrollment]:
        query = select(Enrollment).where(Enrollment.session_id == session_id)
        if waitlisted_only:
            query = query.where(Enrollment.status == EnrollmentStatus.WAITLISTED.value)
        if status is not None:
            query = query.where(Enrollment.status == status)
        if municipality_code is not None:
            query = query.where(Enrollment.municipality_code == municipality_code)
        if term is not None:
            query = query.where(or_(self.contains(Enrollment.name, term), self.contains(Enrollment.email, term),
                                    self.contains(Enrollment.position, term)))
        column = {"arrival": Enrollment.arrival_seq, "name": Enrollment.name,
                  "created_at": Enrollment.created_at}[sort.name.lstrip("-")]
        return self.rows(query, column, Enrollment.id, sort, after, limit)

    def certificates(self, *, sort, after, limit, session_id=None, municipality_code=None, email_key=None,
                     term=None) -> list[tuple[Certificate, Enrollment]]:
        query = select(Certificate).join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        if session_id is not None:
            query = query.where(Certificate.session_id == session_id)
        if municipality_code is not None:
            query = query.where(Enrollment.municipality_code == municipality_code)
        if email_key is not None:
            query = query.where(Enrollment.email_key == email_key)
        if term is not None:
            query = query.where(or_(self.contains(Certificate.holder_name, term),
                                    self.contains(Certificate.number, term)))
        column = {"number": Certificate.number, "issued_at": Certificate.issued_at,
                  "holder_name": Certificate.holder_name}[sort.name.lstrip("-")]
        certificates = self.rows(query, column, Certificate.id, sort, after, limit)
        enrollments = {e.id: e for e in self.session.scalars(select(Enrollment).where(
            Enrollment.id.in_([c.enrollment_id for c in certificates])))} if certificates else {}
        return [(c, enrollments[c.enrollment_id]) for c in certificates]

    def trainers(self, *, sort, after, limit, term=None) -> list[Trainer]:
        query = select(Trainer).where(Trainer.erased_at.is_(None))
        if term is not None:
            query = query.where(or_(self.contains(Trainer.name, term), self.contains(Trainer.email, term),
                                    self.contains(Trainer.organisation, term)))
        column = {"name": Trainer.name, "created_at": Trainer.created_at}[sort.name.lstrip("-")]
        return self.rows(query, column, Trainer.id, sort, after, limit)

    def training_needs(self, *, sort, after, limit, theme=None, region=None, status=None,
                       term=None) -> list[TrainingNeed]:
        query = select(TrainingNeed)
        for column, value in ((TrainingNeed.theme, theme), (TrainingNeed.region, region),
                              (TrainingNeed.status, status)):
            if value is not None:
                query = query.where(column == value)
        if term is not None:
            query = query.where(self.contains(TrainingNeed.description, term))
        return self.rows(query, TrainingNeed.created_at, TrainingNeed.id, sort, after, limit)


# The statements of an arrival (the hot path of a registration rush), built once with bound
# parameters: building and caching a statement per request with the values in it cost more CPU
# than the database work.
def _session_and_course(lock: bool):
    query = (select(TrainingSession, Course).join(Course, Course.id == TrainingSession.course_id)
             .where(TrainingSession.id == bindparam("session_id")).execution_options(populate_existing=True))
    return query.with_for_update(of=TrainingSession) if lock else query


_SESSION_AND_COURSE = {lock: _session_and_course(lock) for lock in (False, True)}
_ARRIVAL_STATE = (
    select(Enrollment.mode, Enrollment.status, Enrollment.municipality_code, func.count().label("number"),
           literal(None, Enrollment.id.type).label("existing"))
    .where(Enrollment.session_id == bindparam("session_id"),
           Enrollment.status.in_(HOLDING + [EnrollmentStatus.WAITLISTED.value]))
    .group_by(Enrollment.mode, Enrollment.status, Enrollment.municipality_code)
).union_all(
    select(literal(None, Enrollment.mode.type), literal(None, Enrollment.status.type),
           literal(None, Enrollment.municipality_code.type), literal(None, Integer()), Enrollment.id)
    .where(Enrollment.session_id == bindparam("session_id"), Enrollment.email_key == bindparam("email_key")))

# PostgreSQL: the locked read of an arrival (locked_arrival), sent after the lock's own statement.
_SEATS = (
    select(Enrollment.mode, Enrollment.status, Enrollment.municipality_code, func.count().label("number"))
    .where(Enrollment.session_id == bindparam("session_id"),
           Enrollment.status.in_(HOLDING + [EnrollmentStatus.WAITLISTED.value]))
    .group_by(Enrollment.mode, Enrollment.status, Enrollment.municipality_code)
).subquery("seats")
_ARRIVAL_READ = (
    select(TrainingSession, Course,
           select(func.json_agg(func.json_build_array(_SEATS.c.mode, _SEATS.c.status, _SEATS.c.municipality_code,
                                                      _SEATS.c.number))).scalar_subquery().label("seat_state"),
           select(Enrollment.id).where(Enrollment.session_id == bindparam("session_id"),
                                       Enrollment.email_key == bindparam("email_key"))
           .limit(1).scalar_subquery().label("existing"))
    .join(Course, Course.id == TrainingSession.course_id)
    .where(TrainingSession.id == bindparam("session_id"))
    # populate_existing: a worker that committed before may hold an older copy in its identity map.
    .execution_options(populate_existing=True))


@lru_cache(maxsize=4)
def _lock_sql_for(dialect) -> str:
    sessions = TrainingSession.__table__
    lock = select(literal_column("1")).select_from(sessions).where(sessions.c.id == bindparam("session_id")).with_for_update()
    return f"{lock.compile(dialect=dialect)}; "


def _lock_sql(session: Session) -> str:
    """`SELECT 1 FROM sessions WHERE id = <session_id> FOR UPDATE; ` in the engine's SQL."""
    return _lock_sql_for(session.get_bind().dialect)


@lru_cache(maxsize=8)
def _arrival_writes(postgresql: bool, columns: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple:
    """UPDATE the session's next arrival number, INSERT the enrolment, its key (if any) and the outbox
    row (`columns`: the prefix of each row's parameters and the columns it gives): one statement on
    PostgreSQL, in turn on SQLite (no data-modifying CTEs; no round trips to save)."""
    tables = {"e_": Enrollment.__table__, "k_": IdempotencyKey.__table__, "o_": OUTBOX}
    sessions = TrainingSession.__table__
    writes = [sessions.update().where(sessions.c.id == bindparam("s_id")).values(next_arrival_seq=bindparam("s_next"))]
    for prefix, names in columns:
        table = tables[prefix]
        writes.append(table.insert().values({name: bindparam(prefix + name, type_=table.c[name].type)
                                             for name in names}))
    if postgresql:
        return (writes[-1].add_cte(*[w.cte(f"w{n}") for n, w in enumerate(writes[:-1])]),)
    return tuple(writes)


def _row_of(obj) -> dict:
    """A mapped object's column values, for a Core INSERT."""
    return {prop.columns[0].name: getattr(obj, prop.key) for prop in sa_inspect(type(obj)).column_attrs}


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
