"""Grants' tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, Numeric, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UtcDateTime, new_metadata

metadata = new_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class FundingCall(Base):
    __tablename__ = "funding_calls"

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    code: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    funder: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[dict] = mapped_column(JSON, nullable=False)
    summary: Mapped[dict | None] = mapped_column(JSON)
    themes: Mapped[list] = mapped_column(JSON, nullable=False)
    eligible_applicant_types: Mapped[list] = mapped_column(JSON, nullable=False)
    eligible_regions: Mapped[list] = mapped_column(JSON, nullable=False)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date, nullable=False)
    min_grant_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    max_grant_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    max_funding_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    foreign_partner_required: Mapped[bool] = mapped_column(Boolean, nullable=False)
    partner_countries: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
