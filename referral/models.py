"""Tables of the referral package: the partner directory, shaped after Open Referral's HSDS
(organisation, services, service areas, languages, populations served, capacity) with
vetting. The organisation's identity (slug, name, whether its staff may sign in) lives in
``access.models.PartnerOrganisation``; its contact details are sealed like personal data."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.models import PartnerOrganisation
from core.db import Base, UTCDateTime, new_id


class PartnerProfile(Base):
    """What a partner offers, where, to whom, and whether it is vetted."""

    __tablename__ = "partner_profiles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner_organisations.id"), unique=True)
    vetting_status: Mapped[str] = mapped_column(sa.String(10))
    vetting_valid_until: Mapped[date | None] = mapped_column(sa.Date)
    services: Mapped[str] = mapped_column(sa.String(200), default="")
    populations: Mapped[str] = mapped_column(sa.String(100), default="")
    languages: Mapped[str] = mapped_column(sa.String(100), default="")
    capacity: Mapped[int] = mapped_column(default=0)
    data_key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("data_keys.id"))
    contact: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[PartnerOrganisation] = relationship(lazy="joined")
    areas: Mapped[list[PartnerArea]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="PartnerArea.country")


class PartnerArea(Base):
    """A country, or a region of it, where a partner works."""

    __tablename__ = "partner_areas"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    profile_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner_profiles.id", ondelete="CASCADE"), index=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))
