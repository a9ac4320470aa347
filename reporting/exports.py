"""Files released from Passage (docs/reporting.md §5), each recorded like every release: the
CTDC contribution file from the statistics facts, made k-anonymous before it is written, and
the HTCDS 2.0 export for one partner organisation, from the cases referred to it and only
what each person's consent shares with it."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access import services as access_services
from access.standing import in_standing
from referral import cases, referrals
from reporting import ctdc, definition, disclosure, htcds, output, overlap
from reporting.definition import Filters
from reporting.facts import as_mapping, fact_of
from reporting.models import screening_facts
from screening import people
from screening.models import Person

CTDC = "ctdc"
CTDC_VERSION = 1
# What could single a person out in a row of the file, the least useful first: the first
# to be blanked when a combination is rarer than the threshold.
CTDC_QUASI = ("citizenship", "ageBroad", "CountryOfExploitation", "gender", "yearOfRegistration")


def ctdc_file(store: Session, filters: Filters, k: int) -> tuple[str, int]:
    """The CTDC contribution file of the completed, counted screenings matching
    ``filters``: its text and its row count."""
    query = (
        sa.select(screening_facts)
        .where(*definition.where(filters))
        .order_by(screening_facts.c.fact_id)
    )  # random ids: an order that says nothing
    rows = [ctdc.row(as_mapping(found._mapping)) for found in store.execute(query)]
    buffer = io.StringIO()
    count = ctdc.write_rows(disclosure.k_anonymous(rows, CTDC_QUASI, k), buffer)
    return buffer.getvalue(), count


def release_ctdc(
    store: Session, user_id: uuid.UUID | None, channel: str, filters: Filters, k: int, now: datetime
) -> tuple[str, str]:
    """Build the CTDC file and record its release; returns the text and its SHA-256. Refused
    (:class:`reporting.overlap.ReleasedBefore`) when an earlier CTDC file covers any of
    these months: the two could be subtracted."""
    overlap.refuse_overlap(store, CTDC, "k_anonymous", filters.as_dict(), now)
    text, count = ctdc_file(store, filters, k)
    digest = output.record_release(
        store,
        user_id=user_id,
        channel=channel,
        report=CTDC,
        version=CTDC_VERSION,
        filters=filters.as_dict(),
        method="k_anonymous",
        threshold=k,
        form="csv",
        row_count=count,
        content=text.encode(),
        now=now,
    )
    return text, digest


HTCDS = "htcds"
HTCDS_VERSION = 2  # HTCDS 2.0
# Which consented field lets which identifying HTCDS field through (never a birth date:
# the person agrees to share an age, not a date).
IDENTIFYING = {"given_name": "first_name", "family_name": "second_name"}


class NotInStanding(Exception):
    """The recipient is not a partner in standing ``today``: nothing is exported to it."""


def htcds_records(store: Session, partner_slug: str, today: date) -> htcds.ExportRecords:
    """What an HTCDS 2.0 export for one partner organisation may hold: the cases whose
    referral to it the partner still holds (pending or accepted: one declined, withdrawn,
    expired or finished keeps nothing of the person), whose person still agrees to referral
    and is not past retention (shredded); those referrals; and of the person only what those
    referrals shared and the consent still allows: names, facts, and the victim context only
    where the answers are shared (docs/reporting.md §5). Raises :class:`NotInStanding` when
    the organisation is not in standing ``today``."""
    organisation = access_services.find_partner_organisation(store, partner_slug)
    if organisation is None:
        raise LookupError(f"no partner organisation {partner_slug!r}")
    # Asked at every export, as at every read by its staff: a partner suspended, or whose
    # vetting lapsed overnight, may no longer read what was sent to it, in a file or not.
    if not in_standing(organisation, today):
        raise NotInStanding(
            f"partner organisation {partner_slug!r} is not in standing (vetted and in date):"
            " nothing is exported to it"
        )
    # A file gives the partner nothing its packets no longer hold (referral.referrals.move).
    sent = [r for r in referrals.to_partner(store, organisation.id) if r.packet is not None]
    people_: list[htcds.PersonRecord] = []
    case_rows: list[htcds.CaseRecord] = []
    for case_id in dict.fromkeys(r.case_id for r in sent):
        case = cases.holding(store, case_id)
        consent = cases.consent(case)
        if case.status == "merged" or not consent.referral:
            continue
        person = cases.person(store, case)  # read once: the check and the record both use it
        if person.shredded_at is not None:
            # Past retention a partner keeps only that the referral existed and how it ended
            # (docs/case-work.md): nothing of the person, in a packet or in a file.
            continue
        shared = {field for r in sent if r.case_id == case_id for field in r.share}
        allowed = tuple(field for field in consent.share if field in shared)
        people_.append(_person(store, case, person, allowed))
        case_rows.append(htcds.CaseRecord(case.id, case.person_id, case.status, case.owner_id))
    kept = {c.key for c in case_rows}
    return htcds.ExportRecords(
        people_,
        case_rows,
        [
            htcds.ReferralRecord(r.case_id, organisation.name, r.created_at, list(r.services))
            for r in sent
            if r.case_id in kept
        ],
    )


def _person(
    store: Session, case: Any, person: Person, share: tuple[str, ...]
) -> htcds.PersonRecord:
    names: dict[str, str | None] = {}
    if any(field in share for field in IDENTIFYING):
        identity = people.read(store, person)  # audited: a person's data is opened
        opened = {"given_name": identity.given_name, "family_name": identity.family_name}
        names = {IDENTIFYING[f]: opened[f] for f in IDENTIFYING if f in share}
    victim = None
    if "answers" in share:
        done = [s for s in cases.screenings_of(store, case) if s.completed_at is not None]
        if done:
            latest = max(done, key=lambda s: s.completed_at)  # type: ignore[arg-type,return-value]
            # Opening the answers is a read of the person's screening, audited as any other.
            audit.record(store, "screening.read", object_type="screening", object_id=latest.id)
            victim = htcds.VictimRecord.from_mapping(as_mapping(fact_of(store, latest, None)))
    return htcds.PersonRecord(
        person.id,
        sex=person.sex if "sex" in share else None,
        nationality=person.nationality if "nationality" in share else None,
        languages=person.languages if "languages" in share else (),
        consent=True,
        victim=victim,
        **names,
    )


def release_htcds(
    store: Session, partner_slug: str, out_dir: Path, passage_version: str, k: int, now: datetime
) -> dict[str, Any]:
    """Write the HTCDS export for one partner in standing into ``out_dir`` and record the
    release (its hash is that of the manifest, which holds every file's); returns the
    manifest."""
    records = htcds_records(store, partner_slug, now.date())
    manifest = htcds.export(records, out_dir, passage_version)
    content = json.dumps(manifest, sort_keys=True).encode()
    output.record_release(
        store,
        user_id=None,
        channel="cli",
        report=HTCDS,
        version=HTCDS_VERSION,
        filters={"recipient": partner_slug},
        method="consent",
        threshold=k,
        form="csv",
        row_count=manifest["person.csv"]["rows"],
        content=content,
        now=now,
    )
    return manifest
