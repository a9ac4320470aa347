"""Tables of the access package: teams, partner organisations, users, break-glass grants,
sessions, tokens, account changes awaiting approval, sign-in throttling and rate-limit
refusals."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from access.roles import Role
from access.standing import in_standing
from core import clock
from core.datakeys import DataKey
from core.db import Base, UTCDateTime, new_id

# The width of a team's name, wherever a team is named (the team, an account change).
TEAM_NAME_MAX = 80


class Team(Base):
    """A team of screeners and their supervisors; cases are scoped to a team."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(TEAM_NAME_MAX), unique=True)


class PartnerOrganisation(Base):
    """A partner organisation whose staff receive referrals, and its vetting: the one record
    of its standing (``access.standing``), which both its staff's authority and routing read.
    What it offers, where and to whom lives in ``referral``'s directory."""

    __tablename__ = "partner_organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Not vetted until someone vets it: an organisation made for its staff's accounts before
    # its directory entry has no standing yet.
    vetting_status: Mapped[str] = mapped_column(
        sa.String(10), default="pending", server_default="pending"
    )
    vetting_valid_until: Mapped[date | None] = mapped_column(sa.Date)


class User(Base):
    """A member of staff who signs in. Never a screened person."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role IN ('screener', 'supervisor')) = (team_id IS NOT NULL)", name="team_role"
        ),
        sa.CheckConstraint("(role = 'partner') = (partner_id IS NOT NULL)", name="partner_role"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id"))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("partner_organisations.id"))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # The second-factor secret, sealed with the user's own data key (core.datakeys).
    data_key_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("data_keys.id"))
    # Set on a new row, it makes the unit of work insert the new key first
    # (docs/architecture.md, "One flush").
    data_key: Mapped[DataKey | None] = relationship(lazy="raise")
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(lazy="joined")
    partner: Mapped[PartnerOrganisation | None] = relationship(lazy="joined")

    # Flask-Login's interface.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        """Whether the user may sign in and keep using the service right now (today by the
        app's clock, so a partner's vetting that lapsed overnight counts at once)."""
        return self.active_on(clock.now().date())

    def active_on(self, today: date, *, lock_counts: bool = True) -> bool:
        """Whether the user may sign in and use the service on ``today``: not disabled, not
        locked (unless ``lock_counts`` is off), and for partner staff, their organisation in
        standing."""
        partner_ok = self.partner is None or in_standing(self.partner, today)
        unlocked = self.locked_at is None or not lock_counts
        return self.disabled_at is None and unlocked and partner_ok

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class CaseAccessGrant(Base):
    """A supervisor's break-glass access to another team's case, with the written reason
    auditors review. It lapses on its own and lets its holder read, nothing more
    (``access.policy.GRANTED_ACTIONS``). The case table belongs to ``referral``; it is named
    here only as a foreign key."""

    __tablename__ = "case_access_grants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The reason, sealed with the data key of the person whose case was opened (migration
    # 0029): it goes with their record. ``reason`` holds, in the clear, only those written
    # before, until the person's shredding erases them; "" otherwise.
    reason: Mapped[str] = mapped_column(sa.Text)
    reason_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    data_key_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("data_keys.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A browser session kept on the server; the cookie holds only a random token whose
    SHA-256 is this row's id, so a copy of the database cannot be replayed as a cookie."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")


class _UserSecret:
    """Columns of a random secret handed to a user: only its SHA-256 is stored, and it
    expires."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @declared_attr
    def user(cls) -> Mapped[User]:  # noqa: N805 - SQLAlchemy's declared_attr convention
        return relationship(lazy="joined")


class ApiToken(_UserSecret, Base):
    """A bearer token for the JSON API."""

    __tablename__ = "api_tokens"

    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordLink(_UserSecret, Base):
    """A single-use link to set a first password or reset a forgotten one."""

    __tablename__ = "password_links"

    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


RESET_SECOND_FACTOR = "reset_second_factor"


class AccountChange(Base):
    """A change to an account that waits for a second person: creating an account, changing
    its role or membership, or resetting its second factor. Only an approval carries it out;
    unapproved, it expires at ``expires_at``."""

    __tablename__ = "account_changes"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('create', 'change', 'reset_second_factor')", name="kind"),
        sa.CheckConstraint("outcome IN ('approved', 'refused', 'expired')", name="outcome"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(sa.String(20))
    # The account concerned; for a creation it is filled in when the account is made.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # What the account is to become (creation and change); the e-mail only for a creation.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    team: Mapped[str | None] = mapped_column(sa.String(TEAM_NAME_MAX))
    partner: Mapped[str | None] = mapped_column(sa.String(64))
    requested_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(10))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")
    requester: Mapped[User] = relationship(foreign_keys=[requested_by], lazy="joined")

    @property
    def team_concerned(self) -> str | None:
        """The team whose supervisors may approve: the team the account is to belong to
        (for a second-factor reset, the team it belongs to)."""
        if self.kind == RESET_SECOND_FACTOR:
            user = self.user
            return user.team.name if user is not None and user.team is not None else None
        # Taking an administrator, auditor, analyst or partner's staff out of that role is
        # not a team's decision: another administrator's.
        user = self.user
        if user is not None and user.role not in ("screener", "supervisor"):
            return None
        return self.team if self.role in ("screener", "supervisor") else None


class SignInThrottle(Base):
    """Consecutive failed sign-ins for one account name (a keyed HMAC of its canonical form,
    whether or not such an account exists), and until when further attempts are refused."""

    __tablename__ = "sign_in_throttles"

    account_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitWindow(Base):
    """The requests one client had refused by one rate limit within one window: the first
    refusal wrote an audit event naming this window; later ones only raise ``refused`` here, so a
    flood cannot grow the append-only log. The client is a keyed HMAC, never an address."""

    __tablename__ = "rate_limit_windows"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rate_limit: Mapped[str] = mapped_column(sa.String(60))
    endpoint: Mapped[str | None] = mapped_column(sa.String(100))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    refused: Mapped[int]
    last_refused_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One append-only event of the tamper-evident audit log. Holds ids, never personal data.

    A request inserts its events unsealed: ``id`` orders them, ``entry_mac`` (an HMAC-SHA256
    under the audit key over the event's own content) lets the sealer refuse an event altered
    while it waited. The sealer then gives each event its place in the chain: ``seq``, and
    ``mac``, an HMAC-SHA256 over ``prev_mac`` (the previous event's ``mac``) and this event's
    canonical serialisation. Triggers refuse any other change, and any change once sealed
    (docs/security.md, Audit trail).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(36))
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    actor_org: Mapped[str | None] = mapped_column(sa.String(36))
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(10))
    client_ip: Mapped[str | None] = mapped_column(sa.String(45))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[str] = mapped_column(sa.Text, default="{}")
    entry_mac: Mapped[str | None] = mapped_column(sa.String(64))
    # 128 random bits under the entry MAC, so that no two events' entry MACs are alike and a
    # copy of an event, entry MAC and all, is refused at its INSERT (the unique index below).
    # NULL only on events written before it existed (0026: ``AuditHead.unbound_until``).
    nonce: Mapped[str | None] = mapped_column(sa.String(32))
    prev_mac: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    mac: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        # The auditor's filters, newest first (access.audit.ORDER): each index ends with
        # the id, so a filtered page is one index range however long the log.
        sa.Index("ix_audit_events_action_id", "action", "id"),
        sa.Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        sa.Index("ix_audit_events_object_id_id", "object_id", "id"),
        sa.Index(
            "ux_audit_events_entry_mac",
            "entry_mac",
            unique=True,
            postgresql_where=sa.text("nonce IS NOT NULL"),
            sqlite_where=sa.text("nonce IS NOT NULL"),
        ),
        # The sealer's queue: only unsealed events are in it, so it stays small.
        sa.Index(
            "ix_audit_events_unsealed",
            "id",
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        ),
    )


class AuditHead(Base):
    """The single row naming the chain's last sealed event; only the sealer locks it."""

    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    mac: Mapped[str] = mapped_column(sa.String(64))
    # The last event id written before events carried a nonce (migration 0026): an event
    # without one above it is a copy, and is never sealed.
    unbound_until: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
