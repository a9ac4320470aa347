"""Screening question counts: how many questions the adaptive interview asks, per population.

Run from the project root::

    python -m bench.screening_questions [--respondents 100] [--seed 2026]

Prints one JSON object on stdout. A question is a gate, a member, a "when?" or a red-flag
follow-up (docs/screening.md §5); the two pauses (interpreter replaced, hand-over to child
protection) and the intake forms are not questions. Counted for:

- *best*: every gate answered "no" (and a safe place tonight), without and with a border;
- *typical*: the reference respondents below, written by hand;
- *generated*: synthetic respondents of each simulation profile (``--respondents`` per profile,
  seeded), median and 90th percentile;
- *worst*: "don't know" to everything, without and with the whole-group button.

Beside them: the goals and whether they are met, and the counts of the 2026.1 questionnaire
(everything asked on one page per step) as the baseline. Everything is deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import time
from typing import Any

from bench.screening_reference import REFERENCE, HandsOver, person
from screening.derivation import Population, derive
from screening.instrument_files import load_catalogue
from screening.instruments import Instrument
from screening.scoring import score
from screening.simulation import PROFILES, Respondent, interview, respondent

# Questions per path before the adaptive interview (catalogue 2026.1: docs/screening.md §5).
BASELINE = {
    "adult": {"labour": 90, "sexual": 44, "default": 111},
    "child": {"labour": 89, "sexual": 44, "default": 109},
}
GOALS = {"best": 25, "typical_median": 30, "worst_with_group_button": 40}


def asked(
    instrument: Instrument, who: Respondent, group_button: bool = False, mode: str = "list"
) -> int:
    """Questions the adaptive interview asks this respondent: with umbrellas as one "which
    of these?" page ("list") or member by member ("one_by_one")."""
    population = Population(child=instrument.population == "child", mode=mode)
    return interview(instrument, who, population, group_button=group_button)[1]


def everything(instrument: Instrument, value: str) -> dict[str, str]:
    """``value`` to every question, the filters included."""
    return {
        **dict.fromkeys(instrument.by_id, value),
        **dict.fromkeys(instrument.concepts, value),
        **{g.id: value for g in instrument.gates if g.kind != "strong"},
    }


def percentile(values: list[int], fraction: float) -> int:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def generated(instrument: Instrument, respondents: int, seed: int) -> dict[str, Any]:
    """Median and 90th percentile per simulation profile; identical respondents (frequent in
    the "no signs" and "all unknown" profiles) are interviewed once."""
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    figures: dict[str, Any] = {}
    everyone: list[int] = []
    for profile, weights in PROFILES.items():
        counts = []
        for number in range(respondents):
            rng = random.Random(f"{seed}:{instrument.id}:{profile}:{number}")  # noqa: S311 - synthetic
            who = respondent(instrument, rng, weights)
            key = tuple(sorted({**who.items, **who.gates}.items()))
            if key not in seen:
                seen[key] = asked(instrument, who)
            counts.append(seen[key])
        everyone += counts
        figures[profile] = {
            "median": statistics.median(counts),
            "p90": percentile(counts, 0.9),
            "max": max(counts),
        }
    figures["all_profiles"] = {
        "median": statistics.median(everyone),
        "p90": percentile(everyone, 0.9),
        "max": max(everyone),
    }
    figures["distinct_respondents"] = len(seen)
    return figures


def bench_population(instrument: Instrument, respondents: int, seed: int) -> dict[str, Any]:
    """Every count for one instrument, with its goals."""
    child = instrument.population == "child"
    reference: dict[str, Any] = {}
    population = Population(child=child)
    for name, answers in REFERENCE[instrument.population].items():
        who = person(instrument, answers)
        given, count = interview(instrument, who, population)
        derived = derive(instrument, given, population)
        reference[name] = {
            "asked": count,
            "classification": score(
                instrument, derived.values, child, derived.sexual
            ).classification,
            "one_by_one": asked(instrument, who, mode="one_by_one"),
            "group_button": asked(instrument, who, group_button=True),
        }
        if child:
            reference[name]["until_handover"] = asked(
                instrument, HandsOver(items=who.items, gates=who.gates)
            )
    typical = [r["asked"] for r in reference.values()]
    typical_figures: dict[str, Any] = {
        "reference": reference,
        "median": statistics.median(typical),
        "min": min(typical),
        "max": max(typical),
        "median_one_by_one": statistics.median(r["one_by_one"] for r in reference.values()),
        "median_group_button": statistics.median(r["group_button"] for r in reference.values()),
    }
    if child:  # the interview goes on past the hand-over, as the simulation does; until it:
        typical_figures["median_until_handover"] = statistics.median(
            r["until_handover"] for r in reference.values()
        )
    unsure = person(instrument, everything(instrument, "unknown"))
    figures = {
        "best": {
            "no_border": asked(instrument, person(instrument, {})),
            "border": asked(instrument, person(instrument, {"e0": "yes"})),
        },
        "typical": typical_figures,
        "generated": generated(instrument, respondents, seed),
        "worst": {
            "list": asked(instrument, unsure),
            "one_by_one": asked(instrument, unsure, mode="one_by_one"),
            "group_button": asked(instrument, unsure, group_button=True),
        },
        "baseline_2026_1": BASELINE[instrument.population],
    }
    # The goals hold with the whole-group option, as the screener would use it.
    values = {
        "best": figures["best"]["no_border"],
        "typical_median": figures["typical"]["median_group_button"],
        "worst_with_group_button": figures["worst"]["group_button"],
    }
    figures["goals"] = {
        name: {"goal": f"<= {goal}", "value": values[name], "met": values[name] <= goal}
        for name, goal in GOALS.items()
    }
    return figures


def main(argv: list[str] | None = None) -> None:
    """Parse the options, count and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--respondents",
        type=int,
        default=100,
        help="generated respondents per profile and population (default 100; "
        "the targets were measured with 1500, about 15 minutes)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated ones")
    args = parser.parse_args(argv)
    if args.respondents < 1:
        parser.error("--respondents must be positive")
    catalogue = load_catalogue()
    started = time.perf_counter()
    results = {
        name: bench_population(catalogue[name], args.respondents, args.seed)
        for name in ("adult", "child")
    }
    output = {
        "benchmark": "screening_questions",
        "parameters": {
            "respondents_per_profile": args.respondents,
            "seed": args.seed,
            "profiles": list(PROFILES),
        },
        "instruments": {name: catalogue[name].version for name in results},
        "python": platform.python_version(),
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
        "all_goals_met": all(g["met"] for r in results.values() for g in r["goals"].values()),
    }
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
