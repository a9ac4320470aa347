"""The rows of the list pages (the case list, the referral inbox), made ready to print in one
pass: dates formatted with the user's language and time zone looked up once, labels
translated and the rows' route built once per page, so the template only writes out strings.
A list page's time then barely depends on how many rows it shows (docs/architecture.md,
"Lists at scale")."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for

from core import i18n
from referral.case_forms import CASE_OUTCOME_LABELS, CASE_STATUS_LABELS, URGENCY_LABELS
from screening.explain import class_label
from screening.forms import SERVICE_LABELS

# An id no row has, to build a page's links once and put each row's id in.
_SOME_ID = uuid.UUID(int=0)


def links(endpoint: str, name: str) -> Callable[[uuid.UUID], str]:
    """The address of ``endpoint`` for each row's id (the route's ``name``): the route is
    built once per page, where ``url_for`` for every row cost as much as the rest of it."""
    values: dict[str, Any] = {name: _SOME_ID}
    built = url_for(endpoint, **values)
    return lambda row_id: built.replace(str(_SOME_ID), str(row_id))


def translated(labels: Mapping[str, Any]) -> dict[str, str]:
    """``labels`` (lazy translations) in the current language, each translated once."""
    return {value: str(label) for value, label in labels.items()}


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as the case list shows it."""

    link: str
    reference: str
    opened: str
    status: str
    outcome: str
    result: str
    urgent: bool
    needs: str
    last_activity: str


def case_rows(rows: Iterable[Any]) -> list[CaseRow]:
    """The case list's rows (``referral.cases.LIST_COLUMNS``) ready to print."""
    when, link = i18n.datetime_format(), links("cases.show", "case_id")
    status, outcome = translated(CASE_STATUS_LABELS), translated(CASE_OUTCOME_LABELS)
    result, service = functools.cache(class_label), translated(SERVICE_LABELS)  # once a label
    return [
        CaseRow(
            link=link(row.id),
            reference=row.reference or "",
            opened=when(row.opened_at),
            status=status[row.status],
            outcome=outcome.get(row.outcome or "", ""),
            result=result(row.classification, row.act_established),
            urgent=row.urgent,
            needs=", ".join(service[n] for n in row.needs),
            last_activity=when(row.updated_at),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """A referral as the inbox shows it."""

    link: str
    reference: str
    sent: str
    state: str
    overdue: bool
    urgency: str
    urgent: bool
    services: str
    partner: str
    due: str


def referral_rows(
    rows: Iterable[Any], names: Mapping[uuid.UUID, str], state_labels: Mapping[str, Any]
) -> list[ReferralRow]:
    """The inbox's rows (``referral.inbox.COLUMNS``) ready to print, with partner names from
    ``names`` and states labelled by ``state_labels``."""
    when, link = i18n.datetime_format(), links("referrals.show", "referral_id")
    state, urgency = translated(state_labels), translated(URGENCY_LABELS)
    service = translated(SERVICE_LABELS)
    return [
        ReferralRow(
            link=link(row.id),
            reference=row.reference or "",
            sent=when(row.created_at),
            state=state[row.state],
            overdue=row.overdue,
            urgency=urgency[row.urgency],
            urgent=row.urgency == "urgent",
            services=", ".join(service[s] for s in row.services),
            partner=names.get(row.partner_id, ""),
            # Only a referral waiting for its answer has one due; the state says the rest.
            due=when(row.due_at) if row.state == "pending" else "—",
        )
        for row in rows
    ]
