"""Going back in an interview: the questions it asked, in the order it asked them, and
changing one answer by asking again from that question on (docs/screening.md, Changing an
answer).

The path is not stored: the engine is a pure function of the answers, so replaying it over
the stored answers gives the same questions in the same order. Changing an answer clears it
and every answer the interview took after it, because what came after may have been asked
only because of it (an umbrella's members, a "when?", a follow-up): the engine then asks
again whatever the new answer makes relevant, and nothing left over from the old one counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from screening import derivation, engine, interview, services
from screening.instruments import Instrument
from screening.models import Screening


def path(
    instrument: Instrument, given: Mapping[str, str], population: derivation.Population
) -> list[tuple[engine.Step, tuple[str, ...]]]:
    """Each step the interview took to reach ``given``, with the keys it answered there, in
    order; it ends at the first step with no stored answer."""
    so_far: dict[str, str] = {}
    steps: list[tuple[engine.Step, tuple[str, ...]]] = []
    while True:
        step = engine.next_question(instrument, so_far, population)
        if step.kind == "done":
            return steps
        named = step.members if step.kind == "list" else (step.key,)
        # A member may be a concept whose items were answered one by one (through the API).
        candidates = dict.fromkeys(
            k for name in named for k in (name, *instrument.member_indicators(name))
        )
        keys = tuple(k for k in candidates if k in given and k not in so_far)
        if not keys:
            return steps
        so_far.update((k, given[k]) for k in keys)
        steps.append((step, keys))


def change(
    store: Session, screening: Screening, instrument: Instrument, key: str, now: datetime
) -> bool:
    """Clear the answer of the step that stored ``key`` and every answer given after it, so
    the interview asks again from there; False when no step of the path stored ``key``."""
    services.lock_draft(store, screening)
    given = services.answers(store, screening)
    steps = path(instrument, given, interview.population(screening))
    for index, (_step, keys) in enumerate(steps):
        if key in keys:
            cleared = [k for _later, later_keys in steps[index:] for k in later_keys]
            services.save_answers(store, screening, {}, now, cleared=cleared)
            kept = {k: v for k, v in given.items() if k not in cleared}
            interview.mark_urgent(screening, interview.raised(instrument, screening, kept))
            return True
    return False
