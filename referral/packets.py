"""Referral packets: what a referral carries to the partner, sealed with the person's data
key. A packet holds only the consented fields the screener chose to share (the screening
answers among them only when shared, shown by short labels) and the screener's note; nothing
else of the case. Sharing by consent, and why no partner keeps a packet once consent is
withdrawn, is in docs/access-policy.md ("Consent only narrows without the person");
retention clearing every packet is in docs/case-work.md ("Retention closes the loop"). The
clearing itself happens where referrals move and end (referral/referrals.py,
referral/endings.py); this module builds, seals and opens packets and queries no referral."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from core import datakeys
from referral import cases
from referral.models import Case, Referral
from screening import instruments, interview, people

TABLE = "referrals"


def _packet(store: Session, case: Case, share: tuple[str, ...], note: str) -> dict[str, Any]:
    who = cases.identity(store, case)
    values = {**people.details(who), "needs": list(cases.needs(case))}
    fields = {name: values[name] for name in share if name in values}
    if "answers" in share:
        latest = next(iter(cases.screenings_of(store, case)), None)
        if latest is not None:
            instrument = instruments.catalogue()[latest.instrument]
            fields["answers"] = {
                "instrument": latest.instrument,
                "language": latest.language,
                "classification": latest.classification,
                "given": interview.indicator_answers(store, latest, instrument),
            }
    return {"fields": fields, "note": note.strip() or None}


def _cipher(store: Session, case: Case) -> datakeys.Cipher:
    return datakeys.cipher(store, cases.person(store, case).data_key_id)


def seal(
    store: Session, case: Case, referral_id: uuid.UUID, share: tuple[str, ...], note: str
) -> bytes | None:
    """The packet of a new referral, built from ``share`` and ``note`` and sealed."""
    return _cipher(store, case).seal(
        TABLE,
        "packet",
        referral_id,
        json.dumps(_packet(store, case, share, note), sort_keys=True),
    )


def packet(store: Session, referral: Referral) -> dict[str, Any]:
    """The fields sent with the referral and the note; nothing else of the case."""
    case = cases.holding(store, referral.case_id)
    try:
        opened = _cipher(store, case).open(TABLE, "packet", referral.id, referral.packet)
    except datakeys.ShreddedError:
        opened = None  # past retention: the person's key, and so the packet, is gone
    return json.loads(opened) if opened else {"fields": {}, "note": None}


def questions(packet_: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """The shared answers as (the sign's short label in ``language``, answer): never the
    verbatim questions, which may be graphic (docs/screening.md §6)."""
    shared = packet_.get("fields", {}).get("answers")
    if not shared:
        return []
    instrument = instruments.catalogue().get(shared["instrument"])
    pairs = []
    for indicator_id, answer in sorted(shared["given"].items()):
        indicator = instrument.indicator(indicator_id) if instrument else None
        text = indicator.label.get(language) if indicator else indicator_id
        pairs.append((text, answer))
    return pairs
