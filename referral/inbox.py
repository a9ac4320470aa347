"""The lists of referrals: a partner organisation's inbox, what a screener's cases were sent
to, a team's for its supervisors and the team's overdue referrals. Each is paged by its sort
key (``core.keyset``) along an index of the same order (migration 0021), and read as plain
rows of the columns a list shows: never the sealed packet, never an object per row
(docs/architecture.md, "Lists at scale"). With referral/referrals.py and
referral/endings.py, the only module that queries referrals."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.policy import visible
from core import keyset
from core.paging import Page
from referral import receipts
from referral.models import Referral

# Open first, waiting before accepted, urgent first (the generated inbox_rank), then the
# longest waiting: what has waited longest is on top.
ORDER = keyset.Keyset("referrals", (Referral.inbox_rank, Referral.created_at, Referral.id))
# What lists show of a referral (referrals.summary, templates/referral/inbox.html), with
# "overdue" worked out by the database.
COLUMNS = (
    Referral.id,
    Referral.reference,
    Referral.state,
    Referral.urgency,
    Referral.partner_id,
    Referral.services,
    Referral.share,
    Referral.created_at,
    Referral.due_at,
    Referral.decline_reason,
    Referral.outcome,
    Referral.withdraw_reason,
    Referral.basis,
    Referral.inbox_rank,
    sa.type_coerce(Referral.overdue, sa.Boolean).label("overdue"),
)


def list_for(
    store: Session,
    user: Any,
    page: Page,
    overdue_only: bool = False,
    reference: str | None = None,
) -> keyset.Window:
    """A page of the referrals the user may see (the policy's list scope): a partner's
    organisation inbox, what a screener's cases were sent to, their team's for a
    supervisor; only the overdue ones, or only the one with ``reference`` (as said on the
    phone: any case, dash or none), when asked. Rows carry the columns of :data:`COLUMNS`."""
    query = sa.select(*COLUMNS).where(visible(user, "referrals.read", Referral))
    if overdue_only:
        query = query.where(Referral.overdue)
    if reference:
        query = query.where(Referral.reference == receipts.normalise(reference))
    shown = keyset.window(store, query, ORDER, page)
    audit.record(
        store, "referrals.listed", details={"count": len(shown.rows), "page": shown.number}
    )
    return shown
