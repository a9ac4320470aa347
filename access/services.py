"""Managing users: create, disable, enable, unlock, reset the second factor, change passwords,
single-use password links. Each function takes a session and values, and never commits."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit, passwords, totp
from access.models import PartnerOrganisation, PasswordLink, Team, User
from access.roles import PARTNER_ROLES, TEAM_ROLES, Role
from access.sessions import end_all_sessions
from access.tokens import digest
from core import datakeys

RESERVED_NAMES = frozenset({"admin", "administrator", "root", "system", "deleted", "passage",
                            "support", "security", "postmaster", "noreply", "no-reply"})


class UserError(ValueError):
    """A user-management request that cannot be carried out; the message is fit to show."""


def normalise_email(email: str) -> str:
    """Lower-case, NFKC, validated form of ``email``; raises :class:`UserError` when invalid."""
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise UserError(_l("Enter a valid e-mail address.")) from error
    return valid.normalized.casefold()


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


def list_users(store: Session) -> list[User]:
    """Every user, by e-mail address."""
    return list(store.scalars(sa.select(User).order_by(User.email)))


def list_partner_organisations(store: Session) -> list[PartnerOrganisation]:
    """Every partner organisation, by name."""
    return list(store.scalars(sa.select(PartnerOrganisation).order_by(PartnerOrganisation.name)))


def ensure_partner_organisation(store: Session, slug: str, name: str) -> PartnerOrganisation:
    """The partner organisation ``slug``, created with ``name`` if it does not exist yet."""
    organisation = store.scalar(sa.select(PartnerOrganisation)
                                .where(PartnerOrganisation.slug == slug))
    if organisation is None:
        organisation = PartnerOrganisation(id=uuid.uuid4(), slug=slug, name=name, active=True)
        store.add(organisation)
        store.flush()
    return organisation


def create_user(store: Session, email: str, role: Role | str, now: datetime, *,
                team: str | None = None, partner: str | None = None,
                password: str | None = None) -> User:
    """Create a user with a pending second factor; ``password`` is optional (a set-up link
    can be issued instead)."""
    address = normalise_email(email)
    role = _role(role)
    if address.split("@", 1)[0] in RESERVED_NAMES:
        raise UserError(_l("This address is reserved. Choose another."))
    if store.scalar(sa.select(User.id).where(User.email == address)) is not None:
        raise UserError(_l("A user with this e-mail address already exists."))
    user = User(id=uuid.uuid4(), email=address, role=role, created_at=now, totp_last_step=0,
                failed_logins=0)
    _new_totp_secret(store, user, now)
    _assign(store, user, role, team, partner)
    if password is not None:
        passwords.check_policy(password, address, _partner_words(user))
        user.password_hash = passwords.hash_password(password)
    store.add(user)
    store.flush()
    audit.record(store, "user.created", object_type="user", object_id=user.id,
                 details={"role": str(role)})
    return user


def _new_totp_secret(store: Session, user: User, now: datetime) -> None:
    if user.data_key_id is None:
        cipher = datakeys.create(store, "user", now)
        user.data_key_id = cipher.key_id
    else:
        cipher = datakeys.cipher(store, user.data_key_id)
    user.totp_secret_sealed = cipher.seal("users", "totp_secret", user.id, totp.new_secret())


def totp_secret(store: Session, user: User) -> str:
    """``user``'s second-factor secret, opened with their data key."""
    if user.data_key_id is None or user.totp_secret_sealed is None:
        return ""
    return datakeys.cipher(store, user.data_key_id).open(
        "users", "totp_secret", user.id, user.totp_secret_sealed) or ""


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as error:
        raise UserError(_l("Choose one of the roles.")) from error


def _assign(store: Session, user: User, role: Role, team: str | None,
            partner: str | None) -> None:
    if role in TEAM_ROLES:
        if not team or not team.strip():
            raise UserError(_l("Screeners and supervisors belong to a team; name it."))
        user.team = _team(store, team.strip())
    elif team:
        raise UserError(_l("Only screeners and supervisors belong to a team."))
    if role in PARTNER_ROLES:
        organisation = store.scalar(
            sa.select(PartnerOrganisation).where(PartnerOrganisation.slug == (partner or "")))
        if organisation is None:
            raise UserError(_l("Partner staff belong to a known partner organisation; choose it."))
        user.partner = organisation
    elif partner:
        raise UserError(_l("Only partner staff belong to a partner organisation."))


def _team(store: Session, name: str) -> Team:
    team = store.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(id=uuid.uuid4(), name=name)
        store.add(team)
    return team


def _partner_words(user: User) -> tuple[str, ...]:
    return (user.partner.slug, user.partner.name) if user.partner else ()


def set_password(store: Session, user: User, password: str, via: str) -> None:
    """Replace ``user``'s password after checking the policy; ends all their sessions."""
    passwords.check_policy(password, user.email, _partner_words(user))
    user.password_hash = passwords.hash_password(password)
    end_all_sessions(store, user.id)
    audit.record(store, "password.changed", object_type="user", object_id=user.id,
                 actor=audit.actor_for(user), details={"via": via})


def _audit_user(store: Session, action: str, user: User) -> None:
    audit.record(store, action, object_type="user", object_id=user.id)


def disable_user(store: Session, user: User, now: datetime) -> None:
    """Stop ``user`` signing in or using tokens; ends all their sessions."""
    user.disabled_at = now
    end_all_sessions(store, user.id)
    _audit_user(store, "user.disabled", user)


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
    next sign-in. Ends all their sessions."""
    _new_totp_secret(store, user, now)
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    end_all_sessions(store, user.id)
    _audit_user(store, "second_factor.reset", user)


def end_sessions(store: Session, user: User) -> None:
    """End every session of ``user`` (a lost device, a leaver)."""
    end_all_sessions(store, user.id)
    _audit_user(store, "sessions.ended", user)


def issue_password_link(store: Session, user: User, now: datetime, hours: int) -> str:
    """Create a single-use link token for ``user`` to choose a password; return the token.

    Earlier unused links of the user stop working. Only the token's SHA-256 is stored.
    """
    store.execute(sa.update(PasswordLink).where(PasswordLink.user_id == user.id,
                                                PasswordLink.used_at.is_(None))
                  .values(used_at=now))
    token = secrets.token_urlsafe(32)
    store.add(PasswordLink(id=uuid.uuid4(), user_id=user.id, token_hash=digest(token),
                           created_at=now, expires_at=now + timedelta(hours=hours)))
    _audit_user(store, "password_link.issued", user)
    return token


def find_password_link(store: Session, token: str, now: datetime) -> PasswordLink | None:
    """The usable link for ``token``: unknown, used or expired links answer None."""
    link = store.scalar(sa.select(PasswordLink).where(PasswordLink.token_hash == digest(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    if link.user.disabled_at is not None:
        return None
    return link


def check_new_password(user: User, password: str) -> None:
    """Raise ``PasswordRejected`` unless ``user`` may choose ``password``."""
    passwords.check_policy(password, user.email, _partner_words(user))


def use_password_link(store: Session, link: PasswordLink, password: str,
                      now: datetime) -> None:
    """Set the password through ``link`` and spend it; the caller has checked the second
    factor (``access.authn.complete_password_link``). A lock-out is lifted: the link came
    from an administrator, and the user proved they hold it (and their second factor, once
    enrolled), which no one guessing passwords can."""
    user = link.user
    set_password(store, user, password, via="link")
    link.used_at = now
    if user.locked_at is not None:
        user.locked_at = None
        audit.record(store, "user.unlocked", object_type="user", object_id=user.id,
                     actor=audit.actor_for(user), details={"via": "link"})
    user.failed_logins = 0
