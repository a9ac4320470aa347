"""The access policy, in one place: which role may take which action, which objects a user
may touch (their team's, their organisation's, or a case under a live break-glass grant,
read only), in which state an object allows an action, and the same scopes as SQL filters for
lists.

``authorize`` answers "may this user do this to this object now?" for pages (through
``can()`` in templates), the API and services alike, so a button a page hides is a request
the service refuses; ``require`` answers an object outside the user's scope as a missing one,
and audits the refusal. Views declare the action they need with :mod:`access.guard`, which
enforces it before every request. See docs/access-policy.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import request
from werkzeug.exceptions import NotFound

from access import audit, grants
from access.roles import ALL_ROLES, PARTNER_ROLES, TEAM_ROLES, Role
from core import clock, db
from core.errors import ApiError, is_api_request
from core.errors import NotNow as NotNow  # re-exported: the state kind of the refusals

T = TypeVar("T")


# Role -> action permission table. Every action a view or service names must be here.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "home.view": ALL_ROLES,
    "account.manage": ALL_ROLES,
    "api.describe": ALL_ROLES,
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.AUDITOR}),
    # Disclosure-controlled statistics (docs/reporting.md): every team's for auditors and
    # analysts; a supervisor's own team's and partner staff their organisation's
    # (reporting.definition.for_user forces them); administrators the usage report. Which
    # report each role reads is the catalogue's ``readers``.
    "stats.read": frozenset(
        {Role.AUDITOR, Role.ANALYST, Role.SUPERVISOR, Role.PARTNER, Role.ADMIN}
    ),
    # Row-level files for outside bodies (the CTDC contribution file): every team's.
    "stats.export": frozenset({Role.AUDITOR, Role.ANALYST}),
    # The release register: what statistics left the service, when, by whom.
    "stats.releases": frozenset({Role.AUDITOR}),
    "instruments.read": ALL_ROLES,
    "screenings.create": TEAM_ROLES,
    "screenings.read": TEAM_ROLES,
    "partners.manage": frozenset({Role.ADMIN}),
    "cases.read": TEAM_ROLES,
    # Referring and other changes made for the person, on open cases.
    "cases.manage": TEAM_ROLES,
    # The person withdraws consent to referral: on a closed case too, so that no partner
    # keeps their details after they said no (docs/case-work.md, "Status").
    "cases.withdraw_consent": TEAM_ROLES,
    # Merging two records of one person: irreversible (the duplicate record is shredded).
    "cases.link": TEAM_ROLES,
    "cases.break_glass": frozenset({Role.SUPERVISOR}),
    # Closing a case with an outcome, and reopening it with a reason (docs/case-work.md).
    "cases.close": TEAM_ROLES,
    "cases.reopen": TEAM_ROLES,
    # Writing and reading the case's sealed notes: the team in charge, never break-glass.
    "cases.notes": TEAM_ROLES,
    # The person's own copy of everything held, with its disclosure log: for the person,
    # through the caseworker in charge or the team's supervisor (never under break-glass).
    "cases.copy": TEAM_ROLES,
    # Putting another screener of the team in charge of a case (docs/case-work.md).
    "cases.hand_over": frozenset({Role.SUPERVISOR}),
    # Correcting the person's details on a case, and reading the previous values the
    # corrections keep (docs/case-work.md): the caseworker in charge or the team's supervisor,
    # never under break-glass.
    "cases.correct": TEAM_ROLES,
    "cases.history": TEAM_ROLES,
    "referrals.read": TEAM_ROLES | PARTNER_ROLES,
    # The role gate of the routes where partners answer; what they may do to one referral
    # now is the accept, decline or close action below.
    "referrals.respond": PARTNER_ROLES,
    "referrals.accept": PARTNER_ROLES,
    "referrals.decline": PARTNER_ROLES,
    "referrals.close": PARTNER_ROLES,
    "referrals.withdraw": TEAM_ROLES,
    # Watching the team's referral deadlines (the overdue list).
    "referrals.oversee": frozenset({Role.SUPERVISOR}),
    "notices.read": ALL_ROLES,
    # The notice e-mails that could not be delivered, or may not have been: seeing them (the
    # staff address, the kind, the link) and sending one again or dismissing it.
    "notices.outbox": frozenset({Role.ADMIN}),
    # Deciding on account changes another person asked for (access.approvals says which).
    "account_changes.decide": frozenset({Role.ADMIN, Role.SUPERVISOR}),
}

# What a break-glass grant lets its holder do with a case outside their team: read it. Never
# refer, link, withdraw or anything else that cannot be undone (docs/access-policy.md).
GRANTED_ACTIONS = frozenset({"cases.read"})


def _in_team(user: Any, obj: Any, person_in_charge: Any) -> bool:
    """The object is the team's, and the user is in charge of it or supervises the team."""
    return bool(
        obj.team_id == user.team_id
        and (user.role == Role.SUPERVISOR or person_in_charge == user.id)
    )


def _receiving(user: Any, referral: Any) -> bool:
    return bool(referral.partner_id == user.partner_id)


def _case_team(user: Any, case: Any) -> bool:
    return _in_team(user, case, case.owner_id)


def _in_charge_of_referral(user: Any, referral: Any) -> bool:
    # Whoever is in charge of the referral's case now, not who sent it: after a hand-over
    # the new caseworker follows up the case's referrals, and the previous one, who no longer
    # reads the case, no longer reads its packets either. ``referral.case`` is the case row.
    return _in_team(user, referral, referral.case.owner_id)


def _referral_reader(user: Any, referral: Any) -> bool:
    return (
        _receiving(user, referral)
        if user.role == Role.PARTNER
        else _in_charge_of_referral(user, referral)
    )


def _screening_in_charge(screening: Any) -> Any:
    # A completed screening is part of its person's case (``screening.case``, the case row):
    # whoever is in charge of the case now reads it, as with the case's referrals. A draft,
    # or a screening whose person has no case, is the screener's who interviews.
    case = screening.case if screening.status == "completed" else None
    return case.owner_id if case is not None else screening.screener_id


def _may_decide(user: Any, change: Any) -> bool:
    # Never on one's own request or one's own account: that is the second person's job.
    if user.id in (change.requested_by, change.user_id):
        return False
    if user.role == Role.ADMIN:
        return True
    return (
        change.team_concerned is not None
        and user.team is not None
        and user.team.name == change.team_concerned
    )


# Object-level scopes: (user, object) -> may the user touch it. An object outside its scope
# answers 404, exactly as one that does not exist.
SCOPES: dict[str, Callable[[Any, Any], bool]] = {
    "account.manage": lambda user, obj: getattr(obj, "user_id", None) == user.id,
    # A screener sees their drafts and the completed screenings of the cases in their charge
    # now; a supervisor those of their team.
    "screenings.read": lambda user, obj: _in_team(user, obj, _screening_in_charge(obj)),
    "cases.read": _case_team,
    "cases.copy": _case_team,
    "cases.manage": _case_team,
    "cases.withdraw_consent": _case_team,
    "cases.link": _case_team,
    "cases.close": _case_team,
    "cases.reopen": _case_team,
    "cases.notes": _case_team,
    # Another screener of the team takes the case over: the team's supervisor decides.
    "cases.hand_over": lambda user, case: case.team_id == user.team_id,
    # A referral: the receiving organisation's staff, the caseworker in charge of its case
    # now, and their supervisor.
    "cases.correct": _case_team,
    "cases.history": _case_team,
    # A referral: the receiving organisation's staff, its sender, the sender's supervisor.
    "referrals.read": _referral_reader,
    "referrals.respond": _receiving,
    "referrals.accept": _receiving,
    "referrals.decline": _receiving,
    "referrals.close": _receiving,
    "referrals.withdraw": _in_charge_of_referral,
    "notices.read": lambda user, obj: obj.user_id == user.id,
    # Another admin, or a supervisor of the team the account is to belong to.
    "account_changes.decide": _may_decide,
}


def _team_rows(user: Any, model: Any, in_charge: Any) -> Any:
    rows = model.team_id == user.team_id
    return rows if user.role == Role.SUPERVISOR else sa.and_(rows, in_charge == user.id)


def _screening_rows(user: Any, m: Any) -> Any:
    # The SQL of ``_screening_in_charge``: completed ones through their case when there is
    # one (an EXISTS over ``m.case``), the others by who interviews.
    mine = sa.or_(
        sa.and_(m.status == "completed", m.case.has(owner_id=user.id)),
        sa.and_(m.screener_id == user.id, sa.or_(m.status != "completed", ~m.case.has())),
    )
    rows = m.team_id == user.team_id
    return rows if user.role == Role.SUPERVISOR else sa.and_(rows, mine)


def _referral_rows(user: Any, m: Any) -> Any:
    if user.role == Role.PARTNER:
        return m.partner_id == user.partner_id
    rows = m.team_id == user.team_id
    # A screener's: those of the cases in their charge now (an EXISTS over ``m.case``).
    return rows if user.role == Role.SUPERVISOR else sa.and_(rows, m.case.has(owner_id=user.id))


# The same scopes as SQL criteria over a model's columns, for lists: a list shows exactly the
# rows whose objects SCOPES lets the user open (break-glass never widens a list).
LIST_SCOPES: dict[str, Callable[[Any, Any], Any]] = {
    "screenings.read": _screening_rows,
    "cases.read": lambda user, m: _team_rows(user, m, m.owner_id),
    "referrals.read": _referral_rows,
    # The team's cases, for their supervisor to hand over.
    "cases.hand_over": lambda user, m: m.team_id == user.team_id,
    "notices.read": lambda user, m: m.user_id == user.id,
}

# State rules: (object) -> whether the object's state allows the action now. The package that
# owns the object's life cycle registers them (referral.workflow), so the rule is written
# where the state machine is, and asked here.
STATE_RULES: dict[str, Callable[[Any], bool]] = {}


# NotNow ("not in the object's present state", 409) is the state kind of the refusals in
# core.errors, answered by their one handler; the views and services that ask the state rules
# import it from here.


def state_rule(action: str, allows: Callable[[Any], bool]) -> None:
    """Register the rule saying in which states an object allows ``action``."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}: add it to access.policy.PERMISSIONS")
    STATE_RULES[action] = allows


def basis(user: Any, action: str, obj: Any = None) -> str | None:
    """Why ``user`` may take ``action`` (on ``obj``, when given), state aside: ``"role"`` when
    no object is named, ``"scope"`` when the object is theirs to touch, ``"grant"`` when only
    a live break-glass grant lets them read it; None when they may not. Asked at every use, so
    a disabled account, a lost role or a lapsed grant counts from the next request on."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.role not in PERMISSIONS.get(action, frozenset()):
        return None
    if obj is None:
        return "role"
    scope = SCOPES.get(action)
    if scope is None or scope(user, obj):
        return "scope"
    if (
        action in GRANTED_ACTIONS
        and user.role in PERMISSIONS["cases.break_glass"]
        and grants.live(db.session(), user.id, obj.id, clock.now())
    ):
        return "grant"
    return None


def in_state(action: str, obj: Any) -> bool:
    """Whether ``obj``'s present state allows ``action`` (True when no rule constrains it)."""
    allows = STATE_RULES.get(action)
    return allows is None or bool(allows(obj))


def authorize(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` take ``action`` (on ``obj``, when given, in its present state)? Deny when
    in doubt. Templates ask the same through ``can()``."""
    return basis(user, action, obj) is not None and (obj is None or in_state(action, obj))


def require(
    user: Any, action: str, obj: Any, object_type: str | None = None, object_id: Any = None
) -> str:
    """Return how ``user`` may take ``action`` on ``obj`` (``"scope"`` or ``"grant"``).

    Raise NotFound unless they may (None counts as missing); the refusal is audited with what
    was asked for, exactly as a missing object would be. Raise :class:`NotNow` when the object
    is theirs but its state does not allow the action.
    """
    found = basis(user, action, obj) if obj is not None else None
    if found is None:
        audit_denial(action, request.endpoint, object_type, object_id)
        if is_api_request():
            raise ApiError(404, "not found")
        raise NotFound()
    if not in_state(action, obj):
        raise NotNow(f"{action.split('.')[-1]} is not possible in the present state")
    return found


def found(obj: T | None) -> T:
    """``obj`` after :func:`require` let it through, which it never does for a missing one:
    callers return what they looked up with its type no longer optional."""
    if obj is None:
        raise LookupError("require() refuses a missing object; nothing can be None here")
    return obj


def visible(user: Any, action: str, model: Any) -> Any:
    """SQL criteria over ``model``'s columns selecting the rows ``user`` may see for
    ``action``: the list form of :data:`SCOPES` (nothing at all for a role without it)."""
    if basis(user, action) is None:
        return sa.false()
    return LIST_SCOPES[action](user, model)


def audit_denial(
    action: str | None, endpoint: str | None, object_type: str | None = None, object_id: Any = None
) -> None:
    """Record a refusal of ``action`` at ``endpoint`` (on an object, when named) as an
    ``access.denied`` event."""
    # Committed on its own: the refused request changes nothing else.
    store = db.session()
    store.rollback()
    audit.record(
        store,
        "access.denied",
        "denied",
        object_type=object_type,
        object_id=object_id,
        details={"action": action, "endpoint": endpoint},
    )
    store.commit()
