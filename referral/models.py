"""Tables of the referral package: cases with their notes and follow-up tasks, referrals,
notices and the e-mails waiting for them in the outbox, and the partner directory, shaped
after Open Referral's HSDS (organisation, services, service areas, languages, populations served,
capacity). The organisation's identity and standing (slug, name, vetting) live in
``access.models.PartnerOrganisation``; its contact details are sealed like personal data."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from access.models import PartnerOrganisation
from core.columns import JSONObject, StringList
from core.datakeys import DataKey
from core.db import Base, UTCDateTime, new_id
from referral import workflow
from screening.models import Person, Screening


class PartnerProfile(Base):
    """What a partner offers, where and to whom. Whether it is vetted is the organisation's
    standing (``access.standing``), read through here but kept only there."""

    __tablename__ = "partner_profiles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner_organisations.id"), unique=True
    )
    services: Mapped[tuple[str, ...]] = mapped_column(StringList(200), default=())
    populations: Mapped[tuple[str, ...]] = mapped_column(StringList(100), default=())
    languages: Mapped[tuple[str, ...]] = mapped_column(StringList(100), default=())
    capacity: Mapped[int] = mapped_column(default=0)
    data_key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("data_keys.id"))
    # Set on a new row, it makes the unit of work insert the new key first
    # (docs/architecture.md, "One flush").
    data_key: Mapped[DataKey] = relationship(lazy="raise")
    contact: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[PartnerOrganisation] = relationship(lazy="joined")
    areas: Mapped[list[PartnerArea]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="PartnerArea.country"
    )

    @property
    def vetting_status(self) -> str:
        """The organisation's vetting status."""
        return self.organisation.vetting_status

    @property
    def vetting_valid_until(self) -> date | None:
        """The last day the organisation's vetting is valid."""
        return self.organisation.vetting_valid_until


class PartnerArea(Base):
    """A country, or a region of it, where a partner works."""

    __tablename__ = "partner_areas"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    profile_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("partner_profiles.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(sa.String(2))
    region: Mapped[str | None] = mapped_column(sa.String(100))


# The statuses of a case still being worked on (referral.cases.OPEN), and the partial
# indexes of the case list's open cases.
OPEN_CASE_STATUSES = ("active", "follow_up")
OPEN_CASES: dict[str, Any] = {
    f"{dialect}_where": sa.text(workflow.sql_in("status", OPEN_CASE_STATUSES))
    for dialect in ("postgresql", "sqlite")
}


class Case(Base):
    """Everything done for one person after a screening: their consent, what they need, their
    screenings (through the person record) and referrals. One case per person record.

    Consent and needs hold no identifying data and stay in the clear; the person's details
    and every note are sealed with the person's data key, so shredding the person shreds the
    case's content too."""

    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), unique=True)
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # HTCDS cas_Status (docs/case-work.md): active, follow_up, closed, closed_referred; and
    # merged, for the newer case of a person recorded twice.
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # A short reference to find and speak of the case without naming the person: random
    # (referral.receipts), never derived from the id. Every case gets one when opened; NULL
    # is possible only because SQLite cannot make the column NOT NULL in a migration (0025).
    reference: Mapped[str | None] = mapped_column(sa.String(9), index=True, unique=True)
    # Set when a screener confirmed this was a person already known: the earlier case.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("cases.id"))
    consent: Mapped[dict[str, Any]] = mapped_column(JSONObject, default=dict)
    needs: Mapped[tuple[str, ...]] = mapped_column(StringList(200), default=())
    urgent: Mapped[bool] = mapped_column(default=False)
    classification: Mapped[str | None] = mapped_column(sa.String(24))
    act_established: Mapped[bool | None] = mapped_column()  # as its latest screening's
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the case ended (referral.case_status.OUTCOMES) and when; cleared on reopening.
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The person record: whether it is still kept decides what the case allows (a shredded
    # record takes no note and is not reopened; referral.case_status). Set on a new case, it
    # makes the unit of work insert a new person first (docs/architecture.md, "One flush").
    person: Mapped[Person] = relationship()
    # The person's screenings, and from each of them its case (``Screening.case``): a completed
    # screening is part of the case, so whoever is in charge of the case reads it, and after a
    # hand-over the previous owner no longer does (docs/access-policy.md). Declared here, since
    # the screening package knows nothing of cases; read only, never written through. Loaded
    # with the screenings in one more statement ("selectin"): a list asks the policy of each
    # row, and a join would bar the ``FOR UPDATE`` that locks a screening on PostgreSQL.
    screenings: Mapped[list[Screening]] = relationship(
        primaryjoin="foreign(Screening.person_id) == Case.person_id",
        viewonly=True,
        lazy="raise",
        backref=backref("case", uselist=False, viewonly=True, lazy="selectin"),
    )

    @property
    def record_kept(self) -> bool:
        """Whether the person's record is still held (not shredded by retention)."""
        return self.person.shredded_at is None

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('active', 'follow_up', 'closed', 'closed_referred', 'merged')",
            name="status",
        ),
        # The case list, in its order (urgent first, then the most recently active): a
        # screener's (whose scope names their team too) and a team's, for open cases alone
        # (the list's default) and for any status.
        *(
            sa.Index(f"ix_cases_{scope}_{shown}", *columns, "urgent", "updated_at", "id", **where)
            for scope, columns in (("owner", ("team_id", "owner_id")), ("team", ("team_id",)))
            for shown, where in (("list", {}), ("open", OPEN_CASES))
        ),
    )


class CaseNote(Base):
    """A caseworker's note on a case, sealed with the person's data key (so shredding the
    person shreds it). ``kind`` says whether it was written as a note or is the reason given
    for reopening the case. Never in logs, notices or audit details."""

    __tablename__ = "case_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="note")
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The key of the form that wrote it: sent twice, it is written once (migration 0030).
    form_key: Mapped[str | None] = mapped_column(sa.String(32), index=True, unique=True)

    __table_args__ = (sa.CheckConstraint("kind IN ('note', 'reopened')", name="kind"),)


class CaseTask(Base):
    """A follow-up for someone in the case's team to do by a date. What to do is sealed with
    the person's data key; the dates and who stay in the clear for reminders."""

    __tablename__ = "case_tasks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    assignee_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the assignee was told the task is due today, and that it is overdue: once each.
    due_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The key of the form that added it: sent twice, it is added once (migration 0030).
    form_key: Mapped[str | None] = mapped_column(sa.String(32), index=True, unique=True)


URGENT = "urgent"
# Overdue: past the answer deadline and still waiting (Referral.overdue), as the partial
# index of overdue referrals is written.
OVERDUE = "overdue_at IS NOT NULL AND state = 'pending'"


class Referral(Base):
    """A case sent to one partner organisation. The packet (the consented fields the screener
    chose to send, and the note) is sealed with the person's data key; the state, urgency and
    deadline stay in the clear for inboxes and escalation."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("partner_organisations.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    sent_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    # A short reference for talking about the referral by phone without naming the person:
    # random (referral.receipts), never derived from the id. Every referral gets one when
    # sent; the column may hold NULL only because SQLite cannot make a column of a table
    # other tables point at NOT NULL inside a migration.
    reference: Mapped[str | None] = mapped_column(sa.String(9), index=True, unique=True)
    urgency: Mapped[str] = mapped_column(sa.String(6))
    services: Mapped[tuple[str, ...]] = mapped_column(StringList(200), default=())
    share: Mapped[tuple[str, ...]] = mapped_column(StringList(200), default=())
    packet: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    decline_reason: Mapped[str | None] = mapped_column(sa.String(24))
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    # Why the system withdrew it (the partner lost its standing); None for a sender's own.
    withdraw_reason: Mapped[str | None] = mapped_column(sa.String(24))
    # What the sending rests on: the person's consent, or for a child the child-protection
    # basis that needs none (referrals.legal_basis).
    basis: Mapped[str] = mapped_column(sa.String(24), default="consent")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its place in an inbox (workflow.sql_inbox_rank), kept by the database from the state
    # and urgency, so that the inbox indexes below serve the inbox's order.
    inbox_rank: Mapped[int] = mapped_column(
        sa.SmallInteger, sa.Computed(workflow.sql_inbox_rank(URGENT), persisted=True)
    )

    # The case it was sent from. Whoever is in charge of the case now is in charge of its
    # referrals, whoever sent them (``sent_by`` is history): the policy reads the owner here.
    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True, viewonly=True)

    @hybrid_property
    def overdue(self) -> bool:
        """Past its answer deadline and still unanswered: the one definition of "overdue",
        for pages, the API and list queries alike."""
        return self.overdue_at is not None and self.state == "pending"

    @overdue.inplace.expression
    @classmethod
    def _overdue_expression(cls) -> sa.ColumnElement[bool]:
        # The state written into the SQL, not bound: PostgreSQL matches a query to the
        # partial index of overdue referrals only by a constant it can see in any plan.
        pending = sa.literal("pending", literal_execute=True)
        return sa.and_(cls.overdue_at.is_not(None), cls.state == pending)

    __table_args__ = (
        sa.CheckConstraint(workflow.sql_in("state", workflow.STATES), name="state"),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name="urgency"),
        sa.Index("ix_referrals_partner_state", "partner_id", "state"),
        # The inboxes, in their order (referral.inbox): a partner's, a team's, and the
        # team's overdue referrals for its supervisors.
        sa.Index("ix_referrals_partner_inbox", "partner_id", "inbox_rank", "created_at", "id"),
        sa.Index("ix_referrals_team_inbox", "team_id", "inbox_rank", "created_at", "id"),
        sa.Index(
            "ix_referrals_team_overdue",
            "team_id",
            "inbox_rank",
            "created_at",
            "id",
            postgresql_where=sa.text(OVERDUE),
            sqlite_where=sa.text(OVERDUE),
        ),
        # One open referral per case and partner, enforced by the database for every worker.
        sa.Index(
            "uq_referrals_open_per_partner",
            "case_id",
            "partner_id",
            unique=True,
            postgresql_where=sa.text(workflow.sql_in("state", workflow.OPEN)),
            sqlite_where=sa.text(workflow.sql_in("state", workflow.OPEN)),
        ),
    )


class Notice(Base):
    """An in-app notice: that something awaits the user, and where (a referral or a case).
    Never personal data."""

    __tablename__ = "notices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("referrals.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A user's unread notices, newest first: the header's count reads only these. All of a
    # user's notices by time: the notices page reads the read ones along it (and a user's
    # notices by user alone, as the index on user_id it replaces did).
    __table_args__ = (
        sa.Index("ix_notices_user_time", "user_id", "created_at"),
        sa.Index(
            "ix_notices_unread",
            "user_id",
            "created_at",
            postgresql_where=sa.text("read_at IS NULL"),
            sqlite_where=sa.text("read_at IS NULL"),
        ),
    )


class OutboxMessage(Base):
    """The e-mail of one notice, written in the notice's transaction and sent later by
    ``notices send`` (``referral.outbox``). It holds what the e-mail needs: the staff member's
    address, the notice's kind and the link — never who the notice is about.

    ``state`` goes pending → sending (claimed by one sender, ``claimed_by``, until
    ``lease_until``) → sent; a failure that may pass goes back to pending at
    ``next_attempt_at``; too many failures, or a refusal for good, make it dead; a claim whose
    sender never said how the send ended becomes unknown. Dead and unknown wait for an
    administrator to retry or dismiss them; nothing sends them again by itself."""

    __tablename__ = "outbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # One e-mail per notice, whatever else goes wrong: the database refuses a second row.
    notice_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("notices.id"), unique=True)
    # The notice's user, whose address an administrator's retry reads afresh.
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(32))
    link: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(9), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[uuid.UUID | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A status code or the kind of error, never the relay's text (which may quote addresses).
    last_error: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'dead', 'unknown', 'dismissed')", name="state"
        ),
        sa.Index("ix_outbox_messages_state_due", "state", "next_attempt_at"),
    )
