"""The partner directory: checking and saving a partner entry (shaped as in the import file,
which ``referral.directory_import`` reads), adding and editing one partner, suspending and
re-vetting it, listing it, and turning it into the plain values routing ranks. Only partners
in standing (vetted and in date, ``access.standing``) with a staff account that can answer
are ever offered; one that loses its standing through an import or a suspension loses its
open referrals and its staff's sessions and tokens at once."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from access import services as access_services
from access.models import PartnerOrganisation
from access.standing import VETTING as VETTING  # re-exported: the directory's vocabulary
from access.standing import in_standing
from core import datakeys
from core.clock import years_after
from core.errors import RefusedError
from core.text import CONTROL_PROBLEM, has_control
from referral import routing
from referral.basis import CHILD_PROTECTION
from referral.models import PartnerArea, PartnerProfile
from screening.payload import COUNTRY, LANGUAGE
from screening.services import SERVICES

POPULATIONS = ("women", "men", "children", "families", "lgbtqi")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
REGION_MAX = 100  # the width of partner_areas.region (the admin form checks it too)
# The most a partner lists, for the import and the admin form alike: its languages are
# stored comma-joined in 100 characters (30 codes fit with room), and no partner serves
# more than a hundred distinct areas.
MAX_LANGUAGES = 30
MAX_AREAS = 100
FIELDS = {
    "slug",
    "name",
    "vetting",
    "services",
    "areas",
    "populations",
    "languages",
    "capacity",
    "contact",
}
CONTACT_FIELDS = ("phone", "email", "address")  # what the admin pages edit
# Problems only the one-partner services raise, for the admin pages, in their words; the
# import file's problems are for the command line, in English.
SLUG_TAKEN = _l("Another partner already has this short name.")
SLUG_FIXED = _l("A partner's short name cannot change.")
VETTING_FIXED = _l("Change vetting by suspending or re-vetting.")
EXPIRY_NEEDED = _l("Vetting needs an expiry date after today.")
# How far ahead a vetting may run: a partner is vetted again at least this often, and a date
# further off (9999-12-31) is a slip of the keyboard or a way round re-vetting. Checked where
# an expiry is set (adding a partner, re-vetting, the import), not on an edit that keeps it.
VETTING_YEARS_MAX = 10
EXPIRY_TOO_FAR = _l("Vetting can run at most %(years)d years from today.", years=VETTING_YEARS_MAX)


class DirectoryError(RefusedError):
    """The import file or partner is not acceptable; ``fields`` names each problem by where
    it was found: ``[3].slug`` for the fourth entry of an import file, ``partner.slug`` for
    the one partner being saved, ``file`` for the file as a whole."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(
            "; ".join(f"{where}: {problem}" for where, problem in fields.items()), fields
        )


def _subset(
    item: dict[str, Any], name: str, allowed: Any, where: str, problems: dict[str, str]
) -> list[str]:
    values = item.get(name, [])
    if not isinstance(values, list) or not all(
        isinstance(v, str)
        and (v in allowed if isinstance(allowed, tuple) else allowed.fullmatch(v))
        for v in values
    ):
        problems[f"{where}.{name}"] = "must be a list of known values"
        return []
    return sorted(set(values))


def check_entry(item: Any, where: str, problems: dict[str, str]) -> dict[str, Any] | None:
    """``item`` (one partner, shaped as in the import file) as the values to save; each
    problem goes into ``problems`` under ``where`` and the field's name."""
    if not isinstance(item, dict):
        problems[where] = "must be an object"
        return None
    unknown = set(item) - FIELDS
    if unknown:
        problems[where] = f"unknown fields {sorted(unknown)}"
    slug, name = item.get("slug"), item.get("name")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        problems[f"{where}.slug"] = "must be a lower-case slug"
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        problems[f"{where}.name"] = "required, at most 200 characters"
    elif has_control(name):  # core.text: NUL above all, which PostgreSQL refuses
        problems[f"{where}.name"] = CONTROL_PROBLEM
    vetting = item.get("vetting")
    if not isinstance(vetting, dict):
        vetting = {}
    status, until = vetting.get("status"), vetting.get("valid_until")
    if status not in VETTING:
        problems[f"{where}.vetting.status"] = f"must be one of {', '.join(VETTING)}"
    try:
        valid_until = date.fromisoformat(until) if until else None
    except (TypeError, ValueError):
        problems[f"{where}.vetting.valid_until"] = "must be a date like 2027-01-31"
        valid_until = None
    capacity = item.get("capacity", 0)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 <= capacity <= 10**6:
        problems[f"{where}.capacity"] = "must be a whole number from 0"
    areas = item.get("areas", [])
    if not isinstance(areas, list) or not all(
        isinstance(a, dict)
        and isinstance(a.get("country"), str)
        and COUNTRY.fullmatch(a["country"])
        and (
            a.get("region") is None
            or (
                isinstance(a.get("region"), str)
                and len(a["region"]) <= REGION_MAX
                and not has_control(a["region"])
            )
        )
        for a in areas
    ):
        problems[f"{where}.areas"] = (
            f"each needs an ISO country code and maybe a region of at most {REGION_MAX} characters"
        )
        areas = []
    areas = [(a["country"], (a.get("region") or "").strip() or None) for a in areas]
    if len(set(areas)) > MAX_AREAS:
        problems[f"{where}.areas"] = f"at most {MAX_AREAS} areas"
    languages = _subset(item, "languages", LANGUAGE, where, problems)
    if len(languages) > MAX_LANGUAGES:
        problems[f"{where}.languages"] = f"at most {MAX_LANGUAGES} languages"
    contact = item.get("contact")
    if contact is not None and not (
        isinstance(contact, dict)
        and all(value is None or isinstance(value, str) for value in contact.values())
    ):
        problems[f"{where}.contact"] = "must be an object whose values are texts"
    elif contact and any(
        value and has_control(value, multiline=key == "address") for key, value in contact.items()
    ):
        problems[f"{where}.contact"] = CONTROL_PROBLEM  # the address may hold line breaks
    return {
        "slug": slug,
        "name": name.strip() if isinstance(name, str) else "",
        "status": status,
        "valid_until": valid_until,
        "capacity": capacity,
        "services": _subset(item, "services", SERVICES, where, problems),
        "populations": _subset(item, "populations", POPULATIONS, where, problems),
        "languages": languages,
        "areas": areas,
        "contact": contact,
    }


def save_entry(store: Session, entry: dict[str, Any], now: datetime) -> bool:
    """Create or update the partner of ``entry`` (from :func:`check_entry`, with no problem);
    audited. Return whether it was created."""
    store.info.pop(READ, None)  # the directory read before may lack this partner
    organisation = access_services.ensure_partner_organisation(store, entry["slug"], entry["name"])
    organisation.name = entry["name"]
    profile = store.scalar(
        sa.select(PartnerProfile).where(PartnerProfile.organisation_id == organisation.id)
    )
    created = profile is None
    if profile is None:
        cipher = datakeys.create(store, "partner", now)
        profile = PartnerProfile(
            id=uuid.uuid4(),
            organisation_id=organisation.id,
            data_key_id=cipher.key_id,
            data_key=datakeys.created(store, cipher),
        )
        store.add(profile)
    else:
        cipher = datakeys.cipher(store, profile.data_key_id)
    was_in_standing = in_standing(organisation, now.date())
    protected = CHILD_PROTECTION in profile.services if not created else False
    organisation.vetting_status = entry["status"]
    organisation.vetting_valid_until = entry["valid_until"]
    profile.services, profile.populations = tuple(entry["services"]), tuple(entry["populations"])
    profile.languages, profile.capacity = tuple(entry["languages"]), entry["capacity"]
    profile.contact = cipher.seal(
        "partner_profiles",
        "contact",
        profile.id,
        json.dumps(entry["contact"]) if entry["contact"] else None,
    )
    profile.areas = [PartnerArea(country=c, region=r) for c, r in entry["areas"]]
    profile.updated_at = now
    store.flush()
    audit.record(
        store,
        "partner.created" if created else "partner.updated",
        object_type="partner",
        object_id=organisation.id,
    )
    if not (was_in_standing and in_standing(organisation, now.date())):
        _standing_ended(store, organisation.id, now)
    elif protected and CHILD_PROTECTION not in profile.services:
        from referral import endings  # see _standing_ended

        endings.end_without_protection(store, organisation.id, now)
    return created


def _standing_ended(store: Session, organisation_id: uuid.UUID, now: datetime) -> None:
    # Also called when standing is restored: a lapse not yet swept ends before re-vetting
    # lets the staff back in, so they return to a clean slate either way.
    # Imported here, not at the top: endings ranks partners through this module, so a
    # module-level import would make the two import each other.
    from referral import endings

    endings.end_with_standing(store, organisation_id, now)


# Session.info key: the directory as read in the session's current transaction, with that
# transaction. A page asks for it several times (ranking partners, their names, their
# slugs); it is read once, and again in the next transaction or after a partner is saved.
READ = "passage.directory"


def profiles(store: Session) -> list[PartnerProfile]:
    """Every partner in the directory, by name (read once per transaction)."""
    held = store.info.get(READ)
    if held is not None and held[0] is store.get_transaction():
        return list(held[1])
    found = sorted(
        store.scalars(sa.select(PartnerProfile)), key=lambda p: p.organisation.name.casefold()
    )
    store.info[READ] = (store.get_transaction(), found)
    return list(found)


def staffed(store: Session) -> set[uuid.UUID]:
    """The organisations with a staff account that can answer a referral, read now."""
    return access_services.answering_organisations(store)


def for_routing(profile: PartnerProfile, answering: set[uuid.UUID]) -> routing.Partner:
    """The plain values routing ranks; ``answering`` is :func:`staffed`."""
    return routing.Partner(
        slug=profile.organisation.slug,
        name=profile.organisation.name,
        vetting=profile.vetting_status,
        valid_until=profile.vetting_valid_until,
        services=frozenset(profile.services),
        areas=tuple((a.country, a.region) for a in profile.areas),
        populations=frozenset(profile.populations),
        languages=frozenset(profile.languages),
        capacity=profile.capacity,
        staffed=profile.organisation_id in answering,
    )


def contact(store: Session, profile: PartnerProfile) -> dict[str, Any] | None:
    """A partner's contact details, opened (an audited read)."""
    audit.record(
        store, "partner.contact_read", object_type="partner", object_id=profile.organisation_id
    )
    opened = datakeys.cipher(store, profile.data_key_id).open(
        "partner_profiles", "contact", profile.id, profile.contact
    )
    return json.loads(opened) if opened else None


def get_profile(store: Session, organisation_id: uuid.UUID) -> PartnerProfile | None:
    """The directory entry of the partner organisation ``organisation_id``, if it has one."""
    return store.scalar(
        sa.select(PartnerProfile).where(PartnerProfile.organisation_id == organisation_id)
    )


def by_slug(store: Session, slug: str) -> PartnerProfile | None:
    """The directory entry of the organisation with this slug, if any."""
    return store.scalar(
        sa.select(PartnerProfile)
        .join(PartnerProfile.organisation)
        .where(PartnerOrganisation.slug == slug)
    )


def entry_of(profile: PartnerProfile, contact: dict[str, Any] | None = None) -> dict[str, Any]:
    """``profile`` in the import file's shape; ``contact`` is passed in already opened, so
    that reading it stays a separate, audited step (:func:`contact`)."""
    until = profile.vetting_valid_until
    return {
        "slug": profile.organisation.slug,
        "name": profile.organisation.name,
        "vetting": {
            "status": profile.vetting_status,
            "valid_until": until.isoformat() if until else None,
        },
        "services": sorted(profile.services),
        "populations": sorted(profile.populations),
        "languages": sorted(profile.languages),
        "areas": [{"country": a.country, "region": a.region} for a in profile.areas],
        "capacity": profile.capacity,
        "contact": contact,
    }


def save_partner(
    store: Session, data: dict[str, Any], now: datetime, profile: PartnerProfile | None = None
) -> PartnerProfile:
    """Add a partner (``profile`` None) or replace ``profile``'s details with ``data``, an
    entry shaped as in the import file; audited as ``partner.created`` or
    ``partner.updated``. Raises :class:`DirectoryError` naming each problem.

    On an edit the slug and the vetting must stay as they are: vetting changes only through
    :func:`set_vetting`, so that every suspension and re-vetting is its own audit event. A
    new partner vetted at once needs an expiry date after today."""
    problems: dict[str, str] = {}
    entry = check_entry(data, "partner", problems)
    if entry is not None and not problems:
        if profile is None:
            problems.update(_new_partner_problems(store, entry, now))
        else:
            problems.update(_edit_problems(profile, entry))
    if problems:
        raise DirectoryError(problems)
    assert entry is not None  # noqa: S101 - no problems means the entry parsed
    save_entry(store, entry, now)
    saved = by_slug(store, entry["slug"])
    assert saved is not None  # noqa: S101 - save_entry has just written it
    return saved


def _new_partner_problems(store: Session, entry: dict[str, Any], now: datetime) -> dict[str, str]:
    # An organisation may exist without a directory entry (created for its staff's accounts);
    # adding its entry is allowed, adding a second one is not.
    problems = {}
    if by_slug(store, entry["slug"]) is not None:
        problems["partner.slug"] = SLUG_TAKEN
    if entry["status"] == "vetted" and (
        entry["valid_until"] is None or entry["valid_until"] <= now.date()
    ):
        problems["partner.vetting.valid_until"] = EXPIRY_NEEDED
    elif too_far(entry["valid_until"], now):
        problems["partner.vetting.valid_until"] = EXPIRY_TOO_FAR
    return problems


def too_far(valid_until: date | None, now: datetime) -> bool:
    """Whether a vetting expiry runs past ``VETTING_YEARS_MAX`` years from today."""
    return valid_until is not None and valid_until > years_after(now.date(), VETTING_YEARS_MAX)


def _edit_problems(profile: PartnerProfile, entry: dict[str, Any]) -> dict[str, str]:
    problems = {}
    if entry["slug"] != profile.organisation.slug:
        problems["partner.slug"] = SLUG_FIXED
    if (entry["status"], entry["valid_until"]) != (
        profile.vetting_status,
        profile.vetting_valid_until,
    ):
        problems["partner.vetting"] = VETTING_FIXED
    return problems


def set_vetting(
    store: Session, profile: PartnerProfile, status: str, valid_until: date | None, now: datetime
) -> None:
    """Suspend the partner (``status`` "suspended"; its expiry date is kept for the record
    and ``valid_until`` is not used) or re-vet it (``status`` "vetted" with ``valid_until``
    after today); audited as ``partner.suspended`` or ``partner.revetted``. Raises
    :class:`DirectoryError` otherwise.

    Suspending withdraws the partner's open referrals and ends its staff's sessions and
    tokens (``endings.end_with_standing``). Re-vetting lets its staff sign in again, with
    new sessions and tokens; the withdrawn referrals stay withdrawn, and a lapse not yet
    swept is ended first."""
    organisation = profile.organisation
    was_in_standing = in_standing(organisation, now.date())
    if status == "vetted":
        if valid_until is None or valid_until <= now.date():
            raise DirectoryError({"partner.vetting.valid_until": EXPIRY_NEEDED})
        if too_far(valid_until, now):
            raise DirectoryError({"partner.vetting.valid_until": EXPIRY_TOO_FAR})
        organisation.vetting_valid_until = valid_until
        action = "partner.revetted"
    elif status == "suspended":
        action = "partner.suspended"
    else:
        raise DirectoryError({"partner.vetting.status": "must be vetted or suspended"})
    organisation.vetting_status, profile.updated_at = status, now
    store.flush()
    audit.record(store, action, object_type="partner", object_id=profile.organisation_id)
    if status == "suspended" or not was_in_standing:
        _standing_ended(store, organisation.id, now)
