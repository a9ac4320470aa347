"""The five roles and what each one belongs to."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role; each user has exactly one."""

    SCREENER = "screener"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    AUDITOR = "auditor"
    ANALYST = "analyst"
    ADMIN = "admin"


ALL_ROLES = frozenset(Role)
TEAM_ROLES = frozenset({Role.SCREENER, Role.SUPERVISOR})
PARTNER_ROLES = frozenset({Role.PARTNER})
