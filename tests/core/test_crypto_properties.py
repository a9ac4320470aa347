"""Properties of the blind index's normalisation and of sealing, over generated values (R35,
R39, R57): the normal form is idempotent and blind to case, spacing and Unicode composition;
different normal forms give different indexes; anything sealed opens again, and only with its
own key at its own place."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from core import crypto
from core.datakeys import Cipher

INDEX_KEY = b"synthetic-index-key-".ljust(32, b"i")
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
# Names as people type them: letters with accents, spaces, some punctuation.
NAME_CHARACTERS = st.characters(categories=("L", "M", "Nd", "Zs", "Pd", "Po"))
NAMES = st.text(NAME_CHARACTERS, max_size=30)
WORDS = st.lists(st.text(st.characters(categories=("L", "M")), min_size=1, max_size=12), max_size=4)
# Runs of white space a screener or a copy-and-paste may put between or around words.
GAPS = st.text(st.sampled_from(" \t\n\u00a0\u2009\u3000"), min_size=1, max_size=4)


@given(TEXT)
@example("ℌ")  # a capital from a compatibility decomposition (styled text)
@example("\U0001d400nna")  # 𝐀nna, mathematical bold, as pasted from a social media profile
def test_normalising_twice_changes_nothing(value: str) -> None:
    once = crypto.normalise(value)
    assert crypto.normalise(once) == once


@given(TEXT)
@example("Işık")  # the dotless i, whose capital is I
def test_the_normal_form_ignores_case(value: str) -> None:
    expected = crypto.normalise(value)
    for cased in (value.upper(), value.lower(), value.title(), value.swapcase()):
        assert crypto.normalise(cased) == expected


@given(WORDS, st.lists(GAPS, min_size=5, max_size=5))
def test_the_normal_form_ignores_spacing(words: list[str], gaps: list[str]) -> None:
    # Words of letters alone, so that the gaps are the only white space in the value.
    spaced = gaps[0] + "".join(word + gaps[i % 3 + 1] for i, word in enumerate(words)) + gaps[4]
    assert crypto.normalise(spaced) == crypto.normalise(" ".join(words))


@given(TEXT)
@example("Ame\u0301lie")  # NFD, as some keyboards send it
def test_the_normal_form_ignores_unicode_composition(value: str) -> None:
    forms = {unicodedata.normalize(form, value) for form in ("NFC", "NFD", "NFKC", "NFKD")}
    assert {crypto.normalise(form) for form in forms} == {crypto.normalise(value)}


@given(NAMES, NAMES)
def test_equal_normal_forms_give_equal_indexes(given_name: str, family_name: str) -> None:
    typed = (
        unicodedata.normalize("NFD", given_name.upper()),
        "  " + family_name.swapcase() + " ",
    )
    assert crypto.blind_index(INDEX_KEY, "person", *typed) == crypto.blind_index(
        INDEX_KEY, "person", given_name, family_name
    )


@given(st.lists(NAMES, min_size=1, max_size=3), st.lists(NAMES, min_size=1, max_size=3))
def test_different_normal_forms_give_different_indexes(first: list[str], second: list[str]) -> None:
    assume([crypto.normalise(p) for p in first] != [crypto.normalise(p) for p in second])
    assert crypto.blind_index(INDEX_KEY, "person", *first) != crypto.blind_index(
        INDEX_KEY, "person", *second
    )


@given(NAMES, st.integers(min_value=0), st.integers(min_value=0))
def test_where_one_part_ends_and_the_next_begins_changes_the_index(
    text: str, cut: int, other_cut: int
) -> None:
    # The same letters split differently between given and family name are another person.
    first, second = cut % (len(text) + 1), other_cut % (len(text) + 1)
    split = (text[:first], text[first:])
    other = (text[:second], text[second:])
    assume([crypto.normalise(p) for p in split] != [crypto.normalise(p) for p in other])
    assert crypto.blind_index(INDEX_KEY, "person", *split) != crypto.blind_index(
        INDEX_KEY, "person", *other
    )


@given(st.binary(max_size=512), st.binary(max_size=128), st.binary(max_size=128))
def test_sealed_bytes_open_only_with_their_associated_data(
    plaintext: bytes, aad: bytes, other_aad: bytes
) -> None:
    key = crypto.new_data_key()
    sealed = crypto.seal(key, plaintext, aad)
    assert crypto.unseal(key, sealed, aad) == plaintext
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(crypto.new_data_key(), sealed, aad)
    if other_aad != aad:
        with pytest.raises(crypto.DecryptionError):
            crypto.unseal(key, sealed, other_aad)


# Places as the code names them: a table and a column (identifiers), a row id, a key id.
IDENTIFIERS = st.from_regex(r"[a-z][a-z_]{0,20}", fullmatch=True)
PLACES = st.tuples(IDENTIFIERS, IDENTIFIERS, st.uuids() | st.integers(min_value=1))


@given(TEXT, PLACES, PLACES, st.uuids())
def test_a_data_key_opens_a_field_only_at_its_own_place(
    value: str, place: tuple[str, str, object], other: tuple[str, str, object], key_id: uuid.UUID
) -> None:
    cipher = Cipher(key_id, crypto.new_data_key())
    sealed = cipher.seal(*place, value)
    assert sealed is not None
    assert cipher.open(*place, sealed) == value
    if other != place:
        with pytest.raises(crypto.DecryptionError):
            cipher.open(*other, sealed)
    with pytest.raises(crypto.DecryptionError):
        Cipher(key_id, crypto.new_data_key()).open(*place, sealed)
    with pytest.raises(crypto.DecryptionError):
        Cipher(uuid.uuid4(), cipher.key).open(*place, sealed)
