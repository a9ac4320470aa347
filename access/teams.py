"""Teams as administrators choose them for an account: the names to choose from, and
whether a name for a new team is new, rather than an existing team spelt another way."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.models import Team


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
