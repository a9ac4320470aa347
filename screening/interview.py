"""The interview as it goes, for the pages and the API alike: who is answering, what comes
next, saving the answers of one page with the red flags they raise, and finishing with a
score — the engine (screening.engine) applied to a stored draft (docs/screening.md §3–7).

Completion is refused while a raised red flag has no recorded action (docs/screening.md §7):
the protocol comes before the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy.orm import Session

from core import db
from screening import derivation, engine, opening, people, red_flags, scoring, services
from screening.instruments import BLOCKS, CHILD, WHEN, Instrument, Voice
from screening.models import Screening

INTERPRETER_FLAG = "rf_interpreter_linked"


def hours_answer(
    hours_per_day: int | None, days_per_week: int | None, hours_limit: int, days_limit: int
) -> str | None:
    """The answer to "excessive hours" from the numbers the person gives (the deployment
    sets the limits): yes at or past either limit; no when both are given and under them;
    None when one is missing and the other is under its limit, since the missing one could
    still be long (the answer the screener ticked decides then)."""
    if (hours_per_day or 0) >= hours_limit or (days_per_week or 0) >= days_limit:
        return "yes"
    if hours_per_day is not None and days_per_week is not None:
        return "no"
    return None


def pay_answer(pay_per_month: int, low_pay_limit: int) -> str:
    """The answer to "very low or no pay" from the pay a person gives for a month, in the
    local money (docs/screening.md, Numbers for hours and pay): yes when nothing was paid
    or the pay is under the deployment's line, no otherwise."""
    return "yes" if pay_per_month == 0 or pay_per_month < low_pay_limit else "no"


def is_child(screening: Screening, age: int | None = None) -> bool:
    """Possibly a minor, or under 18: the child instrument, the safety check's "under 18,
    or might be", or an age under 18. A claimed adult age never lifts the presumption."""
    return people.is_child(red_flags.is_child(screening), age)


def interpreter_linked(screening: Screening) -> bool:
    """Whether the safety check said the interpreter is not independent of the people who
    brought or employ the person."""
    return screening.safety.get("interpreter_independent") is False


def population(screening: Screening, age: int | None = None) -> derivation.Population:
    """Who is answering this screening, as the engine needs it."""
    return derivation.Population(
        child=is_child(screening, age), interpreter_linked=interpreter_linked(screening)
    )


def keys(instrument: Instrument) -> set[str]:
    """Every key an answer may be stored under. Only a child's interview is handed over
    to child protection: for an adult, questions not reached stay unknown (§3)."""
    found = {derivation.gate_key(instrument, g) for g in instrument.gates}
    found |= {i.id for i in instrument.indicators}
    found |= set(instrument.concepts) | {f"{c}_when" for c in instrument.concepts}
    pauses = {p for p in derivation.PAUSES if p != "handover" or instrument.population == CHILD}
    return found | pauses


def problems(instrument: Instrument, given: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with answers about to be saved, by key."""
    allowed = keys(instrument)
    found = {}
    for key, value in given.items():
        if key not in allowed:
            found[key] = "not a question of this instrument"
        elif not isinstance(value, str) or not engine.valid_answer(key, value):
            found[key] = (
                "must be phases among before, way, work, or unknown or declined"
                if key.endswith("_when")
                else "must be one of yes, no, unknown, declined"
                if key not in derivation.PAUSES
                else "not an accepted value"
            )
    return found


def derived(
    instrument: Instrument, given: Mapping[str, str], people_: derivation.Population, final: bool
) -> derivation.Derived:
    """``derivation.derive``, worked out once per request for the same answers: one submission
    asks for it up to five times (red flags before and after saving, waiting flags, the
    score). Kept in the request's ``g`` only, never across requests: answers are a person's
    data (docs/architecture.md, Performance)."""
    if not has_app_context():
        return derivation.derive(instrument, given, people_, final=final)
    memo: dict[Any, derivation.Derived] = g.setdefault("passage_derived", {})
    key = (instrument.id, instrument.version, tuple(sorted(given.items())), people_)
    if (*key, final) not in memo:
        so_far = memo.get((*key, False)) if final else None
        memo[(*key, final)] = derivation.derive(instrument, given, people_, final, so_far)
    return memo[(*key, final)]


def urgent(instrument: Instrument, screening: Screening, given: Mapping[str, str]) -> bool:
    """Whether the answers so far make the screening urgent: a red flag, or any "yes" from
    a child (or possibly a child)."""
    if raised(instrument, screening, given):
        return True
    found = derived(instrument, given, population(screening), final=False)
    return population(screening).child and scoring.said_yes(found.values, bool(found.unplaced))


def raised(instrument: Instrument, screening: Screening, given: Mapping[str, str]) -> list[str]:
    """The red flags these answers raise, and the interpreter's link from the safety check."""
    values = derived(instrument, given, population(screening), final=False).values if given else {}
    flags = [i.id for i in instrument.indicators if i.red_flag and values.get(i.id) == "yes"]
    return flags + ([INTERPRETER_FLAG] if interpreter_linked(screening) else [])


def next_step(store: Session, screening: Screening, instrument: Instrument) -> engine.Step:
    """What to ask next in this draft."""
    return engine.next_question(
        instrument, services.answers(store, screening), population(screening)
    )


def record(
    store: Session,
    screening: Screening,
    instrument: Instrument,
    given: Mapping[str, str],
    now: datetime,
) -> list[str]:
    """Save the answers of one page (checked first: ScreeningError naming each bad one
    ``answers.<key>``) and return the red flags they raised that were not raised before, so
    the protocol follows the answer that raised it."""
    wrong = problems(instrument, given)
    if wrong:
        # Named as in a request's body, where the answers are one object among others.
        raise services.ScreeningMalformed(
            "some answers are not accepted",
            {f"answers.{key}": problem for key, problem in wrong.items()},
        )
    services.lock_draft(store, screening)
    before = services.answers(store, screening)
    if "handover" in given and not engine.handover_offered(
        instrument, {**before, **given}, population(screening)
    ):
        raise opening.ScreeningError(
            "the hand-over to child protection comes only after a disclosure",
            {"answers.handover": "not offered: nothing was disclosed"},
        )
    services.save_answers(store, screening, given, now)
    earlier = set(raised(instrument, screening, before))
    flags = raised(instrument, screening, {**before, **given})
    mark_urgent(screening, flags)
    return [f for f in flags if f not in earlier]


def mark_urgent(screening: Screening, flags: list[str]) -> None:
    """A draft is urgent while its answers raise a red flag, so the list of screenings
    shows it before it is completed (completing scores it afresh)."""
    screening.urgent = bool(flags)


def group(
    store: Session,
    screening: Screening,
    instrument: Instrument,
    gate_id: str,
    value: str,
    now: datetime,
) -> None:
    """The whole-group button: ``value`` (unknown or declined) for every still-relevant
    member of the umbrella ``gate_id``."""
    services.lock_draft(store, screening)
    given = services.answers(store, screening)
    filled = engine.fill_group(instrument, given, population(screening), gate_id, value)
    gate = instrument.gate(gate_id)
    if gate is not None and derivation.gate_key(instrument, gate) not in given:
        filled[derivation.gate_key(instrument, gate)] = value  # pressed on the umbrella's page
    if filled:
        services.save_answers(store, screening, filled, now)


def waiting(store: Session, screening: Screening, instrument: Instrument) -> list[str]:
    """Red flags raised in this screening that no recorded action answers yet: from the
    answers of a draft, from the stored result of a completed screening. Read here, on the
    server, so no address ever names a person's flags (docs/screening.md §7)."""
    if screening.status == "draft":
        flags = raised(instrument, screening, services.answers(store, screening))
    else:
        flags = (services.result(store, screening) or {}).get("red_flags", [])
    return red_flags.unacknowledged(store, screening, flags)


def finish(
    store: Session,
    screening: Screening,
    instrument: Instrument,
    age: int | None,
    now: datetime,
    explain_in: str | None = None,
) -> dict[str, Any]:
    """Score and complete the screening; refused while a red flag waits for its action.
    The row is locked first, so two requests finishing at once complete it once."""
    db.lock(store, screening)
    if screening.status != "draft":
        raise services.ScreeningConflict(
            "this screening is already completed", {"status": screening.status}
        )
    pending = waiting(store, screening, instrument)
    if pending:
        raise services.ScreeningConflict(
            "record what was done about each red flag before completing",
            {"red_flags": ", ".join(pending)},
        )
    people_ = population(screening, age)
    found = derived(instrument, services.answers(store, screening), people_, final=True)
    result = scoring.score(
        instrument,
        found.values,
        people_.child,
        found.sexual,
        extra_red_flags=(INTERPRETER_FLAG,) if people_.interpreter_linked else (),
        derived=found.sources,
        lower_bound=found.handed_over,
        unplaced_yes=bool(found.unplaced),
    )
    return services.complete(store, screening, instrument, result, now, explain_in)


def wording(instrument: Instrument, step: engine.Step, voice: Voice) -> str:
    """The words to read out for this step, as this screening words its questions."""
    if step.kind == "gate" and step.gate is not None:
        return voice.say(step.gate.question)
    if step.kind == "when":
        return voice.say(instrument.when["question"])
    concept = instrument.concepts.get(step.ask)
    if concept is not None:
        return voice.say(concept.question)
    indicator = instrument.indicator(step.ask)
    return voice.say(indicator.question) if indicator else ""


def describe(instrument: Instrument, step: engine.Step, voice: Voice) -> dict[str, Any]:
    """A step as the API gives it: what to ask, where the answer goes, which values."""
    if step.kind == "done":
        return {"kind": "done"}
    if step.kind == "when":
        values = [*WHEN, *scoring.OPEN]
    elif step.kind == "interpreter":
        values = ["yes"]
    elif step.kind == "handover":
        values = list(derivation.HANDOVER)
    else:
        values = list(scoring.GIVEN)
    body: dict[str, Any] = {
        "kind": step.kind,
        "key": step.key,
        "block": step.block,
        "gate": step.gate.id if step.gate else None,
        "gate_kind": step.gate.kind if step.gate else None,
        "values": values,
        "question": wording(instrument, step, voice)
        if step.kind not in derivation.PAUSES and step.kind not in ("interpreter", "handover")
        else None,
    }
    if step.kind == "gate" and step.gate is not None and step.gate.kind == "umbrella":
        body["members"] = list(step.gate.members)
    if step.kind == "list":  # answer each member under its own key
        body["members"] = [
            {
                "key": m,
                "question": wording(instrument, engine.Step("member", key=m, ask=m), voice),
            }
            for m in step.members
        ]
        body["question"] = voice.say(step.gate.question) if step.gate else None
    return body


def indicator_answers(
    store: Session, screening: Screening, instrument: Instrument
) -> dict[str, str]:
    """What the person said, indicator by indicator (a concept's answer filled in for each
    phase it covers): the form a referral shares, without the interview's own keys and
    without the values the interview only derived."""
    found = derived(instrument, services.answers(store, screening), population(screening), True)
    return {
        item: value
        for item, value in found.values.items()
        if value in scoring.GIVEN and found.sources.get(item) != "unreached"
    }


def progress(step: engine.Step) -> list[tuple[str, str]]:
    """Each block with its state for the progress line: done, current or to come."""
    current = BLOCKS.index(step.block) if step.block in BLOCKS else len(BLOCKS)
    return [
        (block, "done" if n < current else "current" if n == current else "to_come")
        for n, block in enumerate(BLOCKS)
    ]
