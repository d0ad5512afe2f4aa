"""Request and response bodies of the enrollment HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from services.enrollment.domain.paging import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT, MAX_SEARCH
from shared.limits import MAX_ITEMS, MULTI_LINE, Name, SINGLE_LINE
from shared.events.types import EMAIL_PATTERN, CountryCode, LocalizedText, check_language, check_municipality, check_themes, one_of
from shared.model import Model
from shared.openapi import DecimalText
from shared.reference import REGIONS, THEMES, MunicipalityCode, RegionCode, ThemeCode

check_region = one_of(REGIONS, "region")
check_theme = one_of(THEMES, "theme")


class StrictModel(Model):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- lists (domain/paging.py)

class Paging(StrictModel):
    """Every list: at most `limit` items; `cursor` (from the previous answer's X-Next-Cursor or Link
    header) continues after its last item, in the same sort and with the same filters."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")
    cursor: str | None = Field(default=None, min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$",
                               description="the X-Next-Cursor of the previous page")


# ---------------------------------------------------------------- courses

class CourseIn(StrictModel):
    title: LocalizedText
    description: LocalizedText | None = None
    themes: list[ThemeCode] = Field(min_length=1, max_length=MAX_ITEMS,
                                    description="codes from the shared theme vocabulary; the first is the "
                                                "primary theme (the hours ledger counts hours under it)")
    audience: list[Literal["officials", "council_members"]] = Field(min_length=1, max_length=2)
    duration_hours: Annotated[Decimal, DecimalText(3, 1)] = Field(gt=0, le=500, decimal_places=1)
    format: Literal["in_person", "online", "hybrid"]
    completion_min_percent: int = Field(default=80, ge=1, le=100,
                                        description="share of the hours a participant must attend for a certificate")
    certificate_validity_months: int | None = Field(default=None, ge=1, le=240,
                                                    description="certificates expire this many months after the "
                                                                "session; null = they do not expire")

    _themes = field_validator("themes")(check_themes)


class CoursePatch(StrictModel):
    """Edit a course; only the fields sent change. Its format does not change (schedule a new course)."""

    title: LocalizedText | None = None
    description: LocalizedText | None = Field(default=None, description="null removes it")
    themes: list[ThemeCode] | None = Field(default=None, min_length=1, max_length=MAX_ITEMS)
    audience: list[Literal["officials", "council_members"]] | None = Field(default=None, min_length=1, max_length=2)
    duration_hours: Annotated[Decimal, DecimalText(3, 1)] | None = Field(default=None, gt=0, le=500, decimal_places=1)
    completion_min_percent: int | None = Field(default=None, ge=1, le=100)
    certificate_validity_months: int | None = Field(default=None, ge=1, le=240, description="null: do not expire")

    _themes = field_validator("themes")(lambda v: v if v is None else check_themes(v))

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in ("title", "themes", "audience", "duration_hours", "completion_min_percent"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class CourseQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the title or description, Lithuanian or English")
    sort: Literal["created_at", "-created_at", "title"] = Field(
        default="created_at", description="title: by the Lithuanian title")
    theme: ThemeCode | None = None
    audience: Literal["officials", "council_members"] | None = None
    format: Literal["in_person", "online", "hybrid"] | None = None
    include_retired: bool = Field(default=False, description="also retired courses (they take no new sessions)")

    _theme = field_validator("theme")(lambda v: v if v is None else check_theme(v))


class CourseOut(Model):
    id: UUID
    title: LocalizedText
    description: LocalizedText | None
    themes: list[ThemeCode]
    audience: list[str]
    duration_hours: Decimal
    format: str
    completion_min_percent: int
    certificate_validity_months: int | None
    created_at: datetime
    updated_at: datetime | None = None
    retired_at: datetime | None = Field(default=None, description="set: retired, takes no new sessions")


# ---------------------------------------------------------------- sessions

class TrainerIn(StrictModel):
    name: Name
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    language: Literal["lt", "en"] = "lt"
    organisation: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE)


class TrainerQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the name, e-mail or organisation")
    sort: Literal["name", "-created_at"] = "name"


class TrainerSessionOut(Model):
    session_id: UUID
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    status: str
    hours: Decimal = Field(description="the course's hours (counted as taught once the session is completed)")


class TrainerOut(Model):
    id: UUID
    name: str
    email: str
    language: str
    organisation: str | None
    created_at: datetime
    sessions_upcoming: int = 0
    sessions_held: int = 0
    hours_taught: Decimal = Decimal("0")


class TrainerDetailOut(TrainerOut):
    sessions: list[TrainerSessionOut] = Field(description="their sessions, latest first (at most 200)")


class TrainerReportQuery(StrictModel):
    from_: date | None = Field(default=None, alias="from", description="sessions starting on or after (Lithuanian time)")
    to: date | None = Field(default=None, description="sessions starting before this day")
    format: Literal["json", "csv"] = "json"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _period(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class TrainerReportLineOut(Model):
    trainer_id: UUID
    name: str
    sessions_held: int
    hours_taught: Decimal
    participants: int = Field(description="confirmed participants of the sessions held")
    attendances: int
    no_shows: int
    sessions_cancelled: int


class TrainerReportOut(Model):
    period_from: date | None
    period_to: date | None
    lines: list[TrainerReportLineOut]


class CoordinatorIn(StrictModel):
    """The centre's coordinator of a session: told when it is below its minimum at the go/no-go date."""

    name: Name
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    language: Literal["lt", "en"] = "lt"


GO_NO_GO_AT = ("when the confirmed seats are compared with min_participants (before the start); below it "
               "the coordinator is told and confirms or cancels, or with auto_cancel_below_minimum it is "
               "cancelled and everyone told")


INVOICE_CUTOFF_AT = ("fees: until then a cancellation or a late enrolment recalculates the municipality's issued "
                     "invoice (a new version); afterwards it stands. Default: the start; not after it")


class SessionIn(StrictModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    region: RegionCode | None = Field(default=None, description="county code, e.g. KU")
    venue: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE)
    online_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$")
    trainer: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE,
                                description="who teaches it (a name; or trainer_id)")
    trainer_id: UUID | None = Field(default=None, description="a trainer of the register: told of the session "
                                                              "and every change")
    country: CountryCode = Field(default="LT", description="where it is held: LT (then give region) or abroad "
                                                           "(then give city, no region)")
    city: str | None = Field(default=None, min_length=1, max_length=100, pattern=SINGLE_LINE,
                             description="the city of a session held abroad, e.g. Oslo")
    kind: Literal["training", "conference"] = "training"
    programme_id: UUID | None = Field(default=None, description="the training programme of a funded project it "
                                                                "belongs to (GET /enrollment/programmes)")
    capacity: int = Field(ge=1, le=10000, description="seats; for a hybrid session, the in-person seats")
    online_capacity: int | None = Field(default=None, ge=1, le=10000, description="online seats of a hybrid session")
    fee_eur: Annotated[Decimal, DecimalText(6, 2)] = Field(
        default=Decimal("0"), ge=0, le=100000, decimal_places=2,
        description="per participant; 0 = free. Fees are invoiced to the municipality")
    min_participants: int = Field(default=0, ge=0, le=10000)
    registration_opens_at: AwareDatetime | None = Field(default=None, description="default: now")
    registration_closes_at: AwareDatetime | None = Field(default=None, description="default: the start")
    quota_per_municipality: int | None = Field(default=None, ge=1, le=10000,
                                               description="most seats one municipality may hold")
    quota_release_days: int | None = Field(default=None, ge=0, le=365,
                                           description="the quota stops applying this many days before the start "
                                                       "(waitlisted people are then promoted in order); "
                                                       "null = it applies until the start")
    offer_hours: int | None = Field(default=None, ge=1, le=720,
                                    description="a freed seat is offered to the next person for this long; "
                                                "null = it is given at once")
    reminder_hours_before: int = Field(default=48, ge=1, le=720)
    go_no_go_at: AwareDatetime | None = Field(default=None, description=GO_NO_GO_AT)
    auto_cancel_below_minimum: bool = False
    coordinator: CoordinatorIn | None = Field(default=None, description="required with go_no_go_at")
    invoice_cutoff_at: AwareDatetime | None = Field(default=None, description=INVOICE_CUTOFF_AT)

    _region = field_validator("region")(lambda v: v if v is None else check_region(v))


class SessionPatch(StrictModel):
    """Change the date, time, place, online link, trainer, seats, quota, offers or the registration
    window; only the fields sent change. A change of date, time, place, link or trainer is told to
    everyone enrolled, with their updated calendar entry."""

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    region: RegionCode | None = Field(default=None, description="county code; null for an online-only session")
    venue: str | None = Field(default=None, max_length=300, pattern=SINGLE_LINE,
                              description="null removes it (a hybrid session then runs online only)")
    online_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://\S+$",
                                   description="null removes it (a hybrid session then runs in person only)")
    trainer: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)
    trainer_id: UUID | None = Field(default=None, description="null removes the trainer")
    capacity: int | None = Field(default=None, ge=1, le=10000)
    online_capacity: int | None = Field(default=None, ge=1, le=10000)
    min_participants: int | None = Field(default=None, ge=0, le=10000)
    quota_per_municipality: int | None = Field(default=None, ge=1, le=10000, description="null removes the quota")
    quota_release_days: int | None = Field(default=None, ge=0, le=365)
    offer_hours: int | None = Field(default=None, ge=1, le=720, description="null: freed seats are given at once")
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    reminder_hours_before: int | None = Field(default=None, ge=1, le=720)
    go_no_go_at: AwareDatetime | None = Field(default=None, description="null removes it; a new date is checked "
                                                                        "again")
    auto_cancel_below_minimum: bool | None = None
    coordinator: CoordinatorIn | None = None
    invoice_cutoff_at: AwareDatetime | None = Field(default=None, description="null: the session's start")

    _region = field_validator("region")(lambda v: v if v is None else check_region(v))

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in ("starts_at", "ends_at", "capacity", "min_participants", "registration_opens_at",
                     "registration_closes_at", "reminder_hours_before", "auto_cancel_below_minimum"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SessionQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the course title, the venue or the trainer")
    sort: Literal["starts_at", "-starts_at", "created_at", "-created_at"] = "starts_at"
    course_id: UUID | None = None
    theme: ThemeCode | None = None
    region: RegionCode | None = None
    status: Literal["scheduled", "cancelled", "completed"] | None = None
    starts_from: AwareDatetime | None = None
    starts_to: AwareDatetime | None = None
    open_for_registration: bool | None = Field(default=None, description="only sessions one can enrol in now")

    _theme = field_validator("theme")(lambda v: v if v is None else check_theme(v))
    _region = field_validator("region")(lambda v: v if v is None else check_region(v))


class SeatPoolOut(Model):
    capacity: int
    confirmed: int
    offered: int
    waitlisted: int
    seats_left: int


class SessionOut(Model):
    id: UUID
    course_id: UUID
    course_title: LocalizedText
    format: str
    starts_at: datetime
    ends_at: datetime
    region: RegionCode | None
    venue: str | None
    online_url: str | None
    trainer: str | None = None
    country: str = Field(default="LT", description="LT, or the country of a session held abroad")
    city: str | None = None
    kind: str = Field(default="training", description="training or conference")
    programme_id: UUID | None = None
    trainer_id: UUID | None = None
    attendance_modes: list[str] = Field(default_factory=list,
                                        description="modes one can enrol in now (a hybrid session may have "
                                                    "dropped its venue or its online link)")
    calendar_sequence: int = Field(default=0, description="SEQUENCE of its calendar entries; raised on each "
                                                          "change of date, time, place, link or trainer")
    capacity: int
    online_capacity: int | None
    fee_eur: Decimal
    min_participants: int
    minimum_reached: bool
    go_no_go_at: datetime | None = None
    auto_cancel_below_minimum: bool = False
    go_decision: str | None = Field(default=None, description="after the go/no-go date: minimum_reached, "
                                                              "below_minimum (the coordinator decides), confirmed "
                                                              "or cancelled")
    coordinator: CoordinatorIn | None = None
    invoice_cutoff_at: datetime | None = Field(default=None, description="fees: until then issued invoices follow "
                                                                         "cancellations (null: the start)")
    registration_opens_at: datetime
    registration_closes_at: datetime
    quota_per_municipality: int | None
    quota_release_at: datetime | None
    quota_released_at: datetime | None
    offer_hours: int | None
    reminder_hours_before: int
    status: str
    cancel_reason: str | None
    confirmed: int = Field(description="confirmed seats, all pools")
    waitlisted: int
    seats_left: int = Field(description="free seats, all pools (offered seats are held)")
    pools: dict[str, SeatPoolOut] = Field(description="per attendance mode: in_person, online")
    calendar_url: str


class CancelSessionIn(StrictModel):
    reason: str = Field(min_length=1, max_length=1000, pattern=MULTI_LINE, description="told to every participant")


class CompleteSessionIn(StrictModel):
    mark_unmarked_absent: bool = Field(default=False, description="record confirmed people without attendance "
                                                                  "as no-shows instead of refusing")


# ---------------------------------------------------------------- enrolments

class EnrollmentIn(StrictModel):
    name: Name
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    municipality_code: MunicipalityCode
    position: str | None = Field(default=None, max_length=200, pattern=SINGLE_LINE)
    language: Literal["lt", "en"] = "lt"
    attendance_mode: Literal["in_person", "online"] | None = Field(
        default=None, description="required for hybrid sessions; otherwise the session's format")

    _municipality = field_validator("municipality_code")(check_municipality)
    _language = field_validator("language")(check_language)


class EnrollmentOut(Model):
    id: UUID
    session_id: UUID
    status: str
    attendance_mode: str
    waitlist_position: int | None = Field(description="1 = next in line; null unless waitlisted")
    waiting_for: str | None = Field(description="seat or municipality_quota; null unless waitlisted")
    offer_expires_at: datetime | None
    arrival: int = Field(description="arrival order in the session (1 = first)")
    name: str
    email: str
    municipality_code: MunicipalityCode
    position: str | None
    language: str
    attendance: str | None
    attended_hours: Decimal | None
    cancel_reason: str | None
    created_at: datetime
    manage_url: str = Field(description="the person's self-service link (give it to them)")


class EnrollmentQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the person's name, e-mail or position")
    sort: Literal["arrival", "name", "-created_at"] = Field(default="arrival", description="arrival: arrival order")
    status: Literal["confirmed", "waitlisted", "offered", "cancelled", "expired"] | None = None
    municipality_code: MunicipalityCode | None = None

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class CancelEnrollmentIn(StrictModel):
    reason: str | None = Field(default=None, max_length=1000, pattern=MULTI_LINE)


class AttendanceIn(StrictModel):
    attendance: Literal["attended", "no_show"]
    hours: Annotated[Decimal, DecimalText(3, 1)] | None = Field(
        default=None, ge=0, le=500, decimal_places=1,
        description="hours attended; default the course's duration (0 for a no-show)")


class AttendanceRecordIn(AttendanceIn):
    enrollment_id: UUID


class BulkAttendanceIn(StrictModel):
    records: list[AttendanceRecordIn] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _unique(self):
        ids = [r.enrollment_id for r in self.records]
        if len(ids) != len(set(ids)):
            raise ValueError("each enrollment_id may appear once")
        return self


class BulkAttendanceOut(Model):
    recorded: int = Field(description="records that changed something")
    unchanged: int


class CompletionOut(Model):
    session: SessionOut
    attended: int
    no_shows: int
    certificates_issued: int


class SelfServiceOut(Model):
    """What a person sees through their link (no login)."""

    enrollment_id: UUID
    status: str
    waitlist_position: int | None
    waiting_for: str | None
    offer_expires_at: datetime | None
    name: str
    course_title: LocalizedText
    starts_at: datetime
    ends_at: datetime
    region: RegionCode | None
    venue: str | None
    online_url: str | None
    attendance_mode: str
    mode_available: bool = Field(default=True, description="false: the session no longer offers this mode; "
                                                           "switch to alternative_mode or leave (free)")
    alternative_mode: str | None = None
    trainer: str | None = None
    session_status: str
    calendar_url: str


class SwitchModeIn(StrictModel):
    attendance_mode: Literal["in_person", "online"]


# ---------------------------------------------------------------- certificates

class WaitlistQuery(Paging):
    """The waitlist in arrival order (positions count everyone waiting, not only the page)."""


class CertificateQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the holder's name or the certificate number")
    sort: Literal["number", "-issued_at", "issued_at", "holder_name"] = "number"
    session_id: UUID | None = None
    municipality_code: MunicipalityCode | None = None
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class CertificateOut(Model):
    id: UUID
    number: str
    verification_code: str
    enrollment_id: UUID
    session_id: UUID
    holder_name: str
    municipality_code: MunicipalityCode
    hours: Decimal
    issued_at: datetime
    valid_until: datetime | None
    status: str = Field(description="valid, expired or revoked")
    verify_url: str


class VerifyQuery(StrictModel):
    number: str = Field(min_length=1, max_length=30)
    code: str = Field(min_length=4, max_length=60, description="as printed: 7 groups of 4 (older certificates: 3)")
    lang: Literal["lt", "en"] | None = Field(default=None, description="the page's language (a browser's page)")


class VerificationOut(Model):
    number: str
    valid: bool
    status: str = Field(description="valid, expired or revoked")
    holder_name: str
    course_title: LocalizedText
    hours: Decimal
    session_starts_at: datetime
    session_ends_at: datetime
    issued_at: datetime
    valid_until: datetime | None
    learning_system: str | None = Field(default=None, description="set when the course was completed in an "
                                                                  "external learning system; the session dates "
                                                                  "are then the day it was completed")


# ---------------------------------------------------------------- hours and reports

class HoursQuery(StrictModel):
    year: int | None = Field(default=None, ge=2000, le=2100)
    municipality_code: MunicipalityCode | None = None
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    format: Literal["json", "csv"] = "json"

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))


class HoursLineOut(Model):
    name: str
    email: str
    municipality_code: MunicipalityCode
    position: str | None
    year: int
    theme: ThemeCode
    hours: Decimal
    sessions: int
    certificates: int


class ReportQuery(StrictModel):
    group_by: Literal["municipality", "region", "theme", "month", "year"] = "municipality"
    from_: date | None = Field(default=None, alias="from", description="sessions starting on or after (Lithuanian time)")
    to: date | None = Field(default=None, description="sessions starting before this day")
    municipality_code: MunicipalityCode | None = None
    region: RegionCode | None = None
    theme: ThemeCode | None = None
    format: Literal["json", "csv"] = "json"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _municipality = field_validator("municipality_code")(lambda v: v if v is None else check_municipality(v))
    _region = field_validator("region")(lambda v: v if v is None else check_region(v))
    _theme = field_validator("theme")(lambda v: v if v is None else check_theme(v))

    @model_validator(mode="after")
    def _period(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("to must be after from")
        return self


class ReportLineOut(Model):
    group: str
    sessions_held: int
    participants_trained: int
    attendances: int
    no_shows: int
    training_hours: Decimal
    certificates_issued: int
    fees_eur: Decimal
    learned_elsewhere: int = Field(default=0, description="courses completed in external learning systems "
                                                          "(learning.course_completed); their hours are in "
                                                          "training_hours and attendances")
    invoices: int = Field(default=0, description="fees: invoices of the sessions starting in the period "
                                                 "(by the invoice's municipality, or the session's theme/month/year)")
    invoiced_eur: Decimal = Field(default=Decimal("0.00"), description="their current amounts")
    paid_eur: Decimal = Field(default=Decimal("0.00"), description="of which paid")
    waived_eur: Decimal = Field(default=Decimal("0.00"), description="of which waived")
    outstanding_eur: Decimal = Field(default=Decimal("0.00"), description="of which issued and not paid yet")


class ReportOut(Model):
    group_by: str
    period_from: date | None
    period_to: date | None
    lines: list[ReportLineOut]
    total: ReportLineOut


# ---------------------------------------------------------------- training needs

class TrainingNeedIn(StrictModel):
    theme: ThemeCode
    region: RegionCode
    description: str = Field(min_length=10, max_length=4000, pattern=MULTI_LINE)
    municipality_code: MunicipalityCode
    audience: Literal["officials", "council_members"] | None = None

    _theme = field_validator("theme")(check_theme)
    _region = field_validator("region")(check_region)
    _municipality = field_validator("municipality_code")(check_municipality)


class TrainingNeedQuery(Paging):
    q: str | None = Field(default=None, max_length=MAX_SEARCH, pattern=SINGLE_LINE,
                          description="in the description")
    sort: Literal["created_at", "-created_at"] = "created_at"
    theme: ThemeCode | None = None
    region: RegionCode | None = None
    status: Literal["open", "planned", "closed"] | None = None

    _theme = field_validator("theme")(lambda v: v if v is None else check_theme(v))
    _region = field_validator("region")(lambda v: v if v is None else check_region(v))


class SupportIn(StrictModel):
    municipality_code: MunicipalityCode

    _municipality = field_validator("municipality_code")(check_municipality)


class TrainingNeedStatusIn(StrictModel):
    status: Literal["open", "planned", "closed"]


class TrainingNeedOut(Model):
    id: UUID
    theme: ThemeCode
    region: RegionCode
    description: str
    municipality_code: MunicipalityCode
    audience: str | None
    status: str
    supporters: list[str] = Field(description="municipalities supporting it, besides the proposer")
    created_at: datetime


class DemandQuery(StrictModel):
    region: RegionCode | None = None

    _region = field_validator("region")(lambda v: v if v is None else check_region(v))


class DemandLineOut(Model):
    rank: int
    region: RegionCode
    theme: ThemeCode
    proposals: int
    supporting_municipalities: int
    municipalities: list[str]
    planned_sessions: int


class DemandOut(Model):
    regions: dict[str, list[DemandLineOut]]
