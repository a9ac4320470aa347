"""Properties of the audit chain's canonical encoding and MACs over generated events (R49, R57):
the encoding decodes back to the event it was made from (so no two events share one), whatever
the text fields hold; the order of the mapping does not matter; any one changed field changes
the MACs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from access import audit_chain

KEY = b"synthetic-audit-key-".ljust(32, b"k")
OTHER_KEY = b"other-synthetic-audit-key-".ljust(32, b"o")
PREVIOUS = "ab" * 32

# Text leaning on what could confuse an encoder: JSON's own separators and escapes, control
# characters, line and paragraph separators, a NUL, non-ASCII letters; and any character.
TRICKY = st.sampled_from(
    ['"', "\\", ",", ":", "{", "}", "\x00", "\x1f", "\u2028", "é", "\U0001f600"]
)
TEXT = st.text(st.one_of(TRICKY, st.characters(codec="utf-8")), max_size=30)
OPTIONAL_TEXT = st.none() | TEXT
# Audit times are the clock's: aware UTC, from this century on, to the microsecond.
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(min_value=1, max_value=2**63 - 1),
    "at": INSTANTS,
    "actor_id": OPTIONAL_TEXT,
    "actor_role": OPTIONAL_TEXT,
    "actor_org": OPTIONAL_TEXT,
    "action": TEXT,
    "object_type": OPTIONAL_TEXT,
    "object_id": OPTIONAL_TEXT,
    "outcome": TEXT,
    "client_ip": OPTIONAL_TEXT,
    "request_id": OPTIONAL_TEXT,
    "details": TEXT,
}
EVENTS = st.fixed_dictionaries(FIELD_VALUES)


def test_every_field_of_the_chain_is_generated() -> None:
    # The properties below cover the chain's fields only if they generate every one of them.
    assert set(FIELD_VALUES) == set(audit_chain.FIELDS)


@given(INSTANTS)
def test_a_timestamp_reads_back_as_the_same_instant(at: datetime) -> None:
    text = audit_chain.timestamp(at)
    assert text.endswith("Z")
    assert datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) == at


@given(EVENTS)
def test_the_canonical_encoding_decodes_back_to_its_event(event: dict[str, Any]) -> None:
    # Decoding gives back every field exactly: two different events cannot encode alike.
    encoded = audit_chain.canonical(event)
    assert encoded.isascii()
    assert json.loads(encoded) == {**event, "at": audit_chain.timestamp(event["at"])}
    # And it is the standard compact sorted-key JSON, so any verifier can rebuild it.
    assert encoded == json.dumps(
        json.loads(encoded), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    ).encode("ascii")


@given(EVENTS, st.randoms(use_true_random=False))
def test_the_order_of_the_mapping_does_not_matter(event: dict[str, Any], random: Any) -> None:
    names = list(event)
    random.shuffle(names)
    shuffled = {name: event[name] for name in names}
    assert audit_chain.canonical(shuffled) == audit_chain.canonical(event)
    assert audit_chain.compute_mac(KEY, PREVIOUS, shuffled) == audit_chain.compute_mac(
        KEY, PREVIOUS, event
    )
    assert audit_chain.entry_mac(KEY, shuffled) == audit_chain.entry_mac(KEY, event)


@given(EVENTS, EVENTS)
def test_different_events_never_encode_alike(first: dict[str, Any], second: dict[str, Any]) -> None:
    assume(first != second)
    assert audit_chain.canonical(first) != audit_chain.canonical(second)


@given(EVENTS, st.sampled_from(audit_chain.FIELDS), st.data())
def test_changing_any_one_field_changes_the_macs(
    event: dict[str, Any], name: str, data: st.DataObject
) -> None:
    changed = {**event, name: data.draw(FIELD_VALUES[name], label=name)}
    assume(changed[name] != event[name])
    assert audit_chain.canonical(changed) != audit_chain.canonical(event)
    assert audit_chain.compute_mac(KEY, PREVIOUS, changed) != audit_chain.compute_mac(
        KEY, PREVIOUS, event
    )
    # The entry MAC is over the content alone: seq is the sealer's to give, after insertion.
    if name == "seq":
        assert audit_chain.entry_mac(KEY, changed) == audit_chain.entry_mac(KEY, event)
    else:
        assert audit_chain.entry_mac(KEY, changed) != audit_chain.entry_mac(KEY, event)


@given(EVENTS, st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_the_chain_mac_depends_on_the_previous_mac_and_the_key(
    event: dict[str, Any], previous: str
) -> None:
    assume(previous != PREVIOUS)
    mac = audit_chain.compute_mac(KEY, PREVIOUS, event)
    assert audit_chain.compute_mac(KEY, previous, event) != mac
    assert audit_chain.compute_mac(OTHER_KEY, PREVIOUS, event) != mac
    assert audit_chain.entry_mac(OTHER_KEY, event) != audit_chain.entry_mac(KEY, event)
