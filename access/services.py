"""Managing users: create, disable, enable, unlock, reset the second factor, change roles, end
sessions. Setting a password and single-use password links are in ``access.passwords``. Each
function takes a session and values, and never commits.

Disabling an account is announced on :data:`user_disabled` so that the packages that hand
work to staff (``referral``: the leaver's open cases, docs/case-work.md) can act on it
without this package knowing them: dependencies point one way."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit, grants, passwords, teams, totp
from access.models import TEAM_NAME_MAX, ApiToken, PartnerOrganisation, Team, User, WebSession
from access.roles import PARTNER_ROLES, TEAM_ROLES, Role
from access.sessions import end_all_sessions
from access.tokens import revoke_all
from core import datakeys, db
from core.errors import RefusedError
from core.hooks import Hook
from core.paging import Page

# Told with ``store``, ``user_id`` and ``now`` once an account is disabled, in the same
# transaction: what receivers write is committed with the change or not at all (the referral
# package asks the team's supervisors to hand over the open cases; core/hooks.py).
user_disabled = Hook("access.user-disabled")
# Told with ``store``, ``user_id``, ``partner_before`` (the partner organisation the account
# belonged to, or None) and ``now`` once an account's role, team or partner organisation
# changed, in the same transaction (the referral package withdraws the referrals of a partner
# left with nobody to open them).
user_moved = Hook("access.user-moved")

RESERVED_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "system",
        "deleted",
        "passage",
        "support",
        "security",
        "postmaster",
        "noreply",
        "no-reply",
    }
)


class UserError(RefusedError):
    """A user-management request that cannot be carried out; the message is fit to show,
    and ``fields`` names the field it is about (``email``, ``role``, ``team``, ``partner``;
    ``code`` or ``current`` for a credential)."""


EMAIL_MAX = 254  # the width of users.email and account_changes.email (RFC 5321)


def normalise_email(email: str) -> str:
    """Lower-case, NFKC, validated form of ``email``; raises :class:`UserError` when invalid."""
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise UserError.on("email", _l("Enter a valid e-mail address.")) from error
    address = valid.normalized.casefold()
    # Case folding can lengthen an address past what was checked (and past its column).
    if len(address) > EMAIL_MAX:
        raise UserError.on("email", _l("Enter a valid e-mail address."))
    return address


def partner_suspended(store: Session, slug: str | None) -> bool:
    """Whether the partner organisation ``slug`` names is suspended."""
    status = store.scalar(
        sa.select(PartnerOrganisation.vetting_status).where(PartnerOrganisation.slug == slug)
    )
    return status == "suspended"


def find_user(store: Session, email: str) -> User | None:
    """The user with ``email``, or None (also for an address that is not valid)."""
    try:
        address = normalise_email(email)
    except UserError:
        return None
    return store.scalar(sa.select(User).where(User.email == address))


def get_user(store: Session, user_id: uuid.UUID) -> User | None:
    """The user with id ``user_id``, or None."""
    return store.get(User, user_id)


def list_users(store: Session, page: Page | None = None) -> tuple[list[User], int]:
    """Users by e-mail address (every one, or a page of them), and how many there are."""
    query = sa.select(User).order_by(User.email, User.id)
    if page is not None:
        query = query.offset(page.offset).limit(page.size)
    return list(store.scalars(query)), store.scalar(sa.select(sa.func.count(User.id))) or 0


def list_partner_organisations(store: Session) -> list[PartnerOrganisation]:
    """Every partner organisation, by name."""
    return list(store.scalars(sa.select(PartnerOrganisation).order_by(PartnerOrganisation.name)))


def organisation_names(store: Session) -> dict[str, str]:
    """The name of every team and partner organisation, by id as the audit log writes it."""
    named = store.execute(sa.select(Team.id, Team.name)).all()
    partners = store.execute(sa.select(PartnerOrganisation.id, PartnerOrganisation.name)).all()
    return {str(i): name for i, name in [*named, *partners]}


def answering_organisations(store: Session) -> set[uuid.UUID]:
    """The partner organisations with at least one staff account that may answer referrals:
    a partner-staff account of the organisation, not disabled. A locked account counts: a
    lock ends on its own or at an administrator's word, and failed sign-ins alone must not
    take a partner out of routing. Read at each use, never kept."""
    return set(
        store.scalars(
            sa.select(User.partner_id)
            .where(
                User.partner_id.is_not(None),
                User.role.in_([r.value for r in PARTNER_ROLES]),
                User.disabled_at.is_(None),
            )
            .distinct()
        )
    )


def find_partner_organisation(store: Session, slug: str) -> PartnerOrganisation | None:
    """The partner organisation ``slug``, if there is one."""
    return store.scalar(sa.select(PartnerOrganisation).where(PartnerOrganisation.slug == slug))


def ensure_partner_organisation(store: Session, slug: str, name: str) -> PartnerOrganisation:
    """The partner organisation ``slug``, created with ``name`` if it does not exist yet."""
    organisation = find_partner_organisation(store, slug)
    if organisation is None:
        organisation = PartnerOrganisation(id=uuid.uuid4(), slug=slug, name=name)
        store.add(organisation)
        store.flush()
    return organisation


def create_user(
    store: Session,
    email: str,
    role: Role | str,
    now: datetime,
    *,
    team: str | None = None,
    partner: str | None = None,
    password: str | None = None,
    new_team: bool | None = None,
) -> User:
    """Create a user with a pending second factor; ``password`` is optional (a set-up link
    can be issued instead). ``new_team`` as for :func:`check_membership`."""
    address, role = check_new_user(store, email, role, team, partner, new_team=new_team)
    user = User(
        id=uuid.uuid4(), email=address, role=role, created_at=now, totp_last_step=0, failed_logins=0
    )
    _new_totp_secret(store, user, now)
    _assign(store, user, role, team, partner)
    if password is not None:
        passwords.check_new_password(user, password)
        user.password_hash = passwords.hash_password(password)
    store.add(user)
    store.flush()
    audit.record(
        store,
        "user.created",
        object_type="user",
        object_id=user.id,
        details=_membership(user, role),
    )
    return user


def _membership(user: User, role: Role) -> dict[str, str]:
    # Who was let into which team's cases, or which partner's inbox: ids, never names.
    details = {"role": str(role)}
    if user.team_id is not None:
        details["team"] = str(user.team_id)
    if user.partner_id is not None:
        details["partner"] = str(user.partner_id)
    return details


def check_new_user(
    store: Session,
    email: str,
    role: Role | str,
    team: str | None,
    partner: str | None,
    *,
    new_team: bool | None = None,
) -> tuple[str, Role]:
    """The normalised address and role of an account that could be created with these
    details now; raises :class:`UserError` naming what is wrong. Changes nothing."""
    address = normalise_email(email)
    role = _role(role)
    if address.split("@", 1)[0] in RESERVED_NAMES:
        raise UserError.on("email", _l("This address is reserved. Choose another."))
    if store.scalar(sa.select(User.id).where(User.email == address)) is not None:
        raise UserError.on("email", _l("A user with this e-mail address already exists."))
    check_membership(store, role, team, partner, new_team=new_team)
    return address, role


def check_membership(
    store: Session,
    role: Role | str,
    team: str | None,
    partner: str | None,
    *,
    new_team: bool | None = None,
) -> Role:
    """``role`` if the team or partner organisation given suits it; raises
    :class:`UserError` otherwise. Changes nothing (a new team is made only when used).
    ``new_team`` False: the team must exist; True: it must not, in any spelling; None (the
    operator's console): either."""
    role = _role(role)
    if team and team.strip() and new_team is not None:
        _check_team_choice(store, team.strip(), new_team)
    if role in TEAM_ROLES and (not team or not team.strip()):
        raise UserError.on("team", _l("Screeners and supervisors belong to a team; name it."))
    if role not in TEAM_ROLES and team:
        raise UserError.on("team", _l("Only screeners and supervisors belong to a team."))
    if team and len(team.strip()) > TEAM_NAME_MAX:
        # Wider than its column: PostgreSQL would refuse it at the commit, SQLite keep it.
        raise UserError.on(
            "team", _l("a team name has at most %(count)d characters", count=TEAM_NAME_MAX)
        )
    if (
        role in PARTNER_ROLES
        and store.scalar(
            sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == (partner or ""))
        )
        is None
    ):
        raise UserError.on(
            "partner", _l("Partner staff belong to a known partner organisation; choose it.")
        )
    if role not in PARTNER_ROLES and partner:
        raise UserError.on("partner", _l("Only partner staff belong to a partner organisation."))
    return role


def _check_team_choice(store: Session, team: str, new_team: bool) -> None:
    if not new_team and not teams.exists(store, team):
        raise UserError.on("team", _l("Choose one of the teams, or name a new team."))
    existing = teams.same_team(store, team) if new_team else None
    if existing is not None:
        raise UserError.on(
            "new_team",
            _l("There is already a team called %(name)s: choose it from the list.", name=existing),
        )


def change_role(
    store: Session,
    user: User,
    role: Role | str,
    now: datetime,
    *,
    team: str | None = None,
    partner: str | None = None,
    new_team: bool | None = None,
) -> None:
    """Give ``user`` a new role, team or partner organisation. What they could reach before
    ends with it: every session, API token and break-glass grant. Announced on
    :data:`user_moved`."""
    role = check_membership(store, role, team, partner, new_team=new_team)
    partner_before = user.partner_id
    # Role and membership change together: flushing between them would break the table's
    # rule that exactly the team roles have a team.
    with store.no_autoflush:
        user.team, user.partner = None, None
        _assign(store, user, role, team, partner)
        user.role = role
    end_all_sessions(store, user.id)
    revoke_all(store, user.id, now)
    grants.end_all(store, user.id, now)
    store.flush()
    audit.record(
        store,
        "user.role_changed",
        object_type="user",
        object_id=user.id,
        details=_membership(user, role),
    )
    user_moved.tell(store=store, user_id=user.id, partner_before=partner_before, now=now)


def _new_totp_secret(store: Session, user: User, now: datetime) -> None:
    if user.data_key_id is None:
        cipher = datakeys.create(store, "user", now)
        user.data_key_id, user.data_key = cipher.key_id, datakeys.created(store, cipher)
    else:
        cipher = datakeys.cipher(store, user.data_key_id)
    user.totp_secret_sealed = cipher.seal("users", "totp_secret", user.id, totp.new_secret())


def totp_secret(store: Session, user: User) -> str:
    """``user``'s second-factor secret, opened with their data key."""
    if user.data_key_id is None or user.totp_secret_sealed is None:
        return ""
    return (
        datakeys.cipher(store, user.data_key_id).open(
            "users", "totp_secret", user.id, user.totp_secret_sealed
        )
        or ""
    )


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as error:
        raise UserError.on("role", _l("Choose one of the roles.")) from error


def _assign(store: Session, user: User, role: Role, team: str | None, partner: str | None) -> None:
    if role in TEAM_ROLES:
        if not team or not team.strip():
            raise UserError.on("team", _l("Screeners and supervisors belong to a team; name it."))
        user.team = teams.ensure_team(store, team.strip())
    elif team:
        raise UserError.on("team", _l("Only screeners and supervisors belong to a team."))
    if role in PARTNER_ROLES:
        organisation = store.scalar(
            sa.select(PartnerOrganisation).where(PartnerOrganisation.slug == (partner or ""))
        )
        if organisation is None:
            raise UserError.on(
                "partner", _l("Partner staff belong to a known partner organisation; choose it.")
            )
        user.partner = organisation
    elif partner:
        raise UserError.on("partner", _l("Only partner staff belong to a partner organisation."))


def _audit_user(store: Session, action: str, user: User) -> None:
    audit.record(store, action, object_type="user", object_id=user.id)


def disable_user(store: Session, user: User, now: datetime) -> None:
    """Stop ``user`` signing in; ends all their sessions, revokes all their tokens, ends
    their break-glass grants and cancels their unused password links, so enabling the
    account again revives none.
    Announced on :data:`user_disabled`."""
    user.disabled_at = now
    end_all_sessions(store, user.id)
    revoke_all(store, user.id, now)
    grants.end_all(store, user.id, now)
    passwords.cancel_password_links(store, user, now)
    _audit_user(store, "user.disabled", user)
    user_disabled.tell(store=store, user_id=user.id, now=now)


def enable_user(store: Session, user: User) -> None:
    """Let a disabled user sign in again."""
    user.disabled_at = None
    _audit_user(store, "user.enabled", user)


def unlock_user(store: Session, user: User) -> None:
    """Lift a lock-out after repeated failures."""
    user.locked_at = None
    user.failed_logins = 0
    _audit_user(store, "user.unlocked", user)


def reset_second_factor(store: Session, user: User, now: datetime) -> None:
    """Replace the second factor with a fresh, unconfirmed one; the user enrols again at the
    next sign-in. Ends all their sessions, revokes their API tokens and cancels their unused
    password links (each would now set a password with no code)."""
    _new_totp_secret(store, user, now)
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    end_all_sessions(store, user.id)
    revoke_all(store, user.id, now)
    passwords.cancel_password_links(store, user, now)
    _audit_user(store, "second_factor.reset", user)


def end_partner_staff_authority(
    store: Session, organisation_id: uuid.UUID, now: datetime
) -> dict[str, int]:
    """The organisation lost its standing: every session of its staff ends and every live
    API token of theirs is revoked, so that re-vetting restores signing in afresh, never an
    old session or token. Audited (ids and counts) when anything ended; running it again
    changes nothing."""
    staff = sa.select(User.id).where(User.partner_id == organisation_id)
    sessions = store.execute(sa.delete(WebSession).where(WebSession.user_id.in_(staff)))
    revoked = store.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id.in_(staff), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    counts = {
        "sessions": db.rowcount(sessions),
        "tokens": db.rowcount(revoked),
    }
    if any(counts.values()):
        audit.record(
            store,
            "partner.staff_signed_out",
            object_type="partner",
            object_id=organisation_id,
            details=counts,
        )
    return counts


def end_sessions(store: Session, user: User, now: datetime) -> None:
    """End every session of ``user`` and revoke their API tokens (a lost device, a leaver):
    a token on the lost device would otherwise go on reading the API."""
    end_all_sessions(store, user.id)
    revoke_all(store, user.id, now)
    _audit_user(store, "sessions.ended", user)
