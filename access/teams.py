"""Teams: as administrators choose them for an account (the names to choose from, and
whether a name for a new team is new, rather than an existing team spelt another way), a
team's members and name, and making a team when an account first names it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.models import Team, User
from access.roles import TEAM_ROLES


def names(store: Session) -> list[str]:
    """Every team's name, in alphabetical order."""
    return list(store.scalars(sa.select(Team.name).order_by(Team.name)))


def exists(store: Session, name: str) -> bool:
    """Whether a team is called exactly ``name``."""
    return store.scalar(sa.select(Team.id).where(Team.name == name)) is not None


def _key(name: str) -> str:
    # "Demo North", "demo  north" and "Demo-North" are one team to the people who type them.
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def same_team(store: Session, name: str) -> str | None:
    """The existing team ``name`` would duplicate (the same letters and digits, whatever
    the case, spaces or punctuation), or None. Teams are few: they are read whole."""
    wanted = _key(name)
    return next((existing for existing in names(store) if _key(existing) == wanted), None)


def team_members(store: Session, team_id: uuid.UUID) -> list[User]:
    """The screeners and supervisors of a team, by e-mail address (whether they may act now
    is ``User.is_active``'s to say, at each use)."""
    return list(
        store.scalars(
            sa.select(User)
            .where(User.team_id == team_id, User.role.in_([r.value for r in TEAM_ROLES]))
            .order_by(User.email)
        )
    )


def team_name(store: Session, team_id: uuid.UUID) -> str | None:
    """The name of the team ``team_id``, if there is one."""
    team = store.get(Team, team_id)
    return team.name if team is not None else None


def ensure_team(store: Session, name: str) -> Team:
    """The team of this name, created if it does not exist yet."""
    team = store.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(id=uuid.uuid4(), name=name)
        store.add(team)
    return team
