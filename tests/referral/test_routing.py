"""Routing: only vetted partners in date with a staff account that can answer, children only
to child protection, country first, then needs, region, population, language and capacity,
each with its reasons."""

from __future__ import annotations

from datetime import date

import pytest

from referral.routing import Need, Partner, assess, offerable, rank

TODAY = date(2026, 3, 2)


def partner(slug: str, **changes: object) -> Partner:
    values: dict[str, object] = {
        "slug": slug,
        "name": slug.title(),
        "vetting": "vetted",
        "valid_until": date(2027, 1, 1),
        "services": frozenset({"shelter", "legal"}),
        "areas": (("XK", None),),
        "populations": frozenset({"women", "men"}),
        "languages": frozenset({"fr", "en"}),
        "capacity": 3,
        "staffed": True,
    }
    values.update(changes)
    return Partner(**values)  # type: ignore[arg-type]


ADULT = Need(
    services=frozenset({"shelter"}),
    country="XK",
    region="North",
    child=False,
    populations=frozenset({"women"}),
    languages=frozenset({"fr"}),
)
CHILD = Need(
    services=frozenset({"shelter", "child_protection"}), country="XK", region=None, child=True
)


@pytest.mark.parametrize(
    ("changes", "offered"),
    [
        ({}, True),
        ({"vetting": "pending"}, False),
        ({"vetting": "suspended"}, False),
        ({"valid_until": date(2026, 3, 1)}, False),
        ({"valid_until": TODAY}, True),
        ({"valid_until": None}, False),
        # Nobody could answer: a referral would wait unseen.
        ({"staffed": False}, False),
    ],
)
def test_only_vetted_partners_in_date_are_offered(
    changes: dict[str, object], offered: bool
) -> None:
    assert offerable(partner("p", **changes), TODAY) is offered
    assert bool(rank(ADULT, [partner("p", **changes)], TODAY)) is offered


@pytest.mark.parametrize(
    ("changes", "offered"),
    [
        ({}, False),
        ({"populations": frozenset({"children"})}, False),
        ({"services": frozenset({"child_protection"})}, False),
        (
            {
                "populations": frozenset({"children"}),
                "services": frozenset({"child_protection", "shelter"}),
            },
            True,
        ),
    ],
)
def test_children_go_only_to_child_protection_for_children(
    changes: dict[str, object], offered: bool
) -> None:
    assert bool(rank(CHILD, [partner("p", **changes)], TODAY)) is offered


MAN = Need(
    services=frozenset({"shelter"}),
    country="XK",
    region=None,
    child=False,
    populations=frozenset({"men"}),
)
ADULT_OF_UNKNOWN_SEX = Need(services=frozenset({"shelter"}), country="XK", region=None, child=False)


@pytest.mark.parametrize(
    ("need", "populations", "offered"),
    [
        (ADULT, frozenset({"children"}), False),
        (ADULT, frozenset({"children", "women"}), True),
        (ADULT, frozenset({"men"}), False),
        (ADULT, frozenset({"families"}), True),
        (ADULT, frozenset(), True),
        (MAN, frozenset({"women", "lgbtqi"}), False),
        (MAN, frozenset({"men", "families"}), True),
        (ADULT_OF_UNKNOWN_SEX, frozenset({"women"}), True),
        (ADULT_OF_UNKNOWN_SEX, frozenset({"children"}), False),
    ],
)
def test_adults_go_only_to_partners_serving_people_like_them(
    need: Need, populations: frozenset[str], offered: bool
) -> None:
    assert bool(rank(need, [partner("p", populations=populations)], TODAY)) is offered


def test_partners_elsewhere_are_not_offered() -> None:
    assert rank(ADULT, [partner("p", areas=(("ZZ", None),))], TODAY) == []


@pytest.mark.parametrize(
    ("areas", "reason"),
    [
        ((("XK", "North"),), "area:region"),
        ((("XK", None),), "area:country"),
        ((("XK", "South"),), "area:nearby"),
    ],
)
def test_area_reasons(areas: tuple[tuple[str, str | None], ...], reason: str) -> None:
    match = assess(partner("p", areas=areas), ADULT)
    assert match is not None
    assert reason in match.matched


def test_reasons_name_what_matched_and_what_is_lacking() -> None:
    match = assess(
        partner("p", services=frozenset({"legal"}), languages=frozenset({"es"}), capacity=0), ADULT
    )
    assert match is not None
    assert match.lacking == ["service:shelter", "languages", "capacity"]
    assert "population:women" in match.matched


def test_ranking_prefers_all_needs_then_fit_then_capacity() -> None:
    partners = [
        partner("lacks-shelter", services=frozenset({"legal"}), areas=(("XK", "North"),)),
        partner("country-wide", capacity=1),
        partner("in-region", areas=(("XK", "North"),), capacity=1),
        partner("in-region-roomier", areas=(("XK", "North"),), capacity=9),
        partner("full", areas=(("XK", "North"),), capacity=0),
    ]
    assert [m.slug for m in rank(ADULT, partners, TODAY)] == [
        "in-region-roomier",
        "in-region",
        "country-wide",
        "full",
        "lacks-shelter",
    ]


# --- service gaps: why no partner can take a service ---------------------------------------


@pytest.mark.parametrize(
    ("partners", "result"),
    [
        ([{}], "matched"),
        ([], "no_partner_in_area"),
        ([{"areas": (("GR", None),)}], "no_partner_in_area"),
        ([{"services": frozenset({"legal"})}], "service_not_offered"),
        ([{"populations": frozenset({"men"})}], "population_not_served"),
        ([{"languages": frozenset({"ar"})}], "language_not_covered"),
        ([{"capacity": 0}], "no_capacity"),
        ([{"vetting": "suspended"}], "vetting_lapsed"),
        ([{"staffed": False}], "no_staff_account"),
        ([{"staffed": False, "vetting": "suspended"}], "vetting_lapsed"),
        ([{"staffed": False}, {"capacity": 0}], "no_staff_account"),
        # The gap nearest to a match wins; any full match wins outright.
        ([{"capacity": 0}, {"services": frozenset({"legal"})}], "no_capacity"),
        ([{"vetting": "suspended"}, {"capacity": 0}], "vetting_lapsed"),
        ([{"capacity": 0}, {}], "matched"),
    ],
)
def test_coverage_names_the_gap_nearest_to_a_match(
    partners: list[dict[str, object]], result: str
) -> None:
    from referral.routing import coverage

    directory = [partner(f"p{n}", **changes) for n, changes in enumerate(partners)]
    assert coverage("shelter", ADULT, directory, TODAY) == result


def test_coverage_of_a_child_needs_child_protection_for_children() -> None:
    from referral.routing import coverage

    adults_only = partner("adults", services=frozenset({"shelter", "child_protection"}))
    for_children = partner(
        "kids",
        services=frozenset({"shelter", "child_protection"}),
        populations=frozenset({"children"}),
    )
    assert coverage("shelter", CHILD, [adults_only], TODAY) == "population_not_served"
    assert coverage("shelter", CHILD, [adults_only, for_children], TODAY) == "matched"
